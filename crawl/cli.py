"""`tracuu crawl` (being written)."""

from __future__ import annotations

import argparse

from indexer.config import Settings
from indexer.errors import TracuuError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", action="append", default=[])


def run(args: argparse.Namespace, settings: Settings) -> int:
    raise TracuuError("crawl is not available yet")
