"""What every lock format is read into, and the formats' names."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from ...errors import UserError

UV = "uv.lock"
PYLOCK = "pylock.toml"
POETRY = "poetry.lock"
PIPFILE = "Pipfile.lock"
PDM = "pdm.lock"
REQUIREMENTS = "requirements.txt"
PYPROJECT = "pyproject.toml"  # read beside a poetry.lock: the project's own dependencies

# The second half of every message about a broken file: the way out.
_FIX = {
    UV: "regenerate it with `uv lock`",
    PYLOCK: "regenerate it (e.g. `uv export --format pylock.toml -o pylock.toml`)",
    POETRY: "regenerate it with `poetry lock`",
    PDM: "regenerate it with `pdm lock`",
    PIPFILE: "regenerate it with `pipenv lock`",
    REQUIREMENTS: "fix it or regenerate it (e.g. `uv export --format requirements.txt`)",
    PYPROJECT: "fix it, or move it away from the lock",
}

# uv source kinds that are the user's own code (the project, workspace members, path
# dependencies): built by the user, so they are walked through but never fetched.
_UV_LOCAL = ("virtual", "editable", "directory", "path")
_UV_KINDS = ("registry", "url", "git", *_UV_LOCAL)
_SHA256 = re.compile(r"sha256:([0-9a-fA-F]{64})")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_PIPFILE_PIN = re.compile(r"==\s*([^\s=*,;]+)")

Table = dict[str, object]


@dataclass(frozen=True)
class LockedFile:
    filename: str | None  # None when the lock only gives a hash (Pipfile.lock, requirements)
    url: str | None  # absolute URL when the lock has one (uv.lock, pylock.toml), else None
    sha256: str | None  # lowercase hex
    size: int | None = None


@dataclass(frozen=True)
class LockedPackage:
    name: str  # PEP 503 normalized
    version: str  # PEP 440 normal form
    files: tuple[LockedFile, ...]  # sdist and wheels as listed; hash-only formats: one per hash
    index: str | None  # the index URL the lock names for this package; None: the default
    marker: str | None = None  # when this entry applies; None: always (and for uv.lock)


@dataclass(frozen=True)
class Unfetchable:
    """An entry no index can serve (git, a local file, no pinned version).

    Kept rather than refused at read time: it only matters for targets it applies to,
    e.g. Pipfile.lock's unpinned win32-only packages on a Linux target."""

    name: str
    marker: str | None
    reason: str  # completes "<name> ...", e.g. "comes from git"
    # What a Nix build needs to fetch it, listed with --allow-sdist: ("type", "git"),
    # ("url", ...), ("commit", ...); ("type", "path"), ("path", relative to the lock);
    # ("type", "url"), ("url", ...), ("sha256", ...). Empty: nothing can fetch it.
    fetch: tuple[tuple[str, str], ...] = ()
    version: str | None = None


@dataclass(frozen=True)
class UvDependency:
    name: str
    version: str | None = None
    source: str | None = None  # the source table as canonical JSON, as in UvPackage.source
    marker: str | None = None
    extras: tuple[str, ...] = ()


# The name a virtual workspace root's groups go by in the walk: no package can have it.
VIRTUAL_ROOT = "(virtual workspace root)"


@dataclass(frozen=True)
class UvPackage:
    """One ``[[package]]`` of uv.lock, with the edges needed to walk the graph."""

    name: str
    version: str | None  # uv omits it for a project with a dynamic version
    source: str  # canonical JSON of the source table
    kind: str  # the source's key: registry, url, git, virtual, editable, directory, path
    resolution_markers: tuple[str, ...]
    dependencies: tuple[UvDependency, ...]
    optional_dependencies: tuple[tuple[str, tuple[UvDependency, ...]], ...]
    locked: LockedPackage | None  # None for the user's own code and for git sources
    location: str = ""  # the source's value: "." for the workspace root
    # [package.dev-dependencies]: dependency groups, by normalized name.
    dev_dependencies: tuple[tuple[str, tuple[UvDependency, ...]], ...] = ()


@dataclass(frozen=True)
class PoetryDependency:
    """One edge of poetry.lock ([package.dependencies]) or of the project's pyproject.toml."""

    name: str
    constraint: str  # poetry's syntax ("^1.2", ">=1,<2 || >=3", "*")
    marker: str | None = None  # PEP 508, `extra == "x"` for an extra's dependency
    optional: bool = False  # only with an extra that lists it
    extras: tuple[str, ...] = ()
    python: str | None = None  # a `python = "..."` constraint beside the marker


@dataclass(frozen=True)
class PoetryPackage:
    """One [[package]] of poetry.lock, with what the installer's walk needs."""

    name: str
    version: str
    python_versions: str  # poetry's constraint on the Python the package supports
    dependencies: tuple[PoetryDependency, ...]
    extras: tuple[tuple[str, tuple[str, ...]], ...]  # extra -> its requirement strings
    locked: LockedPackage | None  # None for the user's own code and what no index serves
    unfetchable: Unfetchable | None = None
    # Lock version 2.1 (poetry >= 2): the groups that reach the package, and per group the
    # marker it is installed under (None: everywhere); poetry's installer goes by them.
    groups: tuple[str, ...] = ()
    markers: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class PoetryProject:
    """The project's own dependencies, from the pyproject.toml beside the lock: where
    poetry's installer starts its walk."""

    path: str
    groups: tuple[tuple[str, tuple[PoetryDependency, ...]], ...]  # "main" first
    extras: tuple[tuple[str, tuple[str, ...]], ...]  # extra -> names of optional dependencies


