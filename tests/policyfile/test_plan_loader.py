"""Tests of the plan loader against the real 苏州市“十三五”工业发展规划 data."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from huiqi.core.plan import Plan, render_plan
from huiqi.core.text import SourceText
from huiqi.policyfile.plan_loader import PlanFileError, load_plan

POLICIES = Path(__file__).resolve().parents[2] / "policies"
PLAN_FILE = POLICIES / "suzhou-2016-plan.yaml"
TEXTS = POLICIES / "texts"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN_FILE, TEXTS)


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the plan file with one piece of text replaced (exactly once)."""
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / PLAN_FILE.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_document(plan: Plan) -> None:
    document = plan.document
    assert document.title == "苏州市“十三五”工业发展规划"
    assert document.number == "苏府办〔2016〕213号"
    assert document.issuer == "苏州市人民政府办公室"
    assert document.issued == date(2016, 9, 30)
    assert (document.period.start, document.period.end) == (
        date(2016, 1, 1),
        date(2020, 12, 31),
    )
    assert document.jurisdiction == "320500"


def test_counts(plan: Plan) -> None:
    assert len(plan.indicators) == 20
    assert len(plan.industries) == 6
    assert len(plan.annexed_policies) == 13


def test_indicators_follow_the_table_order(plan: Plan) -> None:
    categories = [indicator.category for indicator in plan.indicators]
    assert categories == (
        ["创新能力"] * 3 + ["自主品牌"] * 3 + ["质量效益"] * 3 + ["产业结构"] * 3 + ["两化融合"] * 4 + ["绿色低碳"] * 4
    )
    assert len({indicator.id for indicator in plan.indicators}) == 20


@pytest.mark.parametrize(
    ("indicator_id", "target", "baseline", "unit"),
    [
        ("value-added-rate", "23", "20.5", "%"),
        ("high-tech-industries-share", "50", "45.9", "%"),
    ],
)
def test_indicator_values(plan: Plan, indicator_id: str, target: str, baseline: str, unit: str) -> None:
    indicator = next(i for i in plan.indicators if i.id == indicator_id)
    assert indicator.target_2020 == Decimal(target)
    assert indicator.baseline_2015 == Decimal(baseline)
    assert indicator.unit == unit


def test_indicator_without_a_number(plan: Plan) -> None:
    last = plan.indicators[-1]
    assert last.name == "主要污染物排放下降幅度"
    assert last.target_2020 is None
    assert last.target_text == "完成省逐年下达的任务指标"


def test_industry_targets(plan: Plan) -> None:
    targets = {industry.name: industry.output_target_2020 for industry in plan.industries}
    assert targets == {
        "新一代电子信息产业": Decimal(10000),
        "高端装备制造产业": Decimal(8000),
        "新材料产业": Decimal(8000),
        "软件和集成电路产业": Decimal(3000),
        "新能源与节能环保产业": Decimal(3000),
        "医疗器械和生物医药产业": Decimal(2000),
    }
    assert all(industry.output_unit == "亿元" for industry in plan.industries)
    assert all(industry.segments and industry.parks for industry in plan.industries)


def test_industry_segments_are_the_tables_words(plan: Plan) -> None:
    """Each industry's segments, joined with 、, are the table's cell as written: the 高端装备 list ends
    “海洋工程装备等”, and showing it without 等 made an open list look complete."""
    for industry in plan.industries:
        row = industry.cite[-1]
        listed = "、".join(industry.segments)
        assert listed in row, industry.name
        after = row[row.index(listed) + len(listed)]
        assert after.isdigit(), (industry.name, after)  # the 2020 target's figure follows the list


def test_annexed_policy_status_on_2026_11_22(plan: Plan) -> None:
    on = date(2026, 11, 22)
    policies = {policy.id: policy for policy in plan.annexed_policies}
    assert policies["made-in-china-2025-suzhou"].status(on) == "已失效"  # 2015～2025
    assert policies["cost-reduction"].status(on) == "已失效"  # 2016～2018
    assert policies["advanced-manufacturing-measures"].status(on) == "期限未载明"  # 2017年起
    assert policies["advanced-manufacturing-measures"].status(date(2016, 9, 30)) == "未生效"
    assert not any(policy.encoded for policy in plan.annexed_policies)


