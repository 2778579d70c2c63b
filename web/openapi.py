"""The OpenAPI 3.1 description of the JSON API; tests validate it and check responses against it."""

from __future__ import annotations

from search.dates import DATE_PATTERN
from search.engine import DATES, ROMANIZED
from search.query import MAX_QUERY_CHARS, PARTIAL
from search.store import SORTS
from web.params import MAX_DESK_CHARS, MAX_PAGE, MAX_PER_PAGE

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "What went wrong: a bad parameter (`bad_parameter`, `bad_date`, "
                    "`bad_range`), an HTTP error (`not_found`, `method_not_allowed`, …), an index "
                    "that cannot answer (`index_unavailable`: none built, or built by another "
                    "version; `index_damaged`: its files are not as written, see "
                    "`sandhan index verify`) or `internal_error`.",
                },
                "message": {"type": "string"},
                "parameter": {"type": "string"},
            },
        }
    },
}
_NULLABLE_STRING = {"type": ["string", "null"]}
_ARTICLE_URL = {
    "type": "string",
    "pattern": "^/articles/[A-Za-z0-9_.~%-]+$",
    "description": "The article's page: /articles/ and the id percent-encoded (an id of dots only, "
    "or one that starts with ~, gets a ~ in front). /api followed by it is the article as JSON.",
}
_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_FACET = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
}
_RESULT = {
    "type": "object",
    "required": [
        "id",
        "url",
        "title",
        "title_html",
        "snippet_html",
        "desk",
        "published",
        "updated",
        "score",
    ],
    "properties": {
        "id": {"type": "string"},
        "url": _ARTICLE_URL,
        "title": {"type": "string"},
        "title_html": {"type": "string"},
        "snippet_html": {"type": "string"},
        "desk": _NULLABLE_STRING,
        "published": _DATETIME,
        "updated": _DATETIME,
        "score": {"type": ["number", "null"]},
        "similar": {"type": "integer", "minimum": 0},
        "similar_ids": {"type": "array", "items": {"type": "string"}},
    },
}
_SEARCH = {
    "type": "object",
    "required": [
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "results",
        "facets",
        "suggestion",
        "date_reading",
        "partial",
    ],
    "properties": {
        "query": {"type": "string", "maxLength": MAX_QUERY_CHARS, "description": "the query as searched"},
        "interpreted_query": _NULLABLE_STRING,
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "took_ms": {"type": "number", "minimum": 0},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
        "facets": {
            "type": "object",
            "required": ["desk", "month"],
            "properties": {"desk": _FACET, "month": _FACET},
        },
        "suggestion": _NULLABLE_STRING,
        "date_reading": {
            "description": "null, or the date read from `q`: the words as typed, the days they "
            "mean (inclusive, Bangladesh dates) and whether they were applied as the date window",
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["text", "from", "to", "applied"],
                    "additionalProperties": False,
                    "properties": {
                        "text": {"type": "string"},
                        "from": {"type": "string", "format": "date"},
                        "to": {"type": "string", "format": "date"},
                        "applied": {"type": "boolean"},
                    },
                },
            ],
        },
        "partial": {
            "type": ["string", "null"],
            "enum": [*PARTIAL, None],
            "description": "null when the results are complete; else why not: "
            + "; ".join(f"`{code}`: {meaning}" for code, meaning in PARTIAL.items()),
        },
    },
}
_ARTICLE = {
    "type": "object",
    "required": ["id", "title", "desk", "published", "updated", "body"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "desk": _NULLABLE_STRING,
        "published": _DATETIME,
        "updated": _DATETIME,
        "body": {"type": "string"},
        "related": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "url", "title", "published"],
                "properties": {
                    "id": {"type": "string"},
                    "url": _ARTICLE_URL,
                    "title": {"type": "string"},
                    "published": _DATETIME,
                },
            },
        },
    },
}
_SUGGESTIONS = {
    "type": "object",
    "required": ["query", "suggestions"],
    "properties": {
        "query": {"type": "string"},
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text", "kind"],
                "properties": {
                    "text": {"type": "string"},
                    "kind": {"enum": ["term", "title"]},
                    "url": _ARTICLE_URL,
                },
            },
        },
    },
}
_HEALTH = {
    "type": "object",
    "required": ["status", "documents", "built_at"],
    "properties": {
        "status": {"const": "ok"},
        "documents": {"type": "integer", "minimum": 0},
        "built_at": _DATETIME,
        "generation": {"type": "string"},
        "warm": {"type": "boolean", "description": "caches filled; answers at full speed"},
        "verified": {
            "type": "boolean",
            "description": "every index file's checksum checked (in the background after the "
            "server opens an index) and as written",
        },
    },
}
_HEALTH_UNAVAILABLE = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {
        "status": {
            "enum": ["unavailable", "damaged"],
            "description": "`unavailable`: no index, or one built by another version; `damaged`: "
            "index files missing, cut or changed (error code `index_damaged`)",
        },
        "error": _ERROR["properties"]["error"],
    },
}


