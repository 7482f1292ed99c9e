"""Hostile input and faults: each a one-line error and a non-zero exit with nothing
changed, or a clean recovery; hostile strings stay literal on the Nix side."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from clitools import Run
from hostpython import KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indexserver import HANG, TRUNCATE, IndexServer, with_credentials
from nixtools import REPO, needs_nix, nix_eval
from wheelfactory import build_wheel

import pyhelpers.inspect.wheel as wheelmod
from pyhelpers.errors import UserError
from pyhelpers.index.simple import parse_html, parse_json
from pyhelpers.inspect.classify import classify
from pyhelpers.inspect.elf import read_elf
from pyhelpers.inspect.wheel import scan_wheel
from pyhelpers.resolve.requirements_txt import parse as parse_requirements
from pyhelpers.wheelfile import check_wheel_filename


@pytest.fixture
def project(wheel_dir: Path) -> Path:
    build_wheel(wheel_dir, "app", "1.0", requires_dist=["dep"])
    build_wheel(wheel_dir, "dep", "1.0")
    return wheel_dir


def one_line_error(err: str) -> None:
    assert err.startswith("manylinux-nix: error: ") and err.count("\n") == 1, err


def test_connection_that_hangs_times_out(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project, faults={"/simple/app/": [HANG]})
    start = time.monotonic()
    code, _, err = run(
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        tmp_path / "l.json",
        "--timeout",
        "1",
        "--retries",
        "0",
    )
    assert code == 1 and time.monotonic() - start < 15
    one_line_error(err)
    assert "no answer" in err or "timed out" in err.lower()


def test_download_cut_off_half_way_then_run_again_completes(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(
        # The first request is the metadata range read (answered 200, so not read), the
        # second the whole-file download, cut off.
        project,
        metadata=False,
        faults={"/files/dep-1.0-py3-none-any.whl": [TRUNCATE, TRUNCATE]},
    )
    out = tmp_path / "l.json"
    code, _, err = run(
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        out,
        "--retries",
        "0",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 1 and not out.exists()
    one_line_error(err)
    assert "dep-1.0-py3-none-any.whl" in err
    code, _, err = run(
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        out,
        "--retries",
        "0",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 0, err
    entry = json.loads(out.read_text())["targets"]["x86_64-linux/3.12"]["packages"]["dep"]
    assert entry["size"] == (project / "dep-1.0-py3-none-any.whl").stat().st_size


class _Redirect(BaseHTTPRequestHandler):
    target = ""
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Redirect.seen.append(dict(self.headers.items()))
        self.send_response(302)
        self.send_header("Location", self.target + self.path.removeprefix("/simple/"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_redirect_to_another_host_does_not_carry_credentials(
    project: Path,
    index_factory: Callable[..., IndexServer],
    run: Run,
    tmp_path: Path,
    redirector: ThreadingHTTPServer,
) -> None:
    index = index_factory(project)
    # "localhost" is another host name than 127.0.0.1 for the client.
    _Redirect.target = index.url.replace("127.0.0.1", "localhost")
    _Redirect.seen = []
    start = with_credentials(f"http://127.0.0.1:{redirector.server_port}/simple/", "u", "pw")
    code, _, err = run(
        "lock",
        "app",
        "-i",
        start,
        "-o",
        tmp_path / "l.json",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "--no-deps",
    )
    assert code == 0, err
    assert any("Authorization" in h for h in _Redirect.seen)
    assert not any("Authorization" in h for h in index.headers_seen)


def test_zip_bomb_is_refused_by_its_declared_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whl = tmp_path / "bomb-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb/zeros.bin", b"\0" * (4 << 20))
    assert whl.stat().st_size < 64 << 10
    monkeypatch.setattr(wheelmod, "MAX_INFLATED", 1 << 20)
    with pytest.raises(UserError, match="inflates to more than"):
        scan_wheel(whl)


def test_member_names_with_dotdot_or_absolute_paths_are_never_written(tmp_path: Path) -> None:
    whl = tmp_path / "evil-1.0-py3-none-any.whl"
    outside = tmp_path / "escaped"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("../escaped", b"\x7fELF not really")
        zf.writestr(str(outside), b"x")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(UserError):  # the ELF magic with a broken body is a damaged ELF
        scan_wheel(whl)
    assert sorted(tmp_path.rglob("*")) == before and not outside.exists()


@pytest.mark.parametrize(
    "name", ["foo.whl", "foo-1.0.whl", "foo-1.0-py3-none.whl", "-1-py3-none-any.whl"]
)
def test_invalid_wheel_file_names_are_named(name: str) -> None:
    with pytest.raises(UserError, match="is not a valid wheel file name"):
        check_wheel_filename(name)


def test_ctrl_c_during_lock_leaves_the_old_lock(
    project: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    index = index_factory(project, faults={"/simple/app/": [HANG]})
    out = tmp_path / "wheels.lock.json"
    out.write_text("old lock\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyhelpers.cli",
            "lock",
            "app",
            "-i",
            index.url,
            "-o",
            str(out),
            "--timeout",
            "20",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not any(p == "/simple/app/" for _, p in index.requests) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "interrupted; no file was changed" in err
    assert out.read_text() == "old lock\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "wheels") == ["wheels.lock.json"]


def _after_our_handler(err: str) -> bool:
    """Whether a traceback runs through our code once the quiet handler could exist:
    anywhere but pyhelpers/__init__.py's first statements, before it installs the
    handler, where Python's own is still in place (a window of microseconds that a slow
    machine's SIGINT can hit, and that no package can close)."""
    ours = [f for f in re.findall(r'File "([^"]+)", line \d+', err) if "pyhelpers" in f]
    return bool(ours) and not all(
        f.endswith(os.path.join("pyhelpers", "__init__.py")) for f in ours
    )


