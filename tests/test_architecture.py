"""The library is a house by stage: each folder imports only from itself and the folders before it, with no cycle.

Imports are read from the source (module level, inside functions and under ``TYPE_CHECKING`` alike), so a cycle
cannot hide behind an import written inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bosetting_lib.config.paths import PROJECT_ROOT

LIB = PROJECT_ROOT / "bosetting_lib"

# Lowest first. A module may import from its own stage and from earlier ones, never from a later one.
STAGES = ["ground", "config", "sources", "feedback", "model", "steps", "outputs", "run", "cli"]
GROUND = {"bosetting_lib", "bosetting_lib.errors", "bosetting_lib.formatting", "bosetting_lib.xlsx"}
TOP = {"bosetting_lib.cli", "bosetting_lib.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def stage_of(module: str) -> str:
    if module in GROUND:
        return "ground"
    if module in TOP:
        return "cli"
    folder = module.split(".")[1]
    if folder not in STAGES:
        raise AssertionError(f"{module} lies outside the stage folders {STAGES[1:-1]}; give it a stage")
    return folder


def imports_of(path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported library module, line, inside a function) for every import of the library in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("bosetting_lib"):
                for alias in child.names:
                    candidate = f"{child.module}.{alias.name}"
                    found.append((candidate if candidate in known else child.module, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("bosetting_lib"):
                        found.append((alias.name, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def import_graph() -> dict[str, list[tuple[str, int, bool]]]:
    files = sorted(LIB.rglob("*.py"))
    known = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, known) for f in files}


def test_every_module_has_a_stage():
    for module in import_graph():
        stage_of(module)


def test_no_stage_imports_a_later_stage():
    upward = []
    for module, imports in import_graph().items():
        own = STAGES.index(stage_of(module))
        for target, line, _ in imports:
            if STAGES.index(stage_of(target)) > own:
                upward.append(f"{module}:{line} imports {target} ({stage_of(module)} -> {stage_of(target)})")
    assert not upward, "imports that point up the house:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = {m: sorted({t for t, _, _ in imps if t != m and not m.startswith(t + ".") and t != "bosetting_lib"})
             for m, imps in import_graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                cycle = walk(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            cycle = walk(node)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def imports_inside_functions(path: Path) -> list[int]:
    """The line of every import statement written inside a function, of any module (the library, a dependency or
    the standard library)."""
    lines: list[int] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                lines.append(child.lineno)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return lines


def test_imports_inside_functions_are_deliberate():
    """An import written inside a function, of anything, must say why on its line (``# deferred: …``): a module
    that is slow to load and needed only on some paths. Everything else is imported at the top of the module."""
    hidden = []
    for path in sorted(LIB.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in imports_inside_functions(path):
            if "# deferred:" not in lines[line - 1]:
                hidden.append(f"{path.relative_to(PROJECT_ROOT)}:{line}: {lines[line - 1].strip()}")
    assert not hidden, "imports inside functions without a reason:\n" + "\n".join(hidden)


def test_the_function_import_scan_sees_nested_and_third_party_imports(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("import os\n\ndef f():\n    import re\n    def g():\n        from json import loads\n"
                      "    return re\n", encoding="utf-8")
    assert imports_inside_functions(source) == [4, 6]


@pytest.mark.parametrize("stage", STAGES[1:-1])
def test_each_stage_is_a_package_with_a_docstring(stage):
    init = LIB / stage / "__init__.py"
    assert init.exists(), f"{stage}/ has no __init__.py"
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{stage}/__init__.py says nothing"
