"""A table's shape, declared: a frozen dataclass whose field types say what each key
holds, and one reader that checks a parsed TOML/JSON table against it.

The format modules then say what a table holds instead of how to check it. Fields are
checked in the order they are declared, each with the one-line message of ``fields.py``;
a key is its field's name with dashes (``requires_python`` reads ``requires-python``)
unless the field's metadata gives ``key``. What a type allows:

- ``str`` (required), ``str | None``;
- ``Table`` (required), ``Table | None``;
- ``list[object]``, ``list[str]`` (missing is empty);
- ``ByteCount | None`` (a non-negative integer);
- ``bool`` (with a default);
- ``object``: anything, left to the caller (e.g. a hash checked with its own message).

Standard library only: a validation library (jsonschema, pydantic, msgspec) would be one
more dependency every supported nixpkgs release must ship, and would word the errors its
own way. Measured on the 200 KB uv.lock and pylock.toml of ``shared/samples/scientific``:
reading takes 47 and 43 ms against 44 and 41 ms with hand-written checks; parsing the
TOML is most of both.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NewType, TypeVar

from .fields import _list, _need_table, _opt_size, _opt_str, _opt_table, _str, _str_list, _table
from .model import Table, _Source

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    Shape = TypeVar("Shape", bound=DataclassInstance)
else:
    Shape = TypeVar("Shape")

ByteCount = NewType("ByteCount", int)

_Reader = Callable[[_Source, Table, str, str], object]


def _opt_bytes(src: _Source, table: Table, key: str, where: str) -> object:
    return _opt_size(src, table, where, key)


def _reader_for_bool(default: object) -> _Reader:
    def read(src: _Source, table: Table, key: str, where: str) -> object:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise src.error(where, f"'{key}' should be a boolean, not {src.kind(value)}")
        return value

    return read


_READERS: dict[object, _Reader] = {
    str: _str,
    str | None: _opt_str,
    Table: _need_table,
    Table | None: _opt_table,
    list[object]: _list,
    list[str]: _str_list,
    ByteCount | None: _opt_bytes,
    object: lambda _src, table, key, _where: table.get(key),
}


@functools.cache
def _plan(shape: type[Any]) -> tuple[tuple[str, str, _Reader], ...]:
    """(attribute, key, reader) per field, worked out once per shape."""
    hints = typing.get_type_hints(shape)
    plan = []
    for field in dataclasses.fields(shape):
        key = field.metadata.get("key", field.name.replace("_", "-"))
        hint = hints[field.name]
        if hint is bool:
            if field.default is dataclasses.MISSING:
                raise TypeError(f"{shape.__name__}.{field.name}: a bool needs a default")
            reader = _reader_for_bool(field.default)
        elif hint in _READERS:
            reader = _READERS[hint]
        else:
            raise TypeError(f"{shape.__name__}.{field.name}: no reader for {hint}")
        plan.append((field.name, key, reader))
    return tuple(plan)


def read_table(src: _Source, shape: type[Shape], value: object, where: str) -> Shape:
    """``value`` as a ``shape``, or a one-line error naming the file, place and key."""
    table = _table(src, value, where)
    return shape(**{name: read(src, table, key, where) for name, key, read in _plan(shape)})
