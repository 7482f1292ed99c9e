"""The ordered list of wheel tags a target accepts (PEP 425, 600, 656).

``packaging.tags`` builds the interpreter/ABI part; the platform part is ours, because
packaging's manylinux and musllinux helpers probe the running machine's C library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property

from packaging import tags as ptags

from .target import Target

# PEP 600: the legacy names stand right after the glibc version they alias.
_LEGACY_ALIASES = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
# manylinux starts at glibc 2.5 on x86; everything else arrived with manylinux2014.
_MANYLINUX_FLOOR = {"x86_64": 5, "i686": 5}


def manylinux_platforms(arch: str, glibc: tuple[int, int]) -> Iterator[str]:
    """``manylinux_2_N_<arch>`` from the target's glibc down, legacy aliases in place."""
    major, minor = glibc
    if major != 2:
        raise ValueError(f"glibc {major}.{minor}: only glibc 2.x exists")
    floor = _MANYLINUX_FLOOR.get(arch, 17)
    for m in range(minor, floor - 1, -1):
        yield f"manylinux_2_{m}_{arch}"
        alias = _LEGACY_ALIASES.get(m)
        # manylinux1/2010 were only defined for x86; 2014 for the PEP 599 list.
        if alias and (m == 17 or arch in _MANYLINUX_FLOOR):
            yield f"{alias}_{arch}"


def musllinux_platforms(arch: str, musl: tuple[int, int]) -> Iterator[str]:
    major, minor = musl
    for m in range(minor, -1, -1):
        yield f"musllinux_{major}_{m}_{arch}"


def platforms(target: Target) -> list[str]:
    """Platform tags, most specific first. For glibc, ``linux_<arch>`` comes last, after
    every manylinux tag, as pip ranks it on Linux: such a wheel was built for one
    distribution and its tag promises nothing more, but inspect checks exactly what the
    tag does not promise (symbol versions against the target's glibc, every library),
    and private indexes serve only such wheels (PyPI serves none)."""
    if target.os == "darwin":
        assert target.macos is not None
        # packaging only probes the host when version or arch is missing.
        return list(ptags.mac_platforms((target.macos[0], target.macos[1]), target.arch))
    assert target.libc_version is not None
    if target.libc == "musl":
        return list(musllinux_platforms(target.arch, target.libc_version))
    return [*manylinux_platforms(target.arch, target.libc_version), f"linux_{target.arch}"]


def target_tags(target: Target) -> list[ptags.Tag]:
    """All tags the target accepts, best first, as an installer on that target would rank them."""
    py = target.python
    version = (py.major, py.minor)
    plats = platforms(target)
    # abis is passed explicitly: left out, packaging reads the *host* interpreter's flags.
    native = ptags.cpython_tags(version, [py.abi], plats)
    generic = ptags.compatible_tags(version, f"cp{py.nodot}", plats)
    return list(dict.fromkeys([*native, *generic]))


@dataclass(frozen=True)
class TagRanking:
    """Ranks wheel tag sets for one target; lower is better, None is unusable."""

    tags: tuple[ptags.Tag, ...]

    @classmethod
    def for_target(cls, target: Target) -> TagRanking:
        """One ranking per target and run: a lock asks once per package (120 times for
        docling's lock, 0.3 s of a warm convert when each was computed again)."""
        return _ranking(target)

    @cached_property
    def _priority(self) -> dict[ptags.Tag, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    def rank(self, wheel_tags: Iterable[ptags.Tag]) -> int | None:
        ranks = [self._priority[t] for t in wheel_tags if t in self._priority]
        return min(ranks) if ranks else None


@cache
def _ranking(target: Target) -> TagRanking:
    return TagRanking(tuple(target_tags(target)))
