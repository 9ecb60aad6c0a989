"""Which documents a short query's accepted forms hold: the relevance rule of the short sets.

The text of a document is its title and body, normalised by the bench's own rules (NFC, one
tone-placement style so hoà = hòa, runs of spaces and tabs as one space; title and body on
separate lines). Every short query stores its *accepted forms*; a document is relevant when it
holds at least one of them:

- a phrase `dân vận` (syllables, lower case): held when the syllables occur adjacent and in this
  order, separated by single spaces only (one clause: no punctuation or line break between them),
  with no letter or digit glued to either end; compared lower-case, diacritics as written in the
  form (`dân vận` ≠ `dân vẫn`);
- a phrase may hold punctuation written as part of it (`kinh tế - xã hội`): it must then occur
  exactly so, spaces included;
- a phrase with an abbreviation slot `[UBND] tỉnh`: the bracketed part is matched as written,
  case-sensitive, standing alone (no letter, digit, `-` or `/` attached, so `45/QĐ-UBND` and
  `05-CT/HU` do not hold UBND or HU); the other syllables as above, in the same clause;
- a document number `#224`, `#224 qd`, `#12/2005`: held when the document contains a full
  document number (`DOCNUM_RE`: `224/QĐ-UBND`, `12/2005/NĐ-CP`, `05-CT/TW`) whose number is 224
  as an integer and, when given, whose first letter code folds to `qd` (QĐ, Qđ, QD) and whose year
  is 2005. A bare 224 elsewhere (a phone number, a sum) is not a document number.

Which forms a query accepts is decided when the sets are generated (bench.quality.short) and
stored in the query file, so scoring needs no word list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.quality.corpus import Doc
from bench.quality.text import WORD, canon_case, find_docnums, fold

_FORM_PART = re.compile(r"\[([^\]]+)\]|(\S+)")
_DOCNUM_FORM = re.compile(r"#(\d+)(?:/(\d{4}))?(?: (\S+))?$")
_YEAR = re.compile(r"(?:19|20)\d\d$")


@dataclass(frozen=True)
class DocNumber:
    """A document number's parts: 12/2005/NĐ-CP → (12, 2005, 'nd')."""

    number: int
    year: int | None
    type: str  # the first letter code, folded and lower-cased ('' if none)


def parse_docnum(raw: str) -> DocNumber:
    parts = [p for p in re.split(r"[/\-–]", raw) if p]
    number = int(parts[0])
    year = int(parts[1]) if len(parts) > 1 and _YEAR.match(parts[1]) else None
    letters = [p for p in parts[1:] if not p.isdigit()]
    code = re.match(r"[^\W\d_]+", letters[0]) if letters else None
    return DocNumber(number, year, fold(code.group(0)).lower() if code else "")


def form_regex(form: str) -> re.Pattern[str]:
    """The pattern a phrase form (possibly with [ABBR] slots) is found by, in canon_case text."""
    parts = []
    for m in _FORM_PART.finditer(form):
        if m.group(1) is not None:
            parts.append((True, re.escape(m.group(1))))
        else:
            parts.append((False, "(?i:" + re.escape(m.group(2)) + ")"))
    body = " ".join(p for _, p in parts)
    head = r"(?<![\w/\-])" if parts[0][0] else r"(?<!\w)"
    tail = r"(?![\w/\-])" if parts[-1][0] else r"(?!\w)"
    return re.compile(head + body + tail)


def _form_words(form: str) -> tuple[list[str], list[str]]:
    """(lower-case syllables, abbreviations as written) of a phrase form."""
    sylls, abbrs = [], []
    for m in _FORM_PART.finditer(form):
        if m.group(1) is not None:
            abbrs.append(m.group(1))
        else:
            sylls += WORD.findall(m.group(2).lower())
    return sylls, abbrs


class Judge:
    """Relevant documents for accepted forms, over one corpus sample."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.ids = [d.id for d in docs]
        self.texts = [canon_case(d.title + "\n" + d.body) for d in docs]
        self.lower = [t.lower() for t in self.texts]
        self.numbers: dict[int, list[tuple[int, DocNumber]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for raw in find_docnums(d.title + "\n" + d.body):
                n = parse_docnum(raw)
                self.numbers[n.number].append((i, n))
        self._by_syll: dict[str, list[int]] = {}
        self._by_abbr: dict[str, set[int]] = {}

    def index(self, forms: Iterable[str]) -> None:
        """Index the syllables these forms need (one pass over the corpus for all of them)."""
        need = set()
        for f in forms:
            if not f.startswith("#"):
                need.update(_form_words(f)[0])
        need -= self._by_syll.keys()
        if not need:
            return
        found: dict[str, list[int]] = {s: [] for s in need}
        for i, t in enumerate(self.lower):
            for s in need.intersection(WORD.findall(t)):
                found[s].append(i)
        self._by_syll.update(found)

    def holders(self, form: str) -> set[int]:
        """Indexes of the documents holding one accepted form."""
        if form.startswith("#"):
            m = _DOCNUM_FORM.match(form)
            if not m:
                raise ValueError(f"bad document-number form: {form!r}")
            number, year, code = int(m.group(1)), m.group(2), m.group(3)
            return {
                i
                for i, n in self.numbers.get(number, [])
                if (year is None or n.year == int(year)) and (code is None or n.type == code)
            }
        sylls, abbrs = _form_words(form)
        self.index([form])
        if sylls:
            cands = set.intersection(*(set(self._by_syll[s]) for s in sylls))
        else:
            cands = set(range(len(self.texts)))
        pat = form_regex(form)
        if abbrs:  # case matters: search the text as written
            for a in abbrs:
                if a not in self._by_abbr:
                    self._by_abbr[a] = {i for i, t in enumerate(self.texts) if a in t}
                cands &= self._by_abbr[a]
            return {i for i in cands if pat.search(self.texts[i])}
        # A plain find first; the regex (which adds the word edges) starts where it found it.
        phrase = form.lower()
        out = set()
        for i in cands:
            at = self.lower[i].find(phrase)
            if at >= 0 and pat.search(self.lower[i], at):
                out.add(i)
        return out

    def relevant(self, forms: Iterable[str]) -> list[str]:
        """Ids of the documents holding any of the forms, sorted."""
        held: set[int] = set()
        for f in forms:
            held |= self.holders(f)
        return sorted(self.ids[i] for i in held)
