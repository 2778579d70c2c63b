"""Article addresses for any id a file name can give (dots only, ?, #, quotes, markup, Bangla,
spaces, %, ~): every `url` the API gives is percent-encoded and answers 200 with that article, as
the HTML page and through /api/articles, against a real `sandhan serve` over a real index."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from search.article import article_id_of_segment, article_path_segment, article_url
from search.whoosh_store.build import rebuild
from tests.conftest import LiveServer
from tests.whoosh_store.test_build import write_page

ODD_IDS = [
    "..",
    ".",
    "...",
    "a?b#c",
    "a?b=c#frag",
    'x"><svg onload=alert(1)>',
    "it's",
    "ঢাকার খবর ১",
    "two  spaces ",
    "100%25 sure",
    "%2F",
    "~tilde",
    "~",
    "a+b;c=d&e",
    "back\\slash",
    "",  # the file ".txt": rejected by the reader, but the encoding still names it
]
# The ids pages can have: the reader rejects a file named only ".txt" (search/pages.py).
PAGE_IDS = [article_id for article_id in ODD_IDS if article_id]
WORD = "সন্ধানপরীক্ষা"  # in every title, so one search finds every article


@pytest.fixture(scope="module")
def odd_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd-ids")
    for i, article_id in enumerate(PAGE_IDS):
        write_page(
            root / "pages",
            article_id,
            f"{WORD} শিরোনাম {i}",
            f"{WORD} নিয়ে খবর নম্বর {i}। ঢাকায় আজ বৃষ্টি হয়েছে, সঙ্গে খুলনায় রোদ।",
        )
    report = rebuild([root / "pages"], root / "index", procs=1)
    assert report.indexed == len(PAGE_IDS), report.rejected
    server = LiveServer(root / "index").start()
    yield server
    server.stop()


@pytest.mark.parametrize("article_id", ODD_IDS + ["~~", "ঢাকা"])
def test_a_path_segment_names_its_id_and_nothing_else(article_id):
    segment = article_path_segment(article_id)
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", segment), segment  # percent-encoded, nothing raw
    assert segment.strip(".")  # never a dot segment, which clients drop
    assert article_id_of_segment(requests.utils.unquote(segment)) == article_id
    assert article_url(article_id) == "/articles/" + segment


def search_results(server) -> list[dict]:
    answer = server.get("/api/search", q=WORD, per_page=100).json()
    assert {r["id"] for r in answer["results"]} == set(PAGE_IDS)
    return answer["results"]


def assert_leads_to(server, url: str, article_id: str, title: str) -> None:
    """The `url` answers 200 with the article as a page, and its /api twin as JSON."""
    assert url.startswith("/articles/") and not set(url) & set(" \"'<>?#\\"), url
    page = requests.get(server.url + url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    assert title in page.text
    api = requests.get(server.url + "/api" + url, timeout=10)
    assert api.status_code == 200, (url, api.status_code)
    assert api.json()["id"] == article_id


def test_every_search_result_url_leads_to_its_article(odd_server):
    for result in search_results(odd_server):
        assert result["url"] == article_url(result["id"])
        assert_leads_to(odd_server, result["url"], result["id"], result["title"])


def test_every_related_url_leads_to_its_article(odd_server):
    seen = 0
    for result in search_results(odd_server):
        article = odd_server.get("/api" + result["url"]).json()
        for related in article["related"]:
            assert_leads_to(odd_server, related["url"], related["id"], related["title"])
            seen += 1
    assert seen  # the articles share words, so each has related ones


def test_every_suggested_title_url_leads_to_its_article(odd_server):
    answer = odd_server.get("/api/suggest", q=WORD[:6]).json()
    titles = [s for s in answer["suggestions"] if s["kind"] == "title"]
    assert titles
    by_title = {r["title"]: r["id"] for r in search_results(odd_server)}
    for s in titles:
        assert_leads_to(odd_server, s["url"], by_title[s["text"]], s["text"])


def test_the_search_pages_links_lead_to_the_articles(odd_server):
    html = requests.get(odd_server.url + "/", params={"q": WORD, "per_page": 100}, timeout=10).text
    hrefs = {urlsplit(h.replace("&amp;", "&")).path for h in re.findall(r'href="(/articles/[^"]*)"', html)}
    by_url = {r["url"]: r for r in search_results(odd_server)}
    assert hrefs == set(by_url)  # the same addresses as the API's
    for url, result in by_url.items():
        article_page = requests.get(odd_server.url + url, params={"q": WORD}, timeout=10)
        assert article_page.status_code == 200 and result["title"] in article_page.text
