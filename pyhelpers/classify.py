"""Classify every needed soname of a wheel, in the order autoPatchelfHook searches:
inside the wheel, glibc, GPU driver, another wheel (sibling), nixpkgs, unknown.

Pure functions over a ``WheelScan``; the result is the ``inspect --json`` document.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import parse_wheel_filename

from . import policy
from .elf import ElfFacts
from .errors import UserError
from .sonames import SonameMap, soname_map
from .wheel import WheelScan

_DATA_DIR = re.compile(r"^[^/]+\.data/(purelib|platlib)/")
_ORIGIN = re.compile(r"\$(ORIGIN|\{ORIGIN\})")


@dataclass(frozen=True)
class Provider:
    """A library another wheel of the same target ships."""

    distribution: str
    directory: str  # where it lies, relative to site-packages


@dataclass
class _External:
    kind: str
    wanted_by: set[str] = field(default_factory=set)
    nix: tuple[str, ...] = ()
    provided_by: str | None = None
    search_path: str | None = None


def installed_path(member: str) -> str:
    """Where a wheel member lands relative to site-packages."""
    return _DATA_DIR.sub("", member)


def wheel_arches(filename: str) -> set[str]:
    """Architectures the file name claims (empty for pure wheels)."""
    arches = set()
    for tag in parse_wheel_filename(filename)[3]:
        m = re.match(
            r"^(?:manylinux|musllinux)\w*?_\d+_\d+_(.+)$|^manylinux\d+_(.+)$|^linux_(.+)$",
            tag.platform,
        )
        if m:
            arches.add(next(g for g in m.groups() if g))
    return arches


def providers_of(scan: WheelScan, distribution: str) -> dict[str, Provider]:
    """The libraries ``scan``'s wheel offers to others, by file name and by soname."""
    offered: dict[str, Provider] = {}
    for elf in scan.elves:
        path = installed_path(elf.path)
        provider = Provider(distribution, posixpath.dirname(path))
        offered.setdefault(posixpath.basename(path), provider)
        if elf.soname:
            offered.setdefault(elf.soname, provider)
    return offered


def _expand(entry: str, origin: str) -> str | None:
    if not _ORIGIN.search(entry):
        return None  # an absolute build-machine path: meaningless once installed
    return posixpath.normpath(_ORIGIN.sub(origin or ".", entry))


def classify(
    scan: WheelScan,
    *,
    siblings: Mapping[str, Provider] | None = None,
    sonames: SonameMap | None = None,
) -> dict[str, Any]:
    """The inspection report of one wheel. ``siblings`` are libraries other wheels of
    the same target provide (from a lock); without them, siblings are found through
    RPATHs that leave the wheel."""
    smap = sonames or soname_map()
    siblings = siblings or {}
    installed = {installed_path(m) for m in scan.members}
    basenames = {posixpath.basename(p) for p in installed}
    own_sonames = {e.soname for e in scan.elves if e.soname}
    wheel_dirs = {posixpath.dirname(p) for p in installed}
    top_levels = {p.split("/", 1)[0] for p in installed}
    _check_arch(scan)

    vendored: set[str] = set()
    libc: set[str] = set()
    external: dict[str, _External] = {}
    for elf in scan.elves:
        path = installed_path(elf.path)
        origin = posixpath.dirname(path)
        for needed in elf.needed:
            kind = _in_wheel(elf, needed, origin, installed, basenames, own_sonames)
            if kind:
                vendored.add(needed)
                continue
            if needed in smap.glibc or needed in smap.musl or needed.startswith("libc.musl-"):
                libc.add(needed)
                continue
            ext = external.get(needed) or _external(
                needed, elf, origin, smap, siblings, wheel_dirs, top_levels
            )
            ext.wanted_by.add(path)
            external[needed] = ext

    version_needs = [
        (need.library, version, installed_path(elf.path))
        for elf in scan.elves
        for need in elf.version_needs
        if need.library not in vendored
        for version in need.versions
    ]
    report: dict[str, Any] = {
        "wheel": scan.filename,
        "sha256": scan.sha256,
        "elf_files": len(scan.elves),
        "external": [_external_entry(name, ext) for name, ext in sorted(external.items())],
        "vendored": sorted(vendored),
        "glibc": sorted(libc),
        "dlopen_hints": _dlopen_hints(scan, smap, basenames | own_sonames),
        "symbol_versions": policy.highest_versions(v for _, v, _ in version_needs),
        "policy": _policy(scan.filename, [*external, *libc], version_needs),
        "provides": sorted({installed_path(e.path) for e in scan.elves if _is_library(e)}),
        "modules": top_level_modules(installed),
    }
    return report


