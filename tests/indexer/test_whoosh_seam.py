"""The Whoosh seam against Whoosh's public API, on small indexes built here.

Whatever indexer.whoosh_seam reads from Whoosh's files itself (term tables, posting lists,
length and date columns, deletions) must equal what Whoosh's own reader says, for every term of
every field; BM25F scores computed on it must equal Whoosh's. A Whoosh that lays its files out
differently fails here, loudly.
"""

from __future__ import annotations

import io
import json
import pickle
import random
import shutil
import struct
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from isal import isal_zlib
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Or, Term
from whoosh.scoring import BM25F

from indexer.errors import IndexFormatError
from indexer.importer import import_files
from indexer.layout import DataDir
from indexer.store import Store
from indexer.whoosh_seam import IndexView, date_value, termfile
from indexer.whoosh_seam.storage import open_index
from search.query import Plan
from search.ranking import Ranker
from tests.conftest import ARTICLES


def _write(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), "utf-8")
    return path


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracuu index of several segments with deletions: import, re-import some, delete some."""
    tmp = tmp_path_factory.mktemp("seam")
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    data = tmp / "data"
    with Store(data) as store:
        import_files(store, [ARTICLES])
    changed = [dict(a, title=a["title"] + " (sửa)", published=None) for a in base[:8]]
    added = [dict(a, id=a["id"] + "-b", body=a["body"][:300]) for a in base[8:20]]
    with Store(data) as store:
        import_files(store, [_write(tmp / "two.jsonl", changed + added)])
        store.delete([base[30]["id"], base[31]["id"]])
        store.sync()
    folder = DataDir(data).live_index()
    assert folder is not None
    return folder


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plain Whoosh (W3Codec, nothing inlined) in two segments, one of them not compound."""
    folder = tmp_path_factory.mktemp("plain")
    ix = whoosh_index.create_in(folder, Schema(id=ID(stored=True, unique=True), body=TEXT))
    docs = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    for part, compound in ((docs[:40], True), (docs[40:], False)):
        writer = ix.writer(compound=compound)
        for d in part:
            writer.add_document(id=d["id"], body=d["body"])
        writer.commit(merge=False)
    ix.close()
    return folder


def _whoosh_postings(reader: Any, field: str, term: str) -> tuple[list[int], list[float]]:
    m = reader.postings(field, term)  # live documents only
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def _whoosh_terms(reader: Any, field: str) -> list[tuple[str, int]]:
    """Every term of a field with its doc frequency, summed over segments, in term order."""
    total: dict[bytes, int] = {}
    for leaf, _ in reader.leaf_readers():  # (a MultiReader's own iter_field is very slow)
        for t, info in leaf.iter_field(field):
            total[t] = total.get(t, 0) + info.doc_frequency()
    return [(t.decode("utf-8"), total[t]) for t in sorted(total)]


