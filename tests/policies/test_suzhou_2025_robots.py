"""苏州2025具身智能: behaviour beyond the worked examples.

Amounts are computed by hand from policies/texts/suzhou-2025-embodied-ai-robots.txt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huiqi.core.results import Evaluation
from huiqi.service import engine

from .support import only_award

EXAMPLES = Path(__file__).resolve().parents[2] / "policies" / "examples" / "suzhou-2025-robots"
WAN = 1_000_000  # fen in 1万元
LARGE_MODEL = "sz25-8-large-model-compute"


def _evaluate(region: str, events: list[dict[str, Any]], prior_awards: list[dict[str, Any]] | None = None) -> Evaluation:
    eng = engine()
    code = {"320505": "91320505MA1W25002D", "320506": "91320506MA1W25001Q", "320412": "91320412MA1WJ00011"}[region]
    raw: dict[str, Any] = {"enterprise": {"credit_code": code, "name": "示例企业", "region": region}, "events": events}
    if prior_awards:
        raw["prior_awards"] = prior_awards
    return eng.evaluate(eng.scenario(raw))


def _compute(event_id: str, day: str, cost: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "kind": "compute_use",
        "date": day,
        "compute_cost": cost,
        "embodied_ai": True,
        "model_params": 150,
        "typical_scenarios": 5,
        "model_builder": True,
    }


def _prior(year: int) -> dict[str, Any]:
    return {"amount": "100万元", "year": year, "level": "city", "document": "苏州2025具身智能", "benefit": LARGE_MODEL}


def test_large_model_compute_third_year_is_granted() -> None:
    # Supported in 2025 and 2026: 2027 is the third year. 50% × 400万元 = 200万元 (≤ 300万元).
    ev = _evaluate("320505", [_compute("C1", "2027-06-30", "400万元")], [_prior(2025), _prior(2026)])
    award = only_award(ev.awards, LARGE_MODEL, "C1")
    assert (award.low, award.high) == (200 * WAN, 200 * WAN)


def test_large_model_compute_after_three_years_is_a_near_miss() -> None:
    # 最多3年: prior awards of this benefit in three earlier years → a fourth year is refused.
    # (Within 2025-06-01…2027-12-31 the limit cannot bind in practice; the 2024 prior
    # stands for support recorded before this text, to exercise the limit.)
    ev = _evaluate("320505", [_compute("C1", "2027-06-30", "400万元")], [_prior(2024), _prior(2025), _prior(2026)])
    assert not [a for a in ev.awards if a.benefit.id == LARGE_MODEL]
    miss = only_award(ev.near_misses, LARGE_MODEL, "C1")
    assert any("最多3年" in r.text for r in miss.reasons), [r.text for r in miss.reasons]
    # the 20% compute support still applies to the same cost: 400万元 × 20% = 80万元
    user = only_award(ev.awards, "sz25-8-compute-user", "C1")
    assert (user.low, user.high) == (80 * WAN, 80 * WAN)


def test_compute_user_yearly_cap_spans_events_of_one_year() -> None:
    # 20% × 600万元 = 120万元; 20% × 500万元 = 100万元 but only 80万元 of 每年最高200万元 remain.
    not_builder = {"embodied_ai": False}
    ev = _evaluate(
        "320505",
        [
            {**_compute("C1", "2026-03-31", "600万元"), **not_builder},
            {**_compute("C2", "2026-09-30", "500万元"), **not_builder},
        ],
    )
    assert only_award(ev.awards, "sz25-8-compute-user", "C1").high == 120 * WAN
    second = only_award(ev.awards, "sz25-8-compute-user", "C2")
    assert (second.low, second.high) == (80 * WAN, 80 * WAN)


def test_humanoid_uplift_is_shown_and_binds_only_inside_suzhou() -> None:
    event = {
        "id": "R1",
        "kind": "recognition",
        "date": "2025-09-01",
        "title": "首台（套）重大装备",
        "level": "市级",
        "embodied_ai": True,
        "humanoid_robot": True,
    }
    inside = only_award(_evaluate("320506", [event]).awards, "sz25-9-first-set", "R1")
    assert (inside.low, inside.high) == (0, 120 * WAN)
    assert any("上浮20%" in s.text for s in inside.steps)
    outside = _evaluate("320412", [event])
    assert all(a.document.id != "suzhou-2025-robots" for a in outside.awards + outside.near_misses + outside.set_aside)


def test_the_payer_is_named_in_this_texts_words() -> None:
    """本政策所涉及资金按原渠道和财政体制要求落实: not 按现行财政体制分级承担, which is 苏州2020's and
    武进's wording (the label all unspecified payers had)."""
    ev = _evaluate("320506", [{"id": "P1", "kind": "project", "date": "2025-07-01", "category": "机器人专业展览"}])
    award = only_award(ev.awards, "sz25-6-exhibition", "P1")
    assert [p.payer for p in award.payers] == ["苏州市（按原渠道和财政体制要求落实）"]
    assert set(ev.by_payer) == {"苏州市（按原渠道和财政体制要求落实）"}
