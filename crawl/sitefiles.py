"""One site's attached files in a crawl: fetched, read once, linked to the pages that link them.

An article or document page's file links (crawl.metadata: `.pdf`, `.doc(x)`, `.odt`, `.rtf`,
`.xls(x)`, download handlers, "Tải về" links) are fetched on the site's hosts, within the size
cap, and handed to DocStore (archived once by content, read, scanned pages queued for OCR). Each
file is a crawl.sqlite row of kind `attachment` (its SHA-256, validators, next visit) and
`file_links` rows name the pages linking it: a file already read and not due is not asked
again, a due one is asked with a conditional GET (its own schedule, so a run answers 304s for
files as for pages), and a file found changed is read again into every page that links it.

A document page's own header fields (number, type, issuing body, signed date) come from its
document's first page where the page says nothing (`with_header`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlsplit

from crawl.attachments import DocStore
from crawl.dates import parse_vietnamese_date
from crawl.errors import Disallowed, FetchError, OutOfTime, PageTooLarge
from crawl.fetch import Fetcher, Page, Policy
from crawl.filetypes import file_name, kind_from_content_type, kind_from_url, sniff
from crawl.report import SiteReport
from crawl.sites import Site
from crawl.state import ERROR_RETRY, PageState, State, next_visit
from indexer.document import Article, Attachment
from indexer.officialdoc import apply_header, read_header

log = logging.getLogger(__name__)

MAX_FILES = 10  # files read per page: a page linking more is a folder, not a document
FILE_DEADLINE = 300.0  # seconds a file may take to arrive (50 MB from a slow portal)
HEADER_CHARS = 4000  # a document's header stands on its first page
_DATE_IN_TITLE = re.compile(
    r"\bngày\s+(\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})",
    re.I)


class Indexing(Protocol):
    """What a site's crawl (and its files) needs of the index."""

    def get(self, article_id: str) -> Article | None: ...

    def put(self, article: Article) -> None: ...

    def delete(self, article_id: str) -> None: ...


def title_date(title: str) -> str | None:
    """The date a document's title gives it ('Thông báo số 217/TB-UBND ngày 18/6/2019 …')."""
    m = _DATE_IN_TITLE.search(unicodedata.normalize("NFC", title))
    found = parse_vietnamese_date(m.group(1)) if m else None
    return found[:10] if found else None


def with_header(article: Article) -> Article:
    """A document page with number, type, issuer and (when it has none) date from its own
    title's "ngày …", else from its first document's own header; the page's own values win."""
    if not article.published and (signed := title_date(article.title)):
        article = replace(article, published=signed)
    for att in article.attachments:
        first = (att.pages[0] if att.pages else att.text)[:HEADER_CHARS]
        if not first.strip():
            continue
        header = read_header(first)
        if header.key or header.doc_type or header.issuer:
            filled = apply_header(article, header)
            filled.issuer = article.issuer or header.issuer
            return filled
    return article


