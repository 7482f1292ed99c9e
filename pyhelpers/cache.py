"""The on-disk cache under ``$XDG_CACHE_HOME/manylinux-nix`` and atomic file writes.

Entries are keyed by content hash and written with rename, so a killed run or two runs
sharing the cache never leave a partial entry behind. Entries that are not downloaded
files carry a checksum of their own: a damaged one (a disk error, a truncated copy, an
edit) is discarded and made again, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UserError

_MAGIC = b"manylinux-nix-cache 1 "


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "manylinux-nix"


def cache_dir(kind: str) -> Path:
    path = cache_root() / kind
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as exc:
        raise unusable(path, exc) from exc
    return path


def unusable(path: Path, exc: OSError) -> UserError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return UserError(
        f"cache folder {path} cannot be used ({reason}); point XDG_CACHE_HOME at a writable "
        "folder with free space, or delete that folder"
    )


def write_entry(path: Path, payload: bytes) -> None:
    """Write a cache entry with its checksum (atomically, as every cache write)."""
    digest = hashlib.sha256(payload).hexdigest().encode()
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)  # something else stood in its place
    try:
        write_bytes_atomic(path, _MAGIC + digest + b"\n" + payload)
    except OSError as exc:
        raise unusable(path.parent, exc) from exc


def read_entry(path: Path) -> bytes | None:
    """A cache entry's payload, or None when absent or damaged (then it is removed)."""
    try:
        if not path.is_file():
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    head, newline, payload = raw.partition(b"\n")
    good = (
        newline
        and head.startswith(_MAGIC)
        and head[len(_MAGIC) :] == hashlib.sha256(payload).hexdigest().encode()
    )
    if not good:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return payload


@contextlib.contextmanager
def atomic_output(path: Path, mode: str = "wb") -> Iterator[IO[bytes]]:
    """Write to a temporary file beside ``path`` and rename it into place on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    ``path`` keeps whatever it had before.
    """
    if _is_special(path):
        # A device or pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO): written into, as
        # a shell redirection does; renaming over it would replace /dev/null itself.
        with open(path, mode) as handle:
            yield handle
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """Keep the mode of the file being replaced; a new file gets the umask's (mkstemp uses 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)


# What each folder of the cache holds; `cache prune` drops the large, re-fetchable ones.
KINDS = {
    "files": "downloaded wheels, by sha256",
    "scans": "what inspect read from each wheel",
    "metadata": "core metadata of wheels",
    "pages": "Simple API pages (for --offline and revalidation)",
}
PRUNED_BY_DEFAULT = ("files", "pages")


def usage() -> dict[str, tuple[int, int]]:
    """Per cache folder: (entries, bytes)."""
    found = {}
    for kind in KINDS:
        count = size = 0
        for entry in _entries(cache_root() / kind):
            count += 1
            size += entry.stat().st_size
        found[kind] = (count, size)
    return found


def prune(kinds: tuple[str, ...], older_than_days: float) -> tuple[int, int]:
    """Remove entries of ``kinds`` not modified for ``older_than_days``; (count, bytes).
    Each is removed alone, so a run using the cache meanwhile loses at most a file it
    fetches again."""
    cutoff = time.time() - older_than_days * 86400
    count = size = 0
    for kind in kinds:
        for entry in _entries(cache_root() / kind):
            info = entry.stat()
            if info.st_mtime <= cutoff:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    count += 1
                    size += info.st_size
        _remove_empty_folders(cache_root() / kind)
    return count, size


def _entries(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


def _remove_empty_folders(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()
