"""Rule files: good ones load, bad ones are reported with file, line and what is wrong.

Each file in ``bad/`` starts with ``# expect: <words of the diagnostic>``; the
line the diagnostic names must be the line of the offending entry.
"""

from pathlib import Path

import pytest

from huiqi.policyfile import PolicyFileError, load_document
from huiqi.service import engine

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))


def test_a_good_file_loads_with_its_citations_located() -> None:
    doc = load_document(HERE / "good" / "minimal.yaml", engine().catalogue)
    (benefit,) = doc.benefits
    span = benefit.cite.span
    assert span is not None
    assert "5%给予补助" in doc.source.text[span.start : span.end]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_a_bad_file_is_reported_with_file_line_and_reason(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").strip()
    with pytest.raises(PolicyFileError) as info:
        load_document(path, engine().catalogue, display=path.name)
    messages = info.value.problems
    hits = [m for m in messages if expected in m]
    assert hits, messages
    assert hits[0].startswith(f"{path.name}:")
    line = int(hits[0].split(":")[1])
    assert line > 1, hits[0]
    text = path.read_text(encoding="utf-8").splitlines()
    assert line <= len(text)


def test_every_mistake_in_a_file_is_reported_together(tmp_path: Path) -> None:
    body = (HERE / "bad" / "unknown-fact.yaml").read_text(encoding="utf-8")
    body = body.replace("amount: {max: 50万元}", "amount: {max: 60万元}")
    path = tmp_path / "two.yaml"
    path.write_text(body.replace("../../../policies", str(HERE.parents[1] / "policies")), encoding="utf-8")
    with pytest.raises(PolicyFileError) as info:
        load_document(path, engine().catalogue)
    assert len(info.value.problems) >= 2


def test_a_rate_in_chinese_numerals_is_read_as_a_ceiling_where_the_quote_says_so() -> None:
    """按照不超过其购买金额的百分之五 makes 5% an upper bound (``up_to``), as 不超过…5% does; 按百分之五 does
    not. The check passed over numbers not written in digits."""
    from huiqi.policyfile.reader_base import _says_up_to

    assert _says_up_to("5%", "按照不超过其购买金额的百分之五给予补助") is True
    assert _says_up_to("5%", "按其购买金额的百分之五给予补助") is False
    assert _says_up_to("5%", "按其购买金额的百分之十五给予补助") is None  # 十五 is not 五
    assert _says_up_to("10万", "给予最高十万元奖励") is True


def test_a_rate_may_be_written_in_chinese_numerals_in_its_quote() -> None:
    """“按购买金额的百分之五给予补助” holds `rate: 5%` (the unit-aware check refused it); 百分之二十
    does not hold 2%."""
    from huiqi.policyfile.reader_base import _number_in

    assert _number_in("5%", "按购买金额的百分之五给予补助")
    assert _number_in("20%", "按百分之二十给予")
    assert not _number_in("2%", "按百分之二十给予")
    assert not _number_in("5万", "最高50万元")


def test_a_validity_quote_with_one_date_may_give_the_end(tmp_path: Path) -> None:
    """“有效期至2027年12月31日” writes the end only; the start comes from the date of issue."""
    body = (HERE / "good" / "minimal.yaml").read_text(encoding="utf-8")
    body = body.replace("cite: 本措施自2025年5月1日起施行，有效期至2027年12月31日}", "cite: 有效期至2027年12月31日}")
    path = tmp_path / "one-date.yaml"
    path.write_text(body.replace("../../../policies", str(HERE.parents[1] / "policies")), encoding="utf-8")
    doc = load_document(path, engine().catalogue)
    assert doc.valid_to is not None and doc.valid_to.isoformat() == "2027-12-31"
    with pytest.raises(PolicyFileError) as info:  # a date the quote does not write at all is still refused
        path.write_text(path.read_text(encoding="utf-8").replace("to: 2027-12-31", "to: 2027-06-30"), encoding="utf-8")
        load_document(path, engine().catalogue)
    assert any("有效期" in m and "2027年12月31日" in m for m in info.value.problems)


@pytest.mark.parametrize(
    ("words", "number", "quote", "near"),
    [
        (("以上",), "500万", "对设备投资额在500万元（含）及以上的项目", True),
        (("以上",), "500万", "500万元（含本数）以上", True),
        (("以上",), "500万", "投资500万元人民币及以上", True),
        (("达到",), "500万", "投入达到500万元", True),
        (("超过",), "500万", "对营业收入超过1亿元，研发投入500万元的企业", False),  # another clause's word
        (("超过",), "100万", "按照不超过其购买金额的5%给予补助、单个企业每年最高100万元", False),
    ],
)
def test_a_comparison_word_governs_the_number_beside_it_in_its_clause(
    words: tuple[str, ...], number: str, quote: str, near: bool
) -> None:
    from huiqi.policyfile.reader_base import _word_near

    assert _word_near(words, number, quote) is near


@pytest.mark.parametrize(
    ("number", "quote", "up_to"),
    [
        ("5%", "按照不超过项目实际总投入的5%给予补助", True),
        ("5%", "给予不高于5%的补助", True),
        ("5%", "按至多5%给予补助", True),
        ("5%", "按投资额5%（含）以内给予补助", True),
        ("10%", "对投资额不超过1000万元的项目按投资额的10%给予补助", False),  # 不超过 is the threshold's
        ("400元", "年节能量不超过1000吨的按每吨400元给予补助", False),
        ("10%", "按最高不超过500万元的设备投资额的10%给予补助", False),  # the ceiling is the base's
        ("30万元", "分别给予最高100万元、30万元、10万元的奖励", True),  # a list the word governs
        ("20万元", "分别给予最高 100万元和20万元的奖励", True),
        ("20万元", "分别给予 50万元、20万元的补贴", False),  # fixed amounts
        ("30万元", "对首次获评的给予30万元、最高50万元", False),  # 最高 governs the later number only
    ],
)
def test_up_to_is_read_from_a_ceiling_word_that_governs_the_number(number: str, quote: str, up_to: bool) -> None:
    from huiqi.policyfile.reader_base import _says_up_to

    assert _says_up_to(number, quote) is up_to