def test_other_targets(plan: Plan) -> None:
    targets = {target.id: target for target in plan.other_targets}
    assert targets["high-tech-enterprises-target"].value == Decimal(4000)
    assert targets["industrial-output-2015"].value == Decimal("3.57")
    compared = targets["industrial-output-2015"].compared_with
    assert compared is not None and (compared.year, compared.value) == (
        2010,
        Decimal("2.85"),
    )
    assert targets["manufacturing-support-fund"].value == Decimal(200)
    assert {target.kind for target in plan.other_targets} == {"target", "fact"}


def test_every_cite_is_in_the_source_text(plan: Plan) -> None:
    source = SourceText("plan", (TEXTS / Path(plan.document.source).name).read_text("utf-8"))
    quotes = plan.cited_quotes()
    assert len(quotes) > 150
    assert [quote for quote in quotes if source.find(quote) is None] == []


def test_render_real_plan(plan: Plan) -> None:
    report = render_plan(plan, date(2026, 11, 22))
    for heading in (
        "一、指标（共20项）",
        "二、重点产业（共6个）",
        "三、附件政策文件（共13件",
    ):
        assert heading in report
    assert "《中国制造2025苏州实施纲要》" in report
    assert "状态：已失效；未编码" in report


def test_broken_cite_names_the_entry(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "- 8规模以上工业增加值率（%）23\n", "- 8规模以上工业增加值率（%）24\n")
    with pytest.raises(PlanFileError) as caught:
        load_plan(path, TEXTS)
    message = str(caught.value)
    assert message.startswith("suzhou-2016-plan.yaml: indicators[7] (value-added-rate): ")
    assert "引文未在原文中找到：8规模以上工业增加值率（%）24" in message


def test_missing_field_names_entry_and_field(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "    name: 新材料产业\n", "")
    with pytest.raises(PlanFileError, match=r"industries\[2\] \(new-materials\): 缺少字段 name"):
        load_plan(path, TEXTS)


def test_invalid_decimal_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'target_2020: "1.35"', 'target_2020: "一点三五"')
    with pytest.raises(PlanFileError, match=r"indicators\[0\] \(rd-spending-ratio\): 字段 target_2020"):
        load_plan(path, TEXTS)


def test_float_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'target_2020: "13.5"', "target_2020: 13.5")
    with pytest.raises(PlanFileError, match="应写为数字字符串"):
        load_plan(path, TEXTS)


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "  - id: co2-intensity-cut\n", "  - id: energy-intensity-cut\n")
    with pytest.raises(PlanFileError, match=r"indicators\[18\] \(energy-intensity-cut\): id 重复"):
        load_plan(path, TEXTS)


def test_bad_period_is_refused(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "period: {from: 2017-01-01, to: null}",
        "period: {from: 2017-01-01, to: 2016-12-31}",
    )
    with pytest.raises(PlanFileError, match=r"advanced-manufacturing-measures.*起始日期晚于截止日期"):
        load_plan(path, TEXTS)


def test_missing_source_text(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match=r"document \(suzhou-2016-plan\): 原文无法读取"):
        load_plan(PLAN_FILE, tmp_path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(["not", "a", "mapping"]), encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"bad\.yaml: 顶层应为映射"):
        load_plan(path, TEXTS)


@pytest.mark.parametrize(
    ("indicator_id", "figure", "words"),
    [
        # 工业企业 vs 规模以上工业企业
        ("labour-productivity", "21", "规模以上工业企业全员劳动生产率21万元/人"),
        # 两化融合发展水平总指数 vs 企业“两化”融合指数
        ("informatization-index", "127", "企业“两化”融合指数达127"),
        # 新兴产业（按市统计口径）vs 制造业领域战略性新兴产业
        ("emerging-industries-share", "48.7", "占规模以上工业总产值的比重由28.8%提高到48.7%"),
    ],
)
def test_2015_figures_of_other_measures_stay_out_of_the_2015_column(
    plan: Plan, indicator_id: str, figure: str, words: str
) -> None:
    """Like indicators 1, 6 and 15: no 2015 value (口径不同); the figure and its words in the note, cited."""
    indicator = next(i for i in plan.indicators if i.id == indicator_id)
    assert indicator.baseline_2015 is None
    assert indicator.baseline_text == "未载明（第一章另载的数据口径不同，见注）"
    assert indicator.note is not None and words in indicator.note and "口径" in indicator.note
    assert any(words in quote for quote in indicator.cite), figure
    report = render_plan(plan, date(2026, 11, 22))
    row = report[report.index(f"〔{indicator.category}〕{indicator.name}\n") :].split("\n")[1]
    assert "2015年：未载明（第一章另载的数据口径不同，见注）" in row


