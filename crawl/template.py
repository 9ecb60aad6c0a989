"""A site's template, learned from its pages: the text every page repeats is not any page's own.

Banners, menus, sidebars, "TIN ĐÃ ĐƯA" headings, footers and the generic `<title>` come back on
page after page of one site; a page's own title and body do not. `SiteTemplate` counts on how
many pages of the site each line of text (folded) stood, three ways: the text alone ('x:'), the
text in its element ('s:', so that a page titled "Giới thiệu" is not the menu heading "GIỚI
THIỆU" every page shows), and link lines ('l:', menus and sidebar news boxes); and the parts of
`<title>` ('t:'). A line on at least `share` of the pages (and on `floor` pages or more) is
template. Pure data: crawl.state stores it between runs.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bs4 import Tag

from crawl.markup import Line, classes, text_key

TITLE_SPLIT = re.compile(r"\s+[-|–—:»]\s+|\s*[|»]\s*")
MAX_KEY_CHARS = 300  # longer lines are prose, never template
MATURE = 25  # pages after which the template is trusted (pages decided before are re-decided)


def title_parts(page_title: str) -> list[str]:
    """'Tin A - Cổng thông tin huyện X' → ['Tin A', 'Cổng thông tin huyện X']."""
    return [p.strip() for p in TITLE_SPLIT.split(page_title) if p.strip()]


def _named(tag: Tag) -> str | None:
    names = classes(tag)
    if names:
        return f"{tag.name}.{names[0]}"
    ident = str(tag.get("id") or "")
    return f"{tag.name}#{ident}" if ident else None


def signature(line: Line) -> str:
    """The element a line stands in: its tag and first class ('p.Title', 'td.Time'), and for an
    element without one, the nearest ancestor that has one ('p@div.title-gt')."""
    if (own := _named(line.block)) is not None:
        return own
    for parent in line.block.parents:
        if (name := _named(parent)) is not None:
            return f"{line.block.name}@{name}"
    return str(line.block.name)


def line_key(line: Line) -> str:
    """The key a line is counted under: 'l:' + text for links, 's:' + element + text else."""
    if line.is_link:
        return "l:" + line.key
    return f"s:{signature(line)}:{line.key}"


def page_keys(lines: Iterable[Line], page_title: str, files: Iterable[str] = ()) -> set[str]:
    """What one page contributes to its site's counts (files: hrefs of its document links)."""
    keys: set[str] = {"h:" + href for href in files}
    for line in lines:
        if not 0 < len(line.text) <= MAX_KEY_CHARS or not line.key:
            continue
        keys.add(line_key(line))
        keys.add("e:" + signature(line))
        if not line.is_link:
            keys.add("x:" + line.key)
    keys |= {"t:" + k for k in map(text_key, title_parts(page_title)) if k}
    return keys


@dataclass
class SiteTemplate:
    """Counts of repeated text over the pages of one site."""

    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)  # URLs already counted
    elements: dict[str, list[int]] = field(default_factory=dict)  # signature → [pages, texts]
    share: float = 0.2
    floor: int = 3

    @property
    def mature(self) -> bool:
        return self.pages >= MATURE

    def observe(self, url: str, keys: set[str]) -> bool:
        """Count a page once; False when this URL was counted before."""
        if url in self.seen:
            return False
        self.seen.add(url)
        self.pages += 1
        for key in keys:
            if key.startswith("e:"):
                self.elements.setdefault(key[2:], [0, 0])[0] += 1
            elif key.startswith("s:") and not self.counts.get(key):
                self.elements.setdefault(key.split(":", 2)[1], [0, 0])[1] += 1
        self.counts.update(k for k in keys if not k.startswith("e:"))
        if self.pages % 200 == 0:
            self._prune()
        return True

    def threshold(self) -> int:
        return max(self.floor, math.ceil(self.share * self.pages))

    def pages_with(self, text: str) -> int:
        return self.counts.get("x:" + text_key(text), 0)

    def is_template(self, text: str) -> bool:
        """Text repeated outside links on many pages of the site (in whatever element)."""
        if not text or len(text) > MAX_KEY_CHARS:
            return False
        return self.counts.get("x:" + text_key(text), 0) >= self.threshold()

    def line_pages(self, line: Line) -> int:
        return self.counts.get(line_key(line), 0)

    def is_template_line(self, line: Line) -> bool:
        """The same text in the same element on many pages (or the same link)."""
        if not line.text or len(line.text) > MAX_KEY_CHARS:
            return False
        return self.counts.get(line_key(line), 0) >= self.threshold()

    def is_template_file(self, href: str) -> bool:
        """A document linked from many pages (a 'Văn bản mới' box), not one page's own file."""
        return self.counts.get("h:" + href, 0) >= self.threshold()

    def is_template_title(self, part: str) -> bool:
        """A part of `<title>` that many pages share (the site's name, 'Trang chủ')."""
        return self.counts.get("t:" + text_key(part), 0) >= self.threshold()

    def repeats(self, line: Line) -> float:
        """How many pages, on average, share each text of this line's element: about 1 for a
        page's own title element, more for a category heading printed over many articles."""
        stats = self.elements.get(signature(line))
        if not stats or stats[0] < self.floor or not stats[1]:
            return 0.0
        return stats[0] / stats[1]

    def site_wide(self, line: Line) -> bool:
        """The line's element stands on (nearly) every page: header, footer, a clock."""
        stats = self.elements.get(signature(line))
        return stats is not None and self.pages >= self.floor and stats[0] >= 0.9 * self.pages

    def _prune(self) -> None:
        """Forget lines seen on one page only: article text, never template (bounded memory)."""
        for key in [k for k, n in self.counts.items() if n < 2]:
            del self.counts[key]

    def to_json(self) -> str:
        return json.dumps({"pages": self.pages, "counts": dict(self.counts),
                           "seen": sorted(self.seen), "elements": self.elements},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> SiteTemplate:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data.get("pages", 0)), Counter(data.get("counts", {})),
                   set(data.get("seen", [])), dict(data.get("elements", {})))
