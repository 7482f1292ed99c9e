"""Shapes of real binary wheels that inspect got wrong: ELF files no host loader loads
(GPU code objects, a test file for no machine), a vendored file whose SONAME is a
sibling's soname but whose file name is not, and tags between two known policies."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from wheelfactory import build_wheel

from pyhelpers.errors import UserError
from pyhelpers.inspect.classify import classify
from pyhelpers.inspect.policy import check
from pyhelpers.inspect.report import render
from pyhelpers.inspect.wheel import scan_wheel

pytestmark = needs_x86_64
TAG = "cp311-cp311-manylinux_2_17_x86_64"


def for_machine(data: bytes, machine: int) -> bytes:
    """The same ELF file with another e_machine (EM_AMDGPU is 224, EM_NONE 0)."""
    return data[:18] + struct.pack("<H", machine) + data[20:]


def external(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["soname"]: e for e in report["external"]}


def test_elf_files_for_no_cpu_are_notes_not_refusals(tmp_path: Path) -> None:
    plain = compile_so(tmp_path / "plain.so", PLAIN_LIBRARY, add_needed=("libz.so.1",)).read_bytes()
    wheel = build_wheel(
        tmp_path / "w", "gpukernels", "1.0", TAG,
        extra_files={
            "gpukernels/_host.so": plain,
            "gpukernels/kernels/gemm.co": for_machine(plain, 224),
            "gpukernels/tests/test_tbb.so": for_machine(plain, 0),
        },
    )  # fmt: skip
    report = classify(scan_wheel(wheel))
    assert report["elf_files"] == 1
    assert external(report)["libz.so.1"]["wanted_by"] == ["gpukernels/_host.so"]
    assert [n.split(" is ")[0] for n in report["notes"]] == [
        "gpukernels/kernels/gemm.co",
        "gpukernels/tests/test_tbb.so",
    ]
    assert "note: gpukernels/kernels/gemm.co is an ELF file for amdgpu" in render(report)


def test_a_foreign_file_that_a_host_file_needs_is_still_a_broken_wheel(tmp_path: Path) -> None:
    plain = compile_so(tmp_path / "plain.so", PLAIN_LIBRARY, add_needed=("libodd.so",))
    odd = compile_so(tmp_path / "libodd.so", PLAIN_LIBRARY, soname="libodd.so").read_bytes()
    wheel = build_wheel(
        tmp_path / "w", "oddwheel", "1.0", TAG,
        extra_files={"oddwheel/_host.so": plain.read_bytes(),
                     "oddwheel/libodd.so": for_machine(odd, 0)},
    )  # fmt: skip
    with pytest.raises(UserError, match=r"oddwheel/libodd\.so is built for none"):
        classify(scan_wheel(wheel))


def test_a_dt_needed_entry_is_matched_by_file_name_not_by_soname(tmp_path: Path) -> None:
    """torchvision 0.29.2: _C_stable.so needs libcudart.so.13; the wheel's
    libcudart.3eda8113.so.13 has that SONAME, but autoPatchelf and the loader look for a
    file named libcudart.so.13: it is nvidia-cuda-runtime's."""
    runtime = compile_so(tmp_path / "rt.so", PLAIN_LIBRARY, soname="libcudart.so.13")
    stable = compile_so(
        tmp_path / "stable.so", PLAIN_LIBRARY, add_needed=("libcudart.so.13",), rpath="$ORIGIN"
    )
    wheel = build_wheel(
        tmp_path / "w", "visionlike", "1.0", TAG,
        extra_files={"visionlike/_C_stable.so": stable.read_bytes(),
                     "visionlike/libcudart.3eda8113.so.13": runtime.read_bytes()},
    )  # fmt: skip
    report = classify(scan_wheel(wheel))
    cudart = external(report)["libcudart.so.13"]
    assert (cudart["kind"], cudart["provided_by"]) == ("sibling", "nvidia-cuda-runtime")
    assert "libcudart.so.13" not in report["vendored"]


@pytest.mark.parametrize(
    ("soname", "provider", "folder"),
    [
        ("libtensorflow_framework.so.2", "tensorflow", "tensorflow"),
        ("libtorch_cpu.so", "torch", "torch/lib"),
        ("libtorch_python.so", "torch", "torch/lib"),
    ],
)
def test_undeclared_providers_are_in_the_siblings_table(
    soname: str, provider: str, folder: str, tmp_path: Path
) -> None:
    user = compile_so(tmp_path / "user.so", PLAIN_LIBRARY, add_needed=(soname,))
    wheel = build_wheel(
        tmp_path / "w", "userpkg", "1.0", TAG,
        extra_files={"userpkg/_ext.so": user.read_bytes()},
    )  # fmt: skip
    found = external(classify(scan_wheel(wheel)))[soname]
    assert (found["kind"], found["provided_by"], found["search_path"]) == (
        "sibling", provider, folder,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("tag", "version", "holds"),
    [
        ("manylinux_2_14", "GLIBC_2.14", True),  # zstd
        ("manylinux_2_25", "GLIBC_2.25", True),  # nvidia-cuda-cupti
        ("manylinux_2_25", "GLIBC_2.26", False),
        ("manylinux_2_12", "GLIBC_2.14", False),
    ],
)
def test_a_tag_between_policies_allows_its_own_glibc(tag: str, version: str, holds: bool) -> None:
    violations = check((tag, "x86_64"), [], [("libc.so.6", version, "x.so")])
    assert (violations == []) is holds, violations
