"""Bring a register held in PostgreSQL into a DuckDB file, so it is validated in SQL.

DuckDB's ``postgres`` extension is downloaded at run time, which huiqi does not
allow, and reading row by row through a cursor into the Python validator runs at
a few thousand rows a second.  Instead each register table is streamed out of
PostgreSQL with ``COPY … TO STDOUT (FORMAT csv)`` (the server writes it; psycopg
only moves bytes) into a file of the work folder and loaded by DuckDB's CSV
reader with the column types the table declares, in the order PostgreSQL sends
the rows.  The result is an ordinary DuckDB register file, which
:mod:`huiqi.batch.io_sql` validates like one a user made, naming the PostgreSQL
table and row in every message.

Types are carried over so that every value reaches the validator as the Python
path would have seen it (psycopg's own conversion):

=====================================  ==========================================
PostgreSQL                             DuckDB
=====================================  ==========================================
text, varchar, char                    VARCHAR
smallint, integer, bigint              BIGINT
numeric(p, s), p ≤ 38                  DECIMAL(p, s) — exact
numeric without a precision            DECIMAL(38, s) with s the largest scale of
                                       the column's values when s ≤ 10 and every
                                       value has at most 27 integer digits;
                                       otherwise VARCHAR (those rows then go to
                                       the Python validator, as before)
real, double precision                 DOUBLE
boolean                                BOOLEAN
date                                   DATE
timestamp, timestamptz                 DATE (the date part, as psycopg's
                                       ``datetime.date()`` gives)
text[], varchar[]                      VARCHAR[] (through ``array_to_json``)
anything else                          VARCHAR (its text form)
=====================================  ==========================================

A value the SQL validator does not read (a VARCHAR in a money column, say) is
not lost: that row goes to the Python validator, with the same message it
always had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from .compiler import lit
from .io_read import SHEETS, RegisterError, hide_password, register_tables

__all__ = ["PgTable", "count_events", "stage_postgres"]

_TEXT = {"text", "character varying", "character", "name", "citext"}
_INT = {"smallint", "integer", "bigint"}
_FLOAT = {"real", "double precision"}
_TIMESTAMP = {"timestamp without time zone", "timestamp with time zone"}
_TEXT_ARRAYS = {"_text", "_varchar", "_bpchar"}
_MAX_SCALE = 10  # the SQL validator reads decimals of at most 10 places
_MAX_DIGITS = 38


@dataclass(frozen=True)
class PgTable:
    """One register table copied out of PostgreSQL: where it came from and where it went."""

    key: str  # enterprises, events, qualifications or prior_awards
    source: str  # schema.table in PostgreSQL, as messages show it
    staged: str  # table name in the DuckDB file
    rows: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(
    cur: Any, table_sql: str, name: str, data_type: str, udt: str, precision: int | None, scale: int | None
) -> tuple[str, str, bool]:
    """(expression in PostgreSQL's SELECT, type read from the CSV, whether DuckDB reads it as a JSON list)."""
    col = _quote(name)
    if data_type in _TEXT:
        return col, "VARCHAR", False
    if data_type in _INT:
        return col, "BIGINT", False
    if data_type in _FLOAT:
        return col, "DOUBLE", False
    if data_type == "boolean":
        return col, "BOOLEAN", False
    if data_type == "date":
        return col, "DATE", False
    if data_type in _TIMESTAMP:
        return f"{col}::date", "DATE", False
    if data_type == "numeric":
        if precision is not None and precision <= _MAX_DIGITS:
            return col, f"DECIMAL({precision},{scale or 0})", False
        if precision is None:
            cur.execute(f"SELECT max(scale({col})), max(abs(trunc({col}))) FROM {table_sql}".encode())
            max_scale, max_whole = cur.fetchone()
            s = int(max_scale or 0)
            if s <= _MAX_SCALE and (max_whole is None or len(str(int(max_whole))) <= _MAX_DIGITS - 1 - _MAX_SCALE):
                return col, f"DECIMAL({_MAX_DIGITS},{s})", False
        return f"{col}::text", "VARCHAR", False
    if data_type == "ARRAY" and udt in _TEXT_ARRAYS:
        return f"array_to_json({col})::text", "VARCHAR", True
    return f"{col}::text", "VARCHAR", False


def stage_postgres(
    dsn: str,
    schema: str | None,
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    progress: Callable[[str, int], None] | None = None,
) -> list[PgTable]:
    """Copy the register tables of ``schema`` into the DuckDB connection's main schema.

    ``folder`` holds each table's CSV while it is loaded (deleted right after).
    Tables are found by the same names as in a DuckDB or Parquet register
    (``enterprises`` or ``企业``, ``events`` or ``事项`` …).
    """
    import psycopg

    shown = hide_password(dsn)
    try:
        conn = psycopg.connect(dsn)
    except Exception as exc:
        raise RegisterError(f"无法连接PostgreSQL（{shown}）：{exc}") from None
    sch = schema or "public"
    out: list[PgTable] = []
    # rowid must follow the server's row order (row numbers in messages), even when the
    # batch lets DuckDB reorder results (preserve_insertion_order = false under a memory limit)
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true").fetchall()
    try:
        with conn.cursor() as cur:
            cur.execute("SET DateStyle = ISO")
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [sch])
            tables = {r[0] for r in cur.fetchall()}
            for key, name in register_tables(tables, shown, sch):
                table_sql = f"{_quote(sch)}.{_quote(name)}"
                cur.execute(
                    "SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale "
                    "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    [sch, name],
                )
                columns = [(*_column(cur, table_sql, r[0], r[1], r[2], r[3], r[4]), r[0]) for r in cur.fetchall()]
                csv = folder / f"hq_pg_{key}.csv"
                with open(csv, "wb") as f, cur.copy(
                    f"COPY (SELECT {', '.join(c[0] for c in columns)} FROM {table_sql}) TO STDOUT (FORMAT csv)".encode()
                ) as copy:
                    for data in copy:
                        f.write(data)
                types = ", ".join(f"{lit(f'c{i}')}: {lit(c[1])}" for i, c in enumerate(columns))
                select = ", ".join(
                    (f"from_json(c{i}, '[\"VARCHAR\"]')" if c[2] else f"c{i}") + f" AS {_quote(c[3])}"
                    for i, c in enumerate(columns)
                )
                staged = f"hq_pg_{key}"
                try:
                    con.execute(
                        f"CREATE TABLE {staged} AS SELECT {select} FROM read_csv({lit(str(csv))}, header = false, "
                        f"columns = {{{types}}}, auto_detect = false, quote = '\"', escape = '\"', "
                        f"allow_quoted_nulls = false, null_padding = false)"
                    )
                except duckdb.Error as exc:
                    raise RegisterError(f"{shown}：无法读取表{sch}.{name}：{exc}") from None
                finally:
                    csv.unlink(missing_ok=True)
                rows = int(con.execute(f"SELECT count(*) FROM {staged}").fetchall()[0][0])
                out.append(PgTable(key, f"{sch}.{name}", staged, rows))
                if progress is not None:
                    progress(key, rows)
    except psycopg.Error as exc:
        raise RegisterError(f"读取PostgreSQL（{shown}）出错：{exc}") from None
    finally:
        conn.close()
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}").fetchall()
    return out


def count_events(dsn: str, schema: str | None) -> int:
    """Rows of the register's event table (0 when it cannot be read: staging then says why)."""
    import psycopg

    sch = schema or "public"
    try:
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [sch])
            tables = {r[0] for r in cur.fetchall()}
            name = next((n for n in SHEETS["events"] if n in tables), None)
            if name is None:
                return 0
            cur.execute(f"SELECT count(*) FROM {_quote(sch)}.{_quote(name)}".encode())
            row = cur.fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return 0
