"""uv2nixOverrides with the real uv2nix and pyproject.nix (and the real nixpkgs lib), not
only their shape: a uv.lock of wheels built here, served by a local index, loaded with
uv2nix's loadWorkspace, built with pyproject.nix's builders over the stand-in nixpkgs,
composed with our overlay exactly as the README shows it.

Runs when MANYLINUX_NIX_TEST_UV2NIX, MANYLINUX_NIX_TEST_PYPROJECT_NIX and
MANYLINUX_NIX_TEST_NIXPKGS_LIB name checkouts (fetch them; never commit them)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import hostpython
import pytest
import uvoracle
from clitools import Run
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_unshare, needs_x86_64
from hostpython import PY, SITE
from indexserver import IndexServer
from nixtools import NIX, REAL_LIB, REPO, needs_nix, nix_build
from test_nixos_loader import host_library
from wheelfactory import build_sdist, build_wheel

UV2NIX = os.environ.get("MANYLINUX_NIX_TEST_UV2NIX", "")
PYPROJECT_NIX = os.environ.get("MANYLINUX_NIX_TEST_PYPROJECT_NIX", "")
pytestmark = [
    pytest.mark.nix,
    needs_nix,
    needs_x86_64,
    needs_unshare,
    pytest.mark.skipif(
        not (UV2NIX and PYPROJECT_NIX and REAL_LIB),
        reason="needs real checkouts: MANYLINUX_NIX_TEST_UV2NIX (pyproject-nix/uv2nix), "
        "MANYLINUX_NIX_TEST_PYPROJECT_NIX (pyproject-nix/pyproject.nix) and "
        "MANYLINUX_NIX_TEST_NIXPKGS_LIB (nixpkgs lib)",
    ),
]
TAG = hostpython.TAG
EXT = sysconfig.get_config_var("EXT_SUFFIX")
README = REPO / "README.md"

# Links libffi (a nixpkgs library none of the manylinux lists holds), a sibling wheel's
# libsibcore.so, and dlopen()s the driver's libcuda.so.1 by name.
EXTENSION = r"""
#include <Python.h>
#include <dlfcn.h>
extern int sib_value(void);
extern void *ffi_type_void;
static PyObject *answer(PyObject *self, PyObject *args) {
    return PyLong_FromLong(sib_value() + (ffi_type_void != NULL));
}
static PyObject *driver(PyObject *self, PyObject *args) {
    return PyBool_FromLong(dlopen("libcuda.so.1", RTLD_NOW) != NULL);
}
static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, NULL}, {"driver", driver, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""


def readme_example() -> str:
    """The README's uv2nix example, from its `# uv2nix / pyproject.nix` line to poetry2nix's."""
    lines = README.read_text().splitlines()
    start = lines.index("# uv2nix / pyproject.nix") + 1
    end = lines.index("# poetry2nix", start)
    return "\n".join(lines[start:end]) + "\n"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uv_binary() -> str:
    found = uvoracle.uv()
    if found is None:
        pytest.skip("needs uv (the test extras install it)")
    return found


def workspace(tmp: Path, index: IndexServer, files: dict[str, Path]) -> Path:
    root = tmp / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["extdemo", "puresdist", "rtpure"]\n\n[tool.uv]\npackage = false\n'
    )
    registry = index.url.rstrip("/")

    def wheel(path: Path) -> str:
        url = f"{index.base_url}files/{path.name}"
        return f'{{ url = "{url}", hash = "sha256:{sha(path)}", size = {path.stat().st_size} }}'

    sdist = files["puresdist"]
    (root / "uv.lock").write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "extdemo" }, { name = "puresdist" }, { name = "rtpure" }]\n\n'
        '[package.metadata]\nrequires-dist = [{ name = "extdemo" }, { name = "puresdist" },'
        ' { name = "rtpure" }]\n\n'
        f'[[package]]\nname = "extdemo"\nversion = "1.0"\nsource = {{ registry = "{registry}" }}\n'
        'dependencies = [{ name = "nvidia-sibcore" }]\n'
        f"wheels = [{wheel(files['extdemo'])}]\n\n"
        f'[[package]]\nname = "nvidia-sibcore"\nversion = "1.0"\n'
        f'source = {{ registry = "{registry}" }}\n'
        f"wheels = [{wheel(files['nvidia-sibcore'])}]\n\n"
        f'[[package]]\nname = "rtpure"\nversion = "1.0"\nsource = {{ registry = "{registry}" }}\n'
        f"wheels = [{wheel(files['rtpure'])}]\n\n"
        '[[package]]\nname = "puresdist"\nversion = "1.0"\n'
        f'source = {{ registry = "{registry}" }}\n'
        f'sdist = {{ url = "{index.base_url}files/{sdist.name}", hash = "sha256:{sha(sdist)}",'
        f" size = {sdist.stat().st_size} }}\n"
    )
    (root / "pythonset.nix").write_text(
        "{ pkgs, lib, python, uv2nix, pyproject-nix, pyproject-build-systems }:\nrec {\n"
        + readme_example()
        + "}\n"
    )
    return root


