"""``huiqi batch`` on a CSV, Parquet, DuckDB or PostgreSQL register, end to end in DuckDB, chunk by chunk.

1. validate in SQL (:mod:`huiqi.batch.io_sql`): accepted rows in ``hq_c_*``
   tables, each row with its chunk (``hq_bucket``: a range of enterprise rows);
2. for every chunk of enterprises (everything in the plan is per enterprise):
   run the compiled plan on that chunk, shape the results (reason codes →
   Chinese by a join with a small table), append them to the output and add the
   chunk's totals to the summary (aggregated in SQL);
3. write the summary sheets.

Memory stays bounded by the chunk size: ``memory_limit`` is given to DuckDB
(with a temporary folder to spill to) and the work database lives on disk
when there is more than one chunk.
"""

from __future__ import annotations

import math
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.service import Engine, InputError

from . import duck, io_read, io_sql
from .cli_batch import (
    PAYER_ORDER,
    REASON_TEXTS_SQL,
    RESULT_ORDER,
    _reason_texts,
    money_thresholds,
    payers_sql,
    results_sql,
    unit_notices_from,
)
from .compiler import compile_library, lit
from .io_read import SHEETS, Register, ident
from .io_write import (
    DIMENSIONS,
    PAYER_SCHEMA,
    RESULT_SCHEMA,
    PayerNames,
    Summary,
    Totals,
    benefit_meta,
    missing_only_regex,
    parquet_options,
    quota_places,
    year_sql,
)

__all__ = ["CHUNK_EVENTS", "StreamResult", "chunk_events_for", "duckdb_memory", "events_in", "run_stream", "validated_in_memory"]

CHUNK_EVENTS = 2_000_000  # event rows per chunk of enterprises under --memory-limit, and at least this many
# Without --memory-limit, chunks as large as fit in this share of the machine's memory.
# Peak RSS per event row of a chunk, measured at 10^7 (benchmarks/RESULTS.md): 7.2 GB with
# chunks of 5.1·10^6 event rows (eighth session), 9.2 GB with 5.0·10^6 once the results
# are sorted (ninth session); the share keeps two chunks at 10^7 on 24 GiB.
RAM_SHARE = 0.4
CHUNK_BYTES_PER_EVENT = 1_900
# The validated tables (the enterprises' values, the events' verdicts) as temporary tables
# in memory, per event row of the register: 72 bytes at 10^7 (490 MB for the 2.5·10^6
# enterprises, 230 MB for the events' verdicts; benchmarks/RESULTS.md, eleventh session).
# Kept in memory while they take at most VALIDATED_SHARE of it, with room to spare.
VALIDATED_BYTES_PER_EVENT = 100
VALIDATED_SHARE = 0.2
ROW_GROUP = 65_536  # rows per row group of the Parquet outputs (at most)


@dataclass(slots=True)
class StreamResult:
    register: Register
    summary: Summary
    results: pa.Table | None  # only when the output is not Parquet (Excel/CSV need the rows)
    payers: pa.Table | None
    chunks: int
    read_s: float
    eval_s: float
    rows_to_python: int


_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "B": 1}


def _bytes(text: str) -> int | None:
    """``4GB``, ``512 MiB``, ``18.8 GiB`` (DuckDB's spelling) as bytes; None when not such a size."""
    t = text.strip().upper().replace(" ", "")
    for u in sorted(_UNITS, key=len, reverse=True):
        if t.endswith(u):
            try:
                size = float(t[: -len(u)]) * _UNITS[u]
            except ValueError:
                return None
            return int(size) if math.isfinite(size) else None  # infGB, nanMB: no size
    return None


MIN_MEMORY = 64 * 10**6  # below it DuckDB cannot read a small register's row groups (16MB failed on 30 rows)


