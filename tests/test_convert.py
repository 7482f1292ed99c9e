"""``convert`` and ``overrides``: every lock format, against a real local index serving
real wheels (a torch-like CUDA wheel built here, the real nvidia-* siblings it links)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cudaworld import build_cuda_world
from hostmarks import needs_x86_64
from hostpython import CP, KEY, PY, SITE
from indexserver import IndexServer, with_credentials
from nixtools import NixError, needs_nix, nix_eval
from samples import SAMPLES

from pyhelpers.cli import main
from pyhelpers.runtime.runpaths import read_facts

pytestmark = needs_x86_64


class World:
    """The local index and the files on it, by distribution name."""

    def __init__(self, index: IndexServer, files: dict[str, list[Path]]) -> None:
        self.index, self.files = index, files

    def url(self, path: Path) -> str:
        return f"{self.index.base_url}files/{path.name}"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def world(tmp_path: Path, index_factory: Callable[..., IndexServer]) -> World:
    wheels = tmp_path / "wheels"
    files = build_cuda_world(
        wheels,
        tmp_path,
        "1.0",
        [f"{CP}-{CP}-manylinux_2_28_x86_64", f"{CP}-{CP}-macosx_11_0_arm64"],
    )
    return World(index_factory(wheels), files)


VERSIONS = {
    "torchlike": "1.0",
    "nvidia-cuda-runtime-cu12": "12.8.90",
    "nvidia-nvtx-cu12": "12.8.90",
}


def uv_lock(w: World) -> str:
    parts = [
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n',
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "torchlike" }]\n',
    ]
    for name, version in VERSIONS.items():
        wheels = ", ".join(
            f'{{ url = "{w.url(p)}", hash = "sha256:{sha(p)}", size = {p.stat().st_size} }}'
            for p in w.files[name]
        )
        deps = (
            'dependencies = [{ name = "nvidia-cuda-runtime-cu12" }, '
            '{ name = "nvidia-nvtx-cu12" }]\n'
            if name == "torchlike"
            else ""
        )
        parts.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\n'
            f'source = {{ registry = "{w.index.url.rstrip("/")}" }}\n{deps}wheels = [{wheels}]\n'
        )
    return "\n".join(parts)


def pylock(w: World) -> str:
    parts = ['lock-version = "1.0"\ncreated-by = "test"\n']
    for name, version in VERSIONS.items():
        wheels = ", ".join(
            f'{{ url = "{w.url(p)}", hashes = {{ sha256 = "{sha(p)}" }} }}' for p in w.files[name]
        )
        parts.append(
            f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
            f'index = "{w.index.url}"\nwheels = [{wheels}]\n'
        )
    return "\n".join(parts)


def poetry_lock(w: World) -> str:
    parts = []
    for name, version in VERSIONS.items():
        deps = (
            '[package.dependencies]\nnvidia-cuda-runtime-cu12 = "*"\nnvidia-nvtx-cu12 = "*"\n\n'
            if name == "torchlike"
            else ""
        )
        files = ", ".join(f'{{file = "{p.name}", hash = "sha256:{sha(p)}"}}' for p in w.files[name])
        parts.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
            f'optional = false\npython-versions = ">=3.11"\ngroups = ["main"]\n'
            f"files = [{files}]\n\n{deps}"
            f'[package.source]\ntype = "legacy"\nurl = "{w.index.url}"\nreference = "local"\n'
        )
    parts.append(
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\ncontent-hash = "0"\n'
    )
    return "\n".join(parts)


def poetry_lock_11(w: World) -> str:
    """Lock version 1.1 (poetry < 1.2): no files under the packages, every package's
    under [metadata.files] by name, another version's file among them."""
    parts = []
    shared = []
    for name, version in VERSIONS.items():
        parts.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
            f'category = "main"\noptional = false\npython-versions = ">=3.11"\n\n'
            f'[package.source]\ntype = "legacy"\nurl = "{w.index.url}"\nreference = "local"\n'
        )
        files = [f'{{file = "{p.name}", hash = "sha256:{sha(p)}"}}' for p in w.files[name]]
        files.append(f'{{file = "{name}-0.0.1.tar.gz", hash = "sha256:{"0" * 64}"}}')
        shared.append(f"{name} = [{', '.join(files)}]")
    parts.append(
        '[metadata]\nlock-version = "1.1"\npython-versions = ">=3.11"\ncontent-hash = "0"\n\n'
        "[metadata.files]\n" + "\n".join(shared) + "\n"
    )
    return "\n".join(parts)


