"""What an official document adds to its index entry: signed date, year, number key. Pure.

A document page on a district portal holds a title and links; its number, type and issuing body
are on the Article (the crawl fills them from the page, else from the document's own header).
The signed date is not: the page's date is when it was posted. It is read here, at index time,
from the title's "ngày 21/9/2014" (the page wins) or else the first readable attachment header
(indexer.officialdoc). Number lookups go through number_key() on both sides: query_number() is
what the search side calls with a query, and its answer is a term of the `number_key` field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from indexer.document import Article
from indexer.officialdoc import find_number, number_key, read_header
from indexer.text import fold, normalize

HEADER_CHARS = 4000  # a document's header stands on its first page
_TITLE_DATE = re.compile(
    r"\bngày\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b"
    r"|\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\b",
    re.IGNORECASE,
)
_SPACED_YEAR = re.compile(r"(?<![\w/])(\d{1,5})\s+((?:19|20)\d\d)\s+(?=[^\W\d_])")


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def title_date(title: str) -> str | None:
    """The signed date a title names ('Thông báo số 217/TB-UBND ngày 18/6/2019 …'), ISO."""
    m = _TITLE_DATE.search(unicodedata.normalize("NFC", title))
    if not m:
        return None
    day, month, year = (g for g in m.groups() if g is not None)
    return _valid(int(year), int(month), int(day))


def signed_date(article: Article) -> str | None:
    """The date the document was signed: 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'; None if unknown."""
    found = title_date(article.title)
    if found:
        return found
    for att in article.attachments:
        first = (att.pages[0] if att.pages else att.text)[:HEADER_CHARS]
        if not first.strip():
            continue
        header = read_header(first)
        if header.signed:
            year = int(header.signed[:4])
            if 1945 <= year <= date.today().year + 1:
                return header.signed
        if header.key or header.doc_type or header.issuer:
            return None  # this document's header, without a readable date
    return None


_UNIT_WORDS = {"TINH": "tỉnh", "HUYEN": "huyện", "THANH PHO": "thành phố", "THI XA": "thị xã",
               "QUAN": "quận", "XA": "xã", "PHUONG": "phường"}
_UNIT_IN_LINE = re.compile(r"\b(THANH PHO|THI XA|TINH|HUYEN|QUAN|PHUONG|XA)\b")
_RIGHT_COLUMN = re.compile(r"CONG\s*HOA|DOC\s*LAP|\bS[O6]\s*:")
_PLACED = re.compile(r"\b(tỉnh|huyện|thành phố|thị xã|quận|xã|phường|thị trấn)\b|\b(huyện|tỉnh|"
                     r"thành|đảng|xã) ủy\b", re.IGNORECASE)


def _first_page(article: Article) -> str:
    for att in article.attachments:
        first = (att.pages[0] if att.pages else att.text)[:HEADER_CHARS]
        if first.strip():
            return first
    return ""


def issuing_body(article: Article) -> str | None:
    """The issuing body with its place: a header's "SỞ TÀI CHÍNH" under "UBND TỈNH ĐẮK NÔNG"
    dated "Đắk Nông, ngày …" is "Sở Tài chính tỉnh Đắk Nông" (a province holds many "Sở Tài
    chính" of its own, one per former province); a body naming its place is kept as it is."""
    issuer = article.issuer
    if not issuer or _PLACED.search(issuer):
        return issuer
    first = _first_page(article)
    place = read_header(first).place if first else None
    if not place:
        return issuer
    unit = "tỉnh" if fold(issuer).lower().startswith("so ") else None
    for line in normalize(first).split("\n")[:6]:
        left = _RIGHT_COLUMN.split(fold(line).upper(), maxsplit=1)[0]  # not the motto's "XÃ"
        m = _UNIT_IN_LINE.search(left)
        if unit is None and m:
            unit = _UNIT_WORDS[m.group(1)]
    return f"{issuer} {unit} {place}" if unit else issuer


def is_document(article: Article) -> bool:
    """Whether the article is an official document (a number, a type or an attached file)."""
    return bool(article.doc_number or article.doc_type or article.attachments)


def article_number_keys(article: Article) -> list[str]:
    """The number_key terms of an article: its own number, as every spelling looks it up."""
    key = number_key(article.doc_number) if article.doc_number else None
    return [key] if key else []


def query_number(query: str) -> str | None:
    """The number_key of a whole document number typed in a query, in any spelling
    ('08 / CT-UBND', '08/ct-ubnd', 'so 08 ct ubnd'); a term of the `number_key` field."""
    # "so 45 2021 qd ubnd": a year after the number, space-separated, is part of the number.
    query = _SPACED_YEAR.sub(r"\1/\2/", unicodedata.normalize("NFC", query))
    found = find_number(query)
    if found:
        return found
    return number_key(query) if re.search(r"\d", query) and len(query) <= 40 else None
