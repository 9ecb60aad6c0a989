"""Side files (indexer/whoosh_seam/sidefile.py) against Whoosh's public API, on real articles.

Every long posting list read through a side file must equal Whoosh's (live documents, weights),
in a first segment, in a segment written by a merge of small segments, with deletions; search
results and margins must be the same with and without side files; a damaged side file is
refused.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.errors import IndexFormatError
from indexer.importer import import_files
from indexer.layout import DataDir
from indexer.store import Store
from indexer.whoosh_seam import IndexView, segment, sidefile
from indexer.whoosh_seam.files import Part
from indexer.whoosh_seam.pool import SortedPostings
from indexer.whoosh_seam.storage import open_index
from search.engine import Engine
from search.types import SearchRequest
from tests.conftest import ARTICLES

SIDE_MIN = 5  # every list not inlined (more than 4 postings) goes to the side file here
FIELDS = ("title", "title_bi", "text", "text_f", "text_bi", "site_key")


def _write(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), "utf-8")
    return path


def _build(data: Path, tmp: Path) -> Path:
    """Import the articles in seven commits, replacing and deleting some: the last merges the
    five small segments before it into its own (Whoosh's policy merges five or more small
    ones), so the index has deletions in a first segment and in one written by a merge."""
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    with Store(data) as store:
        import_files(store, [_write(tmp / "one.jsonl", base[:50])])
    for k in range(5):
        with Store(data) as store:
            import_files(store, [_write(tmp / f"small{k}.jsonl", base[50 + 3 * k : 53 + 3 * k])])
            if k == 0:
                store.delete([base[51]["id"]])  # a deletion the merge drops
                store.sync()
    changed = [dict(a, title=a["title"] + " (sửa)") for a in base[:6]]
    with Store(data) as store:
        import_files(store, [_write(tmp / "last.jsonl", changed + base[65:])])
        store.delete([base[30]["id"], base[31]["id"], base[60]["id"]])
        store.sync()
    folder = DataDir(data).live_index()
    assert folder is not None
    return folder


@pytest.fixture(scope="module")
def sided(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("side")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sidefile, "SIDE_MIN", SIDE_MIN)
        return _build(tmp / "data", tmp)


@pytest.fixture
def no_side_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Segments opened while this holds read as if written without side files."""
    monkeypatch.setattr(segment, "SIDE_EXT", ".absent")
    yield


def _whoosh_lists(folder: Path, field: str) -> dict[str, tuple[list[int], list[float], int]]:
    """Every term of a field: its live documents, weights and doc frequency, per Whoosh."""
    out = {}
    ix = open_index(folder)
    try:
        with ix.reader() as reader:
            for btext in reader.lexicon(field):
                term = btext.decode("utf-8")
                m = reader.postings(field, btext)
                ids, weights = [], []
                while m.is_active():
                    ids.append(m.id())
                    weights.append(m.weight())
                    m.next()
                out[term] = (ids, weights, reader.doc_frequency(field, btext))
    finally:
        ix.close()
    return out


def _mismatches(folder: Path) -> list[tuple[str, str]]:
    """The terms whose postings read by the seam differ from Whoosh's; fails unless the side
    files served every long list."""
    bad = []
    served = 0
    view = IndexView(folder)
    try:
        assert all(seg.side is not None for seg in view.segments)
        for field in FIELDS:
            for term, (ids, weights, df) in _whoosh_lists(folder, field).items():
                got = view.postings(field, term)
                if (got.ids.tolist(), got.weights.tolist(), got.doc_frequency) != (
                    ids,
                    weights,
                    df,
                ):
                    bad.append((field, term))
            for seg in view.segments:
                assert seg.side is not None
                for term, _ in seg.terms(field):
                    key = seg.table.key(field, term.encode("utf-8"))
                    info = seg.table.info(key) if key is not None else None
                    assert info is not None
                    served += seg._side_lookup(info) is not None
    finally:
        view.close()
    assert served > 100  # the side files were read, not Whoosh's lists
    return bad


def test_side_files_hold_every_long_list_as_whoosh_reads_it(sided: Path) -> None:
    view = IndexView(sided)
    try:
        # Seven commits, two segments: the five small ones were merged into the last one's.
        assert len(view.segments) == 2 and view.segments[0].n == 50
        assert not view.live[:50].all() and not view.live[50:].all()  # deletions in both
    finally:
        view.close()
    assert _mismatches(sided) == []


