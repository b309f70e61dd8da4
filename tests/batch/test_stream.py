"""``huiqi batch`` on columnar registers chunk by chunk (huiqi.batch.stream): the
chunks together give exactly the rows and results of one chunk, whether the events
follow the enterprises' order (a chunk is one range of rows) or not."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")
pytest.importorskip("numpy")

from huiqi.batch import io_sql  # noqa: E402
from huiqi.batch.io_write import PAYER_SCHEMA, RESULT_SCHEMA, PayerNames, summarise  # noqa: E402
from huiqi.batch.stream import (  # noqa: E402
    CHUNK_BYTES_PER_EVENT,
    CHUNK_EVENTS,
    RAM_SHARE,
    ROW_GROUP,
    VALIDATED_BYTES_PER_EVENT,
    VALIDATED_SHARE,
    _write,
    chunk_events_for,
    duckdb_memory,
    events_in,
    run_stream,
    validated_in_memory,
    within_ram,
)
from huiqi.batch.synth import synth  # noqa: E402
from huiqi.service import InputError, engine  # noqa: E402


def _rows(table: Any) -> list[str]:
    return sorted(map(str, table.to_pylist()))


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A synthetic register (events in the enterprises' order) and a copy whose events
    are shuffled, with a padded event id (the Python validator strips and accepts it)
    and an unknown kind (rejected)."""
    eng = engine()
    root = tmp_path_factory.mktemp("stream")
    ordered = root / "ordered.parquet"
    synth(ordered, eng.library, eng.catalogue, 300, 11, 4.0)
    shuffled = root / "shuffled.parquet"
    shuffled.mkdir()
    for name in ("enterprises", "qualifications", "prior_awards"):
        pq.write_table(pq.read_table(ordered / f"{name}.parquet"), shuffled / f"{name}.parquet")
    events = pq.read_table(ordered / "events.parquet")
    order = sorted(range(events.num_rows), key=lambda i: (i * 7919) % events.num_rows)
    events = events.take(order)
    first = events.slice(0, 1).to_pylist()[0]
    padded = {**first, "event_id": " PAD1"}
    unknown = {**first, "event_id": "BAD1", "kind": "旅游"}
    events = pa.concat_tables([events, pa.Table.from_pylist([padded, unknown], schema=events.schema)])
    pq.write_table(events, shuffled / "events.parquet", row_group_size=64)
    return ordered, shuffled


@pytest.mark.parametrize("in_memory", [False, True])
@pytest.mark.parametrize("which", [0, 1])
def test_chunks_read_back_every_accepted_row_once(registers: tuple[Path, Path], which: int, in_memory: bool) -> None:
    cat = engine().catalogue
    folder = registers[which]
    whole = io_sql.validate_sql(folder, cat, duckdb.connect())
    parts = io_sql.validate_sql(folder, cat, duckdb.connect(), buckets=4, in_memory=in_memory)
    kept = parts.con.execute("SELECT DISTINCT temporary FROM duckdb_tables() WHERE table_name LIKE 'hq_c_%'").fetchall()
    assert kept == [(in_memory,)]  # temporary tables, or tables of the connection's database
    assert parts.event_rows is not None
    assert parts.event_rows.disjoint() == (which == 0)  # shuffled: the chunk's owner decides, not the range
    assert [e.message() for e in parts.register.errors] == [e.message() for e in whole.register.errors]
    assert len(whole.register.errors) == which  # the unknown kind
    everything = io_sql.canonical_tables(whole)
    assert everything["events"].num_rows == whole.register.counts["events"].accepted
    for key in ("enterprises", "events", "qualifications", "prior_awards"):
        chunks = [io_sql.canonical_tables(parts, b)[key] for b in range(4)]
        assert key not in ("enterprises", "events") or all(c.num_rows > 0 for c in chunks), key
        assert _rows(pa.concat_tables(chunks)) == _rows(everything[key]), key
    ids = everything["events"].column("event_id").to_pylist()
    assert ("PAD1" in ids) == (which == 1) and "BAD1" not in ids
    # every event is in its enterprise's chunk
    for b in range(4):
        t = io_sql.canonical_tables(parts, b)
        assert set(t["events"].column("credit_code").to_pylist()) <= set(t["enterprises"].column("credit_code").to_pylist())


@pytest.mark.parametrize("which", [0, 1])
def test_several_chunks_give_the_results_of_one(registers: tuple[Path, Path], which: int) -> None:
    eng = engine()
    folder = registers[which]
    one = run_stream(eng, folder, date(2025, 12, 31), None)
    many = run_stream(eng, folder, date(2025, 12, 31), None, chunk_events=300)
    assert one.chunks == 1 and many.chunks >= 4
    assert one.results is not None and many.results is not None and one.payers is not None and many.payers is not None
    assert one.results.num_rows > 1000
    assert _rows(many.results) == _rows(one.results)
    assert _rows(many.payers) == _rows(one.payers)
    assert many.summary.status == one.summary.status
    assert many.summary.total == one.summary.total


