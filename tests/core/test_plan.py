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
    plan_dict,
    render_plan,
    target_value,
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
        baseline_text=None,
        nature="预期性",
        nature_basis="表前“实现以下预期目标”；表中无属性栏",
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
        baseline_text=None,
        nature=None,
        nature_basis="表中无属性栏；本项为“完成省逐年下达的任务指标”",
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
        group="规划目标",
        name="高新技术企业数",
        kind="target",
        year=2020,
        period=None,
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
        # “2017年起”: the text gives no end, so the status does not claim 有效
        (Period(date(2017, 1, 1), None), date(2026, 11, 22), "期限未载明"),
        (Period(date(2017, 1, 1), None), date(2017, 1, 1), "期限未载明"),
        (Period(None, date(2020, 12, 31)), date(2021, 1, 1), "已失效"),
        (Period(None, None), date(2026, 11, 22), "期限未载明"),
        (None, date(2026, 11, 22), "期限未载明"),
    ],
)
def test_annexed_policy_status(period: Period | None, on: date, expected: str) -> None:
    assert _policy(period).status(on) == expected


def test_period_describe() -> None:
    assert Period(date(2016, 1, 1), date(2020, 12, 31)).describe() == "2016-01-01 至 2020-12-31"
    assert Period(date(2016, 1, 1), None).describe() == "2016-01-01 起，止期未载明"
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
    assert "2020年目标：23%；2015年：20.5%；单位：%；属性：预期性（按解释：表前“实现以下预期目标”；表中无属性栏）" in report
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


def _indicator(**changes: object) -> Indicator:
    fields: dict[str, object] = {
        "id": "labour-productivity",
        "category": "质量效益",
        "name": "工业企业全员劳动生产率",
        "unit": "万元/人",
        "target_2020": Decimal(25),
        "target_text": None,
        "baseline_2015": None,
        "baseline_text": "未载明（第一章另载的数据口径不同，见注）",
        "nature": "预期性",
        "nature_basis": "表前“实现以下预期目标”；表中无属性栏",
        "note": "第一章载“规模以上工业企业全员劳动生产率21万元/人”，口径不同，未作2015年值。",
        "cite": ("9工业企业全员劳动生产率（万元/人）25", "规模以上工业企业全员劳动生产率21万元/人"),
    }
    fields.update(changes)
    return Indicator(**fields)  # type: ignore[arg-type]


def _target(**changes: object) -> PlanTarget:
    fields: dict[str, object] = {
        "id": "t",
        "group": "规划目标",
        "name": "高新技术企业数",
        "kind": "target",
        "year": None,
        "period": None,
        "value": Decimal(4000),
        "value_max": None,
        "unit": "家",
        "qualifier": None,
        "printed": None,
        "compared_with": None,
        "note": None,
        "cite": ("高新技术企业超过4000家",),
    }
    fields.update(changes)
    return PlanTarget(**fields)  # type: ignore[arg-type]


def _with(indicators: tuple[Indicator, ...] = (), targets: tuple[PlanTarget, ...] = ()) -> Plan:
    plan = _plan()
    return Plan(
        document=plan.document,
        indicators=indicators or plan.indicators,
        industries=plan.industries,
        annexed_policies=plan.annexed_policies,
        other_targets=targets or plan.other_targets,
    )


def test_2015_column_of_another_measure_shows_words_not_its_value() -> None:
    report = render_plan(_with(indicators=(_indicator(),)), date(2026, 11, 22))
    assert "2015年：未载明（第一章另载的数据口径不同，见注）" in report
    assert "2015年：21" not in report
    assert "注：第一章载“规模以上工业企业全员劳动生产率21万元/人”" in report
    data = plan_dict(_with(indicators=(_indicator(),)), date(2026, 11, 22))
    assert data["indicators"][0]["baseline_2015"] is None
    assert data["indicators"][0]["baseline_display"] == "未载明（第一章另载的数据口径不同，见注）"


def test_fall_against_2015_shows_its_words_in_the_2015_column() -> None:
    fall = _indicator(
        name="单位工业增加值能耗比2015年下降",
        unit="%",
        baseline_text="基数（表中“比2015年下降”，未载2015年数值）",
        note=None,
    )
    report = render_plan(_with(indicators=(fall,)), date(2026, 11, 22))
    assert "2015年：基数（表中“比2015年下降”，未载2015年数值）" in report


