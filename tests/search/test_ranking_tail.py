"""The slow tail's shortcuts (search.ranking, search.sets) give what the plain set operations give.

Bit-set membership against `member`, lengths gathered per segment against the whole column,
and match / tiers / pages of a ranker whose frequent terms are bit sets against the same computed
from the posting lists with NumPy's own set functions, on an index of several segments with
deletions built from real articles (demo/vi_news_demo.jsonl.gz, see demo/SOURCES.md).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.importer import import_files
from indexer.store import Store
from indexer.text import fold
from indexer.whoosh_seam import IndexView, Postings
from indexer.whoosh_seam import view as view_module
from search import query as qb
from search.caches import CACHE_MIN_POSTINGS, DOCSET_SHARE, ENTRY_BYTES, DocSets, PostingsCache
from search.engine import Engine
from search.generation import Generation
from search.ranking import PROBE_MAX, Ranker
from search.sets import in_bits, member

DEMO = Path(__file__).parents[2] / "demo" / "vi_news_demo.jsonl.gz"


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1001, 4099])
def test_bit_set_membership_equals_member(n: int) -> None:
    """in_bits over np.packbits of a mask answers as member over the mask's docnums: random
    sorted sets, empty ones, the first and last docnum, sizes not a multiple of 8."""
    rng = np.random.default_rng(n)
    everyone = np.arange(n, dtype=np.int64)
    for trial in range(60):
        mask = rng.random(n) < rng.choice([0.0, 0.02, 0.5, 0.98, 1.0])
        if trial % 3 == 0:
            mask[[0, n - 1]] = True  # the edges set
        elif trial % 3 == 1:
            mask[[0, n - 1]] = False  # the edges clear
        ids = np.flatnonzero(mask).astype(np.int64)
        bits = np.packbits(mask)
        for docs in (
            everyone,
            np.zeros(0, dtype=np.int64),
            np.array([0, n - 1], dtype=np.int64)[: min(n, 2)],
            np.flatnonzero(rng.random(n) < 0.3).astype(np.int64),
        ):
            got = in_bits(bits, docs)
            assert got.dtype == bool and got.tolist() == member(ids, docs).tolist(), (n, trial)
    assert in_bits(np.packbits(everyone < 0), everyone).sum() == 0


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three imports (the last ones re-importing some articles under the same id: deletions)."""
    root = tmp_path_factory.mktemp("tail")
    with gzip.open(DEMO, "rt", encoding="utf-8") as f:
        arts = [json.loads(line) for _, line in zip(range(700), f, strict=False)]
    parts = [arts[:400], arts[400:600] + arts[:30], arts[600:] + arts[100:120]]
    data = root / "data"
    for i, part in enumerate(parts):
        src = root / f"part{i}.jsonl"
        src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in part), "utf-8")
        with Store(data) as store:
            import_files(store, [src])
    return data


@pytest.fixture(scope="module")
def gen(data_dir: Path) -> Iterator[Generation]:
    engine = Engine(data_dir, cache_size=0)
    g = engine.generation()
    assert len(g.view.segments) >= 3 and g.view.doc_count < g.view.doc_count_all
    yield g
    engine.close()


def test_lengths_gathered_per_segment(gen: Generation) -> None:
    view = gen.view
    rng = np.random.default_rng(1)
    n = view.doc_count_all
    edges = [0, *view.bases, *(b - 1 for b in view.bases[1:]), n - 1]
    for field in ("text", "title", "text_bi"):
        whole = view.lengths(field)
        for docs in (
            np.arange(n, dtype=np.int64),
            np.unique(np.array(edges, dtype=np.int64)),
            np.flatnonzero(rng.random(n) < 0.1).astype(np.int64),
            np.zeros(0, dtype=np.int64),
        ):
            assert view.lengths_at(field, docs).tolist() == whole[docs].tolist(), field


def _queries() -> list[str]:
    out = ["của", "người dân", "và các", "cho biết", "thành phố hồ chí minh", "công an",
           "không được", "theo đó các", "nhân vật đã được thay đổi", "còn có thể hoạt động thêm",
           "-của người", "việt nam -hà"]
    with gzip.open(DEMO, "rt", encoding="utf-8") as f:
        arts = [json.loads(line) for _, line in zip(range(700), f, strict=False)]
    for art in arts[::23]:
        words = str(art["title"]).split()
        for start, length in ((0, 2), (1, 4), (0, 6)):
            phrase = " ".join(words[start:start + length])
            if phrase:
                out += [phrase, fold(phrase)]
    return list(dict.fromkeys(out))