def _check_every_term(folder: Path, fields: list[str], every: int = 1) -> int:
    """Every term and doc frequency of each field; postings and weights of every `every`-th
    term and of all terms in more than 4 documents (lists not inlined). Returns how many
    posting lists were compared."""
    ix = open_index(folder)
    view = IndexView(folder)
    checked = 0
    try:
        with ix.reader() as reader:
            for field in fields:
                terms = _whoosh_terms(reader, field)
                assert terms, field
                assert view.terms(field) == terms, field
                dfs = view.doc_frequencies(field, [t for t, _ in terms])
                assert dfs == [df for _, df in terms], field
                prefix = terms[len(terms) // 2][0][:1]
                with_prefix = [(t, df) for t, df in terms if t.startswith(prefix)]
                assert view.terms(field, prefix, 5) == with_prefix[:5], field
                for i, (term, df) in enumerate(terms):
                    if i % every and df <= 4:
                        continue
                    got = view.postings(field, term)
                    ids, weights = _whoosh_postings(reader, field, term)
                    assert got.doc_frequency == df == reader.doc_frequency(field, term)
                    assert got.ids.tolist() == ids, (field, term)
                    assert got.weights.tolist() == pytest.approx(weights), (field, term)
                    checked += 1
    finally:
        view.close()
        ix.close()
    return checked


def test_postings_weights_and_doc_frequencies_of_every_term(segmented: Path) -> None:
    view = IndexView(segmented)
    try:
        assert len(view.segments) >= 2
        assert view.doc_count < view.doc_count_all  # deletions are there
    finally:
        view.close()
    fields = [
        "title",
        "title_f",
        "title_bi",
        "title_bi_f",
        "text",
        "text_f",
        "text_bi",
        "site_key",
        "category_key",
        "id",
    ]
    assert _check_every_term(segmented, fields, every=10) > 2_000


def test_plain_whoosh_indexes_compound_or_not(plain: Path) -> None:
    assert _check_every_term(plain, ["body", "id"]) > 1_000


def test_remembered_doc_frequencies_stay_exact(
    segmented: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view remembers doc frequencies (plans ask for the same pairs again and again): asked in
    overlapping batches, in two fields sharing terms, through the bound's clearing, each answer
    is still Whoosh's."""
    from indexer.whoosh_seam import view as view_module

    monkeypatch.setattr(view_module, "DF_KEPT", 40)
    ix = open_index(segmented)
    view = IndexView(segmented)
    try:
        with ix.reader() as reader:
            expected = {f: dict(_whoosh_terms(reader, f)) for f in ("text", "text_f")}
        shared = sorted(set(expected["text"]) & set(expected["text_f"]))  # 'an', 'ba', '2019'
        differ = [w for w in shared if expected["text"][w] != expected["text_f"][w]]
        words = differ[:30] + [w for w in shared if w not in differ][:30]
        assert len(differ) >= 10 and len(words) == 60
        for start in range(0, 60, 7):
            for field in ("text", "text_f"):
                batch = [*words[start : start + 15], "khôngcótừnày"]
                want = [expected[field].get(w, 0) for w in batch]
                assert view.doc_frequencies(field, batch) == want, (field, start)
                assert view.doc_frequencies(field, batch[::-1]) == want[::-1], (field, start)
        assert 0 < len(view._dfs) <= 40 + 16
    finally:
        view.close()
        ix.close()


def test_absent_terms_and_unknown_fields(segmented: Path) -> None:
    view = IndexView(segmented)
    try:
        assert view.doc_frequency("text", "khôngcótừnày") == 0
        missing = view.postings("text_bi", "xyz abc")
        assert missing.doc_frequency == 0 and len(missing.ids) == 0
        assert view.doc_frequencies("text_f", ["dan", "zzzz", "huyen"])[1] == 0
        with pytest.raises(KeyError):
            view.postings("no_such_field", "x")
    finally:
        view.close()


def test_lengths_dates_live_documents_and_stored_fields(segmented: Path) -> None:
    ix = open_index(segmented)
    view = IndexView(segmented)
    try:
        with ix.reader() as reader:
            n = reader.doc_count_all()
            assert view.doc_count_all == n and view.doc_count == reader.doc_count()
            assert view.live_docs().tolist() == sorted(reader.all_doc_ids())
            for field in ("title", "text", "text_f", "text_bi", "title_bi_f"):
                lengths = view.lengths(field)
                assert lengths.tolist() == [reader.doc_field_length(d, field) for d in range(n)]
                assert view.field_total(field) == reader.field_length(field)
            dates = view.dates()
            undated = 0
            for d in view.live_docs().tolist():
                stored = reader.stored_fields(d)
                assert view.stored_fields(d) == stored
                published = stored["meta"]["published"]
                if published is None:
                    undated += 1
                    assert dates[d] == 0
                else:
                    assert dates[d] == date_value(datetime.fromisoformat(published))
            assert undated == 8  # the re-imported ones lost their date
    finally:
        view.close()
        ix.close()


def _whoosh_scores(folder: Path, terms: list[tuple[str, str, float]]) -> dict[int, float]:
    ix = open_index(folder)
    try:
        with ix.searcher(weighting=BM25F()) as s:
            q = Or([Term(f, t, boost=w) for f, t, w in terms])
            return {hit.docnum: hit.score for hit in s.search(q, limit=None)}
    finally:
        ix.close()


@pytest.mark.parametrize(
    "terms",
    [
        [("text_f", "huyen", 1.0)],
        [("title", "dân", 1.0)],
        [
            ("text_f", "dan", 1.0),
            ("text", "dân", 0.5),
            ("title_bi", "nhân dân", 4.0),
            ("text_bi", "ủy ban", 2.0),
        ],
    ],
    ids=["folded", "title", "boosted-or"],
)
def test_bm25f_scores_equal_whoosh(segmented: Path, terms: list[tuple[str, str, float]]) -> None:
    expected = _whoosh_scores(segmented, terms)
    assert len(expected) > 5
    view = IndexView(segmented)
    try:
        ranker = Ranker(view)
        candidates = np.unique(np.concatenate([view.postings(f, t).ids for f, t, _ in terms]))
        scores = ranker.score(candidates, Plan(units=(), excluded=(), scoring=tuple(terms)))
    finally:
        view.close()
    assert candidates.tolist() == sorted(expected)
    assert scores.tolist() == pytest.approx([expected[d] for d in candidates.tolist()], rel=1e-5)


def _corrupt_copy(folder: Path, tmp_path: Path, ext: str, at: int, data: bytes) -> Path:
    """A copy of the index with `data` written at offset `at` of the part ending in `ext`."""
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    path, offset, _ = _part_place(copy, ext)
    with open(path, "r+b") as f:
        f.seek(offset + at)
        f.write(data)
    return copy


def _list_offset(folder: Path, field: str, term: str) -> int:
    """Where a term's posting list starts in the postings part of the first segment."""
    view = IndexView(folder)
    try:
        table = view.segments[0].table
        key = table.key(field, term.encode("utf-8"))
        assert key is not None
        info = table.info(key)
        assert info is not None and info.inlined is None
        return info.offset
    finally:
        view.close()


# Whoosh checks a term table's magic itself, and then leaves the segment file open.
_WHOOSH_LEAKS = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.mark.parametrize(
    ("ext", "data"),
    [
        pytest.param(".trm", b"HSH4", marks=_WHOOSH_LEAKS),
        (".trm", b"HSH3\x02"),
        (".pst", b"W3B2"),
    ],
    ids=["term-table-magic", "hash-type", "postings-magic"],
)
def test_another_layout_fails_loudly(
    segmented: Path, tmp_path: Path, ext: str, data: bytes
) -> None:
    at = _list_offset(segmented, "text", "dân") if ext == ".pst" else 0
    copy = _corrupt_copy(segmented, tmp_path, ext, at, data)
    with pytest.raises(IndexFormatError):
        view = IndexView(copy)
        try:
            view.postings("text", "dân")
        finally:
            view.close()


def test_reopen_keeps_unchanged_segments(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data) as store:
        import_files(store, [ARTICLES])
    folder = DataDir(data).live_index()
    assert folder is not None
    view = IndexView(folder)
    first = view.segments[0]
    assert view.latest_generation() == view.generation
    extra = {"id": "moi", "title": "Lễ hội cà phê", "body": "Xã Pơng Drang"}
    with Store(data) as store:
        import_files(store, [_write(tmp_path / "new.jsonl", [extra])])
    assert view.latest_generation() > view.generation
    fresh = view.reopen()
    try:
        assert fresh.segments[0] is first and len(fresh.segments) == 2
        assert fresh.postings("text", "drang").doc_frequency == 1
        assert first.postings("text", "dân")[2] > 0  # still open
    finally:
        fresh.close()


_TERMINFO_SIZE = struct.calcsize("!BfIBBfII")  # whoosh3 W3TermInfo's statistics
_EXTENT = struct.Struct("!qi")  # where a list not inlined is in the postings part
_ENTRY = struct.Struct("!ii")  # key and value lengths before each term table entry


def _part_place(folder: Path, ext: str) -> tuple[Path, int, int]:
    """The compound file of the index's first segment, and where the part ending in `ext` is
    in it (offset, length)."""
    ix = open_index(folder)
    try:
        seg = ix._segments()[0]
        directory = seg.open_compound_file(ix.storage)
        offset, length = directory.range(seg.make_filename(ext))
        directory.close()
        return folder / seg.make_filename(seg.COMPOUND_EXT), offset, length
    finally:
        ix.close()


def _part(folder: Path, ext: str) -> bytes:
    """The part ending in `ext` of the index's first segment, as bytes."""
    path, offset, length = _part_place(folder, ext)
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def _table_entries(trm: bytes) -> list[tuple[int, bytes, bytes]]:
    """(where the entry is, key, term info) of every entry of a term table part, in file order."""
    (extras,) = struct.unpack_from("!i", trm, len(trm) - 4)
    (end,) = struct.unpack_from("!q", trm, len(trm) - 4 - extras - 256 * 12)  # 1st hash table
    out, at = [], 13  # after the magic, hash type and two ints
    while at < end:
        keylen, vallen = _ENTRY.unpack_from(trm, at)
        key_at = at + _ENTRY.size
        out.append(
            (
                key_at + keylen,
                trm[key_at : key_at + keylen],
                trm[key_at + keylen : key_at + keylen + vallen],
            )
        )
        at = key_at + keylen + vallen
    assert at == end
    return out


def _list_blocks(pst: bytes, offset: int, length: int) -> list[tuple[Any, ...]]:
    """(count, last id, max weight, min/max length byte), last block or not, the pickled
    (deltas, weights, values) through stdlib zlib, the compression field and the stored data:
    every block of the posting list at `offset`."""
    data = pst[offset : offset + length]
    assert data[:4] == b"W3Bl"
    out: list[tuple[Any, ...]] = []
    at, last = 4, False
    while not last:
        (size,) = struct.unpack_from("!i", data, at)
        last = size < 0
        block = io.BytesIO(data[at + 4 : at + 4 + abs(size)])
        count, last_id, maxweight, compression, minlen, maxlen = pickle.load(block)
        stored = block.read()
        payload = zlib.decompress(stored) if compression else stored
        out.append(
            ((count, last_id, maxweight, minlen, maxlen), last, payload, compression, stored)
        )
        at += 4 + abs(size)
    assert at == len(data)
    return out


def test_posting_blocks_compressed_by_stdlib_zlib_still_read(tmp_path: Path) -> None:
    """Segments written before termfile.py compressed with ISA-L (and Whoosh's own writer's
    segments) hold blocks of stdlib zlib: the same format, read as the bulk writer's are, the
    same postings and weights as Whoosh's reader gives."""
    objs = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    folder = _whoosh_reference(tmp_path / "zlib", objs)
    pst = _part(folder, ".pst")
    blocks = [
        b
        for _, _, value in _table_entries(_part(folder, ".trm"))
        if not value[0]
        for b in _list_blocks(pst, *_EXTENT.unpack_from(value, _TERMINFO_SIZE))
    ]
    assert len(blocks) > 1_000
    # Stdlib zlib's bytes (level 3), not what ISA-L makes of the same pickles.
    assert all(b[4] == zlib.compress(b[2], 3) for b in blocks)
    assert sum(b[4] != isal_zlib.compress(b[2], termfile.COMPRESSION) for b in blocks) > 1_000
    fields = ["text", "text_bi", "title", "site_key", "id"]
    assert _check_every_term(folder, fields) > 10_000


def test_the_bulk_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    """Same documents through Whoosh's own SegmentWriter and through the seam's BulkWriter:
    identical term tables and posting lists, but for the compressed bytes of the blocks (ISA-L's
    against zlib's) and so the lists' extents: the same statistics of every term, the same
    blocks with the same heads and the same pickled contents, in the same order."""
    from whoosh.writing import SegmentWriter

    from indexer.document import Article
    from indexer.mapping import index_document
    from indexer.schema import build_schema
    from indexer.whoosh_seam.codec import InliningCodec
    from indexer.whoosh_seam.writer import BulkWriter
    from indexer.whoosh_seam.writer import InliningCodec as WriterCodec

    assert WriterCodec is InliningCodec
    articles = [json.loads(line) for line in ARTICLES.read_text("utf-8").splitlines()]
    docs = [index_document(Article.from_dict(a)[0]) for a in articles] * 20
    # 1,420 documents: lists of more than one 1,024-posting block; then the words of 30
    # articles shuffled, 4 times: pairs in 1 to 4 documents (inlined lists of every length).
    for seed in range(4):
        rng = random.Random(seed)
        for a in articles[:30]:
            words = a["body"].split()
            rng.shuffle(words)
            docs.append(index_document(Article.from_dict(dict(a, body=" ".join(words)))[0]))
    # A boosted document and a boosted field: fractional weights, the lists written one by one.
    boosted = [index_document(Article.from_dict(a)[0]) for a in articles[30:32]]
    boosted[0]["_boost"] = 2.5
    boosted[1]["_text_bi_boost"] = 0.3
    docs += boosted
    folders = {}
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkWriter)):
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(folder, build_schema())
        writer = writer_class(ix, codec=InliningCodec(4), limitmb=256)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        ix.close()
        folders[name] = folder

    trm = {name: _part(folder, ".trm") for name, folder in folders.items()}
    pst = {name: _part(folder, ".pst") for name, folder in folders.items()}
    entries = {name: _table_entries(table) for name, table in trm.items()}
    # The same keys, in the same places, with values of the same sizes.
    assert [(at, k, len(v)) for at, k, v in entries["whoosh"]] == [
        (at, k, len(v)) for at, k, v in entries["bulk"]
    ]
    masked = bytearray(trm["bulk"])
    extents: dict[str, list[tuple[int, int]]] = {"whoosh": [], "bulk": []}
    for (at, key, wv), (_, _, bv) in zip(entries["whoosh"], entries["bulk"], strict=True):
        # The statistics: inlined flag, weight, doc frequency, min/max length, max weight, ids.
        assert bv[:_TERMINFO_SIZE] == wv[:_TERMINFO_SIZE], key
        if wv[0]:  # inlined: the pickled list, byte for byte
            assert bv == wv, key
            continue
        w_ext, b_ext = (
            _EXTENT.unpack_from(wv, _TERMINFO_SIZE),
            _EXTENT.unpack_from(bv, _TERMINFO_SIZE),
        )
        extents["whoosh"].append(w_ext)
        extents["bulk"].append(b_ext)
        w_blocks, b_blocks = _list_blocks(pst["whoosh"], *w_ext), _list_blocks(pst["bulk"], *b_ext)
        # Block boundaries, head fields (count, last id, max weight, min/max length byte) and the
        # pickled deltas, weights and values, decompressed by stdlib zlib (as Whoosh reads them).
        assert [b[:3] for b in b_blocks] == [b[:3] for b in w_blocks], key
        assert {b[3] for b in w_blocks} == {3}  # whoosh3's zlib level
        assert {b[3] for b in b_blocks} == {termfile.COMPRESSION}  # truthy: readers decompress
        value_at = at + _TERMINFO_SIZE  # the extent: the only bytes of the table that may differ
        masked[value_at : value_at + _EXTENT.size] = wv[_TERMINFO_SIZE:]
    assert bytes(masked) == trm["whoosh"]  # hash tables, directory, extras: byte for byte too
    for name, spans in extents.items():  # lists end to end, in term order, and nothing else
        assert [off for off, _ in spans] == [0, *np.cumsum([n for _, n in spans])[:-1].tolist()]
        assert sum(n for _, n in spans) == len(pst[name])
    assert len(extents["bulk"]) > 10_000  # lists of every field were compared
    assert sum(len(_list_blocks(pst["bulk"], *e)) > 1 for e in extents["bulk"]) > 50
    a, b = open_index(folders["whoosh"]), open_index(folders["bulk"])
    inlined: dict[int, int] = {}  # doc frequency → terms
    try:
        with a.reader() as ra, b.reader() as rb:
            for field in ("id", "title", "text", "text_bi", "title_bi_f", "site_key"):
                terms = [t for t, _ in ra.iter_field(field)]
                assert terms == [t for t, _ in rb.iter_field(field)] and terms
                for t in terms:
                    ia, ib = ra.term_info(field, t), rb.term_info(field, t)
                    stats = (
                        "weight",
                        "doc_frequency",
                        "min_length",
                        "max_length",
                        "max_weight",
                        "min_id",
                        "max_id",
                    )
                    assert [getattr(ia, s)() for s in stats] == [getattr(ib, s)() for s in stats]
                    inlined[ib.doc_frequency()] = inlined.get(ib.doc_frequency(), 0) + 1
    finally:
        a.close()
        b.close()
    assert all(inlined.get(df) for df in (1, 2, 3, 4))  # every length of inlined list was compared


