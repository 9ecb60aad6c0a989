"""`tracuu serve`: the page and the API under uvicorn."""

from __future__ import annotations

import argparse
import os

import uvicorn

from indexer.config import Settings


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers > 1:
        # Worker processes rebuild the app from the environment.
        os.environ["TRACUU_DATA_DIR"] = str(settings.data_dir)
        if settings.cors_origins:
            os.environ["TRACUU_CORS_ORIGINS"] = ",".join(settings.cors_origins)
        uvicorn.run(
            "search.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_level="warning",
        )
        return 0
    from search.app import create_app

    print(f"tracuu: serving {settings.data_dir} on http://{host}:{port}", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    return 0
