"""Pre-Unicode Vietnamese font encodings (TCVN3/ABC, VNI-Windows): detect and convert to Unicode.

Old portal pages typed in .VnTime or VNI-Times fonts arrive as windows-1252 text such as
'Thµnh phè' (TCVN3) or 'Thaønh phoá' (VNI). No maintained PyPI package converts them, so the
tables are built here from the published code charts.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from importlib import resources

log = logging.getLogger(__name__)

# TCVN3 (ABC) code points, seen through windows-1252, for each lower-case letter. Capital
# toned letters live in a separate "H" font at the same code points, so they read lower-case.
_TCVN3_LOWER = (
    "àµ á¸ ả¶ ã· ạ¹ ă¨ ằ» ắ¾ ẳ¼ ẵ½ ặÆ â© ầÇ ấÊ ẩÈ ẫÉ ậË đ® èÌ éÐ ẻÎ ẽÏ ẹÑ êª ềÒ ếÕ ểÓ ễÔ ệÖ "
    "ì× íÝ ỉØ ĩÜ ịÞ òß óã ỏá õâ ọä ô« ồå ốè ổæ ỗç ộé ơ¬ ờê ớí ởë ỡì ợî ùï úó ủñ ũò ụô "
    "ư\u00ad ừõ ứø ửö ữ÷ ựù ỳú ýý ỷû ỹü ỵþ Ă¡ Â¢ Đ§ Ê£ Ô¤ Ơ¥ Ư¦"
)
TCVN3_TO_UNICODE: dict[str, str] = {pair[1]: pair[0] for pair in _TCVN3_LOWER.split()}

# VNI-Windows writes a base letter followed by mark characters (windows-1252 glyphs).
_VNI_TONE = {"\u0301": "ùÙ", "\u0300": "øØ", "\u0309": "ûÛ", "\u0303": "õÕ", "\u0323": "ïÏ"}
_VNI_CIRCUMFLEX = {"": "âÂ", "\u0301": "áÁ", "\u0300": "àÀ", "\u0309": "åÅ", "\u0303": "ãÃ",
                   "\u0323": "äÄ"}
_VNI_BREVE = {"": "êÊ", "\u0301": "éÉ", "\u0300": "èÈ", "\u0309": "úÚ", "\u0303": "üÜ",
              "\u0323": "ëË"}
# Letters VNI stores as one character: i with tones, ơ, ư, ỵ, đ.
_VNI_SINGLE = {"í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ơ": "ô", "ư": "ö", "ỵ": "î",
               "đ": "ñ"}


def _vni_encode(ch: str) -> str | None:
    """The VNI-Windows spelling of one Vietnamese letter, or None when it is plain ASCII."""
    upper = ch.isupper()
    low = ch.lower()
    if low in _VNI_SINGLE:
        code = _VNI_SINGLE[low]
        return code.upper() if upper else code
    nfd = unicodedata.normalize("NFD", low)
    base, marks = nfd[0], nfd[1:]
    tone = "".join(m for m in marks if m in _VNI_TONE)
    shape = "".join(m for m in marks if m not in _VNI_TONE)
    if len(tone) > 1 or len(shape) > 1:
        return None  # not a Vietnamese letter (ṍ, ǖ...)
    case = 1 if upper else 0
    base_out = base.upper() if upper else base
    if shape == "\u0302" and base in "aeo":
        return base_out + _VNI_CIRCUMFLEX[tone][case]
    if shape == "\u0306" and base == "a":
        return base_out + _VNI_BREVE[tone][case]
    if shape == "\u031b" and base in "ou":  # horn: ơ/ư are single characters, the tone follows
        horn = _VNI_SINGLE[unicodedata.normalize("NFC", base + shape)]
        return (horn.upper() if upper else horn) + (_VNI_TONE[tone][case] if tone else "")
    if not shape and tone and base in "aeouy":
        return base_out + _VNI_TONE[tone][case]
    return None


def _vietnamese_letters() -> list[str]:
    letters = ["đ", "Đ"]
    for cp in range(0x00C0, 0x1EFA):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0].lower()
        if ch.isalpha() and base in "aeiouy" and ch.lower() != base:
            letters.append(ch)
    return letters


@lru_cache(maxsize=1)
def _vni_table() -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    for ch in _vietnamese_letters():
        code = _vni_encode(ch)
        if code is not None:
            table.setdefault(code, ch)
    keys = sorted(table, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))), table


def vni_to_unicode(text: str) -> str:
    """Convert VNI-Windows text (decoded as windows-1252) to NFC Unicode."""
    pattern, table = _vni_table()
    return pattern.sub(lambda m: table[m.group(0)], text)


_TCVN3_RE = re.compile("[" + re.escape("".join(TCVN3_TO_UNICODE)) + "]")


def tcvn3_to_unicode(text: str) -> str:
    """Convert TCVN3 (ABC) text (decoded as windows-1252) to NFC Unicode."""
    return _TCVN3_RE.sub(lambda m: TCVN3_TO_UNICODE[m.group(0)], text)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    text = resources.files("indexer").joinpath("data/syllables.txt").read_text("utf-8")
    return frozenset(unicodedata.normalize("NFC", s.strip()) for s in text.split() if s.strip())


_WORD = re.compile(r"[^\W\d_]+")


def _valid_ratio(text: str) -> tuple[float, int]:
    """Share of non-ASCII words that are Vietnamese syllables, and how many words were seen."""
    sylls = _syllables()
    words = [w.lower() for w in _WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0, 0
    return sum(w in sylls for w in words) / len(words), len(words)


CONVERTERS = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}


def detect_legacy(text: str) -> str | None:
    """'tcvn3' or 'vni' when the text is clearly in that legacy encoding, else None."""
    sample = unicodedata.normalize("NFC", text[:200_000])
    before, seen = _valid_ratio(sample)
    if seen < 5 or before > 0.9:
        return None
    best, best_ratio = None, before
    for name, convert in CONVERTERS.items():
        ratio, _ = _valid_ratio(convert(sample))
        if ratio > best_ratio:
            best, best_ratio = name, ratio
    if best is not None and best_ratio >= 0.8 and best_ratio - before >= 0.3:
        return best
    if best is not None and best_ratio > before + 0.1:
        log.warning("text may be in legacy %s encoding (%.2f→%.2f valid words); left as is",
                    best, before, best_ratio)
    return None
