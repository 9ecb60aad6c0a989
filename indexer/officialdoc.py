"""An official document's own header, read from its first page (text layer or OCR). Pure.

A Vietnamese administrative document (Nghị định 30/2020/NĐ-CP) opens with two columns: the
issuing body top left (ỦY BAN NHÂN DÂN / HUYỆN KRÔNG NÔ), the national motto top right, then
"Số: 08/CT-UBND" and "Krông Nô, ngày 08 tháng 8 năm 2019" on one line, then the type heading
(CHỈ THỊ) and the summary (trích yếu); a letter (công văn) has no heading but a "V/v …" line.
Text layers and OCR interleave the two columns line by line, OCR confuses digits with letters
and drops or adds spaces around "/", so every rule here works on folded text and tolerates that.

number_key() is the lookup form of a number: "08 / CT-UBND", "08/ct-ubnd", "so 08 ct ubnd",
"Số: O8/CT-UBND" all give "8-ct-ubnd".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from indexer.document import DOC_TYPE_CODES, Article, doc_type_from_number
from indexer.text import fold, normalize

# Headings, as printed (upper case), and the doc_type they give.
TYPES = (
    "CHỈ THỊ", "KẾ HOẠCH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "THÔNG BÁO", "BÁO CÁO", "TỜ TRÌNH",
    "CÔNG ĐIỆN", "HƯỚNG DẪN", "KẾT LUẬN", "CHƯƠNG TRÌNH", "QUY ĐỊNH", "QUY CHẾ", "ĐỀ ÁN",
    "GIẤY MỜI", "BIÊN BẢN", "THÔNG TƯ", "NGHỊ ĐỊNH", "CÔNG VĂN", "LỊCH",
)
_FOLDED_TYPES = {fold(t): t.lower() for t in TYPES}
# Heads of issuing bodies, to snap OCR spellings ("UY BAN NHÂN DẦN") to the real name.
BODIES = (
    "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "HUYỆN ỦY", "TỈNH ỦY", "THÀNH ỦY", "ĐẢNG ỦY",
    "ĐẢNG BỘ", "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM", "VĂN PHÒNG", "SỞ", "PHÒNG", "BAN",
    "THANH TRA", "CÔNG AN", "UBND", "HĐND", "TRUNG TÂM", "BAN CHỈ ĐẠO", "BAN THƯỜNG VỤ",
)
_UNITS = {"huyện", "tỉnh", "xã", "phường", "quận", "trấn", "phố", "ủy", "uỷ"}
_ISSUER_CODES = {"ubnd", "hdnd", "hu", "tu", "du", "vp", "ubmttq", "mttq", "btv", "bch", "ttg",
                 "cp", "stc", "stp", "snv", "tckh", "ub", "bdh", "bcd", "ct", "nc", "kt", "tcd"}
_TYPE_CODES = {fold(k) for k in DOC_TYPE_CODES} | {"qd", "hd", "cd", "nq", "tb", "bc", "ttr"}

_MOTTO = re.compile(r"CONG\s*HOA\s*XA\s*HOI.*|DOC\s*LAP\s*[-–—]?\s*TU\s*DO.*|DANG\s*CONG\s*SAN"
                    r"\s*VIET\s*NAM.*|^\W*(?:CHU\s*)?NGHIA\s*VIET\s*NAM\W*$|^\W*NAM\W*$|HANH\s*PHUC")
# "Số:" (or OCR's "Só", "S6") where a number follows; not the "SO" of "ĐẮK SONG".
# Capital S only: "Nghị định số 64/2014/NĐ-CP" in the body is a reference, not this number.
_NUMBER_LINE = re.compile(r"(?:^|[\s|])S[ốỐóÓoOơƠ6]\b\s*[:;.,]?\s*")
_RAW_NUMBER = re.compile(
    r"^\W{0,3}([0-9OoIl|]*\d[0-9OoIl|]*(?:\s*[/\-.]\s*\d{4})?)?\s*([/\-])\s*"
    r"([A-ZĐÐa-zđ]{1,6}(?:\s*[-/&]\s*[A-ZĐÐa-zđ0-9]{1,10}){0,3})"
)
_DATE = re.compile(r"ng[aà]y\s*(\S{0,3}?)\s*th[aá]ng\s*(\S{1,3}?)\s*n[aă]m\s*(\d{4})",
                   re.IGNORECASE)
_BODY_START = re.compile(
    r"^(?:Căn cứ|Kính gửi|Thực hiện|Xét|Ngày \d|Theo|Để |Trong|Qua |Sau khi|Nhằm|Hôm nay|Do |"
    r"Điều \d|CHỦ TỊCH|[IVX]+\.|\d+\.)", re.IGNORECASE
)
_QUERY_NUMBER = re.compile(
    r"(?<![a-z0-9])(?:so\s*:?\s*)?([0-9oli]*\d[0-9oli]*)(?:\s*[/.\-]\s*(\d{4}))?"
    r"(\s*[/\-]\s*|\s+)([a-z]{1,6})((?:\s*[\-/&]\s*|\s+)[a-z]{1,8})?((?:\s*[\-/]\s*|\s+)[a-z]{1,8})?"
    r"(?![a-z0-9])"
)


@dataclass(frozen=True)
class DocHeader:
    """What a document's header says; None where it could not be read."""

    number: str | None = None  # as printed, spaces removed: "08/CT-UBND"
    key: str | None = None  # number_key(number)
    doc_type: str | None = None  # "chỉ thị", "công văn", ...
    issuer: str | None = None  # "Ủy ban nhân dân huyện Krông Nô"
    place: str | None = None  # "Krông Nô"
    signed: str | None = None  # "2019-08-08", or "2019-08" / "2019" when OCR lost the rest
    summary: str | None = None  # trích yếu


