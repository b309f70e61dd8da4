"""Explanations a person can check against the law: text and JSON.

:func:`render_text` prints an evaluation as readable Chinese; :func:`to_dict`
gives the same content as plain data for ``--json`` and the web API.  Both
read only the result objects: the explanation is part of the core, the
adapters merely serialise it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .amounts import benefit_nature
from .model import Citation, lowest_money_thresholds
from .money import TWO_DIGITS, decimal_text, format_wan
from .results import NEAR_MISS, Award, Evaluation, Line, Missing, Totals
from .scenario import Event, Scenario

__all__ = [
    "YEAR_UNKNOWN",
    "amount_text",
    "award_dict",
    "by_year",
    "non_money_text",
    "render_text",
    "tally",
    "to_dict",
    "year_key",
]


def amount_text(low: int, high: int | None, nature_label: str = "", kind: str = "money", text: str = "") -> str:
    """An amount pair as a person reads it: 4万元, 最高100万元, 不低于40万元, 40万元～80万元."""
    if kind == "none":
        said = text.removesuffix("（原文未定金额）")  # 未定额 says it: not 未定额（支持（原文未定金额））
        return f"未定额（{said}）" if said else "未定额"
    if kind == "in_kind":
        return f"免费服务：{text}"
    if kind == "right":
        return f"权益：{text}"
    if high is None:
        return f"不低于{format_wan(low)}"
    if low == high:
        return format_wan(high)
    if low == 0:
        return f"最高{format_wan(high)}"
    return f"{format_wan(low)}～{format_wan(high)}"


def _totals_text(t: Totals) -> str:
    if t.high is None:
        return f"不低于{format_wan(t.low)}（部分项目不设上限）"
    return amount_text(t.low, t.high)


def unpriced_text(unpriced: int) -> str:
    """What a total leaves out: the items granted whose text states no amount (empty when none)."""
    return f"；另有{unpriced}项可享受但原文未定金额，未计入" if unpriced else ""


def non_money_text(non_money: int) -> str:
    """What a total leaves out besides: the items granted that pay no money (权益, 免费服务; empty when none)."""
    return f"；另有{non_money}项为权益或免费服务（非资金），未计入上述金额" if non_money else ""


# the 按年度 line of the items without an event (yearly items on the enterprise's profile) when
# there is no 基准日 to date them by (a scenario always has one, and every batch run)
YEAR_UNKNOWN = "（未注明年度）"


def year_key(day: date | None, as_of: date | None) -> str:
    """An item's 按年度 line: the year of its event's date (2025年); an item without an event (a
    yearly item, 年度，企业层面) is evaluated on the 基准日 (``Scenario.reference_date``, the compiled
    plan's yearly unit dated ``as_of``), so its year; ``YEAR_UNKNOWN`` without one. The one rule of
    ``huiqi evaluate``'s and ``huiqi batch``'s 按年度 (batch.stream._year_sql builds the same in SQL)."""
    on = day if day is not None else as_of
    return f"{on.year}年" if on is not None else YEAR_UNKNOWN


def by_year(ev: Evaluation) -> dict[str, list[Award]]:
    """The granted awards by year (:func:`year_key`), earliest year first."""
    ref = ev.scenario.reference_date
    out: dict[str, list[Award]] = {}
    for a in sorted(ev.awards, key=lambda a: a.event.date.year if a.event is not None else ref.year):
        out.setdefault(year_key(a.event.date if a.event is not None else None, ref), []).append(
            a
        )  # a stable sort: each year's in the awards' order
    return out


def tally(awards: list[Award]) -> Totals:
    """The totals of some granted awards, summed as the evaluator sums ``Evaluation.total`` (``Totals.add_award``)."""
    t = Totals()
    for a in awards:
        t.add_award(a)
    return t


def _totals_line(t: Totals) -> str:
    """A total as a 合计 line reads it: amount, its money items, what it leaves out."""
    return f"{_totals_text(t)}（{t.count}项）{unpriced_text(t.unpriced)}{non_money_text(t.non_money)}"


def _cite(c: Citation | None) -> str:
    return f"　　原文：“{c.quote}”" if c is not None and c.quote else ""


def _award_block(award: Award, index: int) -> list[str]:
    b = award.benefit
    head = f"{index}. 《{award.document.short}》第{b.article}条　{b.title}"
    event = f"（事项{award.event.id}，{award.event.date}）" if award.event else "（年度，企业层面）"
    lines = [head + event]
    lines.append(f"   金额：{amount_text(award.low, award.high, kind=award.kind, text=award.text)}　性质：{award.nature.label}")
    if b.department:
        lines.append(f"   责任单位：{'、'.join(b.department)}")
    if award.payers:
        parts = "；".join(f"{p.payer} {amount_text(p.low, p.high)}" for p in award.payers)
        lines.append(f"   出资：{parts}" + (f"（由{award.disburser}兑付）" if award.disburser else ""))
    for o in award.conditions:
        lines.append(f"   ✓ {o.text}")
    for step in award.steps:
        lines.append(f"   → {step.text}")
    if b.review:
        lines.append("   → 须经评审")
    for interp in b.interpretations:
        lines.append(f"   ※ 解释（原文未明确）：{interp.reason.strip()}")
    lines.append(f"   原文：“{b.cite.quote}”")
    return lines


def _miss_block(award: Award, index: int, verb: str) -> list[str]:
    b = award.benefit
    event = f"事项{award.event.id}" if award.event else "企业层面"
    lines = [f"{index}. 《{award.document.short}》第{b.article}条　{b.title}（{event}）"]
    for r in award.reasons:
        lines.append(f"   ✗ {verb}{r.text}")
        if r.cite is not None and r.cite.quote:
            lines.append(_cite(r.cite))
    facts = missing_facts(award)
    if facts:
        lines.append(f"   → 请补充：{'、'.join(f'{label}（{path}）' for path, label in facts)}")
    if award.if_met:
        lines.append(f"   → {IF_MET}{award.if_met}")
    return lines


def missing_facts(award: Award) -> list[tuple[str, str]]:
    """The facts not given that keep an item from being decided, as (path, label), each once."""
    return list(dict.fromkeys(f for r in award.reasons if isinstance(r, Missing) for f in r.facts))


def incomplete(award: Award) -> bool:
    """A near miss whose every reason is a fact not given: unknown, not nearly met."""
    return bool(award.reasons) and all(isinstance(r, Missing) and r.facts for r in award.reasons)


# before a near miss's amount on the facts given
IF_MET = "若满足上述条件，按所填事实本项可得（按本项年度限额封顶，未计其已用额度与就高不重复）："


def _late_events(ev: Evaluation) -> list[Event]:
    ref = ev.scenario.reference_date
    return [e for e in ev.scenario.events if e.date > ref]


def late_events_note(ev: Evaluation, late: list[Event] | None = None) -> str:
    """A notice when events are dated after the reference date (基准日): they are evaluated on their
    own dates, which may be a mistyped date or 基准日 (as ``huiqi batch`` tells of a register)."""
    ref = ev.scenario.reference_date
    late = _late_events(ev) if late is None else late
    if not late:
        return ""
    shown = "、".join(f"{e.id}（{e.date.isoformat()}）" for e in late[:5]) + ("等" if len(late) > 5 else "")
    return f"注意：{len(late)}条事项的发生日期晚于基准日{ref.isoformat()}：{shown}，已按各自日期测算；如基准日或日期有误，请更正后重新测算。"


def unit_notes(ev: Evaluation) -> list[str]:
    """Amounts far below every threshold the texts set on their field (设备投入300元 where 300万元以上 is asked):
    most likely meant in 万元 but written without the unit, which reads as 元. A note each, changing nothing."""
    lowest = lowest_money_thresholds(b for d in ev.documents for b in d.benefits)
    short = {d.id: d.short for d in ev.documents}
    found: list[tuple[str, str, int]] = []  # (where, path, fen)
    ent = ev.scenario.enterprise
    found += [("企业", f"enterprise.{k}", v) for k, v in ent.facts.items() if isinstance(v, int) and not isinstance(v, bool)]
    for e in ev.scenario.events:
        found += [(f"事项{e.id}", k, v) for k, v in e.facts.items() if isinstance(v, int) and not isinstance(v, bool)]
    notes = []
    for where, path, fen in found:
        if path in lowest and fen > 0 and fen * 100 < lowest[path][0]:
            threshold, b = lowest[path]
            notes.append(
                f"注意：{where}的{ev.labels.get(path, path)}（{path}）为{format_wan(fen)}，远低于《{short[b.document_id]}》第{b.article}条的门槛{format_wan(threshold)}；"
                f"金额不写单位时按元计，如指万元请写成“{decimal_text(fen, 100)}万元”"
            )
    return notes


def _as_of_line(scenario: Scenario) -> str:
    """Which 基准日 the yearly benefits were judged on, and where it came from: a scenario
    without ``as_of`` takes its last event's date (a register's rows take ``--as-of``, default today)."""
    ref = scenario.reference_date.isoformat()
    if scenario.as_of is not None:
        return f"基准日：{ref}"
    if scenario.events:
        return f"基准日：{ref}（未填写as_of，取最后一个事项的日期）"
    return f"基准日：{ref}（未填写as_of，取今日）"


def document_notes(ev: Evaluation) -> dict[str, str]:
    """The documents that bind the enterprise by place but at none of the scenario's dates (its events'
    and the 基准日): document id → its window, so that 适用政策 does not list a lapsed document bare
    (苏州2020, in force 2021–2023, for a scenario of 2025 projects)."""
    days = [e.date for e in ev.scenario.events] + [ev.scenario.reference_date]
    granted = {a.document.id for a in ev.awards}  # an item with its own window (上一年度服务活动) may pay outside it
    return {
        d.id: f"有效期{d.valid_from}至{d.valid_to or '长期'}，所填事项与基准日均不在有效期内"
        for d in ev.documents
        if d.id not in granted and not any(d.in_force(day) for day in days)
    }


def render_text(ev: Evaluation) -> str:
    """The evaluation as readable Chinese text."""
    ent = ev.scenario.enterprise
    out = [f"测算对象：{ent.name}（{ent.credit_code}）", _as_of_line(ev.scenario), ""]
    notes = document_notes(ev)
    shown = "；".join(f"《{d.title}》" + (f"（{notes[d.id]}）" if d.id in notes else "") for d in ev.documents)
    out.append(f"适用政策：{shown or '无'}")
    note = late_events_note(ev)
    if note:
        out.append(note)
    out.extend(unit_notes(ev))
    out.append("")
    out.append(f"一、可享受的支持（{len(ev.awards)}项）")
    for i, a in enumerate(ev.awards, start=1):
        out.extend(_award_block(a, i))
    out.append("")
    out.append("二、合计")
    # each line's items: N项 of money, and apart those without a stated amount and those that pay no
    # money, so that they add up to the items listed in 一
    out.append(f"   总计：{_totals_line(ev.total)}")
    shorts = {d.id: d.short for d in ev.documents}
    for doc_id, t in ev.by_document.items():
        out.append(f"   《{shorts[doc_id]}》：{_totals_line(t)}")
    years = by_year(ev)
    if len(years) > 1:  # awards in one year: the 总计 is that year's
        out.append("   按年度（事项发生的年份；年度、企业层面的项目计入基准日所在年份）：")
        for year, awards in years.items():
            out.append(f"     {year}：{_totals_line(tally(awards))}")
    for payer, t in ev.by_payer.items():
        out.append(f"   {payer}：{_totals_text(t)}")
    near = [a for a in ev.near_misses if not a.out_of_window and not incomplete(a)]
    unknown = [a for a in ev.near_misses if not a.out_of_window and incomplete(a)]
    outside = [a for a in ev.near_misses if a.out_of_window]
    sections = [
        (title, items)
        for title, items in (
            ("不重复支持或额度已用尽而未计入的", ev.set_aside),
            ("差一点符合的", near),
            ("缺少资料、尚无法判断的", unknown),
        )
        if items
    ]
    numerals = iter("三四五六七")
    for title, items in sections:
        out.append("")
        out.append(f"{next(numerals)}、{title}（{len(items)}项）")
        for i, a in enumerate(items, start=1):
            out.extend(_miss_block(a, i, ""))
    if outside:  # a policy not in force on the event's date: one line each, its window
        out.append("")
        out.append(f"{next(numerals)}、事项日期不在政策有效期内、不适用的（{len(outside)}项）")
        for i, a in enumerate(outside, start=1):
            event = f"事项{a.event.id}" if a.event else "企业层面"
            out.append(f"{i}. 《{a.document.short}》第{a.benefit.article}条　{a.benefit.title}（{event}）：{a.reasons[0].text}")
    if ev.unmatched:  # an event no item selected: said, not left out in silence
        out.append("")
        out.append(f"{next(numerals)}、没有适用条款的事项（{len(ev.unmatched)}项）")
        for i, (e, why) in enumerate(ev.unmatched, start=1):
            out.append(f"{i}. 事项{e.id}（{e.date}）：{why}")
    return "\n".join(out)


def _line(line: Line) -> dict[str, Any]:
    return {"text": line.text, "cite": line.cite.quote if line.cite else None}


def _yuan(fen: int) -> str:
    """``123456`` → ``'1234.56'`` (元, no thousands separator).

    >>> _yuan(-5)
    '-0.05'
    """
    if fen < 0:
        return "-" + _yuan(-fen)
    return str(fen // 100) + "." + TWO_DIGITS[fen % 100]


def award_dict(a: Award) -> dict[str, Any]:
    """One award as plain data (amounts in fen and in 元 strings)."""
    b = a.benefit
    # a near miss has no amount (its 0/0 read 确定金额 0元): the nature the text states, amounts null
    near = a.status == NEAR_MISS
    nature = benefit_nature(b) if near else a.nature
    money = a.is_money and not near
    return {
        "benefit": b.id,
        "document": a.document.id,
        "document_title": a.document.title,
        "article": b.article,
        "title": b.title,
        "department": list(b.department),
        "event": a.event.id if a.event else None,
        "status": a.status,
        "out_of_window": a.out_of_window,
        "if_met": a.if_met or None,
        "nature": nature.value,
        "nature_label": nature.label,
        # an item that pays no money (未定额支持, 免费服务, 权益) has no amount: null, not 0, as in a register's rows
        "min_fen": a.low if money else None,
        "max_fen": a.high if money else None,
        "min_yuan": _yuan(a.low) if money else None,
        "max_yuan": None if a.high is None or not money else _yuan(a.high),
        "amount_text": None if near else amount_text(a.low, a.high, kind=a.kind, text=a.text),
        "review": b.review,
        "payers": [{"role": p.role, "payer": p.payer, "weight": p.weight, "min_fen": p.low, "max_fen": p.high} for p in a.payers],
        "disburser": a.disburser,
        "conditions": [{"passed": o.passed, "text": o.text, "cite": o.cite.quote if o.cite else None} for o in a.conditions],
        "steps": [_line(s) for s in a.steps],
        "reasons": [_line(r) for r in a.reasons],
        "interpretations": [i.reason.strip() for i in b.interpretations],
        # facts not given (a near miss's): what to fill in; ``incomplete`` when they are its only reasons
        "missing_facts": [{"fact": path, "label": label} for path, label in missing_facts(a)],
        "incomplete": incomplete(a),
        "cite": b.cite.quote,
        "quota": None
        if b.quota is None
        else {"count": b.quota.count, "per": b.quota.per, "bound": b.quota.bound, "text": b.quota.text()},
    }


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "min_fen": t.low,
        "max_fen": t.high,
        "count": t.count,  # money items; with ``unpriced`` and ``non_money``, the granted items of the total
        "unpriced": t.unpriced,
        "non_money": t.non_money,  # items granted that pay no money (权益, 免费服务): in no amount
        "text": _totals_text(t),
    }


def to_dict(ev: Evaluation) -> dict[str, Any]:
    """The evaluation as plain data (JSON-ready)."""
    ent = ev.scenario.enterprise
    late = _late_events(ev)
    return {
        "enterprise": {"credit_code": ent.credit_code, "name": ent.name, "region": ent.region, "town": ent.town},
        "documents": [d.id for d in ev.documents],
        "document_notes": document_notes(ev),  # those in force at none of the scenario's dates
        "as_of": ev.scenario.reference_date.isoformat(),
        "events_after_as_of": [e.id for e in late],
        "notice": late_events_note(ev, late),
        "unit_notes": unit_notes(ev),
        "awards": [award_dict(a) for a in ev.awards],
        "set_aside": [award_dict(a) for a in ev.set_aside],
        "near_misses": [award_dict(a) for a in ev.near_misses],
        "unmatched_events": [{"event": e.id, "kind": e.kind, "date": e.date.isoformat(), "text": why} for e, why in ev.unmatched],
        "totals": {
            "total": _totals(ev.total),
            "by_document": {k: _totals(t) for k, t in ev.by_document.items()},
            # an award's year (``year_key``: its event's, a yearly item's 基准日's), every year even when one
            "by_year": {k: _totals(tally(v)) for k, v in by_year(ev).items()},
            "by_payer": {k: _totals(v) for k, v in ev.by_payer.items()},
        },
    }
