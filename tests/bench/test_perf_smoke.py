"""bench.perf end to end on 200 demo articles and a few queries: every row of the table is there.

A smoke test of the code path (imports, in-process searches, real uvicorn servers over loopback);
it asserts no timings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import perf
from bench.perf_queries import KINDS, build_mix

DEMO = Path(__file__).resolve().parents[2] / "demo" / "vi_news_demo.jsonl.gz"

ROWS = [
    "Import, articles/s (tracuu procs=1",
    "Import, articles/s (tracuu procs=2",
    "Import, articles per CPU second (tracuu procs=1",
    "Import, articles per CPU second (tracuu procs=2",
    "Index size on disk, MB (tracuu procs=1)",
    "Index size on disk, MB (tracuu procs=2)",
    "Data on disk, MB",
    "In-process first query",
    *(f"In-process p{q}, ms, cold cache" for q in (50, 95, 99)),
    *(f"In-process p{q}, ms, second pass" for q in (50, 95, 99)),
    "Queries with no hit",
    "In-process p95, ms, cold, on the procs=2 index",
    "In-process p99, ms, cold, on the procs=2 index",
    *(
        f"HTTP c={c}: {m}"
        for c in (1, 16)
        for m in ("requests/s", "p50, ms", "p95, ms", "p99, ms", "errors / requests sent")
    ),
    "HTTP c=1 p95 (tracuu) against in-process p95 (Whoosh)",
    "Server memory after c=16, MB: RSS sum",
    "Server memory after c=16, MB: PSS sum",
    "Server memory, peak during c=16, MB: RSS sum",
]


def _table_rows(md: str) -> dict[str, list[str]]:
    rows = {}
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith(("| metric", "| kind")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_query_mix_is_distinct_seeded_and_holds_every_kind() -> None:
    articles = [(a["title"], a["body"]) for a in perf.load_articles(DEMO, 300)]
    mix = build_mix(articles, 50)
    assert mix == build_mix(articles, 50)
    assert len({q.text for q in mix}) == len(mix)
    assert {q.kind for q in mix} == set(KINDS)
    assert all(len(q.text.split()) == 6 for q in mix if q.kind == "word6")


def test_perf_runs_and_reports_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "perf.md"
    argv = ["--data", str(DEMO), "--docs", "200", "--queries", "10", "--out", str(out)]
    assert perf.main([*argv, "--workdir", str(tmp_path), "--http-seconds", "20"]) == 0
    md = out.read_text(encoding="utf-8")
    assert md in capsys.readouterr().out
    rows = _table_rows(md)
    for name in ROWS:
        matching = [r for r in rows if r.startswith(name)]
        assert matching, f"no row {name!r} in\n{md}"
        tracuu, whoosh = rows[matching[0]][:2]
        assert tracuu not in ("", "n/a") and whoosh not in ("", "n/a"), (name, tracuu, whoosh)
    view = rows[next(r for r in rows if r.startswith("Index view in memory"))][0]
    assert float(view.split(";")[0]) > 0  # the term tables were measured
    # the HTTP runs answered every request, and the temporary indexes are gone
    for c in (1, 16):
        assert rows[f"HTTP c={c}: errors / requests sent"][:2] == ["0 / 10", "0 / 10"]
    assert list(tmp_path.iterdir()) == [out]


def test_missing_data_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert perf.main(["--data", str(tmp_path / "absent.jsonl.gz"), "--skip-http"]) == 2
    assert "vi-news" in capsys.readouterr().err