def top_level_modules(installed: set[str]) -> list[str]:
    """Importable top-level names (for an import check): packages and modules at the
    root of site-packages, not metadata, vendored-library or data folders."""
    names = set()
    for path in installed:
        head, sep, _rest = path.partition("/")
        if sep:
            if path == f"{head}/__init__.py" and head.isidentifier():
                names.add(head)
        elif head.endswith(".py"):
            names.add(head.removesuffix(".py"))
        elif ".cpython-" in head or head.endswith(".abi3.so"):
            names.add(head.split(".", 1)[0])
    return sorted(n for n in names if n.isidentifier() and not n.startswith("_"))


def _is_library(elf: ElfFacts) -> bool:
    name = posixpath.basename(elf.path)
    return elf.soname is not None or ".so." in name or name.endswith(".so")


def _in_wheel(
    elf: ElfFacts,
    needed: str,
    origin: str,
    installed: set[str],
    basenames: set[str],
    own_sonames: set[str],
) -> bool:
    for entry in elf.search_path:
        expanded = _expand(entry, origin)
        if expanded is not None and posixpath.join(expanded, needed) in installed:
            return True
    # autoPatchelf scans the package's own output for the file name, whatever the RPATH.
    return needed in basenames or needed in own_sonames


def _external(
    needed: str,
    elf: ElfFacts,
    origin: str,
    smap: SonameMap,
    siblings: Mapping[str, Provider],
    wheel_dirs: set[str],
    top_levels: set[str],
) -> _External:
    if needed in smap.drivers:
        return _External("driver")
    if needed in siblings:
        provider = siblings[needed]
        return _External(
            "sibling", provided_by=provider.distribution, search_path=provider.directory
        )
    if needed in smap.libraries:
        return _External("library", nix=smap.libraries[needed])
    # Without a lock we do not know what another wheel ships, only where this ELF will
    # look: a relative RPATH that stays inside site-packages but leaves this wheel's
    # folders points into another distribution (torch -> nvidia/cudnn/lib).
    leaving = [
        expanded
        for expanded in (_expand(entry, origin) for entry in elf.search_path)
        if expanded is not None
        and not expanded.startswith("..")
        and expanded not in wheel_dirs
        and expanded.split("/", 1)[0] not in top_levels
    ]
    directory = _likeliest(needed, leaving)
    if directory is not None:
        return _External("sibling", search_path=directory)
    return _External("unknown")


def _likeliest(soname: str, directories: list[str]) -> str | None:
    """The RPATH folder that names the library (``nvidia/cudnn/lib`` for libcudnn.so.9):
    an RPATH alone does not say which folder holds which library."""
    stem = soname.removeprefix("lib").split(".so", 1)[0].lower()
    best: tuple[int, str] | None = None
    for directory in directories:
        for word in re.split(r"[/_.-]", directory.lower()):
            named = len(word) > 2 and word not in ("lib", "lib64") and word in stem
            if named and (best is None or len(word) > best[0]):
                best = (len(word), directory)
    return best[1] if best else None


def _external_entry(soname: str, ext: _External) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "soname": soname,
        "kind": ext.kind,
        "nix": ext.nix[0] if ext.nix else None,
        "wanted_by": sorted(ext.wanted_by),
    }
    if ext.kind == "library":
        entry["nix_candidates"] = list(ext.nix)
    if ext.kind == "sibling":
        entry["provided_by"] = ext.provided_by
        entry["search_path"] = ext.search_path
    return entry


def _dlopen_hints(scan: WheelScan, smap: SonameMap, in_wheel: set[str]) -> list[str]:
    needed = {n for e in scan.elves for n in e.needed}
    hints = {s for e in scan.elves for s in e.dlopen_strings}
    return sorted(h for h in hints - needed - in_wheel if h not in smap.glibc)


def _policy(
    filename: str, external: list[str], version_needs: list[tuple[str, str, str]]
) -> dict[str, Any]:
    platforms = [t.platform for t in parse_wheel_filename(filename)[3]]
    claim = policy.claimed_policy(platforms)
    if claim is None:
        return {"claimed": None, "holds": None, "violations": []}
    # auditwheel's musl whitelist names the libc "libc.so", as linked before rewriting.
    libs = ["libc.so" if s.startswith("libc.musl-") else s for s in external]
    violations = policy.check(claim, libs, version_needs)
    return {"claimed": f"{claim[0]}_{claim[1]}", "holds": not violations, "violations": violations}


def _check_arch(scan: WheelScan) -> None:
    claimed = wheel_arches(scan.filename)
    for elf in scan.elves:
        if claimed and elf.arch not in claimed:
            raise UserError(
                f"{scan.filename}: {elf.path} is built for {elf.arch} ({elf.bits}-bit), but the "
                f"wheel claims {', '.join(sorted(claimed))}; the wheel is broken"
            )
