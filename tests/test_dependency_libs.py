"""A wheel inspected alone finds what its own dependencies ship: through Requires-Dist,
transitively, from each dependency's zip directory (range requests); built with
buildManylinuxWheel and its dependency over the stand-in; and every command maps a
library the same way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import hostpython
import pytest
from clitools import Run
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from hostpython import PY, SITE
from indexserver import IndexServer
from nixtools import NIX, REPO, needs_nix, nix_build, unique_version
from wheelfactory import build_wheel

pytestmark = needs_x86_64
TAG = hostpython.TAG
EXT = sysconfig.get_config_var("EXT_SUFFIX")
TARGET = ["--system", "x86_64-linux", "--python", PY]

EXTENSION = r"""
#include <Python.h>
extern int core_value(void);
extern int deep_value(void);
static PyObject *answer(PyObject *self, PyObject *args) {
    return PyLong_FromLong(core_value() + deep_value());
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""


class World:
    """torch, its CUDA wheel and a torch extension, in miniature: visiony's extension
    links torchy's torchy/lib/libtorchy_core.so (a direct dependency) and cudish's
    cudish/lib/libcudish.so (torchy's dependency), as torchvision links torch/lib and
    nvidia-*/lib, with no RPATH that says where."""

    def __init__(self, tmp: Path, version: str) -> None:
        self.wheels = tmp / "wheels"
        libs = tmp / "libs"
        deep = compile_so(
            libs / "libcudish.so",
            "int deep_value(void) { return 2; }\n",
            soname="libcudish.so",
        )
        core = compile_so(
            libs / "libtorchy_core.so",
            "int core_value(void) { return 40; }\n",
            soname="libtorchy_core.so",
            add_needed=("libcudish.so",),
        )
        self.cudish = build_wheel(
            self.wheels, "cudish", version, TAG,
            extra_files={"cudish/__init__.py": b"", "cudish/lib/libcudish.so": deep.read_bytes()},
        )  # fmt: skip
        core_files = {"torchy/__init__.py": b"", "torchy/lib/libtorchy_core.so": core.read_bytes()}
        self.torchy = build_wheel(
            self.wheels, "torchy", version, TAG, requires_dist=[f"cudish=={version}"],
            extra_files=core_files,
        )  # fmt: skip
        ext = compile_so(
            tmp / "ext" / f"_native{EXT}",
            EXTENSION,
            python=True,
            add_needed=("libtorchy_core.so", "libcudish.so"),
        )
        self.visiony = build_wheel(
            self.wheels,
            "visiony",
            version,
            TAG,
            requires_dist=[f"torchy=={version}", 'pywin32; sys_platform == "win32"'],
            extra_files={
                f"visiony/_native{EXT}": ext.read_bytes(),
                "visiony/__init__.py": b"from ._native import answer\n",
            },
        )


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path, unique_version(tmp_path))


def inspect(run: Run, source: object, *flags: str) -> tuple[int, dict[str, dict[str, object]], str]:
    code, out, err = run("inspect", source, "--json", *TARGET, *flags)
    report = json.loads(out) if code == 0 else {"external": []}
    return code, {e["soname"]: e for e in report["external"]}, err


def test_a_library_a_dependency_ships_is_its_sibling_even_two_levels_down(
    world: World, run: Run, index_factory: Callable[..., IndexServer]
) -> None:
    index = index_factory(world.wheels)
    code, external, err = inspect(run, world.visiony, "-i", index.url)
    assert code == 0, err
    core, deep = external["libtorchy_core.so"], external["libcudish.so"]
    assert (core["kind"], core["provided_by"], core["search_path"]) == (
        "sibling", "torchy", "torchy/lib",
    )  # fmt: skip
    assert (deep["kind"], deep["provided_by"], deep["search_path"]) == (
        "sibling", "cudish", "cudish/lib",
    )  # fmt: skip
    # Only the zip directories were read: every wheel request asked for a range.
    files = [
        headers
        for (method, path), headers in zip(index.requests, index.headers_seen, strict=True)
        if method == "GET" and path.startswith("/files/") and path.endswith(".whl")
    ]
    assert files and all(any(k.lower() == "range" for k in h) for h in files)
    # pywin32 applies only on Windows: never asked for
    assert not any("pywin32" in path for _, path in index.requests)


