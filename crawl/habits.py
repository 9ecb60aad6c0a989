"""How a site writes its links, learned from its answers (pure data, stored between runs).

Two habits of static re-hosts and old portals:

- Links omit the trailing slash the server wants: every `/slug` answers a 301 to `/slug/`. After
  a few such redirects and none the other way, links are asked with the slash directly (one
  request per page instead of two); a rewritten link that answers 404 is tried as written.
- Relative links written for the slashless address: on `/a/` (reached from `/a`), `b` means
  `/b` to the site's authors but `/a/b` to a browser. Both are kept; the browser's form is tried
  first until the site has shown which one it means, and the other is the fallback on a 404.

And one guard: a rel=canonical that several pages declare (a broken template's `/guest`), or one
that answers 404, names no page.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

EVIDENCE = 3  # answers before a habit is trusted
SHARED_CANONICAL = 3  # pages declaring one canonical before it counts as a template's


def _slashless(url: str) -> bool:
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    return bool(last) and "." not in last


def with_slash(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/", parts.query, ""))


def is_slash_redirect(asked: str, final: str) -> bool:
    """`/slug` → `/slug/` (same query): the same page with a slash."""
    return _slashless(asked) and final == with_slash(asked)


@dataclass
class LinkHabits:
    """What a site's answers taught about its links."""

    slash_redirects: int = 0  # /slug answered 301 → /slug/
    slashless_pages: int = 0  # /slug answered 200 itself
    link_base: Counter[str] = field(default_factory=Counter)  # 'final' / 'asked' wins
    canonicals: Counter[str] = field(default_factory=Counter)  # canonical → pages declaring it
    bad_canonicals: set[str] = field(default_factory=set)  # canonicals that answered 404/410
    declarers: set[str] = field(default_factory=set)  # pages counted in `canonicals`

    # -- trailing slash -------------------------------------------------------------------
    def adds_slash(self) -> bool:
        return self.slash_redirects >= EVIDENCE and self.slashless_pages == 0

    def seen_answer(self, asked: str, final: str, status: int) -> None:
        """Learn from an answer to a slashless URL."""
        if not _slashless(asked):
            return
        if is_slash_redirect(asked, final):
            self.slash_redirects += 1
        elif status == 200 and final == asked:
            self.slashless_pages += 1

    def rewrite(self, url: str) -> tuple[str, str | None]:
        """(URL to ask, fallback on 404): `/slug` as `/slug/` once the site has shown it."""
        if self.adds_slash() and _slashless(url):
            return with_slash(url), url
        return url, None

    # -- relative links -------------------------------------------------------------------
    def prefers_asked_base(self) -> bool:
        """The site's relative links mean what their authors wrote, far more often than not."""
        asked, final = self.link_base["asked"], self.link_base["final"]
        return asked >= EVIDENCE and asked > 3 * final

    def link_answered(self, base: str, ok: bool) -> None:
        """A relative link resolved against `base` ('final' or 'asked') answered (ok or 404)."""
        if ok:
            self.link_base[base] += 1

    # -- canonical ------------------------------------------------------------------------
    def declared(self, canonical: str, page: str) -> None:
        """A page names `canonical` its canonical URL (each page counted once)."""
        if page not in self.declarers:
            self.declarers.add(page)
            self.canonicals[canonical] += 1

    def trusts(self, canonical: str) -> bool:
        """A canonical one page declares, that has not answered 404."""
        return (canonical not in self.bad_canonicals
                and self.canonicals[canonical] < SHARED_CANONICAL)

    # -- storage --------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({
            "slash_redirects": self.slash_redirects, "slashless_pages": self.slashless_pages,
            "link_base": dict(self.link_base), "canonicals": dict(self.canonicals),
            "bad_canonicals": sorted(self.bad_canonicals), "declarers": sorted(self.declarers)},
            ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> LinkHabits:
        if not text:
            return cls()
        d = json.loads(text)
        return cls(int(d.get("slash_redirects", 0)), int(d.get("slashless_pages", 0)),
                   Counter(d.get("link_base", {})), Counter(d.get("canonicals", {})),
                   set(d.get("bad_canonicals", [])), set(d.get("declarers", [])))


