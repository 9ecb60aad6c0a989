"""The `tracuu` command line: global options before or after the subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cli import build_parser, main
from tests.conftest import ARTICLES


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "D", "--config", "C.toml", "-v", "index", "stats"],
        ["index", "--data-dir", "D", "--config", "C.toml", "-v", "stats"],
        ["index", "stats", "--data-dir", "D", "--config", "C.toml", "--verbose"],
        ["search", "ủy ban", "--data-dir", "D", "-v", "--config", "C.toml"],
        ["serve", "--port", "9000", "--data-dir", "D", "-v", "--config", "C.toml"],
        ["ocr", "--status", "--data-dir", "D", "-v", "--config", "C.toml"],
    ],
)
def test_global_options_anywhere(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.data_dir, args.config, args.verbose) == (Path("D"), Path("C.toml"), True)


def test_crawl_takes_data_dir_after_the_subcommand_and_keeps_its_own_config() -> None:
    args = build_parser().parse_args(
        ["crawl", "--site", "http://127.0.0.1:9/", "--data-dir", "D", "-v", "--config", "S.toml"]
    )
    assert (args.data_dir, args.verbose, args.crawl_config) == (Path("D"), True, "S.toml")
    assert args.site == ["http://127.0.0.1:9/"]


def test_an_option_before_the_subcommand_is_kept_when_not_repeated_after() -> None:
    args = build_parser().parse_args(["--data-dir", "D", "-v", "index", "stats"])
    assert (args.data_dir, args.verbose) == (Path("D"), True)
    args = build_parser().parse_args(["index", "stats"])
    assert (args.data_dir, args.config, args.verbose) == (None, None, False)


def test_import_and_stats_with_data_dir_after_the_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    assert main(["index", "import", str(ARTICLES), "--data-dir", data]) == 0
    assert main(["index", "stats", "--json", "--data-dir", data]) == 0
    count = len(ARTICLES.read_text("utf-8").splitlines())
    assert f'"documents": {count}' in capsys.readouterr().out
