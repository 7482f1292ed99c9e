"""A small CUDA world for tests: the real nvidia-cuda-runtime-cu12 and nvidia-nvtx-cu12
wheels, and a torch-like wheel whose library links them through torch's RPATH layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from wheelfactory import build_wheel

REAL = Path(__file__).resolve().parent / ".real-wheels"
SIBLINGS = {
    "nvidia-cuda-runtime-cu12": "nvidia_cuda_runtime_cu12-12.8.90",
    "nvidia-nvtx-cu12": "nvidia_nvtx_cu12-12.8.90",
}
NEEDED = ("libcudart.so.12", "libnvToolsExt.so.1", "libcuda.so.1", "libstdc++.so.6")


def build_cuda_world(
    wheels: Path, scratch: Path, version: str, tags: list[str]
) -> dict[str, list[Path]]:
    """Fill ``wheels`` and return its files by distribution name."""
    wheels.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for name, stem in SIBLINGS.items():
        found = sorted(REAL.glob(f"{stem}-*.whl"))
        if not found:
            pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
        files[name] = [Path(shutil.copy(found[0], wheels))]
    lib = compile_so(
        scratch / "libtorchlike_cuda.so",
        PLAIN_LIBRARY,
        soname="libtorchlike_cuda.so",
        add_needed=NEEDED,
        rpath="$ORIGIN/../../nvidia/cuda_runtime/lib:$ORIGIN/../../nvidia/nvtx/lib:$ORIGIN",
    )
    deps = [f"{name}=={stem.rsplit('-', 1)[1]}" for name, stem in SIBLINGS.items()]
    files["torchlike"] = [
        build_wheel(
            wheels,
            "torchlike",
            version,
            tag,
            requires_dist=deps,
            extra_files={"torchlike/lib/libtorchlike_cuda.so": lib.read_bytes()},
        )
        for tag in tags
    ]
    return files
