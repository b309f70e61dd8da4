"""Properties every evaluation keeps, over random scenarios from the live library."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings

from huiqi.core.evaluator import evaluate
from huiqi.core.explain import to_dict, year_key
from huiqi.core.model import Library
from huiqi.core.money import parse_money
from huiqi.core.results import Evaluation
from huiqi.service import engine

from .strategies import scenarios

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(raw: dict[str, Any], library: Library | None = None) -> Evaluation:
    eng = engine()
    return evaluate(library or eng.library, eng.catalogue, eng.scenario(raw))


@SETTINGS
@given(scenarios())
def test_no_amount_exceeds_the_caps_its_text_sets(raw: dict[str, Any]) -> None:
    ev = _run(raw)
    per_cap: dict[tuple[str, str], int] = {}
    for a in ev.awards:
        assert a.low >= 0
        assert a.high is None or a.low <= a.high
        for cap in a.benefit.caps:
            if cap.per == "item" and cap.fen is not None and a.benefit.uplift is None:
                assert a.high is not None and a.high <= cap.fen
            if cap.per == "enterprise_year" and cap.fen is not None and a.high is not None:
                year = str(a.event.date.year if a.event else ev.scenario.reference_date.year)
                per_cap[(cap.id, year)] = per_cap.get((cap.id, year), 0) + a.high
                assert per_cap[(cap.id, year)] <= cap.fen


@SETTINGS
@given(scenarios())
def test_exclusivity_never_raises_a_total(raw: dict[str, Any]) -> None:
    ev = _run(raw)
    eng = engine()
    free = Library(tuple(dataclasses.replace(d, exclusivity=()) for d in eng.library.documents))
    unrestricted = _run(raw, free)
    assert ev.total.low <= unrestricted.total.low
    if unrestricted.total.high is not None and ev.total.high is not None:
        assert ev.total.high <= unrestricted.total.high


@SETTINGS
@given(scenarios())
def test_totals_equal_the_sum_of_their_parts(raw: dict[str, Any]) -> None:
    ev = _run(raw)
    money = [a for a in ev.awards if a.is_money]
    assert ev.total.low == sum(a.low for a in money)
    assert ev.total.low == sum(t.low for t in ev.by_document.values())
    assert ev.total.low == sum(t.low for t in ev.by_payer.values())
    if all(a.high is not None for a in money):
        assert ev.total.high == sum(a.high or 0 for a in money)
        assert ev.total.high == sum(t.high or 0 for t in ev.by_payer.values())
    for a in money:
        assert sum(p.low for p in a.payers) == a.low
        if a.high is not None:
            assert sum(p.high or 0 for p in a.payers) == a.high


@SETTINGS
@given(scenarios())
def test_totals_by_year_add_up_to_the_total_and_every_item_is_counted(raw: dict[str, Any]) -> None:
    """按年度 (an event's year, a yearly item's under the 基准日's) sums to the total to the fen; each total's
    money items, 未定额 items and 权益/免费服务 items are the items listed, in the total and by document."""
    ev = _run(raw)
    data = to_dict(ev)["totals"]
    years = data["by_year"]
    ref = ev.scenario.reference_date
    assert set(years) == {f"{(a.event.date if a.event else ref).year}年" for a in ev.awards}
    assert list(years) == sorted(years, key=lambda k: int(k.removesuffix("年")))
    for field in ("min_fen", "count", "unpriced", "non_money"):
        assert sum(t[field] for t in years.values()) == data["total"][field]
        assert sum(t[field] for t in data["by_document"].values()) == data["total"][field]
    if data["total"]["max_fen"] is None:
        assert any(t["max_fen"] is None for t in years.values())
    else:
        assert sum(t["max_fen"] for t in years.values()) == data["total"]["max_fen"]
    total = data["total"]
    assert total["count"] + total["unpriced"] + total["non_money"] == len(ev.awards)
    for year, t in years.items():
        assert t["count"] + t["unpriced"] + t["non_money"] == sum(
            1 for a in ev.awards if year_key(a.event.date if a.event else None, ref) == year
        )


@SETTINGS
@given(scenarios(max_events=1))
def test_amounts_do_not_fall_when_a_base_rises(raw: dict[str, Any]) -> None:
    """Where the text is monotone (rate × base, capped), more base never pays less."""
    ev = _run(raw)
    event = raw["events"][0]
    money_fields = [k for k, v in event.items() if isinstance(v, str) and v.endswith("元")]
    if not money_fields:
        return
    richer = {
        **raw,
        "events": [
            {**event, **{k: f"{parse_money(event[k]) * 2 // 100}.{parse_money(event[k]) * 2 % 100:02d}元" for k in money_fields}}
        ],
    }
    ev2 = _run(richer)
    before = {(a.benefit.id): a.high for a in ev.awards if a.is_money and a.high is not None}
    after = {(a.benefit.id): a.high for a in ev2.awards if a.is_money and a.high is not None}
    for benefit, high in before.items():
        if benefit in after and not ev2.set_aside:
            assert after[benefit] >= high, benefit