def test_ctrl_c_at_any_moment_of_start_up_is_quiet() -> None:
    """SIGINT at 40 moments of start-up (imports, parsing, the run, exit): exit 130 and
    no traceback once our first line has run. `-S` keeps Python's own start-up (site,
    which no package of ours can reach) short, so the moments fall in ours."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]]),
    }
    codes = []
    for step in range(40):
        proc = subprocess.Popen(
            [sys.executable, "-S", "-m", "pyhelpers.cli", "lock", "--help"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(step * 0.004)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert not _after_our_handler(err), err  # a traceback through our code
        if proc.returncode == 130:
            assert err == "manylinux-nix: interrupted; no file was changed\n", err
        codes.append(proc.returncode)
    # Some landed in our start-up, some after the help was printed (0).
    assert 130 in codes, codes


def test_concurrent_runs_sharing_the_cache_do_not_corrupt_it(
    project: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    index = index_factory(project, metadata=False)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "shared-cache")}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pyhelpers.cli",
                "lock",
                "app",
                "-i",
                index.url,
                "-o",
                str(tmp_path / f"l{i}.json"),
                "-q",
                "--python",
                "3.12",
                "--system",
                "x86_64-linux",
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    texts = {(tmp_path / f"l{i}.json").read_text() for i in range(4)}
    assert len(texts) == 1
    files = [p for p in (tmp_path / "shared-cache").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith((".part", ".tmp"))]
    for whl in (p for p in files if p.suffix == ".whl"):
        assert whl.read_bytes() == (project / whl.name).read_bytes()


@needs_nix
def test_hostile_strings_in_a_lock_stay_literal_in_nix(tmp_path: Path) -> None:
    nasty = 'x"; ${builtins.abort "pwned"} \\ \n\'\' ${toString 1}'
    lock = {
        "version": 1,
        "requirements": [nasty],
        "targets": {
            KEY: {
                "packages": {
                    "app": {
                        "name": "app",
                        "version": "1.0",
                        "filename": "app-1.0-py3-none-any.whl",
                        "url": "https://example.invalid/" + nasty,
                        "hash": "sha256-" + "A" * 43 + "=",
                        "dependencies": [],
                        "facts": {"external": [], "modules": []},
                    }
                }
            }
        },
    }
    path = tmp_path / "wheels.lock.json"
    path.write_text(json.dumps(lock))
    nixlib = f"(import {REPO}/nixlib {{ lib = import {REPO}/tests/nix/lib.nix; }})"
    got = nix_eval(
        f"let l = {nixlib}.readLock {path}; in [ (builtins.head l.requirements) "
        f'l.targets."{KEY}".packages.app.url ]'
    )
    assert got == [nasty, "https://example.invalid/" + nasty]
    url = nix_eval(
        f"(import {REPO}/tests/nix/wheelset.nix {{ lockFile = {path}; "
        f'hostPython = "{sys.executable}"; patchelf = "x"; }}).app.src.url'
    )
    assert url == "https://example.invalid/" + nasty


# Fuzzing: a fixed budget, and nothing but our own one-line errors may come out.
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@FUZZ
@given(st.text(max_size=80))
def test_fuzz_wheel_file_names(name: str) -> None:
    try:
        check_wheel_filename(name)
    except UserError as exc:
        assert "\n" not in str(exc).replace(repr(name), "")


@FUZZ
@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=5))
def test_fuzz_elf_reader(body: bytes, variant: int) -> None:
    header = [
        b"\x7fELF\x02\x01\x01",
        b"\x7fELF\x01\x01\x01",
        b"\x7fELF\x02\x02\x01",
        b"\x7fELF",
        b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + b"\x03\x00\x3e\x00",
        b"",
    ][variant]
    try:
        read_elf(io.BytesIO(header + body), "fuzz.so")
    except UserError as exc:
        assert "fuzz.so: damaged ELF file" in str(exc)


@FUZZ
@given(st.text(max_size=400))
def test_fuzz_simple_api_pages(text: str) -> None:
    with contextlib.suppress(UserError):
        parse_json(text, "http://127.0.0.1/simple/x/", "page")
    parse_html(text, "http://127.0.0.1/simple/x/")


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_requirements_files(text: str) -> None:
    path = Path(f"/tmp/mnx-fuzz-{os.getpid()}-{threading.get_ident()}.txt")
    try:
        path.write_text(text)
        parse_requirements(path)
    except UserError as exc:
        assert "\n" not in str(exc)
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize(
    ("pattern", "arch", "bits"),
    [
        ("MarkupSafe-3.0.2-cp312-cp312-manylinux_2_5_i686*", "i686", 32),
        ("charset_normalizer-*s390x*", "s390x", 64),
    ],  # s390x is big-endian
)
def test_32_bit_and_big_endian_elf(pattern: str, arch: str, bits: int, tmp_path: Path) -> None:
    real = Path(__file__).resolve().parent / ".real-wheels"
    found = sorted(real.glob(pattern + ".whl"))
    if not found:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    scan = scan_wheel(found[0])
    assert {(e.arch, e.bits) for e in scan.elves} == {(arch, bits)}
    assert classify(scan)["policy"]["holds"] is True
    # The same ELF in a wheel that claims x86_64: the wrong architecture, named.
    with zipfile.ZipFile(found[0]) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".so"))
        data = zf.read(member)
    wrong = build_wheel(
        tmp_path,
        "wrong",
        "1.0",
        "cp312-cp312-manylinux_2_17_x86_64",
        extra_files={"wrong/x.so": data},
    )
    with pytest.raises(
        UserError, match=rf"built for {arch} \({bits}-bit\), but the wheel claims x86_64"
    ):
        classify(scan_wheel(wrong))


@pytest.mark.parametrize("text", ["numpy[", "foo @ https://host/foo.whl", "a b c"])
def test_invalid_requirement_on_the_command_line_is_a_usage_error(text: str, run: Run) -> None:
    code, _, err = run("lock", text, "-o", "-")
    assert code == 2
    one_line_error(err)
    assert "command line:" in err and ("invalid requirement" in err or "direct URL" in err)
