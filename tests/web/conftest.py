"""Fixtures for the web tests: the app in-process (TestClient) and served for real
by ``huiqi serve`` (uvicorn) on 127.0.0.1 with a free port, and Debian's Chromium
driven by Playwright."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from huiqi.service import engine
from huiqi.web import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(engine(), tmp_path / "data"), raise_server_exceptions=False) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(data: Path, *options: str) -> Generator[str, None, None]:
    """``huiqi serve`` in a child process with ``options``, until the generator is closed; yields
    the URL its pages are under."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "huiqi.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data), *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = options[options.index("--root-path") + 1].rstrip("/") if "--root-path" in options else ""
    base = f"http://127.0.0.1:{port}{root}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/facts", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode() if proc.stderr else ""
            proc.kill()
            pytest.fail(f"huiqi serve did not start: {err}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``huiqi serve`` in a child process; yields its base URL."""
    yield from serve(tmp_path_factory.mktemp("web-data"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps.sh (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()
