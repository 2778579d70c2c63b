"""A body paragraph holding every query word raises an article: words said in one paragraph are
said of one thing, where words scattered over a body may each be named in passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import SearchEngine, SearchRequest
from search.whoosh_store import WhooshStore, searching
from search.whoosh_store.build import rebuild
from tests.whoosh_store.test_build import write_page

LEAD = "ঢাকার আবহাওয়া আজ মেঘলা ছিল। বাজারে চালের দাম বেড়েছে।"
FILLER = "শিক্ষার্থীরা পরীক্ষার প্রস্তুতি নিচ্ছে। সন্ধ্যায় সভা বসবে।"
PAGES = {
    # name: (headline, paragraphs); neither headline names a query word, and the lead (which
    # weighs more) holds none either.
    "scattered": (
        "উত্তরাঞ্চলের খবর",
        [LEAD, f"বন্যা {FILLER} বন্যা", FILLER, f"নদী {FILLER} নদী"],
    ),
    "together": (
        "গ্রামের মানুষের দুর্ভোগ",
        [LEAD, f"বন্যা {FILLER} নদী", FILLER, f"{FILLER} সকালে"],
    ),
}
PAGES.update({f"other-{i}": (f"সাধারণ খবর {i}", [LEAD, FILLER]) for i in range(6)})


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> SearchEngine:
    root = tmp_path_factory.mktemp("paragraph-bonus")
    for name, (title, paragraphs) in PAGES.items():
        write_page(root / "pages", name, title, "\n\n".join(paragraphs))
    rebuild([root / "pages"], root / "index", procs=1)
    return SearchEngine(WhooshStore(Path(root / "index")))


def ids(service: SearchEngine, q: str) -> list[str]:
    return [r["id"] for r in service.search(SearchRequest(q=q))["results"]]


def test_words_in_one_paragraph_beat_the_same_words_more_often_apart(service):
    assert ids(service, "বন্যা নদী") == ["together", "scattered"]


def test_without_the_bonus_the_words_apart_score_higher(service, monkeypatch):
    # What the bonus overturns: twice each word, in separate paragraphs, outscores once each.
    monkeypatch.setattr(searching, "PARAGRAPH_WEIGHT", 0.0)
    assert ids(service, "বন্যা নদী") == ["scattered", "together"]


def test_one_word_query_has_no_paragraph_bonus(service):
    assert ids(service, "বন্যা") == ["scattered", "together"]