def memory_bytes(limit: str) -> int:
    """``--memory-limit`` in bytes, refused when it is no size or too small to run in."""
    n = _bytes(limit)
    if n is None:
        raise InputError(f"无法识别的内存上限“{limit}”（应如 4GB、512MB）")
    if n < MIN_MEMORY:
        raise InputError(f"内存上限“{limit}”太小：至少64MB（建议1GB以上）")
    return n


def within_ram(limit: str, ram: int | None = None) -> None:
    """Refuse a ``--memory-limit`` above the memory this machine (or container) has: DuckDB would not
    spill before the system ran out of memory and killed the run (100000TB for 100000MB)."""
    n = memory_bytes(limit)
    ram = _ram() if ram is None else ram
    if ram is not None and n > ram:
        raise InputError(
            f"内存上限“{limit}”超过本机内存（约{ram / 2**30:.1f}GiB）：测算会在用尽内存时被系统终止；"
            "请设为本机内存以内（如 4GB），或不指定以自动选择"
        )


def duckdb_memory(limit: str) -> str:
    """The part of ``--memory-limit`` given to DuckDB: three quarters, the rest for Python and Arrow."""
    return f"{int(memory_bytes(limit) * 0.75 / 2**20)}MiB"


def chunk_events_for(memory_limit: str | None, ram: int | None = None) -> int:
    """Event rows per chunk: ``CHUNK_EVENTS`` under ``--memory-limit``; without one, as many
    as fit in ``RAM_SHARE`` of ``ram`` bytes at ``CHUNK_BYTES_PER_EVENT`` each, and never
    fewer. ``ram`` by default: the memory DuckDB sees (its default limit is 80 % of it,
    a container's limit included)."""
    if memory_limit is not None:
        return CHUNK_EVENTS
    ram = _ram() if ram is None else ram
    if ram is None:
        return CHUNK_EVENTS
    return max(CHUNK_EVENTS, int(ram * RAM_SHARE / CHUNK_BYTES_PER_EVENT))


def validated_in_memory(n_events: int, buckets: int, memory_limit: str | None, ram: int | None = None) -> bool:
    """Whether the validated tables stay in memory (temporary tables): with one chunk, and
    without ``--memory-limit`` while ``n_events`` rows' worth fits in ``VALIDATED_SHARE``
    of ``ram``. Otherwise they are written compressed to the work file, where they cost
    more to write (at 10^7: validation ≈3 s and the chunk reads ≈1.4 s slower) but do not
    spill uncompressed under a limit."""
    if buckets == 1:
        return True
    if memory_limit is not None:
        return False
    ram = _ram() if ram is None else ram
    return ram is not None and n_events * VALIDATED_BYTES_PER_EVENT <= ram * VALIDATED_SHARE


def _ram() -> int | None:
    """The memory DuckDB sees (its default limit is 80 % of it, a container's limit included)."""
    con = duckdb.connect()
    try:
        default = _bytes(str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
    finally:
        con.close()
    return None if default is None else int(default / 0.8)


def events_in(source: str | Path, schema: str | None = None) -> int:
    """How many event rows the register holds (0 when unknown), to choose the number of chunks
    (and, in the web app, the engine); a CSV file's lines are counted, not parsed."""
    found = io_sql.columnar_source(source)
    if found is None:
        return 0
    kind, where = found
    if kind == "csv":  # lines, less the header: blank rows make it a little more than the rows
        path = io_read._find_files(Path(where), ".csv").get("events")
        return 0 if path is None else max(0, io_read.csv_lines(path).lines - 1)  # the count staging reuses
    if kind == "postgres":
        from .io_pg import count_events

        return count_events(where, schema)
    if kind == "xlsx":  # not counted before the workbook is parsed; a sheet holds at most one chunk's rows
        return 0
    con = duckdb.connect()
    try:
        if kind == "parquet":  # the file the readers read (its name in any case)
            path = io_read._find_files(Path(where), ".parquet").get("events")
            return (
                0 if path is None else int(con.execute(f"SELECT COUNT(*) FROM read_parquet({lit(str(path))})").fetchall()[0][0])
            )
        if kind == "duckdb":
            con.execute(f"ATTACH {lit(where)} AS hq_count (READ_ONLY)").fetchall()
            sch = schema or "main"
            for name in SHEETS["events"]:
                tables = con.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_catalog = 'hq_count' AND table_schema = ? AND table_name = ?",
                    [sch, name],
                ).fetchall()
                if tables:
                    return int(con.execute(f'SELECT COUNT(*) FROM hq_count."{sch}"."{name}"').fetchall()[0][0])
        return 0
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _reason_rows(eng: Engine) -> pa.Table:
    return pa.Table.from_pylist(
        _reason_texts(eng), schema=pa.schema([("benefit", pa.string()), ("code", pa.string()), ("text", pa.string())])
    )


