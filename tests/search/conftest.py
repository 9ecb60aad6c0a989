"""Fixtures of the search tests over the crawled document portal (shared by the session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.config import Settings
from search.engine import Engine
from tests.conftest import LiveServer
from tests.fixtures.docportal.server import DocPortal
from tests.search.docportal_archive import crawled_archive


@pytest.fixture(scope="session")
def archive(docportal: DocPortal, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory holding the document portal crawled, its scans' text delivered
    (read-only for tests)."""
    return crawled_archive(docportal, tmp_path_factory.mktemp("docsearch") / "data")


@pytest.fixture(scope="session")
def engine(archive: Settings) -> Iterator[Engine]:
    eng = Engine(archive.data_dir)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def server(archive: Settings) -> Iterator[LiveServer]:
    """uvicorn serving the crawled archive."""
    with LiveServer(archive) as live:
        yield live
