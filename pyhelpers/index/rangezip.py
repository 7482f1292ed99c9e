"""Read one member of a remote zip (a wheel's METADATA) with HTTP Range requests.

A wheel's central directory sits at its end; zipfile needs that, then the member's few
kilobytes. For a 500 MB wheel that is three small requests instead of the whole file.
"""

from __future__ import annotations

import io
import zipfile

from ..wheelfile import ZIP_ERRORS
from .http import Fetched, HttpClient
from .urls import redact

BLOCK = 64 << 10


class RangesUnsupported(Exception):
    """The server answered a Range request with the whole file (or not at all)."""


class RemoteFile(io.RawIOBase):
    """A read-only, seekable view of a URL: its tail from the first request, the rest
    in cached blocks."""

    def __init__(self, client: HttpClient, url: str) -> None:
        self.client, self.url = client, url
        self.blocks: dict[int, bytes] = {}
        self.pos = 0
        fetched = self._range(f"bytes=-{2 * BLOCK}")
        content_range = fetched.headers.get("Content-Range", "")
        total = content_range.rsplit("/", 1)[-1]
        if fetched.status != 206 or not total.isdigit():
            raise RangesUnsupported(self.url)
        self.size = int(total)
        # The central directory is usually inside this tail: no second request for it.
        self.tail = fetched.content
        self.tail_start = self.size - len(self.tail)

    def _range(self, spec: str) -> Fetched:
        # A server that ignores Range sends the whole file: it is not read at all.
        response = self.client.get(self.url, headers={"Range": spec}, stream=True)
        try:
            if response.status_code != 206:
                raise RangesUnsupported(self.url)
            what = f"a range of {redact(self.url)}"
            content = b"".join(
                self.client.body(
                    response, limit=4 * BLOCK, what=what, deadline=self.client.deadline
                )
            )
        finally:
            response.close()
        return Fetched(response.status_code, self.url, response.headers, content)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def _chunk(self, pos: int, n: int) -> bytes:
        if pos >= self.tail_start:
            return self.tail[pos - self.tail_start : pos - self.tail_start + n]
        offset = pos - pos % BLOCK
        if offset not in self.blocks:
            end = min(offset + BLOCK, self.size) - 1
            fetched = self._range(f"bytes={offset}-{end}")
            if fetched.status != 206:
                raise RangesUnsupported(self.url)
            self.blocks[offset] = fetched.content
        block = self.blocks[offset]
        # Never read past the tail's start from a block: the tail answers from there.
        limit = min(n, self.tail_start - pos)
        return block[pos - offset : pos - offset + limit]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer)
        n = 0
        while n < len(out) and self.pos < self.size:
            chunk = self._chunk(self.pos, len(out) - n)
            if not chunk:
                break
            out[n : n + len(chunk)] = chunk
            n += len(chunk)
            self.pos += len(chunk)
        return n


def read_member(client: HttpClient, url: str, suffix: str) -> bytes | None:
    """The one top-level ``*<suffix>`` member (e.g. ``.dist-info/METADATA``), or None
    when the server cannot serve ranges or the zip does not have exactly one."""
    try:
        remote = io.BufferedReader(RemoteFile(client, url), buffer_size=BLOCK)
        with zipfile.ZipFile(remote) as zf:
            names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(suffix)]
            return zf.read(names[0]) if len(names) == 1 else None
    except (RangesUnsupported, ValueError, OSError, *ZIP_ERRORS):
        return None


def member_names(client: HttpClient, url: str) -> list[str] | None:
    """Every member name of a remote wheel, from its central directory alone; None when
    the server cannot serve ranges or the file is no readable zip."""
    try:
        remote = io.BufferedReader(RemoteFile(client, url), buffer_size=BLOCK)
        with zipfile.ZipFile(remote) as zf:
            return zf.namelist()
    except (RangesUnsupported, ValueError, OSError, *ZIP_ERRORS):
        return None
