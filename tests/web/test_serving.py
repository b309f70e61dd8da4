"""The event loop ``huiqi serve`` runs on: TCP_NODELAY on worker sockets, one accept per wake-up,
least connections first between workers.

Each test also runs the stock asyncio loop, to show the case it guards against
happens here (otherwise the test could pass for the wrong reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
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
from huiqi.web import create_app, serving
from huiqi.web.serving import Balance, ServingLoop, event_loop, new_balance_file

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


@contextlib.contextmanager
def _served(loop: asyncio.AbstractEventLoop, protocol_factory: Callable[[], asyncio.BaseProtocol]) -> Iterator[socket.socket]:
    """``loop`` serving ``protocol_factory`` on a socket from :func:`_listening`; the server
    and the loop are closed afterwards."""
    sock = _listening()
    try:
        server = loop.run_until_complete(loop.create_server(protocol_factory, sock=sock))
        yield sock
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()


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
        with _served(loop, Probe) as sock:
            _connect(sock, clients, 1)
            deadline = time.monotonic() + 10
            while not nodelay:
                assert time.monotonic() < deadline, "no connection made"
                loop.run_until_complete(asyncio.sleep(0.01))

    _in_thread(work)
    # without it, an answer written in two parts waits for the client's delayed ACK (≈40 ms)
    assert bool(nodelay[0]) is (name == "huiqi")


@pytest.mark.parametrize("name", ["huiqi", "stock"])
def test_one_connection_is_accepted_per_wake_up(name: str, clients: list[socket.socket]) -> None:
    """So that another worker process on the same socket takes the next one."""
    left: list[int] = []

    def work() -> None:
        loop = LOOPS[name]()
        with _served(loop, asyncio.Protocol) as sock:
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
    """``huiqi serve --workers 2`` starts on this loop and answers an evaluation; its workers hold the
    ``--max-upload`` it was given."""
    port = _free_port()
    body = (ROOT / "examples" / "scenarios" / "bench-10-events.yaml").read_bytes()
    serve = ["serve", "--port", str(port), "--workers", "2", "--data", str(tmp_path), "--max-upload", "0.05"]
    server = subprocess.Popen(
        [sys.executable, "-m", "huiqi.cli", *serve],
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
        upload = httpx.post(f"http://127.0.0.1:{port}/api/batch", files={"file": ("企业.csv", b"a" * 60_000)}, timeout=30)
        assert upload.status_code == 413 and "上限为0.05MB" in upload.json()["error"], upload.text
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- least connections first between worker processes (HUIQI_SERVE_BALANCE) ----------


def _live_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_the_counts_file_tells_how_many_more_a_worker_holds(tmp_path: Path) -> None:
    path = new_balance_file(str(tmp_path))
    other_process = _live_process()
    try:
        me, other = Balance(path, os.getpid()), Balance(path, other_process.pid)
        assert me.excess() == other.excess() == 0
        me.changed(+3)
        other.changed(+1)
        assert (me.excess(), other.excess()) == (2, 0)
        # a worker that is gone does not count, and the next one takes its slot
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
        dead = Balance(path, int(gone.stdout))
        assert me.excess() == 2
        successor = _live_process()
        try:
            assert Balance(path, successor.pid)._offset == dead._offset
        finally:
            successor.kill()
            successor.wait()
    finally:
        other_process.kill()
        other_process.wait()


def test_a_connection_counts_from_its_accept_until_the_client_goes(tmp_path: Path, clients: list[socket.socket]) -> None:
    mine = Balance(new_balance_file(str(tmp_path)), os.getpid())
    seen: list[int] = []

    def work() -> None:
        loop = ServingLoop(balance=mine)
        with _served(loop, asyncio.Protocol) as sock:
            _connect(sock, clients, 1)
            _run_until(loop, lambda: mine.count == 1)
            clients.pop().close()
            _run_until(loop, lambda: mine.count == 0)
            seen.append(mine.count)

    _in_thread(work)
    assert seen == [0]


def test_a_worker_counts_as_holding_none_from_when_it_listens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Else a worker that has not taken a connection yet would be invisible, and a worker
    that took them all would see nobody to give any to."""
    path = new_balance_file(str(tmp_path))
    monkeypatch.setenv(serving.BALANCE_ENV, path)
    other_process = _live_process()
    seen: list[int] = []
    try:
        other = Balance(path, other_process.pid)
        other.changed(+3)
        seen.append(other.excess())

        def work() -> None:
            loop = ServingLoop()
            with _served(loop, asyncio.Protocol):
                seen.append(other.excess())

        _in_thread(work)
    finally:
        other_process.kill()
        other_process.wait()
    assert seen == [0, 3]


