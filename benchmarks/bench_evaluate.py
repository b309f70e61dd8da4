"""In-process time to evaluate one enterprise with 10 events against the whole library.

Run: .venv/bin/python benchmarks/bench_evaluate.py [--runs 5000]
Prints p50/p90/p99 and writes nothing; copy the figures into RESULTS-evaluate.md.
The scenario is fixed (examples/scenarios/bench-10-events.yaml); the library
is loaded once, as the CLI and the web app do; each run parses nothing and
evaluates the typed scenario (the work a request does after validation), a
second figure includes validation of the raw mapping, and a third is all the
work of an evaluate API request inside the app: the JSON body read (orjson),
validation, evaluation, the answer as plain data (``to_dict``) and as JSON.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import orjson
import yaml

from huiqi import native
from huiqi.core.evaluator import evaluate
from huiqi.core.explain import to_dict
from huiqi.service import engine

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "bench-10-events.yaml"


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return pick(0.50), pick(0.90), pick(0.99)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    eng = engine()
    raw = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    scenario = eng.scenario(raw)
    assert len(scenario.events) == 10
    for _ in range(200):  # warm up
        evaluate(eng.library, eng.catalogue, scenario)
    body = orjson.dumps(raw)  # the request body of the web benchmark (dates as text)
    eval_only, with_validation, request = [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        result = evaluate(eng.library, eng.catalogue, scenario)
        t1 = time.perf_counter()
        evaluate(eng.library, eng.catalogue, eng.scenario(raw))
        t2 = time.perf_counter()
        orjson.dumps(to_dict(evaluate(eng.library, eng.catalogue, eng.scenario(orjson.loads(body)))))
        t3 = time.perf_counter()
        eval_only.append((t1 - t0) * 1000)
        with_validation.append((t2 - t1) * 1000)
        request.append((t3 - t2) * 1000)
    benefits = len(eng.library.benefits)
    print(f"library: {len(eng.library.documents)} documents, {benefits} benefits; scenario: 10 events")
    print(f"result: {len(result.awards)} awards, {len(result.set_aside)} set aside, {len(result.near_misses)} near-misses")
    print(f"python {platform.python_version()} on {platform.machine()}, runs={args.runs}")
    print(f"core: {native.status()}")
    for name, samples in (("evaluate", eval_only), ("validate+evaluate", with_validation), ("request (JSON in/out)", request)):
        p50, p90, p99 = _percentiles(samples)
        print(f"{name:<21} p50 {p50:.3f} ms  p90 {p90:.3f} ms  p99 {p99:.3f} ms  mean {statistics.mean(samples):.3f} ms")


if __name__ == "__main__":
    main()
