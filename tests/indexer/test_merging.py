"""Merges of segments: lists read as arrays, deletions dropped, and the tiered merge policy."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh.query import Or, Term
from whoosh.scoring import TF_IDF

from indexer.document import Article
from indexer.errors import ConfigError
from indexer.mapping import index_document
from indexer.store import CHUNK
from indexer.whoosh_seam import IndexView, merging, sidefile, tablescan, workers, writer
from indexer.whoosh_seam.files import SegmentFiles
from indexer.whoosh_seam.merging import TIER, tier_size
from indexer.whoosh_seam.sidefile import SIDE_EXT
from indexer.whoosh_seam.storage import open_index
from indexer.whoosh_seam.writer import WritableIndex
from tests.conftest import ARTICLES
from tests.indexer.test_whoosh_seam import _index_by_id, _whoosh_reference


def _objs(copies: int = 1) -> list[dict[str, Any]]:
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    out = list(base)
    for k in range(2, copies + 1):  # other ids, shorter bodies: other weights and lengths
        out += [dict(a, id=f"{a['id']}-{k}", body=a["body"][: 3000 // k]) for a in base]
    return out


def _docs(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [index_document(Article.from_dict(o)[0]) for o in objs]


def _sizes(folder: Path) -> list[tuple[int, int]]:
    """(all documents, live documents) of each segment, in the index's order."""
    ix = open_index(folder)
    try:
        return [(s.doc_count_all(), s.doc_count()) for s in ix._segments()]
    finally:
        ix.close()


def test_a_merge_drops_deleted_documents_and_renumbers_the_rest(tmp_path: Path) -> None:
    """Three segments with deletions (and a replaced article) merged into the fourth commit's
    segment: the same terms, postings, weights and lengths as Whoosh indexing the survivors."""
    objs = _objs()[:40]
    docs = _docs(objs)
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=24)
    try:
        index.write(docs[0:10])
        index.write(docs[10:20])
        ids = [o["id"] for o in objs]
        index.write(docs[20:30], delete_ids=[ids[3], ids[4], ids[15]])
        assert [n for n, _ in _sizes(folder)] == [10, 10, 10]  # 17 live in the small ones
        replaced = dict(objs[22], body=objs[22]["body"][:500] + " thay thế")
        index.write(_docs([replaced]) + docs[30:40], delete_ids=[ids[25], ids[0]])
    finally:
        index.close()
    # 24 live documents in the three old segments (this commit's deletions counted): merged.
    survivors = [o for o in objs if o["id"] not in {ids[0], ids[3], ids[4], ids[15], ids[25]}]
    survivors = [replaced if o["id"] == replaced["id"] else o for o in survivors]
    assert _sizes(folder) == [(len(survivors), len(survivors))]
    expected = _index_by_id(_whoosh_reference(tmp_path / "whoosh", survivors))
    got = _index_by_id(folder)
    assert len(expected[0]) > 5_000
    assert got[0].keys() == expected[0].keys()
    assert got == expected


def test_small_segments_merge_into_one_of_a_tier(tmp_path: Path) -> None:
    """One process: segments under the tier wait until they hold a tier's documents together,
    then merge into the commit's segment; a segment of a tier is left alone."""
    docs = _docs(_objs())[:60]
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=20)
    seen = []
    try:
        for start in range(0, 60, 10):
            index.write(docs[start : start + 10])
            seen.append(sorted(n for n, _ in _sizes(folder)))
    finally:
        index.close()
    assert seen == [[10], [10, 10], [30], [10, 30], [10, 10, 30], [30, 30]]


def test_a_first_import_by_chunks_ends_in_a_few_segments(tmp_path: Path) -> None:
    """The default tier is four default chunks: nine chunks (450,000 articles in chunks of
    50,000, here 9 × 10 documents with a tier of 40) in one process end in five segments, the
    fifth commit's holding the four before it (in two processes the parent's merged segment
    holds no new documents: four segments, bench/SCALE.md §9)."""
    assert TIER == 4 * CHUNK
    docs = _docs(_objs(copies=2))[:90]
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=40)
    try:
        for start in range(0, 90, 10):
            index.write(docs[start : start + 10])
    finally:
        index.close()
    assert sorted(n for n, _ in _sizes(folder)) == [10, 10, 10, 10, 50]
    assert _index_by_id(folder) == _index_by_id(
        _whoosh_reference(tmp_path / "whoosh", _objs(copies=2)[:90])
    )


