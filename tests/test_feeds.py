"""/search.atom: every search as a valid Atom feed, newest first, with the API's filters."""

from __future__ import annotations

import re
from datetime import datetime

import feedparser


def feed_of(client, **params):
    r = client.get("/search.atom", query_string=params)
    assert r.status_code == 200, r.data
    assert r.mimetype == "application/atom+xml"
    parsed = feedparser.parse(r.data)
    assert not parsed.bozo, parsed.get("bozo_exception")  # well-formed
    assert parsed.version == "atom10"
    return parsed


def test_a_search_as_a_feed_newest_first_with_the_same_results_as_the_api(client):
    parsed = feed_of(client, q="ঢাকা")
    api = client.get("/api/search", query_string={"q": "ঢাকা", "sort": "newest", "per_page": 20}).json
    assert [e.id for e in parsed.entries] == ["http://localhost" + r["url"] for r in api["results"]]
    assert [e.title for e in parsed.entries] == [r["title"] for r in api["results"]]
    published = [datetime.fromisoformat(e.published) for e in parsed.entries if "published" in e]
    assert len(published) >= 2 and published == sorted(published, reverse=True)
    assert parsed.feed.title.startswith("ঢাকা")
    first = parsed.entries[0]
    assert first.link == "http://localhost" + api["results"][0]["url"]
    assert "ঢাকা" in first.summary and first.updated


def test_the_filters_are_the_apis(client):
    api_all = client.get("/api/search", query_string={"q": "ঢাকা"}).json
    desk = api_all["facets"]["desk"][0]["value"]
    params = {"q": "ঢাকা", "desk": desk, "from": "2024-01-01", "to": "2025-12-31"}
    parsed = feed_of(client, **params, sort="relevance", page="3")  # a feed is page 1, newest first
    api = client.get("/api/search", query_string={**params, "sort": "newest", "per_page": 20}).json
    assert api["total"] >= 1
    assert [e.id for e in parsed.entries] == ["http://localhost" + r["url"] for r in api["results"]]
    assert all(e.tags[0].term == desk for e in parsed.entries)


def test_bad_parameters_answer_400_in_json(client):
    r = client.get("/search.atom?from=2024-02-30")
    assert r.status_code == 400 and r.json["error"]["code"] == "no_such_day"
    assert r.headers["Cache-Control"] == "no-store"


def test_an_empty_search_is_the_newest_articles(client):
    parsed = feed_of(client)
    assert len(parsed.entries) == 18  # every sample page, the feed's 20 at most
    assert parsed.feed.title == "সন্ধান: নতুন খবর"


def test_the_search_page_links_its_feed(client):
    html = client.get("/", query_string={"q": "ঢাকা", "desk": "নিজস্ব প্রতিবেদক", "page": "2"}).get_data(
        as_text=True
    )
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html)
    assert len(links) == 1
    href = links[0].replace("&amp;", "&")
    assert href.startswith("/search.atom?") and "page=" not in href
    linked = feedparser.parse(client.get(href).data)
    assert [e.id for e in linked.entries] == [
        e.id for e in feed_of(client, q="ঢাকা", desk="নিজস্ব প্রতিবেদক").entries
    ]
    # The home page lists the newest articles: its feed is the whole archive's.
    assert 'type="application/atom+xml" title="নতুন খবর — সন্ধান" href="/search.atom"' in client.get(
        "/"
    ).get_data(as_text=True)
