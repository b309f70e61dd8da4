"""The DuckDB runner's connection settings (huiqi.batch.duck)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from huiqi.batch import duck
from huiqi.batch.compiler import compile_library
from huiqi.batch.layout import arrow_schema
from huiqi.service import engine


def _checkpoints(con: duckdb.DuckDBPyConnection, profile: Path) -> int:
    """Replace 12 small temporary tables (100,000 rows, below a row group, like a small event
    kind's table in a chunk) three times; how many statements DuckDB's profiler saw checkpoint."""
    seen = 0
    for i in range(36):
        out = profile / f"{i}.json"
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"SET profiling_output = '{out}'")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE t{i % 12} AS SELECT range AS a, range * {i} AS b, range + {i} AS c FROM range(100000)"
        )
        con.execute("PRAGMA disable_profiling")
        seen += float(json.loads(out.read_text()).get("storage", {}).get("checkpoint_latency", 0.0)) > 0
    return seen


@pytest.mark.parametrize("where", [":memory:", "file"])
def test_no_auto_checkpoints_keeps_duckdb_from_checkpointing_the_chunk_tables(tmp_path: Path, where: str) -> None:
    """A batch run's steps are temporary tables replaced every chunk; DuckDB checkpointed them every
    16 MiB of changes (about 2 s a chunk at 10^7 event rows). After no_auto_checkpoints it does not."""
    db = ":memory:" if where == ":memory:" else str(tmp_path / "work.duckdb")
    (tmp_path / "default").mkdir()
    (tmp_path / "off").mkdir()
    con = duckdb.connect(db)
    try:
        assert _checkpoints(con, tmp_path / "default") > 0  # DuckDB's default: it does checkpoint them
        duck.no_auto_checkpoints(con)
        assert _checkpoints(con, tmp_path / "off") == 0
    finally:
        con.close()


def test_run_spills_to_a_folder_whose_name_has_a_quote(tmp_path: Path) -> None:
    """The spill folder is the caller's temporary folder (TMPDIR), which may hold a quote (/home/o'brien)."""
    spill = tmp_path / "o'brien"
    spill.mkdir()
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    tables = {name: arrow_schema(plan.layout.table(name)).empty_table() for name in plan.layout.tables}
    con = duckdb.connect()
    try:
        res = duck.run(plan, con, tables, date(2025, 12, 31), memory_limit="256MB", temp_directory=str(spill))
        assert res.awards.count("*").fetchall() == [(0,)]
        assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [(str(spill),)]
    finally:
        con.close()
