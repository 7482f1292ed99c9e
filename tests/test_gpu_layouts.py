"""GPU and plugin layouts without a GPU: small wheels laid out like the real ones
(nvidia-* CUDA 12 and 13, NVSHMEM, cuFile, numba, mpi4py, CuPy, PyQt6) classify every
needed library as known: vendored, glibc, driver, sibling, optional (with its reason) or
nixpkgs; none is unknown. The layouts come from the real wheels named in
pyhelpers/data/optional.json and siblings.json."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from wheelfactory import build_wheel

from pyhelpers.inspect.classify import classify, providers_of
from pyhelpers.inspect.wheel import scan_wheel

pytestmark = needs_x86_64
EXT = sysconfig.get_config_var("EXT_SUFFIX")
TAG = "cp311-cp311-manylinux_2_28_x86_64"
DRIVER_DLOPEN = (
    '#include <dlfcn.h>\nint probe(void) { return dlopen("libcuda.so.1", RTLD_NOW) != 0; }\n'
)


def wheel_of(
    tmp: Path, name: str, files: dict[str, tuple[str, tuple[str, ...], str | None]]
) -> dict[str, Any]:
    """Build a wheel whose members are shared objects: path -> (C source, DT_NEEDED,
    RPATH); inspect it and return the report."""
    members = {}
    for number, (path, (source, needed, rpath)) in enumerate(files.items()):
        so = compile_so(
            tmp / f"m{number}" / Path(path).name, source, add_needed=needed, rpath=rpath
        )
        members[path] = so.read_bytes()
    whl = build_wheel(tmp / "w", name, "1.0", TAG, extra_files=members)
    return classify(scan_wheel(whl))


def external(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["soname"]: e for e in report["external"]}


def test_nvshmem_transports_and_bootstraps_are_optional(tmp_path: Path) -> None:
    lib, o, c = "nvidia/nvshmem/lib", "${ORIGIN}", PLAIN_LIBRARY
    report = wheel_of(
        tmp_path,
        "nvidia-nvshmem-cu13",
        {
            f"{lib}/libnvshmem_host.so.3": (c, ("libstdc++.so.6",), "$ORIGIN"),
            f"{lib}/nvshmem_transport_ucx.so.7": (c, ("libucs.so.0", "libucp.so.0"), o),
            f"{lib}/nvshmem_transport_ibgda.so.7": (c, ("libmlx5.so.1",), o),
            f"{lib}/nvshmem_transport_libfabric.so.7": (c, ("libfabric.so.1",), o),
            f"{lib}/nvshmem_bootstrap_mpi.so.3": (c, ("libmpi.so.40",), f"/data/tmp/ompi/lib:{o}"),
            f"{lib}/nvshmem_bootstrap_pmix.so.3": (c, ("libpmix.so.2",), o),
        },
    )
    found = external(report)
    assert found["libstdc++.so.6"]["kind"] == "library"
    optional = ("libucs.so.0", "libucp.so.0", "libmlx5.so.1", "libfabric.so.1", "libmpi.so.40")
    for soname in (*optional, "libpmix.so.2"):
        assert found[soname]["kind"] == "optional", soname
        assert "NVSHMEM" in found[soname]["reason"]
        assert found[soname]["nix"] is not None, f"{soname}: mapped to nixpkgs"
    assert not [e for e in report["external"] if e["kind"] == "unknown"]


def test_a_plugin_that_the_wheel_links_is_no_plugin(tmp_path: Path) -> None:
    """Structure, not the name alone: a file listed in another file's DT_NEEDED is part
    of the package, and so are its needs."""
    lib = "nvidia/nvshmem/lib"
    report = wheel_of(
        tmp_path,
        "nvshmemlike",
        {
            f"{lib}/libnvshmem_host.so.3": (PLAIN_LIBRARY, ("nvshmem_transport_ucx.so.7",), None),
            f"{lib}/nvshmem_transport_ucx.so.7": (PLAIN_LIBRARY, ("libucp.so.0",), "$ORIGIN"),
        },
    )
    assert external(report)["libucp.so.0"]["kind"] == "library"


GSTREAMER_LIBS = (
    "libgstallocators-1.0.so.0",
    "libgstgl-1.0.so.0",
    "libgstplay-1.0.so.0",
    "libgstphotography-1.0.so.0",
)


GSTREAMER_LIBS = (
    "libgstallocators-1.0.so.0",
    "libgstgl-1.0.so.0",
    "libgstplay-1.0.so.0",
    "libgstphotography-1.0.so.0",
)


def test_plugins_of_numba_mpi4py_cufile_cupy_and_qt(tmp_path: Path) -> None:
    c, qt, plugins = PLAIN_LIBRARY, "$ORIGIN/../../lib", "PyQt6/Qt6/plugins"
    report = wheel_of(
        tmp_path,
        "layouts",
        {
            f"numba/np/ufunc/tbbpool{EXT}": (c, ("libtbb.so.12",), None),
            f"numba/np/ufunc/omppool{EXT}": (c, ("libgomp.so.1.0.0",), None),
            f"mpi4py/MPI.mpich{EXT}": (c, ("libmpi.so.12",), None),
            f"mpi4py/MPI.openmpi{EXT}": (c, ("libmpi.so.40",), None),
            "nvidia/cu13/lib/libcufile_rdma.so.1": (c, ("libibverbs.so.1", "librdmacm.so.1"), None),
            f"cupy_backends/cuda/libs/cutensor{EXT}": (
                c,
                ("libcutensor.so.2", "libcutensorMg.so.2"),
                None,
            ),
            # As in PyQt6-Qt6: Qt's own libraries beside the plugins.
            "PyQt6/Qt6/lib/libQt6Core.so.6": (c, (), "$ORIGIN"),
            f"{plugins}/sqldrivers/libqsqlmimer.so": (c, ("libmimerapi.so",), qt),
            f"{plugins}/geometryloaders/libdefaultgeometryloader.so": (
                c,
                ("libQt63DRender.so.6", "libQt63DCore.so.6"),
                qt,
            ),
            f"{plugins}/texttospeech/libqtexttospeech_speechd.so": (c, ("libspeechd.so.2",), None),
            f"{plugins}/texttospeech/libqtexttospeech_flite.so": (c, ("libflite.so.1",), None),
            f"{plugins}/sqldrivers/libqsqlibase.so": (c, ("libfbclient.so.2",), qt),
            f"{plugins}/multimedia/libgstreamermediaplugin.so": (c, GSTREAMER_LIBS, qt),
        },
    )
    found = external(report)
    expected = {
        "libtbb.so.12": "TBB threading layer",
        "libmpi.so.12": "MPICH-ABI",
        "libmpi.so.40": "Open MPI",
        "libibverbs.so.1": "RDMA",
        "librdmacm.so.1": "RDMA",
        "libcutensor.so.2": "cuTENSOR",
        "libcutensorMg.so.2": "cuTENSOR",
        "libmimerapi.so": "SQL driver",
        "libQt63DRender.so.6": "another wheel ships",
        "libQt63DCore.so.6": "another wheel ships",
        "libspeechd.so.2": "text-to-speech",
    }
    for soname, words in expected.items():
        assert found[soname]["kind"] == "optional", soname
        assert words in found[soname]["reason"], (soname, found[soname]["reason"])
        assert found[soname]["wanted_by"], soname
    # Mapped where nixpkgs has it; unknown to nixpkgs (Mimer SQL, Qt 3D of PyQt6) stays
    # optional all the same, never an evaluation error.
    assert found["libtbb.so.12"]["nix"] == "onetbb"
    assert found["libcutensor.so.2"]["nix"] == "cudaPackages.libcutensor"
    assert found["libmimerapi.so"]["nix"] is None
    # Qt's multimedia, text-to-speech and SQL plugins: each library where nixpkgs has it.
    assert {
        soname: found[soname]["nix"]
        for soname in (
            "libgstallocators-1.0.so.0",
            "libgstgl-1.0.so.0",
            "libgstplay-1.0.so.0",
            "libgstphotography-1.0.so.0",
            "libflite.so.1",
            "libfbclient.so.2",
            "libspeechd.so.2",
        )
    } == {
        "libgstallocators-1.0.so.0": "gst_all_1.gst-plugins-base",
        "libgstgl-1.0.so.0": "gst_all_1.gst-plugins-base",
        "libgstplay-1.0.so.0": "gst_all_1.gst-plugins-bad",
        "libgstphotography-1.0.so.0": "gst_all_1.gst-plugins-bad",
        "libflite.so.1": "flite",
        "libfbclient.so.2": "firebird",
        "libspeechd.so.2": "speechd-minimal",
    }
    # A file name, not a soname: maps as the soname it shortens to.
    assert found["libgomp.so.1.0.0"]["kind"] == "library"
    assert found["libgomp.so.1.0.0"]["matched_as"] == "libgomp.so.1"
    assert found["libgomp.so.1.0.0"]["nix"] == "stdenv.cc.cc.lib"
    assert not [e for e in report["external"] if e["kind"] == "unknown"]


def test_siblings_are_known_without_a_lock(tmp_path: Path) -> None:
    report = wheel_of(
        tmp_path,
        "bindings",
        {
            "PyQt6/QtCore.abi3.so": (PLAIN_LIBRARY, ("libQt6Core.so.6",), "$ORIGIN/Qt6/lib"),
            "torch/lib/libtorch_cuda.so": (
                PLAIN_LIBRARY,
                ("libcudnn.so.9", "libcublas.so.13", "libcupti.so.13", "libnccl.so.2"),
                "$ORIGIN/../../nvidia/cudnn/lib:$ORIGIN/../../nvidia/cu13/lib:"
                "$ORIGIN/../../nvidia/nccl/lib",
            ),
        },
    )
    found = external(report)
    assert found["libQt6Core.so.6"]["provided_by"] == "PyQt6-Qt6"
    assert found["libQt6Core.so.6"]["search_path"] == "PyQt6/Qt6/lib"
    assert found["libcublas.so.13"]["provided_by"] == "nvidia-cublas"
    assert found["libcublas.so.13"]["search_path"] == "nvidia/cu13/lib"
    # The folder the RPATH names wins over triton's copy, which is listed as well.
    cupti = found["libcupti.so.13"]
    assert (cupti["provided_by"], cupti["search_path"]) == ("nvidia-cuda-cupti", "nvidia/cu13/lib")
    assert {
        "provided_by": "triton",
        "search_path": "triton/backends/nvidia/lib/cupti-blackwell",
    } in (cupti["also_provided_by"])
    assert found["libcudnn.so.9"]["search_path"] == "nvidia/cudnn/lib"
    assert found["libcudnn.so.9"]["provided_by"] in ("nvidia-cudnn-cu12", "nvidia-cudnn-cu13")
    assert all(e["kind"] == "sibling" for e in report["external"])


TORCH_291_RPATH = ":".join(
    f"$ORIGIN/../../nvidia/{folder}/lib"
    for folder in ("cublas", "cuda_cupti", "cuda_nvrtc", "cuda_runtime", "cudnn", "cufft",
                   "curand", "cusolver", "cusparse", "cusparselt", "nccl", "nvtx", "nvshmem")
)  # fmt: skip


def test_each_library_goes_to_the_folder_that_ships_it_among_those_the_rpath_names(
    tmp_path: Path,
) -> None:
    """torch 2.9.1 (CUDA 12) names thirteen nvidia folders; each soname is in one."""
    report = wheel_of(
        tmp_path,
        "torch",
        {
            "torch/lib/libtorch_cuda.so": (
                PLAIN_LIBRARY,
                ("libcudart.so.12", "libcupti.so.12", "libcublas.so.12", "libnvrtc.so.12"),
                TORCH_291_RPATH,
            ),
        },
    )
    found = external(report)
    expected = {
        "libcudart.so.12": ("nvidia-cuda-runtime-cu12", "nvidia/cuda_runtime/lib"),
        "libcupti.so.12": ("nvidia-cuda-cupti-cu12", "nvidia/cuda_cupti/lib"),
        "libcublas.so.12": ("nvidia-cublas-cu12", "nvidia/cublas/lib"),
        "libnvrtc.so.12": ("nvidia-cuda-nvrtc-cu12", "nvidia/cuda_nvrtc/lib"),
    }
    assert {k: (v["provided_by"], v["search_path"]) for k, v in found.items()} == expected
    assert {"provided_by": "triton", "search_path": "triton/backends/nvidia/lib/cupti"} in (
        found["libcupti.so.12"]["also_provided_by"]
    )


def test_a_library_that_dlopens_the_driver_is_flagged(tmp_path: Path) -> None:
    with_driver = wheel_of(
        tmp_path / "a", "cudartlike", {"cudartlike/libcudart.so.13": (DRIVER_DLOPEN, (), None)}
    )
    assert with_driver["driver_dlopen"] is True
    assert "libcuda.so.1" in with_driver["dlopen_hints"]
    without = wheel_of(tmp_path / "b", "plain", {"plain/libplain.so": (PLAIN_LIBRARY, (), None)})
    assert without["driver_dlopen"] is False


DLOPEN_NOTE = r"""
#define DESC "[{\"soname\":[\"libz.so.1\"]},{\"soname\":[\"libcuda.so.1\"]}]"
struct note { unsigned namesz, descsz, type; char name[4]; char desc[(sizeof(DESC) + 3) & ~3]; };
__attribute__((section(".note.dlopen"), used, aligned(4)))
static const struct note dlopen_note = {4, sizeof(DESC), 0x407c0c0a, "FDO", DESC};
int noted(void) { return 1; }
"""


def test_dlopen_notes_are_needs_as_for_autopatchelf(tmp_path: Path) -> None:
    report = wheel_of(tmp_path, "noted", {"noted/libnoted.so": (DLOPEN_NOTE, (), None)})
    found = external(report)
    assert found["libz.so.1"]["kind"] == "library" and found["libz.so.1"]["dlopen_note"] is True
    assert found["libcuda.so.1"]["kind"] == "driver"
    assert report["driver_dlopen"] is True


@pytest.mark.parametrize("path", ["PyQt6/Qt6/plugins/platforms/libqxcb.so"])
def test_a_needed_platform_plugin_library_is_not_optional(tmp_path: Path, path: str) -> None:
    """Qt's X11 platform plugin is how a PyQt6 window appears: its libraries are wanted."""
    report = wheel_of(tmp_path, "qtxcb", {path: (PLAIN_LIBRARY, ("libxcb.so.1",), None)})
    assert external(report)["libxcb.so.1"]["kind"] == "library"


