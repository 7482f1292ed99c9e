"""The libraries a venv's Python code loads by name (``inspect/pyloads.py`` over its
installed ``.py`` files), where each is in this venv or on this machine, and the
runtime-loads module (``loadshim``) that makes those names resolve."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..inspect.pyloads import PyLoad, scan_source, wants_parse
from ..inspect.runtimeloads import runtime_loads
from ..inspect.sonames import SonameMap
from . import loadshim
from .runpaths import DRIVER_DIR, elf_files


@dataclass(frozen=True)
class InVenv:
    """A library file of the venv, as runtime_loads sees another wheel's."""

    distribution: str
    directory: str


def site_packages(venv: Path) -> list[Path]:
    """The venv's site-packages folders (lib/pythonX.Y/site-packages, lib64 too)."""
    found: list[Path] = []
    for lib in ("lib", "lib64"):
        for folder in sorted((venv / lib).glob("python*/site-packages")):
            if folder.is_dir() and not any(folder.samefile(f) for f in found):
                found.append(folder)
    return found


def scan_loads(sites: list[Path]) -> list[PyLoad]:
    """Every load in the ``.py`` files under the site-packages folders, with paths
    relative to the folder (as in the wheel)."""
    loads: list[PyLoad] = []
    for site in sites:
        for folder, dirs, files in os.walk(site):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if not name.endswith(".py") or name.startswith(loadshim.module_name(None)):
                    continue  # not ours: the module fix-venv writes holds no needs
                path = Path(folder, name)
                try:
                    source = path.read_bytes()
                except OSError:
                    continue
                if wants_parse(source):
                    loads += scan_source(source, str(path.relative_to(site)))
    return loads


def entries(
    sites: list[Path], venv_libs: Mapping[str, str], smap: SonameMap
) -> list[dict[str, Any]]:
    """The venv's runtime loads, classified; a library of the venv is a sibling."""
    here = {name: InVenv("", folder) for name, folder in venv_libs.items()}
    return runtime_loads(scan_loads(sites), smap, own=(), siblings=here, dependencies={})


def locate(
    entry: Mapping[str, Any], venv_libs: Mapping[str, str], given: Mapping[str, str]
) -> str | None:
    """The file a runtime load gets, or None: the venv's own copy, a --lib-dir (or
    --nix) folder's, the driver's, or for glibc the bare soname its loader finds."""
    soname = entry["soname"]
    kind = entry["kind"]
    if kind == "glibc":
        return str(soname)
    if kind == "driver":
        return f"{DRIVER_DIR}/{soname}"
    for name in (soname, entry.get("matched_as")):
        if name and name in venv_libs:
            return os.path.join(venv_libs[name], name)
        if name and name in given:
            return os.path.join(given[name], name)
    return None


def plan(
    loads: list[dict[str, Any]], venv_libs: Mapping[str, str], given: Mapping[str, str]
) -> tuple[loadshim.LoadTable, list[str]]:
    return loadshim.table_for(loads, lambda e: locate(e, venv_libs, given))


def missing_now(table: loadshim.LoadTable, site: Path) -> list[str]:
    """What ``table`` supplies that the module in the venv now does not: the runtime
    loads that would fail before fix-venv is run."""
    current = loadshim.read_tables(site).get(loadshim.module_name(None), loadshim.LoadTable())
    lacking = [
        f"find_library({name!r})"
        for name, path in table.find_library.items()
        if current.find_library.get(name) != path
    ]
    lacking += [
        f"dlopen({name!r})"
        for name, path in table.dlopen.items()
        if current.dlopen.get(name) != path
    ]
    if table.triton_libcuda_path and current.triton_libcuda_path != table.triton_libcuda_path:
        lacking.append("TRITON_LIBCUDA_PATH (ldconfig -p for the driver)")
    return lacking


def failing(venv: Path, smap: SonameMap) -> list[str]:
    """The runtime loads of a venv that would fail now, on NixOS: those no runtime-loads
    module in it supplies (glibc's and the wheel's own aside)."""
    sites = site_packages(venv)
    if not sites:
        return []
    libs: dict[str, str] = {}
    for path in elf_files(venv, linked_under="/site-packages/"):
        if ".so" in path.name:
            libs.setdefault(path.name, str(path.parent))
    tables = [t for site in sites for t in loadshim.read_tables(site).values()]
    find = {k: v for t in tables for k, v in t.find_library.items()}
    opened = {k: v for t in tables for k, v in t.dlopen.items()}
    triton = any(t.triton_libcuda_path for t in tables)
    found = []
    for entry in entries(sites, libs, smap):
        if entry["kind"] in ("glibc", "vendored"):
            continue
        where = entry["wanted_by"][0]
        if entry["how"] == "ldconfig":
            if entry["kind"] == "driver" and not triton:
                found.append(f"ldconfig -p for {entry['name']} at {where}")
            continue
        call = "find_library" if entry["how"] == "find_library" else "dlopen"
        given = (find if call == "find_library" else opened).get(entry["name"])
        if given is None or ("/" in given and not os.path.exists(given)):
            found.append(f"{call}({entry['name']!r}) at {where}")
    return found
