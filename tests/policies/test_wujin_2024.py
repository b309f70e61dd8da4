"""武进2024: behaviour beyond the worked examples.

Amounts are computed by hand from policies/texts/wujin-2024-manufacturing-measures.txt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huiqi.core.results import Evaluation
from huiqi.service import engine

from .support import only_award

EXAMPLES = Path(__file__).resolve().parents[2] / "policies" / "examples" / "wujin-2024"
WAN = 1_000_000  # fen in 1万元

ENTERPRISE = {"credit_code": "91320412MA1WJ00011", "name": "示例武进企业", "region": "320412", "manufacturing_enterprise": True}


def _evaluate(events: list[dict[str, Any]], prior_awards: list[dict[str, Any]] | None = None) -> Evaluation:
    eng = engine()
    raw: dict[str, Any] = {"enterprise": dict(ENTERPRISE), "events": events}
    if prior_awards:
        raw["prior_awards"] = prior_awards
    return eng.evaluate(eng.scenario(raw))


def _insurance(event_id: str, day: str, premium: str, product: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "kind": "insurance",
        "date": day,
        "insurance_type": "创新产品首张订单保险",
        "premium": premium,
        "product": product,
        "in_changzhou_catalogue": True,
    }


def test_first_order_premium_capped_per_product_across_events() -> None:
    # 单个产品最高50万元: A 保费50万元 × 80% = 40万元; A again 20万元 × 80% = 16万元, only 10万元 left;
    # B 20万元 × 80% = 16万元 is a different product and untouched.
    ev = _evaluate(
        [
            _insurance("I1", "2024-03-01", "50万元", "A"),
            _insurance("I2", "2024-09-01", "20万元", "A"),
            _insurance("I3", "2024-10-01", "20万元", "B"),
        ]
    )
    assert only_award(ev.awards, "wj-11-first-order-insurance", "I1").high == 40 * WAN
    second = only_award(ev.awards, "wj-11-first-order-insurance", "I2")
    assert (second.low, second.high) == (0, 10 * WAN)
    assert any("50万元" in s.text for s in second.steps)
    assert only_award(ev.awards, "wj-11-first-order-insurance", "I3").high == 16 * WAN


def test_first_order_premium_cap_counts_prior_award_of_the_same_product() -> None:
    # 45万元 already paid for product A; 80% of 20万元 = 16万元 → only 5万元 left.
    ev = _evaluate(
        [_insurance("I1", "2024-06-01", "20万元", "A")],
        [{"amount": "45万元", "year": 2023, "level": "district", "benefit": "wj-11-first-order-insurance", "key": "A"}],
    )
    assert only_award(ev.awards, "wj-11-first-order-insurance", "I1").high == 5 * WAN


def test_the_payer_is_wujins_treasury_in_the_texts_words_apart_from_suzhous() -> None:
    """按现行财政体制分级承担 is also 苏州2020's wording: the two governments' money was one payer line
    (按出资方 of a register holding both, 苏州市's 11.8M and 武进's 1M together)."""
    ev = _evaluate([_insurance("I1", "2024-06-01", "20万元", "A")])
    award = only_award(ev.awards, "wj-11-first-order-insurance", "I1")
    assert [p.payer for p in award.payers] == ["武进区（按现行财政体制分级承担）"]
    suzhou = engine().library.by_id["suzhou-2020"].funding
    assert suzhou is not None and suzhou.unspecified_payer == "苏州市（按现行财政体制分级承担）"


def test_smart_upgrade_award_states_the_quota_of_20_projects() -> None:
    ev = _evaluate(
        [
            {
                "id": "P1",
                "kind": "project",
                "date": "2024-05-01",
                "category": "智改数转网联改造",
                "total_investment": "600万元",
                "smart_it_investment": "300万元",
            }
        ]
    )
    award = only_award(ev.awards, "wj-1-smart-upgrade", "P1")
    assert (award.low, award.high) == (0, 15 * WAN)
    assert any("20个" in s.text for s in award.steps), [s.text for s in award.steps]


def test_matter_already_supported_case_by_case_is_a_near_miss() -> None:
    # 注意事项1: 已按“一事一议”享受同类政策扶持的不再重复享受本政策.
    ev = _evaluate([{"id": "R1", "kind": "recognition", "date": "2024-05-01", "title": "灯塔工厂", "case_by_case_enjoyed": True}])
    assert not [a for a in ev.awards if a.benefit.id == "wj-4-lighthouse"]
    miss = [a for a in ev.near_misses if a.benefit.id == "wj-4-lighthouse"]
    assert miss and any("一事一议" in r.text for r in miss[0].reasons)


def test_events_outside_2024_get_nothing() -> None:
    ev = _evaluate([{"id": "R1", "kind": "recognition", "date": "2025-01-02", "title": "灯塔工厂"}])
    assert not [a for a in ev.awards if a.document.id == "wujin-2024"]
    miss = [a for a in ev.near_misses if a.benefit.id == "wj-4-lighthouse"]
    assert miss and any("有效期" in r.text for r in miss[0].reasons)


def test_a_set_aside_against_a_higher_level_award_quotes_the_note_on_higher_levels() -> None:
    """The set-aside rests on 注意事项2 (上级政策, 从优从高不重复), not on 第1条's 本条款内项目不得重复享受,
    which the document lists first."""
    ev = _evaluate(
        [{"id": "R2", "kind": "recognition", "date": "2024-04-01", "title": "专精特新中小企业", "level": "省级"}],
        [{"amount": "60万元", "year": 2024, "level": "province", "event": "R2", "document": "江苏省政策"}],
    )
    (award,) = ev.set_aside
    (reason,) = award.reasons
    assert reason.text.startswith("该事项已获江苏省政策奖励60万元，不低于本项最高50万元")
    assert reason.cite is not None and "从优从高不重复" in reason.cite.quote


def test_an_award_received_without_its_document_is_named_by_its_level_in_chinese() -> None:
    ev = _evaluate(
        [{"id": "R2", "kind": "recognition", "date": "2024-04-01", "title": "专精特新中小企业", "level": "省级"}],
        [{"amount": "60万元", "year": 2024, "level": "province", "event": "R2"}],
    )
    (award,) = ev.set_aside
    assert award.reasons[0].text.startswith("该事项已获省级奖励60万元")  # was 已获province奖励