_NO_INDEX = (
    "No usable index: `index_unavailable` (none built, or built by another version) or "
    "`index_damaged` (files missing, cut or changed: run `sandhan index verify`)"
)


def _date_param(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{what}, inclusive, Bangladesh date: 2023-09-12, ১২ সেপ্টেম্বর ২০২৩ or ১২/০৯/২০২৩ "
        "(day first; ASCII or Bangla digits; English month names too). Empty: no limit. A day that "
        "does not exist (2023-02-30) answers 400 `no_such_day`, `from` after `to` 400 `bad_range`.",
        "schema": {"type": "string", "anyOf": [{"maxLength": 0}, {"pattern": DATE_PATTERN}]},
    }


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sandhan",
            "version": "1.0.0",
            "description": "Full-text search over a Bangla news archive.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Ranked keyword search with date filters and facets",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "description": 'Words, "exact phrase", -exclude, title:word. Empty: '
                            "the newest articles (within the date filter). Longer queries are cut "
                            f"at {MAX_QUERY_CHARS} characters and control characters read as "
                            "spaces: `query` in the answer is the query as searched.",
                            "schema": {"type": "string"},
                        },
                        _date_param("from", "Earliest publication date"),
                        _date_param("to", "Latest publication date"),
                        {
                            "name": "sort",
                            "in": "query",
                            "required": False,
                            "description": "Undated articles come last either way.",
                            "schema": {"type": "string", "enum": list(SORTS)},
                        },
                        {
                            "name": "dates",
                            "in": "query",
                            "required": False,
                            "description": "A date typed in `q` (১২ আগস্ট ২০২৪, আগস্ট ২০২৪, ১২-১৮ আগস্ট ২০২৪, "
                            "১২ ভাদ্র ১৪৩০, গত সপ্তাহে, গতকাল, 2024-08-12, …): `auto` (default) searches a "
                            "full date, a month with its year, a range or a relative expression as a date "
                            "window, its words not searched, and only offers a bare year or a day and month "
                            "without a year; `on` applies an offered reading too; `off` searches the words. "
                            "Explicit `from`/`to` win over a reading, which is then offered.",
                            "schema": {"type": "string", "enum": list(DATES)},
                        },
                        {
                            "name": "romanized",
                            "in": "query",
                            "required": False,
                            "description": "`on` (default): a word in Latin letters is read as the Bangla "
                            "word of the archive it most likely means (dhaka → ঢাকা), when the reading is "
                            "sure enough, and `interpreted_query` says what was searched. `off`: every "
                            "word is searched as typed.",
                            "schema": {"type": "string", "enum": list(ROMANIZED)},
                        },
                        {
                            "name": "desk",
                            "in": "query",
                            "required": False,
                            "description": "A desk value from facets.desk; empty: every desk.",
                            "schema": {"type": "string", "maxLength": MAX_DESK_CHARS},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "description": "In digits 0-9 (not ২, 1_0 or +1).",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "required": False,
                            "description": "In digits 0-9.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                        },
                    ],
                    "responses": {
                        "200": _json("SearchResponse", "Results"),
                        "400": _json(
                            "Error",
                            "A parameter is invalid; `error.parameter` names it, `error.code` is "
                            "`bad_parameter`, `bad_date`, `no_such_day` or `bad_range`",
                        ),
                        "503": _json("Error", _NO_INDEX),
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Completions for search-as-you-type: vocabulary terms, then titles",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "description": "What the reader has typed so far.",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("Suggestions", "Completions"),
                        "503": _json("Error", _NO_INDEX),
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "operationId": "article",
                    "summary": "One article",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "The id as `url` writes it: percent-encoded; an id of dots "
                            "only or none, or one that starts with ~, takes a ~ in front.",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("Article", "The article"),
                        "404": _json("Error", "No such article"),
                        "503": _json("Error", _NO_INDEX),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and the index being served",
                    "responses": {
                        "200": _json("Health", "Serving"),
                        "503": _json("HealthUnavailable", _NO_INDEX),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": _ERROR,
                "Result": _RESULT,
                "SearchResponse": _SEARCH,
                "Article": _ARTICLE,
                "Health": _HEALTH,
                "HealthUnavailable": _HEALTH_UNAVAILABLE,
                "Suggestions": _SUGGESTIONS,
            }
        },
    }
