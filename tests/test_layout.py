"""The package boundaries of STYLE.md: crawl/ and search/ import indexer/, never each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    """Top-level modules each file of a package imports (static imports)."""
    out: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("crawl", {"search", "whoosh"}), ("search", {"crawl"}), ("indexer", {"crawl", "search"})],
    ids=["crawl", "search", "indexer"],
)
def test_package_boundaries(package: str, forbidden: set[str]) -> None:
    bad = {
        f: names & forbidden for f, names in imported_modules(package).items() if names & forbidden
    }
    assert not bad


def test_the_walk_sees_imports() -> None:
    assert "indexer" in set().union(*imported_modules("search").values())
