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

from . import plugins, policy
from . import siblings as siblings_table
from .arches import host_files
from .elf import ElfFacts
from .runtimeloads import runtime_loads
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
    alternatives: tuple[tuple[str, str], ...] = ()  # (distribution, folder) also shipping it
    reason: str | None = None  # why it is optional
    matched: str | None = None  # the soname a file name such as libgomp.so.1.0.0 maps as
    noted_only: bool = False  # wanted only through `.note.dlopen`


def installed_path(member: str) -> str:
    """Where a wheel member lands relative to site-packages."""
    return _DATA_DIR.sub("", member)


def providers_of(scan: WheelScan, distribution: str) -> dict[str, Provider]:
    """The libraries ``scan``'s wheel offers to others, by file name: what autoPatchelf
    and the loader find a DT_NEEDED entry by (never by SONAME)."""
    offered: dict[str, Provider] = {}
    for elf in scan.elves:
        path = installed_path(elf.path)
        offered.setdefault(
            posixpath.basename(path), Provider(distribution, posixpath.dirname(path))
        )
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
    dependencies: Mapping[str, Provider] | None = None,
) -> dict[str, Any]:
    """The inspection report of one wheel. ``siblings`` are libraries other wheels of
    the same target provide (from a lock); without them, siblings are found through
    RPATHs that leave the wheel. ``dependencies``: libraries found in the wheels of its
    own Requires-Dist (``dependency_libs``), for what nothing else names."""
    smap = sonames or soname_map()
    siblings = siblings or {}
    installed = {installed_path(m) for m in scan.members}
    basenames = {posixpath.basename(p) for p in installed}
    own_sonames = {e.soname for e in scan.elves if e.soname}
    wheel_dirs = {posixpath.dirname(p) for p in installed}
    scan, notes = host_files(scan)

    vendored: set[str] = set()
    libc: set[str] = set()
    linked: set[str] = set()  # DT_NEEDED, as opposed to `.note.dlopen` declarations
    wanting: dict[str, list[_User]] = {}
    for elf in scan.elves:
        path = installed_path(elf.path)
        origin = posixpath.dirname(path)
        needs = [(n, False) for n in elf.needed] + [(n, True) for n in elf.dlopen_notes]
        for needed, noted in needs:
            if _in_wheel(elf, needed, origin, installed, basenames):
                vendored.add(needed)
            elif smap.is_libc(needed):
                libc.add(needed)
            else:
                wanting.setdefault(needed, []).append(_User(elf, path, noted))
                if not noted:
                    linked.add(needed)
    loaded = plugins.on_demand(
        plugins.File(installed_path(e.path), e.soname, e.needed) for e in scan.elves
    )
    context = _Context(smap, siblings, wheel_dirs, loaded, dependencies or {})
    external = {needed: _external(needed, users, context) for needed, users in wanting.items()}

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
        "policy": _policy(scan.filename, [*linked, *(libc - _noted_only(scan))], version_needs),
        "driver_dlopen": _driver_dlopen(scan, smap),
        "provides": sorted({installed_path(e.path) for e in scan.elves if _is_library(e)}),
        "modules": top_level_modules(installed),
        "notes": notes,
        "runtime_loads": runtime_loads(
            scan.py_loads,
            smap,
            own=basenames,
            siblings=siblings,
            dependencies=dependencies or {},
        ),
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
) -> bool:
    for entry in elf.search_path:
        expanded = _expand(entry, origin)
        if expanded is not None and posixpath.join(expanded, needed) in installed:
            return True
    # autoPatchelf scans the package's own output for the file name, whatever the RPATH;
    # like the loader on disk, it never matches a SONAME (torchvision's libcudart.so.13
    # is not its libcudart.3eda8113.so.13, whose SONAME it is).
    return needed in basenames


@dataclass(frozen=True)
class _User:
    """A file of the wheel that wants a library."""

    elf: ElfFacts
    path: str  # relative to site-packages
    noted: bool  # only through a `.note.dlopen` declaration


@dataclass(frozen=True)
class _Context:
    """What classifying one library needs to know of the wheel and its surroundings."""

    smap: SonameMap
    siblings: Mapping[str, Provider]
    wheel_dirs: set[str]
    loaded: plugins.OnDemand
    dependencies: Mapping[str, Provider] = field(default_factory=dict)


def _external(needed: str, users: list[_User], context: _Context) -> _External:
    ext = _kind_of(needed, users, context)
    ext.wanted_by.update(u.path for u in users)
    ext.noted_only = all(u.noted for u in users)
    return ext


