"""The project a pdm.lock was made for, from the pyproject.toml beside it: its own
dependencies (pdm's "default" group), extras, dependency groups (``[tool.pdm.dev-
dependencies]`` and PEP 735 ``[dependency-groups]``) and package sources."""

from __future__ import annotations

from pathlib import Path

from ...index.urls import DEFAULT_INDEX, index_key
from .fields import _name
from .model import PdmProject, PoetryDependency, Table, _Source
from .poetryproject import _pep508_list, _pep735, _sub, load_pyproject


def read_pdm_project(lock: _Source, path: Path) -> PdmProject | None:
    """The project beside a lock, or None when there is no pyproject.toml there."""
    loaded = load_pyproject(path)
    if loaded is None:
        return None
    src, data = loaded
    project = _sub(src, data, "project")
    pdm = _sub(src, _sub(src, data, "tool"), "pdm")
    name = project.get("name")
    extras = {
        _name(src, extra, f"project.optional-dependencies.{extra}"): _pep508_list(
            src, items, f"project.optional-dependencies.{extra}"
        )
        for extra, items in _sub(src, project, "optional-dependencies").items()
    }
    groups: dict[str, list[PoetryDependency]] = {}
    for group, items in _sub(src, pdm, "dev-dependencies").items():
        where = f"tool.pdm.dev-dependencies.{group}"
        groups.setdefault(_name(src, group, where), []).extend(
            _pep508_list(src, [i for i in _items(src, items, where) if not _editable(i)], where)
        )
    pep735 = _sub(src, data, "dependency-groups")
    for group in pep735:
        groups.setdefault(_name(src, group, "dependency-groups"), []).extend(
            _pep735(src, pep735, group, set())
        )
    return PdmProject(
        path=str(path),
        name=_name(src, name, "project.name") if isinstance(name, str) else None,
        dependencies=tuple(
            _pep508_list(src, project.get("dependencies", []), "project.dependencies")
        ),
        extras=tuple((e, tuple(deps)) for e, deps in extras.items()),
        groups=tuple((g, tuple(deps)) for g, deps in groups.items()),
        indexes=_indexes(src, pdm),
    )


def _items(src: _Source, items: object, where: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise src.error(where, "should be an array of PEP 508 requirement strings")
    return items


def _editable(item: str) -> bool:
    """pdm's `-e file:///${PROJECT_ROOT}/sub`: the user's own code, never fetched."""
    return item.startswith("-e ")


def _indexes(src: _Source, pdm: Table) -> tuple[str, ...]:
    """[[tool.pdm.source]] of type index, PyPI first unless a source named "pypi"
    replaces it, as pdm searches them."""
    sources = pdm.get("source", [])
    if not isinstance(sources, list):
        raise src.error("tool.pdm.source", f"should be an array, not {src.kind(sources)}")
    pypi = DEFAULT_INDEX
    others = []
    for number, source in enumerate(sources, 1):
        where = f"tool.pdm.source {number}"
        if not isinstance(source, dict) or not isinstance(source.get("url"), str):
            raise src.error(where, "should be a table with a 'url'")
        if source.get("type", "index") != "index":
            continue  # find_links pages are not indexes
        if source.get("name") == "pypi":
            pypi = source["url"]
        elif source["url"].rstrip("/") != DEFAULT_INDEX.rstrip("/"):
            others.append(source["url"])
    return tuple(dict.fromkeys(index_key(u) for u in [pypi, *others]))
