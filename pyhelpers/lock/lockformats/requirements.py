"""pip requirements files with ``==`` pins and ``--hash`` options."""

import os
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import (
    canonicalize_name,
)
from packaging.version import InvalidVersion, Version

from ...errors import UserError
from ...resolve import requirements_txt
from .fields import _first_line, _read_text, _unique
from .model import REQUIREMENTS, LockedFile, LockedPackage, LockFile, _Source

_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expand_env(text: str) -> str:
    """``${VAR}``/``$VAR`` from the environment, as pipenv does; unknown ones stay."""
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1) or m.group(2), m.group(0)), text)


def _read_requirements(path: Path) -> LockFile:
    src = _Source(str(path), REQUIREMENTS)
    _read_text(path)  # a precise message for an unreadable or non-UTF-8 file
    try:
        parsed = requirements_txt.parse(path)
    except RecursionError:
        raise src.error("", "a requirement is nested too deeply to parse") from None
    except (OSError, UnicodeDecodeError) as exc:  # an included file
        raise src.error("", f"cannot read a file it includes ({_first_line(exc)})") from None
    packages = []
    for entry in parsed.entries:
        requirement = entry.requirement
        name = canonicalize_name(requirement.name)
        version = _pinned(requirement)
        if version is None:
            raise UserError(
                f"{entry.where}: {name} is not pinned with ==; convert needs a lock: "
                "pin every package (e.g. `uv export --format requirements.txt` "
                "or `pip-compile --generate-hashes`)"
            )
        marker = None if requirement.marker is None else str(requirement.marker)
        files = tuple(LockedFile(None, None, h) for h in sorted(entry.hashes))
        packages.append(LockedPackage(name, version, files, None, marker))
    indexes = [parsed.index_url] if parsed.index_url else []
    return LockFile(
        path=str(path),
        format=REQUIREMENTS,
        packages=tuple(packages),
        indexes=_unique([*indexes, *parsed.extra_index_urls]),
        searches_every_index=True,
    )


def _pinned(requirement: Requirement) -> str | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==":
        return None
    text = specifiers[0].version
    if text.endswith(".*"):
        return None
    try:
        return str(Version(text))
    except InvalidVersion:
        return None