@dataclass(frozen=True)
class PdmPackage:
    """One [[package]] of pdm.lock. An entry with extras ("uvicorn[standard]") is its own
    package of the same name and version, whose dependencies add the extras' ones."""

    name: str
    version: str | None
    extras: tuple[str, ...]
    groups: tuple[str, ...]  # inherit_metadata: the groups that reach it
    marker: str | None  # inherit_metadata: where it is installed; None: everywhere
    dependencies: tuple[PoetryDependency, ...]  # PEP 508 specifiers in `constraint`
    locked: LockedPackage | None  # None for the user's own code and what no index serves
    unfetchable: Unfetchable | None = None


@dataclass(frozen=True)
class PdmProject:
    """The project beside a pdm.lock: what pdm resolves from when the lock has no
    per-package groups, and which group names are extras and which dependency groups."""

    path: str
    name: str | None
    dependencies: tuple[PoetryDependency, ...]  # the "default" group
    extras: tuple[tuple[str, tuple[PoetryDependency, ...]], ...]  # optional-dependencies
    groups: tuple[tuple[str, tuple[PoetryDependency, ...]], ...]  # dev and PEP 735 groups
    indexes: tuple[str, ...] = ()  # [[tool.pdm.source]] indexes, in the order pdm asks them


@dataclass(frozen=True)
class PdmTarget:
    """One [[metadata.targets]]: the environments the lock was resolved for (its keys are
    pdm's, read by schema.read_table)."""

    requires_python: str | None = field(metadata={"key": "requires_python"})
    platform: str | None  # pdm's names: "manylinux_2_17_x86_64", "linux", "macos_arm64"
    implementation: str | None


@dataclass(frozen=True)
class PdmLock:
    graph: tuple[PdmPackage, ...]
    groups: tuple[str, ...]  # [metadata] groups: what was locked, "default" included
    inherit_metadata: bool  # each package says its groups and marker: pdm installs by them
    targets: tuple[PdmTarget, ...]
    project: PdmProject | None


@dataclass(frozen=True)
class LockFile:
    path: str
    format: str  # "uv.lock" | "pylock.toml" | "poetry.lock" | "Pipfile.lock" | "requirements.txt"
    packages: tuple[LockedPackage, ...]
    indexes: tuple[str, ...]  # index URLs the lock declares, in order; may be empty
    requires_python: str | None = None  # uv.lock / pylock.toml: targets outside are refused
    # pylock `environments`, uv `supported-markers`: the lock covers only targets where
    # one of these holds.
    environments: tuple[str, ...] = ()
    default_groups: tuple[str, ...] = ()  # pylock: `dependency_groups` for its markers
    unfetchable: tuple[Unfetchable, ...] = ()
    skipped: tuple[str, ...] = ()  # local projects and path dependencies: never fetched
    uv_graph: tuple[UvPackage, ...] = ()  # uv.lock only: every [[package]] in file order
    uv_members: tuple[str, ...] = ()  # uv.lock [manifest] members: the workspace's projects
    # uv.lock `conflicts`: sets of (package, "extra" | "group", name) never chosen together.
    uv_conflicts: tuple[tuple[tuple[str, str, str], ...], ...] = ()
    poetry_graph: tuple[PoetryPackage, ...] = ()  # poetry.lock only: every [[package]]
    poetry_project: PoetryProject | None = None  # poetry.lock with its pyproject.toml beside it
    poetry_python: str | None = None  # poetry.lock [metadata] python-versions ("^3.10")
    poetry_locked_groups: bool = False  # lock-version >= 2.1: groups and markers per package
    poetry_extras: tuple[tuple[str, tuple[str, ...]], ...] = ()  # poetry.lock [extras]
    pdm: PdmLock | None = None  # pdm.lock only
    # The index of packages the lock names none for (poetry: PyPI; pipenv: its first
    # source); None: the first of `indexes`, else PyPI.
    default_index: str | None = None
    # A package naming no index is looked for on each of `indexes` in turn, as pip does
    # for a requirements file's --index-url and --extra-index-url, and pdm for its
    # sources; otherwise it comes from the default index alone (poetry: PyPI).
    searches_every_index: bool = False


@dataclass(frozen=True)
class _Source:
    path: str
    format: str

    def error(self, where: str, problem: str) -> UserError:
        place = f"{self.path}: {where}: " if where else f"{self.path}: "
        return UserError(f"{place}{problem}; {_FIX[self.format]}")

    @property
    def table(self) -> str:
        """A mapping, in the words of the file's own syntax."""
        return "an object" if self.format == PIPFILE else "a table"

    def kind(self, value: object) -> str:
        word = _kind(value)
        return self.table if word == "a table" else word


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return "a date-time"
    return "null" if value is None else type(value).__name__
