"""uv as the oracle for which packages a uv.lock installs: ``uv export --frozen`` of a
committed lock (offline), its markers evaluated for a target."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name


def uv() -> str | None:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    return found if Path(found).is_file() else None


def export(project: Path, flags: list[str], env: dict[str, str]) -> set[tuple[str, str]]:
    """(name, version) of every index or URL package ``uv export`` lists for ``env``."""
    tool = uv()
    assert tool is not None, "uv is missing: pip install uv (a test dependency)"
    done = subprocess.run(
        [tool, "export", "--frozen", "--no-hashes", "--no-default-groups", "--no-header",
         "--no-annotate", "--offline", *flags],
        cwd=project, capture_output=True, text=True, check=False, timeout=120,
        env={"PATH": "/usr/bin:/bin", "UV_NO_CONFIG": "1", "HOME": str(project)},
    )  # fmt: skip
    if done.returncode != 0:
        raise OracleError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    wanted: set[tuple[str, str]] = set()
    for line in done.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e", ".", "/")):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate({**env, "extra": ""}):
            continue
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            wanted.add((canonicalize_name(name.strip()), version.strip()))
    return wanted


class OracleError(Exception):
    pass
