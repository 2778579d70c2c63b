"""Beyond plain keywords: romanized (Banglish) queries, did-you-mean, search-as-you-type."""

from __future__ import annotations

import jsonschema

from web.openapi import openapi_document

SPEC = openapi_document()


def valid(body: dict, schema: str) -> dict:
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]})
    return body


def test_romanized_query_is_interpreted_and_finds_bangla_articles(client):
    body = valid(client.get("/api/search?q=brishti").get_json(), "SearchResponse")
    assert body["interpreted_query"] == "বৃষ্টি"
    assert body["total"] > 0
    assert all("বৃষ্টি" in r["title"] + r["snippet_html"] for r in body["results"])
    assert "<mark>বৃষ্টি" in body["results"][0]["title_html"] + body["results"][0]["snippet_html"]


def test_mixed_script_query(client):
    body = client.get("/api/search?q=dhaka বৃষ্টি").get_json()
    assert body["interpreted_query"] == "ঢাকা বৃষ্টি"
    assert "ঢাকা" in body["results"][0]["title"] and "বৃষ্টি" in body["results"][0]["title"]


def test_bangla_query_has_no_interpretation(client):
    assert client.get("/api/search?q=বৃষ্টি").get_json()["interpreted_query"] is None


def test_misspelled_query_gets_a_suggestion(client):
    body = client.get("/api/search?q=বৃস্টি").get_json()  # স for ষ
    assert body["total"] == 0
    assert body["suggestion"] == "বৃষ্টি"
    fixed = client.get(f"/api/search?q={body['suggestion']}").get_json()
    assert fixed["total"] > 0


def test_no_suggestion_when_the_query_finds_enough(client):
    assert client.get("/api/search?q=ক্রিকেট").get_json()["suggestion"] is None


def test_suggest_completes_terms_then_titles(client):
    body = valid(client.get("/api/suggest?q=বৃষ্").get_json(), "Suggestions")  # ends in a hasanta
    texts = [s["text"] for s in body["suggestions"] if s["kind"] == "term"]
    assert texts and all(t.startswith("বৃষ্") for t in texts)
    titles = [s for s in body["suggestions"] if s["kind"] == "title"]
    assert titles and all(s["url"].startswith("/articles/") for s in titles)


def test_suggest_at_a_vowel_sign_and_with_a_head(client):
    body = client.get("/api/suggest?q=ঢাকায় বৃষ্টি").get_json()  # ends in a vowel sign
    terms = [s["text"] for s in body["suggestions"] if s["kind"] == "term"]
    assert terms and all(t.startswith("ঢাকায় বৃষ্টি") for t in terms)


def test_suggest_of_nothing_is_empty(client):
    for q in ("", "   ", "\u09cd", "abc"):
        assert client.get("/api/suggest", query_string={"q": q}).status_code == 200
