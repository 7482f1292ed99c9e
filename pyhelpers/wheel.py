"""Read every ELF member of a wheel, each inflated exactly once, in bounded memory."""

from __future__ import annotations

import hashlib
import io
import lzma
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .elf import MAGIC, ElfFacts, as_dict, from_dict, read_elf
from .errors import UserError, printable, reason

# Members up to this size are inflated in memory; larger ones spill to a temporary file.
SPOOL_BYTES = 32 << 20
# A wheel that claims to inflate to more than this is refused (zip bombs).
MAX_INFLATED = 16 << 30
SCAN_VERSION = 2  # bump when ElfFacts changes, to invalidate cached scans


@dataclass(frozen=True)
class WheelScan:
    """Everything ``inspect`` reads from a wheel file; independent of any target."""

    filename: str
    sha256: str
    members: tuple[str, ...]
    elves: tuple[ElfFacts, ...]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_wheel_filename(filename: str) -> None:
    try:
        name = parse_wheel_filename(filename)[0]
    except InvalidWheelFilename as exc:
        raise UserError(
            f"{filename!r} is not a valid wheel file name ({printable(str(exc))})"
        ) from exc
    if not name:  # packaging before 26.3 accepts an empty distribution name
        raise UserError(f"{filename!r} is not a valid wheel file name (no distribution name)")


# What zipfile raises for a damaged archive or member, besides OSError.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,  # an unknown compression method
    zlib.error,
    lzma.LZMAError,
    RuntimeError,  # an encrypted member
)


def zip_reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "a member is encrypted"
    return reason(exc)


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
            elves = _scan_members(zf, infos)
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
    )


def _scan_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[ElfFacts]:
    """Each ELF member (by magic, not by name), inflated once. Measured: a second
    thread inflating while this one parses is slower here, not faster (GIL hand-offs)."""
    elves = []
    for info in infos:
        with zf.open(info) as member:
            head = member.read(4)
            if head != MAGIC:
                continue
            # pyelftools seeks backwards, which would restart inflation of a zip member
            # from its start each time: copy it out once, into memory when small.
            if info.file_size <= SPOOL_BYTES:
                elves.append(read_elf(io.BytesIO(head + member.read()), info.filename))
                continue
            with tempfile.TemporaryFile() as spill:
                spill.write(head)
                shutil.copyfileobj(member, spill, 1 << 20)
                spill.seek(0)
                elves.append(read_elf(spill, info.filename))
    return elves


def scan_as_dict(scan: WheelScan) -> dict[str, Any]:
    return {
        "scan_version": SCAN_VERSION,
        "filename": scan.filename,
        "sha256": scan.sha256,
        "members": list(scan.members),
        "elves": [as_dict(e) for e in scan.elves],
    }


def scan_from_dict(data: dict[str, Any]) -> WheelScan | None:
    if data.get("scan_version") != SCAN_VERSION:
        return None
    return WheelScan(
        filename=data["filename"],
        sha256=data["sha256"],
        members=tuple(data["members"]),
        elves=tuple(from_dict(e) for e in data["elves"]),
    )
