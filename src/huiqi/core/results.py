"""What an evaluation returns: awards with their working, and totals."""

from __future__ import annotations

from dataclasses import dataclass, field

from .amounts import nature_of
from .conditions import Outcome
from .model import Benefit, Citation, Document, Nature
from .scenario import Event, Scenario

__all__ = ["GRANTED", "NEAR_MISS", "SET_ASIDE", "Award", "Evaluation", "Line", "Missing", "PayerPart", "Totals"]

GRANTED = "granted"
SET_ASIDE = "set_aside"
NEAR_MISS = "near_miss"


# The classes made per evaluation (dozens of each) declare ``init=False`` and write
# their ``__init__`` out: mypyc compiles a written ``__init__`` (≈ 70 ns), while the
# one ``@dataclass`` generates stays interpreted (≈ 300–450 ns once compiled).
# ``repr``, ``==`` and ``dataclasses.replace`` still come from ``@dataclass``.


@dataclass(slots=True, init=False)
class Line:
    """One step of the working, with the words it rests on."""

    text: str
    cite: Citation | None

    def __init__(self, text: str, cite: Citation | None = None) -> None:
        self.text = text
        self.cite = cite


@dataclass(slots=True, init=False)
class Missing(Line):
    """A reason that is a fact not given (未填写, 缺少…无法计算金额): ``facts`` to fill in, as (path, label)."""

    facts: tuple[tuple[str, str], ...]

    def __init__(self, text: str, cite: Citation | None, facts: tuple[tuple[str, str], ...]) -> None:
        self.text = text  # not super().__init__: a slots dataclass is a new class, which the zero-argument form misses
        self.cite = cite
        self.facts = facts


@dataclass(slots=True, init=False)
class PayerPart:
    """Who pays which part of an award."""

    role: str
    payer: str
    weight: int
    low: int
    high: int | None

    def __init__(self, role: str, payer: str, weight: int, low: int, high: int | None) -> None:
        self.role = role
        self.payer = payer
        self.weight = weight
        self.low = low
        self.high = high


@dataclass(slots=True, init=False)
class Award:
    """One benefit for one event (or for the year, on the profile)."""

    benefit: Benefit
    document: Document
    event: Event | None
    status: str
    low: int
    high: int | None
    kind: str
    conditions: list[Outcome]
    steps: list[Line]
    reasons: list[Line]
    payers: list[PayerPart]
    disburser: str | None
    tiers_unpublished: bool
    text: str
    # the event's date (the year's reference date) lies outside the document's window: not
    # "nearly" met whatever else holds, and shown apart from the near misses
    out_of_window: bool
    # a near miss: what the item would pay were its requirements met (its own amount and item
    # caps, before yearly caps and 就高不重复), as text; '' when the facts do not give an amount
    if_met: str

    def __init__(
        self,
        benefit: Benefit,
        document: Document,
        event: Event | None,
        status: str,
        low: int = 0,
        high: int | None = 0,
        kind: str = "money",
        conditions: list[Outcome] | None = None,
        steps: list[Line] | None = None,
        reasons: list[Line] | None = None,
        payers: list[PayerPart] | None = None,
        disburser: str | None = None,
        tiers_unpublished: bool = False,
        text: str = "",
        out_of_window: bool = False,
        if_met: str = "",
    ) -> None:
        self.benefit = benefit
        self.document = document
        self.event = event
        self.status = status
        self.low = low
        self.high = high
        self.kind = kind
        self.conditions = [] if conditions is None else conditions
        self.steps = [] if steps is None else steps
        self.reasons = [] if reasons is None else reasons
        self.payers = [] if payers is None else payers
        self.disburser = disburser
        self.tiers_unpublished = tiers_unpublished
        self.text = text
        self.out_of_window = out_of_window
        self.if_met = if_met

    @property
    def nature(self) -> Nature:
        return nature_of(self.kind, self.low, self.high)

    @property
    def is_money(self) -> bool:
        return self.kind == "money"

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.benefit.order, 0 if self.event is None else self.event.date.toordinal(), self.event.id if self.event else "")


@dataclass(slots=True, init=False)
class Totals:
    """A sum of awards: ``high is None`` when some part has no upper bound."""

    low: int
    high: int | None
    count: int
    unpriced: int  # items granted whose text states no amount (未定额支持), counted apart from the money
    non_money: int  # items granted that pay no money (权益, 免费服务), counted apart too

    def __init__(self, low: int = 0, high: int | None = 0, count: int = 0) -> None:
        self.low = low
        self.high = high
        self.count = count
        self.unpriced = 0
        self.non_money = 0

    def add(self, low: int, high: int | None) -> None:
        self.low += low
        self.high = None if self.high is None or high is None else self.high + high
        self.count += 1

    def add_award(self, award: Award) -> None:
        """A granted award: its amount (``count``), or counted as 未定额支持 (``unpriced``) or as paying no
        money (``non_money``), so that the three counts are the awards added."""
        if award.is_money:
            self.add(award.low, award.high)
        elif award.kind == "none":  # 给予相应补助: granted, no amount to add
            self.unpriced += 1
        else:
            self.non_money += 1


@dataclass(slots=True)
class Evaluation:
    """The answer for one scenario."""

    scenario: Scenario
    awards: list[Award]
    set_aside: list[Award]
    near_misses: list[Award]
    by_document: dict[str, Totals]
    by_payer: dict[str, Totals]
    total: Totals
    documents: list[Document]
    # events no benefit of the enterprise's documents selects (kind and ``match``), each with why
    unmatched: list[tuple[Event, str]] = field(default_factory=list)
    # the scenario's facts as people read them (enterprise.annual_sales → 当年度产销（销售收入）), for notes
    labels: dict[str, str] = field(default_factory=dict)