def _whoosh_reference(folder: Path, objs: list[dict[str, Any]]) -> Path:
    """The articles indexed by Whoosh's own SegmentWriter (one commit): what tracuu must equal."""
    from whoosh.writing import SegmentWriter

    from indexer.document import Article
    from indexer.mapping import index_document
    from indexer.schema import build_schema
    from indexer.whoosh_seam.codec import InliningCodec

    folder.mkdir()
    ix = whoosh_index.create_in(folder, build_schema())
    writer = SegmentWriter(ix, codec=InliningCodec(4))
    for obj in objs:
        writer.add_document(**index_document(Article.from_dict(obj)[0]))
    writer.commit()
    ix.close()
    return folder


def _index_by_id(folder: Path) -> tuple[dict[tuple[str, bytes], dict[str, float]], dict[Any, int]]:
    """Through Whoosh's public API: every (field, term) → {article id: weight}, and every
    (article id, field) → field length, over all live documents of all segments."""
    from indexer.schema import build_schema

    ix = open_index(folder)
    postings: dict[tuple[str, bytes], dict[str, float]] = {}
    lengths: dict[Any, int] = {}
    try:
        with ix.reader() as reader:
            ids = {n: f["id"] for n, f in reader.iter_docs()}
            for field in reader.indexed_field_names():
                for term in reader.lexicon(field):
                    m = reader.postings(field, term)
                    found = {}
                    while m.is_active():
                        found[ids[m.id()]] = m.weight()
                        m.next()
                    if found:
                        postings[(field, term)] = found
            scorable = [n for n, f in build_schema().items() if f.scorable]
            for docnum, article_id in ids.items():
                for field in scorable:
                    # None (length byte 0) and 0 (a segment without the column) are one thing
                    lengths[(article_id, field)] = reader.doc_field_length(docnum, field) or 0
    finally:
        ix.close()
    return postings, lengths


