"""``manylinux-nix lock`` and ``prefetch`` end to end, against real index servers on
127.0.0.1 serving real wheel files (built here, or real ones from PyPI fetched once)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clitools import Run
from indexserver import IndexServer, with_credentials
from wheelfactory import build_sdist, build_wheel

from pyhelpers.cache import cache_root
from pyhelpers.cli import main
from pyhelpers.errors import UserError
from pyhelpers.index.download import fetch_file
from pyhelpers.index.http import HttpClient
from pyhelpers.index.simple import IndexFile

REAL_WHEELS = Path(__file__).resolve().parent / ".real-wheels"
X86 = "manylinux_2_17_x86_64.manylinux2014_x86_64"
ARM = "manylinux_2_17_aarch64.manylinux2014_aarch64"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sri(path: Path) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def read_lock(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@pytest.fixture
def project(wheel_dir: Path) -> Path:
    """A small world: 'app' needs 'native' everywhere, 'armonly' on aarch64 only,
    'darwinonly' on macOS, and 'newpy' on Python >= 3.13; 'native' 2.0 has C wheels
    for several platforms and ABIs, 1.0 only a manylinux2014 x86_64 one."""
    for tag in [
        f"cp312-cp312-{X86}",
        f"cp312-cp312-{ARM}",
        f"cp313-cp313-{X86}",
        f"cp313-cp313-{ARM}",
        f"cp313-cp313t-{X86}",
        "cp312-cp312-musllinux_1_2_x86_64",
        "cp313-cp313-musllinux_1_2_x86_64",
        "cp312-abi3-macosx_11_0_arm64",
    ]:
        build_wheel(wheel_dir, "native", "2.0", tag, c_extension=True)
    build_wheel(wheel_dir, "native", "1.0", f"cp312-cp312-{X86}", c_extension=True)
    build_wheel(
        wheel_dir,
        "app",
        "1.0",
        requires_dist=[
            "native>=1.0",
            "armonly; platform_machine == 'aarch64'",
            "darwinonly; sys_platform == 'darwin'",
            "newpy; python_version >= '3.13'",
            "fast-extra; extra == 'fast'",
        ],
    )
    for name in ("armonly", "darwinonly", "newpy", "fast-extra"):
        build_wheel(wheel_dir, name, "1.0")
    return wheel_dir


def test_lock_resolves_per_target_from_a_json_index(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project)
    out = tmp_path / "wheels.lock.json"
    code, _, err = run(
        "lock",
        "app",
        "--index-url",
        index.url,
        "--no-inspect",  # the fixture's wheels hold an x86_64 binary whatever their tag
        "-o",
        out,
        "--system",
        "x86_64-linux",
        "--system",
        "aarch64-linux",
        "--python",
        "3.12",
        "--python",
        "3.13t",
    )
    # aarch64/3.13t has no native wheel: the whole lock fails and names that target.
    assert code == 1
    assert "aarch64-linux/3.13t" in err and "no wheel of native" in err
    assert not out.exists()

    code, _, err = run(
        "lock",
        "app",
        "--index-url",
        index.url,
        "--no-inspect",  # the fixture's wheels hold an x86_64 binary whatever their tag
        "-o",
        out,
        "--system",
        "x86_64-linux",
        "--system",
        "aarch64-linux",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux-musl",
        "--python",
        "3.13",
    )
    assert code == 0, err
    lock = read_lock(out)
    targets = lock["targets"]
    assert sorted(targets) == [
        "aarch64-linux/3.12",
        "aarch64-linux/3.13",
        "x86_64-linux-musl/3.12",
        "x86_64-linux-musl/3.13",
        "x86_64-linux/3.12",
        "x86_64-linux/3.13",
    ]
    x86 = targets["x86_64-linux/3.12"]["packages"]
    assert sorted(x86) == ["app", "native"]
    native = x86["native"]
    assert native["version"] == "2.0"
    assert native["filename"] == f"native-2.0-cp312-cp312-{X86}.whl"
    whl = project / native["filename"]
    assert native["hash"] == sri(whl) and native["sha256"] == sha256(whl)
    assert native["size"] == whl.stat().st_size
    assert native["url"] == f"{index.base_url}files/{native['filename']}"
    assert x86["app"]["dependencies"] == ["native"]
    # Markers are the target's, not this (x86_64, Linux, 3.11) machine's.
    arm = targets["aarch64-linux/3.12"]["packages"]
    assert sorted(arm) == ["app", "armonly", "native"]
    assert arm["native"]["filename"] == f"native-2.0-cp312-cp312-{ARM}.whl"
    musl = targets["x86_64-linux-musl/3.13"]["packages"]
    assert sorted(musl) == ["app", "native", "newpy"]
    assert musl["native"]["filename"] == "native-2.0-cp313-cp313-musllinux_1_2_x86_64.whl"
    assert targets["x86_64-linux-musl/3.13"]["libc"] == "musl"
    # Dependencies came from the JSON page's PEP 658 metadata: no wheel was downloaded.
    assert not any(
        p.startswith("/files/") and not p.endswith(".metadata") for _, p in index.requests
    )


def test_lock_from_real_pypiserver_reads_metadata_from_wheels(
    project: Path, pypiserver_factory: Callable[[Path], str], run: Run, tmp_path: Path
) -> None:
    url = pypiserver_factory(project)
    out = tmp_path / "lock.json"
    code, _, err = run(
        "lock",
        "app[fast]",
        "-i",
        url,
        "-o",
        out,
        "--system",
        "aarch64-darwin",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 0, err
    targets = read_lock(out)["targets"]
    mac = targets["aarch64-darwin/3.12"]["packages"]
    assert sorted(mac) == ["app", "darwinonly", "fast-extra", "native"]
    assert mac["native"]["filename"] == "native-2.0-cp312-abi3-macosx_11_0_arm64.whl"
    assert sorted(mac["app"]["dependencies"]) == ["darwinonly", "fast-extra", "native"]
    assert targets["aarch64-darwin/3.12"]["macos"] == "11.3"
    # cp312-abi3 fits 3.12 and 3.13 on macOS; for x86_64-linux/3.12 the abi-specific wheel.
    lin = targets["x86_64-linux/3.12"]["packages"]
    assert lin["native"]["filename"] == f"native-2.0-cp312-cp312-{X86}.whl"
    assert lin["native"]["hash"] == sri(project / lin["native"]["filename"])


def test_real_wheels_from_pypi_for_four_kinds_of_target(
    pypiserver_factory: Callable[[Path], str], run: Run, tmp_path: Path
) -> None:
    if not REAL_WHEELS.is_dir():
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py (needs PyPI once)")
    url = pypiserver_factory(REAL_WHEELS)
    out = tmp_path / "lock.json"
    code, _, err = run(
        "lock",
        "Jinja2",
        "-i",
        url,
        "-o",
        out,
        "--system",
        "x86_64-linux",
        "--system",
        "aarch64-linux",
        "--system",
        "aarch64-darwin",
        "--python",
        "3.12",
        "--python",
        "3.13t",
        "--system",
        "x86_64-linux-musl",
    )
    assert code == 0, err
    t = read_lock(out)["targets"]
    expected = {
        "x86_64-linux/3.12": f"cp312-cp312-{X86}",
        "x86_64-linux/3.13t": f"cp313-cp313t-{X86}",
        "aarch64-linux/3.13t": f"cp313-cp313t-{ARM}",
        "aarch64-darwin/3.12": "cp312-cp312-macosx_11_0_arm64",
        "x86_64-linux-musl/3.13t": "cp313-cp313t-musllinux_1_2_x86_64",
    }
    for key, tag in expected.items():
        filename = f"MarkupSafe-3.0.2-{tag}.whl"
        assert t[key]["packages"]["markupsafe"]["filename"] == filename, key
        assert t[key]["packages"]["markupsafe"]["hash"] == sri(REAL_WHEELS / filename)
        assert t[key]["packages"]["jinja2"]["dependencies"] == ["markupsafe"]


def test_same_inputs_give_byte_identical_lock(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = [
        "lock",
        "app",
        "native==1.0",
        "-i",
        index.url,
        "--system",
        "x86_64-linux",
        "--python",
        "3.12",
        "-q",
    ]
    assert run(*args, "-o", a)[0] == 0
    assert run(*args, "-o", b, "--system", "x86_64-linux")[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert read_lock(a)["targets"]["x86_64-linux/3.12"]["packages"]["native"]["version"] == "1.0"
    assert a.read_text().endswith("}\n")


def test_failure_leaves_existing_lock_untouched(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project)
    out = tmp_path / "wheels.lock.json"
    out.write_text("previous lock\n")
    code, _, err = run("lock", "app", "no-such-project", "-i", index.url, "-o", out)
    assert code == 1
    assert err.count("\n") == 1 and "unknown package 'no-such-project'" in err
    assert out.read_text() == "previous lock\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wheels", "wheels.lock.json"]


def test_yanked_skipped_unless_pinned_and_requires_python_honoured(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_wheel(wheel_dir, "lib", "1.0")
    build_wheel(wheel_dir, "lib", "2.0")
    build_wheel(wheel_dir, "lib", "3.0", requires_python=">=3.14")
    index = index_factory(wheel_dir, yanked={"lib-2.0-py3-none-any.whl": "broken"})
    out = tmp_path / "l.json"

    def version(*extra: str) -> str:
        code, _, err = run(
            "lock",
            *extra,
            "-i",
            index.url,
            "-o",
            out,
            "--python",
            "3.12",
            "--system",
            "x86_64-linux",
        )
        assert code == 0, err
        return str(read_lock(out)["targets"]["x86_64-linux/3.12"]["packages"]["lib"]["version"])

    assert version("lib") == "1.0"  # 3.0 needs Python 3.14, 2.0 is yanked
    assert version("lib==2.0") == "2.0"
    code, _, err = run("lock", "lib>=3", "-i", index.url, "-o", out, "--python", "3.12")
    assert code == 1 and "requires Python >=3.14" in err


def test_no_wheel_messages_name_package_target_tags_and_sdist(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_sdist(wheel_dir, "srconly", "1.0")
    build_wheel(wheel_dir, "winonly", "1.0", "cp312-cp312-win_amd64", c_extension=True)
    index = index_factory(wheel_dir)
    code, _, err = run(
        "lock",
        "srconly",
        "-i",
        index.url,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "-o",
        tmp_path / "x.json",
    )
    assert code == 1
    assert "srconly 1.0 has only a source distribution (srconly-1.0.tar.gz)" in err
    code, _, err = run(
        "lock",
        "winonly",
        "-i",
        index.url,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "-o",
        tmp_path / "x.json",
        "--glibc",
        "2.39",
    )
    assert code == 1
    assert err.startswith("manylinux-nix: error: x86_64-linux/3.12: no wheel of winonly fits")
    assert "tried cp312-cp312-manylinux_2_39_x86_64" in err
    assert "has wheels for cp312-cp312-win_amd64" in err
    assert err.count("\n") == 1


def test_allow_sdist_lists_what_has_no_wheel_per_target_and_prefers_wheels(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    build_wheel(wheel_dir, "web", "1.0", requires_dist=["srconly", "mixed", "armwheel"])
    build_sdist(wheel_dir, "srconly", "0.9")
    newest = build_sdist(wheel_dir, "srconly", "1.0")
    # mixed 2.0 is source only and 1.0 has a wheel: the wheel wins, as --prefer-binary.
    build_sdist(wheel_dir, "mixed", "2.0")
    build_wheel(wheel_dir, "mixed", "1.0")
    build_sdist(wheel_dir, "armwheel", "1.0")
    build_wheel(wheel_dir, "armwheel", "1.0", f"cp312-cp312-{ARM}", c_extension=True)
    index = index_factory(wheel_dir)
    out = tmp_path / "l.json"
    out.write_text("{}")
    common = ["-i", index.url, "-o", out, "--python", "3.12", "--no-inspect"]
    targets = ["--system", "x86_64-linux", "--system", "aarch64-linux"]
    code, _, err = run("lock", "web", *common, *targets)
    assert code == 1 and "srconly 1.0 has only a source distribution" in err
    assert "or pass --allow-sdist" in err and out.read_text() == "{}"

    code, _, err = run("lock", "web", *common, *targets, "--allow-sdist")
    assert code == 0, err
    doc = read_lock(out)
    assert doc["options"]["allow_sdist"] is True
    x86, arm = doc["targets"]["x86_64-linux/3.12"], doc["targets"]["aarch64-linux/3.12"]
    assert {n: p["version"] for n, p in x86["packages"].items()} == {"mixed": "1.0", "web": "1.0"}
    # Only packages in the lock's set are edges: the user's Nix brings the rest.
    assert x86["packages"]["web"]["dependencies"] == ["mixed"]
    assert arm["packages"]["web"]["dependencies"] == ["armwheel", "mixed"]
    assert x86["sdist_only"] == [
        {
            "name": "armwheel",
            "version": "1.0",
            "filename": "armwheel-1.0.tar.gz",
            "url": x86["sdist_only"][0]["url"],
            "sha256": sha256(wheel_dir / "armwheel-1.0.tar.gz"),
        },
        {
            "name": "srconly",
            "version": "1.0",
            "filename": newest.name,
            "url": x86["sdist_only"][1]["url"],
            "sha256": sha256(newest),
        },
    ]
    assert x86["sdist_only"][1]["url"].startswith(index.base_url) and x86["sdist_only"][1][
        "url"
    ].endswith("/srconly-1.0.tar.gz")
    assert [s["name"] for s in arm["sdist_only"]] == ["srconly"]
    assert "srconly 1.0: no wheel, only srconly-1.0.tar.gz" in err

    code, stdout, err = run(
        "lock",
        "srconly==0.9",
        *common,
        "--system",
        "x86_64-linux",
        "--allow-sdist",
        "--no-deps",
        "--json",
    )
    assert code == 0, err
    assert json.loads(stdout)["sdist_only"] == {"x86_64-linux/3.12": {"srconly": "0.9"}}
    assert read_lock(out)["targets"]["x86_64-linux/3.12"]["packages"] == {}


def test_no_deps_locks_only_what_is_named(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project)
    out = tmp_path / "l.json"
    code, _, err = run(
        "lock",
        "app",
        "--no-deps",
        "-i",
        index.url,
        "-o",
        out,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
    )
    assert code == 0, err
    assert list(read_lock(out)["targets"]["x86_64-linux/3.12"]["packages"]) == ["app"]


def test_credentials_are_used_but_never_written(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project, auth=("alice", "s3cret-token"))
    out = tmp_path / "l.json"
    bare = index.url
    code, _, err = run("lock", "app", "-i", bare, "-o", out)
    assert code == 1 and "HTTP 401" in err and "credentials" in err
    authed = with_credentials(bare, "alice", "s3cret-token")
    code, stdout, err = run(
        "lock",
        "app",
        "-i",
        authed,
        "-o",
        out,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "-v",
        "--json",
    )
    assert code == 0, err
    text = out.read_text()
    for secret in ("s3cret", "alice"):
        assert secret not in text and secret not in stdout and secret not in err
    assert read_lock(out)["indexes"] == [bare]
    assert any("Authorization" in h for h in index.headers_seen)
    code, _, err = run("lock", "nope", "-i", authed, "-o", out)
    assert code == 1 and "s3cret" not in err and "unknown package" in err


def test_retries_on_429_and_5xx(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project, faults={"/simple/app/": [503, 429, 502]})
    code, _, err = run(
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        tmp_path / "l.json",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "--no-deps",
    )
    assert code == 0, err
    assert [p for _, p in index.requests].count("/simple/app/") == 4
    broken = index_factory(project, faults={"/simple/app/": [500] * 10})
    code, _, err = run("lock", "app", "-i", broken.url, "-o", tmp_path / "l.json", "--retries", "2")
    assert code == 1 and "HTTP 500" in err


def test_hashes_from_requirements_file_are_enforced(
    project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    index = index_factory(project, hashes=False)
    good = sha256(project / f"native-2.0-cp312-cp312-{X86}.whl")
    req = tmp_path / "requirements.txt"
    req.write_text(f"--index-url {index.url}\nnative==2.0 --hash=sha256:{good}\n")
    out = tmp_path / "l.json"
    code, _, err = run("lock", "-r", req, "-o", out, "--python", "3.12", "--system", "x86_64-linux")
    assert code == 0, err
    assert read_lock(out)["targets"]["x86_64-linux/3.12"]["packages"]["native"]["sha256"] == good
    req.write_text(f"--index-url {index.url}\nnative==2.0 --hash=sha256:{'0' * 64}\n")
    code, _, err = run("lock", "-r", req, "-o", out, "--python", "3.12", "--system", "x86_64-linux")
    assert code == 1 and "is not among the --hash values" in err


def test_prefetch_prints_url_and_sri_without_downloading(
    project: Path, index_factory: Callable[..., IndexServer], run: Run
) -> None:
    index = index_factory(project)
    code, out, err = run(
        "prefetch",
        "native==2.0",
        "-i",
        index.url,
        "--system",
        "aarch64-linux",
        "--python",
        "3.12",
        "--json",
    )
    assert code == 0, err
    [entry] = json.loads(out)
    whl = project / f"native-2.0-cp312-cp312-{ARM}.whl"
    assert entry["filename"] == whl.name and entry["hash"] == sri(whl)
    assert entry["url"].endswith(f"/files/{whl.name}")
    assert not any(p.startswith("/files/") for _, p in index.requests)
    # Without hashes in the index, the file is downloaded and hashed.
    plain = index_factory(project, hashes=False)
    code, out, _ = run(
        "prefetch", "native==2.0", "-i", plain.url, "--system", "x86_64-linux", "--python", "3.12"
    )
    assert code == 0
    assert sri(project / f"native-2.0-cp312-cp312-{X86}.whl") in out
    assert any(p == f"/files/native-2.0-cp312-cp312-{X86}.whl" for _, p in plain.requests)
    # A range, or a bare name, takes the newest release with a wheel, as documented.
    for requirement in ("native", "native>=1", "native<2"):
        code, out, _ = run("prefetch", requirement, "-i", index.url, "--system", "x86_64-linux",
                           "--python", "3.12")  # fmt: skip
        assert code == 0
        version = "1.0" if requirement == "native<2" else "2.0"
        assert f"native-{version}-" in out, (requirement, out)


def test_sha256_mismatch_is_refused_and_nothing_is_cached(
    project: Path, index_factory: Callable[..., IndexServer]
) -> None:
    index = index_factory(project)
    client = HttpClient(retries=0)
    whl = project / "app-1.0-py3-none-any.whl"
    url = f"{index.base_url}files/{whl.name}"
    wrong = IndexFile(whl.name, url, "0" * 64, None, None, None, False, None)
    with pytest.raises(UserError, match="does not match the index's 0000"):
        fetch_file(client, wrong)
    assert not [p for p in (cache_root() / "files").rglob("*") if p.is_file()]
    right = dataclasses.replace(wrong, sha256=sha256(whl))
    path, digest = fetch_file(client, right)
    assert path.read_bytes() == whl.read_bytes() and digest == sha256(whl)
    before = len(index.requests)
    assert fetch_file(client, right)[0] == path
    assert len(index.requests) == before  # served from the cache


def test_cli_entry_point_runs_as_a_program(
    project: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    index = index_factory(project)
    exe = shutil.which("manylinux-nix") or ""
    cmd = [exe] if exe else [sys.executable, "-m", "pyhelpers.cli"]
    done = subprocess.run(
        [
            *cmd,
            "lock",
            "app",
            "-i",
            index.url,
            "-o",
            "-",
            "-q",
            "--python",
            "3.12",
            "--system",
            "x86_64-linux",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == 1 and done.stderr == ""
    bad = subprocess.run(
        [*cmd, "lock", "app", "--system", "pdp11-linux"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "not a known Nix system" in bad.stderr


def test_netrc_credentials_are_used_but_never_written(
    project: Path,
    index_factory: Callable[..., IndexServer],
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = index_factory(project, auth=("bob", "netrc-pw"))
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password netrc-pw\n")
    monkeypatch.setenv("NETRC", str(netrc))
    out = tmp_path / "l.json"
    code, stdout, err = run(
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        out,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "--json",
    )
    assert code == 0, err
    assert "netrc-pw" not in out.read_text() + stdout + err
    assert "bob" not in out.read_text()


@pytest.mark.parametrize("mode", ["max-age", "etag"])
def test_index_pages_are_reused_as_http_caching_allows(
    mode: str, project: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    options = {"cache_control": "max-age=600"} if mode == "max-age" else {"etags": True}
    index = index_factory(project, **options)
    args = [
        "lock",
        "app",
        "-i",
        index.url,
        "-o",
        tmp_path / "l.json",
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "--no-inspect",
    ]
    assert run(*args)[0] == 0
    first = tmp_path / "first.json"
    (tmp_path / "l.json").replace(first)
    pages_before = sum(1 for _, p in index.requests if p.startswith("/simple/"))
    assert run(*args)[0] == 0
    assert (tmp_path / "l.json").read_bytes() == first.read_bytes()
    pages_after = sum(1 for _, p in index.requests if p.startswith("/simple/"))
    if mode == "max-age":
        assert pages_after == pages_before  # fresh: not asked at all
    else:
        assert pages_after == 2 * pages_before  # asked again, answered 304
        assert any("If-None-Match" in h for h in index.headers_seen)


@pytest.mark.parametrize("server", ["indexserver", "pypiserver"])
def test_metadata_without_pep658_is_read_with_range_requests_not_whole_wheels(
    server: str,
    wheel_dir: Path,
    index_factory: Callable[..., IndexServer],
    pypiserver_factory: Callable[[Path], str],
    run: Run,
    tmp_path: Path,
) -> None:
    # A wheel far larger than what reading its METADATA needs.
    build_wheel(
        wheel_dir,
        "big",
        "1.0",
        requires_dist=["dep"],
        extra_files={"big/blob.bin": os.urandom(4 << 20)},
    )
    build_wheel(wheel_dir, "dep", "1.0")
    if server == "indexserver":
        index = index_factory(wheel_dir, metadata=False)
        url = index.url
    else:
        url = pypiserver_factory(wheel_dir)
    out = tmp_path / "l.json"
    code, _, err = run(
        "lock",
        "big",
        "-i",
        url,
        "-o",
        out,
        "--python",
        "3.12",
        "--system",
        "x86_64-linux",
        "--no-inspect",
    )
    assert code == 0, err
    assert read_lock(out)["targets"]["x86_64-linux/3.12"]["packages"]["big"]["dependencies"] == [
        "dep"
    ]
    downloaded = [p for p in (cache_root() / "files").rglob("*.whl")]
    assert downloaded == []  # nothing was fetched whole
    if server == "indexserver":
        ranged = [h for h in index.headers_seen if "Range" in h]
        assert 1 <= len(ranged) <= 8


def test_lock_and_convert_end_with_the_sonames_the_map_does_not_know(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], run: Run, tmp_path: Path
) -> None:
    from elfbuild import PLAIN_LIBRARY, compile_so

    so = compile_so(tmp_path / "x.so", PLAIN_LIBRARY, add_needed=("libfoo.so.3", "libz.so.1"))
    tag = "cp312-cp312-manylinux_2_17_x86_64"
    build_wheel(wheel_dir, "needsfoo", "1.0", tag, extra_files={"needsfoo/x.so": so.read_bytes()})
    build_wheel(wheel_dir, "fine", "1.0", tag, c_extension=True)
    index = index_factory(wheel_dir)
    out = tmp_path / "l.json"
    target = ["--system", "x86_64-linux", "--python", "3.12"]
    code, _, err = run("lock", "needsfoo", "fine", "-i", index.url, "-o", out, *target)
    assert code == 0, err
    assert "1 package(s) need libraries the soname map does not know" in err
    assert "  x86_64-linux/3.12 needsfoo: libfoo.so.3\n" in err
    assert "libz.so.1" not in err.split("does not know")[1]
    wheel = next(wheel_dir.glob("needsfoo-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (tmp_path / "requirements.txt").write_text(
        f"--index-url {index.url}\nneedsfoo==1.0 --hash=sha256:{digest}\n"
    )
    code, _, err = run("convert", tmp_path / "requirements.txt", "-o", tmp_path / "c.json", *target)
    assert code == 0, err
    assert "  x86_64-linux/3.12 needsfoo: libfoo.so.3\n" in err


def test_linux_arch_wheels_are_taken_last_and_marked(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    """A private index that serves only linux_x86_64 wheels (the Red Hat AI index): taken,
    after every manylinux tag, and the lock says the wheel had no manylinux tag."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "onlylinux", "1.0", "py3-none-linux_x86_64")
    build_wheel(wheels, "both", "1.0", "py3-none-linux_x86_64")
    build_wheel(wheels, "both", "1.0", "py3-none-manylinux_2_17_x86_64")
    index = index_factory(wheels)
    out = tmp_path / "l.json"
    args = ["lock", "onlylinux", "both", "-i", index.url, "-o", str(out), "-q"]
    assert main([*args, "--system", "x86_64-linux", "--python", "3.12"]) == 0
    packages = json.loads(out.read_text())["targets"]["x86_64-linux/3.12"]["packages"]
    assert packages["onlylinux"]["filename"] == "onlylinux-1.0-py3-none-linux_x86_64.whl"
    assert packages["onlylinux"]["linux_tag_only"] is True
    assert packages["both"]["filename"] == "both-1.0-py3-none-manylinux_2_17_x86_64.whl"
    assert "linux_tag_only" not in packages["both"]
