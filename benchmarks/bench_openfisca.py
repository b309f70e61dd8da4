"""OpenFisca as a peer in the benchmark (not a test).

The same subset of 吴中2025 (articles 1, 3, 8, 9, 10, 12, 14) as huiqi encodes
it, written as an OpenFisca model (``benchmarks/openfisca/``), run on the same
synthetic registers as huiqi; rates side by side and the money error of
OpenFisca's float32.

    .venv/bin/python benchmarks/bench_openfisca.py --sizes 1e4 1e5 1e6 --work /tmp/of-bench
    .venv/bin/python benchmarks/bench_openfisca.py --sizes 1e4 --reference-max 1e4   # a quick smoke run

Per size (event rows; 4 events per enterprise on average):

1. ``huiqi synth`` writes a Parquet register (seed 1) unless it exists in ``--work``;
2. ``huiqi.batch.io_read.read_register`` reads and validates it into the
   canonical tables (timed once; every engine below starts from these tables);
3. huiqi, the compiled DuckDB backend (``compile_library`` + ``duck.run``) on a
   Library holding only the subset's benefit items (same document, same caps,
   same 就高不重复 rule), results fetched as Arrow;
4. huiqi, the reference evaluator (``reference_results``: one scenario per
   enterprise) on the same subset Library, up to ``--reference-max`` rows;
5. OpenFisca: build the input arrays (adapter), ``build_default_simulation`` +
   ``set_input``, then ``calculate`` of ``award``, ``benefit_won``,
   ``district_share`` and ``town_share``;
6. the money comparison, item by item, against huiqi's exact fen.

Timings are wall clock (``time.perf_counter``) in this one process, one run per
size.  A JSON file per size is written to ``--work`` and Markdown is printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

ARTICLES = ("1", "3", "8", "9", "10", "12", "14")
AS_OF = date(2025, 12, 31)
PERIOD = "2025"
F32_EXACT_FEN = 2**24  # float32 holds every integer up to 2^24; as 元 with fen, exactness already fails far below


def machine() -> str:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "?"
    )
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0")
    import importlib.metadata as md

    import duckdb

    return (
        f"- nproc: {os.cpu_count()}; memory {int(mem) / 1024 / 1024:.1f} GiB; CPU: {cpu}\n"
        f"- {platform.platform()}; Python {platform.python_version()}\n"
        f"- openfisca-core {md.version('openfisca-core')}, numpy {np.__version__}, duckdb {duckdb.__version__}, pyarrow {pa.__version__}"
    )


def subset_engine():
    from huiqi.core.model import Library
    from huiqi.service import Engine, engine

    eng = engine()
    doc = eng.library.by_id["wuzhong-2025"]
    sub = replace(doc, benefits=tuple(b for b in doc.benefits if b.article in ARTICLES))
    return Engine(Library(documents=(sub,)), eng.catalogue, eng.policy_dir)


class _Reg:
    def __init__(self, tables: dict[str, pa.Table]):
        self.tables = tables


def canonical(reg: Path, cache: Path, catalogue) -> tuple[dict[str, pa.Table], float | None]:
    """The register's canonical tables; read and validated once, then cached as Parquet."""
    names = ("enterprises", "events", "qualifications", "prior_awards")
    if all((cache / f"{n}.parquet").exists() for n in names):
        return {n: pq.read_table(cache / f"{n}.parquet") for n in names}, None
    from huiqi.batch.io_read import read_register

    t0 = time.perf_counter()
    register = read_register(str(reg), catalogue)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    for n in names:
        pq.write_table(register.tables[n], cache / f"{n}.parquet")
    if register.rows_rejected:
        print(f"  ({register.rows_rejected} rows rejected while reading)", file=sys.stderr)
    return dict(register.tables), seconds


