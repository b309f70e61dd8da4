"""Hypothesis strategies: random scenarios drawn from the live catalogue and library."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from huiqi.core.credit_code import make_credit_code
from huiqi.core.facts import FieldSpec
from huiqi.core.model import Compare, Library
from huiqi.core.regions import TOWNS
from huiqi.service import engine


def thresholds(library: Library) -> dict[str, list[Fraction]]:
    """Every number a condition compares a fact with, by fact path."""
    found: dict[str, list[Fraction]] = {}
    for b in library.benefits.values():
        for c in (*b.match, *b.when):
            if isinstance(c, Compare) and hasattr(c.fact, "path"):
                found.setdefault(c.fact.path, []).append(c.value)  # type: ignore[union-attr]
    return found


def _value(spec: FieldSpec, near: list[Fraction]) -> st.SearchStrategy[Any]:
    if spec.type == "money":
        picks = [int(v) for v in near] or [50_000_000]
        return st.one_of(
            st.sampled_from(picks),
            st.sampled_from(picks).map(lambda v: v + 1),
            st.sampled_from(picks).map(lambda v: max(0, v - 1)),
            st.integers(0, 5_000_000_000),
        ).map(lambda fen: f"{fen / 100:.2f}" if False else f"{fen // 100}.{fen % 100:02d}元")
    if spec.type in ("number", "integer"):
        picks = [int(v) for v in near] or [10]
        return st.one_of(st.sampled_from(picks), st.integers(0, 1000)).map(str)
    if spec.type == "rate":
        return st.integers(0, 100).map(lambda p: f"{p}%")
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "enum_list":
        return st.lists(st.sampled_from(spec.values), max_size=3, unique=True)
    if spec.type == "date":
        return st.dates(date(2020, 1, 1), date(2028, 12, 31)).map(str)
    return st.text("甲乙丙ABC123", min_size=1, max_size=4)


@st.composite
def scenarios(draw: st.DrawFn, max_events: int = 6) -> dict[str, Any]:
    eng = engine()
    cat, lib = eng.catalogue, eng.library
    near = thresholds(lib)
    region = draw(st.sampled_from(["320506", "320412", "320505"]))
    enterprise: dict[str, Any] = {
        "credit_code": make_credit_code("91" + region + "MA1XYWLK" + draw(st.sampled_from("0123456789"))),
        "name": "随机企业",
        "region": region,
    }
    if region in TOWNS:
        enterprise["town"] = draw(st.sampled_from(TOWNS[region]))
    for name in ("sectors", "key_industry_direction"):
        if name in cat.enterprise:
            enterprise[name] = draw(_value(cat.enterprise[name], []))
    kinds = [k for k in lib.by_event if k != "enterprise" and k in cat.events]
    events = []
    for i in range(draw(st.integers(1, max_events))):
        kind = cat.events[draw(st.sampled_from(kinds))]
        ev: dict[str, Any] = {
            "id": f"E{i + 1}",
            "kind": kind.name,
            "date": str(draw(st.dates(date(2024, 6, 1), date(2027, 12, 31)))),
        }
        for spec in kind.fields.values():
            if spec.required or draw(st.booleans()):
                ev[spec.name] = draw(_value(spec, near.get(spec.name, [])))
        events.append(ev)
    return {"enterprise": enterprise, "events": events}
