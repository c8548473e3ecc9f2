"""Packages stand one above the other (STYLE rule 1), and each engine lives in its own room (rule 2).

Imports are read with ``ast``: top-level ones, those under ``if TYPE_CHECKING:`` and those inside
functions alike, since each ties two modules together. A package's units are ``indexer.<name>``,
``app.<name>`` and ``harvester``; :data:`MAY_IMPORT` says which other units each may import. A new
package must be placed in it, and an upward import or an import circle fails a test.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("app", "indexer", "harvester")

MARC = "indexer.marc"
STORE = "indexer.store"
RULES = "indexer.rules"
SEARCH = "indexer.search"
PUBLISHING = "indexer.publishing"

#: Unit -> the other units it may import (anything outside app, indexer and harvester is free).
MAY_IMPORT: dict[str, set[str]] = {
    RULES: set(),
    MARC: {RULES},
    STORE: {MARC},
    SEARCH: {MARC, STORE},
    "indexer.load": {MARC, STORE, RULES},
    "indexer.orders": {MARC, STORE},
    PUBLISHING: {MARC, STORE, RULES},
    "harvester": {MARC, STORE, RULES},
    "app.config": set(),
    "app.auth": set(),
    "app.xml": {MARC},
    "app.resources": {MARC, STORE, RULES},
    "app.oai": {"app.resources", "app.xml", MARC, STORE},
    "app.sru": {"app.resources", "app.xml", MARC, STORE, SEARCH},
    "app.almaws": {"app.auth", "app.resources", MARC, STORE, "indexer.orders"},
    "app.downloads": {"app.auth", "app.resources", STORE, PUBLISHING},
    "app.staff": {"app.auth", "app.resources", "harvester", STORE, SEARCH, PUBLISHING},
    "app.cli": {
        "app.resources",
        "app.staff",
        "harvester",
        MARC,
        STORE,
        RULES,
        SEARCH,
        "indexer.load",
        PUBLISHING,
    },
}
#: The application factory may import every unit of ``app``.
MAY_IMPORT["app"] = {unit for unit in MAY_IMPORT if unit.startswith("app.")}

#: Third-party engines and the only modules (or folders, ending in ``/``) that may import them.
ENGINES = {
    "whoosh": {"indexer/search/"},
    "sickle": {"harvester/client.py"},
    "paramiko": {"indexer/publishing/upload/sftp.py"},
    "ftplib": {"indexer/publishing/upload/ftp.py"},
    # the store's driver; the profile and run tables of harvesting and publishing still speak SQL
    # themselves, as does the download page's error handler (to move into indexer/store)
    "sqlite3": {
        "indexer/store/",
        "indexer/publishing/runs.py",
        "harvester/profiles.py",
        "harvester/runs.py",
        "app/downloads/blueprint.py",
        "app/staff/health.py",
    },
}


def module_files() -> dict[str, Path]:
    """Returns every module of the three packages by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def imported_names(name: str, path: Path) -> set[str]:
    """Returns every module name that ``path`` imports, anywhere in it (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = {f"{module}.{a.name}" for a in node.names} & MODULES.keys()
            names.update(submodules)
            if len(submodules) < len(node.names):
                names.add(module)
    return names


def dependencies(name: str) -> set[str]:
    """Returns the project modules that module ``name`` imports."""
    found = set()
    for imported in imported_names(name, MODULES[name]):
        # "import indexer.store.records" names the module; "from x import Name" names x
        while imported and imported not in MODULES:
            imported = imported.rpartition(".")[0]
        if imported and imported != name:
            found.add(imported)
    return found


def unit(module: str) -> str:
    """Returns the layering unit of a module: ``indexer.<name>``, ``app.<name>``, or the package."""
    parts = module.split(".")
    if parts[0] == "harvester" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Returns the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_unit_has_a_place_in_the_layers():
    assert {unit(m) for m in MODULES} - {"indexer"} <= MAY_IMPORT.keys()


def test_units_import_only_the_units_below_them():
    upward = []
    for module in MODULES:
        for other in dependencies(module):
            if unit(other) != unit(module) and unit(other) not in MAY_IMPORT[unit(module)]:
                upward.append(f"{module} imports {other}")
    assert not upward, "\n".join(upward)


def test_no_import_circles_between_modules():
    graph = {module: dependencies(module) for module in MODULES}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_indexer_and_harvester_never_import_the_web_layer():
    for module in MODULES:
        if unit(module) in ("indexer", "harvester") or module.startswith("indexer."):
            bad = {
                n
                for n in imported_names(module, MODULES[module])
                if n.split(".")[0] in ("app", "flask")
            }
            assert not bad, f"{module} imports {sorted(bad)}"


def test_each_engine_is_imported_in_one_place():
    for module, path in MODULES.items():
        rel = path.relative_to(ROOT).as_posix()
        for engine, allowed in ENGINES.items():
            if any(n.split(".")[0] == engine for n in imported_names(module, path)):
                assert any(rel == a or (a.endswith("/") and rel.startswith(a)) for a in allowed), (
                    f"{rel} imports {engine}"
                )
