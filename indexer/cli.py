"""The `tracuu` command: `index` lives here; `crawl`, `search` and `serve` are looked up by name.

indexer/ is the hub and imports neither crawl/ nor search/: their commands are found through
COMMANDS (module path strings), each module exposing add_arguments(parser) and run(args, settings).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from indexer import logformat
from indexer.config import Settings
from indexer.errors import MissingInput, TracuuError

log = logging.getLogger(__name__)

# command name → module providing add_arguments(parser) and run(args, settings) -> int
COMMANDS = {
    "crawl": "crawl.cli",
    "index": "indexer.cli",
    "ocr": "crawl.ocrcli",
    "search": "search.cli",
    "serve": "search.serve",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`tracuu index import|rebuild|backup|restore|stats`."""
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser(
        "import", help="add or update articles from JSON Lines (.jsonl, .jsonl.gz)"
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    sub.add_parser("rebuild", help="rebuild the index from the stored articles")
    bak = sub.add_parser("backup", help="copy the data directory (works while serving)")
    bak.add_argument("dest", type=Path, metavar="DIR", help="a new or empty folder")
    res = sub.add_parser("restore", help="restore a backup into the data directory")
    res.add_argument("src", type=Path, metavar="DIR", help="a folder made by `index backup`")
    res.add_argument(
        "--force", action="store_true", help="replace the content of a non-empty data directory"
    )
    stats = sub.add_parser("stats", help="counts and sizes")
    stats.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run an `index` action."""
    from indexer import importer
    from indexer.stats import index_stats
    from indexer.store import Store

    if args.action in ("backup", "restore"):
        from indexer import backup

        if args.action == "backup":
            done = backup.backup(settings.data_dir, args.dest)
        else:
            done = backup.restore(args.src, settings.data_dir, force=args.force)
        print(
            f"{args.action}: {done.source} → {done.target}: {', '.join(done.databases)}, "
            f"index {done.index_folder} ({done.index_files} files), {done.other_files} other files"
        )
        return 0
    if args.action == "stats":
        stats = index_stats(settings.data_dir)
        if args.json:
            print(json.dumps(stats, ensure_ascii=False, indent=2))
        else:
            for key, value in stats.items():
                print(f"{key:>22}: {value}")
        return 0
    with Store(
        settings.data_dir,
        procs=settings.index_procs,
        multiprocess_min=settings.index_multiprocess_min,
        chunk=settings.index_chunk,
    ) as store:
        if args.action == "rebuild":
            n = store.rebuild()
            print(f"rebuilt the index: {n} articles")
            return 0
        missing = [p for p in args.paths if not p.is_file()]
        if missing:
            raise MissingInput([str(p) for p in missing])
        report = importer.import_files(store, args.paths)
    for w in report.warnings[:20]:
        log.warning("%s:%d: %s", w.path, w.line, w.reason)
    for b in report.bad:
        print(f"{b.path}:{b.line}: skipped: {b.reason}", file=sys.stderr)
    print(f"imported {report.imported} articles, {len(report.bad)} bad lines skipped")
    return 0


def _add_global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """--data-dir, --config, -v; after a subcommand they default to SUPPRESS (keep the global)."""
    options: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("--data-dir",), {"type": Path, "help": "index, crawl state and reports (./data)"}),
        (("--config",), {"type": Path, "help": "settings and sites (TOML)"}),
        (("-v", "--verbose"), {"action": "store_true", "help": "log more"}),
    ]
    taken = parser._option_string_actions  # a subcommand's own option of that name wins
    for flags, kwargs in options:
        if any(flag in taken for flag in flags):
            continue
        if suppress:
            kwargs = {**kwargs, "default": argparse.SUPPRESS}
        parser.add_argument(*flags, **kwargs)


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser below `parser` (subcommands, their actions), depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield child
                yield from _subparsers(child)


def build_parser() -> argparse.ArgumentParser:
    """The whole `tracuu` argument parser; global options work before or after a subcommand."""
    parser = argparse.ArgumentParser(
        prog="tracuu", description="Vietnamese-aware search for district news portals"
    )
    _add_global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True)
    helps = {
        "crawl": "crawl portals and update the index",
        "index": "import, rebuild, stats",
        "ocr": "read scanned attachment pages (the OCR queue)",
        "search": "search from the terminal",
        "serve": "serve the web page and the API",
    }
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=helps[name])
        importlib.import_module(module).add_arguments(p)
    for child in _subparsers(parser):
        _add_global_options(child, suppress=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tracuu` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logformat.configure(logging.INFO if args.verbose else logging.WARNING)
    try:
        settings = Settings.load(config_file=args.config, data_dir=args.data_dir)
        module = importlib.import_module(COMMANDS[args.command])
        return int(module.run(args, settings))
    except TracuuError as exc:  # every error raised on purpose (indexer.errors draws them)
        print(f"tracuu: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
