"""Libraries a wheel's Python code loads by name at run time, read from its source with
``ast`` (never imported, never run): ``ctypes.CDLL``/``PyDLL``/``cdll.LoadLibrary``,
``ctypes.util.find_library``, cffi's ``ffi.dlopen``, and ``ldconfig -p`` searches.

A name counts when the call's argument is a string literal, a name bound to one in the
same module or function, a tuple or list of them the code tries in turn (a ``for`` loop
over them), or the argument of a small helper of the module that passes its parameter
on to such a call (cairocffi's ``dlopen(ffi, names, filenames)``). Names built at run
time (paths from ``__file__``, f-strings) are not needs of the package on the system.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

# Bytes without any of these cannot hold a load: the file is not parsed (torch has
# thousands of .py files, almost none of which load a library).
KEYWORDS = (b"CDLL", b"PyDLL", b"LoadLibrary", b"find_library", b"dlopen", b"ldconfig", b"cdll")
# Source files larger than this are not parsed (generated tables, not loaders).
MAX_SOURCE = 4 << 20
_SONAME_LITERAL = re.compile(r"^lib[A-Za-z0-9_+\-.]+\.so(\.[0-9]+)*$")


@dataclass(frozen=True)
class PyLoad:
    """One call site that loads a library by name, with every name it tries in turn."""

    names: tuple[str, ...]  # as the code asks: "magic", "libEGL.so", "libcuda.so.1"
    how: str  # "find_library", "ctypes", "cffi" or "ldconfig"
    path: str  # the member's path inside the wheel
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def wants_parse(source: bytes) -> bool:
    return len(source) <= MAX_SOURCE and any(k in source for k in KEYWORDS)


def scan_source(source: bytes, path: str) -> tuple[PyLoad, ...]:
    """The loads in one ``.py`` file; a file that does not parse has none."""
    if not wants_parse(source):
        return ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old code
            tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    return tuple(_Module(tree, path).loads())


_CTYPES_CLASSES = {"CDLL", "PyDLL"}
_CTYPES_LOADERS = {"cdll", "pydll"}


def _callee(node: ast.expr) -> tuple[str | None, str | None]:
    """(object name or None, attribute or plain name) of a call's function."""
    if isinstance(node, ast.Name):
        return None, node.id
    if isinstance(node, ast.Attribute):
        owner = node.value
        if isinstance(owner, ast.Name):
            return owner.id, node.attr
        if isinstance(owner, ast.Attribute):
            return owner.attr, node.attr
        return "", node.attr
    return None, None


def how_called(call: ast.Call) -> str | None:
    """Which kind of load a call is, if any."""
    owner, name = _callee(call.func)
    if name in _CTYPES_CLASSES:
        return "ctypes"
    if name == "LoadLibrary" and owner in _CTYPES_LOADERS:
        return "ctypes"
    if name == "find_library":
        return "find_library"
    if name == "dlopen" and owner is not None:
        return "cffi"
    return None


def _mentions_ldconfig(call: ast.Call) -> bool:
    for arg in call.args:
        for node in ast.walk(arg):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and (
                text.rsplit("/", 1)[-1] == "ldconfig"
                or text.startswith(("ldconfig ", "/sbin/ldconfig "))
            ):
                return True
    return False


