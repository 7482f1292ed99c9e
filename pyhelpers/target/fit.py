"""Why a wheel's tags do not fit a target, in the words a user would check first: the
operating system, the architecture, the C library and its version, then Python."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.tags import Tag

from .tags import TagRanking
from .target import Target

_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_(.+)")
_MUSLLINUX = re.compile(r"musllinux_(\d+)_(\d+)_(.+)")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MACOS = re.compile(r"macosx_(\d+)_(\d+)_(.+)")
# macOS multi-architecture tags and the architectures they hold.
_MAC_FAT = {
    "universal2": {"x86_64", "arm64"},
    "universal": {"x86_64", "i386", "ppc", "ppc64"},
    "intel": {"x86_64", "i386"},
    "fat64": {"x86_64", "ppc64"},
    "fat3": {"x86_64", "i386", "ppc"},
    "fat32": {"i386", "ppc"},
    "fat": {"i386", "ppc"},
}


@dataclass(frozen=True)
class Platform:
    os: str  # linux, darwin, windows, or the tag itself when unknown
    arch: frozenset[str]
    libc: str | None = None  # glibc, musl; None: linux_<arch>, promising no C library
    version: tuple[int, int] | None = None  # the glibc, musl or macOS version it needs


def platform_of(tag: str) -> Platform | None:
    """What a platform tag asks of a machine; None for ``any``."""
    if tag == "any":
        return None
    if m := _MANYLINUX.fullmatch(tag):
        return Platform("linux", frozenset({m[3]}), "glibc", (int(m[1]), int(m[2])))
    legacy, _, arch = tag.partition("_")
    if legacy in _LEGACY:
        return Platform("linux", frozenset({arch}), "glibc", _LEGACY[legacy])
    if m := _MUSLLINUX.fullmatch(tag):
        return Platform("linux", frozenset({m[3]}), "musl", (int(m[1]), int(m[2])))
    if tag.startswith("linux_"):
        return Platform("linux", frozenset({tag[len("linux_") :]}))
    if m := _MACOS.fullmatch(tag):
        return Platform(
            "darwin", frozenset(_MAC_FAT.get(m[3], {m[3]})), None, (int(m[1]), int(m[2]))
        )
    if tag in ("win32", "win_amd64", "win_arm64"):
        arch = {"win32": "x86", "win_amd64": "amd64", "win_arm64": "arm64"}[tag]
        return Platform("windows", frozenset({arch}))
    return Platform(tag, frozenset())


def misfit(tags: Iterable[Tag], target: Target) -> str | None:
    """None when one of ``tags`` is among those the target accepts, else why not,
    completing "the wheel ...": "is built for aarch64, not x86_64"."""
    tags = frozenset(tags)
    if TagRanking.for_target(target).rank(tags) is not None:
        return None
    platforms = [p for p in (platform_of(t.platform) for t in tags) if p is not None]
    if all(t.platform != "any" for t in tags):
        reason = _platform_misfit(platforms, target)
        if reason:
            return reason
    return _python_misfit(tags, target)


def _platform_misfit(platforms: list[Platform], target: Target) -> str | None:
    same_os = [p for p in platforms if p.os == target.os]
    if not same_os:
        built = ", ".join(sorted({p.os for p in platforms}))
        return f"is built for {built}, not {target.os} ({target.system_key})"
    same_arch = [p for p in same_os if target.arch in p.arch]
    if not same_arch:
        built = ", ".join(sorted({a for p in same_os for a in p.arch}))
        return f"is built for {built}, not {target.arch} ({target.system_key})"
    if target.os == "linux":
        return _libc_misfit(same_arch, target)
    if target.macos is not None:
        needed = min(p.version for p in same_arch if p.version is not None)
        if needed > target.macos:
            return (
                f"needs macOS {needed[0]}.{needed[1]}, the target is "
                f"{target.macos[0]}.{target.macos[1]} (--macos)"
            )
    return None


def _libc_misfit(platforms: list[Platform], target: Target) -> str | None:
    same_libc = [p for p in platforms if p.libc == target.libc]
    if not same_libc:
        if all(p.libc is None for p in platforms):
            return (
                f"has only linux_{target.arch} tags, which promise nothing beyond the machine "
                "it was built on; use a manylinux wheel"
            )
        built = ", ".join(
            sorted({f"{p.libc} ({'musllinux' if p.libc == 'musl' else 'manylinux'})"
                    for p in platforms if p.libc})
        )  # fmt: skip
        return f"is built for {built}, not {target.libc} ({target.system_key})"
    needed = min(p.version for p in same_libc if p.version is not None)
    have = target.libc_version
    if have is not None and needed > have:
        return (
            f"needs {target.libc} {needed[0]}.{needed[1]}, the target has {have[0]}.{have[1]}"
            f"{f' (nixpkgs {target.nixpkgs})' if target.nixpkgs else ''}"
        )
    return None


def _python_misfit(tags: frozenset[Tag], target: Target) -> str:
    built = ", ".join(sorted({f"{t.interpreter}-{t.abi}" for t in tags}))
    flavour = " (free-threaded)" if target.python.free_threaded else ""
    return f"is built for {built}, not Python {target.python.short}{flavour}"
