"""A sweep of hostile indexes, caches and files: no credential leaks, no silently wrong
lock, no hang or memory blow-up, one clear line instead of a traceback, and names that
cannot lie. Every server here is on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from clitools import Run
from elfbuild import compile_so
from hostmarks import needs_unshare, needs_x86_64
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indexserver import IndexServer, with_credentials
from wheelfactory import build_wheel

from pyhelpers import cache
from pyhelpers.errors import UserError
from pyhelpers.index import pages
from pyhelpers.index.simple import parse_html
from pyhelpers.inspect.elf import read_elf

SECRET = "s3cr'et-token"
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

Handler = Callable[[BaseHTTPRequestHandler], None]


class Scripted:
    """A server whose GET answers are written by the test, per path prefix."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        routes_ = routes

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                for prefix, handle in routes_.items():
                    if self.path.startswith(prefix):
                        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                            handle(self)
                        return
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[[dict[str, Handler]], Scripted]]:
    servers: list[Scripted] = []

    def start(routes: dict[str, Handler]) -> Scripted:
        servers.append(Scripted(routes))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("manylinux-nix: error: "), err
    assert "Traceback" not in err, err


def lock_args(index: str, out: Path, *extra: str) -> list[str]:
    return ["lock", "app", "-i", index, "-o", str(out), "--system", "x86_64-linux",
            "--python", "3.12", *extra]  # fmt: skip


# --- credentials ------------------------------------------------------------------


