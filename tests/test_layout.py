"""The package reads as the chain it is: stage subpackages that import only from the
stages before them, small modules, and a docs/architecture.md that names every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pyhelpers"
STAGES = ["target", "index", "resolve", "inspect", "lock", "runtime", "cli"]
MODULES = sorted(
    p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts
)


def _stage(relative: Path) -> str | None:
    """The stage a module (or what it imports) belongs to; None for a shared module."""
    return relative.parts[0] if len(relative.parts) > 1 else None


def _imports(relative: Path) -> set[Path]:
    """The pyhelpers modules and packages a module's relative imports name."""
    package = list(relative.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / relative).read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            parts = base + (node.module.split(".") if node.module else [])
            found.add(Path(*parts) if parts else Path("__init__.py"))
    return found


def test_the_stages_are_the_subpackages() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(STAGES)


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_a_module_imports_only_its_own_stage_earlier_ones_and_shared_modules(
    module: Path,
) -> None:
    stage = _stage(module)
    for imported in _imports(module):
        target = imported.parts[0] if imported.parts[0] in STAGES else None
        if target is None or target == stage:
            continue
        if stage is None:
            # Shared modules sit under every stage; only `python -m pyhelpers` runs one.
            assert module == Path("__main__.py") and target == "cli", (module, imported)
            continue
        assert STAGES.index(target) < STAGES.index(stage), (
            f"{module} ({stage}) imports {imported} from the later stage {target}"
        )


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_no_module_is_over_400_lines(module: Path) -> None:
    lines = (PACKAGE / module).read_text().count("\n")
    assert lines <= 400, f"{module}: {lines} lines; split it by what changes together"


def test_architecture_doc_names_every_module_and_only_real_ones() -> None:
    doc = (REPO / "docs/architecture.md").read_text()
    named = set(re.findall(r"`((?:[a-z0-9_]+/)*[a-z0-9_]+\.py)`", doc))
    for module in MODULES:
        if module.name in ("__init__.py", "__main__.py") and module != Path("cli/__init__.py"):
            continue
        in_lockformats = module.parts[:2] == ("lock", "lockformats")
        assert str(module) in named or (in_lockformats and module.name in named), (
            f"docs/architecture.md does not name pyhelpers/{module}"
        )
    for name in named:
        candidates = [PACKAGE / name, PACKAGE / "lock/lockformats" / name, REPO / name]
        assert any(c.is_file() for c in candidates), f"docs/architecture.md names {name}"
