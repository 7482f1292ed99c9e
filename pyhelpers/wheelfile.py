"""A wheel as a file, before any of its ELF is read: its name, its sha256, and what
zipfile raises for a damaged archive. The index stage (downloads, metadata read by
range requests) and the inspect stage both need these, and neither should import the
other for them."""

from __future__ import annotations

import hashlib
import lzma
import zipfile
import zlib
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .errors import UserError, printable, reason


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
