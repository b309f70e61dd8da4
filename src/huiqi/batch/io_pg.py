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
                                       ``datetime.date()`` gives; a timestamptz
                                       dated in China time, Asia/Shanghai)
text[], varchar[]                      VARCHAR[] (through ``array_to_json``)
anything else                          VARCHAR (its text form)
=====================================  ==========================================

A value the SQL validator does not read (a VARCHAR in a money column, say) is
not lost: that row goes to the Python validator, with the same message it
always had.  A numeric column holding NaN or ±Infinity, and a date or timestamp
column holding a date Python cannot hold (infinity, year 12025, a BC date), is
staged as text, so that those rows reach the Python validator and are refused
one by one, as the Python reader refuses them.

Both readers connect through :func:`connect` (a connect timeout unless the URL
gives one, the session in China time, DateStyle ISO, dates Python cannot hold
read as their text) and find the tables through :func:`find_tables`, which reads
the catalogue (``pg_class``: tables, views, materialized views, partitioned and
foreign tables, named in any case) rather than ``information_schema``, which
hides what the login role may not read: a register table or column the role may
not SELECT refuses the register instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from .compiler import lit
from .io_read import SHEET_LABEL, RegisterError, dsn_passwords, hide_password, ident, sheet_for

__all__ = ["CONNECT_TIMEOUT", "PgTable", "connect", "count_events", "find_tables", "read_failed", "stage_postgres"]

CONNECT_TIMEOUT = 10  # seconds, unless the URL gives connect_timeout
ZONE = "Asia/Shanghai"  # a timestamptz is dated in China time, whatever the server's TimeZone
_TEXT = {"text", "varchar", "bpchar", "name", "citext"}
_INT = {"int2", "int4", "int8"}
_FLOAT = {"float4", "float8"}
_TIMESTAMP = {"timestamp", "timestamptz"}
_TEXT_ARRAYS = {"_text", "_varchar", "_bpchar"}
_MAX_SCALE = 10  # the SQL validator reads decimals of at most 10 places
_MAX_DIGITS = 38
MAX_ROW_BYTES = 256 * 1024 * 1024  # the longest row staged (DuckDB reads 2 MB by default)
_FINITE = "BETWEEN -1e131071 AND 1e131071"  # false for NaN, Infinity and -Infinity
_PY_DATES = "BETWEEN '0001-01-01' AND '9999-12-31'"  # the dates Python's date holds


@dataclass(frozen=True)
class PgTable:
    """One register table copied out of PostgreSQL: where it came from and where it went."""

    key: str  # enterprises, events, qualifications or prior_awards
    source: str  # schema.table in PostgreSQL, as messages show it
    staged: str  # table name in the DuckDB file
    rows: int
    numeric_text: tuple[int, ...] = ()  # numeric columns staged as text (NaN, ±Infinity or too wide)


def _lenient_loaders(conn: Any) -> None:
    """Dates and timestamps Python cannot hold ('infinity', year 12025, BC dates) are read as their
    text, which validation refuses as no date, instead of failing the whole read."""
    import psycopg
    from psycopg.types.datetime import DateLoader, TimestampLoader, TimestamptzLoader

    def lenient(base: type[Any]) -> type[Any]:
        class Lenient(base):  # type: ignore[misc]
            def load(self, data: Any) -> Any:
                try:
                    return super().load(data)
                except psycopg.DataError:
                    return bytes(data).decode("utf-8", "replace")

        return Lenient

    conn.adapters.register_loader("date", lenient(DateLoader))
    conn.adapters.register_loader("timestamp", lenient(TimestampLoader))
    conn.adapters.register_loader("timestamptz", lenient(TimestamptzLoader))


