"""PostgreSQL for the register tests: the server, and Arrow tables as typed tables (the schema fixture is in conftest.py)."""

from __future__ import annotations

from typing import Any

import psycopg
import pyarrow as pa

_TYPES = {
    pa.string(): "TEXT",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.float64(): "DOUBLE PRECISION",
}


def pg_dsn() -> str:
    """The test server at 127.0.0.1:5432, database ``test`` (user postgres, or root)."""
    for user in ("postgres", "root"):
        dsn = f"postgresql://{user}@127.0.0.1:5432/test"
        try:
            psycopg.connect(dsn, connect_timeout=3).close()
            return dsn
        except psycopg.OperationalError:
            continue
    raise AssertionError("PostgreSQL at 127.0.0.1:5432 (database test) is required for this test")


def pg_type(t: Any) -> str:
    if pa.types.is_decimal(t):
        return f"NUMERIC({t.precision},{t.scale})"
    if pa.types.is_list(t):
        return "TEXT[]"
    return _TYPES[t]


def create_table(conn: Any, schema: str, name: str, table: Any, types: dict[str, str] | None = None) -> None:
    """``table`` (Arrow) as ``schema.name``, its column types mapped (``types`` overrides a column's)."""
    cols = ", ".join(f'"{f.name}" {(types or {}).get(f.name, pg_type(f.type))}' for f in table.schema)
    conn.execute(f'CREATE TABLE {schema}."{name}" ({cols})'.encode())
    marks = ", ".join(["%s"] * table.num_columns)
    with conn.cursor() as cur:
        cur.executemany(
            f'INSERT INTO {schema}."{name}" VALUES ({marks})'.encode(), [tuple(r.values()) for r in table.to_pylist()]
        )