@pytest.mark.parametrize(
    "store_kwargs",
    [
        {},
        {"procs": 2, "multiprocess_min": 1},
        {"chunk": 5},
        {"procs": 2, "multiprocess_min": 1, "chunk": 5},
    ],
    ids=[
        "one process",
        "two processes",
        "chunks of 5 (small segments merged)",
        "two processes, chunks of 5 (merged by the parent process)",
    ],
)
def test_the_import_indexes_what_whoosh_indexes(
    tmp_path: Path, store_kwargs: dict[str, int]
) -> None:
    """Real articles imported by tracuu (bulk writer: counts, arrays, NumPy sort; in worker
    processes; committed by chunks, which Whoosh merges) and the same documents through
    Whoosh's own SegmentWriter: the same terms, postings, weights and field lengths."""

    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    # Twice the fixture (other ids, shorter bodies): two batches of the multi-process writer.
    objs = base + [dict(a, id=a["id"] + "-2", body=a["body"][:2000]) for a in base]
    reference = _whoosh_reference(tmp_path / "whoosh", objs)

    data = tmp_path / "data"
    with Store(data, **store_kwargs) as store:
        import_files(store, [_write(tmp_path / "two.jsonl", objs)])
    folder = DataDir(data).live_index()
    assert folder is not None
    ix = open_index(folder)
    segments = len(ix._segments())
    ix.close()
    if "procs" in store_kwargs and "chunk" not in store_kwargs:
        assert segments == 2  # one per worker process
    if "chunk" in store_kwargs:
        assert 1 < segments < len(objs) // 5  # 29 commits; Whoosh merged the small segments
    expected, got = _index_by_id(reference), _index_by_id(folder)
    assert len(expected[0]) > 20_000 and len(expected[1]) > 500
    assert got[0].keys() == expected[0].keys()
    assert got[0] == expected[0]
    assert got[1] == expected[1]