def connect(dsn: str) -> Any:
    """A connection for reading a register: a connect timeout of ``CONNECT_TIMEOUT`` seconds unless
    the URL gives ``connect_timeout`` (a server that accepts but never answers must not hang the
    run), the session in China time and DateStyle ISO. A failure is a ``RegisterError``."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    shown = hide_password(dsn)
    try:
        given = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise RegisterError(f"PostgreSQL连接串有误（{shown}）：{_conninfo_reason(_first_line(exc))}") from None
    timeout: dict[str, Any] = {} if "connect_timeout" in given else {"connect_timeout": CONNECT_TIMEOUT}
    try:
        conn = psycopg.connect(dsn, **timeout)
    except Exception as exc:
        text = _scrub(_first_line(exc), dsn)
        if "connect_timeout" in text and ("invalid" in text.lower() or "bad value" in text.lower()):  # ?connect_timeout=abc
            raise RegisterError(f"PostgreSQL连接串有误（{shown}）：connect_timeout应为整数秒数") from None
        if "timeout expired" in text.lower() or "timed out" in text.lower():
            seconds = given.get("connect_timeout", CONNECT_TIMEOUT)
            if str(seconds).strip().isdigit():  # libpq waits at least 2 s whatever is asked
                seconds = max(2, int(str(seconds).strip()))
            text = f"服务器{seconds}秒内没有应答（可在连接串中用 ?connect_timeout=秒数 调整）"
        else:
            text = _connect_reason(text)
        raise RegisterError(f"无法连接PostgreSQL（{shown}）：{text}") from None
    try:
        conn.execute(f"SET TimeZone = {lit(ZONE)}".encode())
        conn.execute(b"SET DateStyle = ISO")
        # every table read from its first block, by one process: the rows come in the table's stored order on
        # every run (a scan that joins another in progress starts mid-table, and parallel workers interleave),
        # so the row numbers, and which of two rows with one credit code is kept, do not change between runs
        conn.execute(b"SET synchronize_seqscans = off")
        conn.execute(b"SET max_parallel_workers_per_gather = 0")
        conn.commit()
    except psycopg.Error as exc:
        conn.close()
        raise read_failed(shown, exc) from None
    _lenient_loaders(conn)
    return conn


# libpq's words for the common reasons a connection fails, and what they mean to the person who typed the URL
_CONNECT_REASONS = (
    ("connection refused", "服务器拒绝连接：该主机和端口上没有运行PostgreSQL，或被防火墙拦截；请核对连接串中的主机和端口"),
    ("could not translate host name", "找不到连接串中的主机名；请核对主机名"),
    ("failed to resolve host", "找不到连接串中的主机名；请核对主机名"),
    ("name or service not known", "找不到连接串中的主机名；请核对主机名"),
    ("password authentication failed", "用户名或密码错误"),
    ("no password supplied", "服务器要求密码，连接串中没有给出"),
    ("no route to host", "网络不通，无法到达该主机"),
    ("network is unreachable", "网络不通，无法到达该主机"),
    ("no such file or directory", "本机没有在该套接字上运行的PostgreSQL；请在连接串中写明主机和端口"),
    ("does not support ssl", "服务器不支持SSL加密连接，而连接串要求SSL（sslmode）；请去掉sslmode或改为sslmode=prefer"),
    ("ssl", "SSL加密连接失败；请核对连接串中的sslmode等SSL设置"),
)


def _conninfo_reason(text: str) -> str:
    """libpq's words for a connection string it cannot parse, in Chinese where common."""
    m = re.search(r'invalid (?:URI query|connection option) (?:parameter|value)?:? ?"([^"]*)"', text)
    if m:
        return f"连接串中的参数“{m.group(1)}”无法识别（可用参数如 sslmode、connect_timeout、application_name）"
    return text


def _connect_reason(text: str) -> str:
    """libpq's reason in Chinese where it is a common one; a database or role that does not exist
    is named. Other reasons are given as the driver words them."""
    low = text.lower()
    m = re.search(r'(database|role) "([^"]*)" does not exist', text)
    if m:
        return f"{'数据库' if m.group(1) == 'database' else '登录角色'}“{m.group(2)}”不存在"
    for words, reason in _CONNECT_REASONS:
        if words in low:
            return reason
    return text


