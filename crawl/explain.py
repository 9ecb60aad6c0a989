"""`tracuu crawl --explain URL`: how one page was classified, and why.

The page is read from crawl.sqlite when a crawl stored it (else fetched once, politely, and not
stored) and decided again with what the crawler learned of its site: the template, the link
habits. Nothing is written.
"""

from __future__ import annotations

import copy
from pathlib import Path

from crawl.discover import canonical_url
from crawl.errors import CrawlError, FetchError
from crawl.extract import Extracted
from crawl.habits import LinkHabits, with_slash
from crawl.reader import Reader, decode
from crawl.sites import Site, load_sites
from crawl.state import PageState, State
from crawl.template import SiteTemplate
from indexer.config import Settings

EXCERPT = 240


def _stored(state: State, url: str) -> tuple[PageState | None, list[str]]:
    """The stored page for url (following an alias), and how it was reached."""
    notes: list[str] = []
    for form in dict.fromkeys([url, with_slash(url), url.rstrip("/")]):
        st = state.get(form)
        if st is None:
            continue
        if st.kind == "alias" and st.canonical:
            notes.append(f"{form} is an alias of {st.canonical} (a redirect or a canonical link)")
            target = state.get(st.canonical)
            if target is not None:
                return target, notes
        return st, notes
    return None, notes


def _fetch(settings: Settings, site: Site, url: str) -> tuple[bytes, str | None, str]:
    from crawl.fetch import Fetcher
    from crawl.run import policy_for, user_agent

    with Fetcher(user_agent(settings)) as fetcher:
        policy = policy_for(site)
        page = fetcher.get(url, policy)
    if page.status != 200:
        raise FetchError(url, f"answered {page.status}")
    return page.body, page.content_type, canonical_url(page.final_url) or url


def explain(settings: Settings, url: str, crawl_db: Path) -> str:
    """A few lines saying what the page at url is and on what evidence."""
    target = canonical_url(url)
    if target is None:
        raise CrawlError(f"not an http(s) URL: {url}")
    site = load_sites(settings, [target])[0]
    with State(crawl_db) as state:
        st, notes = _stored(state, target)
        template_json, habits_json = state.memory(st.site if st else site.name)
        raw = state.raw(st.url) if st is not None else None
    if st is not None and raw is not None:
        source = f"stored copy (fetched {_when(st.fetched_at)}, remembered as {st.kind})"
        page_url, ctype = st.url, st.content_type
    else:
        raw, ctype, page_url = _fetch(settings, site, target)
        source = "fetched now (no stored copy)"
    template = copy.deepcopy(SiteTemplate.from_json(template_json))
    reader = Reader(site, template, LinkHabits.from_json(habits_json))
    seen, ex = reader.read(decode(raw, ctype), page_url, 0.0)
    lines = [f"{page_url}", f"  read from: {source}", *[f"  {n}" for n in notes],
             f"  site template: learned from {template.pages} page(s) of {site.name}"]
    if seen.kind == "alias":
        lines.append(f"  kind: alias of {seen.canonical} (its rel=canonical)")
    else:
        lines.append(f"  kind: {ex.kind} — {ex.why}")
    lines += _fields(ex) + _evidence(ex)
    return "\n".join(lines)


def _when(ts: float | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "never"


def _fields(ex: Extracted) -> list[str]:
    ev = ex.evidence
    out = [f"  title: {ex.title!r} ({ev.title_source or 'none found'})"]
    for text, why in ex.rejected_titles[:8]:
        out.append(f"    not the title: {text[:70]!r} — {why}")
    out.append(f"  date: {ex.published or 'none'}" + (f" ({ex.date_source})" if ex.date_source
                                                      else ""))
    if ex.category:
        out.append(f"  category: {ex.category}")
    if ex.doc_number:
        out.append(f"  document: {ex.doc_number} ({ex.doc_type or 'type unknown'})")
    for a in ex.attachments:
        out.append(f"  attachment: {a['title']} <{a['url']}>")
    return out


def _evidence(ex: Extracted) -> list[str]:
    ev = ex.evidence
    out = [
        f"  own text after the title: {ev.own_text} characters in {ev.own_lines} line(s); "
        f"{ev.text_before_links} before the first headline link",
        f"  headline links: {ev.links_after} in a list right under the title, "
        f"{ev.headline_links} on the page; longest prose run between them {ev.prose_run}",
        f"  left out: {ev.template_lines} template line(s), {ev.related_lines} line(s) of "
        "related-news boxes",
    ]
    extra = [f"address says {ev.url_kind}" if ev.url_kind else "",
             f"declared {ev.declared} (og:type / JSON-LD)" if ev.declared else "",
             f"{ev.next_pages} link(s) to its own listing's pages" if ev.next_pages else "",
             f"{ev.form_controls} form field(s) under the title" if ev.form_controls else "",
             "reads like a soft 404 or placeholder" if ev.soft_404 else ""]
    if any(extra):
        out.append("  also: " + "; ".join(x for x in extra if x))
    if ex.body:
        body = ex.body.replace("\n", " / ")
        out.append(f"  body ({len(ex.body)} characters): {body[:EXCERPT]}"
                   + ("…" if len(body) > EXCERPT else ""))
    return out

