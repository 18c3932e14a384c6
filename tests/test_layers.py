"""The package's layers stay acyclic: no module reaches itself through imports, the
lazy ones inside functions included (only ``if TYPE_CHECKING:`` imports are exempt),
and the flow model never depends on configuration or on the project."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "contractlint"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports() -> dict[str, set[str]]:
    """Each module's imports of contractlint modules, wherever they are written,
    except under ``if TYPE_CHECKING:``."""
    known = {module_name(path) for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        imported: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("contractlint"):
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names
                                if f"{node.module}.{alias.name}" in known)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names if alias.name.startswith("contractlint"))
        graph[module_name(path)] = {name for name in imported if name in known} - {"contractlint"}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_reaches_itself_through_imports() -> None:
    graph = runtime_imports()
    assert len(graph) > 40
    assert cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_flow_model_reads_no_configuration_and_knows_no_project() -> None:
    graph = runtime_imports()
    flow_modules = [name for name in graph if name.startswith("contractlint.flow.")]
    assert "contractlint.flow.defaults" in flow_modules
    forbidden = {"contractlint.config", "contractlint.resolver", "contractlint.project", "contractlint.server_config"}
    assert {name: sorted(graph[name] & forbidden) for name in flow_modules if graph[name] & forbidden} == {}
