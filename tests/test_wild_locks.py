"""Every lock we have converts: tests/data/samples and ../shared/samples/wild, each for
x86_64-linux with a Python the lock allows, with --allow-sdist (a package with no wheel
is listed, not refused). A lock whose URLs and hashes are all in it converts offline; one
that names files without URLs asks its index (PyPI: marked network). A lock that needs a
host this machine cannot reach is skipped, naming the host."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from samples import SAMPLES

from pyhelpers.cli import main
from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import applicable, read_lock
from pyhelpers.lock.lockformats.model import LockFile
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
NOT_LOCKS = {"pyproject.toml", "Pipfile", "SOURCE.txt"}
# Hosts these machines cannot reach (the PyTorch and Red Hat AI indexes); a lock that
# must ask one of them for a file it names without a URL cannot convert here.
UNREACHABLE = {"download.pytorch.org", "console.redhat.com", "packages.redhat.com"}
# Broken on purpose (its README says so): made-up wheel names and URLs.
BROKEN = {"pipenv-pylock-quirky"}
SYSTEM = "x86_64-linux"


def lock_files() -> list[Path]:
    folders = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
    if WILD.is_dir():
        folders += sorted(p for p in WILD.iterdir() if p.is_dir() and p.name not in BROKEN)
    return [
        f for d in folders for f in sorted(d.iterdir()) if f.is_file() and f.name not in NOT_LOCKS
    ]


def python_for(lock: LockFile) -> str:
    for python in ("3.12", "3.11", "3.10"):
        try:
            applicable(lock, marker_environment(make_target(SYSTEM, python)))
        except UserError:
            continue
        return python
    raise AssertionError(f"{lock.path}: no Python from 3.10 to 3.12 can install it")


def asked_hosts(lock: LockFile) -> set[str]:
    """The hosts convert asks: the index of each package the lock gives no URL for, and
    where a lock has no edges of its own (pylock.toml, Pipfile.lock, requirements), the
    host of each wheel, whose METADATA names its dependencies."""
    default = [lock.default_index or (lock.indexes or ("https://pypi.org/simple/",))[0]]
    edges = lock.uv_graph or lock.poetry_graph or lock.pdm
    hosts = set()
    for package in lock.packages:
        if not edges:
            hosts |= {urlsplit(f.url).hostname or "" for f in package.files if f.url}
        if all(f.url and f.sha256 for f in package.files) and package.files:
            continue
        for index in [package.index] if package.index else default + list(lock.indexes):
            hosts.add(urlsplit(index or "https://pypi.org/simple/").hostname or "")
    return hosts


def _ids(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def cases() -> list[object]:
    found: list[object] = []
    for path in lock_files():
        hosts = asked_hosts(read_lock(path))
        marks = [pytest.mark.network] if hosts else []
        found.append(pytest.param(path, hosts, marks=marks, id=_ids(path)))
    if not WILD.is_dir():
        found.append(
            pytest.param(
                WILD,
                set(),
                marks=pytest.mark.skip(reason=f"{WILD} is absent (not beside this clone)"),
                id="wild",
            )
        )
    return found


@pytest.mark.parametrize(("path", "hosts"), cases())
def test_every_lock_we_have_converts(path: Path, hosts: set[str], tmp_path: Path) -> None:
    lock = read_lock(path)
    blocked = sorted(hosts & UNREACHABLE)
    if blocked:
        pytest.skip(f"{_ids(path)} needs {', '.join(blocked)}, which this machine cannot reach")
    python = python_for(lock)
    out = tmp_path / "out.json"
    argv = ["convert", str(path), "-o", str(out), "-q", "--no-inspect", "--allow-sdist"]
    argv += ["--system", SYSTEM, "--python", python, *([] if hosts else ["--offline"])]
    env = marker_environment(make_target(SYSTEM, python))
    if not applicable(lock, env).packages and lock.uv_members:
        argv.append("--all-packages")  # a workspace whose root has no dependencies (anki)
    assert main(argv) == 0
    [target] = json.loads(out.read_text())["targets"].values()
    assert target["packages"], f"{_ids(path)}: no package for {SYSTEM} Python {python}"
