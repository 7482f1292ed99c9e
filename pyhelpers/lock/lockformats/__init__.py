"""Read other tools' lock files (uv.lock, pylock.toml, poetry.lock, pdm.lock, Pipfile.lock, pip
requirements with hashes) into one model, and say which locked packages a target gets.

``convert`` then picks each package's wheel for a Nix target. What is installed is the
project's runtime dependencies unless a ``Selection`` (uv's and poetry's extras, groups
and workspace members) says more; formats that record no choice (pylock.toml,
Pipfile.lock, requirements) install what they hold. Every problem with the input is a
one-line ``UserError`` naming the file: these readers must survive any bytes, so nothing
is indexed or converted unchecked.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from ...errors import UserError
from .applicable import (
    Applicable,
    LockGraph,
    applicable,
    applicable_packages,
    refuse_unfetchable,
)
from .fields import _first_line, _read_text, _table
from .model import (
    PDM,
    PIPFILE,
    POETRY,
    PYLOCK,
    REQUIREMENTS,
    UV,
    LockedFile,
    LockedPackage,
    LockFile,
    Table,
    Unfetchable,
    UvDependency,
    UvPackage,
    _Source,
)
from .pdm import _read_pdm
from .pipfile import _read_pipfile
from .poetry import _read_poetry
from .pylock import _read_pylock
from .requirements import _read_requirements
from .uv import _read_uv

__all__ = [
    "PDM",
    "PIPFILE",
    "POETRY",
    "PYLOCK",
    "REQUIREMENTS",
    "UV",
    "Applicable",
    "LockFile",
    "LockGraph",
    "LockedFile",
    "LockedPackage",
    "Unfetchable",
    "UvDependency",
    "UvPackage",
    "applicable",
    "applicable_packages",
    "read_lock",
    "refuse_unfetchable",
]


def read_lock(path: Path) -> LockFile:
    """Read any supported lock file; the format comes from the name, else the content."""
    fmt = _format_by_name(path)
    if fmt == REQUIREMENTS:
        return _read_requirements(path)
    text = _read_text(path)
    data: object
    if fmt is None:
        fmt, data = _sniff(path, text)
    elif fmt == PIPFILE:
        data = _parse_json(_Source(str(path), fmt), text)
    else:
        data = _parse_toml(_Source(str(path), fmt), text)
    src = _Source(str(path), fmt)
    if fmt == UV:
        return _read_uv(src, _table(src, data, ""))
    if fmt == PYLOCK:
        return _read_pylock(src, _table(src, data, ""))
    if fmt == POETRY:
        return _read_poetry(src, _table(src, data, ""))
    if fmt == PDM:
        return _read_pdm(src, _table(src, data, ""))
    return _read_pipfile(src, data)


def _format_by_name(path: Path) -> str | None:
    name = path.name
    if name in (UV, POETRY, PIPFILE, PDM):
        return name
    if re.fullmatch(r"pylock\.([^.]+\.)?toml", name):  # PEP 751's file name rule
        return PYLOCK
    if name.endswith(".txt"):
        return REQUIREMENTS
    return None


def _parse_toml(src: _Source, text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise src.error("", f"not valid TOML ({_first_line(exc)})") from exc
    except RecursionError as exc:
        raise src.error("", "not valid TOML (nested too deeply)") from exc


def _parse_json(src: _Source, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise src.error("", f"not valid JSON ({_first_line(exc)})") from exc
    except (ValueError, RecursionError) as exc:  # huge integers, deep nesting
        raise src.error("", f"not valid JSON ({type(exc).__name__})") from exc


def _sniff(path: Path, text: str) -> tuple[str, object]:
    """The format of a lock file with an unusual name, from its content."""
    if text.lstrip().startswith("{"):
        try:
            data: object = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("_meta"), dict):
            return PIPFILE, data
    else:
        try:
            toml: Table | None = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            toml = None
        if toml is not None:
            metadata = toml.get("metadata")
            if "lock-version" in toml and "packages" in toml:
                return PYLOCK, toml
            if isinstance(metadata, dict) and (
                "content-hash" in metadata or "lock-version" in metadata
            ):
                return POETRY, toml
            if isinstance(metadata, dict) and "lock_version" in metadata:
                return PDM, toml
            if "version" in toml and ("package" in toml or "requires-python" in toml):
                return UV, toml
    raise UserError(
        f"{path}: not a lock file this can read; give a uv.lock, pylock.toml, poetry.lock,"
        " pdm.lock, Pipfile.lock or requirements file (a .txt named so, or with that content)"
    )
