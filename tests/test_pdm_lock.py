"""pdm.lock read as pdm installs it: groups and markers per package (inherit_metadata),
extras as entries of their own, git and path entries, the 4.2 layout walked from the
project, the lock's targets; and what convert's pdm flags select."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from indexserver import IndexServer
from wheelfactory import build_wheel

from pyhelpers.cli import main
from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import applicable, read_lock
from pyhelpers.lock.lockformats.selection import Selection
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

LINUX = marker_environment(make_target("x86_64-linux", "3.12"))
DARWIN = marker_environment(make_target("aarch64-darwin", "3.12"))
H = "sha256:" + "ab" * 32

LOCK_45 = f"""
[metadata]
groups = ["default", "web", "test"]
strategy = ["inherit_metadata", "static_urls"]
lock_version = "4.5.0"
content_hash = "sha256:0"

[[metadata.targets]]
requires_python = ">=3.10"

[[package]]
name = "Uvicorn"
version = "0.32.1"
groups = ["default"]
dependencies = ["h11>=0.8"]
files = [{{url = "https://files.example/uvicorn-0.32.1-py3-none-any.whl", hash = "{H}"}}]

[[package]]
name = "uvicorn"
version = "0.32.1"
extras = ["standard"]
groups = ["web"]
dependencies = ["uvicorn==0.32.1", "uvloop>=0.14; sys_platform != \\"win32\\""]
files = [{{url = "https://files.example/uvicorn-0.32.1-py3-none-any.whl", hash = "{H}"}}]

[[package]]
name = "h11"
version = "0.14.0"
groups = ["default"]
files = [{{url = "https://files.example/h11-0.14.0-py3-none-any.whl", hash = "{H}"}}]

