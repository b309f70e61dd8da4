"""A register in PostgreSQL is copied into DuckDB with its types and row order
(huiqi.batch.io_pg) and validated in SQL with exactly the Python reader's
messages, counts and rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")
psycopg = pytest.importorskip("psycopg")

from huiqi.batch import io_sql  # noqa: E402
from huiqi.batch.io_pg import stage_postgres  # noqa: E402
from huiqi.batch.io_read import Register, RegisterError, read_register  # noqa: E402
from huiqi.service import engine  # noqa: E402

from .pg import create_table  # noqa: E402
from .test_io_sql import _rows, _write  # noqa: E402

pytestmark = pytest.mark.postgres


def _load(dsn: str, schema: str, folder: Path, types: dict[tuple[str, str], str] | None = None) -> None:
    """Each Parquet file of a register folder as a PostgreSQL table (``types`` overrides a column's type)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in sorted(folder.glob("*.parquet")):
            key = path.stem
            own = {col: t for (k, col), t in (types or {}).items() if k == key}
            create_table(conn, schema, key, pq.read_table(path), own)


@pytest.mark.parametrize("keep_order", [True, False])
def test_sql_path_gives_the_python_paths_messages_counts_and_rows(
    tmp_path: Path, pg_schema: tuple[str, str], keep_order: bool
) -> None:
    dsn, schema = pg_schema
    # the bad register of test_io_sql, one money column without a declared precision
    _load(dsn, schema, _write(tmp_path / "bad.parquet"), {("events", "total_investment"): "NUMERIC"})
    cat = engine().catalogue
    py: Register = read_register(dsn, cat, schema)
    con = duckdb.connect()
    # a batch under --memory-limit lets DuckDB reorder rows; row numbers must still be PostgreSQL's
    con.execute(f"SET preserve_insertion_order = {keep_order}")
    sql = io_sql.validate_sql(dsn, cat, con, schema)
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0] is keep_order
    assert len(py.errors) >= 20
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    assert "test" in sql.register.errors[0].message() and f"{schema}." in sql.register.errors[0].message()
    # the summary names the schema: two schemas of one database are two registers
    assert py.source == sql.register.source and py.source.endswith(f"（模式 {schema}）")
    for key, c in py.counts.items():
        assert (sql.register.counts[key].read, sql.register.counts[key].rejected) == (c.read, c.rejected), key
    got = io_sql.canonical_tables(sql)
    for key, table in py.tables.items():
        assert _rows(got[key].cast(table.schema)) == _rows(table), key
    assert py.tables["events"].num_rows >= 3


