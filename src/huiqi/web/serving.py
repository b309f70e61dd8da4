"""The event loop ``huiqi serve`` runs uvicorn on (``loop="huiqi.web.serving:event_loop"``).

The standard library's selector loop, with changes that the load benchmark
(``benchmarks/bench_web_wrk.sh``; numbers in ``benchmarks/RESULTS-web.md``,
"Fourth session") showed are needed when several worker processes share one
listening socket:

* **TCP_NODELAY on every accepted connection.**  asyncio sets it only when the
  listening socket says its protocol is TCP; the socket uvicorn binds for
  ``--workers 2`` says 0, so the worker sockets went without it, and the answer
  (headers, then body: two writes) waited for the client's delayed ACK —
  44 ms for every request, however idle the server.
* **One connection accepted per wake-up.**  asyncio accepts up to the backlog at
  once, so the first worker to wake took most of a burst of new connections and
  the other worker idled.  Accepting one at a time lets the worker that is not
  busy take the next one: 50 connections opened together split 25/25 or 26/24
  in 4 runs of 4 with a toy handler, and within one of even in 5 of 7 runs of the
  application (a worker busy with a request cannot accept meanwhile).

* **Even connections between workers** (``--workers`` > 1).  One accept per wake-up
  still let a worker busy with its requests fall behind while the idle one took the
  rest: the 50 connections of the load benchmark split 21/29 in some runs, and the
  worker holding 29 answered ≈ 15 % slower (p99 33–35 ms against 28–30 ms for even
  splits).  ``huiqi serve`` gives the workers a small shared file (``HUIQI_SERVE_BALANCE``)
  where each keeps its count of open connections; a worker holding two or more above
  the fewest answers one evaluation in ``SHED_EVERY`` (0.1 s) with ``Connection: close``,
  so that client reconnects, most likely to the other worker.  Making the fuller
  worker refuse new connections for a while instead was tried: the first answers to
  50 clients connecting at once then waited up to 200–290 ms (26–75 ms without).

* **An answer's head and body in one send** (``_ServedTransport``): uvicorn writes
  them separately, which with TCP_NODELAY meant two segments and two wake-ups of the
  client per answer.

uvloop (uvicorn's default when installed) sets TCP_NODELAY itself, but it sends the
answers a loop iteration produced together at the end of that iteration; a request whose
bytes arrive just after the poll then waits for the whole next batch as well, and
about one request in 50 took twice the median (p99 ≈ 2 × p50 with a handler that
only spins 0.8 ms).  This loop writes each answer as soon as it is made.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import socket
import struct
import sys
import tempfile
import time
from asyncio import selector_events
from typing import Any

__all__ = ["BALANCE_ENV", "Balance", "ServingLoop", "event_loop", "log_config", "new_balance_file", "pid_alive"]

BALANCE_ENV = "HUIQI_SERVE_BALANCE"  # path of the workers' shared connection counts
_SLOTS = 64  # worker processes one file can count
_SLOT = struct.Struct("qq")  # pid, open connections
_COUNT = struct.Struct("q")
HOLD_UP_TO = 4096  # bytes: a smaller write (an answer's head) waits for the next one (its body)
SHED_EVERY = 0.1  # seconds: a worker holding too many connections closes at most one this often


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the time in front of every line, and the app's own
    loggers (``huiqi.*``: failed jobs, an unavailable data store) written the same way to stderr:
    a server running for months left lines no one could place in time."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["fmt"] = "%(asctime)s " + formatter["fmt"]
        formatter["datefmt"] = "%Y-%m-%d %H:%M:%S"
    config["loggers"]["huiqi"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def new_balance_file(directory: str | None = None) -> str:
    """An empty counts file for the workers of one ``huiqi serve``; the caller removes it."""
    fd, path = tempfile.mkstemp(prefix="huiqi-serve-", suffix=".counts", dir=directory)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(_SLOTS * _SLOT.size))
    return path


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine with that pid is running (used for workers and batch jobs)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # no harmless probe there: callers decide by other signs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class Balance:
    """The open connections of each worker process, in a file they all map.

    Each worker writes only its own slot (pid, count); a slot whose process is gone
    is taken over by the next worker that starts (uvicorn restarts dead workers).
    """

    def __init__(self, path: str, pid: int | None = None) -> None:
        import fcntl  # POSIX only, as is serving with several workers

        self.pid = os.getpid() if pid is None else pid
        self.count = 0
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), _SLOTS * _SLOT.size)
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                self._offset = self._claim() * _SLOT.size
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _claim(self) -> int:
        for i in range(_SLOTS):
            pid, _ = _SLOT.unpack_from(self._map, i * _SLOT.size)
            if pid in (0, self.pid) or not pid_alive(pid):
                _SLOT.pack_into(self._map, i * _SLOT.size, self.pid, 0)
                return i
        raise OSError(f"more than {_SLOTS} worker processes")

    def changed(self, delta: int) -> None:
        self.count += delta
        _COUNT.pack_into(self._map, self._offset + 8, self.count)

    def excess(self) -> int:
        """How many more open connections this worker holds than the live worker holding
        fewest (0 when it is alone or holds fewest)."""
        fewest: int | None = None
        for offset in range(0, _SLOTS * _SLOT.size, _SLOT.size):
            if offset == self._offset:
                continue
            pid, count = _SLOT.unpack_from(self._map, offset)
            if pid and (fewest is None or count < fewest) and pid_alive(pid):
                fewest = count
        return 0 if fewest is None else max(0, self.count - fewest)


_SocketTransport: Any = selector_events._SelectorSocketTransport  # type: ignore[attr-defined]


class _ServedTransport(_SocketTransport):  # type: ignore[misc]
    """A served connection: the head and body of an answer go out in one ``send``,
    and the counts hear when it ends.

    uvicorn writes an answer's status line and headers, then its body: two sends, two
    TCP segments with TCP_NODELAY, and two wake-ups of the client.  A small write made
    while nothing waits to be sent is held until the next write (they go out together)
    or, at the latest, until the loop's next turn (``call_soon``).  On the load
    benchmark: p99 18–27 ms against 24–30 ms, 2–15 % more requests per second, a
    fifth less system time in wrk (four alternating pairs, RESULTS-web.md).
    """

    _balance: Balance | None = None
    _held: bytes | None = None
    _flush: Any = None

    def write(self, data: Any) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._flush.cancel()
            super().write(held + bytes(data))
            return
        if 0 < len(data) <= HOLD_UP_TO and not self._buffer and not self._conn_lost and not self._eof:
            self._held = bytes(data)
            self._flush = self._loop.call_soon(self._write_held)
            return
        super().write(data)

    def _write_held(self) -> None:
        held, self._held = self._held, None
        if held:
            super().write(held)

    def _flush_now(self) -> None:
        if self._held is not None:
            self._flush.cancel()
            self._write_held()

    def close(self) -> None:
        self._flush_now()
        super().close()

    def write_eof(self) -> None:
        self._flush_now()
        super().write_eof()

    def abort(self) -> None:
        if self._held is not None:  # dropped, as abort drops whatever is buffered
            self._flush.cancel()
            self._held = None
        super().abort()

    def get_write_buffer_size(self) -> int:
        return int(super().get_write_buffer_size()) + len(self._held or b"")

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            super()._call_connection_lost(exc)
        finally:
            if self._balance is not None:
                self._balance.changed(-1)
                self._balance = None


class ServingLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop, with TCP_NODELAY always, one accept per wake-up, an
    answer's head and body sent together and, when ``HUIQI_SERVE_BALANCE`` names a
    counts file, open connections counted for :meth:`shed_one`."""

    def __init__(self, selector: Any = None, balance: Balance | None = None) -> None:
        super().__init__(selector)
        self._balance_path = None if balance is not None else os.environ.get(BALANCE_ENV) or None
        self._balance = balance  # else claimed when it starts serving: only serving loops count
        self._last_shed = 0.0
        self._uncounted: set[socket.socket] = set()  # accepted, counted, no transport yet

    def _start_serving(self, *args: Any, **kwargs: Any) -> None:
        # Claim a slot as soon as the worker listens, so that a worker that has not yet
        # taken a connection already counts as holding none.
        if self._balance is None and self._balance_path is not None:
            try:
                self._balance = Balance(self._balance_path)
            except OSError:
                self._balance_path = None  # no counts file: serve without balancing
        super()._start_serving(*args, **kwargs)  # type: ignore[misc]

    def _accept_connection(
        self,
        protocol_factory: Any,
        sock: socket.socket,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *args, **kwargs)  # type: ignore[misc]

    def shed_one(self) -> bool:
        """Whether the answer being sent should close its connection (``Connection: close``),
        so that the client reconnects, most likely to a worker holding fewer connections:
        when this worker holds two or more above the fewest, at most once per ``SHED_EVERY``."""
        balance = self._balance
        if balance is None or balance.count < 2:
            return False
        now = time.monotonic()
        if now - self._last_shed < SHED_EVERY or balance.excess() < 2:
            return False
        self._last_shed = now
        return True

    def _accept_connection2(self, protocol_factory: Any, conn: socket.socket, *args: Any, **kwargs: Any) -> Any:
        """Count a connection as soon as it is accepted (the others look at the counts
        before its transport exists); uncount it when no transport comes of it."""
        accepted = super()._accept_connection2(protocol_factory, conn, *args, **kwargs)  # type: ignore[misc]
        balance = self._balance
        if balance is None:
            return accepted
        balance.changed(+1)

        async def counted() -> None:
            try:
                await accepted
            finally:
                if conn in self._uncounted:  # no transport: nothing else counts it down
                    self._uncounted.discard(conn)
                    balance.changed(-1)

        self._uncounted.add(conn)
        return counted()

    def _make_socket_transport(self, sock: socket.socket, protocol: Any, waiter: Any = None, **kwargs: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if kwargs.get("server") is None:
            return super()._make_socket_transport(sock, protocol, waiter, **kwargs)  # type: ignore[misc]
        transport = _ServedTransport(self, sock, protocol, waiter, kwargs.get("extra"), kwargs["server"])
        if sock in self._uncounted:  # counted at the accept; the transport counts it down
            self._uncounted.discard(sock)
            transport._balance = self._balance
        return transport


def event_loop() -> asyncio.AbstractEventLoop:
    """A new loop for uvicorn (its ``loop`` setting takes a loop factory by import path)."""
    if sys.platform == "win32":  # no selector loop with subprocesses there; uvicorn's own choice
        return asyncio.ProactorEventLoop()
    return ServingLoop()
