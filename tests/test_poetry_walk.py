"""poetry.lock read the way poetry's installer reads it: from the project's own
dependencies (pyproject.toml beside the lock) through the lock's graph, several versions
of one package included, with poetry's groups and extras."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.version import Version

from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import LockFile, read_lock
from pyhelpers.lock.lockformats.applicable import applicable
from pyhelpers.lock.lockformats.poetryconstraint import Invalid, parse
from pyhelpers.lock.lockformats.poetrydeps import split_entry
from pyhelpers.lock.lockformats.selection import Selection
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
DOCLING = WILD / "docling-poetry" / "poetry.lock"


def env_for(system: str, python: str) -> dict[str, str]:
    return marker_environment(
        make_target(system, python, nixpkgs=None, glibc=None, musl=False, macos=None)
    )


# poetry-core's documented meanings (python-poetry.org/docs/dependency-specification).
@pytest.mark.parametrize(
    ("constraint", "inside", "outside"),
    [
        ("^1.2.3", ["1.2.3", "1.9"], ["1.2.2", "2.0.0"]),
        ("^1.2", ["1.2", "1.99"], ["2.0"]),
        ("^1", ["1.0", "1.9"], ["2.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("^0.0", ["0.0.9"], ["0.1.0"]),
        ("^0", ["0.9"], ["1.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0", "1.9"], ["2.0"]),
        ("~=1.4", ["1.4", "1.9"], ["2.0"]),
        ("1.2.*", ["1.2.0", "1.2.7"], ["1.3.0"]),
        (">= 1.2, < 1.5", ["1.2", "1.4.9"], ["1.5"]),
        (">=1.2 <1.5", ["1.2"], ["1.5"]),
        (">=2.6.0,<2.10.0 || >2.10.0,<2.10.1", ["2.9", "2.10.0.1"], ["2.10.0", "2.10.1"]),
        ("!=2.*", ["1.9", "3.0"], ["2.0", "2.5"]),
        ("2.1.2", ["2.1.2", "2.1.2+cpu"], ["2.1.3"]),
        ("^2.1.2+cpu", ["2.1.2+cpu", "2.9"], ["3.0"]),
        ("*", ["0.0.1", "99"], []),
    ],
)
def test_poetry_constraints_mean_what_poetry_says(
    constraint: str, inside: list[str], outside: list[str]
) -> None:
    parsed = parse(constraint)
    assert [v for v in inside if not parsed.allows(Version(v))] == []
    assert [v for v in outside if parsed.allows(Version(v))] == []


@pytest.mark.parametrize("text", [">=1 ||", "^not-a-version", ">=1,<2 || ,"])
def test_an_unreadable_constraint_is_refused(text: str) -> None:
    with pytest.raises(Invalid):
        parse(text)


PYPROJECT = """
[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
a = "^1.0"
b = "*"
opt = { version = "*", optional = true }
linuxonly = { version = "*", markers = "sys_platform == 'linux'" }
old = { version = "*", python = "<3.11" }

[tool.poetry.extras]
feat = ["opt"]

[tool.poetry.group.dev.dependencies]
devtool = "*"
"""


def package(name: str, version: str, python: str = ">=3.8", tail: str = "") -> str:
    return (
        f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
        f'optional = false\npython-versions = "{python}"\nfiles = []\n{tail}\n'
    )


LOCK = "".join(
    [
        package("numpyish", "1.0", ">=3.9"),
        package("numpyish", "2.0", ">=3.11"),
        package(
            "a",
            "1.0",
            tail='\n[package.dependencies]\nnumpyish = ">=1.0,<3"\n'
            's = {version = "*", extras = ["x"]}\n',
        ),
        package(
            "b",
            "1.0",
            tail="\n[package.dependencies]\nnumpyish = [\n"
            '    {version = "<2", markers = "sys_platform == \\"darwin\\""},\n'
            '    {version = ">=1", markers = "sys_platform != \\"darwin\\""},\n]\n',
        ),
        package(
            "s",
            "1.0",
            tail="\n[package.dependencies]\n"
            'z = {version = ">=1", optional = true, markers = "extra == \\"y\\""}\n'
            '\n[package.extras]\nx = ["s[y]"]\ny = ["z (>=1)"]\nunused = ["never (>=1)"]\n',
        ),
        package("z", "1.0"),
        package("opt", "1.0"),
        package("linuxonly", "1.0"),
        package("old", "1.0"),
        package("devtool", "1.0"),
        package("pytestish", "1.0"),
        '[metadata]\nlock-version = "2.0"\npython-versions = "^3.10"\ncontent-hash = "0"\n',
    ]
)


@pytest.fixture
def project(tmp_path: Path) -> LockFile:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "poetry.lock").write_text(LOCK)
    return read_lock(tmp_path / "poetry.lock")


def chosen(lock: LockFile, system: str, python: str, **flags: object) -> dict[str, str]:
    found = applicable(lock, env_for(system, python), Selection.of(**flags))  # type: ignore[arg-type]
    return {p.name: p.version for p in found.packages}


def test_each_target_gets_the_newest_version_its_dependents_accept(project: LockFile) -> None:
    linux = chosen(project, "x86_64-linux", "3.12")
    assert set(linux) == {"a", "b", "s", "z", "numpyish", "linuxonly"}
    assert linux["numpyish"] == "2.0"
    # numpyish 2.0 needs Python 3.11; old is for Python < 3.11 only
    assert chosen(project, "x86_64-linux", "3.10")["numpyish"] == "1.0"
    assert "old" in chosen(project, "x86_64-linux", "3.10")
    # b asks for numpyish < 2 on darwin, so every dependent settles on 1.0 there
    darwin = chosen(project, "aarch64-darwin", "3.12")
    assert darwin["numpyish"] == "1.0" and "linuxonly" not in darwin


def test_groups_and_extras_are_poetrys(project: LockFile) -> None:
    default = chosen(project, "x86_64-linux", "3.12")
    assert "opt" not in default and "devtool" not in default
    assert "opt" in chosen(project, "x86_64-linux", "3.12", extras=["feat"])
    assert "opt" in chosen(project, "x86_64-linux", "3.12", all_extras=True)
    with_dev = chosen(project, "x86_64-linux", "3.12", groups=["dev"])
    assert set(with_dev) == set(default) | {"devtool"}
    assert chosen(project, "x86_64-linux", "3.12", only_groups=["dev"]) == {"devtool": "1.0"}
    # never asked for by anything: not installed although the lock holds it
    assert "pytestish" not in chosen(project, "x86_64-linux", "3.12", all_groups=True)


def test_the_graph_gives_every_edge(project: LockFile) -> None:
    graph = applicable(project, env_for("x86_64-linux", "3.12")).graph
    assert graph is not None
    assert graph.edges["a"] == {"numpyish", "s"}
    assert graph.edges["s"] == {"z"}  # through s[x], which brings s[y]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        ({"groups": ["docs"]}, "has no group docs (groups: dev)"),
        ({"extras": ["gpu"]}, "has no extra gpu (extras: feat)"),
        ({"packages": ["app"]}, "a poetry project has none: drop them"),
    ],
)
def test_a_selection_the_project_lacks_is_one_line(
    project: LockFile, flags: dict[str, list[str]], words: str
) -> None:
    with pytest.raises(UserError) as exc:
        chosen(project, "x86_64-linux", "3.12", **flags)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_without_the_pyproject_several_versions_ask_for_it(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(LOCK)
    lock = read_lock(tmp_path / "poetry.lock")
    with pytest.raises(UserError) as exc:
        chosen(lock, "x86_64-linux", "3.12")
    message = str(exc.value)
    assert "numpyish is locked as 1.0 and 2.0" in message
    assert "keep the project's pyproject.toml beside the lock" in message
    assert "regenerate" not in message
    with pytest.raises(UserError, match=r"put the project's pyproject\.toml beside the lock"):
        chosen(lock, "x86_64-linux", "3.12", extras=["feat"])


def test_a_target_the_lock_does_not_cover_is_one_line(project: LockFile, tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        chosen(project, "x86_64-linux", "3.9")
    assert "the lock is for Python ^3.10, not 3.9" in str(exc.value)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.replace('a = "^1.0"', 'a = "^2.0"'))
    with pytest.raises(UserError) as exc:
        chosen(read_lock(tmp_path / "poetry.lock"), "x86_64-linux", "3.12")
    message = str(exc.value)
    assert "the lock holds no set of versions that linux x86_64 Python 3.12" in message
    assert "the project needs a ^2.0" in message and "\n" not in message


def docling() -> LockFile:
    if not DOCLING.exists():
        pytest.skip(f"{DOCLING} is absent (../shared/samples/wild is not beside this clone)")
    return read_lock(DOCLING)


TARGETS = [
    ("x86_64-linux", "3.12", "2.2.6"),
    ("aarch64-linux", "3.13", "2.2.6"),
    ("x86_64-linux", "3.9", "2.0.2"),  # numpy 2.2.6 needs Python 3.10
    ("x86_64-darwin", "3.12", "1.26.4"),  # docling-ibm-models: numpy < 2 on Intel macs
    ("aarch64-darwin", "3.12", "2.2.6"),
]


@pytest.mark.parametrize(("system", "python", "numpy"), TARGETS)
@pytest.mark.parametrize("selection", [{}, {"all_extras": True}, {"all_groups": True}])
def test_docling_every_chosen_version_satisfies_every_dependent(
    system: str, python: str, numpy: str, selection: dict[str, bool]
) -> None:
    """Checked apart from the walk: each edge's marker with packaging's own Marker, its
    constraint against the version chosen for the dependency."""
    lock = docling()
    env = env_for(system, python)
    found = applicable(lock, env, Selection.of(**selection))  # type: ignore[arg-type]
    versions = {p.name: Version(p.version) for p in found.packages}
    assert str(versions["numpy"]) == numpy
    graph = lock.poetry_graph
    entries = {(e.name, Version(e.version)): e for e in graph}
    checked = 0
    for name, version in versions.items():
        entry = entries[(name, version)]
        assert parse(entry.python_versions).allows(Version(env["python_full_version"]))
        for dep in entry.dependencies:
            if dep.optional or dep.name not in versions:
                continue
            if dep.marker is not None and not Marker(dep.marker).evaluate({**env, "extra": ""}):
                continue
            assert parse(dep.constraint).allows(versions[dep.name]), (name, dep)
            checked += 1
    assert checked > 100
    for group, deps in lock.poetry_project.groups if lock.poetry_project else ():
        if group != "main":
            continue
        for dep in deps:
            applies = dep.marker is None or Marker(dep.marker).evaluate({**env, "extra": ""})
            if dep.python is not None:
                applies = applies and parse(dep.python).allows(Version(env["python_full_version"]))
            if applies and not dep.optional:
                assert dep.name in versions and parse(dep.constraint).allows(versions[dep.name])


def test_docling_extras_of_dependencies_come_along() -> None:
    lock = docling()
    found = applicable(lock, env_for("x86_64-linux", "3.12"))
    names = {p.name for p in found.packages}
    # docling-core[chunking] brings semchunk; safetensors[torch] brings torch
    assert {"semchunk", "torch", "transformers"} <= names
    assert "black" not in names and "pytest" not in names  # the dev group's
    assert "tesserocr" not in names  # an extra of the project's own
    assert "tesserocr" in {
        p.name
        for p in applicable(
            lock, env_for("x86_64-linux", "3.12"), Selection.of(extras=["tesserocr"])
        ).packages
    }
    assert split_entry("safetensors[numpy,torch]") == ("safetensors", ("numpy", "torch"))