def test_clean_rows_never_reach_python(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    dsn, schema = pg_schema
    folder = tmp_path / "good.parquet"
    folder.mkdir()
    from huiqi.core.credit_code import make_credit_code

    code = make_credit_code("91320506MA1XA0002")
    ents = [{"credit_code": code, "name": "乙", "region": "320506", "town": "郭巷街道", "sectors": ["人形机器人"]}]
    pq.write_table(pa.Table.from_pylist(ents), folder / "enterprises.parquet")
    evs = [
        {"credit_code": code, "event_id": "E1", "kind": "purchase", "date": date(2025, 5, 1), "category": "机器人产品或服务"},
    ]
    pq.write_table(pa.Table.from_pylist(evs), folder / "events.parquet")
    # money as NUMERIC without precision (scale read from the values), a timestamp as the event date
    _load(dsn, schema, folder)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {schema}.events ADD COLUMN amount NUMERIC".encode())
        conn.execute(f"UPDATE {schema}.events SET amount = 600000.50".encode())
        conn.execute(f"ALTER TABLE {schema}.events ALTER COLUMN date TYPE TIMESTAMP".encode())
    sql = io_sql.validate_sql(dsn, engine().catalogue, duckdb.connect(), schema)
    assert sql.rows_to_python == 0 and sql.register.errors == []
    tables = io_sql.canonical_tables(sql)
    assert tables["events"].column("amount").to_pylist() == [60_000_050]
    assert tables["events"].column("date").to_pylist() == [date(2025, 5, 1)]
    assert tables["enterprises"].column("sectors").to_pylist() == [["人形机器人"]]


def test_staging_keeps_types_values_and_row_order(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {schema}.enterprises (code TEXT, n INTEGER, m NUMERIC(12,2), free NUMERIC, wide NUMERIC, "
            f"x DOUBLE PRECISION, b BOOLEAN, d DATE, ts TIMESTAMPTZ, tags TEXT[], other JSONB)".encode()
        )
        rows = [
            (
                '甲,"引号"\n换行',
                1,
                Decimal("12.34"),
                Decimal("1.5"),
                Decimal("1e40"),
                0.1,
                True,
                date(2025, 1, 2),
                datetime(2025, 3, 4, 5, 6, 7),
                ["a,b", '引"号', ""],
                '{"k": 1}',
            ),
            ("", None, None, Decimal("2.125"), Decimal("1"), None, False, None, None, [], None),
            (None, -3, Decimal("-0.01"), None, None, 2.5e-7, None, date(1999, 12, 31), None, None, "[]"),
        ]
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {schema}.enterprises VALUES ({', '.join(['%s'] * 11)})".encode(), rows)
    con = duckdb.connect()
    staged = stage_postgres(dsn, schema, con, tmp_path)
    assert [(t.key, t.source, t.rows) for t in staged] == [("enterprises", f"{schema}.enterprises", 3)]
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {staged[0].staged})").fetchall())
    assert types == {
        "code": "VARCHAR",
        "n": "BIGINT",
        "m": "DECIMAL(12,2)",
        "free": "DECIMAL(38,3)",  # the largest scale of the column's values
        "wide": "VARCHAR",  # too many digits for an exact DECIMAL: kept as text
        "x": "DOUBLE",
        "b": "BOOLEAN",
        "d": "DATE",
        "ts": "DATE",
        "tags": "VARCHAR[]",
        "other": "VARCHAR",
    }
    got = con.execute(f"SELECT * FROM {staged[0].staged} ORDER BY rowid").fetchall()
    assert got[0][0] == '甲,"引号"\n换行' and got[1][0] == "" and got[2][0] is None  # '' is not NULL
    assert [r[2] for r in got] == [Decimal("12.34"), None, Decimal("-0.01")]
    assert [r[3] for r in got] == [Decimal("1.5"), Decimal("2.125"), None]
    assert got[0][4].startswith("1") and got[1][4] == "1"
    assert [r[5] for r in got] == [0.1, None, 2.5e-7]
    assert [r[6] for r in got] == [True, False, None]
    assert [r[8] for r in got] == [date(2025, 3, 4), None, None]
    assert [r[9] for r in got] == [["a,b", '引"号', ""], [], None]
    assert list(tmp_path.iterdir()) == []  # the CSV copies are gone


def test_missing_enterprise_table_is_a_clear_error(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    dsn, schema = pg_schema
    with pytest.raises(RegisterError, match=f"模式{schema}中找不到企业表"):
        stage_postgres(dsn, schema, duckdb.connect(), tmp_path)


def test_batch_in_chunks_gives_the_same_results(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    from datetime import date

    from huiqi.batch.stream import run_stream

    dsn, schema = pg_schema
    _load(dsn, schema, _write(tmp_path / "bad.parquet"))
    eng = engine()
    results = []
    for chunk_events in (1_000_000, 2):  # one chunk in memory; several in a work database
        out = tmp_path / f"r{chunk_events}.parquet"
        run = run_stream(eng, dsn, date(2025, 12, 31), out, schema=schema, chunk_events=chunk_events)
        assert run.register.counts["events"].read == len(pq.read_table(tmp_path / "bad.parquet" / "events.parquet"))
        assert run.register.source == f"{dsn}（模式 {schema}）"
        results.append(sorted(map(str, pq.read_table(out).to_pylist())))
    assert results[0] == results[1] and results[0]


def test_a_row_longer_than_two_megabytes_is_read(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    """A 2.2-million-character column the register does not read (a platform's raw JSON) made the whole table
    unreadable (“CSV Error on Line: 7999”, of a file the user never saw); it is an unknown column, as a short one is."""
    dsn, schema = pg_schema
    folder = _write(tmp_path / "reg.parquet")
    events = pq.read_table(folder / "events.parquet")
    raw = ["{}"] * events.num_rows
    raw[-1] = '{"x": "' + "x" * 2_200_000 + '"}'
    pq.write_table(events.append_column("raw_json", pa.array(raw)), folder / "events.parquet")
    _load(dsn, schema, folder)
    sreg = io_sql.validate_sql(dsn, engine().catalogue, duckdb.connect(), schema)
    assert sreg.register.counts["events"].read == events.num_rows
    assert any(e.column == "raw_json" and not e.rejected for e in sreg.register.errors)


def test_each_table_is_read_in_its_stored_order_on_every_run(pg_schema: tuple[str, str]) -> None:
    """Row numbers, and which of two rows with one credit code is kept, follow the order the server sends
    the rows. A scan that joins another one in progress starts mid-table (synchronize_seqscans), and
    parallel workers interleave their rows: the register's reading session turns both off."""
    from huiqi.batch.io_pg import connect

    dsn, _ = pg_schema
    conn = connect(dsn)
    try:
        settings = [
            conn.execute(f"SHOW {name}").fetchone()[0] for name in ("synchronize_seqscans", "max_parallel_workers_per_gather")
        ]
    finally:
        conn.close()
    assert settings == ["off", "0"]