# the chunk's enterprises carry ``hq_row`` (``io_sql.chunk_tables(..., row_order=True)``)
_RESULTS = results_sql()
_PAYERS = payers_sql()

_DIM_SQL = {
    "document": "document_short",
    "article": "concat(document_short, ' 第', article, '条 ', benefit_title)",
    # one line per set of departments, whatever order an article lists them in (as io_write.department_key)
    "department": "COALESCE(NULLIF(array_to_string(list_sort(string_split(department, '、')), '、'), ''), '（未注明）')",
    "town": "COALESCE(NULLIF(town, ''), concat('（', region, '，未填镇街）'))",
}


# The granted money rows of a chunk's results, and the granted items without a stated amount
# (未定额支持, ``io_write.is_unpriced``: counted apart), with the columns the summary reads
# (about one result row in eight): the summary is aggregated from this small table,
# while the whole results are streamed to the output without being stored.
_MONEY = f"""
CREATE OR REPLACE TEMP TABLE hq_chunk_money AS
SELECT credit_code, region, town, document_short, article, benefit, benefit_title, department, is_money,
       min_fen, max_fen, event_date
FROM ({_RESULTS}) WHERE status = 'granted' AND (is_money OR nature = 'none')
"""


def _add(
    con: duckdb.DuckDBPyConnection,
    summary: Summary,
    payer_names: PayerNames,
    places: dict[str, tuple[int, bool]],
    as_of: date | None = None,
) -> None:
    """Add one chunk's results to the summary, aggregated in SQL (``hq_chunk_money``, ``hq_chunk_payers``);
    ``as_of``, the run's 基准日, dates the yearly items for 按年度."""
    # one result row per award: every award's enterprise is one row of the chunk's ``enterprises``
    # and the near misses only for blank facts (io_write.missing_facts_only: every reason absent:i)
    blank = f"COUNT(*) FILTER (WHERE status = 'near_miss' AND regexp_full_match(reasons, {lit(missing_only_regex(','))}))"
    for status, n, missing in con.execute(f"SELECT status, COUNT(*), {blank} FROM hq_awards GROUP BY status").fetchall():
        summary.status[status] = summary.status.get(status, 0) + int(n)
        summary.missing_facts += int(missing)
    # the enterprises with a result row: a chunk's enterprises are its own, so the chunks' counts add up
    summary.enterprises_with_results += int(con.execute("SELECT COUNT(DISTINCT credit_code) FROM hq_awards").fetchall()[0][0])
    # the town's share of an enterprise without a town, counted under a placeholder payer (io_write.summarise)
    townless = con.execute(
        "SELECT credit_code, list(DISTINCT payer) FROM hq_chunk_payers WHERE role = 'town' AND COALESCE(town, '') = '' "
        "GROUP BY credit_code ORDER BY min(hq_row) NULLS LAST, credit_code"
    ).fetchall()
    summary.add_townless(len(townless), {p for _, ps in townless for p in ps}, (code for code, _ in townless))
    # money items' count, floors, ceilings (a floor for no upper bound), unbounded; items without an amount
    agg = (
        "COUNT(*) FILTER (WHERE is_money), COALESCE(SUM(COALESCE(min_fen, 0)), 0), COALESCE(SUM(COALESCE(max_fen, min_fen, 0)), 0), "
        "COUNT(*) FILTER (WHERE is_money AND max_fen IS NULL), COUNT(*) FILTER (WHERE NOT is_money)"
    )

    def add_to(t: Totals, row: tuple[Any, ...]) -> None:
        t.count += int(row[0])
        t.min_fen += int(row[1])
        t.max_fen += int(row[2])
        t.unbounded += int(row[3])
        t.unpriced += int(row[4])

    row = con.execute(f"SELECT {agg}, COUNT(DISTINCT credit_code) FILTER (WHERE is_money) FROM hq_chunk_money").fetchall()[0]
    add_to(summary.total, row)
    summary.enterprises_with_awards += int(row[5])
    for dim, expr in {**_DIM_SQL, "year": year_sql(as_of)}.items():
        for key, *rest in con.execute(f"SELECT {expr} AS k, {agg} FROM hq_chunk_money GROUP BY k").fetchall():
            add_to(summary.by[dim].setdefault(key, Totals()), tuple(rest))
    payer_agg = agg.replace("is_money", "TRUE")  # payer rows are money items' shares
    for key, unsettled, *rest in con.execute(
        f"SELECT payer, bool_or(role = 'unspecified'), {payer_agg} FROM hq_chunk_payers GROUP BY payer"
    ).fetchall():
        add_to(summary.by["payer"].setdefault(key, Totals()), tuple(rest))
        if unsettled:
            summary.unsettled_payers.add(key)
    unpriced = "SELECT benefit, region, town, COUNT(*) FROM hq_chunk_money WHERE NOT is_money GROUP BY ALL"
    for benefit, region, town, n in con.execute(unpriced).fetchall():
        summary.add_unpriced(payer_names(benefit, region, town), int(n))
    per_year = (
        f"SELECT {_DIM_SQL['article']} AS k, year(event_date) AS y, COUNT(*) FROM hq_chunk_money "
        "WHERE is_money AND event_date IS NOT NULL GROUP BY k, y"
    )
    for key, year, n in con.execute(per_year).fetchall():
        items = summary.yearly.setdefault(key, {})
        items[int(year)] = items.get(int(year), 0) + int(n)
    if places:  # the largest amounts of the items limited in number, as many as the places, per year or period
        limits = ", ".join(f"({lit(b)}, {n}, {'TRUE' if per_year else 'FALSE'})" for b, (n, per_year) in sorted(places.items()))
        top = (
            "SELECT benefit, y, a FROM (SELECT m.benefit, q.n, "
            "CASE WHEN q.per_year AND m.event_date IS NOT NULL THEN year(m.event_date) ELSE 0 END AS y, "
            "COALESCE(m.max_fen, m.min_fen, 0) AS a, "
            "row_number() OVER (PARTITION BY m.benefit, y ORDER BY a DESC) AS rn "
            f"FROM hq_chunk_money m JOIN (VALUES {limits}) q(benefit, n, per_year) ON q.benefit = m.benefit "
            "WHERE m.is_money) WHERE rn <= n"
        )
        amounts: dict[tuple[str, int], list[int]] = {}
        for benefit, year, amount in con.execute(top).fetchall():
            amounts.setdefault((benefit, int(year)), []).append(int(amount))
        for (benefit, year), found in amounts.items():
            summary.keep_top(benefit, year, found, places[benefit][0])


