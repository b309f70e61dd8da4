"""A compiled plan: an ordered list of SQL steps plus small static tables.

The plan is built once from the Library (:func:`huiqi.batch.compiler.compile_library`)
and rendered for every dialect at that time; a runner (DuckDB, Spark) or a
scheduler (exported SQL) executes the steps in order, materialising each one
as a table named after the step.  ``${as_of}`` in the SQL stands for the batch
reference date (the date of yearly units on the enterprise's profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .layout import Layout

__all__ = ["AS_OF", "DIALECTS", "Plan", "StaticTable", "Step", "date_literal"]

DIALECTS = ("duckdb", "spark", "hive")
AS_OF = "${as_of}"


def date_literal(on: date) -> str:
    return f"DATE '{on.isoformat()}'"


@dataclass(frozen=True, slots=True)
class StaticTable:
    """A small table computed from the Library (conflicts, caps, payer shares …)."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, logical type: VARCHAR, BIGINT, INTEGER, BOOLEAN)
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One SQL statement whose result is materialised as table ``name``.

    ``sql`` maps a dialect to the SELECT text.  ``converged`` (when set) is a
    SELECT returning one count: zero means later steps of the same ``group``
    would change nothing, so a runner may alias the group's last table to this
    one and skip the rest (exclusivity rounds).
    """

    name: str
    sql: dict[str, str]
    stage: str
    group: str | None = None
    converged: dict[str, str] | None = None
    source: str | None = None  # the table ``converged`` counts in
    parts: dict[str, tuple[str, ...]] | None = None  # UNION ALL branches, for runners that insert chunk by chunk


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    statics: tuple[StaticTable, ...]
    layout: Layout
    outputs: dict[str, str] = field(default_factory=dict)  # "awards"/"payers" -> step name
    benefits: tuple[str, ...] = ()
    exclusivity_rounds: int = 0
    cap_layers: int = 0

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)
