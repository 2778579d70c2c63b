"""Postings kept at warm-up (docnums and float32 term frequencies) give the very same scores and
positions as postings read from the index, and keeping stops at its budget."""

from __future__ import annotations

import time

import pytest

from search.whoosh_store import WhooshStore, scoring
from search.whoosh_store.scoring import TermScorer
from tests.conftest import SAMPLES


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


def test_a_server_warms_a_replaced_generation_no_further(tmp_path):
    """A server's new generation that replaced a served one waits before reading postings ahead,
    and its warming stops once a newer generation is served: during a burst of landings no core
    is spent warming generations nobody searches any more."""
    import shutil

    from search.whoosh_store import build

    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    root = tmp_path / "index"
    build.rebuild([src], root, procs=1)
    store = WhooshStore(root, warm_on_switch=True)
    first = store.view()
    deadline = time.monotonic() + 120  # the first generation is warmed at once
    while not first.warmed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.warmed
    (src / "new.txt").write_text((SAMPLES / sorted(p.name for p in SAMPLES.iterdir())[0]).read_text("utf-8"))
    build.update([src], root)
    second = store.view()
    assert second is not first
    deadline = time.monotonic() + 120  # its lexicon and near-duplicates are built at once ...
    while not second.has_lexicon and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.has_lexicon and not second.warmed and not second.scorer._kept  # ... its postings wait
    (src / "new.txt").unlink()
    build.update([src], root)
    third = store.view()
    assert third is not second
    # Told it is no longer live, a generation's warming returns without reading postings ahead.
    second.warm(still_live=lambda: False)
    assert not second.warmed and not second.scorer._kept
    third.warm(settle=0.0)  # the one served, warmed in full when asked
    assert third.warmed and third.scorer._kept
