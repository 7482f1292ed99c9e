"""Poetry's dependency specifications, as poetry.lock and pyproject.toml write them: a
constraint string, a table (version, markers, python, platform, extras, optional; or a
git, path or url source), or an array of such tables, one per marker."""

import json
import re
from dataclasses import dataclass

from . import poetryconstraint
from .fields import _marker, _name, _show
from .model import PoetryDependency, _Source
from .schema import read_table


@dataclass(frozen=True)
class _Spec:
    version: str | None
    markers: str | None
    python: str | None
    platform: str | None
    extras: list[str]
    optional: bool = False


def dependency_specs(src: _Source, key: str, value: object, where: str) -> list[PoetryDependency]:
    name = _name(src, key, where)
    where = f"{where} {_show(key)}"
    if isinstance(value, str):
        return [PoetryDependency(name, _constraint(src, value, where))]
    items = value if isinstance(value, list) else [value]
    specs = []
    for number, item in enumerate(items, 1):
        place = f"{where} {number}" if isinstance(value, list) else where
        spec = read_table(src, _Spec, item, place)
        marker = None if spec.markers is None else _marker(src, spec.markers, place)
        if spec.platform is not None:
            # poetry's `platform` is sys_platform; JSON quoting keeps the marker well formed.
            platform = _marker(src, f"sys_platform == {json.dumps(spec.platform)}", place)
            marker = platform if marker is None else f"({marker}) and ({platform})"
        python = None if spec.python is None else _constraint(src, spec.python, place)
        # A git, path or url dependency has no version constraint: the lock names the one.
        version = _constraint(src, spec.version, place) if spec.version else "*"
        extras = tuple(sorted({_name(src, e, place) for e in spec.extras}))
        specs.append(PoetryDependency(name, version, marker, spec.optional, extras, python))
    return specs


def _constraint(src: _Source, text: str, where: str) -> str:
    try:
        return str(poetryconstraint.parse(text))
    except poetryconstraint.Invalid as exc:
        raise src.error(where, f"version constraint {_show(text)} cannot be read ({exc})") from None


_ENTRY = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def extra_entries(src: _Source, requirements: list[str], where: str) -> tuple[str, ...]:
    """An extra's entries in poetry.lock ("torch (>=1.10)", "safetensors[numpy]") as the
    names they bring, "name" or "name[extra,...]": the versions are the lock's."""
    out = []
    for text in requirements:
        match = _ENTRY.match(text)
        if match is None:
            raise src.error(where, f"extra entry {_show(text)} names no package")
        name = _name(src, match.group(1), where)
        extras = sorted(
            {_name(src, e.strip(), where) for e in (match.group(2) or "").split(",") if e.strip()}
        )
        out.append(f"{name}[{','.join(extras)}]" if extras else name)
    return tuple(out)


def split_entry(entry: str) -> tuple[str, tuple[str, ...]]:
    name, _, rest = entry.partition("[")
    return name, tuple(e for e in rest.rstrip("]").split(",") if e)
