"""`tracuu serve`: the page and the API under uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from indexer.config import Settings
from indexer.logformat import uvicorn_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `tracuu serve`."""
    parser.add_argument("--host", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes; each reads the same index (use the number of cores)",
    )


def _level() -> str:
    """The level `tracuu` set (-v: INFO), for uvicorn's logging setup to keep."""
    return logging.getLevelName(logging.getLogger().getEffectiveLevel())


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port, for uvicorn's worker processes to accept on.

    Created with proto IPPROTO_TCP: accepted connections inherit the listener's proto, and
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only when it says TCP. uvicorn's own
    socket for --workers leaves it 0, and every keep-alive request then waited ~40 ms for the
    client's delayed ACK (uvicorn issue 3149).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers > 1:
        # Worker processes rebuild the app from the environment.
        os.environ["TRACUU_DATA_DIR"] = str(settings.data_dir)
        if settings.cors_origins:
            os.environ["TRACUU_CORS_ORIGINS"] = ",".join(settings.cors_origins)
        for name in ("public_url", "admin_token"):
            if getattr(settings, name):
                os.environ[f"TRACUU_{name.upper()}"] = getattr(settings, name)
        # Each worker counts its requests in a file there; /metrics sums them (search.metrics).
        from search.metrics import prepare_multiprocess

        metrics_dir = Path(tempfile.mkdtemp(prefix="tracuu-metrics-"))  # private (0700), fresh
        prepare_multiprocess(metrics_dir)
        config = uvicorn.Config(
            "search.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_level="warning",
            log_config=uvicorn_config(_level()),
        )
        print(f"tracuu: serving {settings.data_dir} on http://{host}:{port}", flush=True)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                Multiprocess(config, sockets=[listening_socket(host, port)]).run()
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return 0
    from search.app import create_app

    print(f"tracuu: serving {settings.data_dir} on http://{host}:{port}", flush=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        log_config=uvicorn_config(_level()),
    )
    return 0