def grep_everywhere(secret: str, *texts: str) -> None:
    cache = Path(os.environ["XDG_CACHE_HOME"])
    for text in texts:
        assert secret not in text
    for path in cache.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_file_links_that_echo_credentials_never_reach_the_lock_or_cache(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_wheel(wheel_dir, "app", "1.0")
    index = index_factory(wheel_dir, auth=("user", SECRET), echo_credentials=True)
    out = tmp_path / "l.json"
    code, stdout, err = run(*lock_args(with_credentials(index.url, "user", SECRET), out))
    assert code == 0, err
    lock = out.read_text()
    grep_everywhere("s3cr", lock, stdout, err)
    assert "/files/app-1.0-py3-none-any.whl" in lock


def test_convert_of_a_lock_whose_urls_carry_credentials_writes_none(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    whl = build_wheel(wheel_dir, "app", "1.0")
    index = index_factory(wheel_dir, auth=("user", SECRET))
    url = with_credentials(f"{index.base_url}files/{whl.name}", "user", SECRET)
    digest = __import__("hashlib").sha256(whl.read_bytes()).hexdigest()
    (tmp_path / "uv.lock").write_text(
        'version = 1\nrequires-python = ">=3.11"\n'
        f'[[package]]\nname = "app"\nversion = "1.0"\n'
        f'source = {{ registry = "{with_credentials(index.url, "user", SECRET)}" }}\n'
        f'wheels = [{{ url = "{url}", hash = "sha256:{digest}" }}]\n'
    )
    out = tmp_path / "l.json"
    code, stdout, err = run("convert", tmp_path / "uv.lock", "-o", out, "--python", "3.12",
                            "--system", "x86_64-linux")  # fmt: skip
    assert code == 0, err
    grep_everywhere("s3cr", out.read_text(), stdout, err)


def test_a_broken_requirements_line_with_credentials_is_not_echoed(
    run: Run, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f'--index-url "https://user:{SECRET}@pypi.example/simple\napp\n')
    code, stdout, err = run("lock", "-r", reqs, "-o", tmp_path / "l.json")
    assert code == 1
    one_line_error(err)
    assert "s3cr" not in err + stdout


# --- a damaged cache never gives a wrong lock ------------------------------------


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garble":
        path.write_bytes(data.replace(b"Requires-Dist", b"Requires-Dust").replace(b"dep", b"ped"))
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncate", "garble", "directory", "empty"])
def test_a_damaged_metadata_or_scan_entry_is_made_again(
    how: str, wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_wheel(wheel_dir, "app", "1.0", requires_dist=["dep"])
    build_wheel(wheel_dir, "dep", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True)
    index = index_factory(wheel_dir)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert run(*lock_args(index.url, first))[0] == 0
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "manylinux-nix"
    entries = [*(cache / "metadata").iterdir(), *(cache / "scans").iterdir()]
    assert entries
    for entry in entries:
        damage(entry, how)
    code, _, err = run(*lock_args(index.url, second))
    assert code == 0, err
    assert second.read_text() == first.read_text()
    deps = json.loads(second.read_text())["targets"]["x86_64-linux/3.12"]["packages"]["app"]
    assert deps["dependencies"] == ["dep"]


@pytest.mark.parametrize(
    "entry",
    [
        {"expires": "tomorrow"},
        {"body": None},
        {"etag": 7},
        "not a page",
    ],
)
def test_a_page_entry_of_the_wrong_shape_is_fetched_again(entry: Any, tmp_path: Path) -> None:
    url = "http://127.0.0.1:1/simple/app/"
    good = {
        "url": url,
        "final_url": url,
        "content_type": "text/html",
        "body": "",
        "etag": None,
        "last_modified": None,
        "expires": time.time() + 600,
    }
    data = {**good, **entry} if isinstance(entry, dict) else entry
    cache.write_entry(cache.cache_dir("pages") / pages._path(url), json.dumps(data).encode())
    assert pages.load(url) is None
    cache.write_entry(cache.cache_dir("pages") / pages._path(url), json.dumps(good).encode())
    assert pages.load(url) is not None


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_cache_entries_are_a_page_or_nothing(raw: bytes) -> None:
    url = "http://127.0.0.1:1/simple/fuzz/"
    path = cache.cache_dir("pages") / pages._path(url)
    path.write_bytes(raw)
    page = pages.load(url)
    assert page is None or (isinstance(page.body, str) and isinstance(page.expires, (int, float)))


# --- hangs and memory --------------------------------------------------------------


def drip(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b"<")
        handler.wfile.flush()
        time.sleep(1)


def header_drip(handler: BaseHTTPRequestHandler) -> None:
    """A byte a second of the status line and headers: no socket read ever times out."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 100:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(1)


def silent(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(120)


def retry_after(handler: BaseHTTPRequestHandler) -> None:
    send(handler, b"busy", 503, {"Retry-After": "3600"})


def gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as out:
        block = b"<" * (1 << 20)
        for _ in range(2048):  # 2 GiB inflated
            out.write(block)
    send(handler, raw.getvalue(), 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"})


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (drip, "stalled"),
        (header_drip, "no answer within 2 s"),
        (silent, "no answer within 2 s"),
        (retry_after, "asked to wait 3600 s"),
    ],
)
def test_a_slow_or_stubborn_server_ends_in_bounded_time(
    route: Handler,
    words: str,
    scripted: Callable[[dict[str, Handler]], Scripted],
    run: Run,
    tmp_path: Path,
) -> None:
    server = scripted({"/simple/": route})
    start = time.monotonic()
    code, _, err = run(
        *lock_args(f"{server.url}/simple/", tmp_path / "l.json", "--timeout", "2", "--retries", "2")
    )
    elapsed = time.monotonic() - start
    assert code == 1
    one_line_error(err)
    assert words in err
    assert elapsed < 40, elapsed  # the deadline over all retries: 4 x 2 s, at least 30 s


def test_a_header_drip_ends_within_the_promised_bound(
    scripted: Callable[[dict[str, Handler]], Scripted], run: Run, tmp_path: Path
) -> None:
    """The README: at most 4x the timeout, 30 s at least, per URL, whatever the server."""
    server = scripted({"/simple/": header_drip})
    start = time.monotonic()
    code, _, err = run(*lock_args(f"{server.url}/simple/", tmp_path / "l.json", "--timeout", "5"))
    elapsed = time.monotonic() - start
    assert code == 1
    one_line_error(err)
    assert "no answer within 5 s" in err or "within the 30 s one URL gets" in err, err
    assert elapsed < 35, elapsed


def test_a_retry_after_beyond_the_cap_ends_the_run_at_once(
    scripted: Callable[[dict[str, Handler]], Scripted], run: Run, tmp_path: Path
) -> None:
    """With the default timeout the deadline would allow a 60 s wait; we do not wait."""
    server = scripted({"/simple/": retry_after})
    start = time.monotonic()
    code, _, err = run(*lock_args(f"{server.url}/simple/", tmp_path / "l.json", "--retries", "2"))
    assert time.monotonic() - start < 10
    assert code == 1
    # Only the last line is ours: the test server may log the connection we dropped.
    last = err.strip().splitlines()[-1]
    assert last.startswith("manylinux-nix: error: ")
    assert "the index asked to wait 3600 s, more than the 60 s we wait" in last
    assert "retrying" not in err


def test_a_timeout_message_names_the_time_that_applied(
    scripted: Callable[[dict[str, Handler]], Scripted],
) -> None:
    """--timeout 5 cut short by the URL's deadline says the deadline, not a made-up 3 s."""
    from pyhelpers.index.http import HttpClient

    class ShortDeadline(HttpClient):
        @property
        def deadline(self) -> float:
            return 3.0

    server = scripted({"/simple/": silent})
    with pytest.raises(UserError) as info:
        ShortDeadline(timeout=(5.0, 5.0), retries=0).get(f"{server.url}/simple/")
    assert "no answer within the 3 s one URL gets over all its tries" in str(info.value)
    with pytest.raises(UserError) as info:
        HttpClient(timeout=(1.0, 1.5), retries=0).get(f"{server.url}/simple/")
    assert "no answer within 1.5 s" in str(info.value)


def test_a_gzip_bomb_is_refused_in_bounded_memory(
    scripted: Callable[[dict[str, Handler]], Scripted], tmp_path: Path
) -> None:
    server = scripted({"/simple/": gzip_bomb})
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss keeps the parent's peak.
    code = (
        "import re, sys; from pyhelpers.cli import main; "
        f"rc = main({lock_args(f'{server.url}/simple/', tmp_path / 'l.json')!r}); "
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]); "
        "sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 1
    one_line_error(done.stderr)
    assert "MiB (decoded)" in done.stderr
    assert int(done.stdout.split()[-1]) < 400 * 1024, done.stdout  # KiB


def test_html_is_parsed_in_linear_time() -> None:
    """html.parser re-scans the rest of a page at every unclosed tag or quote."""
    hostile = ['<a href="x' * 200_000, "<a " * 400_000, "<a href=y>" + "&amp;" * 400_000]
    for page in hostile:
        start = time.monotonic()
        parse_html(page, "http://127.0.0.1/simple/x/")
        small = time.monotonic() - start
        start = time.monotonic()
        parse_html(page * 4, "http://127.0.0.1/simple/x/")
        large = time.monotonic() - start
        assert large < 12 * max(small, 0.05), (small, large)


def _version_r(path: Path) -> tuple[int, int, int]:
    """(section header offset, section offset, size) of .gnu.version_r in a 64-bit ELF."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as handle:
        elf = ELFFile(handle)
        for index, section in enumerate(elf.iter_sections()):
            if section.name == ".gnu.version_r":
                header = elf["e_shoff"] + index * elf["e_shentsize"]
                return header, section["sh_offset"], section["sh_size"]
    raise AssertionError("no .gnu.version_r")


@needs_x86_64
@pytest.mark.parametrize("mutation", ["counts", "cycle"])
def test_hostile_version_sections_end_in_bounded_time(
    mutation: str, tmp_path: Path, run: Run
) -> None:
    so = compile_so(tmp_path / "site/libv.so", '#include <stdio.h>\nvoid f(void) { puts("x"); }\n')
    header, offset, _size = _version_r(so)
    data = bytearray(so.read_bytes())
    if mutation == "counts":
        struct.pack_into("<H", data, offset + 2, 0xFFFF)  # vn_cnt
        struct.pack_into("<I", data, header + 0x2C, 0xFFFFFFFF)  # sh_info: the entry count
    else:
        aux = offset + struct.unpack_from("<I", data, offset + 8)[0]
        struct.pack_into("<I", data, aux + 12, (-16) & 0xFFFFFFFF)  # vna_next: back to itself - 16
        struct.pack_into("<I", data, offset + 12, 0)  # vn_next: 0 ends the chain
    so.write_bytes(bytes(data))
    start = time.monotonic()
    try:
        read_elf(io.BytesIO(bytes(data)), "libv.so")
    except UserError as exc:
        assert "damaged ELF file" in str(exc)
    _, _, err = run("verify", tmp_path / "site", "--glibc-dir", "/lib/x86_64-linux-gnu")
    assert "Traceback" not in err
    assert time.monotonic() - start < 20


@needs_x86_64
@FUZZ
@given(st.integers(min_value=0, max_value=255), st.integers(min_value=0), st.integers(0, 3))
def test_fuzz_version_sections(position: int, value: int, width: int) -> None:
    so = _FUZZ_SO()
    _, offset, size = _version_r(so)
    data = bytearray(so.read_bytes())
    at = offset + position % max(size, 1)
    fmt = ["<B", "<H", "<I", "<Q"][width]
    struct.pack_into(fmt, data, min(at, len(data) - 8), value % (1 << (8 * struct.calcsize(fmt))))
    start = time.monotonic()
    try:
        read_elf(io.BytesIO(bytes(data)), "fuzz.so")
    except UserError as exc:
        assert "damaged ELF file" in str(exc)
    assert time.monotonic() - start < 5


def _fuzz_so_builder() -> Callable[[], Path]:
    built: list[Path] = []

    def get() -> Path:
        if not built:
            folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"fuzz-so-{os.getpid()}"
            built.append(
                compile_so(folder / "libv.so", '#include <stdio.h>\nvoid f(void) { puts("x"); }\n')
            )
        return built[0]

    return get


_FUZZ_SO = _fuzz_so_builder()


# --- one clear line, never a traceback ----------------------------------------------


def nested_json(handler: BaseHTTPRequestHandler) -> None:
    body = b'{"meta": {"api-version": "1.1"}, "files": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    send(handler, body, 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"})


def test_a_json_page_nested_too_deeply_is_one_line(
    scripted: Callable[[dict[str, Handler]], Scripted], run: Run, tmp_path: Path
) -> None:
    server = scripted({"/simple/": nested_json})
    code, _, err = run(*lock_args(f"{server.url}/simple/", tmp_path / "l.json"))
    assert code == 1
    one_line_error(err)
    assert "nested too deeply" in err


def _requirements(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _chain_of_includes(tmp: Path) -> Path:
    for i in range(80):
        _requirements(tmp, f"r{i}.txt", f"-r r{i + 1}.txt\n")
    return tmp / "r0.txt"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda t: _requirements(t, "r.txt", "app ; " + "(" * 5000 + 'os_name == "x"' + ")" * 5000),
         "nested too deeply"),
        (lambda t: _requirements(t, "r.txt", 'app ; python_version ~= "foo"\n'),
         "fix the requirement"),
        (lambda t: _requirements(t, "r.txt", b"app\xff\n"), "not UTF-8"),
        (lambda t: _requirements(t, "r.txt", "-r r.txt\n"), "includes itself"),
        (_chain_of_includes, "more than 64 deep"),
    ],
)  # fmt: skip
def test_hostile_requirements_files_are_one_line(
    make: Callable[[Path], Path], words: str, run: Run, tmp_path: Path
) -> None:
    code, _, err = run("lock", "-r", make(tmp_path), "-o", tmp_path / "l.json")
    assert code == 1
    one_line_error(err)
    assert words in err


@pytest.mark.parametrize(
    "index",
    ["http://[::1/simple/", "http://127.0.0.1:99999/simple/", "http://127.0.0.1:port/simple/"],
)
def test_a_malformed_index_url_is_one_line(index: str, run: Run, tmp_path: Path) -> None:
    code, _, err = run(*lock_args(index, tmp_path / "l.json"))
    assert code == 1
    one_line_error(err)
    assert "is not a valid URL" in err


def test_a_dependency_marker_that_cannot_be_evaluated_names_the_wheel(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_wheel(wheel_dir, "app", "1.0", requires_dist=['dep ; python_version ~= "foo"'])
    index = index_factory(wheel_dir)
    code, _, err = run(*lock_args(index.url, tmp_path / "l.json"))
    assert code == 1
    one_line_error(err)
    assert "app-1.0-py3-none-any.whl" in err and "pin another version" in err


def _damaged(wheel: Path, how: str) -> Path:
    """``wheel`` with its native member's data garbled, LZMA-compressed and garbled, or
    flagged as encrypted."""
    out = wheel.parent / how / wheel.name
    out.parent.mkdir()
    if how == "lzma":
        with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_LZMA)
        wheel = out
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(".so"))
    if how == "encrypted":
        data[info.header_offset + 6] |= 1
        central = data.find(b"PK\x01\x02")
        while central >= 0:
            length = struct.unpack_from("<H", data, central + 28)[0]
            if data[central + 46 : central + 46 + length].endswith(b".so"):
                data[central + 8] |= 1
            central = data.find(b"PK\x01\x02", central + 4)
    else:
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 16
        for i in range(32):
            data[start + i] ^= 0x55
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    ("how", "words"),
    [("deflate", "Error -"), ("lzma", "Corrupt input data"), ("encrypted", "encrypted")],
)
def test_a_damaged_member_is_one_line(how: str, words: str, run: Run, tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path, "dep", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    code, _, err = run("inspect", _damaged(wheel, how))
    assert code == 1
    one_line_error(err)
    assert words in err and "the wheel is corrupt" in err


def _site(tmp: Path, name: str = "_x.so") -> Path:
    venv = tmp / "venv"
    (venv / "pyvenv.cfg").parent.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    compile_so(venv / "lib/python3.12/site-packages/pkg" / name, "int f(void) { return 1; }\n",
               add_needed=("libstdc++.so.6",))  # fmt: skip
    return venv


HOST_LIBS = "/usr/lib/x86_64-linux-gnu"


@needs_x86_64
@pytest.mark.parametrize(
    ("patchelf", "words"),
    [("/bin/false", "patchelf could not set its RUNPATH"), ("/nonexistent", "cannot run patchelf")],
)
def test_fix_venv_with_a_broken_patchelf_is_one_line(
    patchelf: str, words: str, run: Run, tmp_path: Path
) -> None:
    code, _, err = run("fix-venv", _site(tmp_path), "--lib-dir", HOST_LIBS, "--patchelf", patchelf)
    assert code == 1
    one_line_error(err)
    assert words in err


@needs_x86_64
@needs_unshare
def test_fix_venv_on_a_read_only_venv_is_one_line(tmp_path: Path) -> None:
    venv = _site(tmp_path)
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         f'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && exec "$2" -m '
         f"pyhelpers fix-venv \"$1\" --lib-dir {HOST_LIBS}", "sh", str(venv), sys.executable],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    one_line_error(done.stderr)
    assert "Read-only file system" in done.stderr


def test_verify_does_not_block_on_a_fifo(run: Run, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.so")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libx.so").symlink_to(tmp_path / "pipe.so")
    start = time.monotonic()
    for target in (tmp_path / "pipe.so", tmp_path / "lib"):
        _, _, err = run("verify", target, "--glibc-dir", HOST_LIBS)
        assert "Traceback" not in err
    assert time.monotonic() - start < 20


def _loop(tmp: Path) -> Path:
    (tmp / "a").symlink_to(tmp / "b")
    (tmp / "b").symlink_to(tmp / "a")
    return tmp / "a"


def _file(tmp: Path) -> Path:
    (tmp / "cache").write_text("not a folder")
    return tmp / "cache"


@pytest.mark.parametrize(
    ("make", "words"), [(_file, "Not a directory"), (_loop, "Too many levels of symbolic links")]
)
def test_an_unusable_cache_folder_is_one_line(
    make: Callable[[Path], Path],
    words: str,
    wheel_dir: Path,
    index_factory: Callable[..., IndexServer],
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_wheel(wheel_dir, "app", "1.0")
    index = index_factory(wheel_dir)
    monkeypatch.setenv("XDG_CACHE_HOME", str(make(tmp_path)))
    code, _, err = run(*lock_args(index.url, tmp_path / "l.json"))
    assert code == 1
    one_line_error(err)
    assert words in err and "XDG_CACHE_HOME" in err


@needs_unshare
@pytest.mark.parametrize(
    ("mount", "words"),
    [
        ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"', "Read-only file system"),
        ('mount -t tmpfs -o size=64k tmpfs "$1" && head -c 1M /dev/zero > "$1/fill"; true',
         "No space left on device"),
    ],
)  # fmt: skip
def test_a_read_only_or_full_cache_is_one_line_and_the_lock_untouched(
    mount: str,
    words: str,
    wheel_dir: Path,
    index_factory: Callable[..., IndexServer],
    tmp_path: Path,
) -> None:
    build_wheel(wheel_dir, "app", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True)
    index = index_factory(wheel_dir)
    cache = tmp_path / "cache"
    cache.mkdir()
    out = tmp_path / "l.json"
    out.write_text("the old lock\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mount} && shift && exec "$@"', "sh", str(cache),
         sys.executable, "-m", "pyhelpers", *lock_args(index.url, out)],
        capture_output=True, text=True, check=False, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    one_line_error(done.stderr)
    assert words in done.stderr
    assert out.read_text() == "the old lock\n"


# --- names that cannot lie ----------------------------------------------------------


def hostile_names(real: bytes) -> Handler:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/files/"):
            send(handler, real, 200, {"Content-Type": "application/octet-stream"})
            return
        digest = __import__("hashlib").sha256(real).hexdigest()
        names = [
            "app-1.0-py3-none-any.whl",
            "app-2.0-py3-none-any.whl\x00.txt",
            "app-3.0-py3-none-any.whl\n/etc/passwd",
            "app-4.0-py3-none-any.whl\u2028",
        ]
        files = [
            {"filename": name, "url": f"/files/{i}", "hashes": {"sha256": digest}}
            for i, name in enumerate(names)
        ]
        body = json.dumps({"meta": {"api-version": "1.1"}, "name": "app", "files": files}).encode()
        send(handler, body, 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"})

    return handle


def test_control_characters_in_index_file_names_never_reach_the_lock(
    wheel_dir: Path, scripted: Callable[[dict[str, Handler]], Scripted], run: Run, tmp_path: Path
) -> None:
    real = build_wheel(wheel_dir, "app", "1.0").read_bytes()
    route = hostile_names(real)
    server = scripted({"/simple/": route, "/files/": route})
    out = tmp_path / "l.json"
    code, _, err = run(*lock_args(f"{server.url}/simple/", out))
    assert code == 0, err
    lock = out.read_text()
    assert "app-1.0-py3-none-any.whl" in lock
    assert not re.search(r"\\u0000|\\n/etc|\\u2028|app-[234]\.0", lock), lock


@needs_x86_64
def test_a_newline_in_a_venv_file_name_cannot_forge_output_lines(run: Run, tmp_path: Path) -> None:
    venv = _site(tmp_path, "_x.so\nmanylinux-nix: error: forged")
    code, out, err = run("fix-venv", venv, "--check")
    assert code == 1
    assert "\\n" in err
    assert not any(
        line.startswith("manylinux-nix: error: forged") for line in (out + err).splitlines()
    )
    code, out, err = run("verify", venv, "--glibc-dir", HOST_LIBS)
    assert not any(
        line.startswith("manylinux-nix: error: forged") for line in (out + err).splitlines()
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--timeout", "0"], "from 0.1 to 3600"),
        (["--timeout", "-1"], "from 0.1 to 3600"),
        (["--timeout", "nan"], "from 0.1 to 3600"),
        (["--timeout", "inf"], "from 0.1 to 3600"),
        (["--retries", "-1"], "give 0 to 20 retries"),
        (["--glibc", "2.99999999999999999999"], "up to 99"),
        (["--glibc", "99999999999999999999.1"], "up to 99"),
        (["--glibc", "2.-1"], "is not a version"),
        (["--python", "3.99999999999999999999"], "3.99999999999999999999"),
    ],
)
def test_out_of_range_options_are_one_line(
    args: list[str], words: str, run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    try:
        code, _, err = run(*lock_args("http://127.0.0.1:1/simple/", tmp_path / "l.json", *args))
    except SystemExit as exc:  # argparse's own usage error: usage, then one error line
        code, err = int(str(exc.code)), capsys.readouterr().err
    assert code in (1, 2)
    assert "Traceback" not in err
    assert words in err.strip().splitlines()[-1], err


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
PAGE_KEYS = st.sampled_from(["meta", "files", "name", "versions"])
FILE_KEYS = st.sampled_from(
    [
        "filename",
        "url",
        "hashes",
        "requires-python",
        "yanked",
        "core-metadata",
        "size",
        "dist-info-metadata",
    ]
)


@FUZZ
@given(
    st.dictionaries(PAGE_KEYS, JSON_VALUES),
    st.lists(st.dictionaries(FILE_KEYS, JSON_VALUES), max_size=4),
    st.sampled_from(["1.0", "1.1", 1, None, [], {}]),
)
def test_fuzz_json_pages_of_the_right_shape_but_wrong_types(
    page: dict[str, Any], files: list[dict[str, Any]], version: Any
) -> None:
    """A JSON page is a list of files or a UserError, whatever its values' types."""
    from pyhelpers.index.simple import parse_json

    doc = {**page, "meta": {"api-version": version}, "files": files}
    for body in (doc, {**doc, "meta": page.get("meta")}):
        try:
            found = parse_json(json.dumps(body), "http://127.0.0.1/simple/x/", "page")
        except UserError as exc:
            assert "\n" not in str(exc)
            continue
        for file in found:
            assert isinstance(file.filename, str) and "\x00" not in file.filename
            assert file.url.startswith("http://127.0.0.1/")


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.text(max_size=40),
            st.dictionaries(
                st.sampled_from(
                    ["href", "data-requires-python", "data-yanked", "data-core-metadata"]
                ),
                st.text(max_size=40),
            ),
        ),
        max_size=5,
    )
)
def test_fuzz_html_anchors(anchors: list[tuple[str, dict[str, str]]]) -> None:
    import html as htmllib

    page = "".join(
        "<a "
        + " ".join(f'{k}="{htmllib.escape(v)}"' for k, v in attrs.items())
        + f">{htmllib.escape(text)}</a>\n"
        for text, attrs in anchors
    )
    for file in parse_html(page, "http://127.0.0.1/simple/x/"):
        assert "\x00" not in file.filename and "\n" not in file.filename
        assert file.url.startswith("http://127.0.0.1/")


