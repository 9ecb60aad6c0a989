"""The Whoosh schema of a tracuu index: its fields and their analyzers.

Bump indexer.mapping.SCHEMA_VERSION whenever a field or what an analyzer emits changes: an
index built with another version is refused until `tracuu index rebuild` has run.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, Schema

from indexer.analysis import DerivedKeys, VnText
from indexer.mapping import CAPS_FIELD, NUMBER_FIELD, SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "build_schema"]

# Field boosts: a word in the title weighs more than one in the body; an exact (accented) match
# more than a folded one; an adjacent pair (compound word) more than its two syllables apart.
# Query-side weights live in search/weights.py. Body bigrams are indexed exact only (a second,
# folded copy would be the largest posting lists of the index): a query's folded pair is
# expanded to the exact pairs the index holds (search/vocab.py).
TITLE_FIELDS = ("title", "title_f", "title_bi", "title_bi_f")
TEXT_FIELDS = ("text", "text_f", "text_bi")
KIND_OF = {
    "title": "tokens",
    "title_f": "folded",
    "title_bi": "bigrams",
    "title_bi_f": "folded_bigrams",
    "text": "tokens",
    "text_f": "folded",
    "text_bi": "bigrams",
}
STORED_FIELDS = (
    "url",
    "site",
    "published",
    "author",
    "category",
    "doc_type",
    "doc_number",
    "issuer",
    "signed",
    "files",
)


def build_schema() -> Schema:
    """A fresh schema object (field types are pickled into the index)."""
    fields = {name: VnText(KIND_OF[name]) for name in TITLE_FIELDS + TEXT_FIELDS}
    fields["title"] = VnText("tokens", stored=True)
    return Schema(
        id=ID(stored=True, unique=True),
        site_key=ID,
        category_key=ID,
        doc_type_key=ID,
        issuer_key=ID,
        kind_key=ID,
        year_key=ID,
        signed_key=ID,  # signed date as YYYYMMDD (the facets' arrays sort by it)
        number_key=KEYWORD,  # indexer.officialdoc.number_key of the document's number
        file_sha=KEYWORD,  # SHA-256 of each attached file (the archive finds its page)
        date=DATETIME(sortable=True),
        meta=STORED,
        # Keys found in the body where the document is indexed (issue 11): partial document
        # numbers ('224', '224/qd'), and HU, TU, ĐU written in capitals.
        **{NUMBER_FIELD: DerivedKeys(NUMBER_FIELD)},
        **{CAPS_FIELD: DerivedKeys(CAPS_FIELD)},
        **fields,
    )