def test_postings_at_reads_the_same_through_side_files(sided: Path) -> None:
    rng = np.random.default_rng(7)
    with_side = IndexView(sided)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(segment, "SIDE_EXT", ".absent")
            without = IndexView(sided)
        try:
            assert all(s.side is None for s in without.segments)
            live = with_side.live_docs()
            for field in ("text", "text_bi", "title"):
                for term, df in with_side.terms(field):
                    if df < SIDE_MIN:
                        continue
                    docs = np.sort(rng.choice(live, size=min(len(live), 9), replace=False))
                    a = with_side.postings_at(field, term, docs)
                    b = without.postings_at(field, term, docs)
                    assert a.ids.tolist() == b.ids.tolist(), (field, term)
                    assert a.weights.tolist() == b.weights.tolist(), (field, term)
                    assert a.doc_frequency == b.doc_frequency
        finally:
            without.close()
    finally:
        with_side.close()


def test_vocabulary_from_side_files_equals_whoosh_term_table(sided: Path) -> None:
    view = IndexView(sided)
    ix = open_index(sided)
    try:
        with ix.reader() as reader:
            for seg, (leaf, _) in zip(view.segments, reader.leaf_readers(), strict=True):
                assert seg.side is not None and seg.side.vocabulary("text") is not None
                assert seg.side.vocabulary("text_bi") is None  # only the fields asked for
                expected = [(t.decode(), i.doc_frequency()) for t, i in leaf.iter_field("text")]
                assert len(expected) > 500
                assert seg.terms("text") == expected
    finally:
        ix.close()
        view.close()


def test_margins_from_side_files_equal_the_prefix_scan(sided: Path) -> None:
    view = IndexView(sided)
    try:
        words = {t.split(" ", 1)[0] for t, _ in view.terms("text_bi")}
        assert len(words) > 100
        for word in [*sorted(words), "không-có-từ-này"]:
            scan = sum(df for _, df in view.terms("text_bi", f"{word} "))
            assert view.margin("text_bi", word) == scan, word
        assert all(
            s.side is not None and s.side.margin("text_bi", b"x") is not None for s in view.segments
        )
    finally:
        view.close()


QUERIES = (
    "ủy ban nhân dân",
    "dan van",
    "hội nghị",
    "kinh tế xã hội",
    '"nông thôn mới"',
    "giáo dục -trường",
    "phòng chống dịch",
    "tiem chung",
    "đất đai huyện",
)


def _results(data: Path) -> list[list[tuple[str, float]]]:
    engine = Engine(data, cache_size=0)
    try:
        out = []
        for q in QUERIES:
            res = engine.search(SearchRequest(q=q, size=20))
            out.append([(h.id, h.score) for h in res.hits])
            vocab = engine.generation().vocabulary()
            out.append([(w, float(vocab.margin(w))) for w in q.split()])
        return out
    finally:
        engine.close()


def test_search_results_equal_with_and_without_side_files(sided: Path) -> None:
    data = sided.parent.parent
    with_side = _results(data)
    assert sum(len(r) for r in with_side) > 30
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segment, "SIDE_EXT", ".absent")
        assert _results(data) == with_side


def _sabotaged(tmp: Path, mp: pytest.MonkeyPatch, shift: str) -> Path:
    """An index whose side files were written wrong: lists shifted by one posting, or weights
    off by one."""
    original = sidefile.SideWriter.add_field

    def add_field(self: Any, fieldname: str, postings: Any, terms: Any, offsets: Any) -> None:
        if shift == "ids":
            wrong = dataclasses.replace(postings, docs=np.roll(postings.docs, 1))
        else:
            wrong = dataclasses.replace(postings, weights=postings.weights + 1)
        original(self, fieldname, wrong, terms, offsets)

    mp.setattr(sidefile, "SIDE_MIN", SIDE_MIN)
    mp.setattr(sidefile.SideWriter, "add_field", add_field)
    return _build(tmp / "data", tmp)


