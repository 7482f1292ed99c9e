"""Other tools' lock files, read into one model: the real samples, forks, markers, the
uv dependency graph, and one-line errors for broken input (including fuzzed input)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version
from samples import SAMPLES

from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import (
    LockedPackage,
    LockFile,
    applicable_packages,
    read_lock,
)
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

DEMO = SAMPLES / "demo"
SCIENTIFIC = SAMPLES / "scientific"
SAMPLE_FORMATS = {
    DEMO / "uv.lock": "uv.lock",
    DEMO / "pylock.toml": "pylock.toml",
    DEMO / "poetry.lock": "poetry.lock",
    DEMO / "Pipfile.lock": "Pipfile.lock",
    DEMO / "requirements-hashes.txt": "requirements.txt",
    SCIENTIFIC / "uv.lock": "uv.lock",
    SCIENTIFIC / "pylock.toml": "pylock.toml",
    SCIENTIFIC / "requirements.txt": "requirements.txt",
}
DEMO_FILES = [p for p in SAMPLE_FORMATS if p.parent == DEMO]
PYPI = "https://pypi.org/simple"
# From the sample text: idna 3.20's only wheel and its sdist.
IDNA_WHEEL = "idna-3.20-py3-none-any.whl"
IDNA_WHEEL_SHA = "ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c"
IDNA_SDIST_SHA = "a7db850025b95ded1eae8a46181a1a6c56c92c96f0e2b005d9ff8dc0210cab44"
SHA = "a" * 64


def linux(python: str) -> dict[str, str]:
    return marker_environment(make_target("x86_64-linux", python))


def darwin(python: str) -> dict[str, str]:
    return marker_environment(make_target("aarch64-darwin", python))


def windows(python: str) -> dict[str, str]:
    """No Nix system is Windows; built by hand to show win32-only entries do appear."""
    env = linux(python)
    env.update(
        os_name="nt", platform_system="Windows", sys_platform="win32", platform_machine="AMD64"
    )
    return env


def versions(lock: LockFile, env: dict[str, str]) -> dict[str, str]:
    return {p.name: p.version for p in applicable_packages(lock, env)}


def package(lock: LockFile, name: str, version: str) -> LockedPackage:
    return next(p for p in lock.packages if p.name == name and p.version == version)


def one_line_error(path: Path, fragment: str) -> str:
    with pytest.raises(UserError) as info:
        read_lock(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message, message
    assert fragment in message, message
    return message


# ---------------------------------------------------------------------------------------
# The real samples


@pytest.mark.parametrize("path", list(SAMPLE_FORMATS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_reads_into_the_model(path: Path) -> None:
    lock = read_lock(path)
    assert lock.format == SAMPLE_FORMATS[path] and lock.path == str(path)
    assert lock.packages
    for p in lock.packages:
        assert p.name == canonicalize_name(p.name) and str(Version(p.version)) == p.version
        assert p.files and len({f.sha256 for f in p.files}) == len(p.files)
        for f in p.files:
            assert f.sha256 is not None and re.fullmatch(r"[0-9a-f]{64}", f.sha256)
            if lock.format in ("uv.lock", "pylock.toml"):
                assert f.url is not None and f.url.startswith("https://files.pythonhosted.org/")
                assert f.filename == unquote(urlsplit(f.url).path.rsplit("/", 1)[-1])
                assert f.size is not None and f.size > 0
            elif lock.format == "poetry.lock":
                assert f.filename is not None and f.url is None
            else:
                assert f.filename is None and f.url is None
    expected_index = None if lock.format == "requirements.txt" else PYPI
    assert {p.index for p in lock.packages} == {expected_index}
    assert lock.indexes == (() if expected_index is None else (PYPI,))


# What each demo file really says: uv, pylock and requirements fork numpy per Python;
# poetry and pipenv kept 2.4.6 for every Python.
NUMPY = {
    "uv.lock": ("2.4.6", "2.5.5"),
    "pylock.toml": ("2.4.6", "2.5.5"),
    "requirements-hashes.txt": ("2.4.6", "2.5.5"),
    "poetry.lock": ("2.4.6", "2.4.6"),
    "Pipfile.lock": ("2.4.6", "2.4.6"),
}


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_demo_numpy_follows_the_fork_for_each_python(path: Path) -> None:
    lock = read_lock(path)
    for_311, for_312 = NUMPY[path.name]
    assert versions(lock, linux("3.11"))["numpy"] == for_311
    assert versions(lock, linux("3.12"))["numpy"] == for_312
    assert versions(lock, darwin("3.12"))["numpy"] == for_312


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_demo_colorama_is_win32_only_and_idna_is_always_there(path: Path) -> None:
    lock = read_lock(path)
    for env in (linux("3.11"), linux("3.12"), darwin("3.12")):
        got = versions(lock, env)
        assert got["idna"] == "3.20" and "colorama" not in got
        assert set(got) == {"idna", "numpy"}
    if path.name == "Pipfile.lock":
        # pipenv could not lock colorama on Linux: "version": "*" and no hashes.
        with pytest.raises(UserError, match=r"colorama is not pinned.*win32") as info:
            applicable_packages(lock, windows("3.12"))
        assert "\n" not in str(info.value) and "Pipfile.lock" in str(info.value)
    else:
        assert versions(lock, windows("3.12")) == {
            "colorama": "0.4.6",
            "idna": "3.20",
            "numpy": NUMPY[path.name][1],
        }


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_demo_idna_files_carry_the_sample_hashes(path: Path) -> None:
    idna = package(read_lock(path), "idna", "3.20")
    assert {f.sha256 for f in idna.files} == {IDNA_WHEEL_SHA, IDNA_SDIST_SHA}
    if path.name in ("uv.lock", "pylock.toml", "poetry.lock"):
        wheel = next(f for f in idna.files if f.filename == IDNA_WHEEL)
        assert wheel.sha256 == IDNA_WHEEL_SHA
        if path.name == "poetry.lock":
            assert wheel.url is None and wheel.size is None
        else:
            assert wheel.url == (
                "https://files.pythonhosted.org/packages/58/a2/"
                "bb081bab032533a855d44de1d56f8e8426114ff1ba5d1f07a438a0a654f8/" + IDNA_WHEEL
            )
            assert wheel.size == 69583


def test_pylock_markers_and_urls() -> None:
    lock = read_lock(DEMO / "pylock.toml")
    assert package(lock, "colorama", "0.4.6").marker == 'sys_platform == "win32"'
    assert package(lock, "numpy", "2.5.5").marker == 'python_full_version >= "3.12"'
    assert package(lock, "idna", "3.20").marker is None
    assert lock.requires_python == ">=3.11"
    wheels = [f for p in lock.packages for f in p.files if f.filename and ".whl" in f.filename]
    assert wheels and all(f.url and urlsplit(f.url).scheme == "https" for f in wheels)


def test_hash_only_formats_keep_each_pins_own_hashes() -> None:
    """requirements: numpy is pinned twice; each pin keeps only its own --hash lines."""
    uv = read_lock(DEMO / "uv.lock")
    reqs = read_lock(DEMO / "requirements-hashes.txt")
    for version in ("2.4.6", "2.5.5"):
        from_uv = {f.sha256 for f in package(uv, "numpy", version).files}
        from_reqs = {f.sha256 for f in package(reqs, "numpy", version).files}
        assert from_reqs == from_uv
    assert len(package(reqs, "numpy", "2.4.6").files) == 72
    assert len(package(reqs, "numpy", "2.5.5").files) == 66
    pipfile = read_lock(DEMO / "Pipfile.lock")
    numpy = package(pipfile, "numpy", "2.4.6")
    assert {f.sha256 for f in numpy.files} == {
        f.sha256 for f in package(uv, "numpy", "2.4.6").files
    }
    assert numpy.marker == 'python_version >= "3.11"' and numpy.index == PYPI
    assert [u.name for u in pipfile.unfetchable] == ["colorama"]


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_scientific_formats_agree_for_linux(python: str) -> None:
    env = linux(python)
    from_uv = versions(read_lock(SCIENTIFIC / "uv.lock"), env)
    assert from_uv == versions(read_lock(SCIENTIFIC / "requirements.txt"), env)
    assert from_uv == versions(read_lock(SCIENTIFIC / "pylock.toml"), env)
    old = python == "3.11"
    assert from_uv["numpy"] == ("2.4.6" if old else "2.5.5")
    assert from_uv["scipy"] == ("1.17.1" if old else "1.18.1")
    assert len(from_uv) == 13 and "sample-scientific" not in from_uv


def test_uv_root_project_is_skipped_not_returned() -> None:
    lock = read_lock(DEMO / "uv.lock")
    assert lock.skipped == ("demo",)
    assert "demo" not in {p.name for p in lock.packages}
    assert [e.name for e in lock.uv_graph if e.kind == "virtual"] == ["demo"]


# Requirements files are recognised by their .txt name only: plain text proves nothing.
@pytest.mark.parametrize(
    "path", [p for p in DEMO_FILES if p.suffix != ".txt"], ids=lambda p: p.name
)
def test_format_is_sniffed_from_content_under_another_name(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "exported.lock"
    shutil.copy(path, copy)
    assert read_lock(copy).packages == read_lock(path).packages


def test_named_pylock_files_follow_the_pep_751_name_rule(tmp_path: Path) -> None:
    named = tmp_path / "pylock.linux.toml"
    shutil.copy(DEMO / "pylock.toml", named)
    assert read_lock(named).format == "pylock.toml"


# ---------------------------------------------------------------------------------------
# uv's dependency graph

UV_HEADER = 'version = 1\nrevision = 5\nrequires-python = ">=3.11"\n'
PRIVATE = '{ registry = "https://private.example/simple" }'


def wheel(name: str, version: str, sha: str = SHA) -> str:
    file = f"{name}-{version}-py3-none-any.whl"
    return f'{{ url = "https://files.example/{file}", hash = "sha256:{sha}", size = 10 }}'


def registry(name: str, version: str, extra: str = "") -> str:
    return (
        f'[[package]]\nname = "{name}"\nversion = "{version}"\n'
        f"source = {PRIVATE}\n{extra}"
        f"wheels = [{wheel(name, version)}]\n\n"
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_uv_walk_follows_extras_and_forks_but_not_dev_or_project_extras(tmp_path: Path) -> None:
    text = UV_HEADER + (
        '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\n'
        "dependencies = [\n"
        '  { name = "requests", extra = ["socks"] },\n'
        f'  {{ name = "lib", version = "1.0", source = {PRIVATE},'
        " marker = \"python_full_version < '3.12'\" },\n"
        f'  {{ name = "lib", version = "2.0", source = {PRIVATE},'
        " marker = \"python_full_version >= '3.12'\" },\n"
        "]\n"
        '[package.optional-dependencies]\nplot = [{ name = "matplotlib" }]\n'
        '[package.dev-dependencies]\ndev = [{ name = "pytest" }]\n\n'
    )
    text += registry("requests", "2.32.0", 'dependencies = [{ name = "urllib3" }]\n')
    text = text.replace(
        "wheels = [" + wheel("requests", "2.32.0") + "]\n",
        "wheels = [" + wheel("requests", "2.32.0") + "]\n"
        '[package.optional-dependencies]\nsocks = [{ name = "PySocks" }]\n',
    )
    for name, version in [
        ("urllib3", "2.0"),
        ("pysocks", "1.7"),
        ("matplotlib", "3.9"),
        ("pytest", "8.0"),
    ]:
        text += registry(name, version)
    text += registry("lib", "1.0", "resolution-markers = [\"python_full_version < '3.12'\"]\n")
    text += registry("lib", "2.0", "resolution-markers = [\"python_full_version >= '3.12'\"]\n")
    lock = read_lock(write(tmp_path, "uv.lock", text))
    expected = {"pysocks": "1.7", "requests": "2.32.0", "urllib3": "2.0"}
    assert versions(lock, linux("3.11")) == {**expected, "lib": "1.0"}
    assert versions(lock, linux("3.12")) == {**expected, "lib": "2.0"}
    got = applicable_packages(lock, linux("3.12"))
    assert [p.name for p in got] == sorted(p.name for p in got)
    assert {p.index for p in got} == {"https://private.example/simple"}
    assert lock.indexes == ("https://private.example/simple",)


def test_uv_without_a_project_takes_every_package_of_the_matching_fork(tmp_path: Path) -> None:
    text = UV_HEADER + registry("six", "1.16")
    text += registry("lib", "1.0", "resolution-markers = [\"python_full_version < '3.12'\"]\n")
    text += registry("lib", "2.0", "resolution-markers = [\"python_full_version >= '3.12'\"]\n")
    lock = read_lock(write(tmp_path, "uv.lock", text))
    assert versions(lock, linux("3.11")) == {"lib": "1.0", "six": "1.16"}
    assert versions(lock, linux("3.12")) == {"lib": "2.0", "six": "1.16"}


def test_uv_git_dependency_is_refused_only_where_it_applies(tmp_path: Path) -> None:
    text = UV_HEADER + (
        '[[package]]\nname = "app"\nversion = "1"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "tool", marker = "sys_platform == \'darwin\'" }]\n\n'
        '[[package]]\nname = "tool"\nversion = "0.1"\n'
        'source = { git = "https://github.com/example/tool?rev=main#0123456789abcdef" }\n'
    )
    lock = read_lock(write(tmp_path, "uv.lock", text))
    assert applicable_packages(lock, linux("3.12")) == []
    with pytest.raises(UserError, match="tool comes from git"):
        applicable_packages(lock, darwin("3.12"))


def test_targets_outside_the_lock_are_refused(tmp_path: Path) -> None:
    text = UV_HEADER + "supported-markers = [\"sys_platform == 'linux'\"]\n\n" + registry("a", "1")
    lock = read_lock(write(tmp_path, "uv.lock", text))
    assert versions(lock, linux("3.12")) == {"a": "1"}
    with pytest.raises(UserError, match="covers only"):
        applicable_packages(lock, darwin("3.12"))
    with pytest.raises(UserError, match=r"requires Python >=3\.11, not 3\.10\.0"):
        applicable_packages(read_lock(DEMO / "pylock.toml"), linux("3.10"))


def test_requirements_includes_and_index_options(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", f"idna==3.20 --hash=sha256:{SHA.upper()}\n")
    path = write(
        tmp_path,
        "requirements.txt",
        "--index-url https://private.example/simple\n-r base.txt\n"
        "--extra-index-url https://extra.example/simple\nsix==1.16 ; python_version < '3.12'\n",
    )
    lock = read_lock(path)
    assert lock.indexes == ("https://private.example/simple", "https://extra.example/simple")
    idna = package(lock, "idna", "3.20")
    assert [f.sha256 for f in idna.files] == [SHA] and idna.index is None
    assert versions(lock, linux("3.11")) == {"idna": "3.20", "six": "1.16"}
    assert versions(lock, linux("3.12")) == {"idna": "3.20"}


# ---------------------------------------------------------------------------------------
# Broken input: one line naming the file


def uv_with_wheel(file: str) -> str:
    return UV_HEADER + (
        '[[package]]\nname = "six"\nversion = "1.16"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        f"wheels = [{file}]\n"
    )


PYLOCK_HEADER = 'lock-version = "1.0"\ncreated-by = "test"\n'


def pylock_package(wheel_table: str, marker: str = "") -> str:
    return (
        PYLOCK_HEADER
        + f'[[packages]]\nname = "six"\nversion = "1.16"\n{marker}wheels = [{wheel_table}]\n'
    )


SIX_URL = "https://files.example/six-1.16-py3-none-any.whl"
POETRY_TAIL = '\n[metadata]\nlock-version = "2.1"\ncontent-hash = "x"\n'

BROKEN = [
    ("uv.lock", "version = [\n", "not valid TOML"),
    ("uv.lock", UV_HEADER + '[[package]]\nversion = "1"\nsource = { virtual = "." }\n', "'name'"),
    (
        "uv.lock",
        uv_with_wheel(f'{{ url = "{SIX_URL}", hash = "md5:0123456789abcdef" }}'),
        "is not sha256:<64 hex digits>",
    ),
    ("uv.lock", uv_with_wheel(f'{{ url = "{SIX_URL}", hash = "sha256:abc" }}'), "sha256:<64"),
    ("uv.lock", uv_with_wheel('{ url = "/six-1.16-py3-none-any.whl" }'), "absolute URL"),
    ("uv.lock", uv_with_wheel('{ url = "https://x/numpy-1.0-py3-none-any.whl" }'), "not a file"),
    ("uv.lock", uv_with_wheel('{ url = "https://[::1/six-1.16-py3-none-any.whl" }'), "not parse"),
    ("uv.lock", uv_with_wheel(f'{{ url = "{SIX_URL}", size = -1 }}'), "'size'"),
    ("uv.lock", uv_with_wheel("7"), "expected a table, found an integer"),
    ("uv.lock", 'version = 2\n[[package]]\nname = "a"\n', "version 2 is not supported"),
    ("uv.lock", UV_HEADER + '[[package]]\nname = "a"\nversion = "1"\n', "'source' is missing"),
    ("uv.lock", UV_HEADER + '[[package]]\nname = "a b"\n', "not a valid package name"),
    (
        "uv.lock",
        UV_HEADER + '[[package]]\nname = "a"\nversion = "one"\nsource = { registry = "x" }\n',
        "not a PEP 440 version",
    ),
    (
        "uv.lock",
        UV_HEADER + '[[package]]\nname = "a"\nversion = "1"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "b", marker = "python_version >>> \'3\'" }]\n',
        "marker",
    ),
    ("uv.lock", UV_HEADER + "package = 3\n", "'package' should be an array"),
    ("pylock.toml", pylock_package(f'{{ url = "{SIX_URL}" }}'), "not a valid pylock file"),
    ("pylock.toml", pylock_package(f'{{ url = "{SIX_URL}", hashes = {{ md5 = "x" }} }}'), "md5"),
    (
        "pylock.toml",
        pylock_package(
            '{ url = "six-1.16-py3-none-any.whl", hashes = { sha256 = "' + SHA + '" } }'
        ),
        "absolute URL",
    ),
    (
        "pylock.toml",
        pylock_package(
            f'{{ url = "{SIX_URL}", hashes = {{ sha256 = "{SHA}" }} }}', 'marker = "("\n'
        ),
        "marker '(' is invalid",
    ),
    (
        "pylock.toml",
        PYLOCK_HEADER + '[[packages]]\nname = "six"\nversion = "1.16"\n'
        f'archive = {{ url = "https://[::1/six.whl", hashes = {{ sha256 = "{SHA}" }} }}\n',
        "not parse",
    ),
    (
        "pylock.toml",
        'lock-version = "2.0"\ncreated-by = "x"\n[[packages]]\nname = "six"\n',
        "lock-version '2.0' is not supported",
    ),
    ("pylock.toml", 'lock-version = "1.0"\npackages = []\n', "'created-by' is missing"),
    (
        "pylock.toml",
        pylock_package(f'{{ url = "{SIX_URL}", hashes = {{ sha256 = "{SHA}" }} }}')
        + f'archive = {{ url = "{SIX_URL}", hashes = {{ sha256 = "{SHA}" }} }}\n',
        "exactly one of vcs, directory, archive, or sdist/wheels",
    ),
    ("poetry.lock", '[[package]]\nname = "a"\nversion = "1"\nfiles = []\n', "'metadata'"),
    (
        "poetry.lock",
        '[[package]]\nname = "a"\nversion = "1"\nfiles = [{file = "a-1.tar.gz", hash = "md5:1"}]\n'
        + POETRY_TAIL,
        "sha256:<64",
    ),
    ("poetry.lock", '[[package]]\nname = "a"\nversion = 1\n' + POETRY_TAIL, "should be a string"),
    (
        "poetry.lock",
        '[[package]]\nname = "a"\nversion = "1"\noptional = "yes"\n' + POETRY_TAIL,
        "package 1 (a): 'optional' should be a boolean, not a string",
    ),
    (
        "pylock.toml",
        'lock-version = "1.0"\ncreated-by = "x"\nenvironments = [3]\npackages = []\n',
        "'environments' should list strings, found an integer",
    ),
    (
        "uv.lock",
        UV_HEADER + '[[package]]\nname = "a"\nversion = "1"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "b", extra = "x" }]\n',
        "package 1 (a) dependencies 1: 'extra' should be an array, not a string",
    ),
    ("Pipfile.lock", "[]", "expected an object, found an array"),
    ("Pipfile.lock", "{", "not valid JSON"),
    ("Pipfile.lock", '{"_meta": {}, "develop": {}}', "'default' is missing"),
    (
        "Pipfile.lock",
        '{"_meta": {"sources": []}, "default": {"a": {"version": "==1", "index": "private"}}}',
        "'private' is not in _meta.sources",
    ),
    (
        "Pipfile.lock",
        '{"_meta": {}, "default": {"a": {"version": "==1", "hashes": ["sha1:00"]}}}',
        "sha256:<64",
    ),
    (
        "Pipfile.lock",
        '{"_meta": {}, "default": {"a": "==1"}}',
        "expected an object, found a string",
    ),
    ("Pipfile.lock", "[" * 100_000, "not valid JSON"),
    (
        "requirements.txt",
        "idna==3.20\nnumpy>=2\n",
        "requirements.txt:2: numpy is not pinned with ==",
    ),
    ("requirements.txt", "numpy==2.*\n", "not pinned"),
    ("requirements.txt", "numpy==2 --hash=md5:00\n", "--hash"),
    ("requirements.txt", "-e .\n", "editable"),
    ("notes.lock", "just some text\n", "not a lock file"),
    ("notes.lock", '{"a": 1}', "not a lock file"),
    ("notes.lock", "a = 1\n", "not a lock file"),
    ("uv.lock", "a = " + "[" * 100_000, "not valid TOML"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), BROKEN)
def test_broken_input_is_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    one_line_error(write(tmp_path, name, text), fragment)


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    one_line_error(tmp_path / "uv.lock", "cannot read")
    binary = tmp_path / "poetry.lock"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    one_line_error(binary, "not UTF-8")
    requirements = tmp_path / "requirements.txt"
    requirements.write_bytes(b"idna==3.20 \xff\n")
    one_line_error(requirements, "not UTF-8")


def test_a_marker_that_cannot_be_evaluated_is_a_user_error(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.16 ; python_version ~= '3'\n")
    lock = read_lock(path)
    with pytest.raises(UserError, match="cannot be evaluated") as info:
        applicable_packages(lock, linux("3.12"))
    assert "\n" not in str(info.value) and "requirements.txt" in str(info.value)


# ---------------------------------------------------------------------------------------
# Fuzzing: whatever the bytes, the answer is a LockFile or a one-line UserError.

FUZZ_ENVS = (linux("3.12"), windows("3.11"))


def check_survives(path: Path) -> None:
    try:
        lock = read_lock(path)
        for env in FUZZ_ENVS:
            applicable_packages(lock, env)
    except UserError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_fuzzed_text_gives_a_lock_or_a_user_error(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(DEMO_FILES))
    text = source.read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 200)))
        insert = data.draw(st.sampled_from(["", '"', "[", "]", "{", "=", "\n", ",", "\\", "x"]))
        text = text[:start] + insert + text[end:]
    # Not tmp_path: that is one directory per test call, and hypothesis makes many examples.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / source.name
        path.write_text(text, errors="surrogatepass")
        check_survives(path)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=20)
    | st.sampled_from(["sha256:" + SHA, "==1.0", "*", "python_version > '3'", "https://x/y.whl"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def mutate(doc: object, data: st.DataObject) -> object:
    """Replace (or drop) one randomly chosen node of a parsed document."""
    # Mostly descend, so that deep fields (a wheel's hash, an edge's marker) get hit too.
    if isinstance(doc, dict) and doc and data.draw(st.integers(0, 4)) > 0:
        key = data.draw(st.sampled_from(sorted(doc)))
        copy = dict(doc)
        if data.draw(st.integers(0, 4)) == 0:
            del copy[key]
        else:
            copy[key] = mutate(doc[key], data)
        return copy
    if isinstance(doc, list) and doc and data.draw(st.integers(0, 4)) > 0:
        index = data.draw(st.integers(0, len(doc) - 1))
        return [*doc[:index], mutate(doc[index], data), *doc[index + 1 :]]
    return data.draw(JSON_VALUES)


def toml_value(value: object) -> str:
    if value is None:
        return '""'  # TOML has no null; an empty string is as wrong in most places
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))  # dates: a string where a date was


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fuzzed_structure_gives_a_lock_or_a_user_error(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from([p for p in DEMO_FILES if p.suffix != ".txt"]))
    raw = source.read_text()
    doc = json.loads(raw) if source.name == "Pipfile.lock" else tomllib.loads(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = mutate(doc, data)
    if source.name == "Pipfile.lock":
        text = json.dumps(doc)
    elif isinstance(doc, dict):
        text = "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in doc.items())
    else:
        text = toml_value(doc)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / source.name
        path.write_text(text, errors="surrogatepass")
        check_survives(path)


@pytest.mark.parametrize("native", [True, False])
def test_pep_751_marker_variables_on_any_packaging(
    native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """packaging before 25 (nixpkgs 25.05) rejects `extras` and `dependency_groups`."""
    from pyhelpers.target import markers

    if not native:
        monkeypatch.setattr(markers, "_native", lambda: False)
        markers.parse.cache_clear()
    env = linux("3.12")
    marker = "'dev' in dependency_groups and python_version >= '3.12'"
    assert markers.evaluate(marker, env, lock_file=True, groups=frozenset({"dev"}))
    assert not markers.evaluate(marker, env, lock_file=True, groups=frozenset())
    assert markers.evaluate("'gpu' not in extras", env, lock_file=True)
    assert str(markers.parse(marker))
    markers.parse.cache_clear()
