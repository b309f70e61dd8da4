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


_PERCENT_TEXT = (
    "测试措施\n"
    "一、对当年度产销超过10亿元的工业企业，给予50万元奖励，所需资金由市、区两级财政分别承担30%、70%。\n"
    "二、本措施自2025年5月1日起施行，有效期至2027年12月31日。\n"
)
_PERCENT_POLICY = """document:
  id: test-percent
  title: 测试
  issuer: 测试
  level: district
  jurisdiction: "320506"
  source: text.txt
  valid: {from: 2025-05-01, to: 2027-12-31, cite: 本措施自2025年5月1日起施行，有效期至2027年12月31日}
benefits:
  - id: t-scale
    article: "一"
    title: 产销奖励
    event: enterprise
    when: [{fact: enterprise.annual_sales, 超过: 10亿元, cite: 对当年度产销超过10亿元的工业企业}]
    amount: {fixed: 50万元}
    funding: {shares: SHARES, cite: 所需资金由市、区两级财政分别承担30%、70%}
    cite: 对当年度产销超过10亿元的工业企业，给予50万元奖励，所需资金由市、区两级财政分别承担30%、70%
"""


def _percent_policy(tmp_path: Path, shares: str) -> Path:
    (tmp_path / "text.txt").write_text(_PERCENT_TEXT, encoding="utf-8")
    path = tmp_path / "percent.yaml"
    path.write_text(_PERCENT_POLICY.replace("SHARES", shares), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as info:
        load_document(path, engine().catalogue, display=path.name)
    return info.value.problems


def test_a_split_written_in_percentages_is_encoded_as_percentages(tmp_path: Path) -> None:
    """所需资金由市、区两级财政分别承担30%、70% could not be encoded at all: 30 was refused (the quote
    writes 30%), 30% was refused as no whole number. 30% and 70% are the ratio 30:70."""
    doc = load_document(_percent_policy(tmp_path, "{city: 30%, district: 70%}"), engine().catalogue)
    (benefit,) = doc.benefits
    assert benefit.funding is not None
    assert [(s.role, s.weight) for s in benefit.funding.shares] == [("city", 30), ("district", 70)]


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        (
            "{city: 70%, district: 30%}",
            "percent.yaml:16: 奖补项 t-scale: 分担比例{city: 70%, district: 30%}与引文的顺序不符："
            "引文按市、区的顺序写30%、70%，应为 {city: 30%, district: 70%}",
        ),
        ("{city: 30%, district: 60%}", "percent.yaml:16: 奖补项 t-scale: 百分比分担合计应为100%，实为90%"),
        (
            "{city: 30, district: 70}",
            "percent.yaml:16: 奖补项 t-scale: 数字30不在其引文中（引文写的是“30%”：请照原文写出数字与单位，如 30%）",
        ),
        ("{city: 30%, district: 70}", "percent.yaml:16: 奖补项 t-scale: 分担比例须都写为整数（如 3、7）或都写为百分比"),
        (
            "{city: 30%, town: 70%}",
            "分担比例{city: 30%, town: 70%}的出资方与引文不符：引文为市、区按30%、70%，应为 {city: 30%, district: 70%}",
        ),
    ],
    ids=["swapped", "not-100", "without-percent", "mixed", "another-payer"],
)
def test_a_split_in_percentages_follows_the_quote(tmp_path: Path, shares: str, expected: str) -> None:
    problems = _problems(_percent_policy(tmp_path, shares))
    assert any(expected in p for p in problems), problems


def test_an_invalid_share_is_named_without_a_share_made_up_for_it(tmp_path: Path) -> None:
    """A share that is no number was named, and a default 1 filled in behind it was then reported
    as 数字1不在其引文中, a number the author never wrote."""
    problems = _problems(_percent_policy(tmp_path, "{city: 三十, district: 70%}"))
    assert any("分担比例应为正整数（如3:7的3）或整数百分比（如30%）：“三十”" in p for p in problems), problems
    assert not any("数字1" in p for p in problems), problems


