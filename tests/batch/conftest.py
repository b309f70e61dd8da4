"""Fixtures shared by the batch tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(DSN, name of a new schema) on the test PostgreSQL server; the schema is dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    from .pg import pg_dsn

    dsn = pg_dsn()
    schema = f"huiqi_pg_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            yield dsn, schema
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())
