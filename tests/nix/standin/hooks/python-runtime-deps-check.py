"""Stand-in for nixpkgs' python-runtime-deps-check-hook.py: every Requires-Dist of the
wheel whose marker holds must be installed (importlib.metadata, on PYTHONPATH) at a
version its specifier accepts, pre-releases allowed; else print each miss and exit 1."""

import importlib.metadata
import sys
import zipfile

from packaging.metadata import parse_email
from packaging.requirements import Requirement


def metadata_text(wheel: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".dist-info/METADATA"):
                return archive.read(name).decode("utf-8")
    raise SystemExit(f"{wheel}: no METADATA")


def main(wheel: str) -> int:
    raw, _ = parse_email(metadata_text(wheel))
    failed = False
    for text in raw.get("requires_dist", []):
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = importlib.metadata.distribution(requirement.name).version
        except importlib.metadata.PackageNotFoundError:
            print(f"  - {requirement.name} not installed", file=sys.stderr)
            failed = True
            continue
        requirement.specifier.prereleases = True
        if requirement.specifier and installed not in requirement.specifier:
            wanted = f"{requirement.name}{requirement.specifier}"
            print(f"  - {wanted} not satisfied by version {installed}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
