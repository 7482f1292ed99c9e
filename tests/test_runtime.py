"""The runtime side for pip/uv venvs: a wrapped Python built with nix-build over the
stand-in set loads its library set without leaking LD_LIBRARY_PATH, keeps it in venvs,
and its `_manylinux` hook makes a real pip refuse wheels newer than the policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostmarks import needs_x86_64
from hostpython import PY
from indexserver import IndexServer
from nixtools import REPO, needs_nix, nix_build, nix_eval
from wheelfactory import build_wheel

pytestmark = [
    pytest.mark.nix,
    needs_nix,
    needs_x86_64,
]
HOST = {"hostPython": sys.executable, "hostPrefix": sys.base_prefix}


def standin(extra: str = "") -> str:
    args = " ".join(f"{k} = {json.dumps(v)};" for k, v in HOST.items())
    return (
        f'(import {REPO}/tests/nix/standin.nix {{ {args} patchelf = "/bin/true"; '
        f"overlays = [ (import {REPO}/overlays/default.nix) ]; {extra} }})"
    )


def wrapped(
    tmp_path: Path,
    policy: str = "manylinux_2_17",
    python: str = "pkgs.python3",
    libraries: str = "[ zonly ]",
) -> Path:
    expr = tmp_path / "wrapped.nix"
    # A library only the wrapper's library path has: the host's zlib under another name.
    expr.write_text(
        f'let pkgs = {standin()}; zonly = pkgs.runCommand "zonly" {{ run = "{tmp_path}"; }} '
        '"mkdir -p $out/lib && cp -L /usr/lib/x86_64-linux-gnu/libz.so.1 $out/lib/libzonly.so"; '
        f"in {{ py = pkgs.manylinuxNix.wrapPythonForManylinux {{ python = {python}; "
        f'libraries = {libraries}; policy = "{policy}"; }}; }}'
    )
    done = nix_build(expr, [], "py", tmp_path / "py")
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


PROBE = (
    "import ctypes, os, subprocess, sys; ctypes.CDLL('libzonly.so'); "
    "print(sys.prefix); print('env', os.environ.get('LD_LIBRARY_PATH')); "
    "print('child', subprocess.run(['sh', '-c', 'echo \"[$LD_LIBRARY_PATH]\"'], "
    "capture_output=True, text=True).stdout.strip())"
)


def test_wrapped_python_loads_its_libraries_and_children_do_not_inherit_them(
    tmp_path: Path,
) -> None:
    py = wrapped(tmp_path)
    done = subprocess.run(
        [str(py / "bin/python3"), "-c", PROBE],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"},
    )
    assert done.returncode == 0, done.stderr
    prefix, env, child = done.stdout.splitlines()
    assert prefix == str(py) and env == "env None" and child == "child []"
    # Without the wrapper the library is not found: the test can fail.
    bare = subprocess.run(
        [sys.executable, "-c", "import ctypes; ctypes.CDLL('libzonly.so')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bare.returncode != 0


def test_a_with_packages_environment_is_wrapped_at_its_interpreter(tmp_path: Path) -> None:
    """python.withPackages makes bin/python3.X an ELF wrapper that execs the interpreter:
    the loader's --library-path given to that wrapper would not reach it."""
    env = "(pkgs.python3.withPackages (ps: [ ps.resolvelib ]))"
    py = wrapped(tmp_path, python=env)
    done = subprocess.run(
        [
            str(py / f"bin/python{PY}"),
            "-c",
            PROBE + "; import resolvelib; print(resolvelib.__file__)",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")},
    )
    assert done.returncode == 0, done.stderr
    prefix, env_line, child, package = done.stdout.splitlines()
    assert prefix == str(py) and env_line == "env None" and child == "child []"
    # The environment's packages are still there, through its site-packages.
    assert package.startswith(str(py)) and "resolvelib" in package


def test_an_empty_library_list_still_runs_python(tmp_path: Path) -> None:
    py = wrapped(tmp_path, libraries="[ ]")
    done = subprocess.run(
        [str(py / "bin/python3"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(py)


def test_venv_from_the_wrapped_python_keeps_the_library_path_and_hook(tmp_path: Path) -> None:
    py = wrapped(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([str(py / "bin/python3"), "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            PROBE + "; import _manylinux; print(_manylinux.manylinux_compatible(2, 28, 'x86_64'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    prefix, env, child, compatible = done.stdout.splitlines()
    assert prefix == str(venv) and env == "env None" and child == "child []"
    assert compatible == "False"


def test_pip_in_the_wrapped_python_refuses_wheels_newer_than_the_policy(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    py = wrapped(tmp_path, policy="manylinux2014")
    tag = f"cp3{sys.version_info.minor}-cp3{sys.version_info.minor}"
    build_wheel(wheel_dir, "newonly", "1.0", f"{tag}-manylinux_2_28_x86_64", c_extension=True)
    build_wheel(wheel_dir, "both", "1.0", f"{tag}-manylinux_2_28_x86_64", c_extension=True)
    build_wheel(wheel_dir, "both", "1.0", f"{tag}-manylinux_2_17_x86_64", c_extension=True)
    index = index_factory(wheel_dir)

    def download(python: Path, name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--index-url",
                index.url,
                "-d",
                str(tmp_path / "dl" / python.parent.parent.name),
                name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    # pip as users get it: in a venv made from the wrapped Python (nixpkgs' Python has
    # no pip of its own; ensurepip gives the venv one).
    venv = tmp_path / "venv"
    made = subprocess.run(
        [str(py / "bin/python3"), "-m", "venv", str(venv)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    got = download(venv / "bin/python", "both")
    assert got.returncode == 0, got.stderr
    assert "both-1.0-" + tag + "-manylinux_2_17_x86_64.whl" in got.stdout
    refused = download(venv / "bin/python", "newonly")
    assert refused.returncode != 0 and "No matching distribution" in refused.stderr
    # The host's own Python, without the hook, takes the newer wheel: the hook decides.
    control = download(Path(sys.executable), "newonly")
    assert control.returncode == 0, control.stderr


def test_manylinux_shell_sets_nix_ld_and_uv_for_hatch() -> None:
    got = nix_eval(
        f'let s = {standin()}.manylinuxNix.mkManylinuxShell {{ policy = "manylinux_2_28"; '
        'extraArgs = { FOO = "1"; }; }; in { inherit (s) NIX_LD NIX_LD_LIBRARY_PATH '
        "HATCH_ENV_TYPE_VIRTUAL_UV_PATH FOO; n = builtins.length s.packages; }"
    )
    assert got["NIX_LD"] == "/lib64/ld-linux-x86-64.so.2"
    assert "standin-gcc-lib/lib" in got["NIX_LD_LIBRARY_PATH"]
    assert "standin-zlib/lib" in got["NIX_LD_LIBRARY_PATH"]
    assert got["HATCH_ENV_TYPE_VIRTUAL_UV_PATH"].endswith("standin-uv/bin/uv")
    assert got["FOO"] == "1" and got["n"] == 2
    fhs = nix_eval(
        f"map (p: p.name) ((({standin()}).manylinuxNix.manylinuxFHSEnv {{ }}).targetPkgs {{ }})"
    )
    assert fhs == ["standin-gcc-lib", "standin-zlib"]
