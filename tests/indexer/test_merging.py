"""Merges of segments: lists read as arrays, deletions dropped, and the tiered merge policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from indexer.document import Article
from indexer.errors import ConfigError
from indexer.mapping import index_document
from indexer.whoosh_seam.merging import TIER, tier_size
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


def test_the_parent_merges_while_the_workers_write(tmp_path: Path) -> None:
    """Two processes: the parent merges the small segments of earlier commits into its own
    segment while the workers write theirs; the index holds what one bulk write holds."""
    docs = _docs(_objs(copies=3))  # 213 documents: 3 commits of 71, each a segment per worker
    folder = tmp_path / "ix"
    folder.mkdir()
    index = WritableIndex(folder, create=True, merge_tier=100)
    try:
        for start in range(0, len(docs), 71):
            index.write(docs[start : start + 71], procs=2)
        sizes = sorted(n for n, _ in _sizes(folder))
    finally:
        index.close()
    one = tmp_path / "one"
    one.mkdir()
    single = WritableIndex(one, create=True, merge_tier=100)
    try:
        single.write(docs)
    finally:
        single.close()
    # A commit of 71 documents: workers take batches of 100, so one worker segment each;
    # the third commit merges the first two (142 ≥ 100) beside its own new segment.
    assert sizes == [71, 142]
    assert _index_by_id(folder) == _index_by_id(one)


def test_the_tier_comes_from_the_environment_for_benchmarks() -> None:
    assert tier_size({}) == TIER
    assert tier_size({"TRACUU_MERGE_TIER": "10000"}) == 10_000
    assert tier_size({"TRACUU_MERGE_TIER": "0"}) == 0
    with pytest.raises(ConfigError):
        tier_size({"TRACUU_MERGE_TIER": "many"})
