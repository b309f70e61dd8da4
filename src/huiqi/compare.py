"""地区对比: the same events evaluated as if the enterprise were registered in
different places, arranged side by side per event."""

from __future__ import annotations

from typing import Any

from .core.explain import amount_text, to_dict
from .core.regions import region
from .core.results import Award, Evaluation
from .core.scenario import Scenario
from .service import Engine

__all__ = ["compare", "render_compare"]


def _cell(awards: list[Award]) -> list[str]:
    return [
        f"《{a.document.short}》第{a.benefit.article}条 {a.benefit.title}：{amount_text(a.low, a.high, kind=a.kind, text=a.text)}"
        for a in awards
    ]


def compare(eng: Engine, scenario: Scenario, regions: list[str]) -> dict[str, Any]:
    """Per region the full evaluation, and per event the awards in each region."""
    results: dict[str, Evaluation] = {code: eng.evaluate(scenario, region=code) for code in regions}
    units = [(e.id, f"{e.id}（{eng.catalogue.events[e.kind].label}，{e.date}）") for e in scenario.events]
    units.append(("年度", "年度（企业层面）"))
    rows = []
    for key, label in units:
        cells = {}
        for code, ev in results.items():
            mine = [a for a in ev.awards if (a.event.id if a.event else "年度") == key]
            cells[code] = _cell(mine)
        rows.append({"event": key, "label": label, "cells": cells})
    return {
        "regions": [{"code": c, "name": region(c).name, "documents": [d.short for d in results[c].documents]} for c in regions],
        "rows": rows,
        "totals": {c: amount_text(r.total.low, r.total.high) for c, r in results.items()},
        "results": {c: to_dict(r) for c, r in results.items()},
    }


def render_compare(data: dict[str, Any]) -> str:
    """The comparison as text: one block per event, one line per region."""
    out = []
    names = {r["code"]: f"{r['name']}（{r['code']}）" for r in data["regions"]}
    for r in data["regions"]:
        out.append(f"{names[r['code']]} 适用政策：{'、'.join(r['documents']) or '无'}")
    out.append("")
    for row in data["rows"]:
        out.append(f"■ {row['label']}")
        for code, cell in row["cells"].items():
            out.append(f"  {names[code]}：{'；'.join(cell) if cell else '—'}")
    out.append("")
    out.append("合计：" + "　".join(f"{names[c]} {t}" for c, t in data["totals"].items()))
    return "\n".join(out)