@pytest.mark.parametrize("as_of", [date(2025, 12, 31), date(2026, 3, 31)])
def test_the_year_lines_summed_in_sql_chunk_by_chunk_are_those_of_the_rows(registers: tuple[Path, Path], as_of: date) -> None:
    """按年度 aggregated in SQL over several chunks (``stream._add``) is what ``summarise`` (the
    reference path's) makes of the same result rows: each event's year, the yearly items (no event)
    under the 基准日's year, the years in order."""
    eng = engine()
    res = run_stream(eng, registers[1], as_of, None, chunk_events=300)
    assert res.chunks >= 4 and res.results is not None and res.payers is not None
    rows = summarise(res.results, res.payers, 0, 0, PayerNames(eng.library), None, as_of)
    lines = res.summary.ordered("year")
    assert lines == rows.ordered("year")
    assert [k for k, _ in lines] == sorted(k for k, _ in lines) and f"{as_of.year}年" in dict(lines)
    yearly = [r for r in res.results.to_pylist() if r["event_id"] is None and r["status"] == "granted" and r["is_money"]]
    dated = {f"{r['event_date'].year}年" for r in res.results.to_pylist() if r["event_date"] and r["status"] == "granted"}
    assert yearly and len(dated) >= 2
    # rows summed without a 基准日 (none is known): the yearly items on a line of their own, after the years
    unknown = summarise(res.results, res.payers, 0, 0, None, None, None).ordered("year")
    assert unknown[-1][0] == "（未注明年度）" and unknown[-1][1].count == len(yearly)
    assert [k for k, _ in unknown[:-1]] == sorted(dated)


@pytest.mark.parametrize("which", [0, 1])
def test_parquet_output_holds_the_rows_of_the_in_memory_results(registers: tuple[Path, Path], which: int, tmp_path: Path) -> None:
    """Several chunks streamed to Parquet (results and payers, one file each) hold the rows the
    in-memory path returns, with the declared schemas, in row groups of at most ROW_GROUP rows,
    with dictionary pages where values repeat; the summary's status counts are those of the file."""
    eng = engine()
    folder = registers[which]
    kept = run_stream(eng, folder, date(2025, 12, 31), None, chunk_events=300)
    out = tmp_path / "r.parquet"
    written = run_stream(eng, folder, date(2025, 12, 31), out, chunk_events=300)
    assert written.chunks >= 4 and written.results is None and written.payers is None
    assert kept.results is not None and kept.payers is not None
    for path, schema, table in (
        (out, RESULT_SCHEMA, kept.results),
        (tmp_path / "r.payers.parquet", PAYER_SCHEMA, kept.payers),
    ):
        f = pq.ParquetFile(path)
        assert f.schema_arrow.equals(schema)
        groups = [f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)]
        assert len(groups) >= written.chunks and max(groups) <= ROW_GROUP
        assert f.metadata.row_group(0).column(0).compression == "SNAPPY"
        # text: dictionary pages for repetitive columns, not for codes, names and event ids
        text = [i for i, field in enumerate(schema) if field.type == pa.string()]
        plain = [schema[i].name for i in text if not f.metadata.row_group(0).column(i).has_dictionary_page]
        assert plain == [n for n in ("credit_code", "name", "event_id") if n in schema.names]
        assert _rows(f.read()) == _rows(table)
    statuses = pq.read_table(out, columns=["status"]).column("status").to_pylist()
    assert written.summary.status == {s: statuses.count(s) for s in set(statuses)}
    assert written.summary.status == kept.summary.status and written.summary.total == kept.summary.total
    assert written.summary.by == kept.summary.by


