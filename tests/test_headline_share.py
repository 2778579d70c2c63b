"""A headline's score counts for the share of the query words it holds: an article whose body
holds every query word ranks above one whose headline names a single word of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import SearchEngine, SearchRequest
from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild
from tests.whoosh_store.test_build import write_page

FILLER = "ঢাকার আবহাওয়া আজ মেঘলা ছিল। বাজারে চালের দাম বেড়েছে। শিক্ষার্থীরা পরীক্ষার প্রস্তুতি নিচ্ছে।"
PAGES = {
    # name: (headline, body)
    "headline-one": ("বন্যা পরিস্থিতির অবনতি", f"{FILLER} পাশের নদী শুকিয়ে গেছে। {FILLER}"),
    "body-both": (
        "উত্তরাঞ্চলে মানুষের দুর্ভোগ বাড়ছে",
        "বন্যা আর নদী ভাঙনে গ্রাম ডুবেছে। বন্যা থামেনি, নদী ফুঁসছে। বন্যা নেমে গেলে নদী শান্ত হবে।",
    ),
    "headline-both": ("বন্যা আর নদী ভাঙন", f"{FILLER} {FILLER}"),
}
PAGES.update({f"other-{i}": (f"সাধারণ খবর {i}", FILLER) for i in range(6)})


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> SearchEngine:
    root = tmp_path_factory.mktemp("headline-share")
    for name, (title, body) in PAGES.items():
        write_page(root / "pages", name, title, body)
    rebuild([root / "pages"], root / "index", procs=1)
    return SearchEngine(WhooshStore(Path(root / "index")))


def ids(service: SearchEngine, q: str) -> list[str]:
    return [r["id"] for r in service.search(SearchRequest(q=q))["results"]]


def test_a_body_holding_every_word_beats_a_headline_holding_one(service):
    assert ids(service, "বন্যা নদী") == ["headline-both", "body-both", "headline-one"]


def test_one_word_query_keeps_the_full_headline_weight(service):
    # Both headlines naming the one word typed come before the body that repeats it.
    assert set(ids(service, "বন্যা")[:2]) == {"headline-both", "headline-one"}
