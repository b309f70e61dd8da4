"""Random registers drawn from whatever the catalogue and library hold now.

Values cluster near the thresholds, caps and validity dates the library uses,
so that inclusive/exclusive comparisons, floors, caps and date limits are hit.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from huiqi.core.facts import Catalogue, FieldSpec
from huiqi.core.model import (
    AmountSpec,
    Benefit,
    ByValue,
    Compare,
    Condition,
    Contains,
    Field,
    Library,
    OneOf,
    RangeRate,
    Ratio,
    Sum,
    Tiers,
    Total,
)
from huiqi.core.regions import TOWNS, contains
from huiqi.core.scenario import Enterprise, Event, PriorAward, Qualification, Scenario, Value

REGIONS = ("320506", "320412", "320500")
KEYS = ("A", "B")


class Hints:
    """Thresholds and dates the library uses, per fact name."""

    def __init__(self, library: Library, catalogue: Catalogue) -> None:
        self.numbers: dict[str, set[Fraction]] = {}
        self.options: dict[str, set[str]] = {}
        self.money: set[int] = {0, 1, 100_000_000}
        self.dates: set[date] = set()
        self.kinds: list[str] = sorted(k for k in library.by_event if k != "enterprise")
        self.benefit_ids = sorted(library.benefits)
        self.event_benefits: list[Benefit] = [
            b for b in library.benefits.values() if b.event != "enterprise" and b.event in catalogue.events
        ]
        self.groups = sorted({b.once_group for b in library.benefits.values() if b.once_group})
        # per cap over several awards (每年最高, 同一标的, 两级): its benefits that events select, so that a
        # scenario can hold several awards of one slot in one year (ceilings and exact amounts sharing it)
        self.cap_members: list[list[Benefit]] = []
        for _, (cap, benefit_ids) in sorted(library.caps.items()):
            members = [library.benefits[i] for i in sorted(benefit_ids) if i in library.benefits]
            members = [b for b in members if b in self.event_benefits]
            if members and cap.per != "item" and cap.fen:
                self.cap_members.append(members)
        for doc in library.documents:
            self.dates |= {doc.valid_from, doc.valid_from - timedelta(days=1)}
            if doc.valid_to:
                self.dates |= {doc.valid_to, doc.valid_to + timedelta(days=1)}
            for b in doc.benefits:
                for c in (*b.match, *b.when, *(b.uplift.conditions if b.uplift else ())):
                    self._cond(c)
                self._amount(b.amount)
                for cap in b.caps:
                    if cap.fen:
                        self.money.add(cap.fen)
                    self.money.update(f for _, f in cap.by_fen)
            for cap in doc.group_caps:
                if cap.fen:
                    self.money.add(cap.fen)

    def _fields(self, expr: object) -> list[str]:
        if isinstance(expr, Field):
            return [expr.name if expr.on_enterprise else expr.path]
        if isinstance(expr, Ratio):
            return [expr.numerator.path, expr.denominator.path]
        if isinstance(expr, Total):
            return [p.path for p in expr.parts]
        return []

    def _cond(self, c: Condition) -> None:
        if isinstance(c, OneOf):
            self.options.setdefault(c.fact.name, set()).update(c.values)
        if isinstance(c, Contains):
            self.options.setdefault(c.fact.name, set()).update(c.values)
        if isinstance(c, Compare):
            for name in self._fields(c.fact):
                self.numbers.setdefault(name.removeprefix("enterprise."), set()).add(c.value)
            if c.kind == "money":
                self.money.add(int(c.value))

    def _amount(self, a: AmountSpec) -> None:
        if isinstance(a, Sum):
            for p in a.parts:
                self._amount(p)
        elif isinstance(a, ByValue):
            self.options.setdefault(a.fact.name, set()).update(c for c, _ in a.cases)
            for _, p in a.cases:
                self._amount(p)
        elif isinstance(a, Tiers):
            for t in a.tiers:
                for name in self._fields(a.fact):
                    self.numbers.setdefault(name, set()).add(t.threshold)
                self._amount(t.amount)
        elif isinstance(a, RangeRate):
            for v in (a.floor_fen, a.cap_fen):
                if v:
                    self.money.add(v)


def _near(rng: random.Random, values: list[Fraction], step: Fraction) -> Fraction:
    if values and rng.random() < 0.8:
        base = rng.choice(values)
        return max(Fraction(0), base + rng.choice((-step, Fraction(0), Fraction(0), step, base)))
    return Fraction(rng.randint(0, 2000), rng.choice((1, 10, 100)))


def _value(rng: random.Random, name: str, spec: FieldSpec, hints: Hints, as_money: bool = True) -> Value | None:
    if rng.random() < 0.08 and not spec.required:
        return None
    t = spec.type
    near = sorted(hints.numbers.get(name, set()))
    if t == "money":
        base = [Fraction(m) for m in sorted(hints.money | {int(v) for v in near})]
        base = [b for b in base if b <= 10**12]
        if base and rng.random() < 0.8:
            b = rng.choice(base)
            return int(max(Fraction(0), b * rng.choice((1, 1, 2, 3, 10, 20)) + rng.choice((-100, -1, 0, 0, 1, 100))))
        return rng.randint(0, 5_000_000) * 100
    if t == "integer":
        return int(_near(rng, near, Fraction(1)))
    if t in ("number", "rate"):
        v = _near(rng, near, Fraction(1, 10_000))
        if t == "rate":
            v = min(v, Fraction(1)) if rng.random() < 0.9 else v
        return Fraction(round(v * 10_000), 10_000)
    if t == "bool":
        return rng.random() < 0.6
    if t == "enum":
        used = sorted(hints.options.get(name, set()) & set(spec.values))
        if used and rng.random() < 0.8:
            return rng.choice(used)
        return rng.choice(spec.values) if spec.values else None
    if t == "enum_list":
        seen = hints.options.get(name, set())
        return tuple(v for v in spec.values if rng.random() < (0.5 if v in seen else 0.1))
    if t == "date":
        return rng.choice(sorted(hints.dates))
    if t in ("text",):
        return rng.choice(KEYS)
    return None


def _default(spec: FieldSpec, value: Value | None) -> Value | None:
    """A blank as validation leaves it: the catalogue's default where it has one (获评方式 新获评)."""
    if value is None and spec.type in ("bool", "enum") and isinstance(spec.default, (bool, str)):
        return spec.default
    return value


