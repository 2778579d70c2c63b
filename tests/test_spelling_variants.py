"""A word matches the other spellings of it that the archive holds, the spelling typed first;
a headline holding a query word in the very inflected form typed ranks first."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import SearchEngine, SearchRequest
from search.plan import plan
from search.query import parse_query
from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild
from tests.whoosh_store.test_build import write_page

BODY = "{title}। ঢাকার একটি {word} হাসপাতালে আজ রোগীদের ভিড় ছিল। চিকিৎসকেরা বলেন, শীতে রোগী বাড়ছে।"
PAGES = {
    # name: (title, the word in the body)
    "short-i": ("সরকারি হাসপাতালে ভিড়", "সরকারি"),
    "long-i": ("সরকারী হাসপাতালে ভিড়", "সরকারী"),
    "short-i-2": ("জেলার সরকারি হাসপাতাল", "সরকারি"),
    "inflected": ("জামায়াতের সমাবেশ আজ", "বেসরকারি"),
    "bare": ("জামায়াত সমাবেশ করবে আজ", "বেসরকারি"),
}


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> SearchEngine:
    root = tmp_path_factory.mktemp("variants")
    for name, (title, word) in PAGES.items():
        write_page(root / "pages", name, title, BODY.format(title=title, word=word))
    rebuild([root / "pages"], root / "index", procs=1)
    return SearchEngine(WhooshStore(Path(root / "index")))


def ids(service: SearchEngine, q: str) -> list[str]:
    return [r["id"] for r in service.search(SearchRequest(q=q))["results"]]


def test_a_rare_spelling_finds_the_usual_one_and_comes_first(service):
    found = ids(service, "সরকারী")
    assert found[0] == "long-i" and set(found) >= {"short-i", "short-i-2", "long-i"}


def test_the_usual_spelling_finds_the_rare_one_after_its_own(service):
    found = ids(service, "সরকারি")
    assert set(found[:2]) == {"short-i", "short-i-2"} and "long-i" in found


def test_respellings_are_highlighted(service):
    result = next(r for r in service.search(SearchRequest(q="সরকারী"))["results"] if r["id"] == "short-i")
    assert "<mark>সরকারি</mark>" in result["title_html"]


def test_a_word_not_searched_gets_no_respelling(service):
    lexicon = service.store.view().lexicon()
    planned = plan(parse_query("সরকারী -সরকারি"), None, lexicon.respellings)
    assert [t.unit.respellings for t in planned.terms] == [("সরকারি",)]
    assert [t.unit.respellings for t in planned.excluded] == [()]  # an exclusion stays as typed


def test_the_inflected_form_typed_puts_its_headline_first(service):
    assert ids(service, "জামায়াতের সমাবেশ")[0] == "inflected"


def test_a_bare_stem_prefers_no_form():
    # পুতিন stands for পুতিনের and all its forms alike; পুতিনের is a form the reader chose.
    assert plan(parse_query("পুতিন")).surface_forms == set()
    assert plan(parse_query("পুতিনের")).surface_forms
