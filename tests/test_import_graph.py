"""The import graph of lib/: no circles, and the entry (`lib.invocation`) at the top.

Every import counts, at module level and inside functions: a function-level import that only
dodges a circle still ties the two modules together.
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

LIB = ROOT / "lib"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict:
    return {module_name(p): p for p in LIB.rglob("*.py")}


def imports_of(name: str, path: Path, known: set) -> set:
    """The lib modules `name` imports: `from pkg import sub` counts as importing the submodule."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
                elif target in known:
                    found.add(target)
    found.discard(name)
    return found


def graph() -> dict:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def circles(edges: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_walk_finds_a_circle_when_there_is_one():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_walk_reads_imports_inside_functions(tmp_path):
    (tmp_path / "lib").mkdir()
    path = tmp_path / "lib" / "x.py"
    path.write_text("def f():\n    from .y import z\n    from . import w\n")
    assert imports_of("lib.x", path, {"lib.y", "lib.w", "lib"}) == {"lib.y", "lib.w"}


def test_lib_has_no_import_circle():
    assert circles(graph()) == []


def test_nothing_in_the_function_imports_its_entry():
    # Only the operator's tools (lib/ops) may start an invocation as handler.py does.
    importers = sorted(n for n, deps in graph().items() if "lib.invocation" in deps and not n.startswith("lib.ops"))
    assert importers == []


def test_lib_has_at_most_twenty_entries():
    entries = [p.name for p in LIB.iterdir() if p.name != "__pycache__" and not p.name.endswith(".egg-info")]
    assert len(entries) <= 20, sorted(entries)
