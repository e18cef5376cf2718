"""The rules import nothing of the engine at run time, so `enmusubi.solver` can import them plainly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints"
MODULES = sorted(CONSTRAINTS.glob("*.py"))


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules imported outside `if TYPE_CHECKING:` blocks."""
    found: list[str] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                continue
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append(node.module)
            for field in ("body", "orelse", "handlers", "finalbody"):
                visit(getattr(node, field, []))

    visit(tree.body)
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_rule_module_imports_no_engine_module_at_run_time(path: Path) -> None:
    imports = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
    assert not [name for name in imports if name.startswith("enmusubi.solver")], imports


def test_the_check_sees_an_engine_import() -> None:
    tree = ast.parse("from enmusubi.solver.data import ProblemData\nif TYPE_CHECKING:\n    import enmusubi.solver.x\n")
    assert _runtime_imports(tree) == ["enmusubi.solver.data"]
