"""Reading facts for one benefit on one event: the evaluation context."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .facts import Catalogue, FieldSpec, describe_value
from .model import FactExpr, Field, Ratio, Total, YearSum
from .scenario import Enterprise, Event, Scenario, Value

__all__ = ["ANY_DEFAULT", "DEFAULTED", "MAYBE_DEFAULTED", "MISSING", "Context", "absent", "fact_label"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


# after a value the enterprise did not give: the catalogue's default was read (docs/facts.md 未填写时按)
DEFAULTED = "（未填写，按默认值）"
# after a register's value equal to the default: a blank cell was read as it, or it was written out
MAYBE_DEFAULTED = "（或未填写，按默认值）"
ANY_DEFAULT = "*"  # in ``defaulted``: any fact equal to its default may have been left blank


def fact_label(expr: FactExpr, catalogue: Catalogue, event_kind: str) -> str:
    """A fact, ratio or sum as people read it (智能改造（含软件）投资额占项目实际总投入的比例)."""
    if isinstance(expr, Field):
        spec = catalogue.field(event_kind, expr.path)
        return spec.label if spec else expr.path
    if isinstance(expr, Ratio):
        return f"{fact_label(expr.numerator, catalogue, event_kind)}占{fact_label(expr.denominator, catalogue, event_kind)}的比例"
    if isinstance(expr, YearSum):
        return f"同一年度{fact_label(expr.field, catalogue, event_kind)}合计"
    return "与".join(fact_label(p, catalogue, event_kind) for p in expr.parts) + "之和"


@dataclass(slots=True, init=False)
class Context:
    """The enterprise, the event (``None`` for a yearly benefit on the profile)
    and the catalogue, for reading facts and labelling them.  (Not frozen, and
    ``__init__`` written out, only because a generated ``__init__`` is slow: see
    ``results``; a context is never changed.)"""

    scenario: Scenario
    event: Event | None
    event_kind: str
    catalogue: Catalogue

    def __init__(self, scenario: Scenario, event: Event | None, event_kind: str, catalogue: Catalogue) -> None:
        self.scenario = scenario
        self.event = event
        self.event_kind = event_kind
        self.catalogue = catalogue

    @property
    def enterprise(self) -> Enterprise:
        return self.scenario.enterprise

    def spec(self, ref: Field) -> FieldSpec | None:
        return self.catalogue.field(self.event_kind, ref.path)

    def label(self, expr: FactExpr) -> str:
        return fact_label(expr, self.catalogue, self.event_kind)

    def raw(self, ref: Field) -> Value | _Missing:
        if ref.on_enterprise:
            facts = self.enterprise.facts
            name = ref.name
            if name == "kind":
                return self.enterprise.kind
            if name == "region":
                return self.enterprise.region
            if name == "town":
                return self.enterprise.town if self.enterprise.town else MISSING
        else:
            if self.event is None:
                return MISSING
            facts = self.event.facts
            name = ref.path
        return facts.get(name, MISSING)

    def default_note(self, ref: Field, value: object) -> str:
        """After a value read as the catalogue's default: （未填写，按默认值）, or （或未填写，按默认值）
        where the source cannot tell a blank from the default written out (a register's rows,
        ``defaulted`` holding ``ANY_DEFAULT``); '' for a value given."""
        names = self.enterprise.defaulted if ref.on_enterprise else (self.event.defaulted if self.event else frozenset())
        if (ref.name if ref.on_enterprise else ref.path) in names:
            return DEFAULTED
        if ANY_DEFAULT in names:
            spec = self.spec(ref)
            if spec is not None and spec.default is not None and value == spec.default:
                return MAYBE_DEFAULTED
        return ""

    def number(self, expr: FactExpr) -> Fraction | int | None:
        """A numeric fact (money in fen, an integer, or an exact fraction); ``None`` when absent.

        Whole numbers stay ``int`` (no Fraction is built on the hot path); a ratio or
        a total is always a :class:`Fraction`.
        """
        if isinstance(expr, Field):
            value = self.raw(expr)
            if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
                return None
            return value
        if isinstance(expr, Ratio):
            num, den = self.number(expr.numerator), self.number(expr.denominator)
            if num is None or den is None or den == 0:
                return None
            return Fraction(num) / den
        if isinstance(expr, YearSum):
            return self.year_sum(expr)
        total = Fraction(0)
        for part in expr.parts:
            part_value = self.number(part)
            if part_value is None:
                return None
            total += part_value
        return total

    def year_sum(self, expr: YearSum) -> Fraction | int | None:
        """The fact over this year's events of the kind that the benefit selects (this one
        included); ``None`` when none of them has it."""
        from .conditions import test  # conditions reads facts through this module

        if self.event is None:
            return None
        year = self.event.date.year
        total: Fraction | int = 0
        found = False
        for other in self.scenario.events:
            if other.kind != self.event.kind or other.date.year != year:
                continue
            ctx = Context(self.scenario, other, self.event_kind, self.catalogue)
            if not all(test(c, ctx).passed for c in expr.match):
                continue
            value = ctx.number(expr.field)
            if value is not None:
                total += value
                found = True
        return total if found else None

    def show(self, expr: FactExpr, apart: Fraction | None = None) -> str:
        """The fact's value as a person reads it; ``apart``, a threshold it is compared with, which a
        rounded fraction is kept apart from (see :func:`describe_value`)."""
        if isinstance(expr, Field):
            value = self.raw(expr)
            if isinstance(value, _Missing):
                return "（未填写）"
            return describe_value(self.spec(expr), value, apart)
        number = self.number(expr)
        if number is None:
            return "（无法计算）"
        if isinstance(expr, Ratio):
            return describe_value(FieldSpec("", "", "rate"), number, apart)
        first = (
            self.spec(expr.parts[0]) if isinstance(expr, Total) else self.spec(expr.field) if isinstance(expr, YearSum) else None
        )
        if first is not None and first.type == "money":
            return describe_value(first, int(number))
        return describe_value(first, number, apart)

    def is_money(self, expr: FactExpr) -> bool:
        if isinstance(expr, Field):
            spec = self.spec(expr)
            return spec is not None and spec.type == "money"
        if isinstance(expr, Total):
            return all(self.is_money(p) for p in expr.parts)
        if isinstance(expr, YearSum):
            return self.is_money(expr.field)
        return False


def absent(expr: FactExpr, ctx: Context) -> tuple[tuple[str, str], ...]:
    """The facts of ``expr`` (a field, a year's total, a ratio or sum of fields) the scenario does not
    give, as (path, label): what to fill in for a near miss that is only missing data."""
    if isinstance(expr, Field):
        return ((expr.path, ctx.label(expr)),) if ctx.raw(expr) is MISSING else ()
    if isinstance(expr, YearSum):
        return absent(expr.field, ctx)
    if isinstance(expr, Ratio):
        return absent(expr.numerator, ctx) + absent(expr.denominator, ctx)
    if isinstance(expr, Total):
        return tuple(f for part in expr.parts for f in absent(part, ctx))
    return ()
