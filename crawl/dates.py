"""Vietnamese publication dates (day first) → ISO 8601 in Vietnam time."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from indexer.document import parse_published
from indexer.errors import InvalidArticle

# 08:30, 8h30, 8g30 (giờ), optionally AM/PM or SA/CH (sáng/chiều).
_TIME = (
    r"(?P<{p}h>\d{{1,2}})\s*[:hg]\s*(?P<{p}m>\d{{2}})(?::(?P<{p}s>\d{{2}}))?"
    r"(?:\s*(?P<{p}ap>[AaPpSsCc][MmAaHh]))?"
)
_NUMERIC = (
    r"(?<![\d/.-])(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<mo>\d{1,2})\s*(?P=sep)\s*"
    r"(?P<y>\d{4})(?![\d/])"
)
_WORDS = (
    r"(?P<wd>\d{1,2})\s+tháng\s+(?P<wmo>\d{1,2})\s*(?:năm|,)\s*(?P<wy>\d{4})(?!\d)"
)
_ISO = (
    r"(?<!\d)(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?)(?![\d/])"
)
# A time may stand just before the date ('08:30 24/06/2021') or just after it, with a
# comma, a dash, a bar or 'lúc' between.
_GAP = r"\s*(?:[,|\-–]|lúc|luc|ngày)?\s*"
_DATE_RE = re.compile(
    rf"(?:{_TIME.format(p='b')}{_GAP})?(?:{_NUMERIC}|{_WORDS})(?:{_GAP}{_TIME.format(p='a')})?"
    rf"|{_ISO}",
    re.I,
)


def _hour(h: str, ap: str | None) -> int:
    hour = int(h)
    if ap and ap.lower() in ("pm", "ch") and hour < 12:
        return hour + 12  # CH = chiều (afternoon)
    if ap and ap.lower() in ("am", "sa") and hour == 12:
        return 0
    return hour


def _from_match(m: re.Match[str]) -> str | None:
    """The ISO form of one match, or None when the date or time is impossible."""
    if m.group("iso"):
        try:
            return parse_published(m.group("iso"))
        except InvalidArticle:
            return None
    if m.group("d"):
        day, month, year = int(m.group("d")), int(m.group("mo")), int(m.group("y"))
    else:
        day, month, year = int(m.group("wd")), int(m.group("wmo")), int(m.group("wy"))
    if not 1900 <= year <= 2100:
        return None
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    for p in ("a", "b"):
        if m.group(f"{p}h"):
            hour = _hour(m.group(f"{p}h"), m.group(f"{p}ap"))
            minute, second = int(m.group(f"{p}m")), int(m.group(f"{p}s") or 0)
            if hour > 23 or minute > 59 or second > 59:
                return when.isoformat()
            return datetime(year, month, day, hour, minute, second).isoformat()
    return when.isoformat()


def parse_vietnamese_date(text: str) -> str | None:
    """First publication date in text, day first → 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS'."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    for m in _DATE_RE.finditer(text):
        found = _from_match(m)
        if found:
            return found
    return None
