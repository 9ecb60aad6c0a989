"""Two-phase top-k (search.ranking.Ranker.top) gives the page full scoring gives, on real articles.

The corpus: the first articles of demo/vi_news_demo.jsonl.gz (real VNTC news, see demo/SOURCES.md)
plus copies of some of them under other ids, so that equal scores happen and are ordered by
docnum. Queries come from the articles' own titles (with and without diacritics, one to four
syllables), common words that match most articles, and filters.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import pickle
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from indexer.text import fold
from indexer.whoosh_seam import IndexView
from indexer.whoosh_seam import terms as terms_module
from indexer.whoosh_seam.files import Part
from indexer.whoosh_seam.terms import TermInfo, _plain_block, read_postings, read_postings_at
from search import query as qb
from search.caches import DOCSET_SHARE, PostingsCache
from search.engine import Engine
from search.ranking import BODY_FIELDS, Ranker, best
from search.sets import intersect, member, union
from search.types import SearchRequest
from tests.conftest import build_data_dir

DEMO = Path(__file__).parents[2] / "demo" / "vi_news_demo.jsonl.gz"
ARTICLES = 500
COPIES = 40  # articles indexed twice (another id): equal scores


def _articles() -> list[dict[str, object]]:
    with gzip.open(DEMO, "rt", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(ARTICLES), f, strict=False)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ranking")
    arts = _articles()
    copies = [dict(a, id=f"{a['id']}-copy") for a in arts[::ARTICLES // COPIES][:COPIES]]
    src = root / "articles.jsonl"
    src.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts + copies), encoding="utf-8"
    )
    return build_data_dir(root / "data", src)


@pytest.fixture(scope="module")
def engines(data_dir: Path) -> Iterator[tuple[Engine, Engine]]:
    pruned, full = Engine(data_dir, cache_size=0, prune=True), Engine(data_dir, cache_size=0,
                                                                      prune=False)
    yield pruned, full
    pruned.close()
    full.close()


def _queries() -> list[str]:
    out = ["của", "người dân", "nguoi dan", "và các", "cho biết", "thành phố", "việt nam",
           "công an", "cong an tp hcm", "UBND", "không", "được"]
    for art in _articles()[::9]:
        words = str(art["title"]).split()
        for start, length in ((0, 1), (0, 2), (1, 3), (2, 4)):
            phrase = " ".join(words[start:start + length])
            if phrase:
                out += [phrase, fold(phrase)]
    return list(dict.fromkeys(out))


class CountingRanker(Ranker):
    """A Ranker that records how many candidates each scoring on body-syllable terms saw."""

    sizes: list[int]

    def _score(
        self,
        candidates: np.ndarray,
        scoring: tuple[tuple[str, str, float], ...],
        scores: np.ndarray | None = None,
    ) -> np.ndarray:
        if any(field in BODY_FIELDS for field, _, _ in scoring):
            self.sizes.append(len(candidates))
        return super()._score(candidates, scoring, scores)


def test_top_equals_full_scoring_of_every_candidate(engines: tuple[Engine, Engine]) -> None:
    """For each query and page depth: the same documents, in the same order, with the same
    scores as scoring every candidate on every term and sorting them all (tier, score, docnum)."""
    gen = engines[0].generation()
    ranker = CountingRanker(gen.view, gen.ranker.cache)
    ranker.sizes = []
    vocab = gen.vocabulary()
    pruned = compared = 0
    for q in _queries():
        plan = qb.plan(qb.parse(q), vocab)
        cands = ranker.match(plan)
        if len(cands) < 2:
            continue
        scores = ranker.score(cands, plan)
        level = ranker.tiers(cands, plan)
        full = np.lexsort((cands, -scores, -level))
        for need in (1, 10, 30):
            ranker.sizes = []
            top, top_scores = ranker.top(cands, plan, need)
            assert cands[top].tolist() == cands[full[:need]].tolist(), (q, need)
            assert top_scores.tolist() == scores[full[:need]].tolist(), (q, need)
            compared += 1
            if need < len(cands) and max(ranker.sizes) < len(cands):
                pruned += 1
    assert compared > 150
    # Not a vacuous pass: most comparisons skipped the body terms for most candidates.
    assert pruned > compared // 2, (pruned, compared)


def test_ties_are_ordered_by_docnum(engines: tuple[Engine, Engine]) -> None:
    """A copied article scores exactly as its original; the one indexed first comes first."""
    pruned, full = engines
    for art in _articles()[:: ARTICLES // COPIES][:3]:
        req = SearchRequest(q=str(art["title"]), size=5)
        a, b = pruned.search(req), full.search(req)
        ids = [h.id for h in a.hits]
        assert ids == [h.id for h in b.hits]
        assert ids[:2] == [art["id"], f"{art['id']}-copy"], ids
        assert a.hits[0].score == a.hits[1].score


def _requests() -> Iterator[SearchRequest]:
    filters: list[dict[str, object]] = [
        {},
        {"site": "vnexpress.net"},
        {"site": "tuoitre.vn"},
        {"category": "Pháp luật"},
        {"date_from": date(2000, 1, 1), "date_to": date(2030, 1, 1)},
    ]
    for i, q in enumerate(_queries()[::3]):
        for page in (1, 3):
            yield SearchRequest(q=q, page=page, size=10, **filters[i % len(filters)])  # type: ignore[arg-type]


def test_engine_pages_match_with_and_without_pruning(engines: tuple[Engine, Engine]) -> None:
    """Whole searches (filters, pages, totals, scores) answer alike either way."""
    pruned, full = engines
    seen = 0
    for req in _requests():
        a, b = pruned.search(req), full.search(req)
        assert a.total == b.total, req
        assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits], req
        seen += bool(a.hits)
    assert seen > 50


def test_bound_is_never_exceeded(engines: tuple[Engine, Engine]) -> None:
    """What a body term adds to any candidate stays under the bound the pruning relies on."""
    gen = engines[1].generation()
    ranker = gen.ranker
    for q in ("của người dân", "cho biết", "việt nam"):
        plan = qb.plan(qb.parse(q), gen.vocabulary())
        cands = ranker.match(plan)
        for field, text, weight in plan.scoring:
            if field not in BODY_FIELDS:
                continue
            alone = ranker.score(cands, qb.Plan((), (), ((field, text, weight),)))
            assert alone.max() > 0
            assert alone.max() < ranker.bound(field, text, weight)
            assert alone.max() > 0.5 * ranker.bound(field, text, weight)  # not a loose cap


def test_best_orders_by_level_then_score_then_docnum() -> None:
    docs = np.array([3, 5, 8, 9, 12, 20])
    level = np.array([0, 1, 1, 0, 1, 2])
    scores = np.array([9.0, 2.0, 2.0, 7.0, 3.0, 0.5], dtype=np.float32)
    assert best(docs, level, scores, 6).tolist() == [5, 4, 1, 2, 0, 3]
    assert best(docs, level, scores, 3).tolist() == [5, 4, 1]
    assert best(docs, level, scores, 1).tolist() == [5]
    assert best(docs, level, scores, 0).tolist() == []
    assert not math.isnan(float(scores[best(docs, level, scores, 2)].sum()))


def test_set_operations_agree_with_numpy() -> None:
    rng = np.random.default_rng(7)
    size = 5000
    for _ in range(200):
        a, b, c = (np.unique(rng.integers(0, size, rng.integers(0, 3000))) for _ in range(3))
        assert member(a, b).tolist() == np.isin(b, a).tolist()
        assert intersect(a, b).tolist() == np.intersect1d(a, b).tolist()
        assert union([a, b, c], size).tolist() == np.union1d(np.union1d(a, b), c).tolist()
    assert union([], size).tolist() == []


def test_blocks_read_as_arrays_equal_their_pickles() -> None:
    """search.ranking's postings: a block read without pickle holds what pickle reads, and any
    layout it does not know is left to pickle (whoosh_seam.terms._plain_block)."""
    rng = np.random.default_rng(3)
    read = 0
    for high in (200, 256, 300, 65535, 65536, 70000):
        for _ in range(30):
            n = int(rng.integers(1, 1100))
            deltas = tuple(int(d) for d in rng.integers(0, high, n))
            weights = tuple(float(w) for w in rng.integers(1, 40, n))
            for w in (weights, None, 2.0):
                raw = pickle.dumps((deltas, w, b"\x00" * 4 * n), protocol=2)
                got = _plain_block(raw, n)
                if got is None:
                    continue
                read += 1
                assert got[0].tolist() == list(deltas)
                assert got[1].tolist() == np.asarray(w, dtype=np.float32).tolist()
                assert w is weights
    assert read >= 60  # one- and two-byte ids were read as arrays


def test_postings_of_an_index_alike_either_way(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = IndexView(data_dir / "index" / (data_dir / "index" / "CURRENT").read_text().strip())
    try:
        terms = [(f, t) for f in ("text_f", "text", "text_bi")
                 for t, df in view.terms(f)[::37] if df > 1]
        plain = _plain_block
        used: list[bool] = []

        def counted(raw: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
            found = plain(raw, count)
            used.append(found is not None)
            return found

        monkeypatch.setattr(terms_module, "_plain_block", counted)
        fast = [view.postings(f, t) for f, t in terms]
        rng = np.random.default_rng(5)
        live = view.live_docs()
        for (f, t), full in zip(terms[::5], fast[::5], strict=True):
            for n in (1, 7, 60, 400):
                docs = np.sort(rng.choice(live, min(n, len(live)), replace=False))
                some = view.postings_at(f, t, docs)  # only the blocks that can hold docs
                keep = np.isin(full.ids, docs)
                assert some.ids.tolist() == full.ids[keep].tolist(), (f, t, n)
                assert some.weights.tolist() == full.weights[keep].tolist(), (f, t, n)
                assert some.doc_frequency == full.doc_frequency
        monkeypatch.setattr(terms_module, "_plain_block", lambda raw, count: None)
        slow = [view.postings(f, t) for f, t in terms]
    finally:
        view.close()
    assert len(terms) > 300
    assert sum(used) > 100, (sum(used), len(used))  # most blocks were read as arrays
    for (f, t), a, b in zip(terms, fast, slow, strict=True):
        assert a.ids.tolist() == b.ids.tolist(), (f, t)
        assert a.weights.tolist() == b.weights.tolist(), (f, t)


def test_blocks_of_a_long_list_read_only_where_asked(tmp_path: Path) -> None:
    """A posting list of many blocks laid out as Whoosh writes it: read_postings_at finds the
    same postings as reading the whole list, for any set of documents."""
    rng = np.random.default_rng(11)
    ids = np.unique(rng.integers(0, 40_000, 9000))
    weights = rng.integers(1, 9, len(ids)).astype(np.float32)
    out = bytearray(b"W3Bl")
    chunks = [slice(i, i + 1024) for i in range(0, len(ids), 1024)]
    for n, part in enumerate(chunks):
        block_ids = ids[part]
        deltas = tuple(int(d) for d in np.diff(block_ids, prepend=0))
        body = pickle.dumps((deltas, tuple(float(w) for w in weights[part]), b""), protocol=2)
        data = pickle.dumps((len(block_ids), int(block_ids[-1]), 8.0, 0, 1, 9), protocol=2) + body
        length = len(data) if n < len(chunks) - 1 else -len(data)
        out += length.to_bytes(4, "big", signed=True) + data
    path = tmp_path / "postings"
    path.write_bytes(bytes(out))
    fd = os.open(path, os.O_RDONLY)
    try:
        part_ = Part("postings", fd, 0, len(out))
        info = TermInfo(len(ids), None, 0, len(out))
        all_ids, all_weights = read_postings(info, part_)
        assert all_ids.tolist() == ids.tolist()
        assert all_weights.tolist() == weights.tolist()
        for k in (1, 5, 50, 3000):
            docs = np.unique(rng.integers(0, 41_000, k))
            found, w = read_postings_at(info, part_, docs)
            keep = np.isin(ids, docs)
            assert docs[found].tolist() == ids[keep].tolist()
            assert w.tolist() == weights[keep].tolist()
    finally:
        os.close(fd)


def test_frequent_terms_match_from_their_bit_sets(engines: tuple[Engine, Engine]) -> None:
    """With no decoded list kept, a frequent term's documents come from its bit set, the same
    documents; and the pages stay those of full scoring."""
    gen = engines[0].generation()
    ranker = Ranker(gen.view, PostingsCache(limit=0))
    frequent = [(f, t) for f in ("text_f", "text") for t, df in gen.view.terms(f)
                if df * DOCSET_SHARE >= ranker.doc_count][:40]
    assert len(frequent) >= 20
    for f, t in frequent:
        ids = ranker.postings(f, t).ids
        assert ranker.docsets.get((f, t)) is not None
        assert ranker.term_docs(f, t).tolist() == ids.tolist()
    rare = next((f, t) for f, t in [("text_f", w) for w, df in gen.view.terms("text_f")
                                     if 1 < df * DOCSET_SHARE < ranker.doc_count])
    ranker.postings(*rare)
    assert ranker.docsets.get(rare) is None
    vocab = gen.vocabulary()
    for q in _queries()[:40]:
        plan = qb.plan(qb.parse(q), vocab)
        cands = ranker.match(plan)
        assert cands.tolist() == gen.ranker.match(plan).tolist(), q
        if len(cands) > 1:
            top, scores = ranker.top(cands, plan, 10)
            full = engines[1].generation().ranker
            ftop, fscores = full.top(cands, plan, 10)
            assert cands[top].tolist() == cands[ftop].tolist(), q
            assert scores.tolist() == fscores.tolist(), q
