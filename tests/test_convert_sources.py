"""Each package is asked of the index its lock took it from, and only that one: poetry's
explicit sources, Pipfile.lock's per-package index; and git or path entries listed for
Nix with --allow-sdist."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from clitools import Run
from indexserver import IndexServer
from wheelfactory import build_wheel

from pyhelpers.lock.lockformats import read_lock
from pyhelpers.lock.lockformats.applicable import applicable
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

TARGET = ["--system", "x86_64-linux", "--python", "3.12"]
KEY = "x86_64-linux/3.12"
WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Two:
    """A public index (PyPI's stand-in) and a private one; the public one also serves an
    impostor of the private package at a higher version, as in dependency confusion."""

    def __init__(self, tmp_path: Path, index_factory: Callable[..., IndexServer]) -> None:
        public, private = tmp_path / "public", tmp_path / "private"
        self.plain = build_wheel(public, "plain", "1.0", requires_dist=["helper"])
        self.helper = build_wheel(public, "helper", "1.0")
        build_wheel(public, "torchy", "9.0")  # the impostor
        self.torchy = build_wheel(private, "torchy", "1.0")
        self.public, self.private = index_factory(public), index_factory(private)

    @staticmethod
    def asked(server: IndexServer) -> set[str]:
        """The projects whose pages or files a server was asked for."""
        names = set()
        for _, path in server.requests:
            parts = path.strip("/").split("/")
            if parts[0] == "simple" and len(parts) > 1:
                names.add(parts[1])
            elif parts[0] == "files":
                names.add(parts[1].split("-")[0])
        return names


@pytest.fixture
def two(tmp_path: Path, index_factory: Callable[..., IndexServer]) -> Two:
    return Two(tmp_path, index_factory)


def poetry_entry(path: Path, name: str, deps: str = "", source: str = "") -> str:
    return (
        f'[[package]]\nname = "{name}"\nversion = "{path.name.split("-")[1]}"\ndescription = ""\n'
        f'optional = false\npython-versions = "*"\n'
        f'files = [{{file = "{path.name}", hash = "sha256:{sha(path)}"}}]\n{deps}{source}\n'
    )


def test_a_poetry_explicit_source_is_asked_only_for_its_packages(
    two: Two, tmp_path: Path, run: Run
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "app"\nversion = "0"\n\n[tool.poetry.dependencies]\n'
        'python = "^3.11"\ntorchy = { version = "1.0", source = "private" }\nplain = "*"\n\n'
        f'[[tool.poetry.source]]\nname = "private"\nurl = "{two.private.url}"\n'
        'priority = "explicit"\n'
    )
    source = (
        f'\n[package.source]\ntype = "legacy"\nurl = "{two.private.url}"\nreference = "private"\n'
    )
    (project / "poetry.lock").write_text(
        poetry_entry(two.plain, "plain", '\n[package.dependencies]\nhelper = "*"\n')
        + poetry_entry(two.helper, "helper")
        + poetry_entry(two.torchy, "torchy", source=source)
        + '[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "0"\n'
    )
    out = tmp_path / "out.json"
    code, _, err = run(
        "convert", project / "poetry.lock", "--no-inspect", "--default-index",
        two.public.url, "-o", out, *TARGET,
    )  # fmt: skip
    assert code == 0, err
    assert two.asked(two.private) == {"torchy"}
    assert "torchy" not in two.asked(two.public)
    assert two.asked(two.public) == {"plain", "helper"}
    packages = json.loads(out.read_text())["targets"][KEY]["packages"]
    assert packages["torchy"]["version"] == "1.0"
    assert packages["torchy"]["url"].startswith(two.private.base_url)
    assert packages["plain"]["dependencies"] == ["helper"]  # the lock's own edges


def test_a_pipfile_index_is_asked_only_for_its_packages(two: Two, tmp_path: Path, run: Run) -> None:
    def entry(path: Path, index: str | None = None) -> dict[str, object]:
        value: dict[str, object] = {
            "hashes": [f"sha256:{sha(path)}"],
            "version": "==" + path.name.split("-")[1],
        }
        if index:
            value["index"] = index
        return value

    lock = {
        "_meta": {
            "hash": {"sha256": "0"},
            "pipfile-spec": 6,
            "requires": {},
            "sources": [
                {"name": "public", "url": two.public.url, "verify_ssl": False},
                {"name": "private", "url": two.private.url, "verify_ssl": False},
            ],
        },
        "default": {
            "plain": entry(two.plain),
            "helper": entry(two.helper),
            "torchy": entry(two.torchy, "private"),
        },
        "develop": {},
    }
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps(lock))
    code, _, err = run("convert", path, "--no-inspect", "-o", tmp_path / "out.json", *TARGET)
    assert code == 0, err
    assert two.asked(two.private) == {"torchy"}
    assert two.asked(two.public) == {"plain", "helper"}


def git_pipfile(two: Two, tmp_path: Path) -> Path:
    lock = {
        "_meta": {
            "hash": {"sha256": "0"},
            "pipfile-spec": 6,
            "requires": {},
            "sources": [{"name": "public", "url": two.public.url, "verify_ssl": False}],
        },
        "default": {
            "helper": {"hashes": [f"sha256:{sha(two.helper)}"], "version": "==1.0"},
            "fromgit": {"git": "https://example.invalid/fromgit.git", "ref": "0123abcd" * 5},
        },
        "develop": {},
    }
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps(lock))
    return path


def test_a_git_entry_is_refused_without_allow_sdist_and_listed_with_it(
    two: Two, tmp_path: Path, run: Run
) -> None:
    path, out = git_pipfile(two, tmp_path), tmp_path / "out.json"
    code, _, err = run("convert", path, "--no-inspect", "-o", out, *TARGET)
    assert code != 0 and not out.exists()
    assert "fromgit comes from git" in err and "--allow-sdist" in err
    code, _, err = run("convert", path, "--no-inspect", "--allow-sdist", "-o", out, *TARGET)
    assert code == 0, err
    target = json.loads(out.read_text())["targets"][KEY]
    assert list(target["packages"]) == ["helper"]
    assert target["sdist_only"] == [
        {
            "name": "fromgit",
            "version": None,
            "filename": None,
            "url": None,
            "sha256": None,
            "source": {
                "type": "git",
                "url": "https://example.invalid/fromgit.git",
                "commit": "0123abcd" * 5,
            },
        }
    ]


def test_a_uv_git_source_is_listed_with_its_commit_offline(tmp_path: Path, run: Run) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "fromgit" }]\n\n'
        '[[package]]\nname = "fromgit"\nversion = "2.0"\n'
        'source = { git = "https://example.invalid/fromgit.git?rev=main#' + "ab" * 20 + '" }\n'
    )
    out = tmp_path / "out.json"
    args = ["convert", lock, "--no-inspect", "--offline", "--allow-sdist", "-o", out, *TARGET]
    code, _, err = run(*args)
    assert code == 0, err
    (listed,) = json.loads(out.read_text())["targets"][KEY]["sdist_only"]
    assert listed["version"] == "2.0"
    assert listed["source"] == {
        "type": "git",
        "url": "https://example.invalid/fromgit.git",
        "commit": "ab" * 20,
    }


def test_getgov_lists_its_git_dependency_with_the_commit() -> None:
    path = WILD / "getgov-pipfile-django" / "Pipfile.lock"
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/samples/wild is not beside this clone)")
    env = marker_environment(
        make_target("x86_64-linux", "3.12", nixpkgs=None, glibc=None, musl=False, macos=None)
    )
    found = applicable(read_lock(path), env)
    (git,) = [u for u in found.unfetchable if u.name == "fred-epplib"]
    assert dict(git.fetch) == {
        "type": "git",
        "url": "https://github.com/cisagov/epplib.git",
        "commit": "308e625b794a9a8e50551e8f9caa837470e24630",
    }
    assert "django" in {p.name for p in found.packages}


def test_axolotl_asks_the_pytorch_index_only_for_what_names_it() -> None:
    path = WILD / "axolotl-poetry-torch-cpu-legacy" / "poetry.lock"
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/samples/wild is not beside this clone)")
    lock = read_lock(path)
    env = marker_environment(
        make_target("x86_64-linux", "3.11", nixpkgs=None, glibc=None, musl=False, macos=None)
    )
    found = applicable(lock, env)
    private = {p.name for p in found.packages if p.index is not None}
    assert private == {"torch", "torchvision", "torchaudio"}
    assert {p.index for p in found.packages if p.index} == {"https://download.pytorch.org/whl/cpu"}
    assert "accelerate" in {p.name for p in found.packages}
    assert lock.default_index == "https://pypi.org/simple/"
    assert "jupyter" not in {p.name for p in found.packages}  # the dev group's


def test_a_requirements_file_s_extra_index_is_asked_for_what_only_it_has(
    tmp_path: Path, index_factory: Callable[..., IndexServer], run: Run
) -> None:
    """A pipenv-made requirements.txt: PyPI as --index-url, the PyTorch index as
    --extra-index-url, `torch==2.6.0+cu126 --hash ...`, which only the latter has (the
    former has torch, but no +cu126 file)."""
    public, extra = tmp_path / "public", tmp_path / "extra"
    plain = build_wheel(public, "plain", "1.0")
    build_wheel(public, "torchy", "2.6.0")
    local = build_wheel(extra, "torchy", "2.6.0+cu126")
    public_index, extra_index = index_factory(public), index_factory(extra)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {public_index.url}\n--extra-index-url {extra_index.url}\n"
        f"plain==1.0 --hash=sha256:{sha(plain)}\n"
        f"torchy==2.6.0+cu126 --hash=sha256:{sha(local)}\n"
    )
    out = tmp_path / "out.json"
    code, _, err = run("convert", requirements, "-o", out, "--no-inspect", *TARGET)
    assert code == 0, err
    packages = json.loads(out.read_text())["targets"][KEY]["packages"]
    assert packages["torchy"]["filename"] == local.name
    assert packages["torchy"]["index"] == extra_index.url
    assert packages["plain"]["index"] == public_index.url
    # plain was found on the first index: the extra one was never asked for it.
    asked = Two.asked(extra_index)
    assert asked == {"torchy"}, asked
