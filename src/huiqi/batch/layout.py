"""The canonical register layout (台账格式) shared by every batch backend.

Four tables, keyed by 统一社会信用代码:

- ``enterprises``: credit_code, name, kind, region, town, then one column per
  other enterprise field of the catalogue;
- ``qualifications``: credit_code, title, level, since, until;
- ``events``: credit_code, event_id, kind, date, then one column per distinct
  event field name across all event kinds (NULL where a kind lacks it);
- ``prior_awards``: credit_code, amount_fen, year, level, document, benefit,
  event, key.

Types follow the catalogue: money → BIGINT fen; number/rate → DECIMAL(38,10);
integer → BIGINT; bool → BOOLEAN; enum/text/region/town/credit_code → VARCHAR;
enum_list → VARCHAR[]; date → DATE.  The column lists are plain data (no
pyarrow needed); :func:`to_arrow` builds pyarrow tables from scenarios.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..core.facts import Catalogue, FieldSpec
from ..core.scenario import Scenario, Value

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ENTERPRISE_CORE",
    "EVENT_CORE",
    "NUMBER_SCALE",
    "Column",
    "Layout",
    "LayoutError",
    "arrow_schema",
    "layout",
    "sql_type",
    "to_arrow",
]

ENTERPRISE_CORE = ("credit_code", "name", "kind", "region", "town")
EVENT_CORE = ("credit_code", "event_id", "kind", "date")
NUMBER_SCALE = 10  # digits after the point of DECIMAL(38,10)

_SQL_TYPES = {
    "money": "BIGINT",
    "number": "DECIMAL(38,10)",
    "rate": "DECIMAL(38,10)",
    "integer": "BIGINT",
    "bool": "BOOLEAN",
    "enum": "VARCHAR",
    "text": "VARCHAR",
    "region": "VARCHAR",
    "town": "VARCHAR",
    "credit_code": "VARCHAR",
    "enum_list": "VARCHAR[]",
    "date": "DATE",
}


class LayoutError(ValueError):
    """The catalogue cannot be laid out as one register (a field typed two ways)."""


def sql_type(field_type: str) -> str:
    """The logical SQL type of a catalogue field type."""
    try:
        return _SQL_TYPES[field_type]
    except KeyError:
        raise LayoutError(f"事实目录中的类型“{field_type}”无法映射为台账列类型") from None


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, logical SQL type and the catalogue type (``None`` for core columns)."""

    name: str
    type: str
    field_type: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    enterprises: tuple[Column, ...]
    qualifications: tuple[Column, ...]
    events: tuple[Column, ...]
    prior_awards: tuple[Column, ...]

    def table(self, name: str) -> tuple[Column, ...]:
        tables: dict[str, tuple[Column, ...]] = {
            "enterprises": self.enterprises,
            "qualifications": self.qualifications,
            "events": self.events,
            "prior_awards": self.prior_awards,
        }
        return tables[name]

    @property
    def tables(self) -> tuple[str, ...]:
        return ("enterprises", "qualifications", "events", "prior_awards")

    def event_field(self, name: str) -> Column | None:
        for col in self.events[len(EVENT_CORE) :]:
            if col.name == name:
                return col
        return None

    def enterprise_field(self, name: str) -> Column | None:
        for col in self.enterprises:
            if col.name == name:
                return col
        return None


def layout(catalogue: Catalogue) -> Layout:
    """The four tables' columns for a catalogue; :class:`LayoutError` when a
    field name is used by several event kinds with different types."""
    ent = [
        Column("credit_code", "VARCHAR", "credit_code"),
        Column("name", "VARCHAR", "text"),
        Column("kind", "VARCHAR", "enum"),
        Column("region", "VARCHAR", "region"),
        Column("town", "VARCHAR", "town"),
    ]
    for name, spec in catalogue.enterprise.items():
        if name in ENTERPRISE_CORE:
            continue
        ent.append(Column(name, sql_type(spec.type), spec.type))
    seen: dict[str, tuple[str, str]] = {}
    ev = [Column("credit_code", "VARCHAR"), Column("event_id", "VARCHAR"), Column("kind", "VARCHAR"), Column("date", "DATE")]
    for kind_name, kind in catalogue.events.items():
        for name, spec in kind.fields.items():
            if name in EVENT_CORE:
                raise LayoutError(f"事项类型“{kind_name}”的字段“{name}”与台账的固定列同名，无法放入事项表")
            if name in seen:
                other_kind, other_type = seen[name]
                if sql_type(other_type) != sql_type(spec.type) or other_type != spec.type:
                    raise LayoutError(
                        f"事项字段“{name}”在“{other_kind}”中为{other_type}类型，在“{kind_name}”中为{spec.type}类型；"
                        "同名字段在各事项类型中必须同一类型"
                    )
                continue
            seen[name] = (kind_name, spec.type)
            ev.append(Column(name, sql_type(spec.type), spec.type))
    quals = (
        Column("credit_code", "VARCHAR"),
        Column("title", "VARCHAR"),
        Column("level", "VARCHAR"),
        Column("since", "DATE"),
        Column("until", "DATE"),
    )
    priors = (
        Column("credit_code", "VARCHAR"),
        Column("amount_fen", "BIGINT"),
        Column("year", "INTEGER"),
        Column("level", "VARCHAR"),
        Column("document", "VARCHAR"),
        Column("benefit", "VARCHAR"),
        Column("event", "VARCHAR"),
        Column("key", "VARCHAR"),
    )
    return Layout(tuple(ent), quals, tuple(ev), priors)