def test_the_parent_merges_while_the_workers_write(tmp_path: Path) -> None:
    """Two processes: the small segments of earlier commits are merged beside the workers'
    indexing; the index holds what one bulk write holds."""
    docs = _docs(_objs(copies=3))  # 213 documents: 3 commits of 71, each a segment per worker
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=100)
    try:
        for start in range(0, len(docs), 71):
            index.write(docs[start : start + 71], procs=2)
    finally:
        index.close()
    sizes = sorted(n for n, _ in _sizes(folder))
    one = tmp_path / "one"
    one.mkdir()
    single = WritableIndex(one, create=True, merge_tier=100)
    try:
        single.write(docs)
    finally:
        single.close()
    # A commit of 71 documents: workers take batches of 100, so one worker segment each;
    # the third write merges the first two (142 ≥ 100) beside its own new segment.
    assert sizes == [71, 142]
    assert _index_by_id(folder) == _index_by_id(one)


def test_the_tier_comes_from_the_environment_for_benchmarks() -> None:
    assert tier_size({}) == TIER
    assert tier_size({"TRACUU_MERGE_TIER": "10000"}) == 10_000
    assert tier_size({"TRACUU_MERGE_TIER": "0"}) == 0
    with pytest.raises(ConfigError):
        tier_size({"TRACUU_MERGE_TIER": "many"})


def _lexicon(folder: Path) -> dict[tuple[str, bytes], int]:
    """Every (field, term) of the index's term tables, deleted documents' terms included, with
    its doc frequency (Whoosh's public API)."""
    ix = open_index(folder)
    try:
        with ix.reader() as reader:
            return {
                (field, term): reader.doc_frequency(field, term)
                for field in reader.indexed_field_names()
                for term in reader.lexicon(field)
            }
    finally:
        ix.close()


def _stored(folder: Path) -> list[dict[str, Any]]:
    """The stored fields of the live documents, in document order."""
    ix = open_index(folder)
    try:
        with ix.reader() as reader:
            return [dict(fields) for _, fields in reader.iter_docs()]
    finally:
        ix.close()


def _hits(folder: Path, terms: list[bytes]) -> list[tuple[str, float]]:
    """Whoosh's TF-IDF search of `terms` in the text field: (article id, score), best first.

    Not BM25F: a merge (Whoosh's write_per_doc) adds each document's field length as its
    length byte gives it back, so the merged segment's total length, and BM25F's average, is
    not the one-segment index's."""
    ix = open_index(folder)
    try:
        with ix.searcher(weighting=TF_IDF()) as searcher:
            query = Or([Term("text", t.decode("utf-8")) for t in terms])
            return [(hit["id"], round(hit.score, 4)) for hit in searcher.search(query, limit=None)]
    finally:
        ix.close()


def _parts(folder: Path) -> dict[str, bytes]:
    """The term table, postings and side file of the index's only segment, as bytes."""
    ix = open_index(folder)
    try:
        (segment,) = ix._segments()
        files = SegmentFiles(folder, ix.storage, segment)
        try:
            out = {}
            for ext in (".trm", ".pst", SIDE_EXT):
                part = files.part(ext)
                assert part is not None, ext
                out[ext] = part.read_all()
            return out
        finally:
            files.close()
    finally:
        ix.close()


def _has_side_file(folder: Path) -> list[bool]:
    ix = open_index(folder)
    try:
        out = []
        for segment in ix._segments():
            files = SegmentFiles(folder, ix.storage, segment)
            out.append(files.part(SIDE_EXT) is not None)
            files.close()
        return out
    finally:
        ix.close()


_DEFAULT_SLAB = merging.SLAB