def pipfile_lock(w: World) -> str:
    default = {
        name: {
            "hashes": [f"sha256:{sha(p)}" for p in w.files[name]],
            "index": "local",
            "version": f"=={version}",
        }
        for name, version in VERSIONS.items()
    }
    meta = {
        "hash": {"sha256": "0"},
        "pipfile-spec": 6,
        "requires": {},
        "sources": [{"name": "local", "url": w.index.url.rstrip("/"), "verify_ssl": False}],
    }
    return json.dumps({"_meta": meta, "default": default, "develop": {}})


def requirements(w: World) -> str:
    lines = [f"--index-url {w.index.url}"]
    for name, version in VERSIONS.items():
        hashes = " ".join(f"--hash=sha256:{sha(p)}" for p in w.files[name])
        lines.append(f"{name}=={version} {hashes}")
    return "\n".join(lines) + "\n"


def pdm_lock(w: World, *, static_urls: bool = True) -> str:
    """pdm 2.11+ (lock 4.5, inherit_metadata): groups and marker per package, files by
    URL with static_urls, else by name (the index then comes from the pyproject.toml)."""
    strategy = '"inherit_metadata", "static_urls"' if static_urls else '"inherit_metadata"'
    parts = [
        f'[metadata]\ngroups = ["default"]\nstrategy = [{strategy}]\nlock_version = "4.5.0"\n'
        'content_hash = "sha256:0"\n\n[[metadata.targets]]\nrequires_python = ">=3.11"\n'
    ]
    for name, version in VERSIONS.items():
        key = "url" if static_urls else "file"
        files = ", ".join(
            f'{{{key} = "{w.url(p) if static_urls else p.name}", hash = "sha256:{sha(p)}"}}'
            for p in w.files[name]
        )
        deps = (
            'dependencies = ["nvidia-cuda-runtime-cu12==12.8.90", "nvidia-nvtx-cu12"]\n'
            if name == "torchlike"
            else ""
        )
        parts.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\nrequires_python = ">=3.11"\n'
            f'summary = ""\ngroups = ["default"]\n{deps}files = [{files}]\n'
        )
    return "\n".join(parts)


def pdm_lock_files(w: World) -> str:
    return pdm_lock(w, static_urls=False)


def pdm_lock_42(w: World) -> str:
    """The 4.2 layout (pdm < 2.8): files under [metadata.files] keyed "name version", no
    groups per package: what is installed follows from the project's dependencies."""
    parts = [
        '[metadata]\nlock_version = "4.2"\ncross_platform = true\nstatic_urls = false\n'
        'groups = ["default"]\ncontent_hash = "sha256:0"\n'
    ]
    shared = []
    for name, version in VERSIONS.items():
        deps = (
            'dependencies = ["nvidia-cuda-runtime-cu12", "nvidia-nvtx-cu12>=12"]\n'
            if name == "torchlike"
            else ""
        )
        parts.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\nrequires_python = ">=3.11"\n'
            f'summary = ""\n{deps}'
        )
        files = ", ".join(
            f'{{url = "{w.url(p)}", hash = "sha256:{sha(p)}"}}' for p in w.files[name]
        )
        shared.append(f'"{name} {version}" = [{files}]')
    parts.append("[metadata.files]\n" + "\n".join(shared) + "\n")
    return "\n".join(parts)


def pdm_project(w: World) -> str:
    return (
        '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["torchlike"]\n\n'
        f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{w.index.url}"\n'
    )


FORMATS = {
    "uv.lock": uv_lock,
    "pylock.toml": pylock,
    "poetry.lock": poetry_lock,
    "lock-1.1/poetry.lock": poetry_lock_11,
    "Pipfile.lock": pipfile_lock,
    "requirements.txt": requirements,
    "pdm.lock": pdm_lock,
    "pdm-files/pdm.lock": pdm_lock_files,
    "lock-4.2/pdm.lock": pdm_lock_42,
}
# What a lock is read with: the project beside it.
BESIDE = {"pdm-files/pdm.lock": pdm_project, "lock-4.2/pdm.lock": pdm_project}


