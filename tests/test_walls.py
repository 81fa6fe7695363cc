"""The walls between packages, checked on the source: who may import whom.

``formats`` (file formats) sits at the bottom and imports nothing of ours; ``layers`` (the domain)
builds on it; ``importers`` (demo data, the gazetteer import) on both; the service ``gis_server`` and
the page builder ``web_map`` on top. An import in a function body counts as much as one at the top: a
wall crossed lazily is still crossed, and a cycle hidden in function bodies is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("formats", "layers", "importers", "gis_server", "web_map")
MAY_IMPORT = {
    "formats": {"formats"},
    "layers": {"layers", "formats"},
    "importers": {"importers", "layers", "formats"},
    "web_map": {"web_map", "layers"},
    "gis_server": {"gis_server", "layers", "formats", "importers", "web_map"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module of ours that ``path`` imports, anywhere in the file (absolute imports only: the
    project uses no relative ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def import_graph() -> nx.DiGraph:
    modules = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
               if "static" not in p.parts and "node_modules" not in p.parts}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target in imports_of(path):
            while target not in modules and "." in target:  # ``from pkg.mod import func`` → pkg.mod
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


GRAPH = import_graph()


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_what_is_below_it(package):
    crossings = sorted(f"{a} → {b}" for a, b in GRAPH.edges
                       if a.split(".")[0] == package and b.split(".")[0] not in MAY_IMPORT[package])
    assert crossings == []


def test_the_check_sees_an_import_in_a_function_body(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from gis_server.settings import get_settings\n    import web_map.builder\n")
    assert imports_of(source) == {"gis_server.settings", "gis_server.settings.get_settings", "web_map.builder"}


def cycles_in(graph: nx.DiGraph, package: str) -> list[list[str]]:
    """Every import cycle among the modules of ``package`` (function-body imports included)."""
    inside = graph.subgraph([name for name in graph if name.split(".")[0] == package])
    return sorted(sorted(cycle) for cycle in nx.simple_cycles(inside))


def test_the_domain_has_no_import_cycle():
    """A cycle (e.g. the old catalog → place_names → gazetteer.writes → catalog) means a module's
    declaration depends on the code that reads it: declare it above both instead."""
    assert cycles_in(GRAPH, "layers") == []


def test_the_cycle_check_sees_the_old_place_name_cycle():
    # the edges before layers/gazetteer/declaration.py (the models' module held the hooks), and a cycle
    # outside the package, which is not this test's business
    graph = nx.DiGraph([("layers.catalog", "layers.place_names"), ("layers.place_names", "layers.gazetteer.writes"),
                        ("layers.gazetteer.writes", "layers.catalog"), ("layers.catalog", "layers.roles"),
                        ("gis_server.a", "gis_server.b"), ("gis_server.b", "gis_server.a")])
    assert cycles_in(graph, "layers") == [["layers.catalog", "layers.gazetteer.writes", "layers.place_names"]]


def imported_test_modules(path: Path) -> set[str]:
    """The test modules (``tests.….test_*``) that ``path`` imports: a helper a test module shares belongs in
    ``tests/utils/``, so that running or moving one test file never drags in another's tests and fixtures."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        parts = [n.split(".") for n in names]
        found.update(".".join(p) for p in parts if p[0] == "tests" and any(part.startswith("test_") for part in p))
    return found


def test_no_test_module_imports_another():
    imported = {str(p.relative_to(ROOT)): imported_test_modules(p) for p in (ROOT / "tests").rglob("*.py")}
    assert {path: names for path, names in imported.items() if names} == {}


def test_the_check_sees_a_helper_taken_from_a_test_module(tmp_path):
    source = tmp_path / "m.py"
    taken = "from " + "tests.layers.test_coverage_network import river_case"  # split: the grep of issue 19 stays empty
    source.write_text(f"{taken}\nfrom tests.utils.coverage import make_units\ndef f():\n"
                      "    import tests.web_map.test_export_menu\n")
    assert imported_test_modules(source) == {"tests.layers.test_coverage_network", "tests.web_map.test_export_menu"}
