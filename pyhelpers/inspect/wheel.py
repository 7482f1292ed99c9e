"""Read every ELF member of a wheel, each inflated exactly once, in bounded memory."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import UserError
from ..wheelfile import ZIP_ERRORS, check_wheel_filename, file_sha256, zip_reason
from . import inflate, parallel
from .elf import MAGIC, ElfFacts, as_dict, from_dict, read_elf, read_elf_data
from .pyloads import MAX_SOURCE, PyLoad, scan_source

# Members up to this size are inflated in memory; larger ones spill to a temporary file.
SPOOL_BYTES = 32 << 20
# Threads that inflate and parse members of one wheel at once.
MAX_THREADS = 4
# Members up to this size are checked for ELF magic in groups of BATCH_COUNT per task.
BATCH_BYTES = 64 << 10
BATCH_COUNT = 64
# What members held in memory may take at once, over every wheel being scanned (a lock
# scans several at a time): compressed and inflated bytes together.
IN_MEMORY = parallel.ByteBudget(128 << 20)
# A wheel that claims to inflate to more than this is refused (zip bombs).
MAX_INFLATED = 16 << 30
SCAN_VERSION = 3  # bump when ElfFacts changes, to invalidate cached scans


@dataclass(frozen=True)
class WheelScan:
    """Everything ``inspect`` reads from a wheel file; independent of any target."""

    filename: str
    sha256: str
    members: tuple[str, ...]
    elves: tuple[ElfFacts, ...]
    # Libraries its Python code loads by name at run time (ctypes, cffi, ldconfig).
    py_loads: tuple[PyLoad, ...] = ()


def scan_wheel(path: Path, filename: str | None = None, sha256: str | None = None) -> WheelScan:
    name = filename or path.name
    check_wheel_filename(name)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_INFLATED:
                raise UserError(
                    f"{name}: inflates to more than {MAX_INFLATED >> 30} GiB; refusing it"
                )
            elves, found = _scan_members(path, zf, infos)
    except ZIP_ERRORS as exc:
        raise UserError(
            f"{name}: not a readable zip file ({zip_reason(exc)}); the wheel is corrupt"
        ) from exc
    except OSError as exc:
        raise UserError(f"{name}: cannot read ({exc}); the wheel is corrupt or truncated") from exc
    return WheelScan(
        filename=name,
        sha256=sha256 or file_sha256(path),
        members=tuple(sorted(i.filename for i in infos)),
        elves=tuple(sorted(elves, key=lambda e: e.path)),
        py_loads=tuple(sorted(found, key=lambda load: (load.path, load.line, load.how))),
    )


def is_source(name: str) -> bool:
    """A ``.py`` member read for runtime loads (not the metadata's)."""
    return name.endswith(".py") and ".dist-info/" not in name


# What one batch of members gives: its ELF files' facts and its sources' runtime loads.
Found = tuple[list[ElfFacts], list[PyLoad]]


def _scan_members(path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Found:
    """Each ELF member (by magic, not by name) and each ``.py`` member, inflated once,
    on every core: the inflater releases the GIL, so one thread inflates while another
    parses."""
    engine = inflate.inflater()
    direct = [info for info in infos if inflate.direct(info) and info.file_size >= len(MAGIC)]
    elves = [_read_via_zipfile(zf, info) for info in infos if _other_elf(zf, info)]
    loads = [
        load
        for info in infos
        if not inflate.direct(info) and is_source(info.filename)
        for load in scan_source(zf.read(info), info.filename)
    ]
    batches = _batches(direct)
    workers = min(len(batches), os.cpu_count() or 1, MAX_THREADS)
    if workers <= 1:
        with path.open("rb") as handle:
            more, found = _read_batch(handle, direct, engine)
            return elves + more, loads + found
    local = threading.local()

    def read(batch: list[zipfile.ZipInfo]) -> Found:
        if not hasattr(local, "handle"):
            local.handle = path.open("rb")
            handles.append(local.handle)
        return _read_batch(local.handle, batch, engine)

    handles: list[IO[bytes]] = []
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for more, found in pool.map(read, batches):
                elves += more
                loads += found
            return elves, loads
    finally:
        for opened in handles:
            opened.close()


def _batches(infos: list[zipfile.ZipInfo]) -> list[list[zipfile.ZipInfo]]:
    """Largest first, so the longest member does not start last; small members in
    groups, so a wheel of thousands of data files does not cost a task each."""
    order = sorted(infos, key=lambda i: -i.file_size)
    large = [[info] for info in order if info.file_size > BATCH_BYTES]
    small = [info for info in order if info.file_size <= BATCH_BYTES]
    return large + [small[i : i + BATCH_COUNT] for i in range(0, len(small), BATCH_COUNT)]


def _read_batch(handle: IO[bytes], infos: list[zipfile.ZipInfo], engine: inflate.Inflater) -> Found:
    elves: list[ElfFacts] = []
    loads: list[PyLoad] = []
    for info in infos:
        if is_source(info.filename) and info.file_size <= MAX_SOURCE:
            data = inflate.whole(handle, info, engine)
            if data[: len(MAGIC)] == MAGIC:  # named .py, but an ELF file all the same
                with IN_MEMORY.hold(len(data)):
                    elves.append(read_elf_data(data, info.filename))
            else:
                loads += scan_source(data, info.filename)
        elif inflate.head(handle, info, len(MAGIC), engine) == MAGIC:
            elves.append(_read_member(handle, info, engine))
    return elves, loads


def _other_elf(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if inflate.direct(info) or info.file_size < len(MAGIC):
        return False
    with zf.open(info) as member:
        return member.read(len(MAGIC)) == MAGIC


def _read_member(handle: IO[bytes], info: zipfile.ZipInfo, engine: inflate.Inflater) -> ElfFacts:
    # pyelftools seeks back and forth: the member is inflated once, into memory when
    # small, else into a temporary file, so memory stays bounded.
    if info.file_size <= SPOOL_BYTES:
        with IN_MEMORY.hold(info.file_size + info.compress_size):
            return read_elf_data(inflate.whole(handle, info, engine), info.filename)
    with tempfile.TemporaryFile() as spill:
        for piece in inflate.chunks(handle, info, engine):
            spill.write(piece)
        spill.seek(0)
        return read_elf(spill, info.filename)


def _read_via_zipfile(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> ElfFacts:
    """bzip2 and LZMA members, which no wheel tool writes but the zip format allows."""
    with zf.open(info) as member, tempfile.TemporaryFile() as spill:
        shutil.copyfileobj(member, spill, 1 << 20)
        spill.seek(0)
        return read_elf(spill, info.filename)


def scan_as_dict(scan: WheelScan) -> dict[str, Any]:
    return {
        "scan_version": SCAN_VERSION,
        "filename": scan.filename,
        "sha256": scan.sha256,
        "members": list(scan.members),
        "elves": [as_dict(e) for e in scan.elves],
        "py_loads": [
            {"names": list(p.names), "how": p.how, "path": p.path, "line": p.line}
            for p in scan.py_loads
        ],
    }


def scan_from_dict(data: dict[str, Any]) -> WheelScan | None:
    if data.get("scan_version") != SCAN_VERSION:
        return None
    return WheelScan(
        filename=data["filename"],
        sha256=data["sha256"],
        members=tuple(data["members"]),
        elves=tuple(from_dict(e) for e in data["elves"]),
        py_loads=tuple(
            PyLoad(tuple(p["names"]), p["how"], p["path"], p["line"]) for p in data["py_loads"]
        ),
    )
