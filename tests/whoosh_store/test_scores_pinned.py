"""BM25F scores worked out by hand on a three-article index: the policy's numbers (search/policy.py)
written out here, not imported, so that changing any of them (K1, B, a field weight, the title's
occurrence weight, the lead weight) fails here and is a decision, not an accident."""

from __future__ import annotations

import math

import pytest

from search.engine import SearchEngine
from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild
from tests.whoosh_store.test_build import write_page
from web.params import parse_request

# title / body of each article; every word analyzes to itself (asserted below).
ARTICLES = {
    "a": ("নদী পাহাড়", "নদী নদী সাগর"),
    "b": ("সাগর", "পাহাড় সাগর নদী বন"),
    "c": ("বন", "বন বন বন"),
}


def bm25(idf: float, tf: float, length: float, avg: float, k1: float, b: float) -> float:
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))


def idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    root = tmp_path_factory.mktemp("pinned")
    for name, (title, body) in ARTICLES.items():
        write_page(root / "pages", name, title, body)
    rebuild([root / "pages"], root / "index", procs=1)
    return SearchEngine(WhooshStore(root / "index"))


def scores(engine: SearchEngine, q: str) -> dict[str, float]:
    return {r["id"]: r["score"] for r in engine.search(parse_request({"q": q}))["results"]}


def test_the_words_analyze_to_themselves():
    from search.analysis import analyze

    for title, body in ARTICLES.values():
        for word in f"{title} {body}".split():
            assert analyze(word) == [word]


def test_a_word_in_the_title_and_the_body(engine):
    # K1 1.2; B title 0.5, body 0.75; field weights title 4, body 1. A title occurrence counts 2
    # as a term frequency; a body of one paragraph is all lead, each occurrence counting 1 + 1.
    n, k1 = 3, 1.2
    title_avg, body_avg = (2 + 1 + 1) / n, (3 + 4 + 3) / n
    in_b = 4 * bm25(idf(n, 1), 2, 1, title_avg, k1, 0.5) + bm25(idf(n, 2), 2, 4, body_avg, k1, 0.75)
    in_a = bm25(idf(n, 2), 2, 3, body_avg, k1, 0.75)
    assert round(in_b, 4) == 6.2717 and round(in_a, 4) == 0.665  # the arithmetic, by hand
    assert scores(engine, "সাগর") == {"b": 6.2717, "a": 0.665}


def test_a_repeated_word_saturates(engine):
    n, k1 = 3, 1.2
    body_avg = 10 / n
    title = 4 * bm25(idf(n, 1), 2, 1, 4 / n, k1, 0.5)
    in_c = title + bm25(idf(n, 2), 6, 3, body_avg, k1, 0.75)  # three occurrences, each 2
    in_b = bm25(idf(n, 2), 2, 4, body_avg, k1, 0.75)
    assert scores(engine, "বন") == {"c": round(in_c, 4), "b": round(in_b, 4)}
    assert round(in_c, 4) == 6.5324  # 5.6599 from the title, 0.8726 from the body
