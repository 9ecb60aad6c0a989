"""The one document model shared by crawl/, indexer/ and search/: Article."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from indexer.errors import InvalidArticle
from indexer.text import canonical, fold

VIETNAM = timezone(timedelta(hours=7), "ICT")

FIELDS = (
    "id",
    "url",
    "site",
    "title",
    "body",
    "published",
    "author",
    "category",
    "doc_type",
    "doc_number",
    "issuer",
    "attachments",
    "fetched_at",
)

# The type code inside a document number names the kind of document (Nghị định 30/2020/NĐ-CP).
DOC_TYPE_CODES = {
    "ct": "chỉ thị",
    "kh": "kế hoạch",
    "nq": "nghị quyết",
    "qđ": "quyết định",
    "tb": "thông báo",
    "bc": "báo cáo",
    "hd": "hướng dẫn",
    "kl": "kết luận",
    "ttr": "tờ trình",
    "cv": "công văn",
    "qc": "quy chế",
    "qđi": "quy định",
    "ct-ttg": "chỉ thị",
    "nđ": "nghị định",
    "tt": "thông tư",
    "ttlt": "thông tư liên tịch",
    "cđ": "công điện",
    "gm": "giấy mời",
    "ctr": "chương trình",
    "đa": "đề án",
}

_DOCNUM_IN_TEXT = re.compile(
    r"(?<![\w/])(\d{1,5}(?:/\d{4})?[/\-–](?:[A-ZĐ][A-ZĐa-z]*)(?:[/\-–&][A-ZĐ][A-ZĐa-z\d]*)*)"
)


def find_doc_number(text: str) -> str | None:
    """The first official document number in a text (a title such as 'Kế hoạch số 12/KH-UBND')."""
    m = _DOCNUM_IN_TEXT.search(unicodedata.normalize("NFC", text))
    return m.group(1).replace("–", "-") if m else None


def doc_type_from_number(number: str) -> str | None:
    """'123/KH-UBND' → 'kế hoạch'; '05-CT/HU' → 'chỉ thị'; None when the code is unknown."""
    parts = re.split(r"[/\-–]", canonical(number))
    for part in parts[1:]:
        if part in DOC_TYPE_CODES:
            return DOC_TYPE_CODES[part]
    return None


def _clean(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArticle(f"field {name!r} must be a string, not {type(value).__name__}")
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


# An entity left in text, not markup ("Trang chủ &gt; Tin tức", "TTNCKT&amp;QLMT"): the portal
# escaped its text twice. Readers and the API should see the character it names.
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def unescape_entities(text: str) -> str:
    """Text with leftover HTML entities replaced by their characters ('&amp;amp;' too)."""
    for _ in range(3):  # an entity escaped two or three times over
        if "&" not in text or not _ENTITY.search(text):
            break
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return text


def _clean_text(value: Any, name: str) -> str | None:
    """A text field (title, author...): _clean, and leftover entities unescaped."""
    cleaned = _clean(value, name)
    return unescape_entities(cleaned) if cleaned else cleaned


def clean_body(body: str) -> str:
    """NFC, trimmed paragraphs separated by one newline, no empty ones, no control chars,
    no leftover entities."""
    body = unicodedata.normalize("NFC", unescape_entities(body))
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    body = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]", "", body)
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in body.split("\n"))
    return "\n".join(line for line in lines if line)


def parse_published(value: str) -> str:
    """ISO 8601 date or datetime → 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS' in Vietnam time."""
    v = value.strip().replace(" ", "T", 1) if len(value.strip()) > 10 else value.strip()
    try:
        if len(v) <= 10:
            return date.fromisoformat(v).isoformat()
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArticle(f"published {value!r} is not an ISO 8601 date or datetime") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(VIETNAM).replace(tzinfo=None)
    return dt.replace(microsecond=0).isoformat()


@dataclass(slots=True)
class Attachment:
    """A file attached to an article (usually a PDF of the signed document).

    `text` is all of it; `pages` the same text page by page when known (so a hit can say
    "trang 2"); `sha256` and `stored` name the archived original (`<data-dir>/files/<stored>`);
    `status` is "" when the text is complete, "ocr-pending" while pages wait for OCR, or
    "failed: <reason>" when the file could not be read.
    """

    url: str
    title: str = ""
    text: str = ""
    pages: list[str] = field(default_factory=list)
    name: str = ""  # file name as the portal gave it ("Kế hoạch 123.pdf")
    kind: str = ""  # pdf, docx, doc, odt, rtf, xlsx, xls
    sha256: str = ""
    stored: str = ""  # path under <data-dir>/files/
    size: int = 0
    status: str = ""


