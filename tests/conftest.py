"""Shared fixtures: an isolated environment, in-process and real package indexes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hostpython
import pytest
from clitools import Run
from indexserver import IndexServer

from pyhelpers.cli import main

PYPISERVER_START_TIMEOUT = 30.0

# The stand-in nixpkgs (tests/nix/standin.nix) lays out its Python after this one.
os.environ.setdefault("MANYLINUX_NIX_TEST_PYTHON_VERSION", hostpython.FULL)
os.environ.setdefault("MANYLINUX_NIX_TEST_PYTHON_PREFIX", hostpython.BASE_PREFIX)
# Every Nix command the suite runs, fix-venv --nix's included: no binary cache (none can
# be reached), builds as root outside the sandbox (the stand-in uses host tools; Debian
# 13's nix.conf turns the sandbox on), and the flake commands.
os.environ.setdefault(
    "NIX_CONFIG",
    "substituters =\nbuild-users-group =\nsandbox = false\n"
    "experimental-features = nix-command flakes\n",
)


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests away from the user's caches, pip configuration and credentials."""
    home = tmp_path_factory.mktemp("env")
    netrc = home / "netrc"
    netrc.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("NETRC", str(netrc))
    # pip reads no configuration file at all when this points at the null device.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_INPUT", "1")
    for variable in (
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_TRUSTED_HOST",
        "PIP_NO_INDEX",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("MANYLINUX_NIX_OFFLINE", raising=False)
    # The default --python comes from the current folder's project files: none here.
    monkeypatch.chdir(home)
    # A configured proxy would otherwise be asked for 127.0.0.1 as well.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(*args)`` calls ``manylinux-nix`` in-process: (exit code, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    path = tmp_path / "wheels"
    path.mkdir()
    return path


@pytest.fixture
def index_factory() -> Iterator[Callable[..., IndexServer]]:
    """Call with ``(root, **IndexServer options)``; returns a running server."""
    servers: list[IndexServer] = []

    def start(root: Path, **options: Any) -> IndexServer:
        server = IndexServer(root, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + PYPISERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pypiserver exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"pypiserver did not answer at {url}:\n{log.read_text()}")


@pytest.fixture
def pypiserver_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """Call with a package directory; returns the simple URL of a real pypiserver."""
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp_path_factory.mktemp("pypiserver")

    def start(root: Path) -> str:
        port = _free_port()
        log = logs / f"{port}.log"
        command = [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-p",
            str(port),
            "-i",
            "127.0.0.1",
            "-a",
            ".",
            "-P",
            ".",  # no authentication for any action
            "--disable-fallback",  # never redirect unknown projects to pypi.org
            "--backend",
            "simple-dir",  # re-list the directory, so later files show up
            "--server",
            "wsgiref",  # the same server whatever else is installed
            str(root),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        processes.append(process)
        url = f"http://127.0.0.1:{port}/simple/"
        _wait_until_up(url, process, log)
        return url

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