def test_refused_2015_values_are_treated_alike(plan: Plan) -> None:
    refused = {i.id for i in plan.indicators if i.baseline_text and "口径不同" in i.baseline_text}
    assert refused == {
        "rd-spending-ratio",
        "branded-enterprise-sales",
        "digital-design-tools",
        "labour-productivity",
        "emerging-industries-share",
        "informatization-index",
    }
    for indicator in plan.indicators:
        if indicator.id in refused:
            assert indicator.note is not None and "未作2015年值" in indicator.note, indicator.id
            assert len(indicator.cite) >= 2, indicator.id  # the other measure's words are cited too


def test_falls_against_2015_show_their_words(plan: Plan) -> None:
    report = render_plan(plan, date(2026, 11, 22))
    for indicator_id in ("energy-intensity-cut", "co2-intensity-cut"):
        indicator = next(i for i in plan.indicators if i.id == indicator_id)
        assert indicator.baseline_2015 is None
        assert indicator.baseline_text is not None and "“比2015年下降”" in indicator.baseline_text
        assert f"2015年：{indicator.baseline_text}；" in report


def test_annexed_policies_with_only_a_start_are_not_shown_in_force(plan: Plan) -> None:
    open_ended = [p for p in plan.annexed_policies if p.period is not None and p.period.end is None]
    assert {p.id for p in open_ended} == {
        "software-ic-policy",
        "photovoltaic",
        "e-commerce",
        "headquarters-economy",
        "advanced-manufacturing-measures",
    }
    for on in (date(2017, 6, 1), date(2026, 11, 22)):
        assert {p.status(on) for p in open_ended} == {"期限未载明"}
    report = render_plan(plan, date(2026, 11, 22))
    assert "实施期限：2015-01-01 起，止期未载明；状态：期限未载明" in report
    assert "状态：有效" not in report


def test_attribute_is_an_interpretation_and_row_20_is_not_expected(plan: Plan) -> None:
    *rows, last = plan.indicators
    for indicator in rows:
        assert indicator.nature == "预期性"
        assert indicator.nature_basis is not None and "表前“实现以下预期目标”" in indicator.nature_basis
    assert last.target_text == "完成省逐年下达的任务指标"
    assert last.nature is None
    assert last.nature_basis is not None and "不按" in last.nature_basis
    report = render_plan(plan, date(2026, 11, 22))
    assert "属性：预期性\n" not in report and "属性：预期性；" not in report
    assert report.count("属性：预期性（按解释：表前“实现以下预期目标”；表中无属性栏）") == 19


def test_nature_without_its_basis_is_refused(tmp_path: Path) -> None:
    text = PLAN_FILE.read_text(encoding="utf-8")
    basis = "    nature_basis: 表前“实现以下预期目标”；表中无属性栏\n"
    path = tmp_path / PLAN_FILE.name
    path.write_text(text.replace(basis, "", 1), encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"indicators\[0\] \(rd-spending-ratio\): 字段 nature 须附 nature_basis"):
        load_plan(path, TEXTS)


def test_annex_8_and_9_targets_carry_the_period_not_a_year(plan: Plan) -> None:
    annexed = [t for t in plan.other_targets if t.id.startswith(("cost-cut-", "capacity-cut-"))]
    assert len(annexed) == 9
    for target in annexed:
        assert target.year is None, target.id
        assert target.period is not None
        assert (target.period.start, target.period.end) == (date(2016, 1, 1), date(2018, 12, 31))
        assert target.note is not None and "原文未载明该数是各年数额还是期内合计" in target.note
    assert not any(t.year == 2018 for t in plan.other_targets)


