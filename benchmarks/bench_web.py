"""Load benchmark of the web API (not a test): POST /api/evaluate under 50 concurrent clients.

Run: .venv/bin/python benchmarks/bench_web.py [--clients 50] [--requests 2000] [--url URL]

Without --url it starts ``huiqi serve`` (uvicorn, one worker process) on a free
port of 127.0.0.1 with a throw-away data folder, and stops it at the end.  Each
client is an ``httpx.AsyncClient`` task (keep-alive) that posts the 10-event
scenario examples/scenarios/bench-10-events.yaml as YAML (content-type
application/yaml) in a loop until the request budget is spent; every response
must be 200 with the same total.  Latency is measured per request on the client
(time from send to the full body read); a warm-up of 50 requests is not counted.
Prints p50/p90/p99/max and requests per second; copy them into RESULTS-web.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "examples" / "scenarios" / "bench-10-events.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    data = tempfile.mkdtemp(prefix="huiqi-bench-")
    proc = subprocess.Popen(
        [sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port), "--data", data],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/facts", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("huiqi serve did not start")


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(url: str, clients: int, total: int) -> tuple[list[float], float, str]:
    body = SCENARIO.read_bytes()
    headers = {"content-type": "application/yaml"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        first = await client.post("/api/evaluate", content=body, headers=headers)
        first.raise_for_status()
        expected = first.json()["totals"]["total"]["text"]
        await asyncio.gather(*(client.post("/api/evaluate", content=body, headers=headers) for _ in range(50)))
        samples: list[float] = []
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t0 = time.perf_counter()
                r = await client.post("/api/evaluate", content=body, headers=headers)
                data = r.json()
                samples.append(time.perf_counter() - t0)
                if r.status_code != 200 or data["totals"]["total"]["text"] != expected:
                    raise SystemExit(f"bad response {r.status_code}: {r.text[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return samples, elapsed, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--url", help="an already running server (default: start huiqi serve)")
    args = parser.parse_args()
    proc = None
    url = args.url
    if url is None:
        proc, url = _start_server()
    try:
        samples, elapsed, total = asyncio.run(_run(url, args.clients, args.requests))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    ordered = sorted(samples)
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    print(f"machine: {platform.platform()}, python {platform.python_version()}, cpus {os.cpu_count()}")
    print(f"scenario: {SCENARIO.name} (10 events), result total {total}")
    print(f"{len(samples)} requests, {args.clients} concurrent clients, {elapsed:.2f} s, {len(samples) / elapsed:.1f} req/s")
    print(f"p50 {ms(_pct(ordered, 0.50))}  p90 {ms(_pct(ordered, 0.90))}  p99 {ms(_pct(ordered, 0.99))}  max {ms(ordered[-1])}")


if __name__ == "__main__":
    main()
