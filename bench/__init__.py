"""Benchmarks: one command each (`python -m bench.NAME`), writing a table."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data(*parts: str) -> Path:
    """A path under shared/data: beside the clone (main, CI) or two levels up (a worktree under
    wt/); the first that exists, else the one beside the clone (for the error message)."""
    for base in (REPO.parent, REPO.parent.parent):
        path = base.joinpath("shared", "data", *parts)
        if path.exists():
            return path
    return REPO.parent.joinpath("shared", "data", *parts)
