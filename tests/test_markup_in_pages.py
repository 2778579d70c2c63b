"""Articles whose text holds markup (a page quoting HTML, or a hostile one): every place that shows
their text escapes it, and only our own <mark> tags are markup."""

from __future__ import annotations

import pytest

from tests.whoosh_store.test_build import write_page
from web import create_app

HOSTILE_TITLE = 'ঢাকায় <script>alert("t")</script> বৃষ্টি'
HOSTILE_BODY = 'ঢাকায় বৃষ্টি <img src=x onerror=alert(1)> হয়েছে। <script>alert("b")</script> নদী <b>বড়</b>'


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from search.whoosh_store.build import rebuild

    root = tmp_path_factory.mktemp("markup")
    write_page(root / "pages", "hostile", HOSTILE_TITLE, HOSTILE_BODY)
    write_page(root / "pages", "plain", "চট্টগ্রামে বৃষ্টি", "চট্টগ্রামে বৃষ্টি হয়েছে।")
    rebuild([root / "pages"], root / "index", procs=1)
    return create_app({"INDEX_DIR": str(root / "index"), "TESTING": True}).test_client()


def assert_escaped(html: str) -> None:
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&lt;b&gt;" in html


def test_api_results_escape_the_articles_markup(client):
    answer = client.get("/api/search", query_string={"q": "ঢাকায় বৃষ্টি"}).get_json()
    hostile = next(r for r in answer["results"] if r["id"] == "hostile")
    assert "<mark>" in hostile["title_html"]  # our own markup stays
    assert_escaped(hostile["title_html"])
    assert_escaped(hostile["snippet_html"])


def test_the_results_page_escapes_the_articles_markup(client):
    page = client.get("/", query_string={"q": "ঢাকায় বৃষ্টি"}).get_data(as_text=True)
    assert "alert(" in page  # the article is listed, its text shown escaped
    assert "<script>alert" not in page and "<img src=x" not in page


def test_the_article_page_escapes_the_articles_markup(client):
    page = client.get("/articles/hostile", query_string={"q": "বৃষ্টি"}).get_data(as_text=True)
    assert "&lt;script&gt;alert" in page and "&lt;img src=x" in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>বড়" not in page
    assert "<mark>" in page


def test_suggestions_carry_the_title_as_text(client):
    answer = client.get("/api/suggest", query_string={"q": "ঢাকা"}).get_json()
    titles = [s["text"] for s in answer["suggestions"] if s["kind"] == "title"]
    assert HOSTILE_TITLE in titles  # JSON text, which the page's script inserts as text