def test_year_and_period_together_are_refused(tmp_path: Path) -> None:
    old = '    value: "80"\n    unit: 亿元\n'
    path = _write_variant(tmp_path, old, "    year: 2018\n" + old)
    with pytest.raises(PlanFileError, match=r"cost-cut-taxes-fees\): 字段 year 与 period 只能填写其一"):
        load_plan(path, TEXTS)


def test_key_points_keep_the_texts_words_or_name_them(plan: Plan) -> None:
    """A corrected word is marked (原文作“…”) and the marked words stand in the cited row."""
    photovoltaic = next(p for p in plan.annexed_policies if p.id == "photovoltaic")
    assert "兼并重组（原文作“兼备重组”）" in photovoltaic.key_points
    for policy in plan.annexed_policies:
        for printed in re.findall(r"原文作“([^”]+)”", policy.key_points):
            assert any(printed in quote for quote in policy.cite), (policy.id, printed)
    # no silent correction: 兼并重组 is only in key points where the row has it or the correction is named
    for policy in plan.annexed_policies:
        if "兼并重组" in policy.key_points and not any("兼并重组" in q for q in policy.cite):
            assert "原文作" in policy.key_points, policy.id


def test_other_targets_are_grouped_and_chapter_1_figures_stand_under_their_heading(plan: Plan) -> None:
    source = SourceText("plan", (TEXTS / Path(plan.document.source).name).read_text("utf-8"))
    headings = [
        "（一）综合实力再上台阶",
        "（二）产业结构持续优化",
        "（三）创新能力显著增强",
        "（四）质量效益稳步提高",
        "（五）集聚集约高位提升",
        "（六）“两化”融合加快推进",
        "二、存在问题",
        "第二章",
    ]
    starts = []
    for heading in headings:
        span = source.find(heading)
        assert span is not None, heading
        starts.append(span.start)
    groups = list(dict.fromkeys(t.group for t in plan.other_targets))
    assert groups[0] == "“126”发展新态势"
    assert [t.value for t in plan.other_targets if t.group == groups[0]] == [1, 2, 6]
    for target in plan.other_targets:
        if not target.group.startswith("第一章"):
            continue
        index = next(i for i, h in enumerate(headings[:-1]) if h in target.group)
        for quote in target.cite:
            spans = source.find_all(quote)
            assert any(starts[index] <= s.start < starts[index + 1] for s in spans), (target.id, quote)


def test_render_real_plan_shows_other_figures_and_126(plan: Plan) -> None:
    report = render_plan(plan, date(2026, 11, 22))
    assert f"四、其他数字（共{len(plan.other_targets)}项，按所在部分分组）" in report
    assert "【“126”发展新态势】（3项）" in report
    assert (
        "〔目标〕“126”发展新态势：超级产业（电子信息产业）：1个\n   引文：“以新兴产业引领制造业形成“126”发展新态势：1大超级产业，即电子信息产业”"
        in report
    )
    assert "〔目标〕高新技术企业数：超过4000家；2020年；对比 2015年：3478家" in report
    assert "〔现状〕在苏投资的世界500强公司：140多家；2015年" in report
    # every other figure is shown with its cited words
    assert report.count("   引文：") == (
        len(plan.indicators) + len(plan.industries) + len(plan.annexed_policies) + len(plan.other_targets)
    )


def test_texts_shown_to_readers_name_entries_by_their_names_not_their_ids(plan: Plan) -> None:
    # notes are shown on the 规划 page and in `huiqi plan`: 占比见 high-tech-industries-share means nothing to a reader
    entries: list[Any] = [*plan.indicators, *plan.industries, *plan.annexed_policies, *plan.other_targets]
    ids = {e.id for e in entries}
    for e in entries:
        for name in ("note", "nature_basis", "key_points"):
            text = getattr(e, name, None) or ""
            assert not any(i in text for i in ids), (e.id, name, text)
    assert "占比见主要指标“高新技术产业产值占规模以上工业产值比重”" in render_plan(plan, date(2026, 11, 22))