def convert(source: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "convert",
            str(source),
            "-o",
            str(out),
            "-q",
            "--system",
            "x86_64-linux",
            "--python",
            PY,
            *extra,
        ]
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_converts_to_the_same_wheels_and_hashes(
    fmt: str, world: World, tmp_path: Path
) -> None:
    source = tmp_path / fmt
    source.parent.mkdir(exist_ok=True)
    source.write_text(FORMATS[fmt](world))
    if fmt in BESIDE:
        source.with_name("pyproject.toml").write_text(BESIDE[fmt](world))
    out = tmp_path / "wheels.lock.json"
    assert convert(source, out) == 0
    doc = json.loads(out.read_text())
    assert doc["options"]["converted_from"] == Path(fmt).name
    packages = doc["targets"][KEY]["packages"]
    assert sorted(packages) == sorted(VERSIONS)
    for name, entry in packages.items():
        [linux] = [p for p in world.files[name] if "linux" in p.name]
        assert entry["filename"] == linux.name, fmt
        assert entry["url"] == world.url(linux)
        assert entry["sha256"] == sha(linux)
        assert entry["hash"] == "sha256-" + base64.b64encode(bytes.fromhex(sha(linux))).decode()
    assert packages["torchlike"]["dependencies"] == ["nvidia-cuda-runtime-cu12", "nvidia-nvtx-cu12"]
    kinds = {e["soname"]: e["kind"] for e in packages["torchlike"]["facts"]["external"]}
    assert "unknown" not in kinds.values()