def _fix_digits(token: str) -> str:
    """OCR's letter-for-digit confusions inside a number: O→0, l/I/|→1."""
    return token.translate(str.maketrans("OoIl|i", "001111"))


def number_key(text: str) -> str | None:
    """The lookup form of a document number, the same for every spelling of it."""
    s = fold(unicodedata.normalize("NFC", text)).replace("Ð", "D").lower().strip()
    s = re.sub(r"^so\s*[:.]?\s*", "", s)
    tokens = re.findall(r"[a-z0-9|]+", s)
    if not tokens:
        return None
    head = tokens[0]
    if re.fullmatch(r"[0-9oli|]*\d[0-9oli|]*", head):
        tokens[0] = str(int(_fix_digits(head)))
    elif not head.isdigit():
        return None
    codes = tokens[2:] if len(tokens) > 1 and re.fullmatch(r"\d{4}", tokens[1]) else tokens[1:]
    if not codes or not all(c.isalpha() or any(ch.isalpha() for ch in c) for c in codes):
        return None
    return "-".join(tokens)


def find_number(query: str) -> str | None:
    """The number_key of a document number typed in a query ("kế hoạch 123/KH-UBND"), if any."""
    q = fold(unicodedata.normalize("NFC", query)).replace("Ð", "D").lower()
    for m in _QUERY_NUMBER.finditer(q):
        number, year, sep, first, second, third = m.groups()
        slash = "/" in sep or "-" in sep
        if not (slash or first in _TYPE_CODES or first in _ISSUER_CODES):
            continue
        codes = [first]
        for raw in (second, third):
            code = re.sub(r"[^a-z]", "", raw or "")
            # "08/CT-UBND của": a code after a space only when it is a known one.
            if not code or (not re.search(r"[-/&]", raw) and code not in _ISSUER_CODES):
                break
            codes.append(code)
        return "-".join([str(int(_fix_digits(number))), *([year] if year else []), *codes])
    return None


def _clean_number(raw_number: str | None, sep: str, symbol: str) -> str:
    symbol = re.sub(r"\s+", "", symbol).replace("Ð", "Đ")
    if not raw_number:
        return symbol
    return re.sub(r"\s+", "", _fix_digits(raw_number)) + sep + symbol


_UNIT_WORDS = {"HUYEN": "huyện", "TINH": "tỉnh", "XA": "xã", "PHUONG": "phường", "QUAN": "quận"}


def _title_case(words: str) -> str:
    """'ỦY BAN NHÂN DÂN HUYỆN KRÔNG NÔ' → 'Ủy ban nhân dân huyện Krông Nô'.

    A place name follows a unit word (huyện, tỉnh, xã, thị trấn, thành phố) or a Party
    committee (huyện ủy); one capital follows sở, phòng and ban (Sở Tài chính).
    """
    ws = normalize(words).lower().split()
    out: list[str] = []
    place = False
    one = False
    for i, w in enumerate(ws):
        unit = _UNIT_WORDS.get(fold(w).upper())
        if unit and not place:
            w = unit  # OCR's "TÍNH" for "TỈNH"
        out.append(w[:1].upper() + w[1:] if (place or one or i == 0) else w)
        one = False
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        if place:
            continue
        unit_then_name = w in ("huyện", "tỉnh", "xã", "phường", "quận", "trấn", "phố") and fold(
            nxt) not in ("uy", "ban")
        committee = w in ("ủy", "uỷ") and i > 0 and ws[i - 1] in ("huyện", "tỉnh", "thành", "đảng")
        if unit_then_name or committee:
            place = True
        elif w in ("sở", "phòng", "ban") and i == 0:
            one = True
    return " ".join(out)


def _snap_body(line: str) -> str:
    """An OCR spelling of a known body head replaced by the real one."""
    f = fold(line).upper()
    for body in BODIES:
        fb = fold(body)
        if f.startswith(fb) and (len(f) == len(fb) or not f[len(fb)].isalpha()):
            return body + line[len(fb):]
    return line


