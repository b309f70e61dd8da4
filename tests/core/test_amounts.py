"""How an amount is reckoned, told without an enterprise's values (the compiled backends' granted rows)."""

from __future__ import annotations

import pytest

from huiqi.core.amounts import branch_texts, formula_text
from huiqi.core.context import fact_label
from huiqi.core.model import FactExpr
from huiqi.service import Engine, engine


@pytest.fixture(scope="module")
def eng() -> Engine:
    return engine()


def told(eng: Engine, benefit_id: str) -> tuple[str, list[str] | None]:
    b = eng.library.benefits[benefit_id]

    def label(expr: FactExpr) -> str:
        return fact_label(expr, eng.catalogue, b.event)

    return formula_text(b.amount, label), branch_texts(b.amount, label)


@pytest.mark.parametrize(
    ("benefit_id", "formula"),
    [
        ("wz-5-future-industry-task", "不超过企业实际投资总额（包含研发投入及相关设备投资） × 50%"),  # 不超过 … 50%
        ("sz20-1-loan-city", "贷款金额 × 1%"),
        ("wj-1-energy-saving", "不超过年节能量 × 400.00元/吨标准煤"),  # a unit price with its ceiling word
        ("wz-10-energy-saving", "项目实际总投入 × 5%；年节能量 × 1,000.00元/吨标准煤；不超过两项叠加"),
        ("sz20-16-first-set", "产品单台（套）销售价格 × 15%～30%，不低于40万元，最高不超过1000万元"),
        ("wj-2-first-5bn", "给予20万元"),
        ("sz20-2-provincial-workshop", "最高50万元（具体金额经审核确定）"),
    ],
)
def test_a_formula_is_told_with_its_words_and_numbers(eng: Engine, benefit_id: str, formula: str) -> None:
    assert told(eng, benefit_id) == (formula, None)


def test_an_amount_by_a_facts_value_or_by_tiers_is_told_case_by_case(eng: Engine) -> None:
    formula, cases = told(eng, "wz-18-pilot-platform")
    assert cases == ["级别为“国家级”：最高100万元（具体金额经审核确定）", "级别为“省级”：最高50万元（具体金额经审核确定）"]
    assert formula == "；".join(cases)
    _, tiers = told(eng, "wz-19-land-transformation")
    assert tiers == [
        "容积率超过2.5，适用该档：最高50万元（具体金额经审核确定）",
        "容积率超过4，适用该档：最高100万元（具体金额经审核确定）",
    ]


def test_support_without_an_amount_says_so_once(eng: Engine) -> None:
    """苏州2025 五 is encoded as 支持（原文未定金额）: the working said 原文未定金额 twice."""
    assert told(eng, "sz25-5-conversion-institutions") == ("支持方式：支持（原文未定金额）", None)
    assert told(eng, "wz-20-public-research") == ("支持方式：给予相应补助（原文未定金额）", None)
