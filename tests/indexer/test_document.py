"""The Article model: validation, defaults, document numbers."""

from __future__ import annotations

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