def test_wrong_side_files_are_noticed(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        shifted = _sabotaged(tmp_path / "ids", mp, "ids")
    with pytest.raises(IndexFormatError, match="not the term's"):
        _mismatches(shifted)
    with pytest.MonkeyPatch.context() as mp:
        weighted = _sabotaged(tmp_path / "weights", mp, "weights")
    assert len(_mismatches(weighted)) > 100


def _side_range(folder: Path) -> tuple[Path, int, int]:
    """The compound file of the first segment and where its side file lies in it."""
    ix = open_index(folder)
    try:
        seg = ix._segments()[0]
        directory = seg.open_compound_file(ix.storage)
        offset, length = directory.range(seg.make_filename(sidefile.SIDE_EXT))
        directory.close()
        return folder / seg.make_filename(seg.COMPOUND_EXT), offset, length
    finally:
        ix.close()


@pytest.mark.parametrize(
    ("at", "data", "message"),
    [
        (0, b"XXXX", "not a side file"),
        (-8 * 3, b"", "checksum"),  # a byte flipped in the margin sums (the last section)
        (20, b"[[[", "header"),
    ],
)
def test_a_damaged_side_file_is_refused(
    sided: Path, tmp_path: Path, at: int, data: bytes, message: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(sided, copy)
    path, offset, length = _side_range(copy)
    with open(path, "r+b") as f:
        where = offset + (at if at >= 0 else length + at)
        f.seek(where)
        old = f.read(1)
        f.seek(where)
        f.write(data or bytes([old[0] ^ 0xFF]))
    with pytest.raises(IndexFormatError, match=message):
        IndexView(copy).close()


def _postings(rng: np.random.Generator, terms: list[bytes], whole: bool) -> SortedPostings:
    """Lists of random lengths (many long) of random documents, in term order."""
    counts = rng.choice([1, 3, 5, 9, 40, 130], size=len(terms))
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    docs = np.concatenate([np.sort(rng.choice(5000, c, replace=False)) for c in counts])
    weights = rng.integers(1, 9, len(docs)).astype(np.float32)
    if not whole:
        weights *= np.float32(1.5)
    return SortedPostings(terms, starts, docs.astype(np.uint32), weights, None, 0)


@pytest.mark.parametrize("whole", [True, False], ids=["whole weights", "fractional weights"])
def test_a_side_file_written_slab_by_slab_equals_one_written_at_once(
    tmp_path: Path, whole: bool
) -> None:
    """A field's lists handed over in slabs (a streamed merge) give the side file one call per
    field gives, byte for byte; it reads back the vocabulary and margins of all the terms."""
    rng = np.random.default_rng(7)
    words = sorted({bytes(rng.choice(list(b"abcdeg"), 3)) for _ in range(60)})
    bigrams = sorted({w1 + b" " + w2 for w1 in words[:20] for w2 in words[::7]})
    fields = {
        "num_part": _postings(rng, words[:10], whole),
        "text": _postings(rng, words, whole),
        "text_bi": _postings(rng, bigrams, whole),
    }

    def long_lists(postings: SortedPostings, base: int) -> tuple[np.ndarray, np.ndarray]:
        terms = np.flatnonzero(np.diff(postings.starts) > 4)
        return terms, base + postings.starts[terms] * 10  # ascending, as in a postings part

    once = sidefile.SideWriter(side_min=5, spool_dir=tmp_path)
    slabbed = sidefile.SideWriter(side_min=5, spool_dir=tmp_path)
    base = 0
    for name, postings in fields.items():
        once.add_field(name, postings, *long_lists(postings, base))
        slabs = list(postings.slabs(50))
        assert len(slabs) > 5
        for t0, t1 in slabs:
            a, b = int(postings.starts[t0]), int(postings.starts[t1])
            slab = SortedPostings(
                postings.terms[t0:t1],
                postings.starts[t0 : t1 + 1] - a,
                postings.docs[a:b],
                postings.weights[a:b],
                None,
                0,
            )
            slabbed.add_field(name, slab, *long_lists(slab, base + a * 10))
        base += int(postings.starts[-1]) * 10
    files = [tmp_path / "once.spl", tmp_path / "slabbed.spl"]
    for writer, path in zip((once, slabbed), files, strict=True):
        with path.open("wb") as f:
            writer.write(f)
    assert files[0].read_bytes() == files[1].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["once.spl", "slabbed.spl"]
    fd = os.open(files[1], os.O_RDONLY)
    try:
        side = sidefile.SideFile(Part("slabbed.spl", fd, 0, files[1].stat().st_size))
        assert side.weights.dtype == np.dtype("<u2" if whole else "<f4")
        text = fields["text"]
        dfs = np.diff(text.starts).tolist()
        assert side.vocabulary("text") == [
            (t.decode(), df) for t, df in zip(text.terms, dfs, strict=True)
        ]
        bi = fields["text_bi"]
        for word in words[:20]:
            expected = sum(
                int(n)
                for t, n in zip(bi.terms, np.diff(bi.starts), strict=True)
                if t.startswith(word + b" ")
            )
            assert side.margin("text_bi", word) == expected
        terms, offsets = long_lists(fields["num_part"], 0)
        for t, offset in zip(terms.tolist(), offsets.tolist(), strict=True):
            a, b = int(fields["num_part"].starts[t]), int(fields["num_part"].starts[t + 1])
            at = side.lookup(offset, b - a, int(fields["num_part"].docs[a]),
                             int(fields["num_part"].docs[b - 1]))
            if b - a >= 5:
                assert at is not None
                assert side.ids[at].tolist() == fields["num_part"].docs[a:b].tolist()
                assert side.weights[at].tolist() == fields["num_part"].weights[a:b].tolist()
        del side
    finally:
        os.close(fd)
