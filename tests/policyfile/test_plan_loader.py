"""Tests of the plan loader against the real 苏州市“十三五”工业发展规划 data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

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
        ["创新能力"] * 3
        + ["自主品牌"] * 3
        + ["质量效益"] * 3
        + ["产业结构"] * 3
        + ["两化融合"] * 4
        + ["绿色低碳"] * 4
    )
    assert len({indicator.id for indicator in plan.indicators}) == 20


@pytest.mark.parametrize(
    ("indicator_id", "target", "baseline", "unit"),
    [
        ("value-added-rate", "23", "20.5", "%"),
        ("high-tech-industries-share", "50", "45.9", "%"),
        ("emerging-industries-share", "55", "48.7", "%"),
        ("labour-productivity", "25", "21", "万元/人"),
    ],
)
def test_indicator_values(
    plan: Plan, indicator_id: str, target: str, baseline: str, unit: str
) -> None:
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
    targets = {
        industry.name: industry.output_target_2020 for industry in plan.industries
    }
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


def test_annexed_policy_status_on_2026_11_22(plan: Plan) -> None:
    on = date(2026, 11, 22)
    policies = {policy.id: policy for policy in plan.annexed_policies}
    assert policies["made-in-china-2025-suzhou"].status(on) == "已失效"  # 2015～2025
    assert policies["cost-reduction"].status(on) == "已失效"  # 2016～2018
    assert policies["advanced-manufacturing-measures"].status(on) == "有效"  # 2017年起
    assert (
        policies["advanced-manufacturing-measures"].status(date(2016, 9, 30))
        == "未生效"
    )
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
    source = SourceText(
        "plan", (TEXTS / Path(plan.document.source).name).read_text("utf-8")
    )
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
    path = _write_variant(
        tmp_path, "- 8规模以上工业增加值率（%）23\n", "- 8规模以上工业增加值率（%）24\n"
    )
    with pytest.raises(PlanFileError) as caught:
        load_plan(path, TEXTS)
    message = str(caught.value)
    assert message.startswith(
        "suzhou-2016-plan.yaml: indicators[7] (value-added-rate): "
    )
    assert "引文未在原文中找到：8规模以上工业增加值率（%）24" in message


def test_missing_field_names_entry_and_field(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "    name: 新材料产业\n", "")
    with pytest.raises(
        PlanFileError, match=r"industries\[2\] \(new-materials\): 缺少字段 name"
    ):
        load_plan(path, TEXTS)


def test_invalid_decimal_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'target_2020: "1.35"', 'target_2020: "一点三五"')
    with pytest.raises(
        PlanFileError, match=r"indicators\[0\] \(rd-spending-ratio\): 字段 target_2020"
    ):
        load_plan(path, TEXTS)


def test_float_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'target_2020: "13.5"', "target_2020: 13.5")
    with pytest.raises(PlanFileError, match="应写为数字字符串"):
        load_plan(path, TEXTS)


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path, "  - id: co2-intensity-cut\n", "  - id: energy-intensity-cut\n"
    )
    with pytest.raises(
        PlanFileError, match=r"indicators\[18\] \(energy-intensity-cut\): id 重复"
    ):
        load_plan(path, TEXTS)


def test_bad_period_is_refused(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "period: {from: 2017-01-01, to: null}",
        "period: {from: 2017-01-01, to: 2016-12-31}",
    )
    with pytest.raises(
        PlanFileError, match=r"advanced-manufacturing-measures.*起始日期晚于截止日期"
    ):
        load_plan(path, TEXTS)


def test_missing_source_text(tmp_path: Path) -> None:
    with pytest.raises(
        PlanFileError, match=r"document \(suzhou-2016-plan\): 原文无法读取"
    ):
        load_plan(PLAN_FILE, tmp_path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(["not", "a", "mapping"]), encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"bad\.yaml: 顶层应为映射"):
        load_plan(path, TEXTS)
