"""Accepted forms for a query typed by hand (`--probe`), by the short sets' relevance rule.

The shape of the text picks the rule: a partial document number (224/QĐ, QĐ 224, quyết định 224,
số 224, 224, 12/2005), an abbreviation alone or before words (UBND, ubnd, UBND tỉnh) or an
expansion (huyện ủy), otherwise a phrase: as typed when it carries diacritics, else any accenting
that is a content word of the word list (short_folded's rule).
"""

from __future__ import annotations

import re

from bench.quality.short import DOC_TYPES, _abbrev_groups, abbrev_forms, is_content, with_words
from bench.quality.text import canon, fold, has_diacritics

_NUM_SLASH = re.compile(r"(\d+)/(\d{4}|[^\W\d_]+)")
_WORDS_NUM = re.compile(r"(.+?) (\d+)")


def _type_code(words: str) -> str | None:
    """'qd', 'quyết định', 'quyet dinh' → 'qd' (a known document type), else None."""
    key = fold(canon(words))
    for code, name in DOC_TYPES.items():
        if key in (fold(code).lower(), fold(name)):
            return fold(code).lower()
    return None


def infer_forms(text: str, words: set[str] | None) -> tuple[str, list[str]]:
    """(the rule used, its accepted forms) for a query; no forms when none can be said."""
    q = " ".join(text.replace('"', " ").split())
    if re.fullmatch(r"\d+", q):
        return "short_docnum", [f"#{int(q)}"]
    if m := _NUM_SLASH.fullmatch(q):
        if m.group(2).isdigit():
            return "short_docnum", [f"#{int(m.group(1))}/{m.group(2)}"]
        code = _type_code(m.group(2))
        return "short_docnum", [f"#{int(m.group(1))} {code}"] if code else []
    if m := _WORDS_NUM.fullmatch(q):
        if fold(m.group(1)).lower() == "so":
            return "short_docnum", [f"#{int(m.group(2))}"]
        code = _type_code(m.group(1))
        if code:
            return "short_docnum", [f"#{int(m.group(2))} {code}"]
    first, _, rest = q.partition(" ")
    # Lower case means the abbreviation only where it is not also a syllable (hu: hư, hủ).
    syllables = {fold(w) for w in words or () if " " not in w}
    for abbrs, exps in _abbrev_groups():
        slot = abbrev_forms(abbrs, exps)
        low = fold(abbrs[0]).lower()
        if first in abbrs or (words is not None and first == low and low not in syllables):
            return "short_abbrev", with_words(slot, canon(rest)) if rest else slot
        if canon(q) in (canon(e) for e in exps):
            return "short_abbrev", slot
    if has_diacritics(q):
        return "short_exact", [canon(q)]
    if words is None:
        return "short_folded", []
    key = fold(q).lower()
    return "short_folded", sorted(w for w in words if fold(w) == key and is_content(w))