def _issuer(lines: list[str]) -> str | None:
    left: list[str] = []
    for line in lines:
        folded = fold(line).upper()
        m = _MOTTO.search(folded)
        kept = line[: m.start()] if m else line
        kept = re.sub(r"[|_*~\"“”]+", " ", kept).strip(" -–—.,")
        if len(re.sub(r"\W", "", kept)) >= 2 and kept.upper() == kept:
            left.append(_snap_body(re.sub(r"\s+", " ", kept)))
    if not left:
        return None
    last = left[-1]
    first_word = fold(last.split()[0]).lower()
    if len(left) > 1 and first_word in {fold(u) for u in _UNITS | {"thị", "thành"}} \
            and not re.match(r"(HUYEN|TINH|THANH)\s*UY", fold(last).upper()):
        last = f"{left[-2]} {last}"
    return _title_case(last)


def _date(m: re.Match[str]) -> str:
    day, month, year = (_fix_digits(g) for g in m.groups())
    if month.isdigit() and 1 <= int(month) <= 12:
        if day.isdigit() and 1 <= int(day) <= 31:
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return f"{year}-{int(month):02d}"
    return year


def _place(before: str) -> str | None:
    words: list[str] = []
    for w in reversed(before.strip(" ,.;").split()):
        if not w[:1].isupper() or not re.fullmatch(r"[^\W\d_][\w'’\-]*", w) or len(words) == 4:
            break
        words.insert(0, w)
    if words and words[0].upper() == words[0] and len(words[0]) > 2 and "-" in words[0]:
        words = words[1:]
    return " ".join(words) or None


def _heading(line: str) -> str | None:
    f = re.sub(r"[^A-Z ]", "", fold(line).upper()).strip()
    f = re.sub(r"\s+", " ", f)
    for folded, name in _FOLDED_TYPES.items():
        if f == folded or (f.startswith(folded + " ") and line.upper() == line and len(f) < 40):
            return name
    return None


def read_header(text: str, max_lines: int = 40) -> DocHeader:
    """Number, type, issuing body, place, signed date and summary from a first page."""
    lines = [ln.strip() for ln in normalize(text).split("\n") if ln.strip()][:max_lines]
    number = key = place = signed = doc_type = summary = None
    number_at = None
    for i, line in enumerate(lines[:15]):
        for nm in _NUMBER_LINE.finditer(line):
            m = _RAW_NUMBER.search(line[nm.end(): nm.end() + 60])
            if m:
                number = _clean_number(m.group(1), m.group(2), m.group(3))
                key = number_key(number) if m.group(1) else None
                number_at = i
                break
        if number_at is not None:
            break
    date_at = None
    # The date may wrap ("… năm\n2019"): search the header's lines joined.
    top = lines[: (number_at or 0) + 6]
    joined = "\n".join(top)
    dm = _DATE.search(joined)
    if dm:
        date_at = joined.count("\n", 0, dm.start())
        line_start = joined.rfind("\n", 0, dm.start()) + 1
        signed, place = _date(dm), _place(joined[line_start: dm.start()])
        date_at = joined.count("\n", 0, dm.end())
    head_end = max(x for x in (number_at, date_at, 0) if x is not None)
    issuer = _issuer(lines[: number_at if number_at is not None else min(3, len(lines))])
    body = lines[head_end + 1:]
    vv = next((i for i, ln in enumerate(lines[: head_end + 4]) if re.match(r"V/?v\b", ln)), None)
    for i, line in enumerate(body[:12]):
        doc_type = _heading(line)
        if doc_type:
            summary = _summary(body[i + 1:])
            break
    if doc_type is None and vv is not None:
        doc_type = "công văn"
        summary = _summary(lines[vv:], letter=True)
    if doc_type is None and number:
        doc_type = doc_type_from_number(number)
    return DocHeader(number, key, doc_type, issuer, place, signed, summary)


def _summary(lines: list[str], letter: bool = False) -> str | None:
    """The trích yếu: the line after the heading, and short lines continuing it."""
    parts: list[str] = []
    for line in lines[:5]:
        if _DATE.search(line) or re.match(r"^[-_=.]{3,}$", line) or (
            letter and re.match(r"K[íi]nh\s*g[ửu]i", line, re.IGNORECASE)
        ):
            break
        if parts and (_BODY_START.match(line) or len(line) > 120 or line.startswith("STT")):
            break
        parts.append(line)
        if len(" ".join(parts)) > 300 or line.endswith((".", ":")):
            break
    text = re.sub(r"^V/?v\s*[:.]?\s*", "", " ".join(parts)).strip(" .:")
    return text or None


def apply_header(article: Article, header: DocHeader) -> Article:
    """The article with its number, type and date filled from the header where it has none."""
    published = article.published
    if not published and header.signed and len(header.signed) == 10:
        published = header.signed
    return replace(
        article,
        doc_number=article.doc_number or header.number if header.key else article.doc_number,
        doc_type=article.doc_type or header.doc_type,
        published=published,
    )
