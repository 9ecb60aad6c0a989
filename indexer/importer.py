"""`tracuu index import`: JSON Lines (.jsonl or .jsonl.gz) into the store and the index."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from indexer.document import Article
from indexer.errors import InvalidArticle
from indexer.store import Store

log = logging.getLogger(__name__)



@dataclass
class BadLine:
    """A line that could not be imported, and why."""

    path: str
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    imported: int = 0
    bad: list[BadLine] = field(default_factory=list)
    warnings: list[BadLine] = field(default_factory=list)


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="strict", newline="\n")
    return open(path, encoding="utf-8", errors="strict", newline="\n")


def read_jsonl(path: Path, report: ImportReport) -> Iterator[Article]:
    """Articles of a JSONL file; bad lines go into the report with their numbers."""
    lineno = 0
    with _open(path) as f:
        while True:
            lineno += 1
            try:
                line = f.readline()
            except (UnicodeDecodeError, OSError, EOFError) as exc:
                report.bad.append(BadLine(str(path), lineno, f"unreadable: {exc}"))
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                article, warnings = Article.from_dict(obj)
            except json.JSONDecodeError as exc:
                report.bad.append(BadLine(str(path), lineno, f"not JSON: {exc.msg}"))
                continue
            except InvalidArticle as exc:
                report.bad.append(BadLine(str(path), lineno, exc.reason))
                continue
            for w in warnings:
                report.warnings.append(BadLine(str(path), lineno, w))
            yield article


def import_files(store: Store, paths: list[Path]) -> ImportReport:
    """Import every file: store and index the articles as they are read (Store.add), then
    index whatever an earlier, killed writer left pending."""
    report = ImportReport()
    report.imported = store.add(a for path in paths for a in read_jsonl(path, report))
    store.sync()
    return report