@pytest.fixture
def project(tmp_path: Path, run: Run, index_factory: Callable[..., IndexServer]) -> Path:
    wheels = tmp_path / "wheels"
    sib = compile_so(tmp_path / "libsibcore.so", "int sib_value(void) { return 41; }\n",
                     soname="libsibcore.so")  # fmt: skip
    ext = compile_so(
        tmp_path / "ext" / f"_native{EXT}",
        EXTENSION,
        python=True,
        add_needed=("libffi.so.8", "libsibcore.so"),
        link_args=("-ldl",),
    )
    files = {
        "nvidia-sibcore": build_wheel(
            wheels, "nvidia-sibcore", "1.0", TAG,
            extra_files={"nvidia/sibcore/lib/libsibcore.so": sib.read_bytes()},
        ),
        "extdemo": build_wheel(
            wheels, "extdemo", "1.0", TAG, requires_dist=["nvidia-sibcore"],
            extra_files={
                f"extdemo/_native{EXT}": ext.read_bytes(),
                "extdemo/__init__.py": b"from ._native import answer, driver\n",
            },
        ),
        "puresdist": build_sdist(wheels, "puresdist", "1.0"),
        # A pure wheel whose Python code loads zstd by name: no ELF file, a runtime load.
        "rtpure": build_wheel(
            wheels, "rtpure", "1.0",
            extra_files={"rtpure/__init__.py": b"import ctypes, ctypes.util\n"
                         b"Z = ctypes.CDLL(ctypes.util.find_library('zstd') or 'libzstd.so.1')\n"},
        ),
    }  # fmt: skip
    root = workspace(tmp_path, index_factory(wheels), files)
    code, _, err = run(
        "overrides", root / "uv.lock", "--allow-sdist", "-o", root / "native-deps.json",
        "--system", "x86_64-linux", "--python", PY,
    )  # fmt: skip
    assert code == 0, err
    return root


def nix_args(root: Path, with_overlay: bool = True) -> list[str]:
    return [
        "--argstr", "hostPython", sys.executable,
        "--argstr", "pythonFullVersion", platform.python_version(),
        "--argstr", "patchelf", str(shutil.which("patchelf")),
        "--argstr", "uvBinary", uv_binary(),
        "--argstr", "uv2nixSrc", str(Path(UV2NIX).resolve()),
        "--argstr", "pyprojectNixSrc", str(Path(PYPROJECT_NIX).resolve()),
        "--argstr", "workspaceRoot", str(root),
        "--arg", "withManylinuxNix", "true" if with_overlay else "false",
    ]  # fmt: skip


def build(
    root: Path, attr: str, out: Path, with_overlay: bool = True
) -> subprocess.CompletedProcess[str]:
    return nix_build(NIX / "uv2nix-real.nix", nix_args(root, with_overlay), attr, out)