def _attachment(a: dict[str, Any]) -> Attachment:
    """An attachment from JSON: {url, title, text} and, optionally, the archive fields."""
    raw_pages = a.get("pages")
    if raw_pages is not None and not (
        isinstance(raw_pages, list) and all(isinstance(p, str) for p in raw_pages)
    ):
        raise InvalidArticle("attachment 'pages' must be a list of strings")
    pages = [clean_body(p) for p in raw_pages or []]
    text = clean_body(a["text"]) if isinstance(a.get("text"), str) else ""
    size = a.get("size")
    meta = {k: _clean(a.get(k), f"attachments.{k}") or "" for k in ("name", "kind", "sha256",
                                                                    "stored", "status")}
    return Attachment(
        a["url"],
        _clean_text(a.get("title"), "attachments.title") or "",
        text or "\n".join(p for p in pages if p),
        pages,
        size=size if isinstance(size, int) and size >= 0 else 0,
        **meta,
    )


@dataclass(slots=True)
class Article:
    """One article or document page, as crawled, imported, indexed and served."""

    id: str
    title: str
    body: str
    url: str | None = None
    site: str | None = None
    published: str | None = None  # 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS', Vietnam time
    author: str | None = None
    category: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    fetched_at: str | None = None
    issuer: str | None = None  # the issuing body a document names ("Ủy ban nhân dân huyện …")

    @classmethod
    def from_dict(cls, obj: Any) -> tuple[Article, list[str]]:
        """Validate a JSON object; returns the article and warnings (unknown fields)."""
        if not isinstance(obj, dict):
            raise InvalidArticle(f"expected a JSON object, got {type(obj).__name__}")
        warnings = [f"unknown field {k!r} ignored" for k in obj if k not in FIELDS]
        title = _clean_text(obj.get("title"), "title")
        if not title:
            raise InvalidArticle("missing required field 'title'")
        raw_body = obj.get("body")
        if not isinstance(raw_body, str) or not raw_body.strip():
            raise InvalidArticle("missing required field 'body'")
        url = _clean(obj.get("url"), "url")
        raw_id = obj.get("id")
        if raw_id is not None and not isinstance(raw_id, str | int):
            raise InvalidArticle("field 'id' must be a string")
        art_id = _clean(str(raw_id), "id") if raw_id is not None else url
        if not art_id:
            raise InvalidArticle("an article needs an 'id' or a 'url'")
        site = _clean(obj.get("site"), "site")
        if not site and url:
            site = urlsplit(url).hostname
        published = _clean(obj.get("published"), "published")
        doc_number = _clean(obj.get("doc_number"), "doc_number") or find_doc_number(title)
        doc_type = _clean(obj.get("doc_type"), "doc_type")
        if doc_type:
            doc_type = doc_type.lower()
        elif doc_number:
            doc_type = doc_type_from_number(doc_number)
        attachments = []
        raw_att = obj.get("attachments") or []
        if not isinstance(raw_att, list):
            raise InvalidArticle("field 'attachments' must be a list")
        for a in raw_att:
            if not isinstance(a, dict) or not isinstance(a.get("url"), str):
                raise InvalidArticle("each attachment needs a 'url'")
            attachments.append(_attachment(a))
        return (
            cls(
                id=art_id,
                title=re.sub(r"\s+", " ", title),
                body=clean_body(raw_body),
                url=url,
                site=site,
                published=parse_published(published) if published else None,
                author=_clean_text(obj.get("author"), "author"),
                category=_clean_text(obj.get("category"), "category"),
                doc_type=doc_type,
                doc_number=doc_number,
                attachments=attachments,
                fetched_at=_clean(obj.get("fetched_at"), "fetched_at"),
                issuer=_clean_text(obj.get("issuer"), "issuer"),
            ),
            warnings,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (DESIGN.md document model)."""
        return asdict(self)

    def published_datetime(self) -> datetime | None:
        """The publication time as a naive datetime in Vietnam time."""
        if not self.published:
            return None
        return datetime.fromisoformat(self.published)

    def searchable_text(self) -> str:
        """Title, document number, body and attachment texts: what full-text matching reads."""
        parts = [self.title, self.doc_number or "", self.body]
        parts += [f"{a.title}\n{a.text}" for a in self.attachments if a.text or a.title]
        return "\n".join(p for p in parts if p)


def facet_key(value: str) -> str:
    """The filter form of a site, category or document type: canonical and folded."""
    return fold(canonical(value)).strip()