def _write(batches: pa.RecordBatchReader, writer: pq.ParquetWriter, schema: pa.Schema) -> None:
    """Write a query's batches, one row group each, encoding in a second thread.

    pyarrow encodes a row group without holding the GIL, so while the writer
    thread encodes one batch, DuckDB computes the next in this thread. The queue
    holds at most a few batches (bounded memory); the writer's error, if any, is
    raised here once the query is read to its end.
    """
    todo: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def drain() -> None:
        while (batch := todo.get()) is not None:
            if not failed:
                try:
                    writer.write_table(pa.Table.from_batches([batch]).cast(schema))
                except BaseException as e:  # raised in the calling thread below
                    failed.append(e)

    thread = threading.Thread(target=drain, name="huiqi-parquet-writer", daemon=True)
    thread.start()
    try:
        for batch in batches:
            todo.put(batch)
    finally:
        todo.put(None)
        thread.join()
    if failed:
        raise failed[0]


def _medians(
    thresholds: dict[tuple[str, str], int], con: duckdb.DuckDBPyConnection, tables: dict[str, str]
) -> dict[tuple[str, str], Decimal]:
    """The median of each money column a threshold is set on (its non-zero values, in fen), from the chunk's tables."""
    out: dict[tuple[str, str], Decimal] = {}
    columns: dict[str, set[str]] = {}
    for table, name in thresholds:
        if table not in tables:
            continue
        if table not in columns:
            columns[table] = {r[0] for r in con.execute(f"DESCRIBE {tables[table]}").fetchall()}
        if name not in columns[table]:
            continue
        col = ident(name)
        # DECIMAL: the median of whole fen is a whole or half fen, exactly
        sql = f"SELECT median({col})::DECIMAL(38, 1) FROM {tables[table]} WHERE {col} <> 0"
        (median,) = con.execute(sql).fetchall()[0]
        if median is not None:
            out[table, name] = median
    return out


