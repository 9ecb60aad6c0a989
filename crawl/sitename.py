"""A portal's human name, read from its home page: "Trang chủ - Cổng thông tin điện tử huyện
Đắk Song" → "Huyện Đắk Song". Pure.

Portals name themselves in the home page's `og:site_name` or `<title>` (else in a banner
heading), wrapped in words every portal shares: "Trang chủ", "Cổng thông tin điện tử", "Website",
the province after a dash. What is left names the body; a banner in capitals is cased as
Vietnamese writes names (unit words lower case, place names capitalised, UBND kept).
"""

from __future__ import annotations

import re
import unicodedata

import lxml.etree
import lxml.html

from indexer.text import fold

# Words around the name, compared folded (no tones, lower case).
_GENERIC = {"trang chu", "home", "trang nhat", "homepage", "trang chinh", "welcome"}
_PREFIXES = (
    "cong thong tin dien tu", "trang thong tin dien tu", "cong thong tin", "trang thong tin",
    "cong ttdt", "trang ttdt", "cong dien tu", "website", "web site", "trang web", "portal",
    "chao mung ban den voi", "chao mung den voi",
)
_SEPARATORS = re.compile(r"\s+[-–—|:»]\s+|\s*\|\s*|\s+::\s+")
# Words after which a place name follows ("huyện Krông Nô", "thị xã Gia Nghĩa").
_UNITS = {"huyen", "tinh", "xa", "phuong", "quan", "tran", "pho"}
_UNIT_TWO = {("thi", "xa"), ("thi", "tran"), ("thanh", "pho")}
_KEEP_UPPER = {"UBND", "HĐND", "MTTQ", "TP", "TX", "TT", "VN", "ĐNA"}
MAX_NAME = 80


def _strip_prefix(text: str) -> str:
    words = text.split()
    folded = [fold(w).lower() for w in words]
    for prefix in _PREFIXES:
        n = len(prefix.split())
        if " ".join(folded[:n]) == prefix:
            return " ".join(words[n:])
    return text


def _is_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _cased(text: str) -> str:
    """'HUYỆN KRÔNG NÔ' → 'Huyện Krông Nô'; 'UBND HUYỆN CƯ JÚT' → 'UBND huyện Cư Jút'."""
    words = text.split()
    out: list[str] = []
    place = False
    for i, word in enumerate(words):
        if word in _KEEP_UPPER:
            out.append(word)
            continue
        low = word.lower()
        f = fold(low)
        prev = fold(words[i - 1].lower()) if i else ""
        out.append(low[:1].upper() + low[1:] if (place or i == 0) else low)
        if not place and (f in _UNITS or (prev, f) in _UNIT_TWO):
            place = True
    return " ".join(out)


def name_from_title(title: str) -> str | None:
    """The body a home page title names, or None when it names none."""
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", title)).strip()
    if not text:
        return None
    parts = [p.strip(" -–—|:»") for p in _SEPARATORS.split(text)]
    parts = [p for p in parts if p and fold(p).lower() not in _GENERIC]
    # "… huyện Đăk Song - tỉnh Đăk Nông": a part starting lower case continues the name before.
    while len(parts) > 1 and parts[1][:1].islower():
        parts.pop(1)
    for part in parts:
        name = _strip_prefix(part).strip(" -–—|:,.")
        if name and fold(name).lower() not in _GENERIC and len(name) <= MAX_NAME:
            name = _cased(name) if _is_capitals(name) else name[:1].upper() + name[1:]
            return name
    return None


def name_from_page(html: str) -> str | None:
    """The site's name from its home page: og:site_name, <title>, else a banner heading."""
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    candidates = [str(el.get("content") or "") for el in doc.iter("meta")
                  if el.get("property") == "og:site_name"]
    candidates += [t.text_content() for t in doc.iter("title")][:1]
    for heading in doc.iter("h1"):
        text = heading.text_content()
        if _strip_prefix(text.strip()) != text.strip():  # a banner: "CỔNG THÔNG TIN ĐIỆN TỬ …"
            candidates.append(text)
    for text in candidates:
        if (name := name_from_title(text)) is not None:
            return name
    return None
