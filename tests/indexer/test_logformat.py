"""Logs are one line per event, tracebacks included, in `tracuu` and under uvicorn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, logging.config, sys
from indexer.logformat import configure, uvicorn_config
if sys.argv[1] == "uvicorn":
    logging.config.dictConfig(uvicorn_config("INFO"))
    log = logging.getLogger("uvicorn.error")
else:
    configure(logging.INFO)
    log = logging.getLogger("crawl.run")
try:
    {}["missing"]
except KeyError:
    log.exception("Exception in ASGI application\\nsecond line of the message")
log.info("next event")
"""


def test_an_exception_is_one_line_in_the_cli_and_under_uvicorn() -> None:
    for setup in ("cli", "uvicorn"):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, setup],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        lines = done.stderr.splitlines()
        assert len(lines) == 2, done.stderr
        assert "ERROR" in lines[0] and "Traceback" in lines[0] and "KeyError" in lines[0]
        assert "second line of the message" in lines[0]
        assert lines[1].endswith("next event")