def test_document_boosts_weigh_as_in_whoosh(tmp_path: Path) -> None:
    """A document or field boost multiplies its weights (freq × field_boost × boost), before
    and after unboosted documents: the bulk writer's derived weights give way to stored ones."""
    from whoosh.writing import SegmentWriter

    from indexer.document import Article
    from indexer.mapping import index_document
    from indexer.schema import build_schema
    from indexer.whoosh_seam.codec import InliningCodec
    from indexer.whoosh_seam.writer import BulkWriter

    docs = [
        index_document(Article.from_dict(json.loads(line))[0])
        for line in ARTICLES.read_text("utf-8").splitlines()[:6]
    ]
    docs[2]["_boost"] = 2.5
    docs[4]["_text_bi_boost"] = 0.3
    folders = {}
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkWriter)):
        folder = folders[name] = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(folder, build_schema())
        writer = writer_class(ix, codec=InliningCodec(4))
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        ix.close()
    expected, got = _index_by_id(folders["whoosh"]), _index_by_id(folders["bulk"])
    assert got == expected
    weights = {w for found in got[0].values() for w in found.values()}
    assert {2.5, 0.3} <= {round(w, 6) for w in weights}


def test_segments_written_with_one_value_object_per_inlined_list_still_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before session 4 the bulk writer inlined all values of a short list as one bytes
    object; Whoosh's matcher raises IndexError past a list's first value, so Whoosh's merge
    of small segments (from the 6th small commit) failed. Merges read ids and weights only:
    4 segments in the old layout, 4 more in today's, merged, hold what Whoosh would index."""
    from pickle import dumps

    from indexer.whoosh_seam import termfile

    def old_tail(self: Any, weights: tuple[float, ...], values: bytes) -> bytes:
        return dumps(((0,), weights, (values,) if self.fixed else ()), 2)[7:]

    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()][:40]
    data = tmp_path / "data"
    with monkeypatch.context() as patched:
        patched.setattr(termfile._InlinePickler, "tail", old_tail)
        with Store(data, chunk=5) as store:
            import_files(store, [_write(tmp_path / "old.jsonl", base[:20])])
    folder = DataDir(data).live_index()
    assert folder is not None
    ix = open_index(folder)
    try:
        assert len(ix._segments()) == 4
        with ix.reader() as reader, pytest.raises(IndexError):
            list(reader.iter_postings())  # the old layout: Whoosh's own merge would fail
    finally:
        ix.close()
    with Store(data, chunk=5) as store:
        import_files(store, [_write(tmp_path / "new.jsonl", base[20:])])
    ix = open_index(folder)
    try:
        assert ix.doc_count() == 40 and len(ix._segments()) < 8  # small segments merged
    finally:
        ix.close()

    reference = _whoosh_reference(tmp_path / "whoosh", base)
    assert _index_by_id(folder) == _index_by_id(reference)