def _scrub(text: str, dsn: str) -> str:
    """A driver's message without the URL's passwords, nor a piece of one: a raw “@” in a password
    makes libpq read its tail as the host (failed to resolve host 'pw@127.0.0.1')."""
    from urllib.parse import unquote

    for secret in dsn_passwords(dsn):
        for s in (secret, unquote(secret)):
            pieces = [s, *(p for p in re.split(r"[@/?:]", s) if len(p) >= 2)]
            for piece in sorted(pieces, key=len, reverse=True):
                text = text.replace(piece, "***")
    return text


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().split("\n") or [""])[0]


def read_failed(shown: str, exc: BaseException, table: str | None = None) -> RegisterError:
    """A read that failed on the server's side, in Chinese (a dropped connection, a missing right)."""
    import psycopg
    from psycopg import errors

    where = f"表{table}" if table else "登记表"
    if isinstance(exc, errors.InsufficientPrivilege):
        reason = f"登录角色没有读取{where}的权限（SELECT）：{_first_line(exc)}"
    elif isinstance(exc, (errors.AdminShutdown, errors.CrashShutdown, errors.OperationalError, psycopg.OperationalError)):
        reason = f"读取{where}时与服务器的连接中断（{_first_line(exc)}）；未写出任何结果，请稍后重试"
    else:
        reason = f"读取{where}出错：{_first_line(exc)}"
    return RegisterError(f"PostgreSQL（{shown}）：{reason}")


def find_tables(cur: Any, shown: str, schema: str) -> list[tuple[str, str]]:
    """(sheet key, table name) of the register tables of ``schema``, read from the catalogue.

    Tables, views, materialized views, partitioned and foreign tables count; names are matched
    as sheets and files are (``Events``, ``企业``: in any case); two candidates for one table, a
    missing schema or enterprise table, and a register table or column the login role may not
    SELECT refuse the register, with the cause.
    """
    cur.execute("SELECT oid, has_schema_privilege(oid, 'USAGE'), current_user FROM pg_namespace WHERE nspname = %s", [schema])
    found = cur.fetchone()
    if found is None:
        cur.execute("SELECT nspname FROM pg_namespace WHERE lower(nspname) = lower(%s) ORDER BY 1", [schema])
        other = [r[0] for r in cur.fetchall()]
        hint = f"；有模式{'、'.join(other)}（模式名区分大小写），请用 --schema {other[0]}" if other else ""
        raise RegisterError(f"{shown}：找不到企业表：数据库中没有模式{schema}{hint}")
    oid, usage, user = found
    cur.execute(
        "SELECT relname, oid FROM pg_class WHERE relnamespace = %s AND relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY relname",
        [oid],
    )
    by_key: dict[str, list[tuple[str, int]]] = {}
    for name, rel in cur.fetchall():
        key = sheet_for(name)
        if key is not None:
            by_key.setdefault(key, []).append((name, rel))
    if "enterprises" not in by_key:
        if not usage:
            raise RegisterError(f"{shown}：找不到企业表：登录角色{user}没有模式{schema}的使用权限（USAGE），请数据库管理员授权")
        cur.execute(
            "SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE lower(c.relname) IN ('enterprises', '企业') AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 LIMIT 3"
        )
        other = [r[0] for r in cur.fetchall()]
        hint = f"；企业表在模式{'、'.join(other)}中，请用 --schema 指定" if other else ""
        raise RegisterError(f"{shown}：模式{schema}中找不到企业表（enterprises 或 企业）{hint}")
    if not usage:
        raise RegisterError(f"{shown}：登录角色{user}没有模式{schema}的使用权限（USAGE），无法读取登记表，请数据库管理员授权")
    out = []
    for key in SHEET_LABEL:
        names = by_key.get(key, [])
        if not names:
            continue
        if len(names) > 1:  # reading either would drop the other
            shown_names = "、".join(n for n, _ in names)
            raise RegisterError(
                f"{shown}：模式{schema}中{SHEET_LABEL[key]}表有{len(names)}张（{shown_names}）；每张表只能有一张，请合并或删去多余的"
            )
        name, rel = names[0]
        cur.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
            "AND NOT has_table_privilege(%s::oid, 'SELECT') AND NOT has_column_privilege(%s::oid, attnum, 'SELECT') "
            "ORDER BY attnum",
            [rel, rel, rel],
        )
        hidden = [r[0] for r in cur.fetchall()]
        if hidden:
            cur.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped", [rel])
            row = cur.fetchone()
            what = f"表{schema}.{name}" if row is None or len(hidden) == row[0] else f"表{schema}.{name}的列{'、'.join(hidden)}"
            raise RegisterError(
                f"{shown}：登录角色{user}没有{what}的读取权限（SELECT），不读它会漏算{SHEET_LABEL[key]}；"
                f"请数据库管理员授权（GRANT SELECT ON {schema}.{name} TO {user}）"
            )
        out.append((key, name))
    return out


