"""Beyond plain keywords: romanized (Banglish) queries, did-you-mean, search-as-you-type."""

from __future__ import annotations

import unicodedata

import jsonschema

from search.engine import SearchEngine, SearchRequest
from search.query import MAX_QUERY_CHARS
from search.whoosh_store import WhooshStore
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


def test_a_suggestion_comes_from_the_query_as_searched(live_server):
    """Control characters and text past the limits never come back in a suggestion."""
    q = "বৃস্টি\x00\x01\x1b" + "\x07" * 10 + " ঝঞঝ" * 5_000  # 20,000 characters
    body = live_server.get("/api/search", q=q).json()
    suggestion = body["suggestion"]
    assert suggestion and suggestion.startswith("বৃষ্টি")
    assert len(suggestion) <= MAX_QUERY_CHARS and len(body["query"]) <= MAX_QUERY_CHARS
    assert not [c for c in suggestion + body["query"] if unicodedata.category(c) == "Cc"]


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
        answer = client.get("/api/suggest", query_string={"q": q})
        assert answer.status_code == 200
        assert answer.get_json()["suggestions"] == [], q


def test_romanized_query_shows_what_was_searched_on_the_page(client):
    page = client.get("/?q=brishti").get_data(as_text=True)
    assert "খোঁজা হলো" in page and "বৃষ্টি" in page


def test_article_lists_related_articles_never_itself(client):
    first = client.get("/api/search?q=বৃষ্টি").get_json()["results"][0]
    body = valid(client.get(f"/api/articles/{first['id']}").get_json(), "Article")
    related = [r["id"] for r in body["related"]]
    assert related and first["id"] not in related
    page = client.get(f"/articles/{first['id']}").get_data(as_text=True)
    assert "সম্পর্কিত খবর" in page


def test_romanized_words_in_a_phrase_and_an_exclusion(client):
    plain = client.get('/api/search?q="ঢাকায় টানা"').get_json()
    romanized = client.get('/api/search?q="dhakay tana"').get_json()
    assert plain["total"] > 0
    assert [r["id"] for r in romanized["results"]] == [r["id"] for r in plain["results"]]
    body = client.get("/api/search?q=dhaka -brishti").get_json()
    assert body["interpreted_query"] == "ঢাকা -বৃষ্টি"  # the syntax survives the interpretation
    assert all("বৃষ্টি" not in r["title"] for r in body["results"])


def test_an_early_from_date_still_leaves_out_undated_articles(client):
    everything = client.get("/api/search?q=").get_json()["total"]
    dated = client.get("/api/search?q=&from=1900-01-01").get_json()
    undated = sum(
        1 for r in client.get("/api/search?q=&per_page=100").get_json()["results"] if not r["published"]
    )
    assert undated > 0
    assert dated["total"] == everything - undated


def test_a_minus_sign_or_dash_excludes_as_the_hyphen_does(client):
    everything = client.get("/api/search?q=ঢাকা").get_json()["total"]
    hyphen = client.get("/api/search?q=ঢাকা -বৃষ্টি").get_json()["total"]
    assert 0 < hyphen < everything
    for sign in ("\u2212", "\u2013", "\u2014"):  # minus sign, en dash, em dash
        assert client.get(f"/api/search?q=ঢাকা {sign}বৃষ্টি").get_json()["total"] == hyphen, sign


def test_romanized_off_searches_latin_words_as_typed(client):
    read = client.get("/api/search?q=brishti").get_json()
    typed = valid(client.get("/api/search?q=brishti&romanized=off").get_json(), "SearchResponse")
    assert read["total"] > 0 and read["interpreted_query"] == "বৃষ্টি"
    assert (typed["total"], typed["interpreted_query"]) == (0, None)
    on = client.get("/api/search?q=brishti&romanized=on").get_json()  # the default, said
    assert (on["total"], on["interpreted_query"]) == (read["total"], "বৃষ্টি")
    bad = client.get("/api/search?q=brishti&romanized=yes")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "romanized"


# Latin gibberish of the kind a reader types by mistake or to try the box. (Three more strings of
# bench/reading_confidence.py stay read, each as a plausible word: tyui তুই, uiop, poiuyt.)
GIBBERISH = (
    "zzzzqqq qwrtzp asdfgh qwerty zxcvbn hjkl lkjhg mnbvcx qqq zzz fjdksl wxyz bvcxz trkz plmokn qazwsx "
    "edcrfv ghjkl yxcvb xqzv kqxz jjjj wqwq zqzq vbnm asdf sdfg dfgh xxyyzz qpwoei zkzk blorft"
).split()


def test_gibberish_is_searched_as_typed_and_loanwords_are_still_read(corpus_index):
    """Over the shared corpus, whose vocabulary a romanized word is snapped to."""
    service = SearchEngine(WhooshStore(corpus_index))
    read = {q: service.search(SearchRequest(q=q, per_page=1))["interpreted_query"] for q in GIBBERISH}
    assert read == dict.fromkeys(GIBBERISH)  # no reading: each searched as typed
    assert service.search(SearchRequest(q="zzzzqqq"))["total"] == 0  # not 89 articles of যাক
    loanwords = {"football": "ফুটবল", "cricket": "ক্রিকেট", "hospital": "হসপিটাল", "mobile": "মোবাইল"}
    for typed, bangla in loanwords.items():
        assert service.search(SearchRequest(q=typed, per_page=1))["interpreted_query"] == bangla


def test_an_article_reached_from_a_romanized_search_marks_what_it_matched(client):
    # The article page plans the query as the search did: `brishti` is read as বৃষ্টি there too.
    first = client.get("/api/search?q=brishti").get_json()["results"][0]
    assert "<mark>" in first["title_html"] + first["snippet_html"]
    page = client.get(first["url"], query_string={"q": "brishti"}).get_data(as_text=True)
    bangla = client.get(first["url"], query_string={"q": "বৃষ্টি"}).get_data(as_text=True)
    assert page.count("<mark>") == bangla.count("<mark>") > 0