def test_streamed_results_keep_the_register_order(registers: tuple[Path, Path], tmp_path: Path) -> None:
    """Chunk by chunk, results and payers come out in the enterprises sheet's order, and within an
    enterprise by event date, event and item (its yearly rows first): the same rows in the same
    order with one chunk or many, kept or written to Parquet. An enterprise that only the Python
    validator accepts (its name is padded) keeps its place; events need not follow the enterprises."""
    eng = engine()
    folder = tmp_path / "reg"
    folder.mkdir()
    for name in ("events", "qualifications", "prior_awards"):
        pq.write_table(pq.read_table(registers[1] / f"{name}.parquet"), folder / f"{name}.parquet", row_group_size=64)
    ents = pq.read_table(registers[1] / "enterprises.parquet")
    names = ents.column("name").to_pylist()
    mid = len(names) // 2
    names[mid] = f" {names[mid]} "
    ents = ents.set_column(ents.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
    pq.write_table(ents, folder / "enterprises.parquet")
    as_of = date(2025, 12, 31)
    one = run_stream(eng, folder, as_of, None)
    many = run_stream(eng, folder, as_of, None, chunk_events=300)
    out = tmp_path / "r.parquet"
    written = run_stream(eng, folder, as_of, out, chunk_events=300)
    assert one.chunks == 1 and many.chunks >= 4 and written.chunks == many.chunks
    assert one.rows_to_python >= 1 and not one.register.errors[1:]
    assert one.results is not None and many.results is not None and one.payers is not None and many.payers is not None
    results, payers = one.results.to_pylist(), one.payers.to_pylist()
    assert many.results.to_pylist() == results and pq.read_table(out).to_pylist() == results
    assert many.payers.to_pylist() == payers and pq.read_table(tmp_path / "r.payers.parquet").to_pylist() == payers
    place = {c: i for i, c in enumerate(ents.column("credit_code").to_pylist())}
    moved = ents.column("credit_code")[mid].as_py()
    assert any(r["credit_code"] == moved for r in results)
    keys = [
        (place[r["credit_code"]], r["event_date"] is not None, r["event_date"] or as_of, r["event_id"] or "", r["benefit"])
        for r in results
    ]
    assert len(keys) > 1000 and keys == sorted(keys)
    pkeys = [(place[r["credit_code"]], r["event_id"] or "", r["benefit"], r["role"], r["payer"]) for r in payers]
    assert len(pkeys) > 100 and pkeys == sorted(pkeys)


def test_a_failing_write_is_raised_to_the_caller(tmp_path: Path) -> None:
    """An error in the writer thread (here: rows that do not fit the schema) ends the write with
    that error once the rows are read, instead of hanging or losing it."""
    rows = pa.table({"credit_code": ["x"] * 10, "min_fen": ["not a number"] * 10})
    schema = pa.schema([("credit_code", pa.string()), ("min_fen", pa.int64())])
    writer = pq.ParquetWriter(tmp_path / "bad.parquet", schema)
    with pytest.raises(pa.ArrowInvalid):
        _write(pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches(max_chunksize=2)), writer, schema)
    writer.close()


def test_chunks_use_a_share_of_memory_unless_a_limit_is_given() -> None:
    """Under --memory-limit a chunk holds CHUNK_EVENTS event rows (DuckDB spills beyond);
    without one, as many as fit in RAM_SHARE of the machine's memory, and never fewer."""
    import os

    gib = 2**30
    assert chunk_events_for("4GB", ram=24 * gib) == CHUNK_EVENTS
    assert chunk_events_for(None, ram=24 * gib) == int(24 * gib * RAM_SHARE / CHUNK_BYTES_PER_EVENT)
    assert 5_000_000 < chunk_events_for(None, ram=24 * gib) < 6_000_000  # 10^7 event rows: two chunks
    assert chunk_events_for(None, ram=4 * gib) == CHUNK_EVENTS
    # the memory DuckDB sees (a container's limit, or the machine's): at most the share of the machine's
    here = chunk_events_for(None)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert CHUNK_EVENTS <= here <= max(CHUNK_EVENTS, physical * RAM_SHARE * 1.01 / CHUNK_BYTES_PER_EVENT)


def test_validated_tables_stay_in_memory_only_while_they_fit_a_share_of_it() -> None:
    gib = 2**30
    assert validated_in_memory(10**8, 1, "4GB", ram=24 * gib)  # one chunk: nothing to read back later
    assert not validated_in_memory(10**7, 5, "4GB", ram=24 * gib)  # under a limit: compressed in the work file
    assert validated_in_memory(10**7, 2, None, ram=24 * gib)  # ≈1 GB of 24 GiB
    assert not validated_in_memory(10**8, 18, None, ram=24 * gib)  # ≈10 GB: more than the share
    fits = int(24 * gib * VALIDATED_SHARE / VALIDATED_BYTES_PER_EVENT)
    assert validated_in_memory(fits, 8, None, ram=24 * gib) and not validated_in_memory(fits + 1, 8, None, ram=24 * gib)


def test_memory_limits_are_read_in_the_units_people_write() -> None:
    assert duckdb_memory("4GB") == f"{int(4e9 * 0.75 / 2**20)}MiB"
    assert duckdb_memory(" 512 mib ") == "384MiB"
    assert duckdb_memory("1.5GiB") == "1152MiB"
    for bad in ("4", "four GB", "GB", "infGB", "nanMB"):  # inf and nan were an OverflowError/ValueError traceback
        with pytest.raises(InputError, match="无法识别的内存上限"):
            duckdb_memory(bad)


def test_a_memory_limit_above_the_machines_memory_is_refused() -> None:
    """100000TB (for 100000MB) was accepted: DuckDB would not spill before the system killed the run."""
    gib = 2**30
    within_ram("16GB", ram=24 * gib)
    with pytest.raises(InputError, match=r"内存上限“100000TB”超过本机内存（约24\.0GiB）"):
        within_ram("100000TB", ram=24 * gib)


def test_the_events_are_counted_in_the_file_the_readers_read(tmp_path: Path) -> None:
    """Events.PARQUET is read (names in any case), so the chunks are chosen on its rows (it counted 0: one chunk)."""
    eng = engine()
    folder = tmp_path / "reg.parquet"
    synth(folder, eng.library, eng.catalogue, 30, 2, 4.0)
    n = events_in(folder)
    assert n > 60
    (folder / "events.parquet").rename(folder / "Events.PARQUET")
    assert events_in(folder) == n
