"""Benchmark of ``huiqi batch`` on a register held in PostgreSQL (not a test).

For each size (event rows): generate a register with ``huiqi synth`` as a DuckDB
file, copy its tables into a fresh PostgreSQL schema (typed: TEXT, BIGINT,
DOUBLE PRECISION, BOOLEAN, DATE, TEXT[]), then run ``huiqi batch
postgresql://… --schema …`` and, for comparison, ``huiqi batch`` on the DuckDB
file itself, each in a child process (wall time and the child's peak RSS, as in
``bench_batch.py``).  The schema is dropped afterwards.

    .venv/bin/python benchmarks/bench_pg.py --sizes 1e5 1e6 --dsn postgresql://postgres@127.0.0.1:5432/test

Results are printed as Markdown rows for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from bench_batch import machine, run_batch, synth

# DuckDB column type → PostgreSQL column type (the types ``huiqi synth`` writes)
_PG = {
    "VARCHAR": "TEXT",
    "VARCHAR[]": "TEXT[]",
    "BIGINT": "BIGINT",
    "INTEGER": "INTEGER",
    "DOUBLE": "DOUBLE PRECISION",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
}


def load(register: Path, dsn: str, schema: str, folder: Path) -> None:
    """Copy every table of a DuckDB register into ``schema``, rows in the file's order."""
    import duckdb
    import psycopg

    con = duckdb.connect(str(register), read_only=True)
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f"CREATE SCHEMA {schema}".encode())
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            cols = con.execute(f'DESCRIBE "{table}"').fetchall()
            pg.execute(f'CREATE TABLE {schema}."{table}" ({", ".join(f""""{c[0]}" {_PG[c[1]]}""" for c in cols)})'.encode())
            select = []
            for name, typ, *_ in cols:
                if typ == "VARCHAR[]":  # a PostgreSQL array literal: {"a","b"}
                    item = "'\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"') || '\"'"
                    select.append(f"""'{{' || array_to_string(list_transform("{name}", lambda x: {item}), ',') || '}}'""")
                else:
                    select.append(f'"{name}"')
            csv = folder / f"{table}.csv"
            con.execute(
                f"COPY (SELECT {', '.join(select)} FROM \"{table}\" ORDER BY rowid) TO '{csv}' (FORMAT csv, HEADER false)"
            )
            sql = f'COPY {schema}."{table}" FROM STDIN (FORMAT csv)'.encode()
            with pg.cursor() as cur, cur.copy(sql) as copy, csv.open("rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            csv.unlink()
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["1e5"], help="event rows per run")
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--per-enterprise", type=float, default=4.0)
    args = ap.parse_args()
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="huiqi-bench-pg-"))
    print(machine())
    print()
    print(
        "| event rows | source | load into PostgreSQL s | batch s | event rows/s | peak RSS MiB | read+validate s | evaluate+write s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    try:
        for size in args.sizes:
            events = int(float(size))
            ents = max(1, round(events / args.per_enterprise))
            reg = root / f"reg-{events}.duckdb"
            if reg.exists():  # from an earlier run in the same folder: the same seed gives the same register
                reg.unlink()
            synth(ents, reg, args.per_enterprise, root)
            schema = f"huiqi_bench_{uuid.uuid4().hex[:8]}"
            start = time.monotonic()
            load(reg, args.dsn, schema, root)
            load_s = time.monotonic() - start
            try:
                for label, source in (("PostgreSQL", [args.dsn, "--schema", schema]), ("DuckDB file", [str(reg)])):
                    data, cells = run_batch(source, root / "res.parquet", root, args.memory_limit)
                    shown = f"{load_s:.1f}" if label == "PostgreSQL" else ""
                    print(f"| {data['events_evaluated']:,} | {label} | {shown} | {cells} |", flush=True)
            finally:
                with psycopg.connect(args.dsn, autocommit=True) as pg:
                    pg.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
