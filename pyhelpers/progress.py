"""What a long command is doing, on stderr.

On a terminal: one live line per download (bytes, rate, time left) and an overall
``[n/N]`` line, drawn by tqdm. Elsewhere (CI logs, pipes): one plain line per finished
item and nothing else, so logs stay short and never hold escape codes. ``--quiet`` and
``-v`` (whose log lines would tear live lines) turn the live lines off.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from .errors import printable

# tqdm costs about 60 ms to import: only a terminal pays for it, and only once a long
# step starts.


class Progress:
    def __init__(self, stream: TextIO, *, enabled: bool, live: bool | None = None) -> None:
        self.stream = stream
        self.enabled = enabled
        self.live = enabled and (stream.isatty() if live is None else live)
        self._lock = threading.Lock()
        self._overall: Any = None
        self._status: Any = None
        self._count = 0
        self._total = 0

    @classmethod
    def silent(cls) -> Progress:
        return cls(io.StringIO(), enabled=False)

    def __call__(self, message: str) -> None:
        """What is happening now (resolving a project, reading a lock): a live status
        line on a terminal, nothing elsewhere."""
        if not self.live:
            return
        with self._lock:
            if self._status is None:
                self._status = self._bar(bar_format="{desc}", position=None)
            self._status.set_description_str(message[:100], refresh=True)

    def start(self, total: int, what: str) -> None:
        """An overall count of ``total`` items (wheels, files) begins."""
        with self._lock:
            self._count, self._total = 0, total
            if self.live and total:
                self._close_overall()
                self._overall = self._bar(
                    total=total,
                    desc=what,
                    bar_format="[{n_fmt}/{total_fmt}] {desc} {elapsed}<{remaining}",
                )

    def step(self, line: str | None = None) -> None:
        """One item finished; off a terminal, ``line`` is printed with its count."""
        with self._lock:
            self._count += 1
            if self._overall is not None:
                self._overall.update(1)
            elif self.enabled and line is not None:
                width = len(str(self._total))
                count = f"[{self._count:>{width}}/{self._total}] " if self._total else ""
                self.stream.write(f"{count}{printable(line)}\n")
                self.stream.flush()

    def note(self, line: str) -> None:
        """A line that must be seen (a retry), above the live lines when there are any."""
        line = printable(line)
        with self._lock:
            if self.live and (self._overall is not None or self._status is not None):
                from tqdm import tqdm

                tqdm.write(line, file=self.stream)
            else:
                self.stream.write(line + "\n")
                self.stream.flush()

    @contextmanager
    def transfer(self, name: str, size: int | None) -> Iterator[ByteMeter]:
        """A download of ``size`` bytes (None: unknown): a live line while it runs."""
        bar = None
        if self.live:
            with self._lock:
                bar = self._bar(
                    total=size,
                    desc=_short(name),
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    miniters=1,
                )
        meter = ByteMeter(bar)
        try:
            yield meter
        finally:
            if bar is not None:
                with self._lock:
                    bar.close()

    def done(self) -> None:
        """Clear the live lines before the command's own output."""
        with self._lock:
            self._close_overall()
            if self._status is not None:
                self._status.close()
                self._status = None

    def _close_overall(self) -> None:
        if self._overall is not None:
            self._overall.close()
            self._overall = None

    def _bar(self, **options: Any) -> Any:
        from tqdm import tqdm

        settings = {"dynamic_ncols": True, "leave": False, "mininterval": 0.1, **options}
        return tqdm(file=self.stream, **settings)


class ByteMeter:
    """Counts the bytes of one transfer into its live line; the rate and the time left
    come from tqdm. Without a terminal it counts nothing."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


def size_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