def run_stream(
    eng: Engine,
    source: str | Path,
    as_of: date,
    out: Path | None,
    schema: str | None = None,
    memory_limit: str | None = None,
    chunk_events: int | None = None,
    progress: Callable[[str, int, int | None], Any] | None = None,
) -> StreamResult:
    """Read, validate, evaluate and write a CSV or Parquet folder, DuckDB file or PostgreSQL register chunk by chunk
    (``chunk_events`` event rows per chunk; by default :func:`chunk_events_for` the memory limit)."""
    import time

    n_events = events_in(source, schema)
    ram = _ram() if memory_limit is None else None  # read once: the chunks' size and where validation keeps its tables
    per_chunk = chunk_events if chunk_events is not None else chunk_events_for(memory_limit, ram)
    buckets = max(1, math.ceil(n_events / max(1, per_chunk)))
    work = tempfile.mkdtemp(prefix="huiqi-batch-")
    try:
        con = duckdb.connect(os.path.join(work, "work.duckdb") if buckets > 1 else ":memory:")
        con.execute(f"SET temp_directory = {lit(os.path.join(work, 'spill'))}").fetchall()
        if memory_limit is not None:
            con.execute(f"SET memory_limit = '{duckdb_memory(memory_limit)}'").fetchall()
            con.execute("SET preserve_insertion_order = false").fetchall()
        t0 = time.monotonic()
        sreg = io_sql.validate_sql(
            source,
            eng.catalogue,
            con,
            schema,
            buckets,
            progress=None if progress is None else (lambda n: progress("校验", n, None)),
            staged=None if progress is None else (lambda n: progress("读取", n, None)),
            in_memory=validated_in_memory(n_events, buckets, memory_limit, ram),
        )
        read_s = time.monotonic() - t0
        # the validated tables are written; every table from here on lasts one chunk
        duck.no_auto_checkpoints(con)
        # No step of the plan needs its rows stored in the order computed (its tables are
        # keyed, the results are written with an ORDER BY): without the constraint DuckDB
        # writes each step from both threads at once. Not before: the validated tables
        # keep the register's order, which the chunk reads rely on (zone maps), and
        # validation was slower without it (benchmarks/RESULTS.md, tenth session).
        con.execute("SET preserve_insertion_order = false").fetchall()
        t1 = time.monotonic()
        plan = compile_library(eng.library, eng.catalogue)
        con.register("hq_meta_in", benefit_meta(eng.library))
        con.execute("CREATE TEMP TABLE hq_meta AS SELECT * FROM hq_meta_in").fetchall()
        con.register("hq_reason_in", _reason_rows(eng))
        con.execute("CREATE TEMP TABLE hq_reason_text AS SELECT * FROM hq_reason_in").fetchall()
        summary = Summary()
        summary.by = {k: {} for k in DIMENSIONS}
        payer_names = PayerNames(eng.library)
        places = quota_places(eng.library)
        counts = sreg.register.counts
        summary.enterprises_evaluated = counts["enterprises"].accepted
        summary.events_evaluated = counts["events"].accepted
        parquet_out = out is not None and out.suffix.lower() == ".parquet"
        writer = payer_writer = None
        if parquet_out:
            assert out is not None
            out.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(out, RESULT_SCHEMA, **parquet_options(RESULT_SCHEMA))
            payer_writer = pq.ParquetWriter(
                out.with_name(f"{out.stem}.payers.parquet"), PAYER_SCHEMA, **parquet_options(PAYER_SCHEMA)
            )
        kept: list[pa.Table] = []
        kept_payers: list[pa.Table] = []
        cols = ", ".join(f.name for f in RESULT_SCHEMA)
        pcols = ", ".join(f.name for f in PAYER_SCHEMA)
        if progress is not None:  # the evaluation has begun: 0 of the chunks done
            progress("测算（块）", 0, buckets)
        try:
            for b in range(buckets):
                tables = io_sql.chunk_tables(sreg, b, row_order=True)
                if buckets == 1:  # a register read whole: its money columns checked for 万元 as the Python path does
                    thresholds = money_thresholds(eng)
                    medians = _medians(thresholds, con, tables)
                    sreg.register.errors.extend(unit_notices_from(eng, thresholds, medians, str(source)))
                duck.run(plan, con, tables, as_of)
                con.execute(REASON_TEXTS_SQL.format(awards="hq_awards")).fetchall()
                con.execute(f"CREATE OR REPLACE TEMP TABLE hq_chunk_payers AS {_PAYERS}").fetchall()
                con.execute(_MONEY).fetchall()
                _add(con, summary, payer_names, places, as_of)
                after = con.execute("SELECT count(*) FROM events WHERE date > ?", [as_of]).fetchall()[0][0]
                summary.events_after_as_of += int(after)
                # chunks are ranges of enterprise rows, written in order: the whole output keeps RESULT_ORDER
                result_rows = con.sql(f"SELECT {cols} FROM ({_RESULTS}) ORDER BY {RESULT_ORDER}")
                payer_rows = con.sql(f"SELECT {pcols} FROM hq_chunk_payers ORDER BY {PAYER_ORDER}")
                if writer is not None and payer_writer is not None:
                    _write(result_rows.to_arrow_reader(ROW_GROUP), writer, RESULT_SCHEMA)
                    _write(payer_rows.to_arrow_reader(ROW_GROUP), payer_writer, PAYER_SCHEMA)
                else:
                    kept.append(result_rows.to_arrow_table().cast(RESULT_SCHEMA))
                    kept_payers.append(payer_rows.to_arrow_table().cast(PAYER_SCHEMA))
                if progress is not None:
                    progress("测算（块）", 1, buckets)
        finally:
            if writer is not None:
                writer.close()
            if payer_writer is not None:
                payer_writer.close()
        eval_s = time.monotonic() - t1
        con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = pa.concat_tables(kept) if kept else (None if parquet_out else RESULT_SCHEMA.empty_table())
    payers = pa.concat_tables(kept_payers) if kept_payers else (None if parquet_out else PAYER_SCHEMA.empty_table())
    return StreamResult(sreg.register, summary, results, payers, buckets, read_s, eval_s, sreg.rows_to_python)
