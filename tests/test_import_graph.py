"""The house rules, read from the source with :mod:`ast` (nothing is imported).

* No import cycles between our modules: a module's imports -- at the top, inside
  functions and under ``if TYPE_CHECKING:`` alike -- never lead back to it.
* The command-line app (``elecbay_app``, folder ``app/``) sits above the libraries:
  nothing in ``elecbay_env``, ``elecbay_agents``, ``elecbay_evaluate`` or
  ``elecbay_train`` imports it.

The packages and their folders come from ``setup.cfg`` (``package_dir``). An import of
``pkg.mod`` is an edge to ``pkg.mod`` only (not to ``pkg``'s ``__init__``, which Python
also runs: counting that would make every package a cycle with its own modules);
``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to
``pkg``. Run this file as a script to print the graph's cycles.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = "elecbay_app"
LIBRARIES = ("elecbay_env", "elecbay_agents", "elecbay_evaluate", "elecbay_train", "elecbay_live",
             "elecbay_classroom")  # fmt: skip
CLASSROOM = "elecbay_classroom"  # the browser classroom: only the app and benchmarks import it


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Top-level package name -> its folder, from ``setup.cfg``'s ``package_dir``."""
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    out = {}
    for line in cfg["options"]["package_dir"].strip().splitlines():
        name, _, folder = line.partition("=")
        out[name.strip()] = root / folder.strip()
    return out


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of our packages: dotted name -> file (``pkg.sub`` for ``__init__``)."""
    out = {}
    for top, folder in package_dirs(root).items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join((top, *parts))] = path
    return out


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """What one import statement of module ``name`` may name, most specific first."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    return [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]


def import_graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """Module -> {module of ours it imports: first line}."""
    mods = modules(root)
    graph: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges: dict[str, int] = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            found = _targets(node, name, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom):
                *names, prefix = found
                hits = [t for t in names if t in mods]
                if len(hits) < len(names):  # some imported name is not a module
                    hits.append(prefix)
            else:
                hits = found
            for target in hits:
                if target in mods and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    members = set(component)
    edges = [
        f"  {a} -> {b} (line {graph[a][b]})" for a in component for b in graph[a] if b in members
    ]
    return "\n".join([" <-> ".join(component), *edges])


def test_the_graph_sees_our_packages() -> None:
    graph = import_graph()
    assert {"elecbay_env.engine", "elecbay_agents.registry", f"{APP}.cli"} <= set(graph)
    assert "elecbay_env.engine" in graph["elecbay_env.envs.parallel"]
    assert "elecbay_agents.registry" in graph[f"{APP}.cli"]  # an import inside a function


def test_cycles_are_found() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(c, graph) for c in found)


def test_no_library_imports_the_app() -> None:
    graph = import_graph()
    bad = [
        f"{mod} imports {target} (line {line})"
        for mod, edges in graph.items()
        if mod.split(".")[0] in LIBRARIES
        for target, line in edges.items()
        if target == APP or target.startswith(APP + ".")
    ]
    assert not bad, "\n".join(bad)


def test_only_the_app_and_benchmarks_import_the_classroom() -> None:
    graph = import_graph()
    assert f"{CLASSROOM}.server" in graph
    bad = [
        f"{mod} imports {target} (line {line})"
        for mod, edges in graph.items()
        if mod.split(".")[0] in set(LIBRARIES) - {CLASSROOM}
        and not mod.startswith("elecbay_evaluate.benchmarks.")
        for target, line in edges.items()
        if target.split(".")[0] == CLASSROOM
    ]
    assert not bad, "\n".join(bad)


if __name__ == "__main__":
    g = import_graph()
    for c in cycles(g):
        print(_describe(c, g), end="\n\n")
