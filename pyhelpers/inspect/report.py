"""``manylinux-nix inspect``: scan a wheel (file, URL or requirement), cached by sha256."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from packaging.utils import parse_wheel_filename

from .. import data
from ..cache import cache_dir, read_entry, write_entry
from ..errors import UserError, printable
from ..index.urls import redact
from ..target import fit
from ..target.target import Target
from ..wheelfile import file_sha256
from .policy import target_violations
from .wheel import WheelScan, scan_as_dict, scan_from_dict, scan_wheel

log = logging.getLogger(__name__)


def scan_cached(path: Path, filename: str, sha256: str | None = None) -> WheelScan:
    """Scan a wheel on disk, or take the cached scan of the same bytes."""
    digest = sha256 or file_sha256(path)
    entry = cache_dir("scans") / f"{digest}.json"
    raw = read_entry(entry)
    if raw is not None:
        try:
            cached = scan_from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            cached = None  # an older entry, or one of another shape: scan again
        if cached is not None and cached.filename == filename and cached.sha256 == digest:
            return cached
    scan = scan_wheel(path, filename, digest)
    write_entry(entry, json.dumps(scan_as_dict(scan), sort_keys=True).encode())
    return scan


def target_problems(report: dict[str, Any], target: Target) -> list[str]:
    """Why the wheel would not load on ``target``: its tags first (architecture, OS, C
    library, Python), then symbol versions newer than the target's glibc and gcc give."""
    _, _, _, tags = parse_wheel_filename(report["wheel"])
    misfit = fit.misfit(tags, target)
    gcc = data.load("nixpkgs-releases")["gcc"].get(target.gcc or "")
    limits = {k: v for k, v in (gcc or {}).items() if k != "source"}
    where = f"{target.key} (nixpkgs {target.nixpkgs})"
    glibc = target.libc_version if target.libc == "glibc" else None
    problems = [] if misfit is None else [f"the wheel {misfit}"]
    return problems + target_violations(report["symbol_versions"], glibc, limits, where)


def refuse_if_unfit(report: dict[str, Any], target: Target) -> None:
    problems = target_problems(report, target)
    if problems:
        raise UserError(
            f"{report['wheel']} {problems[0]}; "
            "pick a newer --nixpkgs/--glibc or pin an older version"
        )


def render(report: dict[str, Any]) -> str:
    """The readable report; names from the wheel are printed escaped."""
    return printable_lines(_render(report))


def printable_lines(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))


def _render(report: dict[str, Any]) -> str:
    lines = [f"{report['wheel']}", f"  sha256 {report['sha256']}, {report['elf_files']} ELF files"]
    pol = report["policy"]
    if pol["claimed"]:
        verdict = "holds" if pol["holds"] else "does NOT hold"
        lines.append(f"  policy: {pol['claimed']} {verdict}")
        lines += [f"    - {v}" for v in pol["violations"]]
    if report["symbol_versions"]:
        versions = ", ".join(f"{k} {v}" for k, v in report["symbol_versions"].items())
        lines.append(f"  highest symbol versions: {versions}")
    for key, title in (("vendored", "vendored in the wheel"), ("glibc", "from glibc")):
        if report[key]:
            lines.append(f"  {title} ({len(report[key])}): {', '.join(report[key])}")
    if report["external"]:
        lines.append("  external:")
        width = max(len(e["soname"]) for e in report["external"])
        for e in report["external"]:
            lines.append(f"    {e['soname'].ljust(width)}  {e['kind']:<8} {_where(e)}")
    else:
        lines.append("  external: none")
    loads = report.get("runtime_loads") or []
    if loads:
        lines.append("  loaded by name from Python at run time:")
        width = max(len(_asked(e)) for e in loads)
        for e in loads:
            soname = f" -> {e['soname']}" if e["soname"] and e["soname"] != e["name"] else ""
            lines.append(f"    {_asked(e).ljust(width)}{soname}  {e['kind']:<8} {_where(e)}")
    for note in report.get("notes") or []:
        lines.append(f"  note: {note}")
    if report["dlopen_hints"]:
        lines.append(f"  dlopen hints (not build inputs): {', '.join(report['dlopen_hints'])}")
    if report.get("driver_dlopen"):
        lines.append("  dlopen()s the GPU driver: builds add /run/opengl-driver/lib to RUNPATHs")
    return "\n".join(lines)


def _asked(entry: dict[str, Any]) -> str:
    how = entry["how"]
    if how == "ldconfig":
        return f"ldconfig -p for {entry['name']}"
    call = {"find_library": "find_library", "ctypes": "CDLL", "cffi": "ffi.dlopen"}[how]
    return f"{call}({entry['name']!r})"


def _where(entry: dict[str, Any]) -> str:
    users = entry["wanted_by"]
    by = f"(wanted by {users[0]}" + (f" and {len(users) - 1} more)" if len(users) > 1 else ")")
    kind = entry["kind"]
    if kind == "library":
        return f"nixpkgs {entry['nix']}  {by}"
    if kind == "driver":
        return f"GPU driver, found at run time via /run/opengl-driver/lib  {by}"
    if kind == "sibling":
        provider = entry.get("provided_by") or "another wheel"
        others = "".join(
            f", or {o['provided_by']} ({o['search_path']})"
            for o in entry.get("also_provided_by", [])
        )
        return f"{provider} ({entry.get('search_path')}){others}  {by}"
    if kind == "optional":
        nix = f"; nixpkgs {entry['nix']} if included" if entry.get("nix") else ""
        return f"{entry.get('reason')}{nix}  {by}"
    if kind == "glibc":
        return f"glibc  {by}"
    if kind == "vendored":
        return f"in the wheel  {by}"
    return f"not in the soname map: pass it in sonameOverrides  {by}"


def describe_source(source: str) -> str:
    return redact(source) if "://" in source else source
