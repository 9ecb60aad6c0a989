"""HTML of one page → what it is and its fields: the one entry point of extraction.

`extract` parses the page once (crawl.markup), reads its fields (crawl.fields), decides what
the page is (crawl.classify) and, for articles and documents only, reads the body (crawl.body).
A site's learned template (crawl.template) makes the decisions site-aware: text the site repeats
on every page is never a title, a date or a body.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from crawl import body as bodies
from crawl import classify
from crawl.fields import SiteRules, Title, find_date, find_title, select
from crawl.markup import Markup, parse
from crawl.metadata import (
    attachments,
    doc_fields,
    doc_number_and_type,
    file_links,
    find_author,
    find_category,
    title_from_fields,
)
from crawl.template import SiteTemplate, page_keys
from indexer.document import Article, clean_body
from indexer.errors import InvalidArticle

log = logging.getLogger(__name__)

_VI_LETTERS = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@dataclass
class Extracted:
    """What one page yields before it becomes an Article."""

    url: str  # the page's canonical URL (its rel=canonical on this host, else the URL given)
    title: str | None
    body: str
    published: str | None
    author: str | None
    category: str | None
    doc_number: str | None
    doc_type: str | None
    attachments: list[dict[str, str]] = field(default_factory=list)
    kind: str = classify.EMPTY  # article | document | listing | empty
    why: str = ""
    evidence: classify.Evidence = field(default_factory=classify.Evidence)
    date_source: str = ""
    rejected_titles: list[tuple[str, str]] = field(default_factory=list)
    template_keys: set[str] = field(default_factory=set, repr=False)  # added to its site's
    declared_canonical: str | None = None  # rel=canonical naming another page of this host

    @property
    def is_article(self) -> bool:
        """An article or a document page: something to index."""
        return self.kind in classify.INDEXED_KINDS


def extract(html: str, url: str, rules: SiteRules | None = None,
            template: SiteTemplate | None = None, *, always_body: bool = False,
            parsed: Markup | None = None) -> Extracted:
    """Extract one page: fields, kind, and the body of an article or document (of any page with
    always_body: the extraction benchmark scores bodies whatever the pages are)."""
    rules = rules or SiteRules()
    markup = parsed if parsed is not None else parse(html, url)
    keys = page_keys(markup.lines, markup.page_title, file_links(markup))
    title = find_title(markup, rules, template)
    doc = doc_fields(markup)
    if not title.text and (t := title_from_fields(doc)):
        title = Title(t, None, "document field")
    number, doc_type = doc_number_and_type(doc, title.text)
    published, date_source = find_date(markup, rules, title, doc, template)
    category = find_category(markup, rules, title)
    author = find_author(markup, rules)
    vietnamese = bool(_VI_LETTERS.search(title.text or "")) or markup.lang.startswith("vi")
    canonical = markup.canonical or url

    node = select(markup.soup, rules.body)
    # Files are listed before cleaning: a site's `remove` selectors target text noise such as
    # "Nhấn vào để xem", which often wraps the very link to the signed document.
    files = attachments(markup, node or markup.body, title, template)
    ev = classify.gather(markup, title, published, len(files), number, template)
    ev.by_rules = node is not None
    kind, why = classify.decide(ev)

    lines: list[str] = []
    if always_body or kind in classify.INDEXED_KINDS:  # a listing's text is never indexed
        if node is not None:
            lines = bodies.selector_body(markup, node, rules.remove)
        else:
            own = bodies.site_body(ev.after, template) if vietnamese and title.node else None
            lines = own if own is not None else bodies.generic_body(
                markup, title, template, vietnamese, ev.own)
    lines, line_author = bodies.clean(lines, title.text, vietnamese, node or markup.soup.body)
    return Extracted(
        url=canonical, title=title.text, body=clean_body("\n".join(lines)), published=published,
        author=author or line_author, category=category, doc_number=number, doc_type=doc_type,
        attachments=files, kind=kind, why=why, evidence=ev, date_source=date_source,
        rejected_titles=title.rejected, template_keys=keys,
        declared_canonical=markup.canonical if markup.canonical != url else None,
    )



def to_article(ex: Extracted, site: str | None, fetched_at: str | None) -> Article | None:
    """The Article for an extracted page; None when not an article, or no title."""
    if not ex.is_article or not ex.title:
        return None
    # A notice whose text is one line and a file, or a page that is a title and a date: its
    # headline is its text until the file's text comes in.
    body = ex.body or ex.title
    obj = {
        "id": ex.url, "url": ex.url, "site": site, "title": ex.title, "body": body,
        "published": ex.published, "author": ex.author, "category": ex.category,
        "doc_type": ex.doc_type, "doc_number": ex.doc_number, "attachments": ex.attachments,
        "fetched_at": fetched_at,
    }
    try:
        article, _ = Article.from_dict(obj)
    except InvalidArticle as exc:
        log.info("page %s is not a valid article: %s", ex.url, exc)
        return None
    return article


__all__ = ["Extracted", "SiteRules", "extract", "to_article"]