[[package]]
name = "uvloop"
version = "0.21.0"
groups = ["web"]
marker = "sys_platform != \\"win32\\" and platform_machine == \\"x86_64\\""
files = [
    {{url = "https://f.example/uvloop-0.21.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "{H}"}},
]

[[package]]
name = "theme"
version = "0.2.0"
git = "https://git.example/theme.git"
revision = "76b1d0e4c8afff1ad135b1917fe09cf6c1cc6c9b"
groups = ["test"]

[[package]]
name = "mylib"
version = "0.1.0"
path = "./mylib"
groups = ["test"]
"""

PROJECT = """
[project]
name = "app"
dependencies = ["uvicorn"]
[project.optional-dependencies]
web = ["uvicorn[standard]"]
[dependency-groups]
test = ["theme", "mylib"]
"""


def lock_at(tmp_path: Path, text: str, project: str | None = None, name: str = "pdm.lock") -> Path:
    path = tmp_path / name
    path.write_text(text)
    if project is not None:
        path.with_name("pyproject.toml").write_text(project)
    return path


DEFAULT = Selection()


def names(path: Path, env: dict[str, str], selection: Selection = DEFAULT) -> set[str]:
    found = applicable(read_lock(path), env, selection)
    return {p.name for p in found.packages} | {f"{u.name} (git)" for u in found.unfetchable}


def test_groups_markers_and_extras_entries_decide(tmp_path: Path) -> None:
    path = lock_at(tmp_path, LOCK_45)
    assert names(path, LINUX) == {"uvicorn", "h11"}
    web = Selection.of(groups=["web"])
    assert names(path, LINUX, web) == {"uvicorn", "h11", "uvloop"}
    assert names(path, DARWIN, web) == {"uvicorn", "h11"}  # uvloop's marker wants x86_64
    every = Selection.of(groups=[":all"])
    assert names(path, LINUX, every) == {"uvicorn", "h11", "uvloop", "theme (git)"}
    assert names(path, LINUX, Selection.of(groups=[":all"], without=["web"])) == {
        "uvicorn",
        "h11",
        "theme (git)",
    }
    assert names(path, LINUX, Selection.of(groups=["test"], no_default=True)) == {"theme (git)"}
    found = applicable(read_lock(path), LINUX, web)
    assert found.graph is not None and found.graph.edges["uvicorn"] == {"h11", "uvloop"}
    lock = read_lock(path)
    assert lock.skipped == ("mylib",)  # the user's own code: never fetched


def test_a_group_the_lock_does_not_have_is_named(tmp_path: Path) -> None:
    path = lock_at(tmp_path, LOCK_45)
    with pytest.raises(
        UserError, match=r"'docs' is not a group the lock has \(default, test, web\)"
    ):
        names(path, LINUX, Selection.of(groups=["docs"]))
    with pytest.raises(UserError, match=r"need the project's pyproject.toml beside the lock"):
        names(path, LINUX, Selection.of(all_extras=True))
    lock_at(tmp_path, LOCK_45, PROJECT)
    assert names(path, LINUX, Selection.of(all_extras=True)) == {"uvicorn", "h11", "uvloop"}
    assert names(path, LINUX, Selection.of(all_groups=True)) == {"uvicorn", "h11", "theme (git)"}


def test_a_target_outside_the_locks_targets_is_refused(tmp_path: Path) -> None:
    text = LOCK_45.replace(
        'requires_python = ">=3.10"\n',
        'requires_python = ">=3.10"\nplatform = "manylinux_2_17_x86_64"\n',
    )
    path = lock_at(tmp_path, text)
    assert names(path, LINUX) == {"uvicorn", "h11"}
    with pytest.raises(UserError, match=r"the lock covers only '>=3\.10 manylinux_2_17_x86_64'"):
        names(path, DARWIN)
    old = marker_environment(make_target("x86_64-linux", "3.9"))
    with pytest.raises(UserError, match="the lock covers only"):
        names(path, old)


LOCK_42 = f"""
[metadata]
lock_version = "4.2"
cross_platform = true
static_urls = false
groups = ["default", "web"]
content_hash = "sha256:0"

[[package]]
name = "uvicorn"
version = "0.32.1"
dependencies = ["h11>=0.8", "colorama; sys_platform == \\"win32\\""]

[[package]]
name = "uvicorn"
version = "0.32.1"
extras = ["standard"]
dependencies = ["uvicorn==0.32.1", "uvloop>=0.14"]

[[package]]
name = "h11"
version = "0.14.0"

[[package]]
name = "colorama"
version = "0.4.6"

[[package]]
name = "uvloop"
version = "0.21.0"

[metadata.files]
"uvicorn 0.32.1" = [{{url = "https://files.example/uvicorn-0.32.1-py3-none-any.whl", hash = "{H}"}}]
"h11 0.14.0" = [{{url = "https://files.example/h11-0.14.0-py3-none-any.whl", hash = "{H}"}}]
"colorama 0.4.6" = [{{url = "https://files.example/colorama-0.4.6-py3-none-any.whl", hash = "{H}"}}]
"uvloop 0.21.0" = [{{url = "https://files.example/uvloop-0.21.0-py3-none-any.whl", hash = "{H}"}}]
"""


def test_an_old_lock_is_walked_from_the_project(tmp_path: Path) -> None:
    path = lock_at(tmp_path, LOCK_42)
    with pytest.raises(UserError, match=r"records no groups per package.*keep the project's"):
        names(path, LINUX)
    lock_at(
        tmp_path,
        LOCK_42,
        PROJECT.replace(
            'web = ["uvicorn[standard]"]', 'web = ["app[x]"]\nx = ["uvicorn[standard]"]'
        ),
    )
    assert names(path, LINUX) == {"uvicorn", "h11"}  # colorama: win32 only
    assert names(path, LINUX, Selection.of(extras=["web"])) == {"uvicorn", "h11", "uvloop"}
    [h11] = [p for p in read_lock(path).packages if p.name == "h11"]
    assert h11.files[0].url == "https://files.example/h11-0.14.0-py3-none-any.whl"


def test_a_pdm_lock_by_another_name_is_known_by_its_content(tmp_path: Path) -> None:
    path = lock_at(tmp_path, LOCK_45, name="requirements.lock")
    assert read_lock(path).format == "pdm.lock"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            'files = [{url = "https://files.example/h11',
            'files = [{nope = "https://files.example/h11',
        ),
        ('version = "0.14.0"', 'version = "zero"'),
        ('groups = ["default", "web", "test"]', 'groups = "default"'),
    ],
)
def test_broken_input_is_one_line_naming_the_place(
    tmp_path: Path, change: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = lock_at(tmp_path, LOCK_45.replace(change, words, 1))
    code = main(["convert", str(path), "-o", str(tmp_path / "out.json"), "-q", "--no-inspect"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1, err
    assert (
        err.startswith(f"manylinux-nix: error: {path}: ") and "regenerate it with `pdm lock`" in err
    )


def test_convert_takes_pdms_flags(tmp_path: Path) -> None:
    path = lock_at(tmp_path, LOCK_45)
    out = tmp_path / "out.json"
    args = ["convert", str(path), "-o", str(out), "-q", "--no-inspect", "--allow-sdist"]
    target = ["--system", "x86_64-linux", "--python", "3.12"]
    assert main([*args, *target, "--prod", "-G", ":all", "--without", "test"]) == 0
    doc = json.loads(out.read_text())
    assert sorted(doc["targets"]["x86_64-linux/3.12"]["packages"]) == ["h11", "uvicorn", "uvloop"]
    assert doc["options"]["selection"]["without"] == ["test"]
    assert main([*args, *target, "--no-default", "-G", "web"]) == 0
    doc = json.loads(out.read_text())
    assert sorted(doc["targets"]["x86_64-linux/3.12"]["packages"]) == ["uvicorn", "uvloop"]


def test_each_pdm_source_is_asked_in_turn_for_a_file_named_without_url(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    """pdm.lock records no index per package; pdm looks on each [[tool.pdm.source]] in
    turn. A package only the second source has is found there, not refused."""
    first, second = tmp_path / "first", tmp_path / "second"
    public = build_wheel(first, "public", "1.0", requires_dist=["private"])
    private = build_wheel(second, "private", "2.0")
    one, two = index_factory(first), index_factory(second)

    def entry(wheel: Path, name: str, version: str, deps: str = "") -> str:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        return (
            f'[[package]]\nname = "{name}"\nversion = "{version}"\ngroups = ["default"]\n{deps}'
            f'files = [{{file = "{wheel.name}", hash = "sha256:{digest}"}}]\n'
        )

    lock = lock_at(
        tmp_path,
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.0"\ncontent_hash = "sha256:0"\n\n'
        + entry(public, "public", "1.0", 'dependencies = ["private"]\n')
        + entry(private, "private", "2.0"),
        '[project]\nname = "app"\ndependencies = ["public"]\n\n'
        f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{one.url}"\n\n'
        f'[[tool.pdm.source]]\nname = "private"\nurl = "{two.url}"\n',
    )
    out = tmp_path / "out.json"
    argv = ["convert", str(lock), "-o", str(out), "-q", "--no-inspect"]
    assert main([*argv, "--system", "x86_64-linux", "--python", "3.12"]) == 0
    packages = json.loads(out.read_text())["targets"]["x86_64-linux/3.12"]["packages"]
    assert packages["public"]["url"].startswith(one.base_url)
    assert packages["private"]["url"].startswith(two.base_url)
    assert packages["public"]["dependencies"] == ["private"]
