"""No module of the package imports one that imports it back, at the top or inside a
function (``TYPE_CHECKING`` imports aside): each output reads the results model and the
modules below it, never another output."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reproductions"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere but under TYPE_CHECKING."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and "TYPE_CHECKING" in ast.unparse(block.test)
               for statement in block.body for node in ast.walk(statement)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in modules and c != name
                  and not name.startswith(c + ".")}  # a module's own package is no cycle
    return found


def test_no_module_imports_one_that_imports_it_back():
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imported(path, set(paths)) for name, path in paths.items()}
    cycles = []

    def visit(start, name, path):
        for other in graph[name]:
            if other == start:
                cycles.append(" -> ".join(path + [start]))
            elif other not in path and len(path) < 8:
                visit(start, other, path + [other])

    for name in graph:
        visit(name, name, [name])
    assert graph["reproductions.report"] and graph["reproductions.translate"]  # it reads imports
    assert not cycles, cycles[:5]