def test_lock_hash_that_differs_from_the_index_is_refused(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [linux] = [p for p in world.files["torchlike"] if "linux" in p.name]
    source = tmp_path / "uv.lock"
    source.write_text(uv_lock(world).replace(sha(linux), "0" * 64))
    out = tmp_path / "wheels.lock.json"
    # Asked to check against the index, the mismatch is named as such.
    assert convert(source, out, "--refresh-index") == 1
    err = capsys.readouterr().err
    assert f"{linux.name} has sha256 {'0' * 64} in the lock but {sha(linux)} on" in err
    assert err.count("\n") == 1 and not out.exists()
    # Without it no index is asked, and the download of the file refuses it.
    assert convert(source, out) == 1
    err = capsys.readouterr().err
    assert f"{linux.name}: sha256 {sha(linux)} does not match" in err
    assert err.count("\n") == 1 and not out.exists()


def test_no_wheel_for_the_target_is_named_unless_sdists_are_allowed(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pylock.toml"
    source.write_text(pylock(world))
    out = tmp_path / "l.json"
    assert (
        main(
            [
                "convert",
                str(source),
                "-o",
                str(out),
                "-q",
                "--system",
                "aarch64-linux",
                "--python",
                PY,
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert f"no wheel of nvidia-cuda-runtime-cu12==12.8.90 fits aarch64-linux/{PY}" in err
    assert "has wheels for py3-none-manylinux2014_x86_64" in err and "--allow-sdist" in err
    assert not out.exists()
    assert (
        main(
            [
                "convert",
                str(source),
                "-o",
                str(out),
                "-q",
                "--system",
                "aarch64-linux",
                "--python",
                PY,
                "--allow-sdist",
            ]
        )
        == 0
    )
    target = json.loads(out.read_text())["targets"][f"aarch64-linux/{PY}"]
    assert target["packages"] == {}
    assert sorted(s["name"] for s in target["sdist_only"]) == sorted(VERSIONS)


def facts_for(world: World, tmp_path: Path) -> Path:
    source = tmp_path / "uv.lock"
    source.write_text(uv_lock(world))
    out = tmp_path / "native-deps.json"
    assert (
        main(
            [
                "overrides",
                str(source),
                "-o",
                str(out),
                "-q",
                "--system",
                "x86_64-linux",
                "--python",
                PY,
            ]
        )
        == 0
    )
    return out


def test_overrides_writes_facts_per_package(world: World, tmp_path: Path) -> None:
    doc = json.loads(facts_for(world, tmp_path).read_text())
    assert doc["kind"] == "facts"
    torch = doc["targets"][KEY]["packages"]["torchlike"]
    assert set(torch) == {"name", "version", "filename", "facts"}
    siblings = {
        e["soname"]: e["provided_by"] for e in torch["facts"]["external"] if e["kind"] == "sibling"
    }
    assert siblings == {
        "libcudart.so.12": "nvidia-cuda-runtime-cu12",
        "libnvToolsExt.so.1": "nvidia-nvtx-cu12",
    }


@needs_nix
@pytest.mark.parametrize("flavour", ["uv2nix", "poetry2nix"])
def test_uv2nix_and_poetry2nix_overlays_add_exactly_the_native_inputs(
    flavour: str, world: World, tmp_path: Path
) -> None:
    facts = facts_for(world, tmp_path)
    got: dict[str, Any] = nix_eval(
        f'(import ./tests/nix/override-shape.nix {{ factsFile = {facts}; flavour = "{flavour}"; '
        f'hostPython = "{sys.executable}"; }}).summary'
    )
    torch = got["torchlike"]
    assert torch["buildInputs"] == ["pre-existing", "standin-gcc-lib"]
    assert torch["autoPatchelfIgnoreMissingDeps"] == ["libcuda.so.1"]
    assert torch["appendRunpaths"] == ["/run/opengl-driver/lib"]
    assert torch["nativeBuildInputs"][-2:] == ["auto-patchelf-hook", "manylinux-nix-hook"]
    assert re.search(
        r"addAutoPatchelfSearchPath /nix/store/[a-z0-9]{32}-[^ ]*nvidia-cuda-runtime-cu12"
        rf"[^ ]*/lib/python{PY}/site-packages/nvidia/cuda_runtime/lib",
        torch["postFixup"],
    ), torch["postFixup"]
    assert "nvidia/nvtx/lib" in torch["postFixup"]
    # The runtime wheel needs nothing outside glibc: left as it was.
    assert got["nvidia-cuda-runtime-cu12"]["buildInputs"] == ["pre-existing"]
    assert got["nvidia-nvtx-cu12"]["buildInputs"] == ["pre-existing", "standin-gcc-lib"]


@needs_nix
@pytest.mark.parametrize("flavour", ["uv2nix", "poetry2nix"])
def test_overlays_refuse_facts_made_from_another_lock(
    flavour: str, world: World, tmp_path: Path
) -> None:
    """After `uv lock --upgrade` the facts describe other wheels: refused, with the fix."""
    facts = facts_for(world, tmp_path)
    source = tmp_path / "uv.lock"
    doc = json.loads(facts.read_text())
    assert doc["source_sha256"] == sha(source)
    shape = (
        f'(import ./tests/nix/override-shape.nix {{ factsFile = {facts}; flavour = "{flavour}"; '
        f'hostPython = "{sys.executable}"; %s }}).summary.torchlike.buildInputs'
    )
    assert nix_eval(shape % f"lockFile = {source};") == ["pre-existing", "standin-gcc-lib"]
    source.write_text(source.read_text().replace('version = "1.0"', 'version = "1.1"'))
    with pytest.raises(NixError) as info:
        nix_eval(shape % f"lockFile = {source};")
    assert f"the facts file was made from another lock (sha256 {doc['source_sha256']})" in str(
        info.value
    )
    assert "re-run `manylinux-nix overrides uv.lock" in str(info.value)
    # Without the lock, a package whose version moved is refused all the same.
    with pytest.raises(NixError, match=r"describes torchlike 1\.0, but the package set has "
                       r"torchlike 1\.1; re-run `manylinux-nix overrides`"):  # fmt: skip
        nix_eval(shape % 'versions = { torchlike = "1.1"; };')


def sdist_project(root: Path, name: str, version: str) -> Path:
    """A pure-Python project folder, as an sdist unpacks to."""
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("answer = 42\n")
    (root / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    return root


@needs_nix
@pytest.mark.parametrize("flavour", ["uv2nix", "poetry2nix"])
def test_overlays_build_the_wheel_and_leave_an_sdist_build_alone(
    flavour: str, world: World, tmp_path: Path
) -> None:
    from nixtools import NIX, nix_build, standin_args

    facts = facts_for(world, tmp_path)
    common = [
        "--arg", "factsFile", str(facts), "--argstr", "flavour", flavour,
        "--arg", "wheelDir", str(tmp_path / "wheels"), *standin_args(),
    ]  # fmt: skip
    wheel = nix_build(NIX / "override-shape.nix", common, "torchlike", tmp_path / "wheel")
    assert wheel.returncode == 0, wheel.stderr
    so = Path(wheel.stdout.strip()) / (f"{SITE}/torchlike/lib/libtorchlike_cuda.so")
    runpath = read_facts(so).runpath
    assert any(p.endswith("site-packages/nvidia/cuda_runtime/lib") for p in runpath)
    assert "/run/opengl-driver/lib" in runpath
    # Built from its sdist, the package has no autoPatchelf: the overlay leaves it alone
    # (before, its postFixup called addAutoPatchelfSearchPath: "command not found").
    project = sdist_project(tmp_path / "project", "torchlike", "1.0")
    sdist = nix_build(
        NIX / "override-shape.nix",
        [*common, "--arg", "sdistDir", str(project), "--arg", "sdists", '[ "torchlike" ]'],
        "torchlike",
        tmp_path / "sdist",
    )
    assert sdist.returncode == 0, sdist.stderr
    assert (Path(sdist.stdout.strip()) / f"{SITE}/torchlike").is_dir()


@pytest.mark.network
def test_real_demo_uv_lock_from_pypi(tmp_path: Path) -> None:
    out = tmp_path / "wheels.lock.json"
    assert (
        main(
            [
                "convert",
                str(SAMPLES / "demo" / "uv.lock"),
                "-o",
                str(out),
                "-q",
                "--system",
                "x86_64-linux",
                "--python",
                "3.12",
                "--python",
                PY,
            ]
        )
        == 0
    )
    targets = json.loads(out.read_text())["targets"]
    assert targets["x86_64-linux/3.12"]["packages"]["numpy"]["version"] == "2.5.5"
    assert targets[KEY]["packages"]["numpy"]["version"] == "2.4.6"
    assert "colorama" not in targets["x86_64-linux/3.12"]["packages"]


def test_pipfile_source_urls_expand_environment_credentials_that_are_never_written(
    world: World,
    tmp_path: Path,
    index_factory: Callable[..., IndexServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private = index_factory(world.index.root, auth=("pipenv-user", "pipenv-secret"))
    monkeypatch.setenv("MNX_USER", "pipenv-user")
    monkeypatch.setenv("MNX_PASS", "pipenv-secret")
    source = tmp_path / "Pipfile.lock"
    templated = with_credentials(private.url, "${MNX_USER}", "${MNX_PASS}")
    source.write_text(pipfile_lock(world).replace(world.index.url.rstrip("/"), templated))
    out = tmp_path / "wheels.lock.json"
    assert convert(source, out, "--no-inspect") == 0
    text = out.read_text()
    assert "pipenv-secret" not in text and "pipenv-user" not in text
    assert any("Authorization" in h for h in private.headers_seen)
    entry = json.loads(text)["targets"][KEY]["packages"]["torchlike"]
    assert entry["url"].startswith(private.base_url)


# Edges that only extras bring: requests[socks] -> pysocks, and a torch-like wheel that
# depends on cuda-toolkit[cudart] whose runtime comes only with that extra.
EXTRA_WORLD = {
    "requests": ("2.0", ["idna", 'pysocks ; extra == "socks"', 'chardet ; extra == "chardet"']),
    "idna": ("3.0", []),
    "pysocks": ("1.7", []),
    "torchy": ("1.0", ["cuda-toolkit[cudart]"]),
    "cuda-toolkit": ("13.0", ['nvidia-cuda-runtime ; extra == "cudart"',
                              'nvidia-cublas ; extra == "cublas"']),
    "nvidia-cuda-runtime": ("13.0", []),
}  # fmt: skip
EXTRA_EDGES = {
    "requests": ["idna", "pysocks"],
    "idna": [],
    "pysocks": [],
    "torchy": ["cuda-toolkit"],
    "cuda-toolkit": ["nvidia-cuda-runtime"],
    "nvidia-cuda-runtime": [],
}


def _extra_world(root: Path) -> dict[str, Path]:
    from wheelfactory import build_wheel

    return {
        name: build_wheel(root, name, version, requires_dist=deps)
        for name, (version, deps) in EXTRA_WORLD.items()
    }


def _extra_locks(index: IndexServer, wheels: dict[str, Path]) -> dict[str, str]:
    def wheel(name: str, key: str) -> str:
        p = wheels[name]
        digest = (
            f'hash = "sha256:{sha(p)}"' if key == "uv" else f'hashes = {{ sha256 = "{sha(p)}" }}'
        )
        return f'{{ url = "{index.base_url}files/{p.name}", {digest} }}'

    registry = f'source = {{ registry = "{index.url}" }}'
    uv = [
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n',
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "requests", extra = ["socks"] }, { name = "torchy" }]\n',
    ]
    deps = {
        "requests": '[{ name = "idna" }]',
        "torchy": '[{ name = "cuda-toolkit", extra = ["cudart"] }]',
    }
    optional = {
        "requests": 'socks = [{ name = "pysocks" }]',
        "cuda-toolkit": 'cudart = [{ name = "nvidia-cuda-runtime" }]',
    }
    for name, (version, _) in EXTRA_WORLD.items():
        entry = f'[[package]]\nname = "{name}"\nversion = "{version}"\n{registry}\n'
        if name in deps:
            entry += f"dependencies = {deps[name]}\n"
        entry += f"wheels = [{wheel(name, 'uv')}]\n"
        if name in optional:
            entry += f"[package.optional-dependencies]\n{optional[name]}\n"
        uv.append(entry)
    pylock = ['lock-version = "1.0"\ncreated-by = "uv"\n'] + [
        f'[[packages]]\nname = "{name}"\nversion = "{version}"\nindex = "{index.url}"\n'
        f"wheels = [{wheel(name, 'pylock')}]\n"
        for name, (version, _) in EXTRA_WORLD.items()
    ]
    reqs = [f"--index-url {index.url}"] + [
        f"{name}=={version} --hash=sha256:{sha(wheels[name])}"
        for name, (version, _) in EXTRA_WORLD.items()
    ]
    return {"uv.lock": "\n".join(uv), "pylock.toml": "\n".join(pylock),
            "requirements.txt": "\n".join(reqs) + "\n"}  # fmt: skip


@pytest.mark.parametrize("fmt", ["uv.lock", "pylock.toml", "requirements.txt"])
def test_edges_that_extras_bring_survive_conversion(
    fmt: str, tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    wheels = _extra_world(tmp_path / "wheels")
    index = index_factory(tmp_path / "wheels")
    source = tmp_path / fmt
    source.write_text(_extra_locks(index, wheels)[fmt])
    out = tmp_path / "out.json"
    assert convert(source, out, "--no-inspect") == 0
    packages = json.loads(out.read_text())["targets"][KEY]["packages"]
    assert {name: p["dependencies"] for name, p in packages.items()} == EXTRA_EDGES


def test_a_package_the_index_no_longer_has_is_named_as_removed(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lerobot's poetry.lock pins pyav, which PyPI deleted: not "check the name"."""
    text = poetry_lock(world).replace(
        "[metadata]",
        '[[package]]\nname = "pyav"\nversion = "14.0.1"\ndescription = ""\noptional = false\n'
        'python-versions = ">=3.9"\ngroups = ["main"]\n'
        'files = [{file = "pyav-14.0.1-py3-none-any.whl", '
        f'hash = "sha256:{"1" * 64}"}}]\n\n'
        f'[package.source]\ntype = "legacy"\nurl = "{world.index.url}"\nreference = "local"\n\n'
        "[metadata]",
    )
    source = tmp_path / "poetry.lock"
    source.write_text(text)
    assert convert(source, tmp_path / "out.json", "--no-inspect") == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"'pyav' is not on {world.index.url} any more (the lock names it)" in err, err


def test_an_unknown_format_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# not a lock\n")
    assert convert(source, tmp_path / "out.json") == 1
    err = capsys.readouterr().err
    assert "or requirements file (a .txt named so, or with that content)" in err
    assert "requirements .txt" not in err
