"""A PostgreSQL register read as the server holds it, on both readers (the Python reader of the
reference and Spark engines, and the DuckDB engine's staging, huiqi.batch.io_pg): China time,
privileges, cut headers, table names in any case, materialized views, NaN and dates Python
cannot hold, a dropped connection, passwords never shown, a server that never answers."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")
psycopg = pytest.importorskip("psycopg")

from huiqi.batch import io_pg, io_sql  # noqa: E402
from huiqi.batch.io_read import RegisterError, hide_password, read_register, read_rows  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402
from huiqi.service import engine  # noqa: E402

from .pg import pg_dsn  # noqa: E402

pytestmark = pytest.mark.postgres

CODE = make_credit_code("91320506MA1XA0002")
CODE2 = make_credit_code("91320506MA1XA0003")


def _sql(dsn: str, *statements: str, params: list[Any] | None = None) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for s in statements:
            conn.execute(s.encode(), params)


def _register(dsn: str, schema: str, date_type: str = "DATE", amount_type: str = "NUMERIC(16,2)") -> None:
    """One enterprise of 吴中, one purchase on 2025-05-01 of 600,000.50 元."""
    _sql(
        dsn,
        f"CREATE TABLE {schema}.enterprises (credit_code TEXT, name TEXT, region TEXT, town TEXT)",
        f"INSERT INTO {schema}.enterprises VALUES ('{CODE}', '乙', '320506', '郭巷街道')",
        f"CREATE TABLE {schema}.events (credit_code TEXT, event_id TEXT, kind TEXT, date {date_type}, category TEXT, "
        f"amount {amount_type})",
        f"INSERT INTO {schema}.events VALUES ('{CODE}', 'E1', 'purchase', '2025-05-01', '机器人产品或服务', 600000.50)",
    )


def _both(dsn: str, schema: str) -> list[tuple[list[str], dict[str, Any]]]:
    """(messages, canonical tables) of the Python reader and of the DuckDB engine's SQL validation."""
    cat = engine().catalogue
    py = read_register(dsn, cat, schema)
    sql = io_sql.validate_sql(dsn, cat, duckdb.connect(), schema)
    return [
        ([e.message() for e in py.errors], py.tables),
        ([e.message() for e in sql.register.errors], io_sql.canonical_tables(sql)),
    ]


def _refused(dsn: str, schema: str) -> list[str]:
    """The message each reader refuses the register with (both must refuse)."""
    cat = engine().catalogue
    out = []
    for read in (lambda: read_register(dsn, cat, schema), lambda: io_sql.validate_sql(dsn, cat, duckdb.connect(), schema)):
        with pytest.raises(RegisterError) as info:
            read()
        out.append(str(info.value))
    return out


