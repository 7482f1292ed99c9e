"""Ends a body read that stalls or runs past its deadline: a socket timeout is per
read, so a server that sends a byte a second would hold a request for ever."""

from __future__ import annotations

import socket
import threading
import time

import requests

# A body read must make this much progress within each read-timeout period.
STALL_BYTES = 16 << 10


class Watchdog:
    """Ends a body read that stalls or runs past its deadline, by shutting the
    connection's socket down from another thread (a blocked recv then returns)."""

    def __init__(self, response: requests.Response, period: float, deadline: float | None):
        self.start = time.monotonic()
        self.period, self.deadline = period, deadline
        self.mark, self.since_mark = self.start, 0
        self.why: str | None = None
        self._done = threading.Event()
        self._sock = _socket_of(response)
        if self._sock is not None:
            threading.Thread(target=self._watch, daemon=True, name="http-watchdog").start()

    def progress(self, n: int) -> None:
        self.since_mark += n
        if self.since_mark >= STALL_BYTES:
            self.mark, self.since_mark = time.monotonic(), 0

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self.period / 4)):
            now = time.monotonic()
            if self.deadline is not None and now - self.start > self.deadline:
                self.why = f"no complete answer within {self.deadline:.0f} s"
            elif now - self.mark > self.period:
                self.why = f"less than {STALL_BYTES >> 10} KiB in {self.period:.0f} s (stalled)"
            if self.why:
                try:
                    assert self._sock is not None
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket the body is read from. An HTTP/1.0 answer (or one that says
    `Connection: close`) leaves the connection without it: http.client then reads from
    a file made from the socket, which still holds it."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    reader = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None
