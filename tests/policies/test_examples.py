"""Worked examples beside the policy files, collected as tests.

Each ``policies/examples/<document>/*.yaml`` holds one scenario computed by
hand from the text and what it must give::

    title: 第8条 智能化改造，合格
    scenario: {...}            # as `huiqi evaluate` reads it
    expect:
      awards:                  # each must be granted with exactly these amounts
        - {benefit: wz-8-smart-renovation, event: E1, min: 0, max: 120万元}
      set_aside:               # each must be set aside (就高不重复, once-per-key, cap used up)
        - {benefit: wz-8-tech-renovation, event: E1}
      near_misses:             # each must be a near-miss whose reasons contain the text
        - {benefit: wz-1-robot-purchase, event: E3, reason: 未超过50万元}
      absent: [wz-1-humanoid-purchase]   # benefits that must not appear at all
      total: {min: 0, max: 224万元}
      only_listed: true        # no granted award other than those listed

``max: null`` means no upper bound (a floor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from huiqi.core.money import parse_money
from huiqi.core.results import Award, Evaluation
from huiqi.service import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "policies" / "examples"
FILES = sorted(EXAMPLES.rglob("*.yaml"))


def _fen(value: Any) -> int | None:
    return None if value is None else parse_money(value)


def _find(awards: list[Award], benefit: str, event: str | None) -> Award | None:
    for a in awards:
        if a.benefit.id == benefit and (event is None or (a.event.id if a.event else None) == event):
            return a
    return None


def _describe(ev: Evaluation) -> str:
    rows = [f"  granted {a.benefit.id}@{a.event.id if a.event else '-'} {a.low}..{a.high}" for a in ev.awards]
    rows += [f"  set_aside {a.benefit.id}@{a.event.id if a.event else '-'}: {[r.text for r in a.reasons]}" for a in ev.set_aside]
    rows += [f"  near_miss {a.benefit.id}@{a.event.id if a.event else '-'}: {[r.text for r in a.reasons]}" for a in ev.near_misses]
    return "\n".join(rows)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_worked_example(path: Path) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    eng = engine()
    ev = eng.evaluate(eng.scenario(spec["scenario"], str(path)))
    expect = spec["expect"]
    seen = _describe(ev)
    for item in expect.get("awards", []):
        a = _find(ev.awards, item["benefit"], item.get("event"))
        assert a is not None, f"{item['benefit']} not granted; got:\n{seen}"
        assert a.low == _fen(item["min"]), f"{item['benefit']} min {a.low}\n{seen}"
        assert a.high == _fen(item["max"]), f"{item['benefit']} max {a.high}\n{seen}"
    for item in expect.get("set_aside", []):
        a = _find(ev.set_aside, item["benefit"], item.get("event"))
        assert a is not None, f"{item['benefit']} not set aside\n{seen}"
        if "reason" in item:
            assert any(item["reason"] in r.text for r in a.reasons), f"{[r.text for r in a.reasons]}"
    for item in expect.get("near_misses", []):
        a = _find(ev.near_misses, item["benefit"], item.get("event"))
        assert a is not None, f"{item['benefit']} not a near-miss\n{seen}"
        if "reason" in item:
            assert any(item["reason"] in r.text for r in a.reasons), f"{[r.text for r in a.reasons]}"
    everything = ev.awards + ev.set_aside + ev.near_misses
    for benefit in expect.get("absent", []):
        assert all(a.benefit.id != benefit for a in everything), f"{benefit} appears\n{seen}"
    if expect.get("only_listed"):
        listed = {(i["benefit"], i.get("event")) for i in expect.get("awards", [])}
        extra = [a for a in ev.awards if (a.benefit.id, a.event.id if a.event else None) not in listed]
        assert not extra, f"unexpected awards\n{seen}"
    if "total" in expect:
        assert ev.total.low == _fen(expect["total"]["min"]), seen
        assert ev.total.high == _fen(expect["total"]["max"]), seen


def _listed_awards() -> set[str]:
    """Every benefit some worked example asserts as granted, to the fen."""
    listed: set[str] = set()
    for path in FILES:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        listed |= {item["benefit"] for item in spec["expect"].get("awards", [])}
    return listed


@pytest.mark.parametrize("document", [d.id for d in engine().library.documents])
def test_every_benefit_of_every_document_is_granted_by_a_worked_example(document: str) -> None:
    doc = engine().library.by_id[document]
    listed = _listed_awards()
    missing = sorted(b.id for b in doc.benefits if b.id not in listed)
    assert not missing, f"《{doc.short}》: no worked example asserts these benefits: {missing}"
