"""The Whoosh seam: the only code that knows how Whoosh lays out an index, on disk or in objects.

tracuu keeps Whoosh's index format (whoosh-reloaded 2.7.5, pinned) but reads and writes its hot
paths itself. Everything private to Whoosh — file layouts, codec and writer internals — is here,
behind this surface:

    IndexView(folder)          one generation, read-only: postings(field, text) → (ids, weights,
                               doc_frequency) as arrays, doc_frequencies(field, texts) from an
                               in-memory term table, lengths(field), dates(), live_docs(),
                               stored_fields(docnum), terms(field, prefix, limit) with doc
                               frequencies; reopen() for the next generation (unchanged
                               segments are kept)
    WritableIndex(folder)      write(docs, delete_ids, procs): the bulk segment writer, in one or
                               several processes, with the inlining codec; all or nothing
    date_value(datetime)       the number dates() holds for a datetime
    index_exists(folder)
    open_index(folder)         the Whoosh index object, for Whoosh's public API only (tests)
    InliningCodec              the codec pickled into indexes (also importable as indexer.codec)

Nothing here patches Whoosh: the codec and writers are subclasses, storage is opened without
memory maps. tests/indexer/test_whoosh_seam.py checks this surface against Whoosh's public API
on a small index (postings, weights, doc frequencies, lengths, dates, BM25F scores): a Whoosh
that lays files out differently fails there, and here with IndexFormatError, never as empty
results. Modules: files (segment parts, pread), terms (term table, posting lists), segment (one
segment's arrays), view, storage, codec, writer (BulkWriter, WritableIndex), pool (a segment's
postings in memory, as arrays), termfile (posting lists and term infos, as whoosh3 writes them),
tablefile (the term table's hash file).
"""

from indexer.whoosh_seam.codec import InliningCodec
from indexer.whoosh_seam.segment import date_value
from indexer.whoosh_seam.storage import index_exists, open_index
from indexer.whoosh_seam.view import IndexView, Postings
from indexer.whoosh_seam.writer import WritableIndex

__all__ = [
    "IndexView",
    "InliningCodec",
    "Postings",
    "WritableIndex",
    "date_value",
    "index_exists",
    "open_index",
]
