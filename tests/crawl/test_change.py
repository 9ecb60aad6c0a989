"""The pure parts of a run: what a visit changes, what the site's links taught, the frontier."""

from __future__ import annotations

from dataclasses import replace

from crawl.change import Seen, decide, decide_gone
from crawl.frontier import FEEDS, HUBS, PAGES, Frontier
from crawl.habits import LinkHabits, with_slash
from crawl.sites import generic_site
from crawl.state import PageState
from indexer.config import Settings
from indexer.document import Article

URL = "http://huyen.example.vn/bai-viet/"


def state(article_id: str | None = None, content_hash: str | None = None) -> PageState:
    return PageState(URL, "huyen", "article", 200, None, None, None, content_hash, article_id,
                     None, 1.0, 1.0, 1.0, 2.0, 3, 0, 0, True)


def article(body: str = "Nội dung bài viết.") -> Article:
    return Article(id=URL, url=URL, title="Hội nghị tổng kết", body=body, published="2021-06-24")


def test_new_changed_unchanged() -> None:
    first = decide(None, Seen("article", article()))
    assert (first.outcome, first.put, first.delete) == ("new", article(), ())
    same = decide(state(URL, first.content_hash), Seen("article", article()))
    assert (same.outcome, same.put, same.streak) == ("unchanged", None, 4)
    edited = decide(state(URL, first.content_hash), Seen("article", article("Sửa lại.")))
    assert (edited.outcome, edited.put is not None) == ("changed", True)


def test_an_article_that_became_a_listing_or_an_alias_leaves_the_index() -> None:
    for kind in ("listing", "empty", "alias"):
        canonical = "http://x/y" if kind == "alias" else None
        ch = decide(state(URL, "h"), Seen(kind, canonical=canonical))
        assert (ch.outcome, ch.delete, ch.kind) == ("removed", (URL,), kind)
    assert decide(None, Seen("listing")).outcome == "other"
    assert decide(None, Seen("alias", canonical="http://x/y")).outcome == "alias"


def test_gone_twice_before_removal() -> None:
    assert decide_gone(state(URL, "h"), 1, False).outcome == "gone"
    assert decide_gone(state(URL, "h"), 2, False).delete == (URL,)
    assert decide_gone(state(URL, "h"), 2, True).delete == ()  # another page still feeds it


def test_slash_habit_learned_then_used_with_a_fallback() -> None:
    habits = LinkHabits()
    for n in range(3):
        assert habits.rewrite(f"http://h/bai-{n}") == (f"http://h/bai-{n}", None)
        habits.seen_answer(f"http://h/bai-{n}", f"http://h/bai-{n}/", 200)
    assert habits.rewrite("http://h/moi") == ("http://h/moi/", "http://h/moi")
    assert habits.rewrite("http://h/tep.pdf") == ("http://h/tep.pdf", None)  # files keep theirs
    assert with_slash("http://h/a?x=1") == "http://h/a/?x=1"
    habits.seen_answer("http://h/trang", "http://h/trang", 200)  # a slashless page exists
    assert habits.rewrite("http://h/moi") == ("http://h/moi", None)


def test_relative_links_as_the_site_means_them() -> None:
    habits = LinkHabits()
    for _ in range(3):
        habits.link_answered("asked", True)
    assert habits.prefers_asked_base()
    habits.link_answered("final", True)
    assert not habits.prefers_asked_base()  # three to one is not enough
    habits.link_answered("asked", True)
    assert habits.prefers_asked_base()  # more than three to one: the authors' reading
    again = LinkHabits.from_json(habits.to_json())
    assert again.link_base == habits.link_base


def test_a_canonical_many_pages_declare_is_a_template_s() -> None:
    habits = LinkHabits()
    habits.declared("http://h/guest", "http://h/a")
    habits.declared("http://h/guest", "http://h/a")  # one page counts once
    assert habits.trusts("http://h/guest")
    habits.declared("http://h/guest", "http://h/b")
    habits.declared("http://h/guest", "http://h/c")
    assert not habits.trusts("http://h/guest")
    habits.bad_canonicals.add("http://h/a")
    assert not habits.trusts("http://h/a")


def test_frontier_takes_turns_and_caps_a_listing_chain() -> None:
    site = replace(generic_site("http://h/", Settings()), max_pages=100)
    f = Frontier(site)
    assert f.chain_cap == 20
    for n in range(2, 40):
        f.add(f"http://h/tin?page={n}", priority=HUBS, chain="http://h/tin")
    for n in range(10):
        f.add(f"http://h/bai-{n}", depth=1, priority=PAGES)
    f.add("http://h/sitemap.xml", priority=FEEDS, kind="sitemap")
    assert f.skipped["listing chain cap"] == 18
    order = [f.pop() for _ in range(9)]
    assert order[0] is not None and order[0].kind == "sitemap"
    kinds = ["hub" if t is not None and "page=" in t.url else "page" for t in order[1:]]
    assert kinds == ["hub", "page"] * 4  # listings and pages in turn
