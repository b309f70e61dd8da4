"""地区对比: the same events evaluated as if the enterprise were registered in
different places, arranged side by side per event."""

from __future__ import annotations

from typing import Any

from .core.explain import amount_text, to_dict
from .core.model import LEVEL_LABELS
from .core.money import format_wan
from .core.regions import region
from .core.results import Award, Evaluation
from .core.scenario import Scenario
from .service import Engine

__all__ = ["compare", "evaluate_in", "render_compare"]


def _cell(awards: list[Award]) -> list[str]:
    return [
        f"《{a.document.short}》第{a.benefit.article}条 {a.benefit.title}：{amount_text(a.low, a.high, kind=a.kind, text=a.text)}"
        for a in awards
    ]


def _why_none(missed: list[Award]) -> str:
    """Why an event earns nothing in a region, in a line: the first item it came nearest to and its
    first reason (a region's “—” hid that 武进 reads another investment field, or the dates)."""
    if not missed:
        return "无对应条款"
    a = missed[0]
    reason = a.reasons[0].text if a.reasons else "未满足条件"
    more = f"；另{len(missed) - 1}项未享受" if len(missed) > 1 else ""
    return f"《{a.document.short}》第{a.benefit.article}条 {a.benefit.title}：{reason}{more}"


def evaluate_in(eng: Engine, scenario: Scenario, code: str) -> tuple[Evaluation, str]:
    """The scenario evaluated as if registered in ``code`` (``Engine.relocated``), and the awards
    already received that do not count there, in words ("" when all count)."""
    moved, dropped = eng.relocated(scenario, code)
    note = ""
    if dropped:
        shown = "、".join(f"{p.document or LEVEL_LABELS.get(p.level, p.level)}{format_wan(p.amount_fen)}" for p in dropped)
        note = f"已获奖补中{shown}由不管辖{region(code).name}的政府给予，在此地区测算时未计入"
    return eng.evaluate(moved), note


def compare(eng: Engine, scenario: Scenario, regions: list[str]) -> dict[str, Any]:
    """Per region the full evaluation, and per event the awards in each region."""
    evaluated = {code: evaluate_in(eng, scenario, code) for code in regions}
    results: dict[str, Evaluation] = {code: ev for code, (ev, _) in evaluated.items()}
    notes = {code: note for code, (_, note) in evaluated.items()}
    units = [(e.id, f"{e.id}（{eng.catalogue.events[e.kind].label}，{e.date}）") for e in scenario.events]
    units.append(("年度", "年度（企业层面）"))
    rows = []
    for key, label in units:
        cells, why_none = {}, {}
        for code, ev in results.items():
            mine = [a for a in ev.awards if (a.event.id if a.event else "年度") == key]
            cells[code] = _cell(mine)
            if not mine:
                why_none[code] = _why_none(
                    [a for a in ev.set_aside + ev.near_misses if (a.event.id if a.event else "年度") == key]
                )
        rows.append({"event": key, "label": label, "cells": cells, "why_none": why_none})
    return {
        "regions": [
            {"code": c, "name": region(c).name, "documents": [d.short for d in results[c].documents], "note": notes.get(c, "")}
            for c in regions
        ],
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
        if r.get("note"):
            out.append(f"  注：{r['note']}")
    out.append("")
    for row in data["rows"]:
        out.append(f"■ {row['label']}")
        for code, cell in row["cells"].items():
            none = f"—（{row['why_none'][code]}）" if row.get("why_none", {}).get(code) else "—"
            out.append(f"  {names[code]}：{'；'.join(cell) if cell else none}")
    out.append("")
    out.append("合计：" + "　".join(f"{names[c]} {t}" for c, t in data["totals"].items()))
    return "\n".join(out)
