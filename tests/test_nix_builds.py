"""Wheel builds through the stand-in nixpkgs that real nixpkgs would break, and how
buildManylinuxWheel keeps them working: autoPatchelf replaces a wheel's RUNPATH (so the
wheel's own $ORIGIN entries come back after it), keeps impure ones of files it leaves
alone (so they are removed), wheel names a store path cannot hold, and a path as src."""

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
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_unshare, needs_x86_64
from hostpython import KEY, PY, SITE
from indexserver import IndexServer
from nixtools import NIX, REPO, needs_nix, nix_build, standin_args, unique_version
from wheelfactory import build_wheel

from pyhelpers.cli import main
from pyhelpers.runtime.runpaths import read_facts

pytestmark = [pytest.mark.nix, needs_nix, needs_x86_64]
TAG = hostpython.TAG
EXT = sysconfig.get_config_var("EXT_SUFFIX")

# An extension whose import needs a plugin it dlopen()s by name: found only through its
# own RUNPATH entry $ORIGIN/plugins. It also links zlib, so autoPatchelf rewrites it.
PLUGIN_EXTENSION = r"""
#include <Python.h>
#include <dlfcn.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) {
    if (!dlopen("libplugin.so", RTLD_NOW)) {
        PyErr_SetString(PyExc_ImportError, dlerror());
        return NULL;
    }
    return PyModule_Create(&module);
}
"""


def lock(index: IndexServer, out: Path, requirement: str) -> None:
    args = ["lock", requirement, "-i", index.url, "-o", str(out), "-q"]
    assert main([*args, "--system", "x86_64-linux", "--python", PY]) == 0


def build_set(
    lock_file: Path, attr: str, out: Path, overrides: str = "{}"
) -> subprocess.CompletedProcess[str]:
    args = ["--arg", "lockFile", str(lock_file), "--argstr", "sonameOverridesJSON", overrides]
    return nix_build(NIX / "wheelset.nix", [*args, *standin_args()], attr, out)