class SiteFiles:
    """The attached files of one site's crawl (fetcher None: read from what is stored only)."""

    def __init__(self, site: Site, state: State, docs: DocStore, articles: Indexing,
                 report: SiteReport, clock: Callable[[], float], fetcher: Fetcher | None = None,
                 policy: Policy | None = None, max_bytes: int = 50 * 2**20,
                 can_fetch: Callable[[], bool] = lambda: True) -> None:
        self.site, self.state, self.docs, self.articles = site, state, docs, articles
        self.report, self.clock, self.fetcher, self.can_fetch = report, clock, fetcher, can_fetch
        self.policy = replace(policy, max_bytes=max_bytes,
                              deadline=max(policy.deadline, FILE_DEADLINE)) if policy else None

    # -- a page's files -----------------------------------------------------------------------
    def attach(self, article: Article, document: bool) -> Article:
        """The article with its files read (fetched when new or due) and, for a document page,
        its header fields filled."""
        links = {a.url: a for a in article.attachments}
        for url in self.state.files_of(article.id):  # found by their Content-Type
            links.setdefault(url, Attachment(url=url, title=file_name(url)))
        self.report.files_found += len(links)
        if len(links) > MAX_FILES:
            self.report.file("over the cap", article.id, f"{len(links)} files linked")
        read = [self._read(a, article.id) for a in list(links.values())[:MAX_FILES]]
        article = replace(article, attachments=[a for a in read if a is not None])
        return with_header(article) if document else article

    def _read(self, link: Attachment, article_id: str) -> Attachment | None:
        url = link.url
        if not self.site.allows_host(urlsplit(url).hostname):
            self.report.file("off-site")
            return link
        self.state.link_file(url, article_id)
        st = self.state.get(url)
        sha = st.content_hash if st is not None and st.kind == "attachment" else None
        now = self.clock()
        if st is not None and sha and (self.fetcher is None or st.next_visit > now):
            known = self._known(sha, link, article_id)
            if known is not None:
                self.report.file("known")
                return known
            sha = None  # the text store lost it: fetch it again
        if self.fetcher is None or self.policy is None:
            return link
        if not self.can_fetch():
            self.report.file("budget")
            self.state.want_file(url, self.site.name, now, now)
            return link
        page = self._get(url, st if sha else None, now)
        if isinstance(page, str):
            return replace(link, status=page)
        if page.status == 304 and st is not None and sha:
            self.report.file("unchanged")
            self.state.not_modified(url, now, next_visit("attachment", now, st.unchanged + 1,
                                                         self.site))
            return self._known(sha, link, article_id) or link
        if page.status != 200:
            return replace(link, status=self._http_failure(url, page.status, now))
        return self._take(link, article_id, page, now)

    def _known(self, sha: str, link: Attachment, article_id: str) -> Attachment | None:
        """The stored text of a file read before (linked to this article too)."""
        name = self.docs.name_of(sha) or file_name(link.url)
        try:
            att = self.docs.attachment(sha, link.url, link.title, name)
        except KeyError:
            return None
        self.docs.link(sha, article_id, link.url, name)
        return att

    def _get(self, url: str, st: PageState | None, now: float) -> Page | str:
        """GET a file (conditional when it was read before), or why it failed."""
        assert self.fetcher is not None and self.policy is not None
        try:
            return self.fetcher.get(url, self.policy, st.etag if st else None,
                                    st.last_modified if st else None)
        except Disallowed:
            self.report.file("disallowed")
            return "failed: disallowed by robots.txt"
        except OutOfTime:  # the site's minutes are spent: a later run asks
            self.report.time_exhausted = True
            self.report.file("budget")
            self.state.want_file(url, self.site.name, now, now)
            return ""
        except PageTooLarge as exc:
            self.report.file("too large", url, exc.reason)
            self._failed(url, now, now + self.site.revisit_articles)
            return f"failed: {exc.reason}"
        except FetchError as exc:
            self.report.error(exc.kind)
            self.report.file("failed", url, exc.reason)
            self._failed(url, now, now + ERROR_RETRY)
            return f"failed: {exc.reason}"

    def _failed(self, url: str, now: float, visit: float) -> None:
        self.state.want_file(url, self.site.name, now, visit)
        self.state.failed(url, self.site.name, now, None, visit)

    def _http_failure(self, url: str, status: int, now: float) -> str:
        self.report.file("failed", url, f"HTTP {status}")
        self.state.want_file(url, self.site.name, now, now + ERROR_RETRY)
        if status in (404, 410):
            self.state.missing(url, self.site.name, now, status, now + self.site.revisit_articles)
        else:
            self.state.failed(url, self.site.name, now, status, now + ERROR_RETRY)
        return f"failed: HTTP {status}"

    def _take(self, link: Attachment, article_id: str, page: Page,
              now: float) -> Attachment | None:
        """Read a fetched file; None when the answer is a page, not a file."""
        url = link.url
        name = file_name(page.final_url, page.headers.get("content-disposition"))
        declared = (kind_from_content_type(page.content_type) or kind_from_url(url)
                    or kind_from_url(name))
        if declared is None and sniff(page.body) in (None, "html"):
            self.report.file("not a file")
            self.state.unlink_file(url)
            return None
        att = self.docs.take_in(page.body, url=url, title=link.title, name=name,
                                declared=declared, article_id=article_id, site=self.site.name)
        self.state.save(url, self.site.name, now, kind="attachment", status=200,
                        visit=next_visit("attachment", now, 0, self.site), etag=page.etag,
                        last_modified=page.last_modified, content_type=page.content_type,
                        content_hash=att.sha256 or None)
        if att.status.startswith("failed"):
            self.report.file("failed", url, att.status.removeprefix("failed: "))
        else:
            self.report.file("fetched")
        return att

    # -- a file on its own schedule -----------------------------------------------------------
    def revisit(self, url: str) -> int:
        """Ask a due file again (conditional GET); a changed file goes into every page linking
        it. Returns 1 when the site answered."""
        st, pages = self.state.get(url), self.state.pages_linking(url)
        now = self.clock()
        if st is None or not pages or self.fetcher is None:
            return 0
        sha = st.content_hash
        page = self._get(url, st if sha else None, now)
        if isinstance(page, str):
            return 0
        if page.status == 304 and sha:
            self.report.file("unchanged")
            self.state.not_modified(url, now, next_visit("attachment", now, st.unchanged + 1,
                                                         self.site))
            return 1
        if page.status != 200:
            self._http_failure(url, page.status, now)
            return 1 if page.status < 500 else 0
        att = self._take(Attachment(url=url, title=file_name(url)), pages[0], page, now)
        if att is not None and att.sha256 != sha:  # changed (or fetched at last): re-read
            for page_url in pages:
                self._replace(page_url, att)
        return 1

    def adopt(self, url: str, page: Page, referrer: str) -> bool:
        """A link fetched as a page that is a document file (its Content-Type or bytes say so):
        an attachment of the article or document page that linked it. False when the referrer
        is no such page (a file linked from a listing is not read)."""
        ref = self.state.get(referrer)
        if ref is None or ref.kind not in ("article", "document", "pending"):
            return False
        self.state.link_file(url, referrer)
        att = self._take(Attachment(url=url, title=file_name(url)), referrer, page, self.clock())
        if att is None:
            return False
        if ref.article_id:
            self._replace(ref.article_id, att)
        return True

    def _replace(self, article_id: str, att: Attachment) -> None:
        """Put a file's new text into a stored article."""
        article = self.articles.get(article_id)
        if article is None:
            return
        self.docs.link(att.sha256, article_id, att.url, att.name)
        old = next((a for a in article.attachments if a.url == att.url), None)
        title = old.title if old is not None else att.title
        others = [a for a in article.attachments if a.url != att.url]
        article.attachments = [*others, replace(att, title=title)]
        ref = self.state.get(article_id)
        self.articles.put(with_header(article) if ref and ref.kind == "document" else article)


def deliver(docs: DocStore, state: State | None, get: Callable[[str], Article | None],
            put: Callable[[list[Article]], object]) -> int:
    """Hand OCR text that came in to the stored articles (DocStore.deliver); document pages
    (as crawl.sqlite knows them) read their header from it. Returns the articles changed."""

    def enrich(articles: Iterable[Article]) -> None:
        put([with_header(a) if state is not None and (st := state.get(a.id)) is not None
             and st.kind == "document" else a for a in articles])

    return docs.deliver(get, enrich)