def run_duckdb(eng, tables) -> tuple[pa.Table, pa.Table, float, float]:
    import duckdb

    from huiqi.batch import compiler, duck

    t0 = time.perf_counter()
    plan = compiler.compile_library(eng.library, eng.catalogue)
    compile_s = time.perf_counter() - t0
    con = duckdb.connect()
    t0 = time.perf_counter()
    out = duck.run(plan, con, tables, AS_OF)
    awards = out.awards.select("credit_code, event_id, benefit_id, status, kind, min_fen, max_fen").to_arrow_table()
    payers = out.payers.select("credit_code, event_id, benefit_id, role, max_fen").to_arrow_table()
    run_s = time.perf_counter() - t0
    con.close()
    return awards, payers, compile_s, run_s


def run_reference(eng, tables) -> tuple[pa.Table, float]:
    from huiqi.batch.cli_batch import reference_results

    t0 = time.perf_counter()
    results, _payers, _ = reference_results(eng, _Reg(tables), AS_OF)
    return results, time.perf_counter() - t0


def run_openfisca(tables) -> tuple[dict[str, Any], dict[str, float]]:
    from openfisca import tax_benefit_system
    from openfisca.inputs import build_inputs, simulation

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    tbs = tax_benefit_system()
    times["system"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    inp = build_inputs(tables, AS_OF)
    times["build_inputs"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = simulation(tbs, inp, PERIOD)
    times["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = {name: sim.calculate(name, PERIOD) for name in ("award", "benefit_won", "district_share", "town_share")}
    times["calculate"] = time.perf_counter() - t0
    out["credit_code"] = inp.credit_code
    out["event_id"] = inp.event_id
    out["n_units"] = inp.n_events + inp.n_enterprises
    return out, times


def _key(code: pa.Array, event: pa.Array, benefit: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(code, pc.fill_null(event, ""), benefit, "|")


def compare(awards: pa.Table, payers: pa.Table, of: dict[str, Any]) -> dict[str, Any]:
    """Item by item: OpenFisca's float32 award against huiqi's exact max_fen."""
    from openfisca.variables import BENEFIT_IDS

    granted = awards.filter(pc.and_(pc.equal(awards["status"], "granted"), pc.equal(awards["kind"], "money")))
    hq = pa.table(
        {
            "key": _key(
                granted["credit_code"].combine_chunks(),
                granted["event_id"].combine_chunks(),
                granted["benefit_id"].combine_chunks(),
            ),
            "hq_fen": granted["max_fen"].combine_chunks().cast(pa.int64()),
        }
    )
    district = payers.filter(pc.equal(payers["role"], "district"))
    hq_d = pa.table(
        {
            "key": _key(
                district["credit_code"].combine_chunks(),
                district["event_id"].combine_chunks(),
                district["benefit_id"].combine_chunks(),
            ),
            "hq_district_fen": district["max_fen"].combine_chunks().cast(pa.int64()),
        }
    )
    won = np.asarray(of["benefit_won"])
    sel = np.nonzero(won >= 0)[0]
    ids = pa.array(np.array(BENEFIT_IDS, dtype=object)[won[sel]].astype(str))
    oft = pa.table(
        {
            "key": _key(of["credit_code"].take(pa.array(sel)), of["event_id"].take(pa.array(sel)), ids),
            "benefit": ids,
            "of_yuan": pa.array(np.asarray(of["award"])[sel].astype(np.float32)),
            "of_district": pa.array(np.asarray(of["district_share"])[sel].astype(np.float32)),
        }
    )
    j = oft.join(hq, "key", join_type="full outer").join(hq_d, "key", join_type="left outer")
    has_of, has_hq = _np(pc.is_valid(j["of_yuan"])), _np(pc.is_valid(j["hq_fen"]))
    of_yuan = _np(pc.fill_null(j["of_yuan"], 0.0)).astype(np.float32)
    hq_fen = _np(pc.fill_null(j["hq_fen"], 0)).astype(np.int64)
    benefit = np.array(_np(pc.fill_null(pc.coalesce(j["benefit"], pc.utf8_slice_codeunits(j["key"], 0, 0)), "")), dtype=object)
    keys = np.array(_np(j["key"]), dtype=object)
    # float32 × 100 is exact in float64 (24 + 7 bits), so this difference is the exact error in fen
    of_fen = of_yuan.astype(np.float64) * 100.0
    err = of_fen - hq_fen
    shown = np.round(of_fen)  # what a user sees: the float rounded to 2 decimals
    both = has_of & has_hq
    only_of = has_of & ~has_hq & (of_yuan != 0)
    only_hq = has_hq & ~has_of & (hq_fen != 0)
    res: dict[str, Any] = {
        "items_huiqi": int(has_hq.sum()),
        "items_openfisca": int(has_of.sum()),
        "items_both": int(both.sum()),
        "only_openfisca_nonzero": int(only_of.sum()),
        "only_huiqi_nonzero": int(only_hq.sum()),
    }
    e = np.abs(err[both])
    res.update(
        max_abs_error_yuan=float(e.max() / 100) if len(e) else 0.0,
        sum_abs_error_yuan=float(e.sum() / 100),
        items_off_ge_1fen=int((e >= 1).sum()),
        items_not_exact=int((e > 0).sum()),
        items_shown_wrong=int((shown[both] != hq_fen[both]).sum()),
        items_above_2p24_fen=int((hq_fen[both] >= F32_EXACT_FEN).sum()),
        items_above_2p24_fen_off_ge_1fen=int(((hq_fen[both] >= F32_EXACT_FEN) & (np.abs(err[both]) >= 1)).sum()),
        total_huiqi_yuan=str(pa.scalar(int(hq_fen[has_hq].sum())).as_py() / 100),
        total_huiqi_fen=int(hq_fen[has_hq].sum()),
        total_openfisca_float32_yuan=float(np.asarray(of["award"]).sum(dtype=np.float32)),
        total_openfisca_exact_sum_of_float32_yuan=float(of_yuan[has_of].astype(np.float64).sum()),
    )
    per: dict[str, dict[str, Any]] = {}
    for b in sorted(set(benefit[both])):
        m = both & (benefit == b)
        eb = np.abs(err[m])
        per[b] = {
            "items": int(m.sum()),
            "max_abs_error_yuan": float(eb.max() / 100),
            "off_ge_1fen": int((eb >= 1).sum()),
            "shown_wrong": int((shown[m] != hq_fen[m]).sum()),
            "sum_abs_error_yuan": float(eb.sum() / 100),
            "max_huiqi_yuan": float(hq_fen[m].max() / 100),
        }
    res["per_benefit"] = per
    worst = np.argsort(-np.where(both, np.abs(err), -1))[:8]
    res["examples"] = [
        {
            "key": keys[i],
            "huiqi_yuan": f"{hq_fen[i] // 100}.{hq_fen[i] % 100:02d}",
            "openfisca_float32_yuan": repr(float(of_yuan[i])),
            "error_fen": float(err[i]),
        }
        for i in worst
        if both[i]
    ]
    res["decision_differences"] = [
        {
            "key": keys[i],
            "huiqi_fen": int(hq_fen[i]) if has_hq[i] else None,
            "openfisca_yuan": float(of_yuan[i]) if has_of[i] else None,
        }
        for i in np.nonzero(only_of | only_hq)[0][:12]
    ]
    # the 4:6 split: district share
    hd = j["hq_district_fen"]
    mask = both & _np(pc.is_valid(hd))
    d_err = _np(pc.fill_null(j["of_district"], 0.0)).astype(np.float64) * 100.0 - _np(pc.fill_null(hd, 0)).astype(np.int64)
    res["district_share"] = {
        "items": int(mask.sum()),
        "max_abs_error_yuan": float(np.abs(d_err[mask]).max() / 100) if mask.any() else 0.0,
        "off_ge_1fen": int((np.abs(d_err[mask]) >= 1).sum()),
    }
    return res


def _np(col: Any) -> np.ndarray:
    return col.to_numpy(zero_copy_only=False) if isinstance(col, pa.Array) else col.to_numpy()


def reference_vs_duckdb(ref: pa.Table, awards: pa.Table) -> int:
    """Granted money rows whose max differs between the two huiqi engines (expected 0)."""

    def rows(t: pa.Table, bcol: str) -> set[tuple[str, str, str, int]]:
        g = t.filter(pc.and_(pc.equal(t["status"], "granted"), pc.is_valid(t["max_fen"])))
        return set(
            zip(
                g["credit_code"].to_pylist(),
                [e or "" for e in g["event_id"].to_pylist()],
                g[bcol].to_pylist(),
                g["max_fen"].to_pylist(),
                strict=True,
            )
        )

    money = awards.filter(pc.equal(awards["kind"], "money"))
    return len(rows(ref, "benefit") ^ rows(money, "benefit_id"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5", "1e6"], help="event rows per register")
    ap.add_argument("--work", type=Path, default=Path("/tmp/huiqi-openfisca-bench"), help="registers, caches and JSON results")
    ap.add_argument("--reference-max", type=float, default=1e5, help="run the reference evaluator up to this many event rows")
    ap.add_argument("--per-enterprise", type=float, default=4.0)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(machine(), flush=True)
    eng = subset_engine()
    print(f"- subset: {len(eng.library.benefits)} benefit items of 吴中2025 articles {', '.join(ARTICLES)}", flush=True)
    for size in args.sizes:
        events = int(float(size))
        ents = max(1, round(events / args.per_enterprise))
        reg = args.work / f"reg-{events}.parquet"
        synth_s = None
        if not reg.exists():
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "huiqi.cli", "synth", "--enterprises", str(ents), "--seed", "1", "--out", str(reg),
                 "--events-per-enterprise", str(args.per_enterprise)],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            synth_s = time.perf_counter() - t0
        tables, read_s = canonical(reg, args.work / f"canon-{events}", eng.catalogue)
        n_ev = tables["events"].num_rows
        rec: dict[str, Any] = {
            "size": events,
            "event_rows": n_ev,
            "enterprises": tables["enterprises"].num_rows,
            "synth_s": synth_s,
            "read_validate_s": read_s,
        }
        awards, payers, rec["duckdb_compile_s"], rec["duckdb_run_s"] = run_duckdb(eng, tables)
        gc.collect()
        if n_ev <= args.reference_max:
            ref, rec["reference_s"] = run_reference(eng, tables)
            rec["reference_vs_duckdb_differences"] = reference_vs_duckdb(ref, awards)
            del ref
            gc.collect()
        of, times = run_openfisca(tables)
        rec["openfisca"] = times
        rec["comparison"] = compare(awards, payers, of)
        del of
        gc.collect()
        (args.work / f"result-{events}.json").write_text(json.dumps(rec, ensure_ascii=False, indent=2))
        o = rec["openfisca"]
        of_total = o["build_inputs"] + o["load"] + o["calculate"]
        ref_rate = f"{n_ev / rec['reference_s']:,.0f}" if "reference_s" in rec else "not run"
        print(
            f"| {n_ev:,} | {ref_rate} | {n_ev / rec['duckdb_run_s']:,.0f} | {n_ev / o['calculate']:,.0f} | {n_ev / of_total:,.0f} |"
            f" ref {rec.get('reference_s', 0):.1f}s, duckdb {rec['duckdb_run_s']:.2f}s (+compile {rec['duckdb_compile_s']:.2f}s),"
            f" openfisca build {o['build_inputs']:.2f}s load {o['load']:.2f}s calc {o['calculate']:.2f}s |",
            flush=True,
        )
        c = rec["comparison"]
        print(
            f"  items both {c['items_both']:,}, max err {c['max_abs_error_yuan']} 元, off≥1分 {c['items_off_ge_1fen']:,},"
            f" sum |err| {c['sum_abs_error_yuan']:.2f} 元, only OF {c['only_openfisca_nonzero']}, only huiqi {c['only_huiqi_nonzero']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