def _run_until(loop: asyncio.AbstractEventLoop, done: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the loop did not get there"
        loop.run_until_complete(asyncio.sleep(0.005))


def test_a_worker_holding_two_more_closes_one_connection_now_and_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = new_balance_file(str(tmp_path))
    other_process = _live_process()
    loop = ServingLoop(balance=Balance(path, os.getpid()))
    try:
        other = Balance(path, other_process.pid)
        other.changed(+24)
        mine = loop._balance
        assert mine is not None
        mine.changed(+25)
        assert not loop.shed_one()  # one more than the other: kept
        mine.changed(+1)
        assert loop.shed_one()  # two more: this answer closes its connection
        assert not loop.shed_one()  # and no other one for SHED_EVERY
        monkeypatch.setattr(serving, "SHED_EVERY", 0.0)
        assert loop.shed_one()
        other.changed(+1)
        assert not loop.shed_one()
    finally:
        loop.close()
        other_process.kill()
        other_process.wait()


def _served_by(port: int, pids: list[int]) -> list[int]:
    """How many established connections to ``port`` each process holds (from /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                fields = line.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == "01":
                    inodes.add(fields[9])
    counts = []
    for pid in pids:
        held = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                held += link.startswith("socket:[") and link[8:-1] in inodes
        counts.append(held)
    return counts


def test_two_workers_share_fifty_clients_evenly(tmp_path: Path) -> None:
    """Whatever the split of the first connections, the worker holding more closes some until it is even."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port), "--workers", "2", "--data", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    conns: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/facts", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        workers = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        body = (ROOT / "examples" / "scenarios" / "bench-10-events.yaml").read_bytes()
        headers = {"content-type": "application/yaml"}
        for _ in range(50):  # like a load tool: each client starts asking as soon as it is connected
            conns.append(http.client.HTTPConnection("127.0.0.1", port, timeout=30))
            for c in conns:
                c.request("POST", "/api/evaluate", body, headers)
            for c in conns:
                assert c.getresponse().read()
        counts: list[int] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a closed connection reconnects on the next request
            for c in conns:
                c.request("POST", "/api/evaluate", body, headers)
            for c in conns:
                assert c.getresponse().read()
            counts = sorted(n for n in _served_by(port, workers) if n)
            if counts == [25, 25]:
                break
        assert counts == [25, 25], counts
    finally:
        for c in conns:
            c.close()
        server.terminate()
        server.wait(timeout=30)


# --- an answer's head and body in one send ---------------------------------------------

_TCPI_SEGS_OUT = 136  # offset of tcpi_segs_out in Linux's struct tcp_info (since 4.2)


def _segments_out(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return int.from_bytes(info[_TCPI_SEGS_OUT : _TCPI_SEGS_OUT + 4], "little")


def _serve_writes(name: str, pieces: list[bytes], clients: list[socket.socket]) -> tuple[bytes, int]:
    """A server that, once a client connects, writes ``pieces`` in one callback (as uvicorn
    writes an answer's head, then its body); what the client receives and how many TCP
    segments the server sent for it."""
    sent: list[int] = []
    received = bytearray()
    expected = sum(len(p) for p in pieces)

    class Writer(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.WriteTransport)
            sock = transport.get_extra_info("socket")
            before = _segments_out(sock)

            def write() -> None:
                for piece in pieces:
                    transport.write(piece)

                def count() -> None:
                    sent.append(_segments_out(sock) - before)

                asyncio.get_running_loop().call_later(0.2, count)

            asyncio.get_running_loop().call_later(0.05, write)  # after the handshake's own segments

    def work() -> None:
        loop = LOOPS[name]()
        with _served(loop, Writer) as sock:
            _connect(sock, clients, 1)
            clients[0].setblocking(False)
            deadline = time.monotonic() + 10
            while not sent or len(received) < expected:
                assert time.monotonic() < deadline, "the answer did not arrive"
                loop.run_until_complete(asyncio.sleep(0.01))
                with contextlib.suppress(BlockingIOError):
                    received.extend(clients[0].recv(65536))

    _in_thread(work)
    return bytes(received), sent[0]


@pytest.mark.parametrize("name", ["huiqi", "stock"])
def test_an_answers_head_and_body_leave_in_one_segment(name: str, clients: list[socket.socket]) -> None:
    head, body = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", b"hello"
    received, segments = _serve_writes(name, [head, body], clients)
    assert received == head + body
    assert segments == (1 if name == "huiqi" else 2)


def test_a_lone_small_write_is_still_sent(clients: list[socket.socket]) -> None:
    """A held write goes out on the loop's next turn when no second write comes."""
    received, segments = _serve_writes("huiqi", [b"HTTP/1.1 204 No Content\r\n\r\n"], clients)
    assert received == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert segments == 1