@pytest.mark.parametrize("slab", [7, _DEFAULT_SLAB], ids=["slab of 7 postings", "default slab"])
def test_a_streamed_merge_writes_what_one_segment_of_the_survivors_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slab: int
) -> None:
    """Three segments (the first without a side file) with deletions, merged with new documents
    into one commit's segment, streamed a slab at a time: the same terms (a term whose every
    posting was deleted gone), postings, weights, lengths, stored fields and search results as
    Whoosh indexing the survivors, and the same term table, postings and side file, byte for
    byte, as the bulk writer writing the merged documents in one go."""
    monkeypatch.setattr(merging, "SLAB", slab)
    monkeypatch.setattr(sidefile, "SIDE_MIN", 5)  # every list not inlined has a side list
    objs = _objs()[:40]
    docs = _docs(objs)
    ids = [o["id"] for o in objs]
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=24)
    try:
        with monkeypatch.context() as mp:
            mp.setattr(writer, "SIDE_EXT", ".noside")  # a segment as written before side files
            index.write(docs[0:10])
        index.write(docs[10:20])
        index.write(docs[20:30], delete_ids=[ids[3], ids[4], ids[15]])
        assert _has_side_file(folder) == [False, True, True]
        before = _lexicon(folder)
        replaced = dict(objs[22], body=objs[22]["body"][:500] + " thay thế")
        index.write(_docs([replaced]) + docs[30:40], delete_ids=[ids[25], ids[0]])
    finally:
        index.close()
    gone = {ids[0], ids[3], ids[4], ids[15], ids[25]}
    survivors = [replaced if o["id"] == replaced["id"] else o for o in objs if o["id"] not in gone]
    assert _sizes(folder) == [(len(survivors), len(survivors))]
    reference = _whoosh_reference(tmp_path / "whoosh", survivors)
    expected, got = _index_by_id(reference), _index_by_id(folder)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    lexicon = _lexicon(reference)
    assert _lexicon(folder) == lexicon
    # Terms of deleted documents only: in the segments merged, in no list of the merged one.
    assert len(set(before) - set(lexicon)) > 50
    # Lists longer than a slab, and terms of one merged segment only, were merged.
    assert max(len(p) for p in expected[0].values()) > 3 * slab or slab == _DEFAULT_SLAB
    by_id = {o["id"]: o for o in survivors}
    assert sorted(_stored(folder), key=lambda f: f["id"]) == sorted(
        _stored(reference), key=lambda f: f["id"]
    )
    common = sorted(
        (t for (f, t), p in expected[0].items() if f == "text" and 3 <= len(p) <= 12), key=len
    )[:40]
    assert len(common) == 40
    assert _hits(folder, common) == _hits(reference, common)
    # The side file's vocabulary and margins: what the term table says.
    view = IndexView(folder)
    try:
        (side,) = [seg.side for seg in view.segments]
        assert side is not None
        text = [(t.decode("utf-8"), df) for (f, t), df in sorted(lexicon.items()) if f == "text"]
        assert side.vocabulary("text") == text
        sums: dict[bytes, int] = {}
        for (f, t), df in lexicon.items():
            if f == "text_bi":
                sums[t.split(b" ")[0]] = sums.get(t.split(b" ")[0], 0) + df
        assert len(sums) > 100
        assert {w: side.margin("text_bi", w) for w in sums} == sums
    finally:
        view.close()
    # The merged documents in the merged segment's order, written by one bulk write (a field's
    # lists at once: this data is far below the default slab).
    monkeypatch.setattr(merging, "SLAB", _DEFAULT_SLAB)
    one = tmp_path / "one"
    one.mkdir()
    single = WritableIndex(one, create=True, merge_tier=0)
    try:
        single.write(_docs([by_id[f["id"]] for f in _stored(folder)]))
    finally:
        single.close()
    merged, written = _parts(folder), _parts(one)
    assert len(merged[SIDE_EXT]) > 10_000
    assert merged == written


def _early_merge_index(folder: Path, objs: list[dict[str, Any]]) -> WritableIndex:
    """Two commits of 40 in two processes under a tier of 60: the third merges them (80 ≥ 60)."""
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=60)
    docs = _docs(objs[:80])
    index.write(docs[0:40], procs=2)
    index.write(docs[40:80], procs=2)
    return index