def _columns(cur: Any, schema: str, name: str) -> list[tuple[str, str, int | None, int | None]]:
    """(name, type, numeric precision, numeric scale) of a table's columns; a domain as its base type."""
    cur.execute(
        "SELECT a.attname, bt.typname, information_schema._pg_numeric_precision(bt.oid, x.mod), "
        "information_schema._pg_numeric_scale(bt.oid, x.mod) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END AS id, "
        "CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS mod) x "
        "JOIN pg_type bt ON bt.oid = x.id "
        "WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [schema, name],
    )
    return [(r[0], r[1], r[2], r[3]) for r in cur.fetchall()]


def _checks(cur: Any, table_sql: str, columns: list[tuple[str, str, int | None, int | None]]) -> dict[str, Any]:
    """One scan of the table for what the staging types depend on: per numeric column whether some
    value is NaN or ±Infinity (and for one without a precision its largest scale and integer part),
    per date or timestamp column whether some date is one Python cannot hold."""
    exprs: list[tuple[str, str]] = []
    for name, typ, precision, _scale in columns:
        col = ident(name)
        if typ == "numeric":
            exprs.append((f"bad:{name}", f"bool_or(NOT ({col} {_FINITE}))"))
            if precision is None:
                exprs.append((f"scale:{name}", f"max(scale({col})) FILTER (WHERE {col} {_FINITE})"))
                exprs.append((f"whole:{name}", f"max(abs(trunc({col}))) FILTER (WHERE {col} {_FINITE})"))
        elif typ == "date" or typ in _TIMESTAMP:
            day = col if typ == "date" else f"{col}::date"
            exprs.append((f"bad:{name}", f"bool_or(NOT ({day} {_PY_DATES}))"))
    if not exprs:
        return {}
    cur.execute(f"SELECT {', '.join(e for _, e in exprs)} FROM {table_sql}".encode())
    row = cur.fetchone()
    return {k: v for (k, _), v in zip(exprs, row or (), strict=False)}


