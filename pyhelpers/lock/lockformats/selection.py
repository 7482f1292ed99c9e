"""What a lock is installed with: extras, dependency groups and workspace members, with
uv's flags and their meaning (``uv export --frozen --no-default-groups`` is the default:
the runtime dependencies of the workspace's root project only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class Selection:
    extras: frozenset[str] = frozenset()  # --extra
    all_extras: bool = False  # --all-extras
    no_extras: frozenset[str] = frozenset()  # --no-extra (with --all-extras)
    groups: frozenset[str] = frozenset()  # --group
    all_groups: bool = False  # --all-groups
    only_groups: frozenset[str] = frozenset()  # --only-group: the groups, not the project
    packages: frozenset[str] = frozenset()  # --package: these members instead of the root
    all_packages: bool = False  # --all-packages: every workspace member
    without: frozenset[str] = frozenset()  # --without / --no-group: never these groups
    no_default: bool = False  # pdm's --no-default: not the project's own dependencies

    @classmethod
    def of(
        cls,
        *,
        extras: list[str] | None = None,
        all_extras: bool = False,
        no_extras: list[str] | None = None,
        groups: list[str] | None = None,
        all_groups: bool = False,
        only_groups: list[str] | None = None,
        packages: list[str] | None = None,
        all_packages: bool = False,
        without: list[str] | None = None,
        no_default: bool = False,
    ) -> Selection:
        def names(values: list[str] | None) -> frozenset[str]:
            return frozenset(canonicalize_name(v) for v in values or ())

        return cls(
            extras=names(extras),
            all_extras=all_extras,
            no_extras=names(no_extras),
            groups=names(groups),
            all_groups=all_groups,
            only_groups=names(only_groups),
            packages=names(packages),
            all_packages=all_packages,
            without=names(without),
            no_default=no_default,
        )

    @property
    def is_default(self) -> bool:
        return self == Selection()

    def wants_extra(self, extra: str) -> bool:
        return extra not in self.no_extras and (self.all_extras or extra in self.extras)

    def wants_group(self, group: str) -> bool:
        if group in self.without:
            return False
        return self.all_groups or group in self.groups or group in self.only_groups

    @property
    def wants_project(self) -> bool:
        """Whether the selected projects' own dependencies are installed."""
        return not self.only_groups and not self.no_default

    def as_dict(self) -> dict[str, Any]:
        """For the lock we write: a re-run with the same flags gives the same file."""
        return {
            "extras": sorted(self.extras),
            "all_extras": self.all_extras,
            "no_extras": sorted(self.no_extras),
            "groups": sorted(self.groups),
            "all_groups": self.all_groups,
            "only_groups": sorted(self.only_groups),
            "packages": sorted(self.packages),
            "all_packages": self.all_packages,
            "without": sorted(self.without),
            "no_default": self.no_default,
        }


def conflict_item(package: str, kind: str, name: str) -> str:
    """How uv.lock's markers name a chosen extra or group (``extra == 'extra-8-nanochat-gpu'``)."""
    return f"{kind}-{len(package)}-{package}-{name}"
