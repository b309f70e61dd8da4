"""苏府〔2020〕120号 (policies/suzhou-2020.yaml): payers of measure 一 and example coverage.

The worked examples themselves run in ``test_examples.py``; here we check
what they cannot state: who pays which part of the two-payer loan award, and
that every benefit of the document is granted by at least one example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huiqi.core.evaluator import documents_for
from huiqi.core.explain import award_dict
from huiqi.core.results import Award, Evaluation
from huiqi.service import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "policies" / "examples" / "suzhou-2020"
DOC = "suzhou-2020"


def _loan_scenario(region: str, amount: str, town: str | None = None) -> dict[str, Any]:
    enterprise: dict[str, Any] = {"credit_code": "91320506MA1W20001L", "name": "测试企业", "region": region}
    if town:
        enterprise["town"] = town
    return {
        "enterprise": enterprise,
        "events": [
            {
                "id": "L1",
                "kind": "loan",
                "date": "2022-06-01",
                "purpose": "智能化改造提升项目",
                "amount": amount,
                "via_platform": True,
            }
        ],
    }


def _evaluate(raw: dict[str, Any]) -> Evaluation:
    eng = engine()
    return eng.evaluate(eng.scenario(raw, "test"))


def _granted(ev: Evaluation, benefit: str) -> Award:
    found = [a for a in ev.awards if a.benefit.id == benefit]
    assert len(found) == 1, [a.benefit.id for a in ev.awards]
    return found[0]


def test_loan_interest_city_pays_one_percent_and_wuzhong_pays_the_open_floor() -> None:
    # 12,345,678.90元 × 1% = 123,456.789元: the city pays 123,456.78元 (rounded down to the fen); the county's
    # floor, 不低于1%, is met only from 123,456.79元 (a floor is rounded up)
    ev = _evaluate(_loan_scenario("320506", "12345678.90元", town="木渎镇"))
    city = award_dict(_granted(ev, "sz20-1-loan-city"))
    county = award_dict(_granted(ev, "sz20-1-loan-county"))

    assert [(p["role"], p["payer"], p["min_fen"], p["max_fen"]) for p in city["payers"]] == [
        ("city", "苏州市财政", 12_345_678, 12_345_678)
    ]
    assert city["min_fen"] == city["max_fen"] == 12_345_678

    assert [(p["role"], p["payer"]) for p in county["payers"]] == [("district", "吴中区财政")]
    assert county["max_fen"] is None
    assert county["min_fen"] == 12_345_679
    assert county["payers"][0]["max_fen"] is None
    assert county["payers"][0]["min_fen"] == 12_345_679

    assert ev.by_payer["苏州市财政"].low == ev.by_payer["苏州市财政"].high == 12_345_678
    assert ev.by_payer["吴中区财政"].low == 12_345_679
    assert ev.by_payer["吴中区财政"].high is None


def test_loan_interest_county_share_falls_to_the_enterprise_own_district() -> None:
    ev = _evaluate(_loan_scenario("320583", "1000万元"))
    county = _granted(ev, "sz20-1-loan-county")
    assert [(p.payer, p.low, p.high) for p in county.payers] == [("昆山市财政", 10_000_000, None)]
    city = _granted(ev, "sz20-1-loan-city")
    assert [(p.payer, p.low, p.high) for p in city.payers] == [("苏州市财政", 10_000_000, 10_000_000)]


def test_city_interest_cap_is_per_enterprise_year_and_county_floor_is_uncapped() -> None:
    # 3亿元 × 1% = 300万元: the city pays at most 200万元 a year; the county's 不低于1% has no cap.
    ev = _evaluate(_loan_scenario("320506", "3亿元", town="木渎镇"))
    assert (_granted(ev, "sz20-1-loan-city").low, _granted(ev, "sz20-1-loan-city").high) == (200_000_000, 200_000_000)
    assert (_granted(ev, "sz20-1-loan-county").low, _granted(ev, "sz20-1-loan-county").high) == (300_000_000, None)


def test_document_binds_suzhou_districts_but_not_wujin() -> None:
    library = engine().library
    assert DOC in {d.id for d in documents_for(library, "320506")}
    assert DOC in {d.id for d in documents_for(library, "320583")}
    assert DOC not in {d.id for d in documents_for(library, "320412")}


ARTICLES = (
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一",
    "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十", "二十一", "二十二",
)  # fmt: skip


# measures that award nothing to an enterprise: 三 supports 各地 (localities) in applying for 示范基地, 十二 is
# a government task; each is a note of the document quoting its words, not an item an enterprise 可享受
NOT_AWARDS = {"三": "支持各地申报国家级、省级工业互联网产业示范基地", "十二": "打造质量基础设施“一站式”数字化服务平台"}


@pytest.mark.parametrize("article", ARTICLES)
def test_all_twenty_two_measures_are_encoded(article: str) -> None:
    doc = engine().library.by_id[DOC]
    if article in NOT_AWARDS:
        assert not any(b.article == article for b in doc.benefits), article
        assert any(n.quote == NOT_AWARDS[article] for n in doc.notes), article
    else:
        assert any(b.article == article for b in doc.benefits), article


def test_a_one_off_award_without_its_product_is_paid_and_says_it_could_not_be_checked() -> None:
    """首台（套）“一次性奖励” is once per product (once_per: product). Two recognitions without a
    product given cannot be shown to be the same product: both are paid, and each says so."""
    eng = engine()
    events = [
        {
            "id": f"F{i}",
            "kind": "recognition",
            "date": f"2022-0{i}-01",
            "title": "首台（套）装备及关键零部件",
            "level": "省级",
            "unit_price": "100万元",
        }
        for i in (1, 2)
    ]
    raw = {"enterprise": {"credit_code": "91320585MA1W20006H", "name": "测试企业", "region": "320585"}, "events": events}
    ev = eng.evaluate(eng.scenario(raw))
    awards = [a for a in ev.awards if a.benefit.id == "sz20-16-first-set"]
    assert [a.event.id for a in awards if a.event] == ["F1", "F2"] and not ev.set_aside
    for a in awards:
        assert "未填写产品（型号、系列），无法核对是否已奖励过同一产品（型号、系列）（按未奖励过计）" in [s.text for s in a.steps]


def test_cloud_vouchers_are_for_small_and_medium_enterprises() -> None:
    """第四条 鼓励中小企业上云用平台: a large enterprise's 五星 is a near miss, as 第六、七条 treat size."""
    eng = engine()
    event = {"id": "C1", "kind": "recognition", "date": "2022-06-01", "title": "上云企业", "level": "省级", "grade": "五星"}
    for size, granted in (("大型", False), ("中型", True)):
        ent = {"credit_code": "91320585MA1W200012", "name": "测试企业", "region": "320585", "size": size}
        ev = eng.evaluate(eng.scenario({"enterprise": ent, "events": [event]}))
        assert any(a.benefit.id == "sz20-4-cloud" for a in ev.awards) is granted
        if not granted:
            (miss,) = [a for a in ev.near_misses if a.benefit.id == "sz20-4-cloud"]
            assert [r.text for r in miss.reasons] == ["企业规模“大型”不属于中型、小型、微型"]
