"""The event loop ``huiqi serve`` runs on: TCP_NODELAY on worker sockets, one accept per wake-up.

Each test also runs the stock asyncio loop, to show the case it guards against
happens here (otherwise the test could pass for the wrong reason).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from huiqi.service import engine
from huiqi.web import create_app
from huiqi.web.serving import ServingLoop, event_loop

from .conftest import ROOT, _free_port

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"huiqi": event_loop, "stock": asyncio.SelectorEventLoop}


def _in_thread(work: Callable[[], None]) -> None:
    """Run ``work`` in a thread of its own: the browser tests' Playwright keeps an event
    loop running in the main thread, and a second loop cannot run beside it there."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the loop test did not finish"
    if failure:
        raise failure[0]


def _listening() -> socket.socket:
    """A listening socket made the way uvicorn makes it for ``--workers 2`` (protocol number 0)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    assert sock.proto == 0
    return sock


@pytest.fixture
def clients() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    yield made
    for c in made:
        c.close()


def _connect(sock: socket.socket, clients: list[socket.socket], n: int) -> None:
    for _ in range(n):
        c = socket.create_connection(sock.getsockname())
        clients.append(c)


@pytest.mark.parametrize("name", ["huiqi", "stock"])
def test_connections_of_a_shared_socket_get_tcp_nodelay(name: str, clients: list[socket.socket]) -> None:
    nodelay: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            s = transport.get_extra_info("socket")
            nodelay.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def work() -> None:
        loop = LOOPS[name]()
        sock = _listening()
        try:
            server = loop.run_until_complete(loop.create_server(Probe, sock=sock))
            _connect(sock, clients, 1)
            deadline = time.monotonic() + 10
            while not nodelay:
                assert time.monotonic() < deadline, "no connection made"
                loop.run_until_complete(asyncio.sleep(0.01))
            server.close()
            loop.run_until_complete(server.wait_closed())
        finally:
            loop.close()

    _in_thread(work)
    # without it, an answer written in two parts waits for the client's delayed ACK (≈40 ms)
    assert bool(nodelay[0]) is (name == "huiqi")


@pytest.mark.parametrize("name", ["huiqi", "stock"])
def test_one_connection_is_accepted_per_wake_up(name: str, clients: list[socket.socket]) -> None:
    """So that another worker process on the same socket takes the next one."""
    left: list[int] = []

    def work() -> None:
        loop = LOOPS[name]()
        sock = _listening()
        try:
            server = loop.run_until_complete(loop.create_server(asyncio.Protocol, sock=sock))
            _connect(sock, clients, 3)
            time.sleep(0.05)  # the handshakes are done by the kernel
            loop.call_soon(loop.stop)
            loop.run_forever()  # exactly one poll of the selector
            sock.setblocking(False)
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                left.append(1)
            loop.run_until_complete(asyncio.sleep(0.01))  # let the accepted ones settle
            server.close()
            loop.run_until_complete(server.wait_closed())
        finally:
            loop.close()

    _in_thread(work)
    assert len(left) == (2 if name == "huiqi" else 0)


def test_the_loop_factory_is_what_uvicorn_runs() -> None:
    made: list[asyncio.AbstractEventLoop] = []
    _in_thread(lambda: made.append(event_loop()))
    made[0].close()
    assert isinstance(made[0], ServingLoop)
    from uvicorn.config import Config

    from huiqi.cli import LOOP

    factory = Config(app="huiqi.web.asgi:app_from_env", factory=True, loop=LOOP).get_loop_factory()
    assert factory is event_loop


def test_two_workers_answer_over_the_loop(tmp_path: Path) -> None:
    """``huiqi serve --workers 2`` starts on this loop and answers an evaluation."""
    port = _free_port()
    body = (ROOT / "examples" / "scenarios" / "bench-10-events.yaml").read_bytes()
    server = subprocess.Popen(
        [sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port), "--workers", "2", "--data", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/api/evaluate",
                    content=body,
                    headers={"content-type": "application/yaml"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert r.status_code == 200, r.text
        # the same answer as the app in this process gives
        with TestClient(create_app(engine(), tmp_path / "here")) as here:
            expected = here.post("/api/evaluate", content=body, headers={"content-type": "application/yaml"}).json()
        assert r.json() == expected
    finally:
        server.terminate()
        server.wait(timeout=30)
