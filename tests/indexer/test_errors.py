"""The exception tree drawn in indexer.errors is the tree of classes, with their exit codes."""

from __future__ import annotations

import re

import crawl.errors
import indexer.errors
import search.errors
from indexer.errors import TracuuError

_LINE = re.compile(r"^\s*(?P<indent>[│ ]*(?:[├└]── )?)(?P<name>\w+)\s+exit (?P<code>\d+)\b")


def drawn_tree() -> dict[str, tuple[str | None, int]]:
    """name → (parent name, exit code), read from the docstring's drawing."""
    out: dict[str, tuple[str | None, int]] = {}
    stack: list[tuple[int, str]] = []
    for line in (indexer.errors.__doc__ or "").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        depth = len(m.group("indent"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        out[m.group("name")] = (stack[-1][1] if stack else None, int(m.group("code")))
        stack.append((depth, m.group("name")))
    return out


def real_tree() -> dict[str, tuple[str | None, int]]:
    """The same, from the classes of indexer.errors and search.errors, and crawl's root."""
    classes = [
        obj
        for module in (indexer.errors, search.errors)
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, TracuuError)
        and obj.__module__ == module.__name__
    ]
    classes.append(crawl.errors.CrawlError)  # its subtree is drawn in crawl.errors
    return {
        c.__name__: (None if c is TracuuError else c.__bases__[0].__name__, c.exit_code)
        for c in classes
    }


def test_the_drawing_and_the_classes_agree() -> None:
    drawn = drawn_tree()
    assert len(drawn) >= 10  # the drawing was read at all
    assert drawn == real_tree()


def test_exit_codes_cron_and_usage_rely_on() -> None:
    assert indexer.errors.IndexBusy.exit_code == 75  # EX_TEMPFAIL: cron runs again next time
    assert indexer.errors.ConfigError.exit_code == 2
    assert search.errors.InvalidParam.exit_code == 2
