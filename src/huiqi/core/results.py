"""What an evaluation returns: awards with their working, and totals."""

from __future__ import annotations

from dataclasses import dataclass, field

from .amounts import nature_of
from .conditions import Outcome
from .model import Benefit, Citation, Document, Nature
from .scenario import Event, Scenario

__all__ = ["GRANTED", "NEAR_MISS", "SET_ASIDE", "Award", "Evaluation", "Line", "PayerPart", "Totals"]

GRANTED = "granted"
SET_ASIDE = "set_aside"
NEAR_MISS = "near_miss"


@dataclass(slots=True)
class Line:
    """One step of the working, with the words it rests on."""

    text: str
    cite: Citation | None = None


@dataclass(slots=True)
class PayerPart:
    """Who pays which part of an award."""

    role: str
    payer: str
    weight: int
    low: int
    high: int | None


@dataclass(slots=True)
class Award:
    """One benefit for one event (or for the year, on the profile)."""

    benefit: Benefit
    document: Document
    event: Event | None
    status: str
    low: int = 0
    high: int | None = 0
    kind: str = "money"
    conditions: list[Outcome] = field(default_factory=list)
    steps: list[Line] = field(default_factory=list)
    reasons: list[Line] = field(default_factory=list)
    payers: list[PayerPart] = field(default_factory=list)
    disburser: str | None = None
    tiers_unpublished: bool = False
    text: str = ""

    @property
    def nature(self) -> Nature:
        return nature_of(self.kind, self.low, self.high)

    @property
    def is_money(self) -> bool:
        return self.kind == "money"

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.benefit.order, 0 if self.event is None else self.event.date.toordinal(), self.event.id if self.event else "")


@dataclass(slots=True)
class Totals:
    """A sum of awards: ``high is None`` when some part has no upper bound."""

    low: int = 0
    high: int | None = 0
    count: int = 0

    def add(self, low: int, high: int | None) -> None:
        self.low += low
        self.high = None if self.high is None or high is None else self.high + high
        self.count += 1


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
