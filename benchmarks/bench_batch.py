"""Benchmark of ``huiqi batch`` over synthetic registers (not a test).

For each size (event rows): generate a register with ``huiqi synth`` (Parquet,
4 events per enterprise on average), then run ``huiqi batch`` on it in a child
process and measure wall time and the child's peak RSS (``os.wait4`` rusage).
Throughput is event rows per second of the whole run (read + validate +
evaluate + write results).

    .venv/bin/python benchmarks/bench_batch.py --sizes 1e5 1e6 --engine duckdb
    .venv/bin/python benchmarks/bench_batch.py --sizes 1e5 --engine reference
    .venv/bin/python benchmarks/bench_batch.py --sizes 1e4 1e5 --register-format xlsx --out-format xlsx

``--register-format xlsx`` makes the register an Excel workbook and ``csv`` a
folder of CSV files (both read and validated in Python, as an officer's upload
is); ``--out-format`` chooses the results file. "write s" is what ``huiqi batch --json`` reports as writing
(for Parquet results of a Parquet register the results are written while
evaluating, and only the summary sheets after).

Results are printed as Markdown rows for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HUIQI = [sys.executable, "-m", "huiqi.cli"]


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import duckdb
    import numpy
    import pyarrow

    return (
        f"- nproc: {os.cpu_count()}\n- memory: {mem}\n- CPU: {cpu}\n- OS: {platform.platform()}\n"
        f"- Python {platform.python_version()}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}, numpy {numpy.__version__}"
    )


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a child and return (wall seconds, its own peak RSS in MiB, stdout)."""
    start = time.monotonic()
    out_file = cwd / "stdout.txt"
    err_file = cwd / "stderr.txt"
    with out_file.open("w") as fo, err_file.open("w") as fe:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"命令失败（{code}）：{' '.join(cmd)}\n{err_file.read_text()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out_file.read_text()


def synth(enterprises: int, out: Path, per_enterprise: float, cwd: Path) -> float:
    """Write a synthetic register (seed 1) with ``huiqi synth``; the seconds it took."""
    cmd = [*HUIQI, "synth", "--enterprises", str(enterprises), "--seed", "1", "--out", str(out)]
    wall, _, _ = run_measured([*cmd, "--events-per-enterprise", str(per_enterprise)], cwd)
    return wall


def run_batch(source: list[str], out: Path, cwd: Path, memory_limit: str | None) -> tuple[dict[str, Any], str]:
    """Run ``huiqi batch SOURCE`` measured; its JSON summary and the result row's measured cells
    (batch s | event rows/s | peak RSS MiB | read+validate s | evaluate s | write s)."""
    cmd = [*HUIQI, "batch", *source, "--as-of", "2025-12-31", "--out", str(out), "--json"]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    wall, rss, printed = run_measured(cmd, cwd)
    data: dict[str, Any] = json.loads(printed)
    n = data["events_evaluated"]
    sec = data["seconds"]
    write = f"{sec['write']:.1f}" if "write" in sec else "–"  # not reported before 2026-11-23
    cells = f"{wall:.1f} | {n / wall:,.0f} | {rss:,.0f} | {sec['read']:.1f} | {sec['evaluate']:.1f} | {write}"
    return data, cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["1e5", "1e6"], help="event rows per run")
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "reference"])
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--per-enterprise", type=float, default=4.0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the registers in this folder")
    ap.add_argument("--register-format", default="parquet", choices=["parquet", "xlsx", "csv"])
    ap.add_argument("--out-format", default="parquet", choices=["parquet", "xlsx", "csv"])
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="huiqi-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(machine())
    print()
    print(
        "| event rows | enterprises | engine | register → results | synth s | batch s | event rows/s | peak RSS MiB "
        "| read+validate s | evaluate s | write s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        for size in args.sizes:
            events = int(float(size))
            ents = max(1, round(events / args.per_enterprise))
            reg = root / f"reg-{events}.{args.register_format}"
            synth_s = 0.0
            if not reg.exists():
                synth_s = synth(ents, reg, args.per_enterprise, root)
            source = [str(reg), "--engine", args.engine]
            data, cells = run_batch(source, root / f"res-{events}.{args.out_format}", root, args.memory_limit)
            n = data["events_evaluated"]
            formats = f"{args.register_format} → {args.out_format}"
            print(f"| {n:,} | {data['enterprises_evaluated']:,} | {args.engine} | {formats} | {synth_s:.1f} | {cells} |", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
