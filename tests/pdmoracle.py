"""pdm as the oracle for which packages a pdm.lock installs: ``pdm export --no-hashes``
of a committed lock (it reads only the lock: no network), its markers evaluated for a
target. pdm can export only a lock made with the inherit_metadata strategy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name


def pdm() -> str | None:
    found = shutil.which("pdm") or str(Path(sys.executable).with_name("pdm"))
    return found if Path(found).is_file() else None


def prepare(project: Path) -> None:
    """Let pdm run in a copy of ``project`` on this machine's Python: pdm looks for an
    interpreter the project's requires-python allows (and downloads one if none is
    found), though exporting an inherit_metadata lock reads neither."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(re.sub(r"(?m)^requires-python\s*=.*$", 'requires-python = ">=3"', text))


Listed = list[tuple[str, str, Marker | None]]


def export(project: Path, flags: list[str]) -> Listed:
    """(name, version, marker) of every package ``pdm export`` lists; a git or URL
    package's version is ""."""
    tool = pdm()
    assert tool is not None, "pdm is missing: pip install pdm (a test dependency)"
    done = subprocess.run(
        [tool, "export", "--no-hashes", *flags],
        cwd=project, capture_output=True, text=True, check=False, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project), "PDM_CHECK_UPDATE": "false",
             "PDM_USE_VENV": "false", "PDM_PYTHON": sys.executable},
    )  # fmt: skip
    if done.returncode != 0:
        raise OracleError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    listed: Listed = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e", ".", "/")):
            continue
        requirement, _, marker = line.partition(";")
        name, version = (
            (requirement.split(" @ ")[0], "")
            if " @ " in requirement
            else requirement.split("==", 1)
        )
        listed.append(
            (
                canonicalize_name(name.split("[")[0].strip()),
                version.strip(),
                Marker(marker.strip()) if marker.strip() else None,
            )
        )
    return listed


def for_target(listed: Listed, env: dict[str, str]) -> set[tuple[str, str]]:
    """What of ``listed`` a target whose marker environment is ``env`` installs."""
    return {
        (name, version)
        for name, version, marker in listed
        if marker is None or marker.evaluate({**env, "extra": ""})
    }


class OracleError(Exception):
    pass
