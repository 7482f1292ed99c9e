"""The Python running the suite, as tests name it: the suite runs on whatever Python 3
the machine has (3.11 on Debian 12, 3.13 on Debian 13), so wheels built in tests are
tagged for it, targets are locked for it and the stand-in's Python is laid out after it."""

from __future__ import annotations

import platform
import sys

PY = f"{sys.version_info.major}.{sys.version_info.minor}"  # "3.13": --python, target keys
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"  # "cp313": wheel tags
# A CPython wheel tag for this interpreter on x86_64 glibc 2.17.
TAG = f"{CP}-{CP}-manylinux_2_17_x86_64"
# site-packages below a prefix, as the stand-in's (and nixpkgs') Python lays it out.
SITE = f"lib/python{PY}/site-packages"
KEY = f"x86_64-linux/{PY}"  # the lock's target key for this interpreter
FULL = platform.python_version()
BASE_PREFIX = sys.base_prefix
