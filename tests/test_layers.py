"""Imports point one way (STYLE rule 1), and each engine lives in its own modules (rule 2)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = {
    "indexer": {"app", "harvester", "flask"},
    "harvester": {"app", "flask"},
}
ENGINES = {
    "whoosh": {
        "indexer/index.py",
        "indexer/index_format.py",
        "indexer/cql.py",
        "indexer/search.py",
    },
    "sickle": {"harvester/client.py"},
    "paramiko": {"indexer/upload/sftp.py"},
    "ftplib": {"indexer/upload/ftp.py"},
}


def imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files():
    for package in ("app", "indexer", "harvester"):
        yield from (ROOT / package).rglob("*.py")


def test_packages_import_only_downstream():
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = {name for name in imports(path) if name.split(".")[0] in forbidden}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_app_imports_the_harvester_only_from_its_commands_and_staff_pages():
    for path in (ROOT / "app").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "app/commands_harvest.py" or rel.startswith("app/staff/"):
            continue
        assert not any(n.split(".")[0] == "harvester" for n in imports(path)), rel


def test_each_engine_is_imported_in_one_place():
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        for engine, allowed in ENGINES.items():
            if any(n.split(".")[0] == engine for n in imports(path)):
                assert rel in allowed, f"{rel} imports {engine}"
