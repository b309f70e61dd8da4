"""What a batch run cannot go below on this machine: reading the register and writing the results (not a test).

The throughput target of issue 4 (1,000,000 event rows per second at 10^7 event
rows) gives a whole ``huiqi batch`` run 10 s at 10^7. This script measures two
parts of any such run that involve no rule at all:

- **scan**: DuckDB reads every column of every sheet of a Parquet register
  (``SELECT COUNT(COLUMNS(*)) FROM read_parquet(...)``: each value and its
  validity decoded, nothing kept), all threads;
- **write**: the rows of a results file that ``huiqi batch`` wrote, held in
  memory, written again exactly as ``huiqi batch`` writes them (pyarrow's
  ``ParquetWriter``, the results schema and writer options, row groups of at
  most 65,536 rows, snappy). pyarrow's Parquet writer encodes on one thread.

    .venv/bin/huiqi batch REG.parquet --as-of 2025-12-31 --out RES.parquet
    .venv/bin/python benchmarks/bench_floor.py --register REG.parquet --results RES.parquet --repeat 3

Prints the best and the median of the repetitions as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.batch.io_write import RESULT_SCHEMA, parquet_options
from huiqi.batch.stream import ROW_GROUP


def scan(register: Path) -> tuple[int, float]:
    """Event rows of the register and the seconds DuckDB takes to decode every column of every sheet."""
    con = duckdb.connect()
    files = sorted(register.glob("*.parquet"))
    start = time.perf_counter()
    for f in files:
        con.execute(f"SELECT COUNT(COLUMNS(*)) FROM read_parquet('{f}')").fetchall()
    took = time.perf_counter() - start
    events = register / "events.parquet"
    n = int(con.execute(f"SELECT COUNT(*) FROM read_parquet('{events}')").fetchall()[0][0]) if events.exists() else 0
    con.close()
    return n, took


def write(rows: pa.Table, out: Path) -> float:
    """Seconds to write ``rows`` as ``huiqi batch`` writes its results file."""
    start = time.perf_counter()
    writer = pq.ParquetWriter(out, RESULT_SCHEMA, **parquet_options(RESULT_SCHEMA))
    for batch in rows.to_batches(ROW_GROUP):
        writer.write_table(pa.Table.from_batches([batch]))
    writer.close()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--register", type=Path, required=True, help="a Parquet register folder (huiqi synth --out X.parquet)")
    ap.add_argument("--results", type=Path, required=True, help="the results file huiqi batch wrote for it")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = pq.read_table(args.results).cast(RESULT_SCHEMA)
    out = args.results.with_name(f"{args.results.stem}.floor-copy.parquet")
    scans: list[float] = []
    writes: list[float] = []
    events = 0
    try:
        for _ in range(args.repeat):
            events, s = scan(args.register)
            scans.append(s)
            writes.append(write(rows, out))
    finally:
        out.unlink(missing_ok=True)
    budget = events / 1_000_000
    print(f"event rows {events:,}; result rows {rows.num_rows:,}; at 1,000,000 event rows/s a run has {budget:.1f} s")
    print()
    print("| part | best s | median s | share of the budget (best) |")
    print("|---|---|---|---|")
    for name, xs in (("scan every register column (DuckDB)", scans), ("write the results (pyarrow, one thread)", writes)):
        print(f"| {name} | {min(xs):.2f} | {statistics.median(xs):.2f} | {min(xs) / budget:.0%} |")


if __name__ == "__main__":
    main()