def runpaths(root: Path) -> dict[str, tuple[str, ...]]:
    found = {}
    for path in sorted(root.rglob("*.so*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(root))] = read_facts(path).search_path
    return found


def unique(tmp_path: Path) -> str:
    # A fresh version per run: an earlier run's store path must not answer for this one.
    return unique_version(tmp_path)


def test_the_wheels_own_origin_entries_survive_autopatchelf(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    ext = compile_so(
        tmp_path / f"_native{EXT}",
        PLUGIN_EXTENSION,
        python=True,
        add_needed=("libz.so.1",),
        rpath="$ORIGIN/plugins",
        link_args=("-ldl",),
    )
    plugin = compile_so(tmp_path / "libplugin.so", PLAIN_LIBRARY, soname="libplugin.so")
    build_wheel(
        wheel_dir,
        "plugdemo",
        unique(tmp_path),
        TAG,
        extra_files={
            f"plugdemo/_native{EXT}": ext.read_bytes(),
            "plugdemo/__init__.py": b"from ._native import answer\n",
            "plugdemo/plugins/libplugin.so": plugin.read_bytes(),
        },
    )
    lock(index_factory(wheel_dir), tmp_path / "l.json", "plugdemo")
    done = build_set(tmp_path / "l.json", "plugdemo", tmp_path / "result")
    # The import check dlopen()s the plugin: without $ORIGIN/plugins it fails the build.
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(done.stdout.strip()) / f"{SITE}"
    entries = runpaths(site)[f"plugdemo/_native{EXT}"]
    assert entries[0].endswith("-standin-zlib/lib")  # autoPatchelf's, first
    assert "$ORIGIN/plugins" in entries


def test_impure_runpaths_are_removed_and_never_searched(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    """A wheel built on a machine with extra libraries in /usr/local keeps that folder in
    RUNPATHs. autoPatchelf searches it at build time (for libraries it finds in the
    package) and leaves a file alone when it resolves nothing for it; neither may leak."""
    host = tmp_path / "hostlibs"
    host.mkdir()
    shutil.copy(os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6"), host / "libc.so.6")
    compile_so(host / "libhostonly.so", PLAIN_LIBRARY, soname="libhostonly.so")
    vend = compile_so(tmp_path / "libvend.so", PLAIN_LIBRARY, soname="libvend.so", rpath=str(host))
    ext = compile_so(
        tmp_path / f"_native{EXT}",
        "int native_value(void) { return 1; }\n",
        add_needed=("libvend.so", "libhostonly.so"),
        rpath="$ORIGIN/../impuredemo.libs",
    )
    build_wheel(
        wheel_dir,
        "impuredemo",
        unique(tmp_path),
        TAG,
        extra_files={
            f"impuredemo/_native{EXT}": ext.read_bytes(),
            "impuredemo.libs/libvend.so": vend.read_bytes(),
        },
    )
    lock(index_factory(wheel_dir), tmp_path / "l.json", "impuredemo")
    done = build_set(
        tmp_path / "l.json", "impuredemo", tmp_path / "result", '{"libhostonly.so": null}'
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ignoring missing libhostonly.so" in done.stderr
    site = Path(done.stdout.strip()) / f"{SITE}"
    found = runpaths(site)
    assert found[f"impuredemo/_native{EXT}"] == (
        f"{site}/impuredemo.libs",
        "$ORIGIN/../impuredemo.libs",
    )
    assert found["impuredemo.libs/libvend.so"] == ()
    assert not any(str(host) in e for entries in found.values() for e in entries)


def test_a_wheel_name_with_an_epoch_builds(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    """'!' may not appear in a store path name; the wheel's own name must reach pip."""
    build_wheel(wheel_dir, "epochdemo", f"1!{unique(tmp_path)}")
    lock(index_factory(wheel_dir), tmp_path / "l.json", "epochdemo")
    entry = json.loads((tmp_path / "l.json").read_text())["targets"][KEY]
    assert "!" in entry["packages"]["epochdemo"]["filename"]
    done = build_set(tmp_path / "l.json", "epochdemo", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(done.stdout.strip()) / f"{SITE}"
    assert [p.name for p in site.glob("*.dist-info")] == [
        f"epochdemo-1!{unique(tmp_path)}.dist-info"
    ]


def test_a_local_wheel_path_is_a_src(tmp_path: Path, wheel_dir: Path) -> None:
    wheel = build_wheel(wheel_dir, "localdemo", unique(tmp_path), TAG, c_extension=True)
    expr = tmp_path / "local.nix"
    expr.write_text(
        f"let pkgs = import {NIX}/standin.nix {{ hostPython = {json.dumps(sys.executable)}; "
        f"patchelf = {json.dumps(shutil.which('patchelf'))}; "
        f"overlays = [ (import {REPO}/overlays/default.nix) ]; }}; "
        f"in pkgs.python3.pkgs.buildManylinuxWheel {{ src = {wheel}; }}"
    )
    done = nix_build(expr, [], "", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (Path(done.stdout.strip()) / f"{SITE}/localdemo").is_dir()


# libcudart, cuDNN and NCCL dlopen("libcuda.so.1") with no DT_NEEDED on it; so does this.
PROBE_EXTENSION = r"""
#include <Python.h>
#include <dlfcn.h>
static PyObject *probe(PyObject *self, PyObject *name) {
    return PyBool_FromLong(dlopen(PyUnicode_AsUTF8(name), RTLD_NOW) != NULL);
}
static PyMethodDef methods[] = {{"probe", probe, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
static const char *driver = "libcuda.so.1";
const char *driver_name(void) { return driver; }
"""


def probe_wheel(wheel_dir: Path, tmp: Path, name: str, version: str, rpath: str | None) -> Path:
    ext = compile_so(
        tmp / name / f"_native{EXT}",
        PROBE_EXTENSION,
        python=True,
        add_needed=("libz.so.1",),
        rpath=rpath,
        link_args=("-ldl",),
    )
    return build_wheel(
        wheel_dir,
        name,
        version,
        TAG,
        requires_dist=["sibpkg"] if rpath else [],
        extra_files={
            f"{name}/_native{EXT}": ext.read_bytes(),
            f"{name}/__init__.py": b"from ._native import probe\n",
        },
    )


def fake_driver(tmp: Path) -> Path:
    driver = tmp / "driver"
    compile_so(driver / "libcuda.so.1", PLAIN_LIBRARY, soname="libcuda.so.1")
    return driver


def probe_as_on_nixos(
    sites: list[Path], module: str, library: str, driver: Path
) -> subprocess.CompletedProcess[str]:
    """Import and dlopen with the driver only in /run/opengl-driver/lib and no ld.so.cache."""
    empty = driver.parent / "empty"
    empty.write_bytes(b"")
    script = (
        "mount -t tmpfs none /run && mkdir -p /run/opengl-driver/lib && "
        f"mount --bind {driver} /run/opengl-driver/lib && mount --bind {empty} /etc/ld.so.cache && "
        f"exec {sys.executable} -S -c 'import {module}; print({module}.probe(\"{library}\"))'"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ":".join(map(str, sites))},
        check=False,
        timeout=60,
    )


@needs_unshare
def test_a_library_that_dlopens_the_driver_finds_it_after_the_build(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    probe_wheel(wheel_dir, tmp_path, "gpudemo", unique(tmp_path), None)
    lock(index_factory(wheel_dir), tmp_path / "l.json", "gpudemo")
    facts = json.loads((tmp_path / "l.json").read_text())["targets"][KEY]
    assert facts["packages"]["gpudemo"]["facts"]["driver_dlopen"] is True
    done = build_set(tmp_path / "l.json", "gpudemo", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(done.stdout.strip()) / f"{SITE}"
    assert "/run/opengl-driver/lib" in runpaths(site)[f"gpudemo/_native{EXT}"]
    found = probe_as_on_nixos([site], "gpudemo", "libcuda.so.1", fake_driver(tmp_path))
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "True"


def test_a_library_dlopened_through_a_sibling_wheels_folder_loads_after_the_build(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    version = unique(tmp_path)
    plugin = compile_so(tmp_path / "libsibplugin.so", PLAIN_LIBRARY, soname="libsibplugin.so")
    build_wheel(
        wheel_dir,
        "sibpkg",
        version,
        extra_files={"sibpkg/lib/libsibplugin.so": plugin.read_bytes()},
    )
    probe_wheel(wheel_dir, tmp_path, "dlopendemo", version, "$ORIGIN/../sibpkg/lib")
    lock(index_factory(wheel_dir), tmp_path / "l.json", "dlopendemo")
    done = build_set(tmp_path / "l.json", "dlopendemo", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    sibling = build_set(tmp_path / "l.json", "sibpkg", tmp_path / "sibling")
    sites = [Path(p.stdout.strip()) / f"{SITE}" for p in (done, sibling)]
    # autoPatchelf dropped $ORIGIN/../sibpkg/lib; the build points it at the sibling's store.
    assert f"{sites[1]}/sibpkg/lib" in runpaths(sites[0])[f"dlopendemo/_native{EXT}"]
    found = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import dlopendemo; print(dlopendemo.probe('libsibplugin.so'))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ":".join(map(str, sites))},
        check=False,
    )
    assert found.stdout.strip() == "True", found.stderr


def test_optional_plugin_libraries_are_left_out_with_a_warning_and_can_be_asked_for(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    tbbpool = compile_so(tmp_path / "tbbpool.so", PLAIN_LIBRARY, add_needed=("libtbb.so.12",))
    build_wheel(
        wheel_dir,
        "numbalike",
        unique(tmp_path),
        TAG,
        extra_files={f"numba/np/ufunc/tbbpool{EXT}": tbbpool.read_bytes()},
    )
    lock(index_factory(wheel_dir), tmp_path / "l.json", "numbalike")
    done = build_set(tmp_path / "l.json", "numbalike", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "optional libraries left out: libtbb.so.12 (numba's TBB threading layer" in done.stderr
    assert 'includeOptional = [ "libtbb.so.12" ]' in done.stderr
    assert "ignoring missing libtbb.so.12" in done.stderr
    assert "libtbb.so.12 left missing, as asked" in done.stderr
    # Asked for, it is wanted like any library: this stand-in has no onetbb.
    asked = nix_build(
        NIX / "wheelset.nix",
        [
            "--arg", "lockFile", str(tmp_path / "l.json"),
            "--arg", "includeOptional", '[ "libtbb.so.12" ]', *standin_args(),
        ],
        "numbalike",
        tmp_path / "asked",
    )  # fmt: skip
    assert asked.returncode != 0
    assert "libtbb.so.12, needed by" in asked.stderr and "none of onetbb" in asked.stderr
