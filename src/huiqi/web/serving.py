"""The event loop ``huiqi serve`` runs uvicorn on (``loop="huiqi.web.serving:event_loop"``).

The standard library's selector loop, with two changes that the load benchmark
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

uvloop (uvicorn's default when installed) sets TCP_NODELAY itself, but it sends the
answers a loop iteration produced together at the end of that iteration; a request whose
bytes arrive just after the poll then waits for the whole next batch as well, and
about one request in 50 took twice the median (p99 ≈ 2 × p50 with a handler that
only spins 0.8 ms).  This loop writes each answer as soon as it is made.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

__all__ = ["ServingLoop", "event_loop"]


class ServingLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop, with TCP_NODELAY always and one accept per wake-up."""

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

    def _make_socket_transport(
        self, sock: socket.socket, protocol: Any, waiter: Any = None, **kwargs: Any
    ) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super()._make_socket_transport(sock, protocol, waiter, **kwargs)  # type: ignore[misc]


def event_loop() -> asyncio.AbstractEventLoop:
    """A new loop for uvicorn (its ``loop`` setting takes a loop factory by import path)."""
    if sys.platform == "win32":  # no selector loop with subprocesses there; uvicorn's own choice
        return asyncio.ProactorEventLoop()
    return ServingLoop()
