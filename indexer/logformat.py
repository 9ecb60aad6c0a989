"""Log lines: one line per event, tracebacks included, for journald and grep.

A traceback folded into its event's line (newlines shown as " | ") keeps `journalctl -u
tracuu-crawl | grep ERROR` whole and stops a multi-line traceback from reading as many events.
Used by the `tracuu` command (indexer.cli) and by uvicorn under `tracuu serve` (LOG_CONFIG).
"""

from __future__ import annotations

import logging
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SEPARATOR = " | "


class OneLineFormatter(logging.Formatter):
    """logging.Formatter whose output never spans lines (exception and stack folded in)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return SEPARATOR.join(line for line in text.splitlines() if line.strip())


def configure(level: int) -> None:
    """Log to stderr at `level`, one line per event (the `tracuu` command)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])  # a no-op when already configured


def uvicorn_config(level: str = "WARNING") -> dict[str, Any]:
    """uvicorn's log_config: its loggers and the app's through one one-line handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": OneLineFormatter, "fmt": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