def test_attribute_is_shown_as_an_interpretation_with_its_reason() -> None:
    report = render_plan(_plan(), date(2026, 11, 22))
    assert "属性：预期性（按解释：表前“实现以下预期目标”；表中无属性栏）" in report
    # row 20 (完成省逐年下达的任务指标) gets no attribute, only the reason
    assert "属性：未载明（表中无属性栏；本项为“完成省逐年下达的任务指标”）" in report
    assert "属性：预期性\n" not in report


def test_render_plan_shows_each_indicators_cited_words() -> None:
    report = render_plan(_plan(), date(2026, 11, 22))
    assert "   引文：“8规模以上工业增加值率（%）23”；“2015年规模以上工业增加值率20.5%”" in report
    assert "   引文：“到2020年实现产业年产值3千亿元”" in report


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"qualifier": "超过"}, "超过4000家"),
        ({"value": Decimal(140), "qualifier": "多"}, "140多家"),
        ({"value": Decimal("1.3"), "unit": "万家", "qualifier": "以上"}, "1.3万家以上"),
        ({"value": Decimal(2), "value_max": Decimal(3), "printed": "2～3"}, "2～3家"),
        ({"value": Decimal(10), "unit": "个", "printed": "十大"}, "10个（原文作“十大”）"),
        ({"value": None, "unit": None, "printed": "三分之二", "qualifier": "以上"}, "三分之二以上"),
    ],
)
def test_target_value_keeps_the_comparison_word_and_unit(changes: dict[str, object], expected: str) -> None:
    assert target_value(_target(**changes)) == expected


def test_render_plan_shows_other_targets_grouped_with_their_cited_words() -> None:
    targets = (
        _target(id="a", group="“126”发展新态势", name="超级产业", value=Decimal(1), unit="个", cite=("1大超级产业",)),
        _target(id="b", qualifier="超过", year=2020, compared_with=YearValue(2015, Decimal(3478))),
        _target(id="c", group="“126”发展新态势", name="技术高地", value=Decimal(2), unit="个", cite=("2大技术高地",)),
    )
    report = render_plan(_with(targets=targets), date(2026, 11, 22))
    assert "四、其他数字（共3项，按所在部分分组）" in report
    section = report[report.index("四、其他数字") :]
    assert section.index("【“126”发展新态势】（2项）") < section.index("【规划目标】（1项）")
    assert "1. 〔目标〕超级产业：1个\n   引文：“1大超级产业”" in section
    assert "2. 〔目标〕技术高地：2个" in section
    assert "1. 〔目标〕高新技术企业数：超过4000家；2020年；对比 2015年：3478家\n   引文：“高新技术企业超过4000家”" in section


def test_target_of_a_period_shows_the_period_not_a_year() -> None:
    cut = _target(
        name="降成本行动计划：降低企业税费成本",
        value=Decimal(80),
        unit="亿元",
        period=Period(date(2016, 1, 1), date(2018, 12, 31)),
        note="实施期限2016～2018；原文未载明该数是各年数额还是期内合计。",
    )
    report = render_plan(_with(targets=(cut,)), date(2026, 11, 22))
    assert "降成本行动计划：降低企业税费成本：80亿元；2016-01-01 至 2018-12-31\n" in report
    assert "原文未载明该数是各年数额还是期内合计" in report


def test_plan_dict_is_plain_data_with_status_and_period_text() -> None:
    data = plan_dict(_plan(), date(2026, 11, 22))
    assert data["status_date"] == "2026-11-22"
    annex = data["annexed_policies"][0]
    assert (annex["status"], annex["period_text"]) == ("已失效", "2016-01-01 至 2018-12-31")
    assert annex["period"] == {"start": "2016-01-01", "end": "2018-12-31"}
    target = data["other_targets"][0]
    assert (target["value"], target["value_text"], target["compared_text"]) == ("4000", "超过4000家", "2015年：3478家")
    assert data["other_target_groups"] == ["规划目标"]
    assert data["indicators"][0]["nature_display"] == "预期性（按解释：表前“实现以下预期目标”；表中无属性栏）"
