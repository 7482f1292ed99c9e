"""What the host must be for a test: the same condition everywhere, said once."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

import pytest

X86_64_LINUX = sys.platform == "linux" and sysconfig.get_platform() == "linux-x86_64"

# Tests that compile, install or run x86_64 ELF files with this host's tools.
needs_x86_64 = pytest.mark.skipif(not X86_64_LINUX, reason="needs an x86_64 Linux host")

# Tests that imitate the NixOS loader: hide host libraries under `unshare -m`.
needs_unshare = pytest.mark.skipif(
    not X86_64_LINUX or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root, unshare and an x86_64 host to imitate the NixOS loader",
)