def test_a_tier_merges_in_a_process_of_its_own_and_keeps_the_deletions_made_meanwhile(
    tmp_path: Path,
) -> None:
    """Two processes: the tier's merge starts when the writer opens, in a process of its own,
    while the commit replaces (update_document) and deletes articles of the merged segments:
    those deletions are carried over to the merged segment, renumbered (80 documents, 75 live:
    a merge at commit would have dropped them); the index holds what one bulk write of the
    survivors holds."""
    objs = _objs(copies=2)
    ids = [o["id"] for o in objs]
    folder = tmp_path / "ix"
    index = _early_merge_index(folder, objs)
    try:
        changed = [dict(objs[k], body=objs[k]["body"][:400] + " đã sửa") for k in (2, 45, 79)]
        gone = {ids[0], ids[41]}
        index.write(_docs(changed + objs[80:117]), delete_ids=sorted(gone), procs=2)
    finally:
        index.close()
    assert sorted(_sizes(folder)) == [(40, 40), (80, 75)]
    by_id = {o["id"]: o for o in objs[:117] if o["id"] not in gone} | {c["id"]: c for c in changed}
    _assert_holds(tmp_path / "one", folder, list(by_id.values()))


def _assert_holds(one: Path, folder: Path, objs: list[dict[str, Any]]) -> None:
    """The index in `folder` holds what one bulk write of `objs` holds (postings, stored)."""
    one.mkdir()
    single = WritableIndex(one, create=True, merge_tier=0)
    try:
        single.write(_docs(objs))
    finally:
        single.close()
    expected, got = _index_by_id(one), _index_by_id(folder)
    assert len(expected[0]) > 5_000
    assert got == expected
    assert sorted(_stored(folder), key=lambda f: f["id"]) == sorted(
        _stored(one), key=lambda f: f["id"]
    )


def _held_merge(gate: Path) -> Any:
    """MergedSegment.__init__ that waits (in the merging process) until `gate` exists."""
    original = merging.MergedSegment.__init__

    def held(self: Any, *args: Any, **kwargs: Any) -> None:
        while not gate.exists():
            time.sleep(0.02)
        original(self, *args, **kwargs)

    return held


def test_a_tier_merge_spans_later_writes_and_is_collected_when_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tier's merge still running when its write commits: that commit and the next one keep
    its segments (and the files it is writing: Whoosh cleans away every segment file its table
    of contents does not name), the next write replaces and deletes articles in them, and no
    second merge starts on them; close() waits for it and commits it with those deletions
    carried over. The index holds what one bulk write of the survivors holds."""
    objs = _objs(copies=2)
    ids = [o["id"] for o in objs]
    folder = tmp_path / "ix"
    gate = tmp_path / "gate"
    monkeypatch.setattr(merging.MergedSegment, "__init__", _held_merge(gate))
    index = _early_merge_index(folder, objs)
    try:
        index.write(_docs(objs[80:100]), procs=2)  # starts the merge of the two 40s, held
        (running,) = index._merges
        assert sorted(_sizes(folder)) == [(20, 20), (40, 40), (40, 40)]
        assert _niceness(running.task.pid) == _niceness(0)  # before the indexing processes
        changed = [dict(objs[k], body=objs[k]["body"][:400] + " đã sửa") for k in (3, 50)]
        index.write(_docs(changed + objs[100:110]), delete_ids=[ids[7]], procs=2)
        assert index._merges == [running]  # not collected, no second merge of its segments
        assert sorted(_sizes(folder)) == [(12, 12), (20, 20), (40, 38), (40, 39)]
        files = [f for f in os.listdir(folder) if running.segment_id() in f]
        assert files, "the merge's files were cleaned away by a commit"
    finally:
        gate.touch()
        index.close()
    assert sorted(_sizes(folder)) == [(12, 12), (20, 20), (80, 77)]
    survivors = {o["id"]: o for o in objs[:110] if o["id"] != ids[7]}
    survivors |= {c["id"]: c for c in changed}
    _assert_holds(tmp_path / "one", folder, list(survivors.values()))


def _niceness(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_indexing_processes_give_way_to_their_parent_and_the_merges(tmp_path: Path) -> None:
    """The indexing processes run INDEXING_NICE nicer than the process feeding them (and the
    merges it starts, above): an import's last merge, which it waits for, runs first."""
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True)
    kwargs = index._writer_args()
    writer = workers.BulkMpWriter(index._ix, procs=2, multisegment=True, batchsize=10, **kwargs)
    try:  # the workers start with the first batches
        for doc in _docs(_objs())[:30]:
            writer.add_document(**doc)
        assert len(writer.tasks) == 2
        deadline = time.monotonic() + 20
        wanted = _niceness(0) + workers.INDEXING_NICE
        while {_niceness(t.pid) for t in writer.tasks} != {wanted}:
            assert time.monotonic() < deadline, [_niceness(t.pid) for t in writer.tasks]
            time.sleep(0.05)
    except BaseException:
        writer.cancel()
        index.close()
        raise
    try:
        writer.commit()
    finally:
        index.close()
    assert sum(n for n, _ in _sizes(folder)) == 30