def test_a_dependency_that_an_extra_of_a_dependency_brings_is_followed(
    tmp_path: Path, run: Run, index_factory: Callable[..., IndexServer]
) -> None:
    """torch -> cuda-toolkit[cublas] -> nvidia-cublas; extra == "cublas" (bitsandbytes'
    chain): the extra's dependency is looked at, where a traceback came before."""
    version = unique_version(tmp_path)
    wheels = tmp_path / "wheels"
    lib = compile_so(tmp_path / "libblasish.so", "int blas_value(void) { return 1; }\n",
                     soname="libblasish.so")  # fmt: skip
    build_wheel(wheels, "blasish", version, TAG,
                extra_files={"blasish/lib/libblasish.so": lib.read_bytes()})  # fmt: skip
    build_wheel(wheels, "toolkitish", version,
                requires_dist=[f'blasish=={version}; extra == "blas"'])  # fmt: skip
    ext = compile_so(tmp_path / "ext" / f"_native{EXT}", "int f(void) { return 0; }\n",
                     add_needed=("libblasish.so",))  # fmt: skip
    user = build_wheel(wheels, "blasuser", version, TAG,
                       requires_dist=[f"toolkitish[blas]=={version}"],
                       extra_files={f"blasuser/_native{EXT}": ext.read_bytes()})  # fmt: skip
    code, external, err = inspect(run, user, "-i", index_factory(wheels).url)
    assert code == 0, err
    found = external["libblasish.so"]
    assert (found["kind"], found["provided_by"], found["search_path"]) == (
        "sibling", "blasish", "blasish/lib",
    )  # fmt: skip


def test_a_requirement_is_inspected_the_same_way(
    world: World, run: Run, index_factory: Callable[..., IndexServer]
) -> None:
    index = index_factory(world.wheels)
    code, external, err = inspect(run, "visiony", "-i", index.url)
    assert code == 0, err
    assert external["libtorchy_core.so"]["provided_by"] == "torchy"


def test_offline_uses_what_the_cache_has(
    world: World, run: Run, index_factory: Callable[..., IndexServer]
) -> None:
    index = index_factory(world.wheels)
    url = index.url
    code, external, err = inspect(run, world.visiony, "-i", url, "--offline")
    assert code == 0, err
    assert external["libtorchy_core.so"]["kind"] == "unknown"  # nothing cached yet
    assert index.requests == []
    assert inspect(run, world.visiony, "-i", url)[0] == 0
    index.stop()  # from here on no server answers
    code, external, err = inspect(run, world.visiony, "-i", url, "--offline")
    assert code == 0, err
    assert external["libcudish.so"]["provided_by"] == "cudish"


def test_the_table_names_a_provider_the_wheel_does_not_declare(tmp_path: Path, run: Run) -> None:
    """paddle2onnx links paddle/base/libpaddle.so and does not list paddlepaddle."""
    ext = compile_so(tmp_path / "p2o.so", PLAIN_LIBRARY, add_needed=("libpaddle.so",))
    wheel = build_wheel(
        tmp_path / "w", "p2olike", "1.0", TAG,
        extra_files={f"p2olike/onnx_cpp2py_export{EXT}": ext.read_bytes()},
    )  # fmt: skip
    code, external, err = inspect(run, wheel, "--offline")
    assert code == 0, err
    entry = external["libpaddle.so"]
    assert (entry["kind"], entry["provided_by"], entry["search_path"]) == (
        "sibling", "paddlepaddle", "paddle/base",
    )  # fmt: skip


def test_qt_image_format_plugins_are_optional(tmp_path: Path, run: Run) -> None:
    tiff = compile_so(tmp_path / "libqtiff.so", PLAIN_LIBRARY, add_needed=("libtiff.so.5",))
    wheel = build_wheel(
        tmp_path / "w", "PyQt6-Qt6", "6.11.0", "py3-none-manylinux_2_34_x86_64",
        extra_files={"PyQt6/Qt6/plugins/imageformats/libqtiff.so": tiff.read_bytes()},
    )  # fmt: skip
    code, external, err = inspect(run, wheel, "--offline")
    assert code == 0, err
    entry = external["libtiff.so.5"]
    assert entry["kind"] == "optional" and "image-format plugin" in str(entry["reason"])
    assert entry["nix"] is None  # no nixpkgs attribute ships libtiff.so.5