@pytest.mark.parametrize(
    "url",
    ["https://[::1/six-1.16.0-py3-none-any.whl", "https://host:99999/six-1.16.0-py3-none-any.whl"],
)
def test_a_bad_host_in_a_uv_lock_wheel_url_is_one_line(url: str, run: Run, tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\nrequires-python = ">=3.11"\n[[package]]\nname = "six"\nversion = "1.16.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        f'wheels = [{{ url = "{url}", hash = "sha256:{"0" * 64}" }}]\n'
    )
    code, _, err = run("convert", tmp_path / "uv.lock", "-o", tmp_path / "l.json", "--no-inspect")
    assert code == 1
    one_line_error(err)
    assert "uv.lock" in err


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("nope.whl", "nope.whl: no such file"),
        ("./nope", "./nope: no such file"),
        ("/tmp", "/tmp: a folder; inspect takes a wheel file"),
    ],
)
def test_inspect_of_a_path_that_is_no_wheel_is_named_as_a_path(
    source: str, words: str, run: Run, tmp_path: Path
) -> None:
    code, _, err = run("inspect", source)
    assert code == 2
    one_line_error(err)
    assert words in err and "unknown package" not in err and "invalid requirement" not in err


def test_inspect_of_a_fifo_is_refused_without_blocking(run: Run, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.whl")
    code, _, err = run("inspect", tmp_path / "pipe.whl")
    assert code == 2
    assert "not a regular file" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["numpy==="], "'numpy===' has no version after '==='"),
        (["numpy", "--glibc", "1.0"], "glibc versions are 2.x"),
        (["numpy", "--glibc", "3.0"], "glibc versions are 2.x"),
    ],
)
def test_bad_lock_arguments_are_one_line(args: list[str], words: str, run: Run) -> None:
    code, _, err = run("lock", *args, "-o", "-", "-i", "http://127.0.0.1:1/simple/")
    assert code in (1, 2)
    one_line_error(err)
    assert words in err