def _arrow_type(logical: str) -> pa.DataType:
    import pyarrow as pa

    if logical == "VARCHAR":
        return pa.string()
    if logical == "BIGINT":
        return pa.int64()
    if logical == "INTEGER":
        return pa.int32()
    if logical == "BOOLEAN":
        return pa.bool_()
    if logical == "DATE":
        return pa.date32()
    if logical == "VARCHAR[]":
        return pa.list_(pa.string())
    if logical.startswith("DECIMAL"):
        return pa.decimal128(38, NUMBER_SCALE)
    raise LayoutError(f"unknown logical type {logical}")


def arrow_schema(columns: Iterable[Column]) -> pa.Schema:
    """The pyarrow schema of one table of the layout."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, _arrow_type(c.type)) for c in columns])


def _cell(col: Column, value: Value | None) -> Any:
    if value is None:
        return None
    t = col.field_type
    if col.type.startswith("DECIMAL"):
        frac = Fraction(value) if not isinstance(value, (str, tuple, date, bool)) else None
        if frac is None:
            raise LayoutError(f"列{col.name}应为数值，得到{value!r}")
        scaled = frac * 10**NUMBER_SCALE
        if scaled.denominator != 1:
            raise LayoutError(f"列{col.name}的值{value}超出{NUMBER_SCALE}位小数，无法精确存入DECIMAL(38,{NUMBER_SCALE})")
        return Decimal(scaled.numerator).scaleb(-NUMBER_SCALE)
    if col.type == "VARCHAR[]":
        return list(value) if isinstance(value, tuple) else [str(value)]
    if t in ("money", "integer") and isinstance(value, Fraction):
        return int(value)
    return value


def _rows(columns: tuple[Column, ...], records: Sequence[Mapping[str, Any]]) -> pa.Table:
    import pyarrow as pa

    schema = arrow_schema(columns)
    data = {c.name: [_cell(c, r.get(c.name)) for r in records] for c in columns}
    return pa.table(data, schema=schema)


def to_arrow(scenarios: Iterable[Scenario], catalogue: Catalogue) -> dict[str, pa.Table]:
    """The four register tables for a list of scenarios (one enterprise each).

    Enterprises must have distinct credit codes; event ids need only be unique
    within one enterprise.
    """
    lay = layout(catalogue)
    ents: list[dict[str, Any]] = []
    quals: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    priors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for s in scenarios:
        e = s.enterprise
        if e.credit_code in seen:
            raise LayoutError(f"统一社会信用代码{e.credit_code}重复")
        seen.add(e.credit_code)
        ents.append({"credit_code": e.credit_code, "name": e.name, "kind": e.kind, "region": e.region, "town": e.town, **e.facts})
        for q in e.qualifications:
            quals.append({"credit_code": e.credit_code, "title": q.title, "level": q.level, "since": q.since, "until": q.until})
        for ev in s.events:
            events.append({**ev.facts, "credit_code": e.credit_code, "event_id": ev.id, "kind": ev.kind, "date": ev.date})
        for p in s.prior_awards:
            priors.append(
                {
                    "credit_code": e.credit_code,
                    "amount_fen": p.amount_fen,
                    "year": p.year,
                    "level": p.level,
                    "document": p.document,
                    "benefit": p.benefit,
                    "event": p.event,
                    "key": p.key,
                }
            )
    return {
        "enterprises": _rows(lay.enterprises, ents),
        "qualifications": _rows(lay.qualifications, quals),
        "events": _rows(lay.events, events),
        "prior_awards": _rows(lay.prior_awards, priors),
    }


def field_spec(catalogue: Catalogue, kind: str, name: str) -> FieldSpec | None:
    """The spec of an event field of a kind (``None`` when the kind lacks it)."""
    k = catalogue.events.get(kind)
    return None if k is None else k.fields.get(name)