class _Module:
    """One parsed module: its string bindings, its helpers, its loads."""

    def __init__(self, tree: ast.Module, path: str) -> None:
        self.tree = tree
        self.path = path
        self.globals = _bindings(tree.body, loops=True)

    def loads(self) -> Iterator[PyLoad]:
        helpers: dict[str, list[tuple[int, str]]] = {}
        for name, passed in self._helpers():
            helpers.setdefault(name, []).append(passed)
        seen: set[tuple[int, str, tuple[str, ...]]] = set()
        for scope, call in self._calls():
            for how, names in self._call_loads(call, scope, helpers):
                if names and (call.lineno, how, names) not in seen:
                    seen.add((call.lineno, how, names))
                    yield PyLoad(names, how, self.path, call.lineno)
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Attribute):
                continue
            # ctypes.cdll.foo loads "foo" as it is named.
            owner, attr = _callee(node)
            if owner in _CTYPES_LOADERS and attr and attr != "LoadLibrary" and attr[0] != "_":
                yield PyLoad((attr,), "ctypes", self.path, node.lineno)

    def _call_loads(
        self,
        call: ast.Call,
        scope: ast.FunctionDef | ast.AsyncFunctionDef | None,
        helpers: dict[str, list[tuple[int, str]]],
    ) -> Iterator[tuple[str, tuple[str, ...]]]:
        how = how_called(call)
        if how is not None and call.args:
            yield how, self._strings(call.args[0], scope)
        elif (key := _callee(call.func)[1]) in helpers:
            for position, passed in helpers[key or ""]:
                arg = _argument(call, position)
                if arg is not None:
                    yield passed, self._strings(arg, scope)
        elif _mentions_ldconfig(call):
            names = _soname_literals(scope if scope is not None else self.tree)
            yield "ldconfig", names or ("ldconfig",)

    def _calls(self) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]]:
        def walk(
            node: ast.AST, scope: ast.FunctionDef | ast.AsyncFunctionDef | None
        ) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]]:
            for child in ast.iter_child_nodes(node):
                inner = (
                    child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else scope
                )
                if isinstance(child, ast.Call):
                    yield scope, child
                yield from walk(child, inner)

        yield from walk(self.tree, None)

    def _helpers(self) -> Iterator[tuple[str, tuple[int, str]]]:
        """Functions of the module that pass a parameter on to a load: name -> (the
        parameter's position, how it loads)."""
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            # A name a loop takes from a parameter stands for that parameter.
            carried = {p: p for p in params}
            for inner in ast.walk(node):
                if isinstance(inner, ast.For) and isinstance(inner.target, ast.Name):
                    source = inner.iter
                    if isinstance(source, ast.Name) and source.id in carried:
                        carried[inner.target.id] = carried[source.id]
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and inner.args:
                    how = how_called(inner)
                    first = inner.args[0]
                    if how and isinstance(first, ast.Name) and first.id in carried:
                        yield node.name, (params.index(carried[first.id]), how)

    def _strings(
        self, node: ast.expr, scope: ast.FunctionDef | ast.AsyncFunctionDef | None
    ) -> tuple[str, ...]:
        local = _bindings(scope.body, loops=True) if scope is not None else {}
        return tuple(dict.fromkeys(_resolve(node, {**self.globals, **local}, 0)))


def _argument(call: ast.Call, position: int) -> ast.expr | None:
    if position < len(call.args):
        return call.args[position]
    return None


def _resolve(node: ast.expr, names: dict[str, ast.expr], depth: int) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _resolve(element, names, depth + 1)
    elif isinstance(node, ast.BoolOp):  # find_library("magic") or "libmagic.so.1"
        for value in node.values:
            yield from _resolve(value, names, depth + 1)
    elif isinstance(node, ast.IfExp):
        yield from _resolve(node.body, names, depth + 1)
        yield from _resolve(node.orelse, names, depth + 1)
    elif isinstance(node, ast.Name) and node.id in names:
        yield from _resolve(names[node.id], {**names, node.id: ast.Tuple([])}, depth + 1)


def _bindings(body: list[ast.stmt], *, loops: bool = False) -> dict[str, ast.expr]:
    """Names bound to an expression by plain assignment (and, in a function, by a ``for``
    loop over one): each name's value, or every value it is given, as a tuple."""
    bound: dict[str, list[ast.expr]] = {}
    statements: list[ast.stmt] = list(body)
    while statements:
        statement = statements.pop(0)
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(statement.value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            if isinstance(statement.target, ast.Name):
                bound.setdefault(statement.target.id, []).append(statement.value)
        elif isinstance(statement, ast.For):
            if loops and isinstance(statement.target, ast.Name):
                bound.setdefault(statement.target.id, []).append(statement.iter)
            statements += statement.body + statement.orelse
        elif isinstance(statement, ast.If | ast.While):
            statements += statement.body + statement.orelse
        elif isinstance(statement, ast.Try):
            statements += statement.body + statement.orelse + statement.finalbody
            for handler in statement.handlers:
                statements += handler.body
        elif isinstance(statement, ast.With):
            statements += statement.body
    return {name: v[0] if len(v) == 1 else ast.Tuple(v) for name, v in bound.items()}


def _soname_literals(node: ast.AST) -> tuple[str, ...]:
    """Library names written in ``node`` (what an ``ldconfig -p`` search looks for)."""
    found = [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and _SONAME_LITERAL.match(n.value)
    ]
    return tuple(dict.fromkeys(found))
