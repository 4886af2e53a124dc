"""The package's layout: imports run one way, from the models up to the pipeline.

models <- problems <- minima, trajectories <- logrule <- questions <- figures, pipeline,
with the root helpers (grids, seeds) beneath everything.  Every import counts, also one
inside a function: a cycle that only a function-level import hides is still a cycle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "backprop_landscape"
# Lower layers may be imported by higher ones, never the other way round; two
# subpackages of one layer do not import each other.
LAYERS = {
    "": 0,
    "models": 1,
    "problems": 2,
    "minima": 3,
    "trajectories": 3,
    "logrule": 4,
    "questions": 5,
    "figures": 6,
    "pipeline": 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__")


def imported_modules(path: Path) -> set[str]:
    """Package-relative names of every module ``path`` imports (at any depth)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("backprop_landscape"):
                target = node.module.removeprefix("backprop_landscape").lstrip(".")
            else:
                continue
            for alias in node.names:  # "from . import xor" imports a module
                candidate = f"{target}.{alias.name}".lstrip(".")
                found.add(
                    candidate
                    if (PACKAGE / f"{candidate.replace('.', '/')}.py").exists()
                    else target
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("backprop_landscape."):
                    found.add(alias.name.removeprefix("backprop_landscape."))
    return {module for module in found if module and module != name}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def subpackage(module: str) -> str:
    head = module.split(".")[0]
    return head if head in LAYERS else ""  # grids, seeds, _lazy: the root layer


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    mine = subpackage(module)
    for target in imported_modules(MODULES[module]):
        theirs = subpackage(target)
        if theirs == mine:
            continue
        assert LAYERS[theirs] < LAYERS[mine], f"{module} imports {target}: {mine} -> {theirs}"


def test_no_module_imports_itself_round_a_cycle():
    graph = {module: imported_modules(path) & set(MODULES) for module, path in MODULES.items()}
    # Subpackage __init__ files only re-export lazily; they are not part of a cycle.
    state: dict[str, int] = {}

    def visit(module, trail):
        state[module] = 1
        for target in graph[module]:
            if state.get(target) == 1:
                raise AssertionError(" -> ".join([*trail, module, target]))
            if target not in state:
                visit(target, [*trail, module])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_no_module_is_over_about_500_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 520}
    # extrapolation.py is one idea read top to bottom: backprop with jumps, and the race.
    assert set(long) <= {"questions.extrapolation"}, long
