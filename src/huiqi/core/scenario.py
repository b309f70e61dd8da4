"""A scenario (测算情景): an enterprise and what happened to it.

Values are already validated and typed (see :mod:`huiqi.core.facts`): money
in integer fen, numbers and rates as fractions, dates as ``date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

__all__ = ["Enterprise", "Event", "PriorAward", "Qualification", "Scenario", "Value"]

Value = int | Fraction | bool | str | tuple[str, ...] | date


@dataclass(frozen=True, slots=True)
class Qualification:
    """A recognition the enterprise already holds (高新技术企业, 专精特新 …)."""

    title: str
    since: date
    level: str | None = None
    until: date | None = None

    def held_on(self, on: date) -> bool:
        return self.since <= on and (self.until is None or on <= self.until)


@dataclass(frozen=True, slots=True)
class Enterprise:
    """主体: an enterprise or another applicant."""

    credit_code: str
    name: str
    kind: str
    region: str
    town: str | None = None
    facts: dict[str, Value] = field(default_factory=dict)
    qualifications: tuple[Qualification, ...] = ()
    defaulted: frozenset[str] = frozenset()  # facts left blank and read as the catalogue's default


@dataclass(frozen=True, slots=True)
class Event:
    """事项: one thing that happened, with a date and facts."""

    id: str
    kind: str
    date: date
    facts: dict[str, Value] = field(default_factory=dict)
    defaulted: frozenset[str] = frozenset()  # facts left blank and read as the catalogue's default

    @property
    def year(self) -> int:
        return self.date.year


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award already received (under this or another policy).

    ``event`` names the scenario event (the same project or matter) it was for;
    ``benefit`` the huiqi benefit id when it was one of ours.
    """

    amount_fen: int
    year: int
    level: str
    document: str = ""
    benefit: str | None = None
    event: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    enterprise: Enterprise
    events: tuple[Event, ...]
    prior_awards: tuple[PriorAward, ...] = ()
    as_of: date | None = None

    @property
    def reference_date(self) -> date:
        """The date for yearly benefits on the profile: ``as_of`` or the last event's date."""
        if self.as_of is not None:
            return self.as_of
        if self.events:
            return max(e.date for e in self.events)
        return date.today()
