"""Whoosh analysis on top of indexer.text: Tokenizer | Filter | Filter, and a fast field type.

Whoosh pickles analyzers and field types into the index, so these classes must keep this import
path (indexer.analysis); a change to what they emit needs a new SCHEMA_VERSION and a rebuild.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.fields import KEYWORD, TEXT
from whoosh.system import pack_uint

from indexer import mapping
from indexer import text as vt

# The four token streams of one text; VnText fields name one of them.
KINDS = ("tokens", "folded", "bigrams", "folded_bigrams")
# Keys found in a whole text: partial document numbers, abbreviations written in capitals.
DERIVED = {
    mapping.NUMBER_FIELD: mapping.number_parts,
    mapping.CAPS_FIELD: mapping.capital_abbreviations,
}


class _PieceTokenizer(Tokenizer):  # type: ignore[misc]
    """A Whoosh tokenizer over pieces(): (text, start, end, clause) of each token of a value."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end, clause) in enumerate(self.pieces(value)):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            t.clause = clause
            if keeporiginal:
                t.original = value[start:end] if end > start else text
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class SyllableTokenizer(_PieceTokenizer):
    """Vietnamese syllables, whole document numbers and dates, lower-cased and tone-normalized."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        for span in vt.spans(vt.canonical(value)):
            yield span.text, span.start, span.end, span.clause


class FoldFilter(Filter):  # type: ignore[misc]
    """Removes diacritics (đ→d): 'dân vận' and 'dan van' meet here."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = vt.fold(t.text)
            yield t


class BigramFilter(Filter):  # type: ignore[misc]
    """Joins adjacent tokens of one clause into 'a b' terms (compound words, near-phrases)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        prev_text: str | None = None
        prev_clause = -1
        for t in tokens:
            text, clause = t.text, getattr(t, "clause", 0)
            if prev_text is not None and clause == prev_clause:
                t.text = f"{prev_text} {text}"
                yield t
            prev_text, prev_clause = text, clause


def analyzer_for(kind: str) -> Any:
    """The Whoosh analyzer that emits one of KINDS."""
    if kind == "tokens":
        return SyllableTokenizer()
    if kind == "folded":
        return SyllableTokenizer() | FoldFilter()
    if kind == "bigrams":
        return SyllableTokenizer() | BigramFilter()
    if kind == "folded_bigrams":
        return SyllableTokenizer() | FoldFilter() | BigramFilter()
    raise ValueError(f"unknown token kind {kind!r}")


class VnText(TEXT):  # type: ignore[misc]
    """A scorable text field (frequencies, no positions) over one of the four token streams.

    index() reads the cached indexer.text.analyze() result instead of running the Token
    pipeline: the text is tokenized once per document for all fields that share it, and
    counting plain strings is several times faster than Whoosh's per-Token objects. The
    analyzer stays attached (and must emit the same terms) for anything else that asks.
    """

    def __init__(self, kind: str, field_boost: float = 1.0, stored: bool = False) -> None:
        super().__init__(
            analyzer=analyzer_for(kind), phrase=False, field_boost=field_boost, stored=stored
        )
        self.kind = kind

    def term_counts(self, value: str) -> Counter[str]:
        """Each term of the value and its frequency, in order of first occurrence.

        index() yields (term as UTF-8, freq, freq × field_boost, pack_uint(freq)) for each:
        the seam's bulk writer builds those from these counts, a field at a time.
        """
        return Counter(getattr(vt.analyze(value), self.kind))

    def index(self, value: str, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        fb = self.format.field_boost
        for term, freq in self.term_counts(value).items():
            yield term.encode("utf-8"), freq, freq * fb, pack_uint(freq)


class DerivedTokenizer(_PieceTokenizer):
    """The keys one of DERIVED finds in a whole text (one token per occurrence, in order)."""

    def __init__(self, kind: str) -> None:
        if kind not in DERIVED:
            raise ValueError(f"unknown derived kind {kind!r}")
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash((type(self), self.kind))

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        # A key is not a span of the text (e.g. '224' of '0224/QĐ-UBND'): no characters.
        for key in DERIVED[self.kind](value):
            yield key, 0, 0, 0


class DerivedKeys(KEYWORD):  # type: ignore[misc]
    """A scorable keyword field whose value is a whole text (the body) and whose terms are the
    keys found in it (DERIVED): found in the process that indexes the document, from the same
    cached indexer.text.analyze() result its text fields use, not in the process reading
    articles (which would analyze every body once more)."""

    def __init__(self, kind: str) -> None:
        super().__init__(scorable=True, analyzer=DerivedTokenizer(kind))
        self.kind = kind

    def term_counts(self, value: str) -> Counter[str]:
        """Each key of the text and its frequency, in order of first occurrence."""
        return Counter(DERIVED[self.kind](value))

    def index(self, value: str, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        fb = self.format.field_boost
        for term, freq in self.term_counts(value).items():
            yield term.encode("utf-8"), freq, freq * fb, pack_uint(freq)
