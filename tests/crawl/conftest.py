"""Fixtures for crawler tests: the fixture portal on 127.0.0.1 and a data directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.config import Settings
from tests.fixtures.portal.server import Portal

CRAWL_DELAY = 0.05


@pytest.fixture
def portal() -> Iterator[Portal]:
    """A fresh portal on a random free port (Crawl-delay 0.05 s)."""
    p = Portal(crawl_delay=CRAWL_DELAY).start()
    try:
        yield p
    finally:
        p.stop()


STYLES = ("lacviet", "banner", "cms")


@pytest.fixture(params=STYLES)
def styled_portal(request: pytest.FixtureRequest) -> Iterator[Portal]:
    """The portal in each of its page styles (SharePoint, banner <h1>, WordPress-like)."""
    p = Portal(crawl_delay=CRAWL_DELAY, style=request.param).start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data directory and no delay of our own (robots.txt sets it)."""
    return replace(
        Settings(), data_dir=tmp_path / "data", user_agent="tracuu/0.1",
        contact_url="https://tracuu.example/lien-he", crawl_delay=0.0, max_pages=400,
        crawl_rate=0.0,  # no run-wide cap: the portal's Crawl-delay paces the tests
    )
