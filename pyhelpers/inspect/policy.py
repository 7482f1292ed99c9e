"""manylinux/musllinux policies: does a wheel's claimed tag hold, and what versions it needs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import data

_LEGACY = {
    "manylinux1": "manylinux_2_5",
    "manylinux2010": "manylinux_2_12",
    "manylinux2014": "manylinux_2_17",
}
_PLATFORM = re.compile(
    r"^(manylinux_\d+_\d+|musllinux_\d+_\d+|manylinux1|manylinux2010|manylinux2014)_(.+)$"
)
# Version namespaces whose highest needed version is reported.
REPORTED = ("GLIBC", "GLIBCXX", "CXXABI", "GCC")


@dataclass(frozen=True)
class Policy:
    name: str
    libc: str
    priority: int
    whitelist: frozenset[str]
    symbol_versions: dict[str, dict[str, frozenset[str]]]  # arch -> namespace -> versions


@cache
def policies() -> dict[str, Policy]:
    raw: list[dict[str, Any]] = data.load("manylinux-policies")["policies"]
    return {
        p["name"]: Policy(
            name=p["name"],
            libc=p["libc"],
            priority=p["priority"],
            whitelist=frozenset(p["lib_whitelist"]),
            symbol_versions={
                arch: {ns: frozenset(v) for ns, v in spaces.items()}
                for arch, spaces in p["symbol_versions"].items()
            },
        )
        for p in raw
    }


def split_version(name: str) -> tuple[str, str]:
    """``GLIBC_2.17`` -> (``GLIBC``, ``2.17``); ``CXXABI_TM_1`` -> (``CXXABI``, ``TM_1``)."""
    namespace, _, version = name.partition("_")
    return namespace, version


def version_key(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def highest_versions(names: Iterable[str]) -> dict[str, str]:
    """The highest numeric version per reported namespace."""
    best: dict[str, tuple[tuple[int, ...], str]] = {}
    for name in names:
        ns, version = split_version(name)
        key = version_key(version)
        if ns in REPORTED and key is not None and (ns not in best or key > best[ns][0]):
            best[ns] = (key, version)
    return {ns: v for ns, (_, v) in sorted(best.items())}


def claimed_policy(platform_tags: Iterable[str]) -> tuple[str, str] | None:
    """(policy name, arch) of the most compatible manylinux/musllinux tag a wheel claims."""
    claims = []
    for tag in platform_tags:
        m = _PLATFORM.match(tag)
        if not m:
            continue
        name = _LEGACY.get(m.group(1), m.group(1))
        # Tags between auditwheel's policies (manylinux_2_29, say) keep their own name
        # and are checked against the nearest older policy.
        known = policies().get(name) or _nearest(name)
        priority = known.priority if known else -1
        claims.append((priority, name, m.group(2)))
    if not claims:
        return None
    _, name, arch = max(claims)
    return name, arch


def _nearest(name: str) -> Policy | None:
    m = re.match(r"^(manylinux|musllinux)_(\d+)_(\d+)$", name)
    if not m:
        return None
    family, major, minor = m.group(1), int(m.group(2)), int(m.group(3))
    candidates = []
    for p in policies().values():
        pm = re.match(rf"^{family}_(\d+)_(\d+)$", p.name)
        if pm and (int(pm.group(1)), int(pm.group(2))) <= (major, minor):
            candidates.append(((int(pm.group(1)), int(pm.group(2))), p))
    return max(candidates, key=lambda c: c[0])[1] if candidates else None


def check(
    claim: tuple[str, str], external: Iterable[str], version_needs: Iterable[tuple[str, str, str]]
) -> list[str]:
    """Violations of the claimed policy: libraries outside its whitelist, and symbol
    versions outside its per-architecture sets. ``version_needs`` holds
    (library, version name, wanted by) for libraries outside the wheel."""
    name, arch = claim
    policy = policies().get(name) or _nearest(name)
    if policy is None:
        return [f"no policy is known for {name}"]
    violations = []
    for soname in sorted(set(external)):
        if soname not in policy.whitelist and not soname.startswith(("ld-linux", "ld64.so")):
            violations.append(f"{soname} is not allowed by {name}")
    spaces = policy.symbol_versions.get(arch, {})
    # manylinux_2_N promises glibc 2.N, whichever known policy is nearest below it
    # (zstd's manylinux_2_14 may need GLIBC_2.14, which manylinux_2_12's set lacks).
    tagged = re.match(r"^manylinux_(\d+)_(\d+)$", name)
    glibc = (int(tagged.group(1)), int(tagged.group(2))) if tagged else None
    seen = set()
    for library, version_name, wanted_by in version_needs:
        ns, version = split_version(version_name)
        key = version_key(version)
        if ns == "GLIBC" and glibc is not None and key is not None and key <= glibc:
            continue
        if ns in spaces and version not in spaces[ns] and version_name not in seen:
            seen.add(version_name)
            violations.append(
                f"{version_name} (from {library}, needed by {wanted_by}) is above {name}"
            )
    return violations


def target_violations(
    symbol_versions: dict[str, str],
    glibc: tuple[int, int] | None,
    gcc: dict[str, str] | None,
    where: str,
) -> list[str]:
    """What a wheel needs beyond the target's glibc and GCC runtime (libstdc++, libgcc_s)."""
    problems = []
    limits: dict[str, str] = dict(gcc or {})
    if glibc is not None:
        limits["GLIBC"] = f"{glibc[0]}.{glibc[1]}"
    for ns, needed in symbol_versions.items():
        have = limits.get(ns)
        need_key, have_key = version_key(needed), version_key(have) if have else None
        if need_key is not None and have_key is not None and need_key > have_key:
            provider = "glibc" if ns == "GLIBC" else "GCC's runtime"
            problems.append(f"needs {ns}_{needed} but {where} has {provider} with {ns} {have}")
    return problems
