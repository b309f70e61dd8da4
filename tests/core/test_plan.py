"""Tests of the plan model: annexed-policy status, citations and the report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.core.plan import (
    AnnexedPolicy,
    Indicator,
    KeyIndustry,
    Period,
    Plan,
    PlanDocument,
    PlanTarget,
    YearValue,
    render_plan,
)


def _policy(period: Period | None) -> AnnexedPolicy:
    return AnnexedPolicy(
        id="p",
        title="苏州市供给侧结构性改革降成本行动计划",
        key_points="降低企业税费成本80亿元",
        period=period,
        encoded=False,
        cite=("降低企业税费成本80亿元",),
    )


def _plan() -> Plan:
    document = PlanDocument(
        id="suzhou-2016-plan",
        title="苏州市“十三五”工业发展规划",
        number="苏府办〔2016〕213号",
        issuer="苏州市人民政府办公室",
        source="texts/x.txt",
        issued=date(2016, 9, 30),
        period=Period(date(2016, 1, 1), date(2020, 12, 31)),
        jurisdiction="320500",
        cite=("苏府办〔2016〕213号",),
    )
    indicator = Indicator(
        id="value-added-rate",
        category="质量效益",
        name="规模以上工业增加值率",
        unit="%",
        target_2020=Decimal(23),
        target_text=None,
        baseline_2015=Decimal("20.5"),
        nature="预期性",
        note=None,
        cite=("8规模以上工业增加值率（%）23", "2015年规模以上工业增加值率20.5%"),
    )
    pollutants = Indicator(
        id="major-pollutants-cut",
        category="绿色低碳",
        name="主要污染物排放下降幅度",
        unit="%",
        target_2020=None,
        target_text="完成省逐年下达的任务指标",
        baseline_2015=None,
        nature=None,
        note=None,
        cite=("完成省逐年下达的任务指标",),
    )
    industry = KeyIndustry(
        id="software-ic",
        name="软件和集成电路产业",
        output_target_2020=Decimal(3000),
        output_unit="亿元",
        segments=("云计算", "大数据"),
        parks=("苏州工业园区",),
        cite=("到2020年实现产业年产值3千亿元",),
    )
    target = PlanTarget(
        id="high-tech-enterprises-target",
        name="高新技术企业数",
        kind="target",
        year=2020,
        value=Decimal(4000),
        value_max=None,
        unit="家",
        qualifier="超过",
        printed=None,
        compared_with=YearValue(2015, Decimal(3478)),
        note=None,
        cite=("高新技术企业超过4000家",),
    )
    return Plan(
        document=document,
        indicators=(indicator, pollutants),
        industries=(industry,),
        annexed_policies=(_policy(Period(date(2016, 1, 1), date(2018, 12, 31))),),
        other_targets=(target,),
    )


@pytest.mark.parametrize(
    ("period", "on", "expected"),
    [
        (Period(date(2016, 1, 1), date(2018, 12, 31)), date(2026, 11, 22), "已失效"),
        (Period(date(2016, 1, 1), date(2018, 12, 31)), date(2018, 12, 31), "有效"),
        (Period(date(2016, 1, 1), date(2018, 12, 31)), date(2016, 1, 1), "有效"),
        (Period(date(2017, 1, 1), None), date(2016, 9, 30), "未生效"),
        (Period(date(2017, 1, 1), None), date(2026, 11, 22), "有效"),
        (Period(None, date(2020, 12, 31)), date(2021, 1, 1), "已失效"),
        (Period(None, None), date(2026, 11, 22), "期限未载明"),
        (None, date(2026, 11, 22), "期限未载明"),
    ],
)
def test_annexed_policy_status(period: Period | None, on: date, expected: str) -> None:
    assert _policy(period).status(on) == expected


def test_period_describe() -> None:
    assert (
        Period(date(2016, 1, 1), date(2020, 12, 31)).describe()
        == "2016-01-01 至 2020-12-31"
    )
    assert Period(date(2016, 1, 1), None).describe() == "2016-01-01 起"
    assert Period(None, None).describe() == "未载明"


def test_cited_quotes_lists_every_cite_in_order() -> None:
    assert _plan().cited_quotes() == [
        "苏府办〔2016〕213号",
        "8规模以上工业增加值率（%）23",
        "2015年规模以上工业增加值率20.5%",
        "完成省逐年下达的任务指标",
        "到2020年实现产业年产值3千亿元",
        "降低企业税费成本80亿元",
        "高新技术企业超过4000家",
    ]


def test_render_plan_has_the_three_sections() -> None:
    report = render_plan(_plan(), date(2026, 11, 22))
    assert report.startswith("苏州市“十三五”工业发展规划\n")
    assert "苏府办〔2016〕213号" in report
    assert "规划期：2016-01-01 至 2020-12-31" in report
    sections = [
        "一、指标（共2项）",
        "二、重点产业（共1个）",
        "三、附件政策文件（共1件，状态按2026-11-22）",
    ]
    positions = [report.index(heading) for heading in sections]
    assert positions == sorted(positions)


def test_render_plan_shows_target_baseline_and_unit() -> None:
    report = render_plan(_plan(), date(2026, 11, 22))
    assert "〔质量效益〕规模以上工业增加值率" in report
    assert "2020年目标：23%；2015年：20.5%；单位：%；属性：预期性" in report
    assert "2020年目标：完成省逐年下达的任务指标；2015年：未载明" in report
    assert "软件和集成电路产业：2020年产值目标 3000 亿元" in report


def test_render_plan_shows_annex_status_and_encoding() -> None:
    report = render_plan(_plan(), date(2026, 11, 22))
    assert "《苏州市供给侧结构性改革降成本行动计划》" in report
    assert "实施期限：2016-01-01 至 2018-12-31；状态：已失效；未编码" in report
    earlier = render_plan(_plan(), date(2017, 6, 1))
    assert "状态：有效；未编码" in earlier


def test_plan_values_are_frozen() -> None:
    plan = _plan()
    with pytest.raises(AttributeError):
        plan.indicators[0].target_2020 = Decimal(1)  # type: ignore[misc]
