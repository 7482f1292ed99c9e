"""The lock file: JSON that the Nix side reads with ``builtins.fromJSON``.

Schema (``version`` 1) is documented in ``docs/lock-format.md``. Output is canonical
(sorted keys, fixed indentation, no timestamps) so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .. import __version__
from ..cache import write_bytes_atomic
from ..errors import UserError
from ..index.urls import redact_text
from ..resolve.resolver import Pin
from ..target.target import Target

LOCK_VERSION = 1


def sri_sha256(hexdigest: str) -> str:
    """``sha256-<base64>``: the form fixed-output derivations take (Nix 2.8 cannot convert)."""
    return "sha256-" + base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


def package_entry(pin: Pin, sha256: str, size: int | None) -> dict[str, Any]:
    entry = _entry(pin, sha256, size)
    if linux_tag_only(pin.file.filename):
        # Chosen last, after every manylinux tag: inspection is all that vouches for it.
        entry["linux_tag_only"] = True
    return entry


def linux_tag_only(filename: str) -> bool:
    """A wheel whose only Linux tags are ``linux_<arch>`` (no manylinux promise)."""
    try:
        platforms = {tag.platform for tag in parse_wheel_filename(filename)[3]}
    except InvalidWheelFilename:
        return False
    return any(p.startswith("linux_") for p in platforms) and not any(
        p.startswith(("manylinux", "musllinux")) for p in platforms
    )


def _entry(pin: Pin, sha256: str, size: int | None) -> dict[str, Any]:
    return {
        "name": pin.name,
        "version": str(pin.version),
        "filename": pin.file.filename,
        "url": pin.file.url,
        "hash": sri_sha256(sha256),
        "sha256": sha256,
        "size": size,
        "requires_python": pin.file.requires_python,
        "index": pin.index_url,
        "dependencies": list(pin.dependencies),
    }


def target_entry(target: Target, packages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    libc_version = target.libc_version
    return {
        "system": target.system_key,
        "python": target.python.short,
        "abi": target.python.abi,
        "libc": target.libc,
        "libc_version": f"{libc_version[0]}.{libc_version[1]}" if libc_version else None,
        "macos": f"{target.macos[0]}.{target.macos[1]}" if target.macos else None,
        "nixpkgs": target.nixpkgs,
        "gcc": target.gcc,
        "packages": {p["name"]: p for p in packages},
    }


def lock_document(
    requirements: Sequence[str],
    indexes: Sequence[str],
    options: dict[str, Any],
    targets: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    return {
        "version": LOCK_VERSION,
        "generator": f"manylinux-nix {__version__}",
        "requirements": list(requirements),
        "indexes": list(indexes),
        "options": options,
        "targets": targets,
    }


def unknown_sonames(targets: dict[str, dict[str, Any]]) -> list[str]:
    """One line per target and package whose needed libraries the soname map does not
    know: Nix will ask for them in sonameOverrides or ignoreMissing."""
    lines = []
    for key, target in targets.items():
        for name, package in target["packages"].items():
            external = (package.get("facts") or {}).get("external", [])
            unknown = sorted({e["soname"] for e in external if e.get("kind") == "unknown"})
            if unknown:
                lines.append(f"{key} {name}: {', '.join(unknown)}")
    return lines


def facts_document(
    source_format: str,
    source_sha256: str,
    indexes: Sequence[str],
    targets: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """What uv2nixOverrides and poetry2nixOverrides read: per target and package, the
    wheel and its facts, nothing to fetch."""
    keep = ("name", "version", "filename", "facts")
    return {
        "version": LOCK_VERSION,
        "kind": "facts",
        "generator": f"manylinux-nix {__version__}",
        "converted_from": source_format,
        # uv2nixOverrides { lock = ./uv.lock; } refuses facts made from another lock.
        "source_sha256": source_sha256,
        "indexes": list(indexes),
        "targets": {
            key: {
                **{k: v for k, v in target.items() if k != "packages"},
                "packages": {
                    name: {k: p[k] for k in keep if k in p}
                    for name, p in target["packages"].items()
                },
            }
            for key, target in targets.items()
        },
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(_scrubbed(document), indent=2, sort_keys=True) + "\n"


def _scrubbed(value: Any) -> Any:
    """The document with user info taken out of every URL in it, wherever the URL came
    from (an index page that echoes credentials, a source lock that carries them)."""
    if isinstance(value, str):
        return redact_text(value) if "@" in value else value
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def write(document: dict[str, Any], output: str) -> None:
    """Write to ``output`` atomically (``-`` is stdout). The old file survives any failure."""
    text = dumps(document)
    if output == "-":
        sys.stdout.write(text)
        return
    try:
        write_bytes_atomic(Path(output), text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}; check the path") from exc


def read(path: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such lock file") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a JSON lock file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("version") != LOCK_VERSION:
        raise UserError(f"{path}: not a manylinux-nix lock of version {LOCK_VERSION}")
    return doc