def body_drip(body: bytes, content_type: str) -> Handler:
    """A correct Content-Length, then the body a byte a second, and `Connection: close`
    (as an HTTP/1.0 server answers): http.client then reads from a file of the socket,
    not through the connection, where the stall watchdog once looked for it."""

    def handle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(1)

    return handle


def _dripping_index(tmp: Path, part: str) -> tuple[dict[str, Handler], bytes]:
    """An index of one pure wheel `app` where ``part`` (page, metadata or wheel) drips."""
    wheel = build_wheel(tmp / "w", "app", "1.0")
    data = wheel.read_bytes()
    metadata = b"Metadata-Version: 2.1\nName: app\nVersion: 1.0\n"
    page = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "app",
            "files": [
                {
                    "filename": wheel.name,
                    "url": f"/files/{wheel.name}",
                    "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                    "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()},
                }
            ],
        }
    ).encode()
    page_type = "application/vnd.pypi.simple.v1+json"
    parts: dict[str, tuple[str, bytes, str]] = {
        "page": ("/simple/app/", page, page_type),
        "metadata": (f"/files/{wheel.name}.metadata", metadata, "text/plain"),
        "wheel": (f"/files/{wheel.name}", data, "application/octet-stream"),
    }
    routes: dict[str, Handler] = {}
    # Longest paths first: the routes match by prefix.
    for name, (path, body, ctype) in sorted(parts.items(), key=lambda p: -len(p[1][0])):
        routes[path] = body_drip(body, ctype) if name == part else whole(body, ctype)
    return routes, data


