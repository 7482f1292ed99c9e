"""``manylinux-nix lock``: requirements and targets in, a lock document out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement

from ..errors import UserError
from ..index.download import fetch_file
from ..index.http import HttpClient
from ..index.indexes import Index
from ..index.metadata import MetadataSource
from ..inspect.classify import classify, providers_of
from ..inspect.report import refuse_if_unfit, scan_cached
from ..inspect.wheel import WheelScan
from ..progress import Progress, size_text
from ..resolve.resolver import Pin, Resolution, WheelProvider, pin_named, resolve
from ..target.target import Target
from . import lockfile


@dataclass
class LockRequest:
    requirements: list[Requirement]
    targets: list[Target]
    no_deps: bool = False
    pre: bool = False
    allowed_hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    inspect: bool = True
    allow_sdist: bool = False


# Downloads (and the scans that follow each) at once: a few connections keep a fast
# link busy, and scans overlap the downloads still running.
CONNECTIONS = 8


@dataclass
class Locker:
    client: HttpClient
    index: Index
    on_progress: Progress = field(default_factory=Progress.silent)

    def __post_init__(self) -> None:
        self.metadata = MetadataSource(self.client)
        self._scanned: dict[tuple[str, str | None], WheelScan] = {}

    def pins(self, request: LockRequest, target: Target) -> list[Pin]:
        return self.resolve(request, target).pins

    def resolve(self, request: LockRequest, target: Target) -> Resolution:
        provider = WheelProvider(
            self.index,
            self.metadata,
            target,
            allow_pre=request.pre,
            allowed_hashes=request.allowed_hashes,
            allow_sdist=request.allow_sdist,
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

    def scans(self, pins: Sequence[Pin]) -> list[WheelScan]:
        """Download and scan every pinned wheel not scanned yet, several at a time, the
        largest first so that the longest download does not start last."""

        def scan(pin: Pin) -> WheelScan:
            path, sha256 = fetch_file(self.client, pin.file, self.on_progress)
            result = scan_cached(path, pin.file.filename, sha256)
            size = size_text(path.stat().st_size)
            self.on_progress.step(f"{pin.file.filename} ({size}, {len(result.elves)} ELF files)")
            return result

        todo = {_key(p): p for p in pins if _key(p) not in self._scanned}
        order = sorted(todo.values(), key=lambda p: -(p.file.size or 0))
        if order:
            self.on_progress.start(len(order), "wheels downloaded and inspected")
            with ThreadPoolExecutor(max_workers=min(CONNECTIONS, len(order))) as pool:
                for pin, result in zip(order, pool.map(scan, order), strict=True):
                    self._scanned[_key(pin)] = result
        return [self._scanned[_key(p)] for p in pins]

    def facts(
        self, pins: Sequence[Pin], scans: Sequence[WheelScan], target: Target
    ) -> list[dict[str, Any]]:
        offered = {
            pin.name: providers_of(scan, pin.name) for pin, scan in zip(pins, scans, strict=True)
        }
        reports = []
        for pin, scan in zip(pins, scans, strict=True):
            siblings = {
                k: v for name, libs in offered.items() if name != pin.name for k, v in libs.items()
            }
            report = classify(scan, siblings=siblings)
            refuse_if_unfit(report, target)
            reports.append({k: v for k, v in report.items() if k not in ("wheel", "sha256")})
        return reports

    def target_entry(
        self,
        target: Target,
        pins: Sequence[Pin],
        *,
        inspect: bool,
        allowed_hashes: Mapping[str, frozenset[str]],
    ) -> dict[str, Any]:
        """A target's part of the lock: every pin's entry, with facts for Linux wheels."""
        if inspect and target.os == "linux":
            scans = self.scans(pins)
            # The downloaded bytes are what the lock vouches for.
            pins = [
                dataclasses.replace(p, file=dataclasses.replace(p.file, sha256=s.sha256))
                for p, s in zip(pins, scans, strict=True)
            ]
            facts: list[dict[str, Any] | None] = list(self.facts(pins, scans, target))
        else:
            facts = [None] * len(pins)
        entries = []
        for pin, fact in zip(pins, facts, strict=True):
            entry = self.entry(pin, allowed_hashes.get(pin.name))
            if fact is not None:
                entry["facts"] = fact
            entries.append(entry)
        return lockfile.target_entry(target, entries)

    def lock(self, request: LockRequest) -> dict[str, dict[str, Any]]:
        resolved: dict[str, tuple[Target, Resolution]] = {}
        for target in sorted(request.targets):
            if target.key not in resolved:
                resolved[target.key] = (target, self.resolve(request, target))
        if request.inspect:
            # Every target's wheels in one pool: downloads overlap across targets too.
            self.scans([p for t, r in resolved.values() if t.os == "linux" for p in r.pins])
        targets = {}
        for key, (target, resolution) in resolved.items():
            entry = self.target_entry(
                target,
                resolution.pins,
                inspect=request.inspect,
                allowed_hashes=request.allowed_hashes,
            )
            if resolution.sdist_only:
                entry["sdist_only"] = [s.as_dict() for s in resolution.sdist_only]
            targets[key] = entry
        return targets


def _key(pin: Pin) -> tuple[str, str | None]:
    return pin.file.url, pin.file.sha256


def document(
    request: LockRequest, targets: dict[str, dict[str, Any]], indexes: Sequence[str]
) -> dict[str, Any]:
    options = {
        "no_deps": request.no_deps,
        "pre": request.pre,
        "inspect": request.inspect,
        "allow_sdist": request.allow_sdist,
    }
    reqs = [str(r) for r in request.requirements]
    return lockfile.lock_document(reqs, indexes, options, targets)
