"""What a user sees: progress on a terminal (a real pseudo-terminal) and off one, one
line per retry, --offline against a stopped index, cache info/prune, prefetch like
nix-prefetch-url, the default --python and a wrong flag's usage."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest
from indexserver import IndexServer
from wheelfactory import build_wheel

REPO = Path(__file__).resolve().parent.parent


def cli(
    *args: object, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """The command as a process without a terminal: (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "pyhelpers", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def cli_on_terminal(*args: object) -> tuple[int, str]:
    """The command with stderr (and stdout) on a pseudo-terminal: (exit code, what the
    terminal received, escape codes and carriage returns included)."""
    leader, follower = pty.openpty()
    # A terminal of 30 rows by 120 columns, as a real one reports its size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyhelpers", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120"},
    )
    os.close(follower)
    received = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return proc.wait(timeout=60), received.decode(errors="replace")


def lock_alpha(url: str, out: object) -> tuple[object, ...]:
    """``lock alpha`` from ``url`` for x86_64-linux and Python 3.12 into ``out``."""
    return ("lock", "alpha", "-i", url, "--python", "3.12", "--system", "x86_64-linux", "-o", out)


@pytest.fixture
def index_with_wheels(tmp_path: Path, index_factory: Callable[..., IndexServer]) -> IndexServer:
    root = tmp_path / "index"
    root.mkdir()
    build_wheel(
        root,
        "alpha",
        "1.0",
        "cp312-cp312-manylinux_2_17_x86_64",
        requires_dist=["beta"],
        c_extension=True,
    )
    build_wheel(root, "beta", "2.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True)
    return index_factory(root)


def test_lock_on_a_terminal_draws_live_lines(
    index_with_wheels: IndexServer, tmp_path: Path
) -> None:
    code, screen = cli_on_terminal(*lock_alpha(index_with_wheels.url, tmp_path / "lock.json"))
    assert code == 0, screen
    assert "wheels downloaded and inspected" in screen  # the overall [n/N] line
    assert "/2]" in screen
    assert "\r" in screen  # redrawn in place, as tqdm does on a terminal
    assert "locked 1 target(s)" in screen


def test_lock_off_a_terminal_prints_one_plain_line_per_wheel(
    index_with_wheels: IndexServer, tmp_path: Path
) -> None:
    code, _, err = cli(*lock_alpha(index_with_wheels.url, tmp_path / "lock.json"))
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and lines[0].startswith("[1/2] ") and lines[1].startswith("[2/2] ")
    assert all("ELF files" in line for line in lines)
    assert "\r" not in err and "\x1b" not in err


def test_a_retry_is_one_line_on_a_terminal_and_off_it(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    root = tmp_path / "index"
    root.mkdir()
    build_wheel(root, "alpha", "1.0")
    server = index_factory(root, faults={"/simple/alpha/": [503, 503]})
    args = (
        "lock",
        "alpha",
        "-i",
        server.url,
        "--python",
        "3.12",
        "-o",
        tmp_path / "l.json",
        "--no-inspect",
    )
    code, _, err = cli(*args)
    assert code == 0, err
    retries = [line for line in err.splitlines() if "retrying" in line]
    assert retries == [
        "manylinux-nix: retrying 127.0.0.1 (1/5): HTTP 503",
        "manylinux-nix: retrying 127.0.0.1 (2/5): HTTP 503",
    ]
    assert "Retry(" not in err
    server.faults["/simple/alpha/"] = [503, 503]
    shutil.rmtree(Path(os.environ["XDG_CACHE_HOME"]), ignore_errors=True)
    code, screen = cli_on_terminal(*args)
    assert code == 0, screen
    assert screen.count("retrying 127.0.0.1") == 2 and "Retry(" not in screen


def test_offline_answers_from_the_cache_after_the_index_is_gone(
    index_with_wheels: IndexServer, tmp_path: Path
) -> None:
    url = index_with_wheels.url
    args = (
        "lock",
        "alpha",
        "-i",
        url,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    code, _, err = cli(*args, "-o", tmp_path / "online.json")
    assert code == 0, err
    index_with_wheels.stop()
    code, _, err = cli(*args, "-o", tmp_path / "offline.json", "--offline")
    assert code == 0, err
    online = json.loads((tmp_path / "online.json").read_text())["targets"]
    offline = json.loads((tmp_path / "offline.json").read_text())["targets"]
    assert online == offline
    # The same through the environment; and what the cache lacks is named.
    code, _, err = cli(
        "lock",
        "gamma",
        "-i",
        url,
        "--python",
        "3.12",
        "-o",
        tmp_path / "x.json",
        env={"MANYLINUX_NIX_OFFLINE": "1"},
    )
    assert code != 0
    assert "offline: the cache has no index page of 'gamma'" in err
    assert not (tmp_path / "x.json").exists()


def test_convert_of_a_lock_with_urls_and_hashes_asks_no_index(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    root = tmp_path / "index"
    root.mkdir()
    wheel = build_wheel(root, "alpha", "1.0")
    server = index_factory(root)
    import hashlib

    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n'
        '[[packages]]\nname = "alpha"\nversion = "1.0"\n'
        f'[[packages.wheels]]\nname = "{wheel.name}"\nurl = "{server.base_url}files/{wheel.name}"\n'
        f'hashes = {{sha256 = "{sha}"}}\n'
    )
    code, _, err = cli("convert", lock, "--python", "3.12", "-o", tmp_path / "out.json")
    assert code == 0, err
    asked = [path for _, path in server.requests if path.startswith("/simple/")]
    assert asked == []
    code, _, err = cli(
        "convert",
        lock,
        "--python",
        "3.12",
        "-o",
        tmp_path / "out2.json",
        "--refresh-index",
        "-i",
        server.url,
    )
    assert code == 0, err
    assert any(path.startswith("/simple/alpha") for _, path in server.requests)


def test_cache_info_and_prune(index_with_wheels: IndexServer, tmp_path: Path) -> None:
    code, _, err = cli(*lock_alpha(index_with_wheels.url, tmp_path / "l.json"))
    assert code == 0, err
    code, out, _ = cli("cache", "info", "--json")
    kinds = json.loads(out)["kinds"]
    assert kinds["files"]["entries"] == 2 and kinds["files"]["bytes"] > 0
    assert kinds["scans"]["entries"] == 2
    code, out, _ = cli("cache", "info")
    assert "files" in out and "entries" in out
    code, _, err = cli("cache", "prune", "--older-than", "30")
    assert code == 0 and "removed 0 entries" in err
    code, _, err = cli("cache", "prune")
    assert code == 0 and "removed" in err
    kinds = json.loads(cli("cache", "info", "--json")[1])["kinds"]
    assert kinds["files"]["entries"] == 0 and kinds["scans"]["entries"] == 2
    code, _, err = cli("cache", "prune", "--all")
    assert code == 0
    kinds = json.loads(cli("cache", "info", "--json")[1])["kinds"]
    assert all(kind["entries"] == 0 for kind in kinds.values())
    code, _, err = cli("cache", "prune", "--older-than", "-1")
    assert code == 2 and "give a number of days" in err


def test_prefetch_hash_only_prints_one_hash_per_target(index_with_wheels: IndexServer) -> None:
    code, out, err = cli(
        "prefetch",
        "beta",
        "-i",
        index_with_wheels.url,
        "--hash-only",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 0, err
    [line] = out.splitlines()
    assert line.startswith("sha256-") and line.endswith("=")


@pytest.mark.skipif(shutil.which("nix-store") is None, reason="needs nix-store")
def test_prefetch_add_puts_the_wheel_in_the_store(index_with_wheels: IndexServer) -> None:
    code, out, err = cli(
        "prefetch",
        "beta",
        "-i",
        index_with_wheels.url,
        "--add",
        "--json",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 0, err
    [result] = json.loads(out)
    store_path = Path(result["store_path"])
    assert store_path.name.endswith(result["filename"]) and store_path.is_file()
    # The path a fixed-output fetch of that name and hash has: Nix computes it the same way.
    expected = subprocess.run(
        ["nix-store", "--print-fixed-path", "sha256", result["sha256"], result["filename"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(store_path) == expected


def test_default_python_comes_from_the_project(
    tmp_path: Path, index_with_wheels: IndexServer
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    args = (
        "lock",
        "alpha",
        "-i",
        index_with_wheels.url,
        "--system",
        "x86_64-linux",
        "--no-inspect",
        "-o",
        "-",
    )
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nrequires-python = ">=3.10,<3.13"\n'
    )
    code, out, err = cli(*args, cwd=project)
    assert code == 0, err
    assert "--python 3.12 (from requires-python" in err
    assert "x86_64-linux/3.12" in json.loads(out)["targets"]
    (project / ".python-version").write_text("3.12.4\n")
    code, out, err = cli(*args, cwd=project)
    assert "--python 3.12 (from .python-version)" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = cli(
        "lock", "beta", "-i", index_with_wheels.url, "--no-inspect", "-o", "-", cwd=empty
    )
    assert "(from" not in err
    # 3.13, the default: the index has only cp312 wheels, so the error names that target.
    assert code == 1 and "3.13" in err


def test_a_wrong_flag_prints_that_subcommands_usage() -> None:
    code, _, err = cli("verify", "--frobnicate", ".")
    assert code == 2
    assert err.startswith("usage: manylinux-nix verify ")
    assert "unrecognized arguments: --frobnicate" in err


def test_inspect_json_is_one_object_per_line(tmp_path: Path) -> None:
    one = build_wheel(
        tmp_path, "alpha", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    two = build_wheel(
        tmp_path, "beta", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    for wheels in ([one], [one, two]):
        code, out, err = cli("inspect", "--json", *wheels)
        assert code == 0, err
        reports = [json.loads(line) for line in out.splitlines()]
        assert [r["wheel"] for r in reports] == [w.name for w in wheels]


@pytest.mark.skipif(shutil.which("nix-store") is None, reason="needs nix-store")
def test_prefetch_add_downloads_once_from_an_index_without_hashes(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    root = tmp_path / "index"
    root.mkdir()
    wheel = build_wheel(root, "beta", "2.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True)
    server = index_factory(root, hashes=False)
    code, out, err = cli(
        "prefetch", "beta", "-i", server.url, "--add", "--json",
        "--python", "3.12", "--system", "x86_64-linux",
    )  # fmt: skip
    assert code == 0, err
    assert Path(json.loads(out)[0]["store_path"]).is_file()
    fetched = [path for method, path in server.requests if path == f"/files/{wheel.name}"]
    assert len(fetched) == 1


def test_output_to_a_device_or_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    """`-o /dev/null` once renamed a regular file over /dev/null (run as root, it broke
    every later program that opened it). A FIFO stands for the device here: it stays a
    FIFO, and what is written comes out of it."""
    import stat
    import threading

    from samples import SAMPLES

    from pyhelpers.cli import main

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    argv = ["convert", str(SAMPLES / "demo" / "uv.lock"), "-o", str(fifo), "-q", "--no-inspect"]
    assert main([*argv, "--offline", "--system", "x86_64-linux", "--python", "3.12"]) == 0
    reader.join(30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["targets"]["x86_64-linux/3.12"]["packages"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]  # no temporary file left
