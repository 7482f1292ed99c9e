"""The project a poetry.lock was made for: its own dependencies, groups and extras, from
the pyproject.toml beside the lock (poetry.lock does not repeat them, and poetry's
installer starts from them). Both layouts: poetry's own ``[tool.poetry]`` tables and
PEP 621 ``[project]`` with PEP 735 ``[dependency-groups]``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.utils import canonicalize_name

from ...target import pep508
from .fields import _first_line, _name, _read_text, _show
from .model import PYPROJECT, PoetryDependency, PoetryProject, Table, _Source
from .poetrydeps import dependency_specs

MAIN = "main"


def load_pyproject(path: Path) -> tuple[_Source, Table] | None:
    """The pyproject.toml beside a lock, parsed, or None when there is none."""
    if not path.is_file():
        return None
    src = _Source(str(path), PYPROJECT)
    try:
        return src, tomllib.loads(_read_text(path))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise src.error("", f"not valid TOML ({_first_line(exc)})") from None


def read_project(lock: _Source, path: Path) -> PoetryProject | None:
    """The project beside a lock, or None when there is no pyproject.toml there."""
    loaded = load_pyproject(path)
    if loaded is None:
        return None
    src, data = loaded
    tool = _sub(src, _sub(src, data, "tool"), "poetry")
    project = _sub(src, data, "project")
    groups: dict[str, list[PoetryDependency]] = {MAIN: []}
    extras: dict[str, tuple[str, ...]] = {}
    if "dependencies" in project:
        groups[MAIN] += _pep508_list(src, project["dependencies"], "project.dependencies")
        optional = _sub(src, project, "optional-dependencies")
        for extra, items in optional.items():
            where = f"project.optional-dependencies.{extra}"
            deps = _pep508_list(src, items, where, optional=True)
            groups[MAIN] += deps
            extras[_name(src, extra, where)] = tuple(d.name for d in deps)
    else:
        groups[MAIN] += _poetry_table(src, tool, "dependencies", "tool.poetry.dependencies")
    for extra, names in _sub(src, tool, "extras").items():
        where = f"tool.poetry.extras.{extra}"
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise src.error(where, "should be an array of package names")
        extras[_name(src, extra, where)] = tuple(_name(src, n, where) for n in names)
    if "dev-dependencies" in tool:
        groups.setdefault("dev", []).extend(
            _poetry_table(src, tool, "dev-dependencies", "tool.poetry.dev-dependencies")
        )
    for group, table in _sub(src, tool, "group").items():
        where = f"tool.poetry.group.{group}"
        body = _sub(src, {group: table}, group)
        groups.setdefault(_name(src, group, where), []).extend(
            _poetry_table(src, body, "dependencies", where + ".dependencies")
        )
    pep735 = _sub(src, data, "dependency-groups")
    for group in pep735:
        groups.setdefault(_name(src, group, "dependency-groups"), []).extend(
            _pep735(src, pep735, group, set())
        )
    return PoetryProject(
        str(path),
        tuple((name, tuple(deps)) for name, deps in groups.items()),
        tuple(extras.items()),
    )


def _sub(src: _Source, table: Table, key: str) -> Table:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise src.error(key, f"should be a table, not {src.kind(value)}")
    return value


def _poetry_table(src: _Source, table: Table, key: str, where: str) -> list[PoetryDependency]:
    return [
        spec
        for name, value in _sub(src, table, key).items()
        if name.lower() != "python"  # the project's own Python range, not a package
        for spec in dependency_specs(src, name, value, where)
    ]


def _pep508_list(
    src: _Source, items: object, where: str, optional: bool = False
) -> list[PoetryDependency]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise src.error(where, "should be an array of PEP 508 requirement strings")
    out = []
    for text in items:
        try:
            req = pep508.requirement(text)
        except pep508.Invalid as exc:
            raise src.error(where, f"requirement {_show(text)} {exc}") from None
        out.append(
            PoetryDependency(
                canonicalize_name(req.name),
                str(req.specifier) or "*",
                None if req.marker is None else str(req.marker),
                optional,
                tuple(sorted(canonicalize_name(e) for e in req.extras)),
            )
        )
    return out


def _pep735(src: _Source, groups: Table, group: str, seen: set[str]) -> list[PoetryDependency]:
    where = f"dependency-groups.{group}"
    if group in seen:
        raise src.error(where, "includes itself")
    items = groups.get(group)
    if not isinstance(items, list):
        raise src.error(where, "should be an array")
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out += _pep735(src, groups, item["include-group"], seen | {group})
        else:
            out += _pep508_list(src, [item], where)
    return out
