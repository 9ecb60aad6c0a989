"""The archive served: stored originals, the document view, and results as CSV.

Originals live content-addressed under `<data-dir>/files/` (crawl.archive). Only names of that
exact form are served ("ab/ab…(64 hex).pdf"), only when an indexed article links that file, with
the media type of its kind and the file name the portal gave it; so a document is still there,
whole, when its portal is gone. The document view shows what tracuu knows of a document: its
metadata, its text page by page, its original address and links to the stored copies.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from indexer.docfields import issuing_body, signed_date
from search import query as qb
from search.engine import Engine
from search.export import MAX_ROWS, csv_bytes
from search.filehits import archive_path
from search.params import InvalidParam, parse_search_params
from search.views import PageViews, _back, highlight

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "bin": "application/octet-stream",
}
# What crawl.archive.stored_name() writes, and nothing else: no "..", no other folder.
STORED_NAME = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})\.(pdf|docx?|odt|rtf|xlsx?|bin)")
MAX_PAGES_SHOWN = 300  # pages of text on one document view


def _status_label(status: str) -> str:
    if not status:
        return ""
    if status == "ocr-pending":
        return "Đang chờ nhận dạng chữ (OCR): nội dung chưa đầy đủ."
    return "Không đọc được nội dung tệp."


class ArchiveViews:
    """Handlers for /luu-tru/{stored}, /van-ban/{id} (documents) and /xuat-csv."""

    def __init__(self, engine: Engine, views: PageViews) -> None:
        self.engine = engine
        self.views = views

    def stored_file(self, request: Request) -> Response:
        """An archived original, as the portal served it (inline, named as it was named)."""
        stored = request.path_params["stored"]
        m = STORED_NAME.fullmatch(stored)
        if not m or m.group(1) != m.group(2)[:2]:
            return Response("Không tìm thấy tệp", 404, media_type="text/plain; charset=utf-8")
        path = self.engine.data.files / stored
        owner = self.engine.file_owner(m.group(2))
        if owner is None or not path.is_file() or path.is_symlink():
            return Response("Không tìm thấy tệp", 404, media_type="text/plain; charset=utf-8")
        name = owner[1] or f"{m.group(2)[:12]}.{m.group(3)}"
        return FileResponse(
            path,
            media_type=MEDIA_TYPES[m.group(3)],
            filename=name,
            content_disposition_type="inline",
            headers={"cache-control": "public, max-age=31536000, immutable"},
        )

    def document_page(self, request: Request) -> Response:
        """A document with its metadata, files and text page by page; an article without
        files or document fields keeps the article page."""
        art = self.engine.document(request.path_params["id"])
        if art is None or not (art.attachments or art.doc_number or art.doc_type):
            return self.views.document_page(request)
        q = (request.query_params.get("q") or "")[:500]
        terms = qb.parse(q).highlight_terms() if q.strip() else frozenset()
        files = []
        for att in art.attachments:
            pages = att.pages or ([att.text] if att.text else [])
            files.append({
                "name": att.name or att.title or att.url.rsplit("/", 1)[-1],
                "kind": att.kind.upper(),
                "size_kb": max(1, round(att.size / 1024)) if att.size else None,
                "url": att.url,
                "archive": archive_path(att.stored)
                if att.stored and (self.engine.data.files / att.stored).is_file() else "",
                "status": _status_label(att.status),
                "pages": [(i + 1, [highlight(p, terms) for p in text.split("\n") if p.strip()])
                          for i, text in enumerate(pages[:MAX_PAGES_SHOWN])],
                "more_pages": max(0, len(pages) - MAX_PAGES_SHOWN),
            })
        html = self.views.env.get_template("van_ban.html").render(
            art=art,
            q=q,
            title=highlight(art.title, terms),
            issuer=issuing_body(art),
            signed=signed_date(art),
            paragraphs=[highlight(p, terms) for p in art.body.split("\n")
                        if p.strip() and p != art.title],
            files=files,
            back=_back(request, q),
        )
        return HTMLResponse(html)

    def export_csv(self, request: Request) -> Response:
        """The results of a search (the page's parameters) as CSV for Excel, at most
        MAX_ROWS rows."""
        try:
            req = parse_search_params(request.query_params)
        except InvalidParam as exc:
            return Response(exc.message, 400, media_type="text/plain; charset=utf-8")
        total, rows = self.engine.stored_results(replace(req, page=1), MAX_ROWS)
        base = str(request.base_url).rstrip("/")
        headers: dict[str, Any] = {
            "content-disposition": 'attachment; filename="tra-cuu.csv"',
            "x-total-count": str(total),
        }
        return Response(csv_bytes(rows, base), media_type="text/csv; charset=utf-8",
                        headers=headers)
