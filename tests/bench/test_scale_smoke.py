"""bench.scale, tiny: the recombined corpus, the mix, and one end-to-end run on 600 articles.

Keeps the benchmark from rotting: real `tracuu index import`, a real Engine, real uvicorn servers
on 127.0.0.1. Asserts no timings (the machine is shared).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from bench import scale, scale_profile
from bench.scale_corpus import DISTRICTS, Generator, load_source, sites, write
from bench.scale_queries import KINDS, build
from indexer.document import Article

DEMO = Path(__file__).resolve().parents[2] / "demo" / "vi_news_demo.jsonl.gz"


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(load_source(DEMO))


def test_articles_are_distinct_valid_and_depend_only_on_their_number(gen: Generator) -> None:
    arts = list(gen.articles(0, 2 * gen.src.size + 10))  # past two rounds of base articles
    assert len({a["id"] for a in arts}) == len(arts)
    assert len({a["body"] for a in arts}) == len(arts)
    # article i is the same whether made in order or alone, by a fresh generator
    fresh = Generator(gen.src)
    for i in (3, gen.src.size + 7, 2 * gen.src.size + 9):
        assert fresh.article(i) == arts[i]
    for a in arts[:500]:
        article, warnings = Article.from_dict(a)
        assert not warnings
        assert datetime(2010, 1, 1) <= article.published_datetime() <= datetime(2025, 7, 1)
        assert article.url and article.url.startswith("https://") and ".gov.vn/" in article.url
    assert {a["site"] for a in arts} == {name for name, _ in DISTRICTS}
    assert len({s.host for s in sites()}) == 30
    docs = [a for a in arts if a.get("doc_number")]
    assert 0.1 < len(docs) / len(arts) < 0.3
    for a in docs[:50]:
        assert a["doc_number"] in a["title"] and a["doc_number"] in a["body"].split("\n")[0]
        assert Article.from_dict(a)[0].doc_type == a["doc_type"]
    years = {a["published"][:4] for a in arts}
    assert len(years) >= 14


def test_corpus_file_streams_every_article(gen: Generator, tmp_path: Path) -> None:
    written = write(gen, tmp_path / "c.jsonl.gz", 100, 400)
    with gzip.open(written.path, "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert [a["id"] for a in lines] == [gen.article(i)["id"] for i in range(100, 400)]
    assert written.articles == 300 and written.duplicate_bodies == 0


def test_mix_is_seeded_distinct_and_holds_every_kind(gen: Generator) -> None:
    arts = list(gen.articles(0, 1500))
    mix = build(arts, per_kind=6)
    assert mix == build(arts, per_kind=6)
    assert {q.kind for q in mix} == set(KINDS)
    assert len({q.params for q in mix}) == len(mix)
    by_kind = {k: [q.as_dict() for q in mix if q.kind == k] for k in KINDS}
    assert all(d.get("site") for d in by_kind["site"])
    assert all(d["from"] <= d["to"] for d in by_kind["dates"])
    assert all(d["sort"] == "newest" for d in by_kind["newest"])
    numbers = {a["doc_number"].lower() for a in arts if a.get("doc_number")}
    assert all(d["q"].lower() in numbers or d["q"] == d["q"].lower() for d in by_kind["docno"])
    for d in (d for k in KINDS for d in by_kind[k]):
        scale.request_of(scale.Query("x", tuple(d.items())))  # the API accepts every request


def _row(md: str, first_cell: str, after: str) -> list[str]:
    section = md.split(after, 1)[1]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} after {after!r} in\n{md}")


def test_scale_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scale.md"
    argv = [
        "--data",
        str(DEMO),
        "--sizes",
        "600",
        "--per-kind",
        "3",
        "--http-seconds",
        "60",
        "--nightly",
        "50",
        "--cache",
        str(tmp_path / "cache"),
        "--out",
        str(out),
    ]
    assert scale.main(argv) == 0
    md = out.read_text(encoding="utf-8")
    assert md in capsys.readouterr().out
    imp = _row(md, "600", "## Import")
    assert float(imp[2].replace(",", "")) > 0  # articles/s
    assert float(imp[3]) > 0 and float(imp[4].replace(",", "")) > 0  # CPU, peak RSS
    assert int(imp[7]) >= 1  # segments
    night = _row(md, "600", "nightly import")
    assert float(night[2].replace(",", "")) > 0 and int(night[5]) >= 1
    q = _row(md, "600", "## Queries")
    for cell in (q[1], q[3], q[5]):  # in process, c=1, c=16: p50 / p95 / p99
        assert re.fullmatch(r"[\d.,]+ / [\d.,]+ / [\d.,]+", cell), cell
    assert q[7] == "0, 0"  # no errors, nothing unsent
    memory = re.fullmatch(r"([\d,]+) \(([\d,]+); ([\d,]+)\)", q[8])
    assert memory, q[8]
    rss, pss, anon = memory.groups()
    # server memory sampled: RSS summed, (PSS summed; anonymous), each page at most once in PSS
    assert 0 < int(anon.replace(",", "")) <= int(rss.replace(",", ""))
    assert 0 < int(pss.replace(",", "")) <= int(rss.replace(",", ""))
    for kind in KINDS:
        assert re.search(rf"\| {kind} \| 3 \| [\d.,]+ / [\d.,]+ \|", md), kind
    assert "Targets at 600 articles" in md
    raw = json.loads(out.with_suffix(".json").read_text())
    assert raw[0]["size"] == 600 and len(raw[0]["inproc"]["ms"]) == 30
    back = scale.earlier(out)  # what --append reads back
    assert [r.size for r in back] == [600] and back[0].imp.articles == 600
    assert back[0].http[16].errors == 0 and back[0].inproc.ms == raw[0]["inproc"]["ms"]
    # the temporary data directory is gone; the generated corpus stays cached for the next run
    assert not list((tmp_path / "cache").glob("data-*"))
    assert list((tmp_path / "cache").glob("corpus-*.jsonl.gz"))


def test_profile_runs_on_a_kept_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    argv = ["--data", str(DEMO), "--sizes", "400", "--per-kind", "2", "--skip-http"]
    argv += ["--nightly", "0", "--keep", "--cache", str(cache), "--out", str(tmp_path / "s.md")]
    assert scale.main(argv) == 0
    data, corpus = cache / "data-400", next(cache.glob("corpus-*-0-400.jsonl.gz"))
    assert data.is_dir()
    capsys.readouterr()
    common = [str(data), str(corpus), "--per-kind", "2"]
    assert scale_profile.main(common) == 0
    out = capsys.readouterr().out
    assert "| **all** | 20 |" in out and "postings touched" in out
    assert scale_profile.main([*common, "--maxscore"]) == 0
    assert "MaxScore bound on 400 documents" in capsys.readouterr().out
    assert scale_profile.main([*common, "--against", str(data)]) == 0
    assert "| **all** | 20 |" in capsys.readouterr().out
    here = Path(scale_profile.__file__).resolve().parents[1]
    assert scale_profile.main([*common, "--code-against", str(here)]) == 0
    out = capsys.readouterr().out
    assert "| **all** | 20 |" in out and "0 of 20 requests gave different results" in out
    assert "bytes a posting" in out


def test_missing_data_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert scale.main(["--data", str(tmp_path / "absent.jsonl.gz")]) == 2
    assert "vi-news file is absent" in capsys.readouterr().err