@pytest.fixture
def pg_role(pg_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """(DSN logging in as a new role without rights, its name); the role is dropped afterwards."""
    dsn, _schema = pg_schema
    role = f"huiqi_ro_{uuid.uuid4().hex[:8]}"
    _sql(dsn, f"CREATE ROLE {role} LOGIN")
    try:
        yield f"postgresql://{role}@{dsn.split('@', 1)[1]}", role
    finally:
        _sql(dsn, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


# 1. a timestamptz is dated in China time -------------------------------------------------


def test_timestamptz_is_dated_in_china_time_whatever_the_servers_zone(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema, date_type="TIMESTAMPTZ")
    _sql(dsn, f"UPDATE {schema}.events SET date = TIMESTAMPTZ '2025-05-01 00:00:00+08'")  # 2025-04-30 16:00 UTC
    utc = dsn + "?options=-c%20TimeZone%3DUTC"  # a server in UTC
    for messages, tables in _both(utc, schema):
        assert messages == []
        assert tables["events"].column("date").to_pylist() == [date(2025, 5, 1)]


# 2. a table or column the role may not SELECT refuses the register -------------------------


def test_a_register_table_the_role_may_not_read_is_refused(pg_role: tuple[str, str], pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    ro, role = pg_role
    _register(dsn, schema)
    _sql(
        dsn,
        f"CREATE TABLE {schema}.prior_awards (credit_code TEXT, amount NUMERIC(16,2), year INTEGER, level TEXT)",
        f"INSERT INTO {schema}.prior_awards VALUES ('{CODE}', 42063.70, 2025, 'district')",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON {schema}.enterprises, {schema}.events TO {role}",  # prior_awards forgotten
    )
    for message in _refused(ro, schema):
        assert f"登录角色{role}没有表{schema}.prior_awards的读取权限（SELECT）" in message
        assert "已获奖补" in message


def test_a_register_column_the_role_may_not_read_is_refused(pg_role: tuple[str, str], pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    ro, role = pg_role
    _register(dsn, schema)
    _sql(
        dsn,
        f"ALTER TABLE {schema}.events ADD COLUMN related_party BOOLEAN DEFAULT true",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON {schema}.enterprises TO {role}",
        f"GRANT SELECT (credit_code, event_id, kind, date, category, amount) ON {schema}.events TO {role}",
    )
    for message in _refused(ro, schema):
        assert f"登录角色{role}没有表{schema}.events的列related_party的读取权限（SELECT）" in message


# 3. headers PostgreSQL cut to 63 bytes ------------------------------------------------------


def test_a_header_postgresql_cut_to_63_bytes_is_read_as_the_header(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    header = "年度规模奖励是否已按“一事一议”享受同类政策扶持"  # 72 bytes: PostgreSQL keeps the first 63
    _sql(
        dsn,
        f'ALTER TABLE {schema}.enterprises ADD COLUMN "{header}" BOOLEAN',
        f'UPDATE {schema}.enterprises SET "{header}" = true',
    )
    with psycopg.connect(dsn) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'enterprises'",
                [schema],
            )
        ]
    assert header.encode()[:63].decode() in names and header not in names
    for messages, tables in _both(dsn, schema):
        assert messages == []  # not an unknown column
        assert tables["enterprises"].column("case_by_case_enjoyed").to_pylist() == [True]


# 4. table names in any case, materialized views ---------------------------------------------


def test_tables_are_found_in_any_case_and_as_materialized_views(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    _sql(
        dsn,
        f'ALTER TABLE {schema}.enterprises RENAME TO "Enterprises"',
        f'ALTER TABLE {schema}.events RENAME TO "EVENTS_DATA"',
        f'CREATE MATERIALIZED VIEW {schema}."EVENTS" AS SELECT * FROM {schema}."EVENTS_DATA"',
    )
    for messages, tables in _both(dsn, schema):
        assert messages == []
        assert tables["enterprises"].num_rows == 1 and tables["events"].column("amount").to_pylist() == [60_000_050]


def test_two_tables_for_one_sheet_refuse_the_register(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    _sql(dsn, f'CREATE VIEW {schema}."Events" AS SELECT * FROM {schema}.events')
    for message in _refused(dsn, schema):
        assert f"模式{schema}中事项表有2张（Events、events）" in message


# 5. NaN and ±Infinity in a numeric column ------------------------------------------------------


@pytest.mark.parametrize("amount_type", ["NUMERIC(16,2)", "NUMERIC"])
def test_nan_and_infinity_are_rejected_rows(pg_schema: tuple[str, str], amount_type: str) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema, amount_type=amount_type)
    bad = ["NaN"] if amount_type != "NUMERIC" else ["NaN", "Infinity", "-Infinity"]
    for i, value in enumerate(bad):
        _sql(
            dsn,
            f"INSERT INTO {schema}.events VALUES ('{CODE}', 'B{i}', 'purchase', '2025-06-01', '机器人产品或服务', %s::numeric)",
            params=[value],
        )
    got = _both(dsn, schema)
    assert got[0][0] == got[1][0]  # the same messages from both readers
    for messages, tables in got:
        assert len(messages) == len(bad)
        for i, value in enumerate(bad):
            assert f"第{i + 2}行“amount”列：“{value}” —— 不是数值" in messages[i]
        assert tables["events"].column("amount").to_pylist() == [60_000_050]


# 6, 9. dates Python cannot hold --------------------------------------------------------------


@pytest.mark.parametrize("date_type", ["DATE", "TIMESTAMPTZ"])
def test_dates_out_of_range_are_bad_dates_row_by_row(pg_schema: tuple[str, str], date_type: str) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema, date_type=date_type)
    bad = ["infinity", "12025-01-01", "0044-03-15 BC", "-infinity"]
    for i, value in enumerate(bad):
        _sql(
            dsn,
            f"INSERT INTO {schema}.events VALUES ('{CODE}', 'B{i}', 'purchase', %s::{date_type}, '机器人产品或服务', 1000)",
            params=[value],
        )
    got = _both(dsn, schema)
    assert got[0][0] == got[1][0]
    for messages, tables in got:
        assert len(messages) == len(bad)
        for i, message in enumerate(messages):
            assert f"第{i + 2}行“date”列：“{bad[i].split(' BC')[0][:5]}" in message and "不是有效日期" in message
        assert "BC" in messages[2] and "2147483647" not in "".join(messages)
        assert tables["events"].column("date").to_pylist() == [date(2025, 5, 1)]


def test_a_connection_dropped_mid_read_is_a_chinese_message(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    _sql(dsn, f"INSERT INTO {schema}.enterprises VALUES ('{CODE2}', '丙', '320506', '郭巷街道')")
    app = f"huiqi_{uuid.uuid4().hex[:8]}"
    _shown, sheets = read_rows(f"{dsn}?application_name={app}", schema)
    raw = next(sheets)
    rows = iter(raw.rows)
    next(rows)  # the first row read; the server then ends the session (AdminShutdown)
    _sql(dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", params=[app])
    with pytest.raises(RegisterError, match="连接中断"):
        list(rows)


# 7. passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u:p@ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("postgresql://u@h/db?sslmode=require&password=secret", "postgresql://u@h/db?sslmode=require&password=***"),
        ("postgresql://u:pa/s?s@h/db", "postgresql://u:***@h/db"),
        ("postgresql://h:5432/db?application_name=a:b@c", "postgresql://h:5432/db?application_name=a:b@c"),
        ("postgresql://h/db?application_name=a@b", "postgresql://h/db?application_name=a@b"),
        ("host=h password=secret dbname=db", "host=h password=*** dbname=db"),
    ],
)
def test_passwords_are_never_shown(dsn: str, shown: str) -> None:
    assert hide_password(dsn) == shown


@pytest.mark.parametrize("engine_name", ["duckdb", "reference"])
def test_the_summary_and_workbook_hide_the_password(
    pg_schema: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str
) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    secret = dsn.replace("@", ":s3cret-pw@", 1) + "?password=s3cret-pw"  # trust auth: any password is let in
    out = tmp_path / "r.xlsx"
    args = ["batch", secret, "--schema", schema, "--engine", engine_name, "--as-of", "2025-12-31", "--json", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "s3cret" not in text and json.loads(text)["register"].startswith(hide_password(secret))
    from openpyxl import load_workbook

    cells = [str(c) for row in load_workbook(out, read_only=True)["汇总"].iter_rows(values_only=True) for c in row]
    assert not any("s3cret" in c for c in cells) and any(hide_password(secret) in c for c in cells)
    # a raw “@” in the password: libpq reads a host “pw@127.0.0.1”, and the message must not show it either
    at = dsn.replace("@", ":s3cret@pw@", 1)
    assert main(["batch", at, "--schema", schema, "--engine", engine_name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "s3cret" not in err and "pw@" not in err


# 8. a server that never answers -----------------------------------------------------------------


def test_a_server_that_never_answers_times_out_once(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(io_pg, "CONNECT_TIMEOUT", 1)
    try:
        started = time.monotonic()
        assert main(["batch", f"postgresql://u@127.0.0.1:{port}/db", "--engine", "duckdb"]) == 2
        assert time.monotonic() - started < 15  # libpq waits 2 s at least; a loaded runner took 4.5 s
        assert "2秒内没有应答" in capsys.readouterr().err  # what libpq waits, not the 1 asked
        assert len(accepted) == 1  # the count of events does not try again after the first failed
    finally:
        server.close()
        for c in accepted:
            c.close()


def test_a_connection_that_fails_says_why_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    """The officer typed the URL: a closed port, a database or role that does not exist, a host that
    is not found are said in Chinese, not in libpq's English."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]  # bound, not listening: connections are refused
    user = pg_dsn().split("//")[1].split("@")[0]
    try:
        cases = {
            f"postgresql://u@127.0.0.1:{port}/db": "服务器拒绝连接",
            f"postgresql://{user}@127.0.0.1:5432/huiqi_no_such_db": "数据库“huiqi_no_such_db”不存在",
            "postgresql://huiqi_no_such_role@127.0.0.1:5432/test": "登录角色“huiqi_no_such_role”不存在",
            "postgresql://u@huiqi-no-such-host.invalid/db": "找不到连接串中的主机名",
            f"postgresql://{user}@127.0.0.1:5432/test?sslmode=require": "服务器不支持SSL加密连接",  # the test server has no SSL
            f"postgresql://{user}@127.0.0.1:5432/test?foo=bar": "连接串中的参数“foo”无法识别",
            f"postgresql://{user}@127.0.0.1:5432/test?connect_timeout=abc": "connect_timeout应为整数秒数",
        }
        for url, said in cases.items():
            assert main(["batch", url, "--engine", "duckdb"]) == 2
            err = capsys.readouterr().err
            assert said in err and "connection" not in err.lower() and "does not exist" not in err, err
            why = err.split("）：", 1)[1]  # after the URL, which may itself hold English (.invalid)
            assert "秒内没有应答" not in why and "invalid" not in why and "bad value" not in why, err
    finally:
        closed.close()


# 10. why there is no enterprise table -------------------------------------------------------------


def test_no_enterprise_table_says_why(pg_role: tuple[str, str], pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    _register(dsn, schema)
    with pytest.raises(RegisterError, match=f"数据库中没有模式{schema}x"):
        read_register(dsn, engine().catalogue, schema + "x")
    with pytest.raises(RegisterError, match=f"有模式{schema}（模式名区分大小写），请用 --schema {schema}"):
        read_register(dsn, engine().catalogue, schema.upper())
    ro, role = pg_role  # no USAGE on the schema
    for message in _refused(ro, schema):
        assert f"登录角色{role}没有模式{schema}的使用权限（USAGE）" in message
    with pytest.raises(RegisterError, match="postgresql://"):
        read_register("host=127.0.0.1 dbname=test password=secret", engine().catalogue)