def test_libraries_only_plugins_load_are_loaded_on_demand_too(tmp_path: Path) -> None:
    """PyQt6-3D-Qt6 ships libQt63DQuick*.so.6, which need libQt63DQuick.so.6, which it does
    not ship; only its QML modules need those libraries: optional, transitively."""
    c, qml = PLAIN_LIBRARY, "PyQt6/Qt6/qml/Qt3D/Animation"
    report = wheel_of(
        tmp_path,
        "pyqt6-3d-qt6",
        {
            "PyQt6/Qt6/lib/libQt63DQuickAnimation.so.6": (c, ("libQt63DQuick.so.6",), "$ORIGIN"),
            f"{qml}/libquick3danimationplugin.so": (
                c,
                ("libQt63DQuickAnimation.so.6",),
                "$ORIGIN/../../../lib",
            ),
        },
    )
    found = external(report)
    assert found["libQt63DQuick.so.6"]["kind"] == "optional"
    assert "QML" in found["libQt63DQuick.so.6"]["reason"]
    # Needed by something loaded at import, the same library is no longer optional.
    linked = wheel_of(
        tmp_path / "linked",
        "pyqt6-3d-qt6",
        {
            "PyQt6/Qt6/lib/libQt63DQuickAnimation.so.6": (c, ("libQt63DQuick.so.6",), "$ORIGIN"),
            "PyQt6/Qt3DAnimation.abi3.so": (c, ("libQt63DQuickAnimation.so.6",), "$ORIGIN/Qt6/lib"),
        },
    )
    assert external(linked)["libQt63DQuick.so.6"]["kind"] == "unknown"


