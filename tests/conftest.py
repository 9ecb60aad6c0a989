"""Shared fixtures: a small real corpus, its index on disk, a live uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from indexer.config import Settings
from indexer.importer import import_files
from indexer.store import Store

pytest_plugins = ["tests.fixtures.docportal.plugin"]  # docportal, docportal_truth
FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles.jsonl"


def build_data_dir(path: Path, *sources: Path) -> Path:
    """Import JSONL files into a fresh data directory."""
    with Store(path) as store:
        import_files(store, list(sources or (ARTICLES,)))
    return path


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding tests/fixtures/articles.jsonl (read-only for tests)."""
    return build_data_dir(tmp_path_factory.mktemp("corpus"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving create_app(settings) on 127.0.0.1 in a thread."""

    def __init__(self, settings: Settings) -> None:
        from search.app import create_app

        self.port = free_port()
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.app.state.engine.close()


@pytest.fixture(scope="session")
def live_server(corpus_dir: Path) -> Iterator[LiveServer]:
    """A real server over the fixture corpus."""
    with LiveServer(Settings(data_dir=corpus_dir)) as server:
        yield server