def site(done: subprocess.CompletedProcess[str]) -> Path:
    return Path(done.stdout.strip().splitlines()[-1]) / f"{SITE}"


def test_the_real_uv2nix_set_builds_and_imports_as_on_nixos(project: Path, tmp_path: Path) -> None:
    done = build(project, "extdemo", tmp_path / "extdemo")
    assert done.returncode == 0, done.stderr[-4000:]
    sibling = build(project, "nvidia-sibcore", tmp_path / "sib")
    assert sibling.returncode == 0, sibling.stderr[-4000:]
    # verify ran in the build, after autoPatchelf (the log is kept when built earlier)
    log = subprocess.run(
        ["nix-store", "--read-log", done.stdout.strip()], capture_output=True, text=True,
        errors="replace", check=False,
    ).stdout  # fmt: skip
    assert "verified 1 ELF files against" in (log or done.stderr)
    driver = tmp_path / "driver"
    compile_so(driver / "libcuda.so.1", PLAIN_LIBRARY, soname="libcuda.so.1")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    script = (
        "mount -t tmpfs none /run && mkdir -p /run/opengl-driver/lib && "
        f"mount --bind {driver} /run/opengl-driver/lib && mount --bind {empty} /etc/ld.so.cache && "
        f"mount --bind {empty} {host_library('libffi.so.8')} && "
        f"exec {sys.executable} -S -c 'import extdemo; print(extdemo.answer(), extdemo.driver())'"
    )
    imported = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{site(done)}:{site(sibling)}"},
        check=False,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == ["42", "True"]


def test_without_the_overlay_autopatchelf_fails_as_for_a_user(
    project: Path, tmp_path: Path
) -> None:
    done = build(project, "extdemo", tmp_path / "plain", with_overlay=False)
    assert done.returncode != 0
    assert "auto-patchelf could not satisfy dependency libffi.so.8" in done.stderr
    assert "libsibcore.so" in done.stderr


def test_the_sdist_package_is_left_as_uv2nix_builds_it(project: Path, tmp_path: Path) -> None:
    hooks = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", str(NIX / "uv2nix-real.nix"),
         "-A", "hooks", *nix_args(project)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert hooks.returncode == 0, hooks.stderr[-3000:]
    assert json.loads(hooks.stdout) == {"wheel": True, "sdist": False}
    done = build(project, "puresdist", tmp_path / "sdist")
    assert done.returncode == 0, done.stderr[-4000:]
    assert (site(done) / "puresdist" / "__init__.py").is_file()


def test_the_readme_example_is_the_one_evaluated() -> None:
    example = readme_example()
    assert "uv2nix.lib.workspace.loadWorkspace" in example
    assert (
        "(pkgs.manylinuxNix.uv2nixOverrides { facts = ./native-deps.json; lock = ./uv.lock; })"
        in example
    )


def _import_rtpure(site: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    empty = tmp / "empty"
    empty.write_bytes(b"")
    hidden = [host_library("libzstd.so.1"), Path("/etc/ld.so.cache")]
    mounts = " && ".join(f"mount --bind {empty} {h}" for h in hidden)
    code = f"import site; site.addsitedir({str(site)!r}); import rtpure; print(rtpure.Z._name)"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mounts} && exec {sys.executable} -S -c "{code}"'],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_pure_wheel_that_loads_a_library_by_name_gets_it(project: Path, tmp_path: Path) -> None:
    done = build(project, "rtpure", tmp_path / "rtpure")
    assert done.returncode == 0, done.stderr[-4000:]
    assert (site(done) / "_manylinux_nix_loads_rtpure.pth").is_file()
    imported = _import_rtpure(site(done), tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().endswith("-standin-zstd/lib/libzstd.so.1")
    plain = build(project, "rtpure", tmp_path / "plain", with_overlay=False)
    assert plain.returncode == 0, plain.stderr[-4000:]
    failed = _import_rtpure(site(plain), tmp_path)
    assert failed.returncode != 0 and "libzstd" in failed.stderr, failed.stdout