@pytest.mark.parametrize(
    ("quote", "split"),
    [
        ("本措施所需资金按现行财政体制由区、镇（开发区、太湖新城）按4:6分担", ("ratio", [4, 6], ["区", "镇"])),
        ("所需资金由市、区两级财政按3:7比例分担", ("ratio", [3, 7], ["市", "区"])),
        ("所需资金由省、市、县按2∶3∶5分担", ("ratio", [2, 3, 5], ["省", "市", "县"])),
        ("所需资金由市级财政和区级财政按1比1分担", ("ratio", [1, 1], ["市", "区"])),
        ("所需资金由市、区两级财政分别承担30%、70%", ("percent", [30, 70], ["市", "区"])),
        ("所需资金按1:1比例配套", ("ratio", [1, 1], [])),
        ("按照不超过其购买金额的5%给予补助", None),
    ],
)
def test_the_split_a_funding_quote_writes_is_read_with_its_payers(
    quote: str, split: tuple[str, list[int], list[str]] | None
) -> None:
    from huiqi.policyfile.reader_base import _split_in

    assert _split_in(quote) == split


def test_a_range_floor_and_cap_are_the_numbers_the_text_gives_those_parts(tmp_path: Path) -> None:
    """不低于20万元，最高不超过200万元 encoded floor: 200万元, cap: 20万元 paid every project exactly
    20万元: the floor above the cap is refused, and each number is read where its words put it."""
    problems = _problems(HERE / "bad" / "range-floor-above-cap.yaml")
    assert any("range-floor-above-cap.yaml:20: 奖补项 t-16: 保底floor（1000万元）高于上限cap（40万元）" in p for p in problems)
    assert any("引文没有把1000万写为保底（不低于、不少于、最低……），不能作floor" in p for p in problems), problems
    assert any(
        "range-floor-above-cap.yaml:21: 奖补项 t-16: 引文没有把40万写为上限（最高、不超过……），不能作cap" in p for p in problems
    )


@pytest.mark.parametrize(
    ("number", "quote", "floor"),
    [
        ("40万", "给予不低于 40 万元的一次性奖励，支持金额最高不超过 1000万元", True),
        ("1000万", "给予不低于 40 万元的一次性奖励，支持金额最高不超过 1000万元", False),
        ("20万", "每个项目最低20万元", True),
        ("5万", "每个项目不低于20万元", None),
    ],
)
def test_a_floor_is_read_from_a_floor_word_before_its_number(number: str, quote: str, floor: bool | None) -> None:
    from huiqi.policyfile.reader_base import _says_floor

    assert _says_floor(number, quote) is floor


def test_a_value_is_shown_as_it_is_written_in_yaml() -> None:
    """Messages showed Python's values: 金额应为映射：None, first_time只能为true：False,
    datetime.datetime(2026, 1, 1, 8, 0), '30%'."""
    from datetime import date, datetime

    from huiqi.policyfile.yamlnodes import as_written

    assert as_written(None) == "空（未填写）"
    assert as_written(False) == "false"
    assert as_written(True) == "true"
    assert as_written(datetime(2026, 1, 1, 8, 0)) == "2026-01-01 08:00"
    assert as_written(datetime(2026, 1, 1, 8, 0, 30)) == "2026-01-01 08:00:30"
    assert as_written(date(2026, 1, 1)) == "2026-01-01"
    assert as_written("30%") == "“30%”"
    assert as_written(12) == "12"
    assert as_written(["企业", None, False]) == "[企业, null, false]"
    assert as_written({"city": "30%", "district": None}) == "{city: 30%, district: null}"


_MINIMAL = (HERE / "good" / "minimal.yaml").read_text(encoding="utf-8")


