"""Finding the numbers of a text and deciding whether each is cited (huiqi.core.coverage)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from huiqi.core.coverage import (
    CoverageError,
    Exclusion,
    Kind,
    Status,
    citations_of,
    find_mentions,
    measure,
)
from huiqi.core.model import Citation, Field, Fixed, Rate, Sum
from huiqi.core.text import SourceText, Span


def _mentions(text: str) -> list[tuple[str, str, Kind]]:
    """(normalised text, original words, kind) of every mention."""
    return [(m.text, text[m.span.start : m.span.end], m.kind) for m in find_mentions(SourceText("t", text))]


def _measure(text: str, cites: list[str], exclusions: list[Exclusion]) -> dict[str, Status]:
    source = SourceText("t", text)
    cited: list[tuple[str, Span]] = []
    for quote in cites:
        span = source.find(quote)
        assert span is not None, quote
        cited.append((quote, span))
    report = measure(source, cited, exclusions, file="t.txt", document_id="t", title="t")
    return {v.mention.text: v.status for v in report.verdicts}


def test_a_number_broken_across_lines_is_one_mention_with_its_original_span() -> None:
    text = "单个企业每年最高 100万\n元。"
    assert _mentions(text) == [("100万元", "100万\n元", Kind.AMOUNT)]


def test_a_range_is_one_mention() -> None:
    text = "按产品单台（套）销售价格 15%～30%给予不低于 40 万元的一次性奖励"
    assert _mentions(text) == [("15%～30%", "15%～30%", Kind.PERCENTAGE), ("40万元", "40 万元", Kind.AMOUNT)]


def test_digits_that_white_space_separates_are_two_numbers() -> None:
    # a table row: the value of row 1, then the number of row 2
    text = "研发经费占主营业务收入比重（%） 1.35 \n\n2 规模以上制造业"
    assert [m[0] for m in _mentions(text)] == ["1.35", "2"]


def test_a_page_mark_is_not_a_number() -> None:
    text = "给予最高100\n— 22 —\n万元奖励"
    assert _mentions(text) == [("100万元", "100\n— 22 —\n万元", Kind.AMOUNT)]


def test_kinds_follow_the_unit_and_the_neighbours() -> None:
    text = "2024年度，经市政府第120次常务会议，5G工厂，超过50亿元，不少于5个，按4:6分担，节能量1000元/吨标准煤，最多3年"
    assert [(m[0], m[2]) for m in _mentions(text)] == [
        ("2024年度", Kind.DATE),
        ("120次", Kind.ORDINAL),
        ("5", Kind.NAME),
        ("50亿元", Kind.AMOUNT),
        ("5个", Kind.COUNT),
        ("4：6", Kind.RATIO),
        ("1000元/吨标准煤", Kind.AMOUNT),
        ("3年", Kind.DURATION),
    ]


def test_a_date_listed_in_the_exclusions_is_excluded_and_an_amount_beside_it_is_not() -> None:
    text = "本措施自2025年5月1日起施行。对超过50万元的项目给予补助。"
    statuses = _measure(text, [], [Exclusion("本措施自2025年5月1日起施行", "施行日期")])
    assert statuses == {"2025年5月1日": Status.EXCLUDED, "50万元": Status.UNCITED}


def test_a_number_inside_a_citation_span_is_cited() -> None:
    text = "按照不超过其购买金额的5%给予补助、单个企业每年最高100万元。对人形机器人给予最高200万元。"
    statuses = _measure(text, ["按照不超过其购买金额的5%给予补助、单个企业每年最高100万元"], [])
    assert statuses == {"5%": Status.CITED, "100万元": Status.CITED, "200万元": Status.UNCITED}


def test_a_citation_that_stops_inside_a_number_does_not_cite_it() -> None:
    text = "单个企业每年最高100万\n元。"
    assert _measure(text, ["单个企业每年最高100万"], []) == {"100万元": Status.UNCITED}


def test_an_exclusion_whose_words_are_not_in_the_text_raises() -> None:
    text = "本措施自2025年5月1日起施行。"
    with pytest.raises(CoverageError) as error:
        _measure(text, [], [Exclusion("本措施自2026年5月1日起施行", "施行日期", "ex.yaml:3")])
    assert error.value.problems == ["ex.yaml:3: 排除项的文字在原文《t》中找不到：“本措施自2026年5月1日起施行”"]


def test_an_exclusion_without_a_number_raises() -> None:
    with pytest.raises(CoverageError, match="没有数字"):
        _measure("本措施自2025年5月1日起施行。", [], [Exclusion("起施行", "施行日期")])


def test_citations_are_gathered_from_nested_parts() -> None:
    inner = Citation("5%")
    per_unit = Citation("节能量1000元/吨标准煤")
    outer = Citation("叠加给予补助")
    amount = Sum(parts=(Rate(rate=Fraction(5, 100), base=Field("total"), cite=inner), Fixed(fen=100, cite=per_unit)), cite=outer)
    assert {c.quote for c in citations_of(amount)} == {"5%", "节能量1000元/吨标准煤", "叠加给予补助"}


def test_a_cited_number_is_encoded_only_when_a_part_holds_its_value() -> None:
    from huiqi.core.coverage import measure

    source = SourceText("t", "按照不超过其购买金额的5%给予补助、单个企业每年最高100万元")
    whole = source.find("按照不超过其购买金额的5%给予补助、单个企业每年最高100万元")
    assert whole is not None
    cited = [("…", whole)]
    right = measure(
        source,
        cited,
        (),
        file="t",
        document_id="d",
        title="t",
        encoded=[(whole, frozenset({Fraction(1, 20), Fraction(1_000_000)}))],
    )
    assert right.encoded == 2 and right.cited_not_encoded == ()
    wrong = measure(
        source,
        cited,
        (),
        file="t",
        document_id="d",
        title="t",
        encoded=[(whole, frozenset({Fraction(1, 20), Fraction(2_000_000)}))],
    )
    assert [m.text for m in wrong.cited_not_encoded] == ["100万元"]