def test_bitsandbytes_variants_want_only_the_runtime_the_lock_has(tmp_path: Path) -> None:
    """bitsandbytes 0.50 ships one library per CUDA, ROCm and XPU runtime and loads the
    one that matches: a lock with CUDA 12's nvidia-* wheels wants the CUDA 12 variants'
    libraries (siblings), leaves the others optional; a CPU-only lock wants none."""
    c, folder = PLAIN_LIBRARY, "bitsandbytes"
    files = {
        f"{folder}/libbitsandbytes_cpu.so": (c, ("libgomp.so.1",), None),
        f"{folder}/libbitsandbytes_cuda118.so": (c, ("libcublas.so.11", "libcudart.so.11.0"), None),
        f"{folder}/libbitsandbytes_cuda126.so": (c, ("libcublas.so.12", "libcudart.so.12"), None),
        f"{folder}/libbitsandbytes_cuda130.so": (c, ("libcublas.so.13", "libcudart.so.13"), None),
        f"{folder}/libbitsandbytes_rocm70.so": (c, ("libhipblas.so.3", "librocrand.so.1"), None),
        f"{folder}/libbitsandbytes_xpu2025.so": (c, ("libsycl.so.8", "libsvml.so"), None),
    }
    members = {}
    for number, (path, (source, needed, _)) in enumerate(files.items()):
        so = compile_so(tmp_path / f"m{number}" / Path(path).name, source, add_needed=needed)
        members[path] = so.read_bytes()
    scan = scan_wheel(
        build_wheel(tmp_path / "w", "bitsandbytes", "0.50.2", TAG, extra_files=members)
    )
    cpu_only = external(classify(scan))
    assert not [s for s, e in cpu_only.items() if e["kind"] in ("unknown", "sibling", "library")
                and s != "libgomp.so.1"]  # fmt: skip
    assert cpu_only["libhipblas.so.3"]["reason"].startswith("one of bitsandbytes' per-runtime")
    cublas = compile_so(tmp_path / "cublas" / "libcublas.so.12", c, soname="libcublas.so.12")
    cudart = compile_so(tmp_path / "cudart" / "libcudart.so.12", c, soname="libcudart.so.12")
    lock_siblings = {
        **providers_of(scan_wheel(build_wheel(
            tmp_path / "n", "nvidia-cublas-cu12", "12.8", TAG,
            extra_files={"nvidia/cublas/lib/libcublas.so.12": cublas.read_bytes()},
        )), "nvidia-cublas-cu12"),
        **providers_of(scan_wheel(build_wheel(
            tmp_path / "n", "nvidia-cuda-runtime-cu12", "12.8", TAG,
            extra_files={"nvidia/cuda_runtime/lib/libcudart.so.12": cudart.read_bytes()},
        )), "nvidia-cuda-runtime-cu12"),
    }  # fmt: skip
    cuda12 = external(classify(scan, siblings=lock_siblings))
    assert {s: e["kind"] for s, e in cuda12.items() if e["kind"] != "optional"} == {
        "libgomp.so.1": "library",
        "libcublas.so.12": "sibling",
        "libcudart.so.12": "sibling",
    }
    assert cuda12["libcublas.so.12"]["provided_by"] == "nvidia-cublas-cu12"