def _minimal_problems(tmp_path: Path, old: str, new: str) -> list[str]:
    """The problems of the good minimal file with ``old`` replaced by ``new``."""
    assert old in _MINIMAL
    path = tmp_path / "m.yaml"
    body = _MINIMAL.replace(old, new).replace("../../../policies", str(HERE.parents[1] / "policies"))
    path.write_text(body, encoding="utf-8")
    return _problems(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    amount: {rate", "    amount:\n    x: {rate", "m.yaml:17: 奖补项 t-1: 金额应为映射：空（未填写）"),
        ("from: 2025-05-01,", "from: 2025-05-01 08:00:00,", "“from”应为日期YYYY-MM-DD（不带时间）：2025-05-01 08:00"),
        ("level: district", "level:", "层级level应为national、province、city、district之一：空（未填写）"),
        ("up_to: true,", 'up_to: "30%",', "“up_to”应为true或false（不加引号）：“30%”"),
        (
            "match: [",
            "match: [{first_time: false, cite: 一年内购买机器人产品或服务超过50万元的企业}, ",
            "first_time只能为true（首次/新获评）：false",
        ),
        ("rate: 5%,", "rate: [5%],", "“rate”不是比例：不是数值：[5%]"),
        ("rate: 5%,", "rate: null,", "“rate”不是比例：不是数值：空（未填写）"),
        ("超过: 50万元", "超过: false", "比较值不对：不是金额：false"),
    ],
    ids=[
        "amount-null",
        "datetime",
        "level-null",
        "flag-text",
        "first-time",
        "rate-list",
        "rate-null",
        "bool-money",
    ],
)
def test_a_value_in_a_message_is_the_value_as_written(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = _minimal_problems(tmp_path, old, new)
    assert any(expected in p for p in problems), problems
    for python in ("None", "False", "True", "datetime", "'"):
        assert not any(python in p for p in problems), problems


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    event: purchase\n", "缺少字段“event”"),
        ("    amount: {rate: 5%, of: amount, up_to: true, cite: 按照不超过其购买金额的5%给予补助}\n", "缺少字段“amount”"),
    ],
    ids=["event", "amount"],
)
def test_a_missing_event_or_amount_is_named_once(tmp_path: Path, line: str, expected: str) -> None:
    """A missing event also said 未知的事项类型“”, a missing amount 金额应为映射：None: the same mistake twice."""
    problems = _minimal_problems(tmp_path, line, "")
    assert problems == [f"m.yaml:11: 奖补项 t-1: {expected}"], problems


_BY_LEVEL_TEXT = (
    "测试措施\n"
    "一、对新获评国家级、省级、市级智能工厂的企业，分别给予200万元、100万元、30万元奖励。所需资金由区财政承担。\n"
    "二、本措施自2025年5月1日起施行，有效期至2027年12月31日。\n"
)
_BY_LEVEL_POLICY = """document:
  id: test-by-level
  title: 测试
  issuer: 测试
  level: district
  jurisdiction: "320506"
  source: text.txt
  valid: {from: 2025-05-01, to: 2027-12-31, cite: 本措施自2025年5月1日起施行，有效期至2027年12月31日}
  funding: {shares: {district: 1}, cite: 所需资金由区财政承担}
benefits:
  - id: t-factory
    article: "一"
    title: 智能工厂奖励
    event: recognition
    match: [{fact: title, in: [智能工厂]}]
    amount:
      by: levelEACH
      cases: {国家级: 200万元, 省级: 100万元, 市级: 30万元}
    cite: 对新获评国家级、省级、市级智能工厂的企业，分别给予200万元、100万元、30万元奖励
"""


@pytest.mark.parametrize("each", ["", "\n      each: fixed"], ids=["left-out", "fixed"])
def test_each_left_out_reads_bare_cases_as_max_and_says_so(tmp_path: Path, each: str) -> None:
    """分别给予200万元、100万元、30万元 with bare cases and no ``each`` was refused with 确定的金额应写
    fixed: 而非 max:, a max: the file does not write (each's default is max)."""
    (tmp_path / "text.txt").write_text(_BY_LEVEL_TEXT, encoding="utf-8")
    path = tmp_path / "by.yaml"
    path.write_text(_BY_LEVEL_POLICY.replace("EACH", each), encoding="utf-8")
    if each:
        (benefit,) = load_document(path, engine().catalogue).benefits
        assert benefit.id == "t-factory"
        return
    problems = _problems(path)
    assert any(
        "by.yaml:18: 奖补项 t-factory: 引文没有把200万写为上限（最高、不超过、以内……）：cases中只写金额、未写each时按 each: max（最高）读；"
        "确定的金额请在by旁写 each: fixed" in p
        for p in problems
    ), problems