def test_a_merging_process_killed_mid_merge_is_logged_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The tier's merging process SIGKILLed once it has copied the stored fields and starts
    on the lists: the write's documents are committed, the merged segments stay as they were
    (logged), and the next write merges them."""
    objs = _objs(copies=2)
    folder = tmp_path / "ix"
    index = _early_merge_index(folder, objs)

    def killed(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with monkeypatch.context() as mp, caplog.at_level("ERROR", "indexer.whoosh_seam.writer"):
        mp.setattr(merging.MergedSegment, "__init__", killed)
        try:
            index.write(_docs(objs[80:90]), procs=2)
        finally:
            index.close()
    assert re.search(r"merging process .* died .*signal 9.* stay as they are", caplog.text)
    assert sorted(_sizes(folder)) == [(10, 10), (40, 40), (40, 40)]
    _assert_holds(tmp_path / "ninety", folder, objs[:90])
    index = WritableIndex(folder, merge_tier=60)
    try:
        index.write(_docs(objs[90:95]), procs=2)
    finally:
        index.close()
    assert sorted(_sizes(folder)) == [(5, 5), (90, 90)]
    _assert_holds(tmp_path / "one", folder, objs[:95])


def test_inlined_lists_are_parsed_in_bulk_or_left_to_pickle() -> None:
    """tablescan reads whoosh3's inlined pickles (ids of 1, 2 and 4 bytes, tuples of 1 to 4
    postings, values or none) with NumPy; any other layout (a list, another protocol, more
    postings) is marked unparsed and pickle.loads reads it."""
    lists = [
        ((5,), (1.0,), (b"\0\0\0\1",)),
        ((300, 70000), (2.0, 1.5), ()),
        ((1, 2, 3), (1.0, 1.0, 3.0), (b"\0\0\0\1", b"\0\0\0\1", b"\0\0\0\3")),
        ((0, 255, 256, 2**31 - 1), (1.0, 2.0, 3.0, 4.0), ()),
    ]
    odd = [
        pickle.dumps(([7], (1.0,), ()), 2),
        pickle.dumps(((7, 8), (1.0, 2.0), ()), 4),
        pickle.dumps(((1, 2, 3, 4, 5), (1.0,) * 5, ()), 2),
        pickle.dumps(((9,), (1,), ()), 2),
    ]
    raw = [pickle.dumps(x, 2) for x in lists] + odd
    df = [1, 2, 3, 4, 1, 2, 5, 1]
    heads = np.zeros(len(raw), dtype=tablescan.HEAD)
    heads["inlined"], heads["df"] = 1, df
    tails = np.cumsum([0] + [len(r) for r in raw])
    entries = tablescan.Entries(
        [b"t%d" % i for i in range(len(raw))], heads, b"".join(raw), tails[:-1], np.diff(tails)
    )
    parsed, ids, weights = tablescan.inlined(entries, np.arange(len(raw)))
    assert parsed.tolist() == [True] * 4 + [False] * 4
    for i, (list_ids, list_weights, _) in enumerate(lists):
        assert ids[i, : df[i]].tolist() == list(list_ids)
        assert weights[i, : df[i]].tolist() == list(list_weights)
        assert not ids[i, df[i] :].any()
    for i in range(4, len(raw)):
        got_ids, got_weights = tablescan.inlined_list(entries, i)
        assert got_ids.tolist() == list(pickle.loads(raw[i])[0])
        assert got_weights.tolist() == [float(w) for w in pickle.loads(raw[i])[1]]
