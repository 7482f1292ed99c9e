"""Build real, small, byte-for-byte reproducible wheels and sdists for tests."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import re
import subprocess
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

# The earliest timestamp a zip file can carry; any fixed value keeps builds reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SDIST_MTIME = 315532800  # 1980-01-01T00:00:00Z, matching ZIP_DATE

GENERATOR = "manylinux-nix tests.wheelfactory"

C_SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *answer(PyObject *self, PyObject *args) {
    return PyLong_FromLong(42);
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, "Return 42."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""

# std::ostringstream is never fully inlined, so the linker must keep libstdc++.so.6 in
# DT_NEEDED even under --as-needed; the tests rely on that dependency being genuine.
CXX_SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sstream>
#include <string>

static PyObject *answer(PyObject *, PyObject *) {
    std::ostringstream out;
    out << 6 * 7;
    std::string digits = out.str();
    return PyLong_FromString(digits.c_str(), nullptr, 10);
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, "Return 42."},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", nullptr, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""

# Compiling takes far longer than zipping, and tests build many wheels around one binary.
_NATIVE_CACHE: dict[bool, bytes] = {}


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def module_name(name: str) -> str:
    return normalize(name).replace("-", "_")


def expand_tags(tags: str) -> list[str]:
    """Expand a compressed tag string (``py2.py3-none-any``) into single tags."""
    parts = tags.split("-")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a tag triple: {tags!r}")
    interpreters, abis, platforms = (part.split(".") for part in parts)
    return [f"{i}-{a}-{p}" for i in interpreters for a in abis for p in platforms]


def compress_tags(tags: str | list[str]) -> str:
    """One compressed tag string for ``tags``; a list must form a full product.

    A wheel file name can only express a product of interpreter, ABI and platform
    sets, so a list that is not one would make the name claim more than was asked.
    """
    if isinstance(tags, str):
        expand_tags(tags)
        return tags
    if not tags:
        raise ValueError("at least one tag is needed")
    columns: list[list[str]] = [[], [], []]
    wanted: set[str] = set()
    for compressed in tags:
        for single in expand_tags(compressed):
            wanted.add(single)
            for column, part in zip(columns, single.split("-"), strict=True):
                if part not in column:
                    column.append(part)
    joined = "-".join(".".join(column) for column in columns)
    if set(expand_tags(joined)) != wanted:
        raise ValueError(f"tags {tags!r} are not a product; pass a compressed tag string")
    return joined


def native_module_bytes(*, cxx: bool = False) -> bytes:
    """A CPython extension module for the host interpreter exposing ``answer() -> 42``."""
    if cxx not in _NATIVE_CACHE:
        _NATIVE_CACHE[cxx] = _compile(cxx)
    return _NATIVE_CACHE[cxx]


def _compile(cxx: bool) -> bytes:
    include = sysconfig.get_paths()["include"]
    compiler, source, suffix = ("g++", CXX_SOURCE, "cc") if cxx else ("gcc", C_SOURCE, "c")
    with tempfile.TemporaryDirectory(prefix="wheelfactory-") as tmp:
        src = Path(tmp, f"native.{suffix}")
        out = Path(tmp, "native.so")
        src.write_text(source)
        # -Wl,--build-id=none drops a hash that would otherwise differ between hosts.
        command = [
            compiler,
            "-shared",
            "-fPIC",
            "-O2",
            "-Wl,--build-id=none",
            f"-I{include}",
            "-o",
            str(out),
            str(src),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
        return out.read_bytes()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _metadata(
    name: str, version: str, requires_python: str | None, requires_dist: list[str]
) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires_dist]
    return ("\n".join(lines) + "\n\n").encode()


def _wheel_file(tags: str, purelib: bool, build_tag: str | None) -> bytes:
    lines = [
        "Wheel-Version: 1.0",
        f"Generator: {GENERATOR}",
        f"Root-Is-Purelib: {'true' if purelib else 'false'}",
    ]
    lines += [f"Tag: {tag}" for tag in expand_tags(tags)]
    if build_tag is not None:
        lines.append(f"Build: {build_tag}")
    return ("\n".join(lines) + "\n").encode()


def _record(members: list[tuple[str, bytes]], record_path: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, data in members:
        writer.writerow([path, _record_hash(data), len(data)])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are honoured
            info.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    tags: str | list[str] = "py3-none-any",
    *,
    requires_dist: list[str] | None = None,
    requires_python: str | None = None,
    c_extension: bool = False,
    cxx: bool = False,
    extra_files: dict[str, bytes] | None = None,
    build_tag: str | None = None,
) -> Path:
    """Write an installable wheel into ``out_dir`` and return its path.

    ``extra_files`` maps archive paths to contents and may replace generated files
    (say a broken METADATA); RECORD is always recomputed so that it stays valid.
    ``cxx=True`` implies a C extension.
    """
    if build_tag is not None and not re.match(r"^\d", build_tag):
        raise ValueError(f"a build tag must start with a digit: {build_tag!r}")
    compressed = compress_tags(tags)
    module = module_name(name)
    dist = f"{module}-{version.replace('-', '_')}"
    dist_info = f"{dist}.dist-info"
    native = c_extension or cxx

    files: dict[str, bytes] = {}
    if native:
        ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
        files[f"{module}/_native{ext_suffix}"] = native_module_bytes(cxx=cxx)
        files[f"{module}/__init__.py"] = b"from ._native import answer\n\n__all__ = ['answer']\n"
    else:
        files[f"{module}/__init__.py"] = f"__version__ = {version!r}\n".encode()
    files[f"{dist_info}/METADATA"] = _metadata(name, version, requires_python, requires_dist or [])
    files[f"{dist_info}/WHEEL"] = _wheel_file(compressed, not native, build_tag)
    files.update(extra_files or {})
    record_path = f"{dist_info}/RECORD"
    files.pop(record_path, None)

    # The wheel spec asks for .dist-info at the end of the archive, RECORD last of all.
    payload = sorted(path for path in files if not path.startswith(f"{dist_info}/"))
    metadata = sorted(path for path in files if path.startswith(f"{dist_info}/"))
    members = [(path, files[path]) for path in payload + metadata]
    members.append((record_path, _record(members, record_path)))

    build = f"-{build_tag}" if build_tag is not None else ""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dist}{build}-{compressed}.whl"
    target.write_bytes(_zip_bytes(members))
    return target


def _tar_member(path: str, data: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(path)
    info.size = len(data)
    info.mtime = SDIST_MTIME
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info, io.BytesIO(data)


def build_sdist(out_dir: Path, name: str, version: str) -> Path:
    """Write a minimal, buildable sdist (``<name>-<version>.tar.gz``) and return its path."""
    module = module_name(name)
    base = f"{module}-{version}"
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    members = {
        f"{base}/PKG-INFO": _metadata(name, version, None, []),
        f"{base}/pyproject.toml": pyproject.encode(),
        f"{base}/{module}/__init__.py": f"__version__ = {version!r}\n".encode(),
    }
    raw = io.BytesIO()
    # gzip stamps its own mtime and file name into the header unless told not to.
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sorted(members):
            tar.addfile(*_tar_member(path, members[path]))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{base}.tar.gz"
    target.write_bytes(raw.getvalue())
    return target
