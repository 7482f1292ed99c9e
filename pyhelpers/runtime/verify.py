"""``manylinux-nix verify``: will every ELF file under a path load, the way the loader
will load it? Each DT_NEEDED is looked up in the file's own RPATH/RUNPATH (``$ORIGIN``
expanded), then in the glibc folder of the interpreter that loads it, never in the
machine's default folders; each versioned symbol need (GLIBC_2.x, GLIBCXX_3.4.x, ...) must
be defined by the library found (its ``.gnu.version_d``); architectures must match.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import UserError
from ..inspect import parallel, plugins
from ..inspect.elf import MAGIC, ElfFacts, defined_versions, read_elf
from ..inspect.sonames import SonameMap, soname_map
from . import loadshim
from .runpaths import DRIVER_DIR, elf_files, impure_entries, store_dir


@dataclass
class Group:
    """Problems of one kind with one cause (a soname, a symbol version), over files."""

    what: str  # "libstdc++.so.6 not found", "GLIBCXX_3.4.32 from libstdc++.so.6"
    advice: str
    files: list[str] = field(default_factory=list)


@dataclass
class Report:
    files: int = 0
    problems: list[str] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    # Libraries in the glibc folder that are not glibc's: a distribution's library
    # folder, not Nix's glibc. Nothing is taken from them.
    not_glibc: list[str] = field(default_factory=list)
    # Where paths are shown from, and whether advice is for a venv (fix-venv) or a build.
    base: Path | None = None
    venv: bool = False

    def shown(self, path: Path) -> str:
        if self.base is not None and path != self.base and path.is_relative_to(self.base):
            return str(path.relative_to(self.base))
        return str(path)

    def problem(self, path: Path, what: str, advice: str, *, detail: str | None = None) -> None:
        shown = self.shown(path)
        self.problems.append(f"{shown}: {detail or what}; {advice}")
        self.groups.setdefault(what, Group(what, advice)).files.append(shown)


def interpreter_glibc_dir() -> Path:
    """The folder of the libc this very Python runs on (what a build's Python uses)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1] if line.strip() else ""
                if re.search(r"/libc(\.so\.6|-[0-9.]+\.so)$", path):
                    return Path(path).parent
    except OSError:
        pass
    raise UserError("cannot tell which glibc this Python runs on; pass --glibc-dir")


_LIBRARY_NAME = re.compile(r"^(lib|ld).*\.so(\.[0-9.]+)?$")


def foreign_libraries(glibc_dir: Path, glibc: frozenset[str]) -> list[str]:
    """The shared libraries in ``glibc_dir`` that glibc does not ship, sorted."""
    try:
        names = [entry.name for entry in os.scandir(glibc_dir)]
    except OSError as exc:
        raise UserError(
            f"--glibc-dir {glibc_dir}: cannot list it ({exc.strerror or exc}); "
            "pass the lib folder of the glibc the files will run with"
        ) from None
    return sorted(n for n in names if _LIBRARY_NAME.match(n) and n not in glibc)


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device in a library's place would block or never end: not a library.
        raise FileNotFoundError(path)
    return st.st_mtime_ns, st.st_size


# Facts by path and stamp: the same library is met by many files, and a file changed
# by patchelf since is read again.
_FACTS: dict[tuple[str, tuple[int, int]], ElfFacts | None] = {}
# Why a file that starts like ELF could not be read, by path and stamp.
_UNREADABLE: dict[tuple[str, tuple[int, int]], str] = {}


def _facts(path: str) -> ElfFacts | None:
    try:
        key = (path, _stamp(path))
    except OSError:
        return None
    if key not in _FACTS:
        _FACTS[key] = _read_facts(path, key)
    return _FACTS[key]


def _read_facts(path: str, key: tuple[str, tuple[int, int]]) -> ElfFacts | None:
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != MAGIC:
                return None
            handle.seek(0)
            return read_elf(handle, path)
    except OSError as exc:
        _UNREADABLE[key] = f"cannot read ({exc.strerror or exc})"
    except UserError as exc:
        _UNREADABLE[key] = str(exc).removeprefix(f"{path}: ")
    return None


def _read_in_parallel(paths: Sequence[Path], jobs: int | None) -> None:
    """Read the files under the checked path on every core, into the cache."""
    stamped = []
    for path in paths:
        try:
            stamped.append((str(path), _stamp(str(path))))
        except OSError:
            continue
    todo = [(Path(p), p) for p, stamp in stamped if (p, stamp) not in _FACTS]
    for (path, _), facts in zip(todo, parallel.read_elves(todo, jobs), strict=True):
        key = (str(path), _stamp(str(path)))
        _FACTS[key] = None if isinstance(facts, UserError) else facts
        if isinstance(facts, UserError):
            _UNREADABLE[key] = str(facts).removeprefix(f"{path}: ")


def _unreadable(path: Path) -> str | None:
    """Why ``path``, an ELF file by its first bytes, could not be read; None if it was."""
    try:
        key = (str(path), _stamp(str(path)))
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    return _UNREADABLE.get(key)


def version_definitions(path: str) -> frozenset[str]:
    """The symbol versions a library defines (``.gnu.version_d``)."""
    try:
        return _definitions_at(path, _stamp(path))
    except OSError:
        return frozenset()


@cache
def _definitions_at(path: str, _stamp: tuple[int, int]) -> frozenset[str]:
    try:
        with open(path, "rb") as handle:
            return defined_versions(handle)
    except OSError:
        return frozenset()


def _search_path(facts: ElfFacts, origin: str) -> list[str]:
    return [e.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for e in facts.search_path]


def resolve(
    needed: str, facts: ElfFacts, origin: str, glibc_dir: Path, glibc: frozenset[str]
) -> str | None:
    """Where the loader finds ``needed`` for this file, or None. Only glibc's own
    libraries (``glibc``) are taken from the glibc folder: on NixOS nothing else is there."""
    if "/" in needed:
        return needed if os.path.exists(needed) else None
    folders = _search_path(facts, origin) + ([str(glibc_dir)] if needed in glibc else [])
    for folder in folders:
        candidate = os.path.join(folder, needed)
        found = _facts(candidate) if os.path.exists(candidate) else None
        if found is not None and found.arch == facts.arch and found.bits == facts.bits:
            return candidate
    return None


def verify(
    root: Path,
    glibc_dir: Path,
    smap: SonameMap | None = None,
    *,
    ignore_missing: Sequence[str] = (),
    jobs: int | None = None,
) -> Report:
    """Check every ELF file under ``root``. A missing library that matches one of
    ``ignore_missing`` (fnmatch, as autoPatchelfIgnoreMissingDeps) was left missing on
    purpose: it is reported as deferred, not as a problem."""
    smap = smap or soname_map()
    if not root.exists():
        raise UserError(f"{root}: no such file or folder")
    paths = [root] if root.is_file() else elf_files(root)
    report = Report(
        not_glibc=foreign_libraries(glibc_dir, smap.glibc),
        base=root if root.is_dir() else root.parent,
        venv=not str(root.resolve()).startswith(store_dir() + "/"),
    )
    _read_in_parallel(paths, jobs)
    parsed = []
    for path in paths:
        facts = _facts(str(path))
        if facts is not None:
            parsed.append((path, facts))
        elif (why := _unreadable(path)) is not None:
            # It looks like ELF and the loader would try it: never a silent pass.
            report.files += 1
            report.problem(
                path,
                "an ELF file that cannot be read",
                "reinstall the package that ships it (the file is damaged or cut short)",
                detail=f"starts like an ELF file but cannot be read ({why})",
            )
    loaded = plugins.on_demand(
        plugins.File(plugins.site_relative(str(p)) or str(p), f.soname, f.needed) for p, f in parsed
    )
    for path, facts in parsed:
        report.files += 1
        _check(path, facts, glibc_dir, smap, report, tuple(ignore_missing), loaded)
    _check_runtime_loads(root if root.is_dir() else root.parent, report)
    return report


def _check_runtime_loads(root: Path, report: Report) -> None:
    """Every file a runtime-loads module (``loadshim``) names must be a readable
    library; the GPU driver's are there only at run time."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        if not any(f.startswith("_manylinux_nix_loads") and f.endswith(".py") for f in files):
            continue
        for module, table in loadshim.read_tables(Path(folder)).items():
            named = {**table.find_library, **table.dlopen}
            for name, path in sorted(named.items()):
                if "/" not in path or path.startswith(DRIVER_DIR + "/"):
                    continue
                if _facts(path) is None:
                    report.problem(
                        Path(folder, f"{module}.py"),
                        f"runtime load {name} not found",
                        "supply the package that ships it (sonameOverrides, or fix-venv --lib-dir)",
                        detail=f"loads {name!r} by name from {path}, which is no readable library",
                    )


def _check(
    path: Path,
    facts: ElfFacts,
    glibc_dir: Path,
    smap: SonameMap,
    report: Report,
    ignore_missing: tuple[str, ...] = (),
    loaded: plugins.OnDemand | None = None,
) -> None:
    origin = str(path.parent)
    installed = plugins.site_relative(str(path))
    store = store_dir()
    impure = impure_entries(facts, store)
    if impure and str(path).startswith(store + "/"):
        # A store path must not look outside the store: on another machine (or in the
        # sandbox) the folder is missing or holds something else.
        report.problem(
            path,
            "RUNPATH outside the Nix store",
            "remove it (buildManylinuxWheel does, after autoPatchelf)",
            detail=f"RUNPATH has {', '.join(impure)}, outside the Nix store",
        )
    elif impure:
        report.warnings.append(
            f"{report.shown(path)}: RUNPATH has {', '.join(impure)}, outside the Nix store"
        )
    found: dict[str, str] = {}
    for needed in facts.needed:
        where = resolve(needed, facts, origin, glibc_dir, smap.glibc)
        if where is not None:
            found[needed] = where
        elif smap.is_driver(needed):
            _driver(path, needed, facts, origin, report, "needs")
        elif any(fnmatch.fnmatch(needed, glob) for glob in ignore_missing):
            report.deferred.append(f"{report.shown(path)}: {needed} left missing, as asked")
        elif installed is not None and (
            reason := plugins.optional_reason(loaded or {}, installed, needed)
        ):
            report.deferred.append(f"{report.shown(path)}: {needed} is optional ({reason})")
        else:
            report.problem(path, f"{needed} not found", _advice(needed, smap, venv=report.venv))
    for need in facts.version_needs:
        library = found.get(need.library)
        if library is None:
            continue
        defined = version_definitions(library)
        for version in need.versions:
            if version not in defined:
                report.problem(
                    path,
                    f"{version} from {need.library} not defined by {library}",
                    _advice(need.library, smap, newer=True, venv=report.venv),
                    detail=f"needs {version} from {need.library}, which {library} does not "
                    f"define (it has up to {_highest(defined, version)})",
                )
    for hint in dict.fromkeys((*facts.dlopen_notes, *facts.dlopen_strings)):
        if hint in smap.glibc or hint in facts.needed:
            continue
        if smap.is_driver(hint):
            # libcudart, cuDNN, NCCL: dlopen("libcuda.so.1") from the RUNPATH.
            _driver(path, hint, facts, origin, report, "dlopen()s")
        elif resolve(hint, facts, origin, glibc_dir, smap.glibc) is None:
            report.warnings.append(
                f"{report.shown(path)}: may dlopen {hint}, which resolves nowhere"
            )


def _driver(
    path: Path, soname: str, facts: ElfFacts, origin: str, report: Report, how: str
) -> None:
    if DRIVER_DIR in _search_path(facts, origin):
        report.deferred.append(
            f"{report.shown(path)}: {soname} comes from the GPU driver at run time"
        )
    else:
        report.problem(
            path,
            f"GPU driver library {soname} without {DRIVER_DIR} in the RUNPATH",
            "run fix-venv"
            if report.venv
            else "add addDriverRunpath.driverLink/lib (appendRunpaths)",
            detail=f"{how} {soname}, a GPU driver library, and the RUNPATH lacks {DRIVER_DIR}",
        )


def _advice(soname: str, smap: SonameMap, *, newer: bool = False, venv: bool = False) -> str:
    attrs = smap.attributes_for(soname)
    what = "a newer " if newer else ""
    if soname in smap.glibc:
        return "it belongs to glibc: use a newer nixpkgs (glibc)"
    if venv:
        if attrs:
            return (
                f"nixpkgs {attrs[0]}: run fix-venv --nix, or fix-venv --lib-dir with "
                f"{what}{attrs[0]}'s lib folder"
            )
        return "no nixpkgs attribute is known: fix-venv --lib-dir with a folder that has it"
    if attrs:
        return f"add {what}nixpkgs {attrs[0]} to buildInputs"
    return "no nixpkgs attribute is known: add the package that ships it to buildInputs"


def _highest(defined: Iterable[str], like: str) -> str:
    prefix = like.split("_", 1)[0] + "_"
    versions = [d for d in defined if d.startswith(prefix)]

    def key(name: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", name))

    return max(versions, key=key) if versions else "none of " + prefix.rstrip("_")