def test_inspect_fix_venv_and_verify_map_a_file_name_alike(tmp_path: Path, run: Run) -> None:
    """numba's omppool links libgomp.so.1.0.0, a file name whose soname is libgomp.so.1;
    and libstdc++.so.6, needed by an optional plugin and by a file that is not, is not
    named as left out."""
    files = {
        f"numba/np/ufunc/omppool{EXT}": ("libgomp.so.1.0.0",),
        f"numba/np/ufunc/tbbpool{EXT}": ("libtbb.so.12", "libstdc++.so.6"),
        f"numba/_helperlib{EXT}": ("libstdc++.so.6",),
    }
    built = {
        member: compile_so(tmp_path / "so" / member, PLAIN_LIBRARY, add_needed=needed)
        for member, needed in files.items()
    }
    wheel = build_wheel(
        tmp_path / "w", "numba", "0.68.1", TAG,
        extra_files={m: p.read_bytes() for m, p in built.items()},
    )  # fmt: skip
    code, external, err = inspect(run, wheel, "--offline")
    assert code == 0, err
    gomp = external["libgomp.so.1.0.0"]
    assert gomp["kind"] == "library" and gomp["matched_as"] == "libgomp.so.1"
    attribute = gomp["nix"]
    assert isinstance(attribute, str)

    venv = tmp_path / "venv"
    (venv / f"{SITE}").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for member, path in built.items():
        target = venv / f"{SITE}" / member
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    code, out, err = run("fix-venv", venv, "--check", "--json")
    report = json.loads(out)
    missing = {m["soname"]: m["nix"] for m in report["missing"]}
    assert missing["libgomp.so.1.0.0"][0] == attribute
    assert [o["soname"] for o in report["optional_left_out"]] == ["libtbb.so.12"]
    code, _, err = run("fix-venv", venv, "--check")
    assert f"nixpkgs {attribute}" in err and "no nixpkgs attribute" not in err
    assert "optional libraries left out: libtbb.so.12 (" in err
    assert "libstdc++.so.6 (" not in err
    code, out, err = run("verify", venv / f"{SITE}")
    assert code != 0
    line = next(x for x in (out + err).splitlines() if "libgomp.so.1.0.0" in x)
    assert attribute in line and "no nixpkgs attribute" not in line


@pytest.mark.nix
@needs_nix
def test_build_manylinux_wheel_takes_the_folder_from_its_dependency(
    world: World, tmp_path: Path, run: Run, index_factory: Callable[..., IndexServer]
) -> None:
    index = index_factory(world.wheels)
    facts = {}
    for name, wheel in (
        ("cudish", world.cudish),
        ("torchy", world.torchy),
        ("visiony", world.visiony),
    ):
        code, out, err = run("inspect", wheel, "--json", "-i", index.url, *TARGET)
        assert code == 0, err
        facts[name] = tmp_path / f"{name}.json"
        facts[name].write_text(out)
    expr = tmp_path / "set.nix"

    def build(name: str, deps: list[str]) -> str:
        return (
            f"{name} = py.buildManylinuxWheel {{ src = {getattr(world, name)}; "
            f"facts = {facts[name]}; dependencies = [ {' '.join(deps)} ]; }};"
        )

    expr.write_text(
        f"let pkgs = import {NIX}/standin.nix {{ hostPython = {json.dumps(sys.executable)}; "
        f"patchelf = {json.dumps(shutil.which('patchelf'))}; "
        f"overlays = [ (import {REPO}/overlays/default.nix) ]; }}; "
        "py = pkgs.python3.pkgs; in rec { "
        + build("cudish", [])
        + build("torchy", ["cudish"])
        + build("visiony", ["torchy"])
        + "alone = "
        + build("visiony", []).split("=", 1)[1]
        + " }"
    )
    done = nix_build(expr, [], "visiony", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    sites = []
    for name in ("visiony", "torchy", "cudish"):
        built = nix_build(expr, [], name, tmp_path / f"r-{name}")
        sites.append(Path(built.stdout.strip()) / f"{SITE}")
    imported = subprocess.run(
        [sys.executable, "-S", "-c", "import visiony; print(visiony.answer())"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ":".join(map(str, sites))},
        check=False,
    )
    assert imported.stdout.strip() == "42", imported.stderr
    # Without the dependency the build has nowhere to find torchy's library.
    alone = nix_build(expr, [], "alone", tmp_path / "r-alone")
    assert alone.returncode != 0 and "libtorchy_core.so" in alone.stderr


@pytest.mark.network
@pytest.mark.parametrize(
    ("requirement", "provider"),
    [
        ("torchvision==0.23.0", "torch"),
        ("paddle2onnx==2.0.1", "paddlepaddle"),
        ("tokenspeed-mla==0.1.5", "apache-tvm-ffi"),
    ],
)
def test_real_wheels_name_every_library(requirement: str, provider: str, run: Run) -> None:
    code, external, err = inspect(run, requirement, "--python", "3.12")
    assert code == 0, err
    assert [s for s, e in external.items() if e["kind"] == "unknown"] == []
    assert provider in {e.get("provided_by") for e in external.values()}
