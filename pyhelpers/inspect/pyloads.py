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
from collections import ChainMap, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

# Bytes without one of these words cannot hold a load: ctypes must be imported for
# CDLL and find_library, cffi's loader is dlopen. torch has 2,400 .py files, and three
# searches of each are what every file costs.
GATES = (b"ctypes", b"dlopen", b"ldconfig")
# Then only a file that calls a loader, or runs ldconfig, is parsed. One pattern each:
# a pattern that starts with a literal is searched for that literal first, 6x faster
# than one alternation.
_CALLS = tuple(
    re.compile(pattern)
    for pattern in (
        rb"CDLL\s*\(",
        rb"PyDLL\s*\(",
        rb"LoadLibrary\s*\(",
        rb"find_library\s*\(",
        rb"dlopen\s*\(",
        rb"cdll\.[A-Za-z_]",
        rb"ldconfig",
    )
)
# Where in a parsed file to look: the top-level statements whose lines hold one of these.
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
    return (
        len(source) <= MAX_SOURCE
        and any(gate in source for gate in GATES)
        and any(call.search(source) for call in _CALLS)
    )


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
    return tuple(_Module(tree, path, source).loads())


def _lines_with(source: bytes, words: Iterable[bytes]) -> set[int]:
    """The 1-based numbers of the lines that hold any of ``words``."""
    found: set[int] = set()
    for word in words:
        at = source.find(word)
        while at >= 0:
            found.add(source.count(b"\n", 0, at) + 1)
            at = source.find(word, at + 1)
    return found


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


Scope = ast.FunctionDef | ast.AsyncFunctionDef | None


class _Module:
    """One parsed module: its string bindings, its helpers, its loads. Only the
    top-level statements whose lines name a load (or a helper) are walked: torch's
    largest modules have one load among thousands of statements."""

    def __init__(self, tree: ast.Module, path: str, source: bytes) -> None:
        self.tree = tree
        self.path = path
        self.source = source
        self.globals = _bindings(tree.body, loops=True)
        self.ldconfig = b"ldconfig" in source
        self._locals: dict[int, dict[str, ast.expr]] = {}

    def _statements(self, lines: set[int]) -> list[ast.stmt]:
        return [
            s
            for s in self.tree.body
            if any(s.lineno <= n <= (s.end_lineno or s.lineno) for n in lines)
        ]

    def loads(self) -> Iterator[PyLoad]:
        walked = _Walk()
        for statement in self._statements(_lines_with(self.source, KEYWORDS)):
            walked.visit(statement, None)
        helpers = walked.helpers()
        if helpers:
            # The calls of a helper may be anywhere in the module.
            words = [name.encode() for name in helpers]
            more = _Walk()
            for statement in self._statements(_lines_with(self.source, words)):
                more.visit(statement, None)
            walked.calls += [c for c in more.calls if c not in walked.calls]
        seen: set[tuple[int, str, tuple[str, ...]]] = set()
        for scope, call in walked.calls:
            for how, names in self._call_loads(call, scope, helpers):
                if names and (call.lineno, how, names) not in seen:
                    seen.add((call.lineno, how, names))
                    yield PyLoad(names, how, self.path, call.lineno)
        for node in walked.attributes:
            # ctypes.cdll.foo loads "foo" as it is named.
            yield PyLoad((node.attr,), "ctypes", self.path, node.lineno)

    def _call_loads(
        self, call: ast.Call, scope: Scope, helpers: dict[str, list[tuple[int, str]]]
    ) -> Iterator[tuple[str, tuple[str, ...]]]:
        how = how_called(call)
        if how is not None and call.args:
            yield how, self._strings(call.args[0], scope)
        elif (key := _callee(call.func)[1]) in helpers:
            for position, passed in helpers[key or ""]:
                arg = _argument(call, position)
                if arg is not None:
                    yield passed, self._strings(arg, scope)
        elif self.ldconfig and _mentions_ldconfig(call):
            names = _soname_literals(scope if scope is not None else self.tree)
            yield "ldconfig", names or ("ldconfig",)

    def _strings(self, node: ast.expr, scope: Scope) -> tuple[str, ...]:
        local: dict[str, ast.expr] = {}
        if scope is not None:
            if id(scope) not in self._locals:
                self._locals[id(scope)] = _bindings(scope.body, loops=True)
            local = self._locals[id(scope)]
        names = ChainMap(local, self.globals)
        return tuple(dict.fromkeys(_resolve(node, names, frozenset(), 0)))


class _Walk:
    """Calls (with the function they are in), ``cdll.<name>`` attributes and, per
    function, its loops and calls: gathered in one walk."""

    def __init__(self) -> None:
        self.calls: list[tuple[Scope, ast.Call]] = []
        self.attributes: list[ast.Attribute] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.inside: dict[int, list[ast.AST]] = {}  # function -> its loops and calls

    def visit(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.functions.append(node)
            self.inside[id(node)] = []
            scope = node
        elif isinstance(node, ast.Call):
            self.calls.append((scope, node))
            if scope is not None:
                self.inside[id(scope)].append(node)
        elif isinstance(node, ast.For) and scope is not None:
            self.inside[id(scope)].append(node)
        elif isinstance(node, ast.Attribute):
            owner, attr = _callee(node)
            if owner in _CTYPES_LOADERS and attr and attr != "LoadLibrary" and attr[0] != "_":
                self.attributes.append(node)
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope)

    def helpers(self) -> dict[str, list[tuple[int, str]]]:
        """Functions that pass a parameter on to a load: name -> (the parameter's
        position, how it loads)."""
        found: dict[str, list[tuple[int, str]]] = {}
        for function in self.functions:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            # A name a loop takes from a parameter stands for that parameter.
            carried = {p: p for p in params}
            inside = self.inside[id(function)]
            for node in inside:
                if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                    source = node.iter
                    if isinstance(source, ast.Name) and source.id in carried:
                        carried[node.target.id] = carried[source.id]
            for node in inside:
                if isinstance(node, ast.Call) and node.args:
                    how = how_called(node)
                    first = node.args[0]
                    if how and isinstance(first, ast.Name) and first.id in carried:
                        passed = (params.index(carried[first.id]), how)
                        if passed not in found.get(function.name, []):
                            found.setdefault(function.name, []).append(passed)
        return found


def _argument(call: ast.Call, position: int) -> ast.expr | None:
    if position < len(call.args):
        return call.args[position]
    return None


def _resolve(
    node: ast.expr, names: Mapping[str, ast.expr], seen: frozenset[str], depth: int
) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _resolve(element, names, seen, depth + 1)
    elif isinstance(node, ast.BoolOp):  # find_library("magic") or "libmagic.so.1"
        for value in node.values:
            yield from _resolve(value, names, seen, depth + 1)
    elif isinstance(node, ast.IfExp):
        yield from _resolve(node.body, names, seen, depth + 1)
        yield from _resolve(node.orelse, names, seen, depth + 1)
    elif isinstance(node, ast.Name) and node.id in names and node.id not in seen:
        yield from _resolve(names[node.id], names, seen | {node.id}, depth + 1)


def _bindings(body: list[ast.stmt], *, loops: bool = False) -> dict[str, ast.expr]:
    """Names bound to an expression by plain assignment (and, in a function, by a ``for``
    loop over one): each name's value, or every value it is given, as a tuple."""
    bound: dict[str, list[ast.expr]] = {}
    statements: deque[ast.stmt] = deque(body)
    while statements:
        statement = statements.popleft()
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
