"""The 名单测算 page's filters, as people look for an article."""

from __future__ import annotations

from huiqi.web.batchview import _article_order


def test_articles_are_offered_in_the_order_of_their_numbers() -> None:
    """The 条款 filter sorted them as text: 第10条…第19条, 第1条, 第20条, 第2条; 第七条 before 第三条."""
    arabic = ["10", "2", "1", "21", "3"]
    assert sorted(arabic, key=lambda a: _article_order("wz", a)) == ["1", "2", "3", "10", "21"]
    chinese = ["七", "三", "十二", "十", "二十一", "一"]
    assert sorted(chinese, key=lambda a: _article_order("sz", a)) == ["一", "三", "七", "十", "十二", "二十一"]
    mixed = [("wz", "10"), ("sz", "二"), ("wz", "9"), ("wz", "附则")]
    assert sorted(mixed, key=lambda da: _article_order(*da)) == [("sz", "二"), ("wz", "9"), ("wz", "10"), ("wz", "附则")]
