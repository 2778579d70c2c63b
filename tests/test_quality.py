"""Ranking quality on the shared development set, over an index of the whole shared corpus.

A change that costs quality below the bar fails here; `bench/eval_dev.py` prints the full table.
"""

from __future__ import annotations

import pytest

from search.engine import SearchEngine
from search.evaluate import evaluate, summary, syndicated_groups
from search.whoosh_store import WhooshStore

# Type → minimum MRR@10: the analysis issue's bar — overall 0.95, morph 0.85, unicode 1.00, and
# every type within one query (0.025) of the best peer engine of ../shared/eval/README.md.
FLOORS = {
    "ALL": 0.95,
    "title": 0.975,
    "keywords": 0.965,
    "morph": 0.85,
    "unicode": 1.0,
    "digits": 0.935,
    "body": 0.825,
    "datefilter": 0.945,
}


@pytest.fixture(scope="module")
def groups(shared_corpus):
    return syndicated_groups(shared_corpus / "manifest.jsonl")


def test_known_item_queries(corpus_index, shared_corpus, groups):
    per_type, _ = evaluate(
        SearchEngine(WhooshStore(corpus_index)),
        shared_corpus.parent / "eval" / "queries_dev.tsv",
        groups,
        verbose=False,
    )
    scores = summary(per_type)
    print({t: round(m, 3) for t, (m, _) in scores.items()})
    below = {t: round(scores[t][0], 3) for t, floor in FLOORS.items() if scores[t][0] < floor}
    assert not below, f"MRR@10 under the floor: {below}"


@pytest.mark.parametrize(
    ("queries", "floor"),
    [
        ("queries_banglish_dev.tsv", 0.95),  # Bangla typed in Latin letters (0.967 measured)
        ("queries_variants_dev.tsv", 0.92),  # a word respelled the way other writers spell it
    ],
)
def test_one_type_sets(corpus_index, shared_corpus, groups, queries, floor):
    path = shared_corpus.parent / "eval" / queries
    per_type, _ = evaluate(SearchEngine(WhooshStore(corpus_index)), path, groups, verbose=False)
    mrr = summary(per_type)["ALL"][0]
    print(queries, "MRR@10", round(mrr, 3))
    assert mrr >= floor
