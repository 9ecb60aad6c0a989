"""What kind of file an attachment is: from its bytes first, then Content-Type, then the URL.

Pure functions. Portals serve attachments with whatever Content-Type the web server guessed
(`application/octet-stream`, `text/html` for a scanned PDF, or an HTML error page under a `.pdf`
URL), so the bytes decide; the header and the extension only tell the crawler which links to
fetch in the first place.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

# The kinds an attachment can be; text extraction exists for each of these.
DOCUMENT_KINDS = ("pdf", "docx", "doc", "odt", "rtf", "xlsx", "xls")

EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".odt": "odt",
    ".rtf": "rtf",
    ".xlsx": "xlsx",
    ".xls": "xls",
}

CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-word": "doc",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
}

# The suffix a stored copy gets, so that serving it names the right type.
SUFFIX = {kind: f".{kind}" for kind in DOCUMENT_KINDS}
MEDIA_TYPE = {kind: ct for ct, kind in reversed(CONTENT_TYPES.items())}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def kind_from_url(url: str) -> str | None:
    """'…/Kế hoạch 123.PDF' → 'pdf'; None when the path does not end in a document extension."""
    path = unquote(urlsplit(url).path)
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower())


def kind_from_content_type(content_type: str | None) -> str | None:
    """'application/pdf; charset=binary' → 'pdf'; None for HTML, octet-stream and the rest."""
    if not content_type:
        return None
    return CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())


def file_name(url: str, content_disposition: str | None = None) -> str:
    """The name a clerk knows: Content-Disposition's filename, else the URL's last part."""
    if content_disposition:
        for part in content_disposition.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "filename*" and "''" in value:
                return unquote(value.split("''", 1)[1]).strip('"') or "file"
        for part in content_disposition.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "filename" and value.strip('"'):
                return value.strip('"')
    return PurePosixPath(unquote(urlsplit(url).path)).name or "file"


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                return CONTENT_TYPES.get(mimetype)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _ole2_kind(data: bytes) -> str | None:
    # Stream names live in the compound file's directory, as UTF-16LE.
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    return None


def sniff(data: bytes) -> str | None:
    """The kind the bytes say ('pdf', 'docx', 'doc', ..., or 'html'), None when unknown."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(_OLE2):
        return _ole2_kind(data)
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")) or (
        b"<html" in lowered
    ):
        return "html"
    return None


def is_document_link(url: str, content_type: str | None = None) -> bool:
    """Whether a link looks like an attachment worth fetching (extension or Content-Type)."""
    return kind_from_url(url) is not None or kind_from_content_type(content_type) is not None
