"""Zip members read straight from the file and inflated with the fastest inflater
installed: ISA-L (``isal``), then zlib-ng (``zlib-ng``), then CPython's zlib.

On scipy's members ISA-L inflates in about 0.6x zlib's time and zlib-ng in 0.65x (see
bench/README.md); both are on PyPI and in nixpkgs, and both release the GIL while they
work, so members inflate in parallel threads. Neither is required: each gives the same
bytes, and ``MANYLINUX_NIX_INFLATER=zlib`` picks zlib when a faster one is installed.
"""

from __future__ import annotations

import importlib
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import IO, Any, Protocol

RAW = -15  # zip members are raw deflate streams, without zlib's header
CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


class Decompressor(Protocol):
    def decompress(self, data: bytes, max_length: int = 0) -> bytes: ...

    @property
    def eof(self) -> bool: ...


@dataclass(frozen=True)
class Inflater:
    name: str
    decompress: Callable[[bytes, int, int], bytes]  # (data, wbits, bufsize)
    decompressobj: Callable[[int], Decompressor]
    crc32: Callable[[bytes, int], int]
    error: type[Exception]


_MODULES = {"isal": "isal.isal_zlib", "zlib-ng": "zlib_ng.zlib_ng", "zlib": "zlib"}


@cache
def inflater(name: str | None = None) -> Inflater:
    """The inflater named (or by ``MANYLINUX_NIX_INFLATER``), else the fastest installed."""
    wanted = name or os.environ.get("MANYLINUX_NIX_INFLATER") or None
    for candidate in [wanted] if wanted else list(_MODULES):
        module = _load(candidate)
        if module is not None:
            return Inflater(
                candidate,
                module.decompress,
                module.decompressobj,
                module.crc32,
                module.error,
            )
    raise ValueError(f"MANYLINUX_NIX_INFLATER={wanted}: use one of {', '.join(_MODULES)}")


def _load(name: str) -> Any:
    if name not in _MODULES:
        return None
    try:
        return importlib.import_module(_MODULES[name])
    except ImportError:
        return None


def data_offset(handle: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where a member's compressed bytes start: past its local header, whose name and
    extra field may differ in length from the central directory's."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated local header of {info.filename!r}")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header of {info.filename!r}")
    return int(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)


def _check_supported(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise RuntimeError(f"File {info.filename!r} is encrypted")  # as zipfile says it


def direct(info: zipfile.ZipInfo) -> bool:
    """Whether this module reads the member itself (stored or deflated, as wheels are);
    zipfile reads the rest (bzip2, LZMA)."""
    return info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def head(handle: IO[bytes], info: zipfile.ZipInfo, size: int, engine: Inflater) -> bytes:
    """The first ``size`` bytes of the member, inflating no more than that needs."""
    _check_supported(info)
    handle.seek(data_offset(handle, info))
    if info.compress_type == zipfile.ZIP_STORED:
        return handle.read(min(size, info.compress_size))
    out = b""
    left = info.compress_size
    decompressor = engine.decompressobj(RAW)
    while len(out) < size and left > 0 and not decompressor.eof:
        raw = handle.read(min(4096, left))
        if not raw:
            break
        left -= len(raw)
        with _errors(engine):
            out += decompressor.decompress(raw, size - len(out))
    return out[:size]


def whole(handle: IO[bytes], info: zipfile.ZipInfo, engine: Inflater) -> bytes:
    """The whole member in memory, checked against its size and CRC-32."""
    _check_supported(info)
    handle.seek(data_offset(handle, info))
    raw = handle.read(info.compress_size)
    if len(raw) < info.compress_size:
        raise EOFError(f"{info.filename!r} is cut off")
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw
    else:
        with _errors(engine):
            data = engine.decompress(raw, RAW, max(info.file_size, 1))
    _verify(info, len(data), engine.crc32(data, 0))
    return data


def chunks(handle: IO[bytes], info: zipfile.ZipInfo, engine: Inflater) -> Iterator[bytes]:
    """The member in pieces of about a MiB, for members too large to hold in memory;
    checked against its size and CRC-32 at the end."""
    _check_supported(info)
    handle.seek(data_offset(handle, info))
    left, size, crc = info.compress_size, 0, 0
    decompressor = None if info.compress_type == zipfile.ZIP_STORED else engine.decompressobj(RAW)
    while left > 0:
        raw = handle.read(min(CHUNK, left))
        if not raw:
            raise EOFError(f"{info.filename!r} is cut off")
        left -= len(raw)
        pending = raw
        while pending:
            if decompressor is None:
                piece, pending = pending, b""
            else:
                with _errors(engine):
                    piece = decompressor.decompress(pending, CHUNK)
                pending = getattr(decompressor, "unconsumed_tail", b"")
            size += len(piece)
            if size > info.file_size:
                raise zipfile.BadZipFile(f"{info.filename!r} inflates past its stated size")
            crc = engine.crc32(piece, crc)
            yield piece
    _verify(info, size, crc)


def _verify(info: zipfile.ZipInfo, size: int, crc: int) -> None:
    if size != info.file_size:
        raise zipfile.BadZipFile(
            f"{info.filename!r} inflates to {size} bytes, not {info.file_size}"
        )
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


@contextmanager
def _errors(engine: Inflater) -> Iterator[None]:
    """An inflater's own error type becomes zlib's, which callers know."""
    try:
        yield
    except engine.error as exc:
        if isinstance(exc, zlib.error):
            raise
        raise zlib.error(str(exc)) from exc
