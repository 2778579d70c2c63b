"""Postings read a block at a time, positions read straight from the blocks a term's layout names,
and phrase matching that first keeps only the candidates holding every word give exactly what
Whoosh's own posting-by-posting reading gives, in an index with deleted documents too."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_searching import Reference

from search.whoosh_store import WhooshStore
from search.whoosh_store.scoring import TermScorer, held_in


def assert_same_as_whoosh(index, terms_per_field: int, seed: int) -> int:
    """Scores and positions of the most frequent and of random terms against Whoosh's reading;
    returns how many of the terms spanned several blocks."""
    held = WhooshStore(index).view()
    reader = held.searcher.reader()
    reference = Reference(held)
    rng = random.Random(seed)
    docs = list(reader.all_doc_ids())
    by_field: dict[str, list[tuple[int, str]]] = {"title": [], "body": []}
    for field, raw in reader.all_terms():
        if field in by_field:
            term = raw.decode("utf-8")
            by_field[field].append((reader.doc_frequency(field, term), term))
    multi_block = 0
    for field, terms in by_field.items():
        terms.sort(reverse=True)
        chosen = terms[:terms_per_field] + rng.sample(terms, min(terms_per_field, len(terms)))
        for _, term in chosen:
            scorer = TermScorer(reader, held.scorer.leaves)
            scores = scorer.scores(field, term)
            assert dict(scores.items()) == reference.scores(field, term)
            multi_block += scores.layout is not None and len(scores.layout.last) > 1
            asked = sorted(rng.sample(docs, rng.randint(1, min(len(docs), 400))))
            expected = {d: tuple(p) for d, p in reference.positions(field, term).items() if d in set(asked)}
            assert scorer._decode_positions(field, term, asked) == expected
            assert scorer._walk_positions(field, term, asked) == expected
            assert scorer.positions_in(field, term, asked) == expected
    return multi_block


def test_same_as_whoosh_on_the_sample_index(sample_index):
    assert_same_as_whoosh(sample_index, terms_per_field=60, seed=5)


@pytest.mark.corpus
def test_same_as_whoosh_on_the_corpus(corpus_index):
    """The corpus index has deleted documents (the same article crawled twice) in every segment."""
    reader = WhooshStore(corpus_index).view().searcher.reader()
    assert all(leaf.has_deletions() for leaf, _ in reader.leaf_readers())
    assert assert_same_as_whoosh(corpus_index, terms_per_field=40, seed=6) >= 40


def test_phrase_docs_only_among_candidates_holding_every_word(sample_index):
    held = WhooshStore(sample_index).view()
    scorer, reader = held.scorer, held.searcher.reader()
    reference = Reference(held)
    everything = reference.everything()
    words = [raw.decode("utf-8") for f, raw in reader.all_terms() if f == "body"]
    rng = random.Random(7)
    for _ in range(100):
        phrase = rng.sample(words, 2)
        phrase = [phrase[0], phrase[0]] if rng.random() < 0.2 else phrase
        found = scorer.phrase_docs("body", phrase, everything)
        assert found == reference.phrase_docs("body", phrase, everything)
        assert found <= set(scorer.scores("body", phrase[0])) & set(scorer.scores("body", phrase[1]))


def test_held_in_is_isin():
    rng = np.random.default_rng(1)
    for n, m in ((0, 5), (5, 0), (1, 1), (50, 20), (1000, 300)):
        docs = np.unique(rng.integers(0, 2000, n)).astype(np.int32)
        asked = np.unique(rng.integers(0, 2100, m)).astype(np.int64)
        assert held_in(docs, asked).tolist() == np.isin(asked, docs).tolist()
