"""The API described (OpenAPI 3.1), served at /openapi.json."""

from __future__ import annotations

from typing import Any

from search.errors import MESSAGES

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"enum": sorted(MESSAGES), "description": "English, for programs"},
                "message": {"type": "string", "description": "Vietnamese, for people"},
            },
            "required": ["code", "message"],
        }
    },
}
_JSON_ERROR = {"application/json": {"schema": _ERROR}}


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "tracuu",
        "version": "0.1.0",
        "description": "Vietnamese-aware search over district government news portals.",
    },
    "paths": {
        "/api/search": {
            "get": {
                "summary": "Search articles",
                "parameters": [
                    _param("q", _STR, 'query; accents optional; "phrases"; -exclusions'),
                    _param("page", {"type": "integer", "minimum": 1, "maximum": 500}, "page"),
                    _param("size", {"type": "integer", "minimum": 1, "maximum": 50}, "hits/page"),
                    _param("site", _STR, "site filter"),
                    _param("category", _STR, "category filter"),
                    _param("doc_type", _STR, "document type filter (kế hoạch, chỉ thị...)"),
                    _param("from", {"type": "string", "format": "date"}, "published on/after"),
                    _param("to", {"type": "string", "format": "date"}, "published on/before"),
                    _param("sort", {"enum": ["relevance", "newest", "oldest"]}, "order"),
                ],
                "responses": {
                    "200": {
                        "description": "a page of hits",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "query": _STR,
                                        "total": {"type": "integer"},
                                        "page": {"type": "integer"},
                                        "size": {"type": "integer"},
                                        "took_ms": {"type": "number"},
                                        "suggestion": _NSTR,
                                        "showing": _NSTR,
                                        "hits": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "id": _STR,
                                                    "url": _NSTR,
                                                    "title": _STR,
                                                    "snippet": {
                                                        "type": "string",
                                                        "description": "escaped, <mark>",
                                                    },
                                                    "published": _NSTR,
                                                    "site": _NSTR,
                                                    "category": _NSTR,
                                                    "doc_type": _NSTR,
                                                    "doc_number": _NSTR,
                                                    "author": _NSTR,
                                                    "score": {"type": ["number", "null"]},
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "400": {
                        "description": "invalid parameter",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        },
        "/api/documents/{id}": {
            "get": {
                "summary": "One stored article",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": _STR}],
                "responses": {
                    "200": {"description": "the article (document model)"},
                    "404": {
                        "description": "no such article",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        },
        "/api/suggest": {
            "get": {
                "summary": "Type-ahead completions",
                "parameters": [_param("q", _STR, "what has been typed so far")],
                "responses": {"200": {"description": "{query, suggestions: [string]}"}},
            }
        },
        "/healthz": {"get": {"summary": "Health", "responses": {"200": {"description": "ok"}}}},
        "/metrics": {
            "get": {
                "summary": "Prometheus text: requests, latency, index size, crawls, OCR queue",
                "responses": {"200": {"description": "text/plain; version=0.0.4"}},
            }
        },
        "/admin/{action}": {
            "post": {
                "summary": "Start `reindex` (index rebuild) or `crawl`; needs admin_token",
                "parameters": [
                    {"name": "action", "in": "path", "required": True,
                     "schema": {"enum": ["reindex", "crawl"]}},
                ],
                "security": [{"bearer": []}],
                "responses": {
                    "202": {"description": "{status: started, action, pid}"},
                    "401": {"description": "missing or wrong token", "content": _JSON_ERROR},
                    "404": {"description": "no admin_token configured", "content": _JSON_ERROR},
                    "409": {"description": "a writer is at work", "content": _JSON_ERROR},
                },
            }
        },
    },
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}
