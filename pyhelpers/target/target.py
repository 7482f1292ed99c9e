"""What a Nix target is: a system, a Python, and the C library it will run on.

Everything is explicit data; nothing here looks at the machine we run on, because the
lock is made for another machine (a NixOS box, a CI builder, an aarch64 server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .. import data
from ..errors import UsageError

OS = Literal["linux", "darwin"]
Libc = Literal["glibc", "musl"]

# Nix system -> (os, wheel architecture).  The wheel architecture is the name that
# appears in platform tags, which differs from Nix's CPU name for some systems.
SYSTEMS: dict[str, tuple[OS, str]] = {
    "x86_64-linux": ("linux", "x86_64"),
    "aarch64-linux": ("linux", "aarch64"),
    "i686-linux": ("linux", "i686"),
    "armv7l-linux": ("linux", "armv7l"),
    "powerpc64le-linux": ("linux", "ppc64le"),
    "riscv64-linux": ("linux", "riscv64"),
    "s390x-linux": ("linux", "s390x"),
    "loongarch64-linux": ("linux", "loongarch64"),
    "x86_64-darwin": ("darwin", "x86_64"),
    "aarch64-darwin": ("darwin", "arm64"),
}

_PYTHON_RE = re.compile(r"^(?:python|cp)?3\.?(\d+)(?:\.(\d+))?(t?)$")
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True, order=True)
class PythonVersion:
    minor: int
    patch: int | None = None
    free_threaded: bool = False

    @property
    def major(self) -> int:
        return 3

    @property
    def short(self) -> str:
        """``3.13`` or ``3.13t``: the form used in target keys and the lock."""
        return f"3.{self.minor}{'t' if self.free_threaded else ''}"

    @property
    def nodot(self) -> str:
        return f"3{self.minor}"

    @property
    def abi(self) -> str:
        return f"cp{self.nodot}{'t' if self.free_threaded else ''}"

    @property
    def full(self) -> str:
        # Markers compare python_full_version; without a given patch level we take .0,
        # the lowest release of the series, as uv does for --python-version.
        return f"3.{self.minor}.{self.patch or 0}"


def parse_python(text: str) -> PythonVersion:
    """Parse ``3.12``, ``3.13t``, ``3.12.8``, ``312`` or ``cp313t``."""
    m = _PYTHON_RE.match(text.strip())
    if not m:
        raise UsageError(f"--python {text!r} is not a Python version; use e.g. 3.12 or 3.13t")
    minor, patch, t = int(m.group(1)), m.group(2), bool(m.group(3))
    if minor < 8:
        raise UsageError(f"--python {text}: Python older than 3.8 is not supported")
    if minor > 99:
        raise UsageError(f"--python {text}: no such Python; use e.g. 3.12 or 3.13t")
    if t and minor < 13:
        raise UsageError(f"--python {text}: free-threaded builds exist from 3.13 on")
    return PythonVersion(minor, int(patch) if patch is not None else None, t)


def parse_version_pair(text: str, what: str) -> tuple[int, int]:
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise UsageError(f"{what} {text!r} is not a version; use MAJOR.MINOR, e.g. 2.40")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True, order=True)
class Target:
    """One Nix system and one Python: the unit a wheel is chosen for."""

    system: str
    python: PythonVersion
    os: OS
    arch: str
    libc: Libc | None
    libc_version: tuple[int, int] | None
    macos: tuple[int, int] | None
    nixpkgs: str | None
    gcc: str | None

    @property
    def system_key(self) -> str:
        """The system as the lock names it: ``x86_64-linux`` or ``x86_64-linux-musl``."""
        return f"{self.system}-musl" if self.libc == "musl" else self.system

    @property
    def key(self) -> str:
        return f"{self.system_key}/{self.python.short}"

    def describe(self) -> str:
        """Human form for messages: ``x86_64-linux/3.12 (glibc 2.40)``."""
        if self.libc_version is not None:
            detail = f"{self.libc} {self.libc_version[0]}.{self.libc_version[1]}"
        elif self.macos is not None:
            detail = f"macOS {self.macos[0]}.{self.macos[1]}"
        else:
            detail = self.os
        return f"{self.key} ({detail})"


def releases() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = data.load("nixpkgs-releases")["releases"]
    return table


def default_release() -> str:
    name: str = data.load("nixpkgs-releases")["default"]
    return name


def make_target(
    system: str,
    python: str | PythonVersion,
    *,
    nixpkgs: str | None = None,
    glibc: str | None = None,
    musl: bool = False,
    macos: str | None = None,
) -> Target:
    """Build a target from user-facing names; every unknown name is a clear UsageError."""
    if system.endswith("-musl"):
        system, musl = system.removesuffix("-musl"), True
    if system not in SYSTEMS:
        known = ", ".join(sorted(SYSTEMS))
        raise UsageError(f"--system {system!r} is not a known Nix system; use one of {known}")
    os_name, arch = SYSTEMS[system]
    py = parse_python(python) if isinstance(python, str) else python

    release_name = nixpkgs or default_release()
    table = releases()
    if release_name not in table:
        known = ", ".join(sorted(table))
        raise UsageError(f"--nixpkgs {release_name!r} is not a known release; use one of {known}")
    release = table[release_name]

    libc: Libc | None = None
    libc_version: tuple[int, int] | None = None
    macos_version: tuple[int, int] | None = None
    if os_name == "linux":
        if musl:
            libc, libc_version = "musl", parse_version_pair(release["musl"], "musl")
        else:
            libc = "glibc"
            libc_version = parse_version_pair(glibc or release["glibc"], "--glibc")
            # manylinux tags count glibc 2.x minors down from the target's: only a
            # real glibc makes sense (there is no glibc 3, and 1.x predates ELF tags).
            if libc_version[0] != 2 or libc_version[1] > 99:
                raise UsageError(
                    f"--glibc {glibc}: glibc versions are 2.x with x up to 99 (nixpkgs 25.11 "
                    "has 2.40); give the target's, e.g. --glibc 2.40"
                )
    else:
        if musl:
            raise UsageError(f"--musl applies to Linux systems, not {system}")
        macos_version = parse_version_pair(macos or release["darwin_min"], "--macos")
        if not (10 <= macos_version[0] <= 99 and macos_version[1] <= 99):
            raise UsageError(f"--macos {macos}: give a macOS version such as 11.3 or 14.0")
    return Target(
        system=system,
        python=py,
        os=os_name,
        arch=arch,
        libc=libc,
        libc_version=libc_version,
        macos=macos_version,
        nixpkgs=release_name,
        gcc=release["gcc"],
    )
