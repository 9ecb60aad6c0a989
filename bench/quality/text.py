"""The bench's own Vietnamese text rules, independent of tracuu's (so a tokenizer bug shows up)."""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
WORD = re.compile(r"[^\W_]+")
LETTERS = re.compile(r"[^\W\d_]+")
_HSPACE = re.compile(r"[^\S\n]+")


def fold(text: str) -> str:
    """No diacritics, đ→d (keeps case)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize(
        "NFC",
        "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)),
    )


def has_diacritics(text: str) -> bool:
    return fold(text) != unicodedata.normalize("NFC", text)


def _tone_of(ch: str) -> tuple[str, str]:
    d = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in d if c in _TONES)
    bare = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
    return bare, tone


def tone_style(word: str, style: str) -> str:
    """Put the tone of an open oa/oe/uy syllable on the first ('old', hòa) or the second vowel
    ('new', hoà); any other word is returned as it is (quý, hoàn, khuỷu are never touched)."""
    f = fold(word).lower()
    if len(word) < 2 or not f.endswith(("oa", "oe", "uy")) or f[:-2].endswith("q"):
        return word
    (b1, t1), (b2, t2) = _tone_of(word[-2]), _tone_of(word[-1])
    tone = t1 + t2
    if not tone:
        return word
    if style == "old":
        pair = unicodedata.normalize("NFC", b1 + tone) + b2
    else:
        pair = b1 + unicodedata.normalize("NFC", b2 + tone)
    return word[:-2] + pair


def swappable(word: str) -> bool:
    return tone_style(word, "old") != tone_style(word, "new")


def swap_tones(text: str) -> str:
    """Every oa/oe/uy syllable written in the other tone-placement style."""

    def one(m: re.Match[str]) -> str:
        w = m.group(0)
        old = tone_style(w, "old")
        return tone_style(w, "new") if old == w else old

    return LETTERS.sub(one, text)


def _letters_folding_to(*bases: str) -> str:
    """Every precomposed letter (any case) whose fold is one of bases."""
    out = [
        chr(i)
        for i in range(0x41, 0x1FFF)
        if chr(i).isalpha() and fold(chr(i)).lower() in bases and len(fold(chr(i))) == 1
    ]
    return "".join(out)


# Only words ending in an o/u + a/e/y pair can change tone style: the rest skip the Python call.
_OA_OE_UY = re.compile(
    rf"(?<![^\W\d_])[^\W\d_]*(?:[{_letters_folding_to('o')}][{_letters_folding_to('a', 'e')}]"
    rf"|[{_letters_folding_to('u')}][{_letters_folding_to('y')}])(?![^\W\d_])"
)


def canon_case(text: str) -> str:
    """NFC, one tone style, runs of spaces/tabs as one space; case kept."""
    text = unicodedata.normalize("NFC", text)
    text = _OA_OE_UY.sub(lambda m: tone_style(m.group(0), "old"), text)
    return _HSPACE.sub(" ", text)


def canon(text: str) -> str:
    """NFC, one tone style, lower case: what 'the same text' means for relevance."""
    text = unicodedata.normalize("NFC", text)
    return _OA_OE_UY.sub(lambda m: tone_style(m.group(0), "old"), text).lower()


def norm_tokens(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(canon(text)))


# Official document numbers: 12/2005/NĐ-CP, 123/QĐ-UB, 05-CT/TW, 08/2003/CTTg, 35/2005/QH11.
_PART = r"[A-ZĐ]+(?:g)?\d{0,2}"
DOCNUM_RE = re.compile(
    rf"(?<![\w/.\-–])\d{{1,5}}(?:/\d{{4}})?[/\-–]{_PART}(?:[\-–/]{_PART})*(?![\w/\-–])"
)


def find_docnums(text: str) -> list[str]:
    return [
        m.group(0)
        for m in DOCNUM_RE.finditer(unicodedata.normalize("NFC", text))
        if len(re.findall(r"[/\-–]", m.group(0))) >= 2
    ]


def docnum_key(raw: str) -> str:
    return fold(unicodedata.normalize("NFC", raw)).lower().replace("–", "-")