def _docs(view: object, terms: tuple[tuple[str, str], ...]) -> np.ndarray:
    ids = [view.postings(f, t).ids for f, t in terms]  # type: ignore[attr-defined]
    return np.unique(np.concatenate([np.zeros(0, np.int64), *ids]))


def _holds(view: object, docs: np.ndarray, req: tuple[qb.Alternative, ...]) -> np.ndarray:
    out = np.zeros(len(docs), dtype=bool)
    for alt in req:
        ok = np.ones(len(docs), dtype=bool)
        for part in alt:
            ok &= np.isin(docs, _docs(view, part))
        out |= ok
    return out


def _reference(view: object, plan: qb.Plan) -> tuple[np.ndarray, np.ndarray]:
    """Matching documents and their tiers with NumPy's set functions over whole lists."""
    found: np.ndarray | None = None
    for unit in plan.units:
        docs = np.zeros(0, np.int64)
        for alt in unit:
            inter: np.ndarray | None = None
            for part in alt:
                got = _docs(view, part)
                inter = got if inter is None else np.intersect1d(inter, got)
            docs = np.union1d(docs, inter if inter is not None else docs)
        found = docs if found is None else np.intersect1d(found, docs)
    assert found is not None
    if plan.excluded:
        found = found[~np.isin(found, _docs(view, plan.excluded))]
    level = np.zeros(len(found), dtype=np.int64)
    for value, tier in enumerate(reversed(plan.tiers), 1):
        ok = np.ones(len(found), dtype=bool)
        for req in tier:
            ok &= _holds(view, found, req)
        level[ok] = value
    return found, level


def test_match_tiers_and_pages_with_and_without_bit_sets(gen: Generation) -> None:
    """The same documents, tiers, page and scores whether the frequent terms are bit sets
    (warmed) or nothing is kept (every list read again), and as NumPy's set functions give."""
    view, vocab = gen.view, gen.vocabulary()
    bare = Ranker(view, PostingsCache(limit=0, short_limit=0))
    bare.docsets = DocSets(limit=0)
    warm = Ranker(view, PostingsCache(limit=0))
    frequent = [(f, t) for f in ("text_f", "text", "text_bi") for t, df in view.terms(f)
                if df * DOCSET_SHARE >= view.doc_count_all]
    for term in frequent:
        warm.postings(*term)
    frequent = [t for t in frequent if warm.docsets.get(t) is not None]  # live ones only count
    assert len(frequent) > 100
    assert all(bare.docsets.get(t) is None for t in frequent)
    checked = bits_used = 0
    queries = _queries()
    for q in queries + queries:  # the second time round, short lists come from the cache
        plan = qb.plan(qb.parse(q), vocab)
        if not plan.units:
            continue
        docs, level = _reference(view, plan)
        for ranker in (bare, warm):
            got = ranker.match(plan)
            assert got.dtype == np.int64 and got.tolist() == docs.tolist(), q
            assert ranker.tiers(got, plan).tolist() == level.tolist(), q
        if len(docs) > 1:
            tops = [r.top(docs, plan, 10) for r in (bare, warm)]
            assert docs[tops[0][0]].tolist() == docs[tops[1][0]].tolist(), q
            assert tops[0][1].tolist() == tops[1][1].tolist(), q
        checked += len(docs) > 0
        terms = {t for unit in plan.units for alt in unit for part in alt for t in part}
        bits_used += any(warm.docsets.get(t) is not None for t in terms)
    assert checked > 60 and bits_used > 40, (checked, bits_used)
    assert len(warm.cache.short) > 100 and not len(bare.cache.short)


def _postings(n: int) -> Postings:
    return Postings(np.arange(n, dtype=np.int64), np.ones(n, dtype=np.float32), n)


