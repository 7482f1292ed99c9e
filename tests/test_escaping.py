"""Input quoted in a message never breaks it into lines or forges output: control
characters, line separators and bidi overrides fed to every reader come back escaped."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import hostpython
import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main
from pyhelpers.errors import UserError, printable, quoted
from pyhelpers.index.metadata import parse_metadata
from pyhelpers.index.simple import parse_json
from pyhelpers.lock.lockformats import read_lock
from pyhelpers.resolve.requirements_txt import parse, parse_requirement
from pyhelpers.wheelfile import check_wheel_filename

# A newline, a carriage return, a terminal escape, U+2028 (str.splitlines breaks on it)
# and a right-to-left override.
HOSTILE = "a\nb\rc\x1b[2Jd\u2028e\u202ef"
# For readers that split their input into lines first (requirements files, METADATA):
# what can stand inside one line.
INLINE = "c\x1b[2Jd\u202ef"
SHA = "a" * 64
UV_HEADER = 'version = 1\nrevision = 5\nrequires-python = ">=3.11"\n'
SIX = "https://files.example/six-1.16-py3-none-any.whl"


def toml(text: str) -> str:
    """A TOML basic string holding ``text`` (JSON's escapes are TOML's)."""
    return json.dumps(text)


def assert_one_escaped_line(message: str) -> None:
    assert all(c.isprintable() for c in message), repr(message)
    assert len(message.splitlines()) == 1, repr(message)
    assert "\\n" in message and "\\x1b" in message and "\\u2028" in message, message


def read_file(name: str, text: str) -> Callable[[Path], object]:
    def reader(tmp: Path) -> object:
        path = tmp / name
        path.write_text(text)
        return read_lock(path)

    return reader


LOCKS = {
    "uv.lock name": read_file(
        "uv.lock", UV_HEADER + f'[[package]]\nname = {toml(HOSTILE)}\nversion = "1"\n'
    ),
    "uv.lock version": read_file(
        "uv.lock",
        UV_HEADER + f'[[package]]\nname = "a"\nversion = {toml(HOSTILE)}\n'
        'source = { registry = "https://pypi.org/simple" }\n',
    ),
    "pylock.toml hash key": read_file(
        "pylock.toml",
        'lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "six"\nversion = "1.16"\n'
        f'wheels = [{{ url = "{SIX}", hashes = {{ {toml(HOSTILE)} = "00" }} }}]\n',
    ),
    "poetry.lock version": read_file(
        "poetry.lock",
        f'[[package]]\nname = "a"\nversion = {toml(HOSTILE)}\nfiles = []\n'
        '\n[metadata]\nlock-version = "2.1"\ncontent-hash = "x"\n',
    ),
    "Pipfile.lock index": read_file(
        "Pipfile.lock",
        json.dumps(
            {"_meta": {"sources": []}, "default": {"a": {"version": "==1", "index": HOSTILE}}}
        ),
    ),
    "requirements.txt line": lambda tmp: parse(_write(tmp / "r.txt", f"app{INLINE}==1\n")),
    "requirements.txt marker": lambda tmp: parse(
        _write(tmp / "r.txt", f"app==1 ; os_name == 'x' and {INLINE}\n")
    ),
    "command-line requirement": lambda tmp: parse_requirement(f"app{HOSTILE}===", "command line"),
    "index JSON page": lambda tmp: parse_json(
        json.dumps({"meta": {"api-version": HOSTILE}, "files": []}), "http://i/simple/a/", "a"
    ),
    "wheel METADATA": lambda tmp: parse_metadata(
        f"Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b{INLINE}\n".encode(),
        "a-1-py3-none-any.whl",
    ),
    "wheel file name": lambda tmp: check_wheel_filename(f"a{HOSTILE}-1-py3-none-any.whl"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("reader", list(LOCKS.values()), ids=list(LOCKS))
def test_every_reader_escapes_what_it_quotes(
    reader: Callable[[Path], object], tmp_path: Path
) -> None:
    with pytest.raises(UserError) as info:
        reader(tmp_path)
    message = str(info.value)
    assert all(c.isprintable() for c in message), repr(message)
    assert len(message.splitlines()) == 1, repr(message)
    # Whatever of the hostile text the message quotes is escaped, never raw.
    assert "\\x1b" in message or "\\u2028" in message or "\\u202e" in message, message


def test_a_user_error_is_escaped_whoever_raised_it() -> None:
    assert_one_escaped_line(str(UserError(f"package {HOSTILE} is broken")))
    assert printable("plain é 中 text") == "plain é 中 text"
    assert quoted("x" * 100).endswith("...") and len(quoted("x" * 100)) == 60


def test_log_lines_are_escaped(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    from pyhelpers.cli import _OneLine

    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "skipped %s", (HOSTILE,), None)
    assert_one_escaped_line(_OneLine("%(message)s").format(record))


@needs_x86_64
def test_elf_names_are_escaped_in_inspect_and_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    compile_so(site / "ext.so", PLAIN_LIBRARY, add_needed=(f"lib{HOSTILE}.so.1",))
    glibc = tmp_path / "glibc"
    glibc.mkdir()
    shutil.copy2(host_library("libc.so.6"), glibc / "libc.so.6")
    assert main(["verify", str(site), "--glibc-dir", str(glibc)]) == 1
    err = capsys.readouterr().err
    assert "\\x1b" in err and "\\u2028" in err, err
    assert all(c.isprintable() for line in err.split("\n") for c in line), repr(err)
    assert len(err.splitlines()) == len(err.split("\n")) - 1, repr(err)
    wheel = build_wheel(
        tmp_path / "w",
        "ext",
        "1.0",
        hostpython.TAG,
        extra_files={"ext/ext.so": (site / "ext.so").read_bytes()},
    )
    main(["inspect", str(wheel)])  # 1: the hostile soname is unknown
    out = capsys.readouterr().out
    assert "\\x1b" in out and all(c.isprintable() for line in out.split("\n") for c in line)
