"""The Article model: validation, defaults, document numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.document import Article, doc_type_from_number, find_doc_number
from indexer.errors import InvalidArticle


def test_minimal_article_defaults_id_and_site_from_url() -> None:
    art, warnings = Article.from_dict(
        {"url": "https://daksong.daknong.gov.vn/tin/1", "title": " Tiêu đề ", "body": "a\n\n b "}
    )
    assert art.id == "https://daksong.daknong.gov.vn/tin/1"
    assert art.site == "daksong.daknong.gov.vn"
    assert art.title == "Tiêu đề"
    assert art.body == "a\nb"
    assert warnings == []


def test_unknown_fields_warn() -> None:
    _, warnings = Article.from_dict({"id": "x", "title": "t", "body": "b", "source": "VNTC"})
    assert warnings == ["unknown field 'source' ignored"]


@pytest.mark.parametrize(
    "obj",
    [
        {"title": "t", "body": "b"},
        {"id": "x", "body": "b"},
        {"id": "x", "title": "t"},
        {"id": "x", "title": "t", "body": "b", "published": "hôm qua"},
        ["not", "an", "object"],
    ],
    ids=["no id or url", "no title", "no body", "bad date", "a list"],
)
def test_invalid_articles_are_refused(obj: object) -> None:
    with pytest.raises(InvalidArticle):
        Article.from_dict(obj)


def test_published_in_vietnam_time() -> None:
    art, _ = Article.from_dict(
        {"id": "x", "title": "t", "body": "b", "published": "2021-06-24T01:30:00Z"}
    )
    assert art.published == "2021-06-24T08:30:00"


def test_doc_number_from_title_and_type_from_number() -> None:
    art, _ = Article.from_dict(
        {"id": "x", "title": "Kế hoạch số 123/KH-UBND về phòng chống dịch", "body": "b"}
    )
    assert art.doc_number == "123/KH-UBND"
    assert art.doc_type == "kế hoạch"
    assert find_doc_number("Chỉ thị 05-CT/HU của Ban Thường vụ") == "05-CT/HU"
    assert doc_type_from_number("45/2021/QĐ-UBND") == "quyết định"


def test_entities_left_in_text_become_characters() -> None:
    """A portal that escaped its text twice: readers and the API see '&', '>', never '&amp;'."""
    fixture = Path(__file__).parents[1] / "fixtures" / "articles.jsonl"
    lines = fixture.read_text(encoding="utf-8").splitlines()
    line = next(line for line in lines if "TTNCKT&amp;QLMT" in line)
    art, _ = Article.from_dict(json.loads(line))
    assert "TTNCKT&QLMT" in art.body and "&amp;" not in art.body
    art, _ = Article.from_dict({
        "url": "https://x.gov.vn/a?id=1&amp;p=2",
        "title": "Trang chủ &gt; Tin tức &amp;amp; sự kiện",
        "author": "Ban Tuyên giáo &amp; Dân vận",
        "body": "AT&T &#273;ã &amp;lt;b&amp;gt; giữ nguyên",
    })
    assert art.title == "Trang chủ > Tin tức & sự kiện"
    assert art.author == "Ban Tuyên giáo & Dân vận"
    assert art.body == "AT&T đã <b> giữ nguyên"
    assert art.url == "https://x.gov.vn/a?id=1&amp;p=2"  # addresses are kept as given
