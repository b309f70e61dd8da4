"""Computing an amount formula, exact to the fen, with its working shown.

Every result is a pair ``(low, high)`` in fen — ``high is None`` means no upper
bound (a floor) — plus the kind of support (money, none, in-kind, right) and
the lines of working in Chinese.  The nature users see (exact, ceiling, floor,
range) is read off the pair by :func:`nature_of` after every cap has applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from .context import Context, absent
from .facts import FieldSpec, describe_value
from .model import (
    AmountSpec,
    Benefit,
    ByValue,
    Ceiling,
    Citation,
    FactExpr,
    Fixed,
    InKind,
    Nature,
    NoAmount,
    PerUnit,
    RangeRate,
    Rate,
    Right,
    Sum,
    Tiers,
)
from .money import ceil_times, floor_times, format_wan

__all__ = ["AmountMissing", "Computed", "benefit_nature", "branch_texts", "compute", "formula_text", "nature_of", "show_rate"]


class AmountMissing(Exception):
    """A fact the formula needs is absent; the message says which, in Chinese, and ``facts`` which
    facts to fill in, as (path, label) (empty where the facts are given but fit no case)."""

    def __init__(self, message: str, facts: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.facts = facts


@dataclass(slots=True, init=False)
class Computed:
    """An amount as computed, with its working (``__init__`` written out: see ``results``)."""

    low: int
    high: int | None
    kind: str  # money / none / in_kind / right
    lines: list[str]
    cites: list[Citation]
    tiers_unpublished: bool
    text: str

    def __init__(
        self,
        low: int,
        high: int | None,
        kind: str = "money",
        lines: list[str] | None = None,
        cites: list[Citation] | None = None,
        tiers_unpublished: bool = False,
        text: str = "",
    ) -> None:
        self.low = low
        self.high = high
        self.kind = kind
        self.lines = [] if lines is None else lines
        self.cites = [] if cites is None else cites
        self.tiers_unpublished = tiers_unpublished
        self.text = text


def show_rate(rate: Fraction) -> str:
    """``Fraction(1, 20)`` → ``'5%'`` (rates are few; each is formatted once)."""
    return _rate_text(rate.numerator, rate.denominator)  # keyed by ints: a Fraction's hash is slow


@lru_cache(maxsize=1024)
def _rate_text(numerator: int, denominator: int) -> str:
    return describe_value(FieldSpec("", "", "rate"), Fraction(numerator, denominator))


def nature_of(kind: str, low: int, high: int | None) -> Nature:
    """The nature of a final amount pair."""
    if kind == "none":
        return Nature.NONE
    if kind == "in_kind":
        return Nature.IN_KIND
    if kind == "right":
        return Nature.RIGHT
    if high is None:
        return Nature.FLOOR
    if low == high:
        return Nature.EXACT
    if low == 0:
        return Nature.CEILING
    return Nature.RANGE


def _base(spec_base: object, ctx: Context) -> Fraction | int:
    from .model import Field, Ratio, Total

    assert isinstance(spec_base, (Field, Ratio, Total))
    value = ctx.number(spec_base)
    if value is None:
        raise AmountMissing(f"缺少{ctx.label(spec_base)}，无法计算金额", absent(spec_base, ctx))
    return value


def _range_without_base(spec: RangeRate, ctx: Context) -> Computed:
    """A rate range with a guaranteed floor ("按销售价格15%～30%给予不低于40万元的奖励") whose base is
    missing: the text still grants the floor, and the cap still bounds it, so the award is
    floor～cap (a floor alone when there is no cap) instead of a near miss."""
    floor_fen = spec.floor_fen
    assert floor_fen is not None
    label = ctx.label(spec.base)
    if spec.cap_fen is None:
        high: int | None = None
        bounds = f"不低于{format_wan(floor_fen)}"
    else:
        high = spec.cap_fen
        floor_fen = min(floor_fen, spec.cap_fen)
        bounds = f"不低于{format_wan(floor_fen)}、最高不超过{format_wan(spec.cap_fen)}"
    line = f"未提供{label}：按原文{bounds}计（金额以核定的{label}计算）"
    return Computed(floor_fen, high, lines=[line], cites=[spec.cite])


def compute(spec: AmountSpec, ctx: Context) -> Computed:
    """Compute an amount formula in a context."""
    same = _same_for_all(spec)
    if same is not None:
        return same
    if isinstance(spec, Rate):
        base = _base(spec.base, ctx)
        label, shown = ctx.label(spec.base), ctx.show(spec.base)
        if spec.at_least:  # a floor: met from the least whole fen not below it
            value = ceil_times(base, spec.rate)
            line = f"不低于{label}{shown} × {show_rate(spec.rate)} = {format_wan(value)}"
            return Computed(value, None, lines=[line], cites=[spec.cite])
        value = floor_times(base, spec.rate)
        prefix = "不超过" if spec.up_to else ""
        line = f"{prefix}{label}{shown} × {show_rate(spec.rate)} = {format_wan(value)}"
        return Computed(0 if spec.up_to else value, value, lines=[line], cites=[spec.cite])
    if isinstance(spec, PerUnit):
        qty = _base(spec.base, ctx)
        value = floor_times(qty, spec.fen_per_unit)
        prefix = "不超过" if spec.up_to else ""  # 每吨不超过400元: a ceiling, as the rate's working says it
        line = f"{prefix}{ctx.label(spec.base)}{ctx.show(spec.base)} × {format_wan(spec.fen_per_unit)}/{spec.unit} = {format_wan(value)}"
        return Computed(0 if spec.up_to else value, value, lines=[line], cites=[spec.cite])
    if isinstance(spec, Sum):
        parts = [compute(p, ctx) for p in spec.parts]
        high: int | None = 0
        for p in parts:
            high = None if high is None or p.high is None else high + p.high
        low = 0 if spec.up_to else sum(p.low for p in parts)
        lines = [line for p in parts for line in p.lines]
        shown = format_wan(high) if high is not None else "不设上限"
        lines.append(f"{'不超过' if spec.up_to else ''}两项叠加 = {shown}")
        return Computed(low, high, lines=lines, cites=[spec.cite, *[c for p in parts for c in p.cites]])
    if isinstance(spec, ByValue):
        selected = ctx.raw(spec.fact)
        label = ctx.label(spec.fact)
        for case, sub in spec.cases:
            if str(selected) == case:
                inner = compute(sub, ctx)
                inner.lines.insert(0, f"{label}为“{case}”")
                inner.cites.insert(0, spec.cite)
                return inner
        options = "、".join(c for c, _ in spec.cases)
        raise AmountMissing(f"{label}应为{options}之一，无法确定金额")
    if isinstance(spec, Tiers):
        number = ctx.number(spec.fact)
        label = ctx.label(spec.fact)
        if number is None:
            raise AmountMissing(f"缺少{label}，无法确定档次", absent(spec.fact, ctx))
        chosen = None
        for tier in spec.tiers:
            if tier.comparison.test(number, tier.threshold):
                chosen = tier
        if chosen is None:
            raise AmountMissing(f"{label}{ctx.show(spec.fact)}未达到任何档次")
        inner = compute(chosen.amount, ctx)
        shown = describe_value(FieldSpec("", "", "number"), chosen.threshold)
        inner.lines.insert(0, f"{label}{ctx.show(spec.fact, chosen.threshold)}，{chosen.comparison.word}{shown}，适用该档")
        inner.cites.insert(0, spec.cite)
        return inner
    if isinstance(spec, RangeRate):
        try:
            base = _base(spec.base, ctx)
        except AmountMissing:
            if spec.floor_fen is None:
                raise
            return _range_without_base(spec, ctx)
        high_v = floor_times(base, spec.high)
        low = min(ceil_times(base, spec.low), high_v)  # the range's low end is a floor: rounded up
        label, shown = ctx.label(spec.base), ctx.show(spec.base)
        lines = [f"{label}{shown} × {show_rate(spec.low)}～{show_rate(spec.high)} = {format_wan(low)}～{format_wan(high_v)}"]
        if spec.floor_fen is not None and (low < spec.floor_fen or high_v < spec.floor_fen):
            low, high_v = max(low, spec.floor_fen), max(high_v, spec.floor_fen)
            lines.append(f"不低于{format_wan(spec.floor_fen)}：{format_wan(low)}～{format_wan(high_v)}")
        if spec.cap_fen is not None and high_v > spec.cap_fen:
            low, high_v = min(low, spec.cap_fen), spec.cap_fen
            lines.append(f"最高不超过{format_wan(spec.cap_fen)}：{format_wan(low)}～{format_wan(high_v)}")
        return Computed(low, high_v, lines=lines, cites=[spec.cite])
    raise TypeError(f"unknown amount spec {spec!r}")


def _same_for_all(spec: AmountSpec) -> Computed | None:
    """The amount of a spec that reads no fact (a fixed sum, a ceiling, support without an
    amount), the same for every enterprise; ``None`` for the others."""
    if isinstance(spec, Fixed):
        return Computed(spec.fen, spec.fen, lines=[f"给予{format_wan(spec.fen)}"], cites=[spec.cite])
    if isinstance(spec, Ceiling):
        note = "（阶梯式奖励，档次见另行制定的细则，原文未公布）" if spec.tiers_unpublished else "（具体金额经审核确定）"
        return Computed(
            0,
            spec.fen,
            lines=[f"最高{format_wan(spec.fen)}{note}"],
            cites=[spec.cite],
            tiers_unpublished=spec.tiers_unpublished,
        )
    if isinstance(spec, NoAmount):
        said = "" if "原文未定金额" in spec.text else "（原文未定金额）"  # 支持各地申报（原文未定金额）: said once
        return Computed(0, 0, kind="none", lines=[f"支持方式：{spec.text}{said}"], cites=[spec.cite], text=spec.text)
    if isinstance(spec, InKind):
        fee = f"，服务费不高于{format_wan(spec.fee_cap_fen)}/家（由政府承担）" if spec.fee_cap_fen else ""
        return Computed(0, 0, kind="in_kind", lines=[f"免费服务：{spec.service}{fee}"], cites=[spec.cite], text=spec.service)
    if isinstance(spec, Right):
        return Computed(0, 0, kind="right", lines=[f"权益：{spec.text}"], cites=[spec.cite], text=spec.text)
    return None


def formula_text(spec: AmountSpec, label: Callable[[FactExpr], str]) -> str:
    """How ``spec`` reckons an amount, in the words of the working :func:`compute` shows but
    without any enterprise's values (``label`` names a fact: ``context.fact_label``): 不超过保费实际支出
    × 25%. For the compiled backends' granted rows, whose amounts are in their own columns."""
    if isinstance(spec, Rate):
        prefix = "不低于" if spec.at_least else "不超过" if spec.up_to else ""
        return f"{prefix}{label(spec.base)} × {show_rate(spec.rate)}"
    if isinstance(spec, PerUnit):
        return f"{'不超过' if spec.up_to else ''}{label(spec.base)} × {format_wan(spec.fen_per_unit)}/{spec.unit}"
    if isinstance(spec, Sum):
        return "；".join(formula_text(p, label) for p in spec.parts) + f"；{'不超过' if spec.up_to else ''}两项叠加"
    branches = branch_texts(spec, label)
    if branches is not None:
        return "；".join(branches)
    if isinstance(spec, RangeRate):
        text = f"{label(spec.base)} × {show_rate(spec.low)}～{show_rate(spec.high)}"
        if spec.floor_fen is not None:
            text += f"，不低于{format_wan(spec.floor_fen)}"
        if spec.cap_fen is not None:
            text += f"，最高不超过{format_wan(spec.cap_fen)}"
        return text
    same = _same_for_all(spec)
    if same is None:
        raise TypeError(f"unknown amount spec {spec!r}")
    return "；".join(same.lines)


