"""The package's shape: stage subpackages, data flowing one way, no import cycles.

Every import between modules of ``survey`` is read from the source (any depth, including
imports inside functions) and checked against the layers documented in ``survey/__init__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "survey"

# A module may import modules of its own layer's package and of lower layers only.
LAYERS = {
    "survey.errors": 0,
    "survey.base": 1,
    "survey.spec": 2,
    "survey.inputs": 3,
    "survey.coding": 4,
    "survey.forms": 4,
    "survey.analysis": 5,
    "survey.exports": 5,
    "survey.reports": 6,
    "survey.pipeline": 7,
    "survey.cli": 8,
    "survey.__main__": 9,
    "survey": 9,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> tuple[str, int]:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add its subpackage to LAYERS")


def _imports() -> list[tuple[str, str, list[str], int, bool, str]]:
    """(importer, imported module, names, line, inside a function, source line) for every survey import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        importer = _module_name(path)
        in_function: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(sub) for sub in ast.walk(node) if sub is not node)
        for node in ast.walk(tree):
            internal = isinstance(node, ast.ImportFrom) and (node.module or "").startswith("survey")
            if isinstance(node, ast.ImportFrom) and internal and node.level == 0:
                names = [a.name for a in node.names]
                # `from survey.x import y` where y is a module counts as importing survey.x.y
                target = node.module
                found.append((importer, target, names, node.lineno, id(node) in in_function, lines[node.lineno - 1]))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("survey"):
                        found.append(
                            (importer, alias.name, [], node.lineno, id(node) in in_function, lines[node.lineno - 1])
                        )
            elif isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{importer}:{node.lineno}: relative import; use `from survey.… import …`")
    return found


IMPORTS = _imports()


def test_every_module_is_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        _layer(_module_name(path))


def test_no_import_cycles():
    graph: dict[str, set[str]] = {}
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    for importer, target, names, *_ in IMPORTS:
        targets = {f"{target}.{n}" for n in names if f"{target}.{n}" in modules} or {target}
        graph.setdefault(importer, set()).update(t for t in targets if t != importer)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if state.get(module) is None:
            visit(module)


def test_data_flows_one_way():
    wrong = []
    for importer, target, _names, line, *_ in IMPORTS:
        if importer in ("survey", "survey.__main__"):
            continue
        (ip, il), (tp, tl) = _layer(importer), _layer(target)
        if tl > il or (tl == il and ip != tp):
            wrong.append(f"{importer}:{line} imports {target} ({tp} is not below {ip})")
    assert not wrong, "\n".join(wrong)


def test_no_function_level_imports_except_commented_lazy_ones():
    wrong = [
        f"{importer}:{line}: {text.strip()}"
        for importer, _t, _n, line, inside, text in IMPORTS
        if inside and "# lazy" not in text
    ]
    assert not wrong, "function-level imports need a `# lazy: <why>` comment:\n" + "\n".join(wrong)


def test_no_private_names_across_modules():
    wrong = [
        f"{importer}:{line} imports {name} from {target}"
        for importer, target, names, line, *_ in IMPORTS
        for name in names
        if name.startswith("_") and target != importer
    ]
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_the_package():
    """The checks above read real imports (a broken reader would pass them vacuously)."""
    importers = {i for i, *_ in IMPORTS}
    assert {"survey.pipeline", "survey.cli", "survey.reports.build", "survey.inputs.readers"} <= importers
    assert len(IMPORTS) > 100