def _kind_of(needed: str, users: list[_User], context: _Context) -> _External:
    """Where a library comes from, in the order a build finds it: the GPU driver, a
    sibling wheel (the lock's, else one the wheel's RPATH points into), an optional
    plugin's need, a sibling the table of real wheels names, nixpkgs, or nowhere known."""
    smap, siblings, wheel_dirs = context.smap, context.siblings, context.wheel_dirs
    if smap.is_driver(needed):
        return _External("driver")
    if needed in siblings:
        provider = siblings[needed]
        return _External(
            "sibling", provided_by=provider.distribution, search_path=provider.directory
        )
    pointed = None if siblings else _sibling_without_lock(needed, users, wheel_dirs)
    if pointed is not None and pointed.search_path in _leaving(users, wheel_dirs):
        return pointed
    reasons = [plugins.optional_reason(context.loaded, u.path, needed) for u in users]
    mapped = smap.library_for(needed)
    if all(reasons):
        return _External(
            "optional",
            nix=mapped[1] if mapped else (),
            reason=str(reasons[0]),
            matched=mapped[0] if mapped and mapped[0] != needed else None,
        )
    if pointed is not None:
        return pointed
    if mapped is not None:
        return _External(
            "library", nix=mapped[1], matched=mapped[0] if mapped[0] != needed else None
        )
    if needed in context.dependencies:
        provider = context.dependencies[needed]
        return _External(
            "sibling", provided_by=provider.distribution, search_path=provider.directory
        )
    return _External("unknown")


def _leaving(users: list[_User], wheel_dirs: set[str]) -> list[str]:
    """The folders the wanting files' RPATHs point to outside the wheel."""
    return list(
        dict.fromkeys(
            expanded
            for u in users
            for expanded in (_expand(e, posixpath.dirname(u.path)) for e in u.elf.search_path)
            if expanded is not None and not expanded.startswith("..") and expanded not in wheel_dirs
        )
    )


def _sibling_without_lock(
    needed: str, users: list[_User], wheel_dirs: set[str]
) -> _External | None:
    """Without a lock, from the table of real wheels: the distribution whose folder the
    wanting files' RPATHs name (it wins over another wheel that ships the same file, which
    is listed too); when their RPATHs name other folders, none of the table's; when they
    name none, the table alone (CuPy finds CUDA's libraries without an RPATH), within
    the wanting file's own family if the table knows it (a PyQt6 library is not
    PySide6's). Else the RPATH folder outside the wheel that names the
    library (nvidia/cudnn/lib for libcudnn.so.9)."""
    leaving = _leaving(users, wheel_dirs)
    pointed = {
        expanded
        for u in users
        for expanded in (_expand(e, posixpath.dirname(u.path)) for e in u.elf.search_path)
        if expanded is not None and expanded != posixpath.dirname(u.path)
    }
    known = siblings_table.shipped_by(needed)
    # A file of a family the table knows takes siblings of its own family only: the
    # same soname in PySide6's folder is not a PyQt6 library.
    own = {u.path.split("/", 1)[0] for u in users} & siblings_table.families()
    known = [k for k in known if k.folder.split("/", 1)[0] in own] or (
        # torch/lib's files link nvidia-*: only the Qt families ship what others ship too.
        [] if own & QT_FAMILIES else known
    )
    named = [k for k in known if k.folder in pointed]
    ranked = named + [k for k in known if k not in named] if named or not pointed else []
    if ranked:
        first, *others = ranked
        return _External(
            "sibling",
            provided_by=first.distribution,
            search_path=first.folder,
            alternatives=tuple((o.distribution, o.folder) for o in others),
        )
    directory = _likeliest(needed, leaving)
    if directory is not None:
        return _External("sibling", search_path=directory)
    return None


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
    if ext.kind in ("library", "optional") and ext.nix:
        entry["nix_candidates"] = list(ext.nix)
    if ext.matched:
        entry["matched_as"] = ext.matched
    if ext.kind == "sibling":
        entry["provided_by"] = ext.provided_by
        entry["search_path"] = ext.search_path
        if ext.alternatives:
            entry["also_provided_by"] = [
                {"provided_by": d, "search_path": f} for d, f in ext.alternatives
            ]
    if ext.kind == "optional":
        entry["reason"] = ext.reason
    if ext.noted_only:
        entry["dlopen_note"] = True
    return entry


def _noted_only(scan: WheelScan) -> set[str]:
    linked = {n for e in scan.elves for n in e.needed}
    return {n for e in scan.elves for n in e.dlopen_notes} - linked


def _driver_dlopen(scan: WheelScan, smap: SonameMap) -> bool:
    """Whether some file dlopen()s a GPU-driver library (libcuda.so.1 is in no DT_NEEDED
    of libcudart, cuDNN or NCCL): such a package needs the driver folder in its RUNPATH."""
    return any(
        smap.is_driver(name) for e in scan.elves for name in (*e.dlopen_strings, *e.dlopen_notes)
    )


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


# Qt's bindings and libraries come in families (PyQt6, PySide6...) that ship the same
# sonames: a file of one family takes no other family's library.
QT_FAMILIES = frozenset({"PyQt5", "PyQt6", "PySide6", "shiboken6"})
