"""The Nix library for real: every .nix file parses; mkWheelSet over the stand-in package
set builds a lock written by ``manylinux-nix lock`` against a local index (real fetch,
real install, real patchelf), and the result imports with the host's libraries hidden."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import hostpython
import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_unshare, needs_x86_64
from hostpython import PY, SITE
from indexserver import IndexServer
from nixtools import (
    NIX,
    REPO,
    NixError,
    needs_nix,
    nix_build,
    nix_eval,
    standin_args,
    unique_version,
)
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main

pytestmark = [pytest.mark.nix, needs_nix]
TAG = hostpython.TAG
STANDIN = (
    f"import ./tests/nix/standin.nix {{ hostPython = {json.dumps(sys.executable)}; "
    'patchelf = "/bin/true"; overlays = [ (import ./overlays/default.nix) ]; }'
)


def test_every_nix_file_parses() -> None:
    files = sorted(p for p in REPO.rglob("*.nix") if ".venv" not in p.parts)
    assert len(files) >= 10
    for path in files:
        done = subprocess.run(
            ["nix-instantiate", "--parse", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{path}: {done.stderr}"


def test_manylinux_libs_for_every_policy_from_the_shared_data() -> None:
    libs = nix_eval(
        f"builtins.mapAttrs (_: map (p: p.name)) ({STANDIN}).manylinuxNix.manylinuxLibs"
    )
    for name in [
        "manylinux1",
        "manylinux2010",
        "manylinux2014",
        "manylinux_2_17",
        "manylinux_2_28",
        "manylinux_2_39",
        "manylinux_2_41",
        "musllinux_1_2",
    ]:
        assert name in libs, name
    # The stand-in only has libstdc++ and zlib of each whitelist; nothing else resolves.
    assert libs["manylinux2014"] == ["standin-gcc-lib", "standin-zlib"]
    assert libs["musllinux_1_2"] == ["standin-zlib"]


def test_fetch_pypi_wheel_takes_fetchpypi_arguments_and_decodes_the_name() -> None:
    got = nix_eval(
        f"""let pkgs = {STANDIN};
          w = pkgs.fetchPypiWheel {{ pname = "onnxruntime"; version = "1.20.1";
          python = "cp312"; abi = "cp312"; platform = "manylinux_2_27_x86_64.manylinux_2_28_x86_64";
          hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }};
          l = pkgs.fetchPypiWheel {{ url = "https://h/p/torch-2.5.1%2Bcu121-cp312-cp312-linux_x86_64.whl";
          hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }};
        in [ w.url w.name l.name ]"""
    )
    assert got == [
        "https://files.pythonhosted.org/packages/cp312/o/onnxruntime/"
        "onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "torch-2.5.1+cu121-cp312-cp312-linux_x86_64.whl",
    ]


def test_overlay_adds_build_manylinux_wheel_to_every_python_set() -> None:
    got = nix_eval(
        f"let pkgs = {STANDIN}; in [ (pkgs.python3.pkgs ? buildManylinuxWheel) "
        f"(pkgs.python3{hostpython.CP[3:]}.pkgs ? buildManylinuxWheel) (pkgs ? fetchPypiWheel) "
        "(pkgs.manylinuxNix ? mkWheelSet) ]"
    )
    assert got == [True, True, True, True]


def _lock(index: IndexServer, out: Path, *requirements: str) -> None:
    assert (
        main(
            [
                "lock",
                *requirements,
                "-i",
                index.url,
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


def _import_hidden(
    site_dirs: list[Path], module: str, hidden: Path, tmp: Path
) -> subprocess.CompletedProcess[str]:
    empty = tmp / "empty"
    empty.write_bytes(b"")
    script = (
        f"mount --bind {empty} {hidden} && exec {sys.executable} -S -c "
        f"'import {module}; print({module}.answer())'"
    )
    env = {**os.environ, "PYTHONPATH": ":".join(str(s) for s in site_dirs)}
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


@needs_unshare
def test_wheel_set_builds_and_imports_with_host_libraries_hidden(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    # A unique version keeps an earlier run's store paths from answering for this one.
    version = unique_version(tmp_path)
    build_wheel(wheel_dir, "cxxdemo", version, TAG, cxx=True, requires_dist=["puredep"])
    build_wheel(wheel_dir, "puredep", version)
    index = index_factory(wheel_dir)
    lock = tmp_path / "wheels.lock.json"
    _lock(index, lock, "cxxdemo")
    args = ["--arg", "lockFile", str(lock), *standin_args()]

    good = nix_build(NIX / "wheelset.nix", args, "cxxdemo", tmp_path / "result")
    assert good.returncode == 0, good.stderr
    out = Path(good.stdout.strip())
    assert "libstdc++.so.6 -> found: /nix/store/" in good.stderr
    assert "Check whether the following modules can be imported: cxxdemo" in good.stderr
    dep = nix_build(NIX / "wheelset.nix", args, "puredep", tmp_path / "dep")
    sites = [
        out / f"{SITE}",
        Path(dep.stdout.strip()) / f"{SITE}",
    ]
    hidden = host_library("libstdc++.so.6")
    ok = _import_hidden(sites, "cxxdemo", hidden, tmp_path)
    assert ok.returncode == 0 and ok.stdout.strip() == "42", ok.stderr

    assert "verified 1 ELF files against" in good.stderr and ": ok" in good.stderr
    # Left out on purpose (overridden to null): autoPatchelf and verify both accept it.
    ignored = nix_build(
        NIX / "wheelset.nix",
        [*args, "--argstr", "sonameOverridesJSON", '{"libstdc++.so.6": null}'],
        "cxxdemo",
        tmp_path / "ignored",
    )
    assert ignored.returncode == 0, ignored.stderr
    assert "ignoring missing libstdc++.so.6" in ignored.stderr
    assert "libstdc++.so.6 left missing, as asked" in ignored.stderr
    # Negative control: a libstdc++ too old for the wheel. autoPatchelf takes it (it
    # matches by file name), and the import check passes on this host, but the verify
    # hook, resolving as the loader will on NixOS, fails the build and names the fix.
    old = tmp_path / "old"
    script = tmp_path / "versions.map"
    script.write_text("GLIBCXX_3.4 { global: vendored_value; local: *; };\n")
    compile_so(
        old / "libstdc++.so.6",
        PLAIN_LIBRARY,
        soname="libstdc++.so.6",
        link_args=(f"-Wl,--version-script={script}",),
    )
    too_old = nix_build(
        NIX / "wheelset.nix",
        [*args, "--argstr", "sonameOverridesJSON", json.dumps({"libstdc++.so.6": str(old)})],
        "cxxdemo",
        tmp_path / "too-old",
    )
    assert too_old.returncode != 0
    ext = sysconfig.get_config_var("EXT_SUFFIX")
    assert f"_native{ext}: needs GLIBCXX_3.4." in too_old.stderr
    assert "add a newer nixpkgs stdenv.cc.cc.lib" in too_old.stderr


@needs_x86_64
def test_every_unresolved_soname_of_a_set_is_named_at_once_with_a_block_to_paste(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    """A PyQt6 lock took 35 evaluate-and-fix rounds when evaluation stopped at the first
    unknown soname: one evaluation names every one of the set, in a block to paste."""
    so = compile_so(tmp_path / "x.so", PLAIN_LIBRARY, add_needed=("libfoo.so.3", "libX11.so.6"))
    build_wheel(wheel_dir, "needsfoo", "1.0", TAG, extra_files={"needsfoo/x.so": so.read_bytes()})
    bar = compile_so(tmp_path / "y.so", PLAIN_LIBRARY, add_needed=("libbar.so.1",))
    build_wheel(wheel_dir, "needsbar", "1.0", TAG, extra_files={"needsbar/y.so": bar.read_bytes()})
    build_wheel(wheel_dir, "fine", "1.0", TAG, c_extension=True)
    index = index_factory(wheel_dir)
    lock = tmp_path / "wheels.lock.json"
    _lock(index, lock, "needsfoo", "needsbar", "fine")
    expr = (
        f'(import ./tests/nix/wheelset.nix {{ lockFile = {lock}; hostPython = "{sys.executable}"; '
        "patchelf = \"/bin/true\"; sonameOverridesJSON = ''%s''; ignoreMissing = [ %s ]; })"
        ".%s.drvPath"
    )
    # A package with nothing unresolved evaluates all the same.
    assert nix_eval(expr % ("{}", "", "fine")).endswith(".drv")
    with pytest.raises(NixError) as info:
        nix_eval(expr % ("{}", "", "needsfoo"))
    message = str(info.value)
    assert f"3 needed libraries of the lock's x86_64-linux/{PY} set have no package" in message
    for soname, wheel in [("libfoo.so.3", "needsfoo"), ("libbar.so.1", "needsbar")]:
        assert f"{soname}, needed by {wheel}-1.0-{TAG}.whl (" in message
        assert f'    "{soname}" = null; # or pkgs.<package>' in message
    assert "not in manylinux-nix's soname map" in message
    assert "libX11.so.6, needed by needsfoo" in message
    assert "this nixpkgs has none of libx11, xorg.libX11" in message
    assert 'ignoreMissing = [ "libbar.so.1" "libfoo.so.3" "libX11.so.6" ]' in message
    # The block, pasted with packages or nulls, is the whole fix.
    fixed = '{"libfoo.so.3": "zlib", "libX11.so.6": null, "libbar.so.1": null}'
    assert nix_eval(expr % (fixed, "", "needsfoo")).endswith(".drv")
    assert nix_eval(expr % (fixed, "", "needsbar")).endswith(".drv")
    # ignoreMissing for the whole set does as much.
    ignored = '"libfoo.so.3" "libbar.so.1" "libX11.so.6"'
    assert nix_eval(expr % ("{}", ignored, "needsbar")).endswith(".drv")


def test_lock_without_the_target_names_what_it_has(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    lock.write_text(json.dumps({"version": 1, "targets": {"aarch64-linux/3.12": {"packages": {}}}}))
    with pytest.raises(
        NixError, match=rf"no target x86_64-linux/{PY} \(it has: aarch64-linux/3.12\)"
    ):
        nix_eval(
            f'(import ./tests/nix/wheelset.nix {{ lockFile = {lock}; hostPython = "x"; '
            'patchelf = "x"; }).x'
        )


def test_soname_resolution_prefers_new_names_and_falls_back_to_old_ones() -> None:
    nixlib = "(import ./nixlib { lib = import ./tests/nix/lib.nix; })"
    got = nix_eval(
        f"""[ ({nixlib}.libraryFor {{ libx11 = "new"; xorg.libX11 = "old"; }} "libX11.so.6")
              ({nixlib}.libraryFor {{ xorg.libX11 = "old"; }} "libX11.so.6")
              ({nixlib}.libraryFor {{ }} "libX11.so.6")
              ({nixlib}.targetKey {{ system = "x86_64-linux"; python = {{ pythonVersion = "3.13";
                  pythonABITags = [ "abi3" "none" "cp313t" ]; }}; }}) ]"""
    )
    assert got == ["new", "old", None, "x86_64-linux/3.13t"]


def test_fetch_pypi_wheel_has_closed_arguments_like_fetchpypi() -> None:
    call = (
        f'(({STANDIN}).fetchPypiWheel {{ pname = "a"; version = "1"; hash = "sha256-x"; %s }}).name'
    )
    with pytest.raises(NixError, match="unexpected argument extension"):
        nix_eval(call % 'extension = "zip";')
    with pytest.raises(NixError, match=r"format = \"setuptools\"; it fetches wheels only"):
        nix_eval(call % 'format = "setuptools";')
    assert nix_eval(call % 'format = "wheel";') == "a-1-py3-none-any.whl"


NIXLIB = "(import ./nixlib { lib = import ./tests/nix/lib.nix; })"


def _native(pkgs: str, *sonames: str) -> str:
    external = " ".join(
        f'{{ soname = "{s}"; kind = "library"; wanted_by = [ "m/x.so" ]; }}' for s in sonames
    )
    return (
        f'({NIXLIB}.nativeInputs {{ pkgs = {pkgs}; wheel = "w.whl"; '
        f"facts = {{ external = [ {external} ]; }}; }})"
    )


def test_a_removed_attribute_gives_our_message_not_nixpkgs_throw() -> None:
    """aliases.nix keeps removed names as `throw`: forcing one must not abort evaluation."""
    pkgs = f"({STANDIN})"
    with pytest.raises(NixError) as info:
        nix_eval(f"{_native(pkgs, 'libssl.so.1.1')}.buildInputs")
    message = str(info.value)
    assert "libssl.so.1.1, needed by w.whl (m/x.so)" in message
    assert "openssl_1_1 was removed" in message
    assert '    "libssl.so.1.1" = null; # or pkgs.<package>' in message
    assert "reached end of life" not in message


def test_a_mapped_name_counts_only_while_its_version_ships_the_soname() -> None:
    """icu follows ICU releases and libxml2 2.14 bumped its soname: the map says which
    versions of an unversioned name ship the soname, and other versions are skipped."""
    icu78 = '{ icu = { name = "icu4c-78.1"; version = "78.1"; }; }'
    with pytest.raises(NixError, match=r"icu76 is missing, icu is 78.1, not ==76\.\*"):
        nix_eval(f"{_native(icu78, 'libicuuc.so.76')}.buildInputs")
    icu76 = '{ icu = { name = "icu4c-76.1"; version = "76.1"; }; }'
    assert nix_eval(f"map (p: p.name) {_native(icu76, 'libicuuc.so.76')}.buildInputs") == [
        "icu4c-76.1"
    ]
    # nixpkgs 25.05: libxml2 is 2.13 (libxml2.so.2) and there is no libxml2_13.
    old = '{ libxml2 = { name = "libxml2-2.13.8"; version = "2.13.8"; }; }'
    assert nix_eval(f"map (p: p.name) {_native(old, 'libxml2.so.2')}.buildInputs") == [
        "libxml2-2.13.8"
    ]
    with pytest.raises(NixError, match=r"libxml2 is 2\.13\.8, not >=2\.14"):
        nix_eval(f"{_native(old, 'libxml2.so.16')}.buildInputs")


def test_standin_escape_shell_arg_quotes_only_when_needed_as_nixpkgs_lib_does() -> None:
    got = nix_eval(
        "let lib = import ./tests/nix/lib.nix; in map lib.escapeShellArg "
        """[ "/nix/store/abc-x/lib" "a b" "" "it's" "x$y" ]"""
    )
    assert got == ["/nix/store/abc-x/lib", "'a b'", "''", "'it'\\''s'", "'x$y'"]


def test_a_wheel_that_dlopens_the_driver_gets_the_driver_runpath() -> None:
    facts = "{ external = [ ]; driver_dlopen = true; }"
    got = nix_eval(
        f'({NIXLIB}.nativeInputs {{ pkgs = {{ }}; wheel = "w.whl"; facts = {facts}; }}).needsDriver'
    )
    assert got is True


@needs_nix
def test_wheel_overlay_makes_lock_and_nixpkgs_packages_one_set(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    """python.override { packageOverrides = wheelOverlay { lock }; }: a nixpkgs package
    depending on puredep gets the lock's puredep, not nixpkgs' own, and
    ps.manylinuxNixWheels (mkWheelSet's `all`) lists every package of the lock."""
    build_wheel(wheel_dir, "cxxdemo", "1.0", TAG, cxx=True, requires_dist=["puredep"])
    build_wheel(wheel_dir, "puredep", "1.0")
    lock = tmp_path / "wheels.lock.json"
    _lock(_started(index_factory, wheel_dir), lock, "cxxdemo")
    args = ["--arg", "lockFile", str(lock), *standin_args()]
    found = nix_eval(f"import {NIX / 'wheel-overlay.nix'}", args)
    assert found["consumerGets"].startswith(f"python{PY}-puredep-1.0"), found
    assert found["sameDerivation"] is True
    assert sorted(found["lockWheels"]) == sorted(found["setAll"])
    assert sorted(n.rsplit("-", 1)[0] for n in found["lockWheels"]) == [
        f"python{PY}-cxxdemo",
        f"python{PY}-puredep",
    ]
    assert found["withPackages"].endswith(".drv")


def _started(index_factory: Callable[..., IndexServer], root: Path) -> IndexServer:
    return index_factory(root)