def test_short_lists_are_kept_apart_from_long_ones() -> None:
    """Lists below CACHE_MIN_POSTINGS go to the short LRU, others to the long one; each LRU
    drops its least recently used lists past its own bytes, the other keeps its lists."""
    long_bytes = CACHE_MIN_POSTINGS * 12
    small, edge = ENTRY_BYTES + 12 * 10, ENTRY_BYTES + 12 * (CACHE_MIN_POSTINGS - 1)
    cache = PostingsCache(limit=3 * long_bytes, short_limit=edge + 2 * small + small // 2)
    for i in range(4):
        cache.put(("text", f"s{i}"), _postings(10))
    cache.put(("text", "edge"), _postings(CACHE_MIN_POSTINGS - 1))  # short: pushes out s0, s1
    kept = [cache.get(("text", f"s{i}")) is not None for i in range(4)]
    assert kept == [False, False, True, True]
    for i in range(4):
        cache.put(("text", f"l{i}"), _postings(CACHE_MIN_POSTINGS))  # long: l0 goes
    assert [cache.get(("text", f"l{i}")) is not None for i in range(4)] == [False, True, True, True]
    assert cache.get(("text", "edge")) is not None  # long lists never push out short ones
    empty = PostingsCache(limit=0, short_limit=0)
    empty.put(("text", "x"), _postings(0))
    assert empty.get(("text", "x")) is None and len(empty.short) == len(empty.long) == 0


def test_remembered_places_give_the_same_postings(
    gen: Generation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view's remembered places (IndexView.places, bounded by PLACES_KEPT) give the lists
    each segment reads itself, whole and at some documents, the second time as the first."""
    monkeypatch.setattr(view_module, "PLACES_KEPT", 40)
    view = IndexView(gen.view.folder)
    try:
        rng = np.random.default_rng(2)
        terms = [("text", "không có từ này"), ("title_bi", "không có")]
        for field in ("text", "text_f", "text_bi", "title", "site_key"):
            listed = view.terms(field)
            picked = rng.choice(len(listed), min(25, len(listed)), replace=False)
            terms += [(field, listed[i][0]) for i in picked]
        live = view.live_docs()
        for _ in range(2):
            for field, text in terms:
                id_parts, w_parts, df = [np.zeros(0, np.int64)], [np.zeros(0, np.float32)], 0
                for seg, base in zip(view.segments, view.bases, strict=True):
                    ids, weights, seg_df = seg.postings(field, text)
                    keep = view.live[base + ids]
                    id_parts.append(ids[keep] + base)
                    w_parts.append(weights[keep])
                    df += seg_df
                got = view.postings(field, text)
                assert got.ids.tolist() == np.concatenate(id_parts).tolist(), (field, text)
                assert got.weights.tolist() == np.concatenate(w_parts).tolist(), (field, text)
                assert got.doc_frequency == df
                # some of every segment's documents, and only the first segment's
                for docs in (live[rng.random(len(live)) < 0.2], live[live < view.bases[1]]):
                    at = view.postings_at(field, text, docs)
                    keep = np.isin(got.ids, docs)
                    assert at.ids.tolist() == got.ids[keep].tolist(), (field, text)
                    assert at.weights.tolist() == got.weights[keep].tolist(), (field, text)
                    assert at.doc_frequency == df, (field, text)
                assert len(view._places) <= 40
    finally:
        view.close()


def test_parts_found_through_positions_equal_binary_search(gen: Generation) -> None:
    """A term's documents among many candidates found through positions() are those binary
    search finds, with the same positions and bit-identical parts: short and long lists,
    candidates fewer and more than a list's documents, the first and last docnum."""
    view = gen.view
    ranker = Ranker(view, PostingsCache(limit=0, short_limit=0))
    rng = np.random.default_rng(3)
    live = view.live_docs()
    n = view.doc_count_all
    every = np.arange(n, dtype=np.int64)  # docnum 0 and n - 1 among them
    sets = [every, live[rng.random(len(live)) < 0.8], np.unique(np.r_[live[:520], live[-1]])]
    assert all(len(c) > PROBE_MAX for c in sets)
    terms = [(f, t) for f in ("text", "title", "text_bi") for t, _ in view.terms(f)[::97]]
    compared = 0
    for cands in sets:
        where = ranker.positions(cands)
        assert where is not None and (where >= 0).sum() == len(cands)
        for field, text in terms:
            plain = ranker._term_part(field, text, cands)
            mapped = ranker._term_part(field, text, cands, where)
            if plain is None:
                assert mapped is None, (field, text)
                continue
            assert mapped is not None, (field, text)
            assert mapped[0].tolist() == plain[0].tolist(), (field, text)
            assert mapped[1].tobytes() == plain[1].tobytes(), (field, text)
            compared += 1
    assert compared > 100
    assert ranker.positions(live[:PROBE_MAX]) is None


def test_common_body_syllables_are_kept_as_bit_sets_only(gen: Generation) -> None:
    """A body-syllable list in a 64th of the documents or more is kept as a bit set, not as a
    decoded list; a rarer one, or a frequent title syllable, as a decoded list."""
    view = gen.view
    ranker = Ranker(view, PostingsCache())
    seen = set()
    for field in ("text", "text_f", "title"):
        for text, _ in view.terms(field):
            live = len(ranker.postings(field, text).ids)
            frequent = live * DOCSET_SHARE >= ranker.doc_count
            kept_list = ranker.cache.get((field, text)) is not None
            assert (ranker.docsets.get((field, text)) is not None) == frequent, (field, text)
            assert kept_list == (not frequent or field == "title"), (field, text)
            seen.add((field, frequent))
    assert seen == {(f, b) for f in ("text", "text_f", "title") for b in (True, False)}
