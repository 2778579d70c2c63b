"""Postings kept at warm-up (docnums and float32 term frequencies) give the very same scores and
positions as postings read from the index, and keeping stops at its budget."""

from __future__ import annotations

import pytest

from search.whoosh_store import WhooshStore, scoring
from search.whoosh_store.scoring import TermScorer


def assert_kept_same_as_read(index, count: int) -> None:
    held = WhooshStore(index).view()
    reader = held.searcher.reader()
    terms = [(f, raw.decode("utf-8")) for f, raw in reader.all_terms() if f in ("title", "body")]
    terms.sort(key=lambda ft: -reader.doc_frequency(*ft))
    chosen = terms[:count] + terms[-count:] + [("body", "no-such-term")]
    docs = list(reader.all_doc_ids())[::3]
    read = TermScorer(reader, held.scorer.leaves)
    kept = TermScorer(reader, held.scorer.leaves)
    for field, term in chosen:
        assert kept.keep(field, term) == len(read.scores(field, term))
    assert kept.kept_entries == sum(len(read.scores(f, t)) for f, t in chosen)
    for field, term in chosen:
        a, b = read.scores(field, term), kept.scores(field, term)
        assert a.docs.tolist() == b.docs.tolist() and a.values.tolist() == b.values.tolist()
        assert kept._kept[field, term][1].dtype.itemsize <= 4 or not len(a)
        assert kept.positions_in(field, term, docs) == read.positions_in(field, term, docs)


def test_kept_postings_score_as_read_on_the_sample_index(sample_index):
    assert_kept_same_as_read(sample_index, 50)


@pytest.mark.corpus
def test_kept_postings_score_as_read_on_the_corpus(corpus_index):
    """With deleted documents in every segment."""
    assert_kept_same_as_read(corpus_index, 30)


def test_keeping_stops_at_its_budget(sample_index, monkeypatch):
    held = WhooshStore(sample_index).view()
    reader = held.searcher.reader()
    terms = [raw.decode("utf-8") for f, raw in reader.all_terms() if f == "body"][:50]
    monkeypatch.setattr(scoring, "KEPT_ENTRIES", 20)
    scorer = TermScorer(reader, held.scorer.leaves)
    for term in terms:
        scorer.keep("body", term)
    assert 20 <= scorer.kept_entries < 20 + max(reader.doc_frequency("body", t) for t in terms)
    assert len(scorer._kept) < len(terms)


def test_warm_keeps_the_most_frequent_words(sample_index):
    store = WhooshStore(sample_index)
    store.warm()
    held = store.view()
    lexicon = held.lexicon()
    top = max(lexicon, key=lexicon.df)
    assert ("body", top) in held.scorer._kept and held.warmed
