"""The JSON API against a real `sandhan serve` on a loopback port: every parameter, every 400,
hostile queries, and every response checked against the OpenAPI document."""

from __future__ import annotations

from urllib.parse import quote

import jsonschema
import pytest
from openapi_spec_validator import validate

from web.openapi import openapi_document

SPEC = openapi_document()


def check(response, status: int, schema: str):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    resolver_schema = {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]}
    jsonschema.validate(body, resolver_schema)
    return body


def test_openapi_document_is_valid(live_server):
    served = live_server.get("/openapi.json").json()
    validate(served)
    assert set(served["paths"]) >= {"/api/search", "/api/articles/{id}", "/healthz"}


def test_healthz(live_server):
    body = check(live_server.get("/healthz"), 200, "Health")
    assert body["documents"] > 0 and body["built_at"]


def test_search_finds_and_highlights(live_server):
    body = check(live_server.get("/api/search", q="ঢাকা"), 200, "SearchResponse")
    assert body["total"] > 0
    first = body["results"][0]
    assert first["url"] == f"/articles/{first['id']}"
    assert "<mark>" in first["title_html"] + first["snippet_html"]
    assert body["facets"]["desk"] and body["facets"]["month"]
    assert sum(f["count"] for f in body["facets"]["desk"]) <= body["total"]


def test_desk_facet_counts_cover_the_whole_result_set(live_server):
    body = live_server.get("/api/search", q="", per_page=1).json()
    assert len(body["results"]) == 1
    assert sum(f["count"] for f in body["facets"]["desk"]) == body["total"]
    assert sum(f["count"] for f in body["facets"]["month"]) <= body["total"]


def test_desk_filter(live_server):
    desk = live_server.get("/api/search", q="").json()["facets"]["desk"][0]
    body = check(live_server.get("/api/search", q="", desk=desk["value"]), 200, "SearchResponse")
    assert body["total"] == desk["count"]
    assert all(r["desk"] == desk["value"] for r in body["results"])


def test_sorting_and_undated_last(live_server):
    newest = live_server.get("/api/search", q="", sort="newest", per_page=100).json()["results"]
    oldest = live_server.get("/api/search", q="", sort="oldest", per_page=100).json()["results"]
    dated_new = [r["published"] for r in newest if r["published"]]
    dated_old = [r["published"] for r in oldest if r["published"]]
    assert dated_new == sorted(dated_new, reverse=True)
    assert dated_old == sorted(dated_old)
    for results in (newest, oldest):
        flags = [r["published"] is None for r in results]
        assert flags == sorted(flags), "undated articles come last"


@pytest.mark.parametrize(
    "date_from, date_to",
    [("2024-01-01", "2024-12-31"), ("০১/০১/২০২৪", "৩১/১২/২০২৪"), ("১ জানুয়ারি ২০২৪", "৩১ ডিসেম্বর ২০২৪")],
)
def test_date_filter_in_every_format(live_server, date_from, date_to):
    body = check(
        live_server.get("/api/search", q="", **{"from": date_from, "to": date_to}), 200, "SearchResponse"
    )
    assert body["results"], "the samples have articles in 2024"
    assert all(r["published"] and r["published"].startswith("2024-") for r in body["results"])


