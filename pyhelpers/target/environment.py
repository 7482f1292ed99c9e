"""How a target answers PEP 508 environment markers."""

from __future__ import annotations

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.version import InvalidVersion

from ..errors import UserError, printable, quoted, reason
from .target import Target

_SYS_PLATFORM = {"linux": "linux", "darwin": "darwin"}
_PLATFORM_SYSTEM = {"linux": "Linux", "darwin": "Darwin"}


def marker_environment(target: Target) -> dict[str, str]:
    """Every marker variable, set for the target.

    All keys are given because ``Marker.evaluate`` merges the dict over the *host's*
    environment: a missing key would silently take this machine's value.
    """
    py = target.python
    return {
        "implementation_name": "cpython",
        "implementation_version": py.full,
        "os_name": "posix",
        "platform_machine": target.arch,
        "platform_release": "",
        "platform_system": _PLATFORM_SYSTEM[target.os],
        "platform_version": "",
        "python_full_version": py.full,
        "platform_python_implementation": "CPython",
        "python_version": f"3.{py.minor}",
        "sys_platform": _SYS_PLATFORM[target.os],
    }


_METADATA_ADVICE = "the package's metadata is broken: pin another version"


def marker_holds(
    marker: Marker | None,
    env: dict[str, str],
    extra: str = "",
    advice: str = "fix the requirement",
    source: str = "",
) -> bool:
    """Whether ``marker`` holds; a marker that cannot be evaluated is a UserError whose
    ``advice`` fits where the marker came from and names its ``source``."""
    if marker is None:
        return True
    try:
        return marker.evaluate({**env, "extra": extra})
    except (
        UndefinedComparison,
        UndefinedEnvironmentName,
        InvalidVersion,
        TypeError,
        RecursionError,
    ) as exc:
        prefix = f"{printable(source)}: " if source else ""
        raise UserError(
            f"{prefix}the marker {quoted(str(marker), 160)} cannot be evaluated "
            f"({reason(exc, 120)}); {advice}"
        ) from None


def requirement_applies(
    req: Requirement, env: dict[str, str], extras: frozenset[str], source: str = ""
) -> bool:
    """Whether a Requires-Dist entry of ``source`` (a wheel) applies to a candidate
    installed with ``extras``."""
    if req.marker is None:
        return True
    return any(
        marker_holds(req.marker, env, e, _METADATA_ADVICE, source) for e in ("", *sorted(extras))
    )
