"""Which of a wheel's own dependencies ships a library the wheel links but does not carry
(torchvision's libc10.so is torch's, in torch/lib), when no lock says so: through the
wheel's Requires-Dist for the target, transitively, each dependency's wheel chosen as
``lock`` would choose it and its file list read from the zip's central directory (HTTP
range requests, no whole download). With --offline, only what the cache holds."""

from __future__ import annotations

import json
import logging
import posixpath
import zipfile
from collections import deque
from collections.abc import Iterable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..cache import cache_dir, read_entry, write_entry
from ..errors import UserError
from ..index.download import cached_path, fetch_file
from ..index.http import HttpClient
from ..index.indexes import Index
from ..index.rangezip import member_names
from ..index.simple import IndexFile
from ..inspect.classify import Provider, installed_path
from ..progress import Progress
from ..target.environment import marker_environment, requirement_applies
from ..target.target import Target
from ..wheelfile import ZIP_ERRORS
from .locker import Locker, LockRequest

log = logging.getLogger(__name__)

# Enough for torch's dependency tree (about 25 packages); a bound for pathological ones.
MAX_DEPENDENCIES = 64


def dependency_libraries(
    client: HttpClient,
    index: Index,
    target: Target,
    requires_dist: Iterable[Requirement],
    wanted: Iterable[str],
    progress: Progress | None = None,
) -> dict[str, Provider]:
    """soname -> the dependency that ships it and its folder, for the ``wanted`` ones
    found; a dependency that cannot be looked at (no wheel for the target, not cached
    offline) is passed over, so what stays unknown is reported as unknown."""
    env = marker_environment(target)
    missing = set(wanted)
    progress = progress or Progress.silent()
    locker = Locker(client, index, progress)
    metadata = locker.metadata  # one source: its in-memory hints are shared too
    queue = deque(r for r in requires_dist if requirement_applies(r, env, frozenset()))
    seen: set[str] = set()
    found: dict[str, Provider] = {}
    while queue and missing and len(seen) < MAX_DEPENDENCIES:
        requirement = queue.popleft()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        progress(f"looking for {', '.join(sorted(missing))} in {name}")
        # Its marker held where it was found (with the dependent's extras, as for
        # cuda-toolkit[cublas]'s `nvidia-cublas; extra == "cublas"`); without them it
        # would not hold again, and the package would not be pinned at all.
        unmarked = Requirement(str(requirement))
        unmarked.marker = None
        try:
            pins = locker.pins(LockRequest([unmarked], [target], no_deps=True), target)
            if len(pins) != 1:
                raise UserError(f"{name}: no single wheel for {target.key}")
            [pin] = pins
            members = _members(client, pin.file)
            extras = frozenset(canonicalize_name(e) for e in requirement.extras)
            queue.extend(
                r
                for r in metadata.get(pin.file).requires_dist
                if requirement_applies(r, env, extras, pin.file.filename)
            )
        except UserError as exc:
            log.debug("%s: passed over (%s)", name, exc)
            continue
        for member in members:
            path = installed_path(member)
            base = posixpath.basename(path)
            # A file named by its soname, or by a longer version of it (libfoo.so.1.2).
            hit = next((s for s in missing if base == s or base.startswith(s + ".")), None)
            if hit is not None:
                found[hit] = Provider(name, posixpath.dirname(path))
                missing.discard(hit)
    return found


def _members(client: HttpClient, file: IndexFile) -> list[str]:
    """A wheel's member names: from the cache, the downloaded wheel, or its zip directory
    over HTTP ranges (the whole file only where the server serves no ranges)."""
    entry = cache_dir("members") / f"{file.sha256}.txt" if file.sha256 else None
    kept = read_entry(entry) if entry is not None else None
    if kept is not None:
        listed = json.loads(kept)
        return [str(n) for n in listed] if isinstance(listed, list) else []
    local = cached_path(file.sha256, file.filename) if file.sha256 else None
    names = _local_names(local) if local is not None and local.is_file() else None
    if names is None and not client.offline:
        names = member_names(client, file.url)
    if names is None:
        path, _ = fetch_file(client, file)
        names = _local_names(path)
    if names is None:
        raise UserError(f"{file.filename}: not a readable zip file")
    if entry is not None:
        write_entry(entry, json.dumps(names).encode())
    return names


def _local_names(path: object) -> list[str] | None:
    try:
        with zipfile.ZipFile(str(path)) as zf:
            return zf.namelist()
    except (*ZIP_ERRORS, OSError):
        return None
