"""What one ELF file says about its run-time needs: the dynamic section, the version
sections, FDO dlopen notes and library names in read-only data, never symbol tables
(iterating those is the cost of ``auditwheel show``, and a Nix build needs none of it).

Files are read by the fast reader (elftables.py) from bytes or an mmap; the layouts it
leaves alone go to pyelftools (elfpyelftools.py). Damage, whoever finds it, is one
UserError naming the file.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from elftools.common.exceptions import ELFError

from ..errors import UserError, reason
from . import elftables
from .elffacts import (
    MAGIC,
    ElfFacts,
    VersionNeed,
    as_dict,
    from_dict,
)

__all__ = [
    "MAGIC",
    "ElfFacts",
    "VersionNeed",
    "as_dict",
    "damaged",
    "defined_versions",
    "from_dict",
    "read_elf",
    "read_elf_data",
]


def read_elf(stream: IO[bytes], path: str) -> ElfFacts:
    """Facts of the ELF file in ``stream`` (a file, mapped rather than read, or any
    seekable stream). A damaged ELF is a UserError."""
    with _buffer(stream) as buffer:
        return _read(buffer, stream, path)


def read_elf_data(data: bytes, path: str) -> ElfFacts:
    """Facts of an ELF file held in memory (a wheel member)."""
    return _read(data, None, path)


def _read(buffer: Any, stream: IO[bytes] | None, path: str) -> ElfFacts:
    try:
        try:
            return elftables.read(buffer, path)
        except elftables.Unsupported:
            from . import elfpyelftools  # 45 ms of imports, for the rare file that needs it

            source: Any = stream if stream is not None else _Stream(buffer)
            source.seek(0)
            return elfpyelftools.read(source, buffer, path)
    except Exception as exc:
        if damaged(exc):
            raise UserError(
                f"{path}: damaged ELF file ({reason(exc, 120)}); the wheel is corrupt"
            ) from exc
        raise


def defined_versions(stream: IO[bytes]) -> frozenset[str]:
    """The symbol versions the library in ``stream`` defines; none for a damaged one."""
    try:
        with _buffer(stream) as buffer:
            try:
                return elftables.definitions(buffer)
            except elftables.Unsupported:
                from . import elfpyelftools

                stream.seek(0)
                return elfpyelftools.definitions(stream, len(buffer))
    except Exception as exc:
        if damaged(exc):
            return frozenset()
        raise


@contextmanager
def _buffer(stream: IO[bytes]) -> Iterator[Any]:
    """The stream's bytes without reading them all: a file is mapped (only the pages
    touched are read), anything else is read whole."""
    try:
        fileno = stream.fileno()
        size = os.fstat(fileno).st_size
    except (AttributeError, OSError, ValueError):
        fileno, size = -1, 0
    if fileno < 0 or size == 0:
        stream.seek(0)
        yield stream.read()
        return
    mapped = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
    try:
        yield mapped
    finally:
        mapped.close()


class _Stream:
    """A read-only seekable stream over bytes or an mmap, for pyelftools."""

    def __init__(self, buffer: Any) -> None:
        self.buffer, self.position = buffer, 0

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: len(self.buffer)}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, size: int = -1) -> bytes:
        end = len(self.buffer) if size < 0 else self.position + size
        data = bytes(self.buffer[self.position : end])
        self.position += len(data)
        return data


# What a reader raises on damaged or crafted data: pyelftools' own errors, construct's
# on truncated data, and the plain errors of the values read (an offset past the end, a
# count that overflows, a string table index out of range).
_DAMAGE = (
    ELFError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    AssertionError,
    struct.error,
    RecursionError,
    EOFError,
)


def damaged(exc: BaseException) -> bool:
    """Whether ``exc`` says the data is damaged, not that our code is wrong."""
    if isinstance(exc, _DAMAGE) or type(exc).__module__.startswith(("elftools", "construct")):
        return True
    # Older pyelftools (0.30) trips over crafted tables with TypeError and AttributeError
    # (a missing string table read as None); only those raised inside it count.
    return isinstance(exc, (TypeError, AttributeError)) and _raised_in_elftools(exc)


def _raised_in_elftools(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and f"{os.sep}elftools{os.sep}" in tb.tb_frame.f_code.co_filename