def scenario(rng: random.Random, library: Library, catalogue: Catalogue, hints: Hints, code: str, as_of: date) -> Scenario:
    region = rng.choice(REGIONS)
    towns = TOWNS.get(region, ())
    town = rng.choice(towns) if towns and rng.random() < 0.8 else None
    kinds = catalogue.enterprise["kind"].values or ("企业",)
    facts: dict[str, Value] = {}
    for name, spec in catalogue.enterprise.items():
        if name in ("credit_code", "name", "kind", "region", "town"):
            continue
        v = _default(spec, _value(rng, name, spec, hints))
        if v is not None:
            facts[name] = v
    titles = list(catalogue.qualification_titles)
    dates = sorted(hints.dates)
    quals = []
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        if not titles:
            break
        since = rng.choice(dates)
        until = since + timedelta(days=rng.randint(100, 1500)) if rng.random() < 0.4 else None
        quals.append(Qualification(rng.choice(titles), since, rng.choice((None, "国家级", "省级", "市级")), until))
    ent = Enterprise(code, f"企业{code}", rng.choice(kinds) if rng.random() < 0.2 else "企业", region, town, facts, tuple(quals))
    events: list[Event] = []
    # one cap's benefits, in one year of its document, in a third of the scenarios: several awards
    # sharing a cap's room (an early ceiling beside later exact amounts) are otherwise rare
    focus = rng.choice(hints.cap_members) if hints.cap_members and rng.random() < 0.3 else None
    year = None
    if focus is not None:
        doc0 = library.document_of(focus[0])
        in_force = [r for r in REGIONS if contains(doc0.jurisdiction, r)]
        if in_force and region not in in_force:
            region = rng.choice(in_force)
            towns = TOWNS.get(region, ())
            town = rng.choice(towns) if towns and rng.random() < 0.8 else None
            ent = replace(ent, region=region, town=town)
        last = (doc0.valid_to or doc0.valid_from + timedelta(days=1000)).year
        year = rng.randint(doc0.valid_from.year, last)
    for i in range(rng.randint(2, 7) if focus else rng.randint(0, 7)):
        b = rng.choice(focus) if focus else rng.choice(hints.event_benefits)
        if not focus and events and rng.random() < 0.3:  # the same kind again: caps, once-per-key, first_time
            b = rng.choice([x for x in hints.event_benefits if x.event == events[-1].kind])
        kind = catalogue.events[b.event]
        wanted = {c.fact.path: c.values for c in b.match if isinstance(c, OneOf) and not c.negate and not c.fact.on_enterprise}
        efacts: dict[str, Value] = {}
        for name, spec in kind.fields.items():
            v = (
                rng.choice(wanted[name])
                if name in wanted and rng.random() < 0.9
                else _default(spec, _value(rng, name, spec, hints))
            )
            if v is not None:
                efacts[name] = v
        doc = library.document_of(b)
        if year is not None and rng.random() < 0.9:
            first = max(doc.valid_from, date(year, 1, 1))
            end = min(doc.valid_to or date(year, 12, 31), date(year, 12, 31))
            day = first + timedelta(days=rng.randint(0, max(0, (end - first).days)))
        elif rng.random() < 0.75:
            end = doc.valid_to or doc.valid_from + timedelta(days=1000)
            day = doc.valid_from + timedelta(days=rng.randint(0, max(0, (end - doc.valid_from).days)))
        else:
            day = rng.choice(dates)
        events.append(Event(f"E{i + 1}", kind.name, day, efacts))
    priors = []
    for _ in range(rng.choice((0, 0, 1, 2))):
        priors.append(
            PriorAward(
                amount_fen=rng.choice(sorted(hints.money)) // rng.choice((1, 2, 10)) + rng.choice((0, 1)),
                year=rng.choice((as_of.year - 1, as_of.year, *(e.date.year for e in events))),
                level=rng.choice(("national", "province", "city", "district")),
                document=rng.choice(("", "某市政策")),
                benefit=rng.choice((None, rng.choice(hints.benefit_ids), *(hints.groups[:1]))),
                event=rng.choice((None, *(e.id for e in events))),
                key=rng.choice((None, *KEYS, "A|B")),
            )
        )
    return Scenario(ent, tuple(events), tuple(priors), as_of)


def register(rng: random.Random, library: Library, catalogue: Catalogue, hints: Hints, size: int, as_of: date) -> list[Scenario]:
    out = []
    for i in range(size):
        s = scenario(rng, library, catalogue, hints, f"91320000RAND{i:06d}", as_of)
        out.append(s)
    return out


def with_as_of(s: Scenario, as_of: date, code: str) -> Scenario:
    return replace(s, enterprise=replace(s.enterprise, credit_code=code), as_of=as_of)
