"""Regenerate pyhelpers/data/siblings.json from the real wheels on PyPI (needs the
network): for each distribution that ships shared libraries other wheels link against,
the folder (relative to site-packages) and the library file names of its newest Linux
x86_64 wheel, read from the zip's central directory with HTTP Range requests (no wheel
is downloaded whole). Run it when NVIDIA or Qt change their layout, review the diff."""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from datetime import date
from pathlib import Path

import requests
from packaging.utils import parse_wheel_filename

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyhelpers.index.http import HttpClient
from pyhelpers.index.rangezip import BLOCK, RemoteFile

DISTRIBUTIONS = [
    # CUDA 12: one folder per component.
    "nvidia-cuda-runtime-cu12", "nvidia-cublas-cu12", "nvidia-cufft-cu12",
    "nvidia-curand-cu12", "nvidia-cusolver-cu12", "nvidia-cusparse-cu12",
    "nvidia-cusparselt-cu12", "nvidia-cudnn-cu12", "nvidia-nccl-cu12",
    "nvidia-cuda-nvrtc-cu12", "nvidia-nvjitlink-cu12", "nvidia-cuda-cupti-cu12",
    "nvidia-nvtx-cu12", "nvidia-cufile-cu12", "nvidia-nvshmem-cu12", "nvidia-cuda-nvcc-cu12",
    # CUDA 13: most components share nvidia/cu13/lib.
    "nvidia-cuda-runtime", "nvidia-cublas", "nvidia-cufft", "nvidia-curand",
    "nvidia-cusolver", "nvidia-cusparse", "nvidia-cusparselt-cu13", "nvidia-cudnn-cu13",
    "nvidia-nccl-cu13", "nvidia-cuda-nvrtc", "nvidia-nvjitlink", "nvidia-cuda-cupti",
    "nvidia-nvtx", "nvidia-cufile", "nvidia-nvshmem-cu13", "nvidia-nvvm",
    "cutensor-cu12", "cutensor-cu13", "triton",
    # Qt: the bindings link the Qt wheels' libraries.
    "PyQt6-Qt6", "PyQt6-3D-Qt6", "PyQt5-Qt5", "PySide6-Essentials", "PySide6-Addons",
    "shiboken6",
    # Needed without being declared: paddle2onnx links paddle/base/libpaddle.so,
    # tensorflow-io-gcs-filesystem tensorflow's libtensorflow_framework.so.2, sglang
    # torch's libtorch_cpu.so and libtorch_python.so.
    "paddlepaddle", "tensorflow", "torch",
]  # fmt: skip
# Only these folders of a distribution: paddle/libs holds generic libraries (libtbb.so.12,
# libgfortran.so.3) that other wheels must not be told come from paddlepaddle.
ONLY_FOLDERS = {
    "paddlepaddle": ("paddle/base",),
    "tensorflow": ("tensorflow",),
    "torch": ("torch/lib",),
}
# Files of those folders that are the distribution's own copies of generic libraries
# (auditwheel's hashed names, libgomp): not what other wheels should take from it.
VENDORED = re.compile(r"-[0-9a-f]{8}\.so|^libgomp")
LIBRARY = re.compile(r"^lib[^/]*\.so(\.[0-9]+)*$")


def newest_wheel(name: str) -> tuple[str, str]:
    page = requests.get(
        f"https://pypi.org/simple/{name}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        timeout=60,
    ).json()
    wheels = [
        f
        for f in page["files"]
        if f["filename"].endswith(".whl")
        and re.search(r"manylinux[_0-9]*_x86_64|manylinux(1|2010|2014)_x86_64", f["filename"])
        and not f.get("yanked")
    ]
    if not wheels:
        raise SystemExit(f"{name}: no Linux x86_64 wheel")
    # The page lists files in upload order, not version order (tensorflow 2.9.3 last).
    newest = max(wheels, key=lambda f: parse_wheel_filename(f["filename"])[1])
    return newest["filename"], newest["url"]


def pattern(filename: str) -> str:
    """libnvrtc-builtins.so.13.5 -> libnvrtc-builtins.so.13.*: minor versions move."""
    match = re.match(r"^(.*\.so\.[0-9]+)\.[0-9.]+$", filename)
    return f"{match.group(1)}.*" if match else filename


def main() -> None:
    """Every distribution, or only those named on the command line (the rest of the
    table is kept as it is)."""
    client = HttpClient(timeout=(10.0, 120.0), retries=3)
    out = Path(__file__).resolve().parents[1] / "pyhelpers/data/siblings.json"
    only = sys.argv[1:]
    old = json.loads(out.read_text()) if only else {"distributions": {}}
    table: dict[str, object] = dict(old["distributions"])
    for name in only or DISTRIBUTIONS:
        filename, url = newest_wheel(name)
        remote = io.BufferedReader(RemoteFile(client, url), buffer_size=BLOCK)
        with zipfile.ZipFile(remote) as wheel:
            members = [i.filename for i in wheel.infolist()]
        folders: dict[str, set[str]] = {}
        for member in members:
            folder, _, base = member.rpartition("/")
            if (
                folder
                and folder in ONLY_FOLDERS.get(name, (folder,))
                and LIBRARY.match(base)
                and not VENDORED.search(base)
                and "/plugins/" not in member
                and "/qml/" not in member
            ):
                folders.setdefault(folder, set()).add(pattern(base))
        table[name] = {
            "wheel": filename,
            "folders": {f: sorted(libs) for f, libs in sorted(folders.items())},
        }
        print(f"{filename}: {', '.join(folders)}", file=sys.stderr)
    doc = {
        "about": (
            "Shared libraries that wheels ship for other wheels to link (sibling wheels), by"
            " distribution: the folder relative to site-packages and the library file names"
            " there ('.*' where a minor version moves). inspect of a wheel without a lock"
            " names the distribution that ships a needed library from this table; in a lock,"
            " the lock's own wheels decide. Generated by tests/refresh_siblings.py."
        ),
        "checked": (
            f"newest Linux x86_64 wheel of each distribution on PyPI, {date.today()}"
            if not only
            else f"{old['checked']}; {', '.join(only)} {date.today()}"
        ),
        "distributions": dict(sorted(table.items())),
    }
    out.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