def _column(name: str, typ: str, precision: int | None, scale: int | None, checks: dict[str, Any]) -> tuple[str, str, bool]:
    """(expression in PostgreSQL's SELECT, type read from the CSV, whether DuckDB reads it as a JSON list)."""
    col = ident(name)
    bad = bool(checks.get(f"bad:{name}"))
    if typ in _TEXT:
        return col, "VARCHAR", False
    if typ in _INT:
        return col, "BIGINT", False
    if typ in _FLOAT:
        return col, "DOUBLE", False
    if typ == "bool":
        return col, "BOOLEAN", False
    if typ == "date" or typ in _TIMESTAMP:
        day = col if typ == "date" else f"{col}::date"
        if bad:  # the rows with such a date go to the Python validator, which refuses them
            return f"CASE WHEN {day} {_PY_DATES} THEN {day}::text ELSE {col}::text END", "VARCHAR", False
        return day, "DATE", False
    if typ == "numeric":
        if not bad and precision is not None and precision <= _MAX_DIGITS:
            return col, f"DECIMAL({precision},{scale or 0})", False
        if not bad and precision is None:
            s = int(checks.get(f"scale:{name}") or 0)
            whole = checks.get(f"whole:{name}")
            if s <= _MAX_SCALE and (whole is None or len(str(int(whole))) <= _MAX_DIGITS - 1 - _MAX_SCALE):
                return col, f"DECIMAL({_MAX_DIGITS},{s})", False
        return f"{col}::text", "VARCHAR", False
    if typ in _TEXT_ARRAYS:
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
    (``enterprises`` or ``企业``, ``events`` or ``事项`` …, in any case; :func:`find_tables`).
    """
    import psycopg

    shown = hide_password(dsn)
    conn = connect(dsn)
    sch = schema or "public"
    out: list[PgTable] = []
    # rowid must follow the server's row order (row numbers in messages), even when the
    # batch lets DuckDB reorder results (preserve_insertion_order = false under a memory limit)
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true").fetchall()
    name = ""
    try:
        with conn.cursor() as cur:
            for key, name in find_tables(cur, shown, sch):
                table_sql = f"{ident(sch)}.{ident(name)}"
                described = _columns(cur, sch, name)
                checks = _checks(cur, table_sql, described)
                columns = [(*_column(*c, checks), c[0]) for c in described]
                numeric_text = tuple(
                    i
                    for i, (c, col) in enumerate(zip(described, columns, strict=True))
                    if c[1] == "numeric" and col[1] == "VARCHAR"
                )
                csv = folder / f"hq_pg_{key}.csv"
                with (
                    open(csv, "wb") as f,
                    cur.copy(
                        f"COPY (SELECT {', '.join(c[0] for c in columns)} FROM {table_sql}) TO STDOUT (FORMAT csv)".encode()
                    ) as copy,
                ):
                    for data in copy:
                        f.write(data)
                types = ", ".join(f"{lit(f'c{i}')}: {lit(c[1])}" for i, c in enumerate(columns))
                select = ", ".join(
                    (f"from_json(c{i}, '[\"VARCHAR\"]')" if c[2] else f"c{i}") + f" AS {ident(c[3])}"
                    for i, c in enumerate(columns)
                )
                staged = f"hq_pg_{key}"
                try:
                    con.execute(
                        f"CREATE TABLE {staged} AS SELECT {select} FROM read_csv({lit(str(csv))}, header = false, "
                        f"columns = {{{types}}}, auto_detect = false, quote = '\"', escape = '\"', "
                        # a row longer than DuckDB's default 2 MB line (a long JSON column the register does not
                        # read) made the whole table unreadable
                        f"allow_quoted_nulls = false, null_padding = false, max_line_size = {MAX_ROW_BYTES})"
                    )
                except duckdb.Error as exc:
                    raise RegisterError(f"{shown}：无法读取表{sch}.{name}：{_first_line(exc)}") from None
                finally:
                    csv.unlink(missing_ok=True)
                rows = int(con.execute(f"SELECT count(*) FROM {staged}").fetchall()[0][0])
                out.append(PgTable(key, f"{sch}.{name}", staged, rows, numeric_text))
                if progress is not None:
                    progress(key, rows)
    except psycopg.Error as exc:
        raise read_failed(shown, exc, f"{sch}.{name}" if name else None) from None
    finally:
        conn.close()
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}").fetchall()
    return out


def count_events(dsn: str, schema: str | None) -> int:
    """Rows of the register's event table (0 when it cannot be read: staging then says why).

    A server that cannot be reached is a ``RegisterError`` here already: the read would only try
    (and wait) again."""
    import psycopg

    sch = schema or "public"
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            name = next((n for k, n in find_tables(cur, hide_password(dsn), sch) if k == "events"), None)
            if name is None:
                return 0
            cur.execute(f"SELECT count(*) FROM {ident(sch)}.{ident(name)}".encode())
            row = cur.fetchone()
            return int(row[0]) if row else 0
    except (psycopg.Error, RegisterError):
        return 0
    finally:
        conn.close()
