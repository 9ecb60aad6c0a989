"""The text of one attachment page, cleaned: pure functions shared by text layers and OCR.

A page's text comes hard-wrapped (PDF lines, OCR lines), hyphenated at line ends ("K-\\nrông"),
in any Unicode form and tone style. Cleaning joins wrapped lines back into paragraphs (the index
reads a line break as a clause break, so a phrase split across lines would lose its bigrams),
removes the hyphens a line break made, and applies the index's own text rules (NFC, one tone
style), so that attachment text is searched exactly like article text.
"""

from __future__ import annotations

import re

from indexer.document import clean_body
from indexer.text import normalize

# The stamp a Vietnamese digital signature leaves on a page (Ban Cơ yếu's signing software):
#   Người ký: Ủy ban nhân dân huyện Krông Nô / Email: … / Cơ quan: Tỉnh Đắk Nông /
#   Thời gian ký: 18.06.2019 16:33:44 +07:00
_STAMP = re.compile(
    r"Ng[uư][oờơ]i\s*k[ýy]\s*:.{0,400}?Th[oờơ]i\s*gian\s*k[ýy]\s*:\s*"
    r"[\d./\-]+(?:\s+[\d:]+)?(?:\s*[+\-]\d{2}:?\d{2})?",
    re.DOTALL | re.IGNORECASE,
)
# A hyphen that only a line break made: a letter, '-', newline, a lower-case letter.
_BROKEN_WORD = re.compile(r"([^\W\d_])-[ \t]*\n[ \t]*([^\W\d_])")
_SENTENCE_END = re.compile(r"[.:;!?…]$")
_LETTER = re.compile(r"[^\W\d_]")

# A page whose text layer holds fewer letters than this (after the stamp is removed) is a scan.
MIN_LETTERS = 60


def strip_signature(text: str) -> str:
    """The text without digital-signature stamps."""
    return _STAMP.sub("\n", text)


def has_signature(text: str) -> bool:
    """Whether a text holds a digital-signature stamp."""
    return _STAMP.search(text) is not None


def letters(text: str) -> int:
    """How many letters a text holds."""
    return len(_LETTER.findall(text))


def needs_ocr(text: str) -> bool:
    """Whether a page's text layer is too thin to stand for the page (empty, or a stamp only)."""
    return letters(strip_signature(text)) < MIN_LETTERS


def _unwrap(lines: list[str]) -> list[str]:
    """Join lines that continue a sentence: the next starts lower-case, this one does not end."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and line
            and out[-1]
            and line[0].islower()
            and not _SENTENCE_END.search(out[-1])
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def clean_page(text: str) -> str:
    """NFC, one tone style, no line-break hyphens, wrapped lines joined, no empty lines."""
    text = normalize(text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
    text = _BROKEN_WORD.sub(
        lambda m: m.group(1) + m.group(2) if m.group(2).islower() else m.group(0), text
    )
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return clean_body("\n".join(_unwrap([line for line in lines if line])))