def test_paging(live_server):
    all_ids = [r["id"] for r in live_server.get("/api/search", q="", per_page=100).json()["results"]]
    page2 = live_server.get("/api/search", q="", per_page=3, page=2).json()
    assert [r["id"] for r in page2["results"]] == all_ids[3:6]
    assert page2["page"] == 2 and page2["per_page"] == 3


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"from": "not a date"}, "from"),
        ({"to": "2024-13-45"}, "to"),
        ({"from": "2024-05-01", "to": "2024-04-01"}, "from"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_parameters_get_400_with_the_error_shape(live_server, params, parameter):
    body = check(live_server.get("/api/search", q="ঢাকা", **params), 400, "Error")
    assert body["error"]["parameter"] == parameter
    assert body["error"]["message"]


HOSTILE = [
    '"',
    '"""',
    '"ঢাকা',
    "-",
    "- -",
    "--ঢাকা",
    "title:",
    'title:"',
    "*",
    "*ঢাকা",
    "?",
    "~",
    "^",
    "ঢাকা" * 1250,
    "ক " * 2500,
    "\x00\x01\x1f",
    "\u09be",
    "\u09cd\u09cd",
    "\u200c\u200d",
    "AND OR NOT",
    "(ঢাকা",
    "ঢাকা)",
    "[a TO b]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\\",
    "😀" * 50,
    "ঢাকা\u0000খুলনা",
    "title:title:ঢাকা",
    "-title:ঢাকা",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_fail(live_server, q):
    r = live_server.get("/api/search", q=q)
    body = check(r, 200, "SearchResponse")
    for result in body["results"]:
        assert "<script>" not in result["title_html"] + result["snippet_html"]


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%C0%AF", "%E0%A6"])
def test_invalid_utf8_in_the_url_never_fails(live_server, raw):
    import requests

    r = requests.get(f"{live_server.url}/api/search?q={raw}", timeout=10)
    assert r.status_code in (200, 400), r.text
    assert r.json()


def test_html_in_results_is_escaped(live_server):
    body = live_server.get("/api/search", q="<b>ঢাকা</b>").json()
    for r in body["results"]:
        stripped = r["snippet_html"].replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped


def test_article_and_unknown_article(live_server):
    first = live_server.get("/api/search", q="").json()["results"][0]
    body = check(live_server.get(f"/api/articles/{first['id']}"), 200, "Article")
    assert body["title"] == first["title"] and body["body"]
    check(live_server.get("/api/articles/no-such-article"), 404, "Error")


@pytest.mark.parametrize("article_id", ["x" * 5_000, "খবর" * 2_000])
def test_the_404_of_an_unknown_article_repeats_at_most_40_characters_of_its_id(live_server, article_id):
    body = check(live_server.get("/api/articles/" + quote(article_id, safe="")), 404, "Error")
    assert body["error"]["message"] == f"No article with id {article_id[:40] + '…'!r}"


def test_unknown_api_path_is_json_404(live_server):
    check(live_server.get("/api/nothing"), 404, "Error")


def test_security_headers(live_server):
    r = live_server.get("/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


@pytest.mark.parametrize(
    "path, wants_json", [("/api/search", True), ("/api/articles/x", True), ("/healthz", True), ("/", False)]
)
def test_a_method_not_allowed_says_which_are(live_server, path, wants_json):
    import requests

    r = requests.post(live_server.url + path, timeout=10)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    if wants_json:
        check(r, 405, "Error")


@pytest.mark.parametrize("value", ["২", "১০", "1_0", "+1", "-1", " 1", "1 ", "1.0", "0x10", "", "১"])
@pytest.mark.parametrize("name", ["page", "per_page"])
def test_page_numbers_are_ascii_digits_as_the_document_says(live_server, name, value):
    body = check(live_server.get("/api/search", **{name: value}), 400, "Error")
    assert body["error"]["parameter"] == name
    assert not _fits(name, value)


def _fits(name: str, value) -> bool:
    """Whether `value` is allowed by the OpenAPI document's schema for the search parameter."""
    param = next(p for p in SPEC["paths"]["/api/search"]["get"]["parameters"] if p["name"] == name)
    if param["schema"].get("type") == "integer":
        value = int(value) if value.isascii() and value.isdigit() else value
    return jsonschema.Draft202012Validator(param["schema"]).is_valid(value)


# Each: a value for `to`, and whether it is a date the server reads (else 400 `bad_date`).
DATES = [
    ("2023-09-12", True),
    ("2023-9-1", True),
    ("১২ সেপ্টেম্বর ২০২৩", True),
    ("১২ সেপ্টেম্বর, ২০২৩", True),
    ("12 September 2023", True),
    ("12 september 2023", True),
    ("12 SEP 2023", True),
    ("12 Sept. 2023", True),
    ("১২/০৯/২০২৩", True),
    ("1২/0৯/২০2৩", True),
    ("", True),  # no limit
    ("±", False),
    ("2023/09/12", False),
    (" 2023-09-12", False),
    ("2023-09-12 ", False),
    ("2023-09-12\n", False),
    ("12  September 2023", False),
    ("12 sEPtember 2023", False),
    ("12 মাস 2023", False),
    ("2023-13-01", False),
    ("0999-01-01", False),
    ("২০২৩-০৯-১২T10:00", False),
]


@pytest.mark.parametrize("value, read", DATES)
def test_dates_the_document_allows_are_the_dates_the_server_reads(live_server, value, read):
    r = live_server.get("/api/search", to=value)
    assert _fits("to", value) == read
    if read:
        check(r, 200, "SearchResponse")
    else:
        assert check(r, 400, "Error")["error"] == {
            "code": "bad_date",
            "message": r.json()["error"]["message"],
            "parameter": "to",
        }


@pytest.mark.parametrize("value", ["2023-02-29", "৩১/০৪/২০২৪", "31 September 2023"])
def test_a_day_that_does_not_exist_is_the_documented_400(live_server, value):
    assert _fits("to", value)
    assert check(live_server.get("/api/search", to=value), 400, "Error")["error"]["code"] == "no_such_day"
    assert "no_such_day" in next(
        p["description"] for p in SPEC["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "to"
    )