def branch_texts(spec: AmountSpec, label: Callable[[FactExpr], str]) -> list[str] | None:
    """For an amount chosen by a fact's value or by tiers, each branch's working without the
    enterprise's value, in the order of ``spec.cases``/``spec.tiers``: 级别为“省级”：最高50万元……;
    ``None`` for other specs."""
    if isinstance(spec, ByValue):
        return [f"{label(spec.fact)}为“{case}”：{formula_text(sub, label)}" for case, sub in spec.cases]
    if isinstance(spec, Tiers):
        number = FieldSpec("", "", "number")
        return [
            f"{label(spec.fact)}{t.comparison.word}{describe_value(number, t.threshold)}，适用该档：{formula_text(t.amount, label)}"
            for t in spec.tiers
        ]
    return None


def _stated_nature(spec: AmountSpec) -> Nature:
    if isinstance(spec, Fixed):
        return Nature.EXACT
    if isinstance(spec, RangeRate):
        return Nature.RANGE
    if isinstance(spec, NoAmount):
        return Nature.NONE
    if isinstance(spec, InKind):
        return Nature.IN_KIND
    if isinstance(spec, Right):
        return Nature.RIGHT
    if isinstance(spec, Rate):
        return Nature.CEILING if spec.up_to else (Nature.FLOOR if spec.at_least else Nature.EXACT)
    if isinstance(spec, (PerUnit, Sum)):
        return Nature.CEILING if spec.up_to else Nature.EXACT
    if isinstance(spec, ByValue) and spec.cases:
        return _stated_nature(spec.cases[0][1])
    if isinstance(spec, Tiers) and spec.tiers:
        return _stated_nature(spec.tiers[0].amount)
    return Nature.CEILING


def benefit_nature(b: Benefit) -> Nature:
    """The nature of a benefit's amount as the text states it (最高 / 给予 / 不低于 …)."""
    nature = _stated_nature(b.amount)
    if b.review and nature is Nature.EXACT and not isinstance(b.amount, Fixed):
        return Nature.CEILING
    return nature