def whole(body: bytes, content_type: str) -> Handler:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, body, 200, {"Content-Type": content_type})

    return handle


@pytest.mark.parametrize("part", ["page", "metadata", "wheel"])
def test_a_body_that_drips_is_cut_off_within_the_bound(
    part: str, scripted: Callable[[dict[str, Handler]], Scripted], run: Run, tmp_path: Path
) -> None:
    routes, _ = _dripping_index(tmp_path, part)
    server = scripted(routes)
    start = time.monotonic()
    code, _, err = run(
        *lock_args(f"{server.url}/simple/", tmp_path / "l.json", "--timeout", "2", "--retries", "1")
    )
    elapsed = time.monotonic() - start
    assert code == 1, err
    one_line_error(err)
    assert "stalled" in err or "no complete answer within" in err, err
    assert "IncompleteRead" not in err and "(('" not in err, err
    assert elapsed < 40, elapsed


def test_a_host_that_does_not_resolve_is_retried_once(run: Run, tmp_path: Path) -> None:
    # .invalid never resolves (RFC 2606), with or without a network.
    start = time.monotonic()
    code, _, err = run(*lock_args("http://no-such-index.invalid/simple/", tmp_path / "l.json"))
    elapsed = time.monotonic() - start
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[-1].startswith("manylinux-nix: error: cannot fetch") and "host not found" in err
    assert sum("retrying" in line for line in lines) <= 1, err
    assert elapsed < 10, elapsed
