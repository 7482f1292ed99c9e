"""``manylinux-nix lock``: requirements and targets in, a lock document out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement

from . import lockfile
from .download import fetch_file
from .errors import UserError
from .http import HttpClient
from .index import Index
from .metadata import MetadataSource
from .resolve import Pin, WheelProvider, pin_named, resolve
from .target import Target


@dataclass
class LockRequest:
    requirements: list[Requirement]
    targets: list[Target]
    no_deps: bool = False
    pre: bool = False
    allowed_hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class Locker:
    client: HttpClient
    index: Index
    on_progress: Callable[[str], None] = lambda _msg: None

    def __post_init__(self) -> None:
        self.metadata = MetadataSource(self.client)

    def pins(self, request: LockRequest, target: Target) -> list[Pin]:
        provider = WheelProvider(
            self.index,
            self.metadata,
            target,
            allow_pre=request.pre,
            allowed_hashes=request.allowed_hashes,
            on_progress=self.on_progress,
        )
        if request.no_deps:
            return pin_named(provider, request.requirements)
        return resolve(provider, request.requirements)

    def entry(self, pin: Pin, allowed: frozenset[str] | None) -> dict[str, Any]:
        """The lock entry; downloads the wheel only when the index gave no sha256."""
        sha256, size = pin.file.sha256, pin.file.size
        if sha256 is None:
            self.on_progress(f"hashing {pin.file.filename}")
            path, sha256 = fetch_file(self.client, pin.file)
            size = path.stat().st_size
        if allowed is not None and sha256 not in allowed:
            raise UserError(
                f"{pin.file.filename}: sha256 {sha256} is not among the --hash values given "
                f"for {pin.name}; update the requirements file's hashes"
            )
        return lockfile.package_entry(pin, sha256, size)

    def lock(self, request: LockRequest) -> dict[str, dict[str, Any]]:
        targets: dict[str, dict[str, Any]] = {}
        for target in sorted(request.targets):
            if target.key in targets:
                continue
            pins = self.pins(request, target)
            entries = [self.entry(p, request.allowed_hashes.get(p.name)) for p in pins]
            targets[target.key] = lockfile.target_entry(target, entries)
        return targets


def document(
    request: LockRequest, targets: dict[str, dict[str, Any]], indexes: Sequence[str]
) -> dict[str, Any]:
    options = {"no_deps": request.no_deps, "pre": request.pre}
    reqs = [str(r) for r in request.requirements]
    return lockfile.lock_document(reqs, indexes, options, targets)
