"""Run a compiled plan with DuckDB (embedded, one process, spills to disk)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from .compiler import lit
from .layout import arrow_schema
from .plan import AS_OF, Plan, StaticTable, date_literal

__all__ = ["DuckResult", "no_auto_checkpoints", "run", "static_arrow"]


@dataclass(frozen=True, slots=True)
class DuckResult:
    """The outputs as DuckDB relations on the connection used."""

    awards: duckdb.DuckDBPyRelation
    payers: duckdb.DuckDBPyRelation
    steps_run: int


def static_arrow(table: StaticTable) -> pa.Table:
    types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_()}
    schema = pa.schema([pa.field(n, types[t]) for n, t in table.columns])
    cols = {n: [row[i] for row in table.rows] for i, (n, _) in enumerate(table.columns)}
    return pa.table(cols, schema=schema)


def no_auto_checkpoints(con: duckdb.DuckDBPyConnection) -> None:
    """No automatic checkpoints on ``con``'s database from now on.

    The plan's steps are temporary tables, replaced chunk by chunk and dropped
    with the connection. By default DuckDB checkpoints after every 16 MiB of
    changes, temporary tables included (they are in-memory tables): at 10^7
    event rows it checkpointed and vacuumed them twice per chunk, 11.7 s of a
    122 s run (benchmarks/RESULTS.md), for tables that are thrown away.
    """
    con.execute("SET checkpoint_threshold = '1TB'").fetchall()


def _create(con: duckdb.DuckDBPyConnection, what: str, name: str, sql: str) -> None:
    """``CREATE OR REPLACE TEMP <what> name AS sql``, also when an earlier run on the
    connection (another chunk, whose exclusivity rounds converged later or sooner)
    left an object of the other type under that name."""
    other = "VIEW" if what == "TABLE" else "TABLE"
    with contextlib.suppress(duckdb.CatalogException):  # the name is a {what} already: replaced below
        con.execute(f"DROP {other} IF EXISTS {name}")
    con.execute(f"CREATE OR REPLACE TEMP {what} {name} AS {sql}")


def run(
    plan: Plan,
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, Any],
    as_of: date,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> DuckResult:
    """Run ``plan`` on the four register tables (pyarrow tables, names of
    tables on ``con``, or anything DuckDB can register: relations, pandas frames).  Every step becomes a
    temporary table on ``con``; ``memory_limit`` (e.g. ``"512MB"``) caps
    DuckDB's memory and lets it spill to ``temp_directory``, a folder the caller
    removes once ``con`` is closed."""
    if memory_limit is not None:
        if temp_directory is None:
            raise ValueError("memory_limit needs a temp_directory for DuckDB to spill to")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = {lit(temp_directory)}")
        con.execute("SET preserve_insertion_order = false")
    for name in plan.layout.tables:
        if name not in tables:
            raise ValueError(f"缺少台账表“{name}”")
        data = tables[name]
        if isinstance(data, str):  # a table on ``con`` already in the canonical layout
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {data}")
            continue
        if isinstance(data, pa.Table):
            data = data.cast(arrow_schema(plan.layout.table(name)))
        con.register(f"hq_in_{name}", data)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM hq_in_{name}")
    for st in plan.statics:
        con.register(f"hq_in_{st.name}", static_arrow(st))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {st.name} AS SELECT * FROM hq_in_{st.name}")
        con.unregister(f"hq_in_{st.name}")
    day = date_literal(as_of)
    done_groups: dict[str, str] = {}
    count = 0
    for step in plan.steps:
        if step.group is not None and step.group in done_groups:
            _create(con, "VIEW", step.name, f"SELECT * FROM {done_groups[step.group]}")
            continue
        if step.group is not None and step.converged is not None and step.source is not None:
            row = con.execute(step.converged["duckdb"]).fetchone()
            if row is not None and row[0] == 0:
                done_groups[step.group] = step.source
                _create(con, "VIEW", step.name, f"SELECT * FROM {step.source}")
                continue
        parts = step.parts["duckdb"] if step.parts else (step.sql["duckdb"],)
        _create(con, "TABLE", step.name, parts[0].replace(AS_OF, day))
        for part in parts[1:]:
            con.execute(f"INSERT INTO {step.name} {part.replace(AS_OF, day)}")
        count += 1
    return DuckResult(
        awards=con.table(plan.outputs["awards"]),
        payers=con.table(plan.outputs["payers"]),
        steps_run=count,
    )
