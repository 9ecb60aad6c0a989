"""The package boundaries of STYLE.md, and the one Whoosh seam.

crawl/ and search/ import indexer/, never each other; crawl/ never loads Whoosh, even through
indexer/; search/ reaches the index only through indexer.whoosh_seam; only the seam touches
Whoosh's insides (indexer/schema.py and analysis.py use its public field and analyzer classes).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEAM = "indexer/whoosh_seam/"
# Whoosh's public building blocks, allowed to the schema's modules.
PUBLIC_WHOOSH = {"whoosh.fields", "whoosh.analysis", "whoosh.system"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, as written (static; imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_modules(package: str) -> dict[str, set[str]]:
    """Top-level packages each file of a package imports."""
    return {
        str(path.relative_to(ROOT)): {n.split(".")[0] for n in imports_of(path)}
        for path in (ROOT / package).rglob("*.py")
    }


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("crawl", {"search", "whoosh"}),
        ("search", {"crawl", "whoosh"}),
        ("indexer", {"crawl", "search"}),
    ],
    ids=["crawl", "search", "indexer"],
)
def test_package_boundaries(package: str, forbidden: set[str]) -> None:
    bad = {
        f: names & forbidden for f, names in imported_modules(package).items() if names & forbidden
    }
    assert not bad


def test_the_walk_sees_imports() -> None:
    assert "indexer" in set().union(*imported_modules("search").values())
    assert "whoosh" in set().union(*imported_modules("indexer").values())


def test_only_the_seam_touches_whoosh() -> None:
    outside = {}
    for path in (ROOT / "indexer").rglob("*.py"):
        rel = str(path.relative_to(ROOT))
        if rel.startswith(SEAM):
            continue
        whoosh = {n for n in imports_of(path) if n.split(".")[0] == "whoosh"}
        if whoosh - PUBLIC_WHOOSH:
            outside[rel] = whoosh - PUBLIC_WHOOSH
    assert not outside


def test_the_seam_is_entered_by_its_front_door() -> None:
    """Outside the seam, only `indexer.whoosh_seam` itself is imported, never its modules."""
    inside = set()
    for package in ("indexer", "search", "crawl"):
        for path in (ROOT / package).rglob("*.py"):
            rel = str(path.relative_to(ROOT))
            if rel.startswith(SEAM) or rel == "indexer/codec.py":  # the pickled import path
                continue
            inside |= {(rel, n) for n in imports_of(path) if n.startswith("indexer.whoosh_seam.")}
    assert not inside


def test_search_imports_only_what_reads() -> None:
    """search/ never imports the writer side of indexer/ (the store, the importer)."""
    writers = {"indexer.store", "indexer.importer"}
    bad = {
        str(p.relative_to(ROOT)): imports_of(p) & writers for p in (ROOT / "search").rglob("*.py")
    }
    assert not {f: names for f, names in bad.items() if names}


def test_crawl_never_loads_whoosh_even_indirectly() -> None:
    """Importing every crawl/ module (and what they import from indexer/) loads no Whoosh."""
    modules = sorted(
        "crawl." + p.stem if p.stem != "__init__" else "crawl"
        for p in (ROOT / "crawl").glob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "loaded = sorted(m for m in sys.modules if m == 'whoosh' or m.startswith('whoosh.'))\n"
        "indexer = sorted(m for m in sys.modules if m.startswith('indexer'))\n"
        "print(loaded); print(indexer)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]"
    assert "indexer.store" in out[1]  # the walk went through the store crawl/ writes with
