"""The vectorized matching, filtering, ranking and facets give exactly what a straightforward
document-at-a-time reference gives: the same documents, word counts, float scores, order and
facet counts, over randomized queries on the sample index and (where present) the shared corpus."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.engine import SearchEngine
from search.plan import Term, plan, surface_key
from search.policy import (
    EXACT_FORM_DEPTH,
    EXACT_FORM_WEIGHT,
    FIELD_WEIGHT,
    FULL_PHRASE_WEIGHT,
    K1,
    PARAGRAPH_DEPTH,
    PARAGRAPH_WEIGHT,
    PHRASE_DEPTH,
    PROXIMITY_DEPTH,
    PROXIMITY_WEIGHT,
    RESPELLING_WEIGHT,
    WORK_BUDGET,
    B,
)
from search.query import parse_query
from search.text_terms import token_spans
from search.whoosh_store import WhooshStore, postings, scoring, searching
from search.whoosh_store.schema import UNDATED_NEWEST
from search.whoosh_store.scoring import TermScorer, WorkBudget
from search.whoosh_store.searching import _dhaka_minutes, _smallest
from web.params import parse_request

STOPWORDS = ["ও", "এবং", "না", "এই", "থেকে", "করে"]


class Reference:
    """The scoring and matching of one index, a document at a time with dicts, straight from
    Whoosh's postings."""

    def __init__(self, held):
        self.held = held
        self.reader = held.scorer.reader
        self._scores: dict = {}
        self._positions: dict = {}

    def scores(self, field: str, term: str) -> dict[int, float]:
        if (field, term) not in self._scores:
            reader, n = self.reader, max(self.reader.doc_count_all(), 1)
            found: dict[int, float] = {}
            if (field, term) in reader:
                df = reader.doc_frequency(field, term)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                avg = (reader.field_length(field) / n) or 1.0
                weight, b = FIELD_WEIGHT[field], B[field]
                for leaf, offset in self.held.scorer.leaves:
                    if (field, term) not in leaf:
                        continue
                    m = leaf.postings(field, term)
                    while m.is_active():
                        doc, tf = m.id() + offset, m.weight()
                        length = reader.doc_field_length(doc, field, 0)
                        found[doc] = weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - b + b * length / avg))
                        m.next()
            self._scores[field, term] = found
        return self._scores[field, term]

    def positions(self, field: str, term: str) -> dict[int, list[int]]:
        if (field, term) not in self._positions:
            found: dict[int, list[int]] = {}
            for leaf, offset in self.held.scorer.leaves:
                if (field, term) in leaf:
                    m = leaf.postings(field, term)
                    while m.is_active():
                        found[m.id() + offset] = list(m.value_as("positions"))
                        m.next()
            self._positions[field, term] = found
        return self._positions[field, term]

    def phrase_docs(self, field: str, words: list[str], candidates) -> set[int]:
        postings = [self.positions(field, w) for w in words]
        found = set()
        for d in candidates:
            if all(d in p for p in postings):
                starts, following = postings[0][d], [set(p[d]) for p in postings[1:]]
                if any(all(s + i in r for i, r in enumerate(following, 1)) for s in starts):
                    found.add(d)
        return found

    def unit(self, term: Term) -> dict[int, float]:
        merged: dict[int, float] = {}
        for f in term.fields:
            if term.unit.respellings:
                spellings = [(v, 1.0) for v in term.unit.variants]
                spellings += [(r, RESPELLING_WEIGHT) for r in term.unit.respellings]
                parts = [self.group(f, spellings)]
            else:
                parts = [self.scores(f, v) for v in term.unit.variants]
            for part in parts:
                for d, sc in part.items():
                    merged[d] = merged.get(d, 0.0) + sc
        return merged

    def group(self, field: str, spellings: list[tuple[str, float]]) -> dict[int, float]:
        """Several spellings scored as one term: weighted frequencies summed, one document frequency."""
        reader, n = self.reader, max(self.reader.doc_count_all(), 1)
        frequency: dict[int, float] = {}
        for term, weight in spellings:
            for leaf, offset in self.held.scorer.leaves:
                if (field, term) in leaf:
                    m = leaf.postings(field, term)
                    while m.is_active():
                        doc = m.id() + offset
                        frequency[doc] = frequency.get(doc, 0.0) + weight * m.weight()
                        m.next()
        df = len(frequency)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        avg, b = (reader.field_length(field) / n) or 1.0, B[field]
        return {
            d: FIELD_WEIGHT[field]
            * idf
            * tf
            * (K1 + 1)
            / (tf + K1 * (1 - b + b * reader.doc_field_length(d, field, 0) / avg))
            for d, tf in frequency.items()
        }

    def docs(self, item) -> set[int]:
        if isinstance(item, Term):
            return set(self.unit(item))
        return {d for f in item.fields for d in self.phrase_docs(f, list(item.words), self.everything())}

    def everything(self) -> list[int]:
        return list(self.reader.all_doc_ids())

    def match(self, planned) -> dict[int, tuple[int, float]]:
        coord: dict[int, int] = {}
        score: dict[int, float] = {}
        for term in planned.terms:
            for d, sc in self.unit(term).items():
                coord[d] = coord.get(d, 0) + 1
                score[d] = score.get(d, 0.0) + sc
        if len(planned.terms) > 1:  # a headline's score counts for the share of the words it holds
            title: dict[int, float] = {}
            words: Counter = Counter()
            for term in planned.terms:
                if "title" in term.fields:
                    for d, sc in self.unit(Term(term.unit, ("title",))).items():
                        title[d] = title.get(d, 0.0) + sc
                        words[d] += 1
            for d, sc in title.items():
                score[d] -= sc * (1 - words[d] / len(planned.terms))
        found_by_words = list(coord)
        for term in planned.stop_terms:
            stop = self.unit(term)
            for d in found_by_words:
                if d in stop:
                    coord[d] += 1
                    score[d] += stop[d]
        required = None
        for phrase in planned.phrases:
            docs = self.docs(phrase)
            required = docs if required is None else required & docs
            phrase_score: dict[int, float] = {}
            for unit in phrase.units:
                for d, sc in self.unit(Term(unit, phrase.fields)).items():
                    if d in docs:
                        phrase_score[d] = phrase_score.get(d, 0.0) + sc
            for d in docs:
                coord[d] = coord.get(d, 0) + 1
                score[d] = score.get(d, 0.0) + phrase_score.get(d, 0.0)
        return {d: (coord[d], score[d]) for d in (coord if required is None else required)}

    def proximity(self, matched: dict, planned) -> None:
        seq = planned.sequence
        pairs = [(a.variants[0], b.variants[0]) for a, b in zip(seq, seq[1:], strict=False)]
        if not pairs or not matched:
            return
        top = sorted(matched, key=lambda d: (-matched[d][0], -matched[d][1], d))[:PHRASE_DEPTH]
        if len(seq) >= 3:
            words = [u.variants[0] for u in seq]
            for d in self.phrase_docs("title", words, top) | self.phrase_docs("body", words, top):
                c, sc = matched[d]
                matched[d] = (c, sc * (1 + FULL_PHRASE_WEIGHT))
        candidates = sorted(top, key=lambda d: (-matched[d][0], -matched[d][1], d))[:PROXIMITY_DEPTH]
        together: Counter = Counter()
        for pair in pairs:
            for f in ("title", "body"):
                together.update(self.phrase_docs(f, list(pair), candidates))
        for d, n in together.items():
            c, sc = matched[d]
            matched[d] = (c, sc * (1 + PROXIMITY_WEIGHT * n / len(pairs)))

    def exact_forms(self, matched: dict, planned) -> None:
        forms = planned.surface_forms
        if not forms or not matched:
            return
        top = sorted(matched, key=lambda d: (-matched[d][0], -matched[d][1], d))[:EXACT_FORM_DEPTH]
        for d in top:
            title = self.held.searcher.stored_fields(d)["title"]
            found = len(forms & {surface_key(title[a:b]) for _, a, b in token_spans(title)})
            if found:
                c, sc = matched[d]
                matched[d] = (c, sc * (1 + EXACT_FORM_WEIGHT * found / len(forms)))

    def paragraphs(self, matched: dict, planned) -> None:
        if len(planned.terms) < 2 or not matched:
            return
        words = [set(t.unit.variants + t.unit.respellings) for t in planned.terms]
        top = sorted(matched, key=lambda d: (-matched[d][0], -matched[d][1], d))[:PARAGRAPH_DEPTH]
        for d in top:
            body = self.held.searcher.stored_fields(d)["body"]
            held = [{t for t, _, _ in token_spans(p)} for p in body.split("\n\n")]
            if any(all(w & p for w in words) for p in held):
                c, sc = matched[d]
                matched[d] = (c, sc * (1 + PARAGRAPH_WEIGHT))

    def search(self, req, planned) -> tuple[list[int], dict[int, tuple[int, float]], dict]:
        """Ranked documents, the matches after filters, and the facets."""
        col = self.held.columns
        published, oldest = col.published.tolist(), col.oldest.tolist()
        desk = [col.desk_values[c] for c in col.desk.tolist()]
        month = [col.month_values[c] for c in col.month.tolist()]
        matched = dict.fromkeys(self.everything(), (0, 0.0)) if planned.empty else self.match(planned)
        for item in planned.excluded:
            for d in self.docs(item):
                matched.pop(d, None)
        if req.date_from or req.date_to:
            lo = _dhaka_minutes(req.date_from, False) if req.date_from else 0
            hi = _dhaka_minutes(req.date_to, True) if req.date_to else 2**62
            matched = {
                d: v
                for d, v in matched.items()
                if lo <= published[d] <= hi and published[d] != UNDATED_NEWEST
            }
        if req.desk:
            matched = {d: v for d, v in matched.items() if desk[d] == req.desk}
        if not planned.empty:  # ranking bonuses, among the matches as filtered
            self.proximity(matched, planned)
            self.exact_forms(matched, planned)
            self.paragraphs(matched, planned)
        sort = req.sort if not planned.empty else ("newest" if req.sort == "relevance" else req.sort)
        if sort == "relevance":
            ranked = sorted(matched, key=lambda d: (-matched[d][0], -matched[d][1], d))
        elif sort == "newest":
            ranked = sorted(matched, key=lambda d: (-published[d], d))
        else:
            ranked = sorted(matched, key=lambda d: (oldest[d], d))
        facets = {
            "desk": sorted(
                ({"value": k, "count": n} for k, n in Counter(desk[d] for d in matched).items() if k),
                key=lambda f: (-f["count"], f["value"]),
            ),
            "month": sorted(
                ({"value": k, "count": n} for k, n in Counter(month[d] for d in matched).items() if k),
                key=lambda f: f["value"],
            ),
        }
        return ranked, matched, facets


def random_requests(service: SearchEngine, seed: int, count: int) -> list[dict]:
    """Query-string parameters: words from the indexed titles (common and rare), stopwords,
    phrases, exclusions, title-only words, sorts, desks, date ranges and later pages."""
    held = service.store.view()
    rng = random.Random(seed)
    words = []
    for d in held.searcher.reader().all_doc_ids():
        words += held.searcher.stored_fields(d)["title"].split()
    desks = [v for v in held.columns.desk_values if v]
    requests = []
    for i in range(count):
        ws = rng.sample(words, rng.randint(1, 4))
        form = i % 8
        if form == 1 and len(ws) > 1:
            q = f'"{ws[0]} {ws[1]}" ' + " ".join(ws[2:])
        elif form == 2:
            q = " ".join(ws) + " -" + rng.choice(words)
        elif form == 3:
            q = "title:" + " ".join(ws)
        elif form == 4:
            q = " ".join(ws) + " " + " ".join(rng.sample(STOPWORDS, 2))
        elif form == 5:
            q = rng.choice(STOPWORDS) + " " + ws[0]
        elif form == 6:
            q = f'-"{ws[0]} {rng.choice(words)}" ' + " ".join(ws[1:])
        elif form == 7:
            q = " ".join(rng.sample(STOPWORDS, 2))
        else:
            q = " ".join(ws)
        p = {"q": q}
        if i % 3 == 0:
            p["sort"] = rng.choice(["newest", "oldest", "relevance"])
        if i % 5 == 0 and desks:
            p["desk"] = rng.choice(desks)
        if i % 7 == 0:
            p["from"], p["to"] = rng.choice(
                [("2023-01-01", "2024-06-30"), ("2025-01-01", ""), ("", "2024-01-01")]
            )
        if i % 4 == 0:
            p["page"], p["per_page"] = str(rng.randint(1, 3)), str(rng.choice([3, 10, 50]))
        requests.append(p)
    return requests + [{"q": ""}, {"q": "", "sort": "oldest"}, {"q": "", "desk": desks[0] if desks else "x"}]


def assert_same_as_reference(index, seed: int, count: int) -> None:
    service = SearchEngine(WhooshStore(index))
    held = service.store.view()
    reference = Reference(held)
    for params in random_requests(service, seed, count):
        req = parse_request(params)
        planned = plan(parse_query(req.q), None, held.lexicon().respellings)
        if not planned.empty:
            matched = searching._match(planned, held, WorkBudget(WORK_BUDGET))
            pairs = zip(matched.coord.tolist(), matched.score.tolist(), strict=True)
            got = dict(zip(matched.docs.tolist(), pairs, strict=True))
            assert got == reference.match(planned), params
        ranked, filtered, facets = reference.search(req, planned)
        answer = searching.search(held, SearchEngine._store_query(req, planned, WORK_BUDGET))
        assert answer.total == len(filtered), params
        assert {"desk": answer.desks, "month": answer.months} == facets, params
        start, end = (req.page - 1) * req.per_page, req.page * req.per_page
        shown = searching._fold_near_duplicates(ranked, held, end)[start:end]
        assert [h.fields["id"] for h in answer.hits] == [
            held.searcher.stored_fields(d)["id"] for d, _ in shown
        ]
        if not planned.empty:
            assert [h.score for h in answer.hits] == [filtered[d][1] for d, _ in shown]


def test_term_scores_are_the_scalar_formula(sample_index):
    held = WhooshStore(sample_index).view()
    reference = Reference(held)
    terms = [(f, raw.decode("utf-8")) for f, raw in held.searcher.reader().all_terms() if f in FIELD_WEIGHT]
    for field in FIELD_WEIGHT:
        for term in [t for f, t in terms if f == field][:300]:
            scores = held.scorer.scores(field, term)
            assert scores.docs.tolist() == sorted(reference.scores(field, term))
            assert dict(scores.items()) == reference.scores(field, term)


def test_postings_read_by_blocks_or_one_by_one_agree(sample_index, monkeypatch):
    """Whoosh's own leaf matcher is read a block at a time; any other matcher (one leaving out
    deleted documents) a posting at a time: both must give the same scores and positions."""
    held = WhooshStore(sample_index).view()
    reader = held.searcher.reader()
    terms = [(f, raw.decode("utf-8")) for f, raw in reader.all_terms() if f in ("title", "body")][:400]
    docs = list(reader.all_doc_ids())

    def read_all(scorer):
        return [(scorer._compute(f, t).items(), scorer._decode_positions(f, t, docs[::2])) for f, t in terms]

    by_blocks = read_all(TermScorer(reader, held.scorer.leaves))
    monkeypatch.setattr(postings, "W3LeafMatcher", type("NoMatcher", (), {}))
    one_by_one = read_all(TermScorer(reader, held.scorer.leaves))
    assert [(list(s), p) for s, p in by_blocks] == [(list(s), p) for s, p in one_by_one]


@pytest.mark.parametrize("few_docs", [0, 1_000], ids=["numpy arrays", "python sets"])
def test_phrase_docs_match_the_reference(sample_index, monkeypatch, few_docs):
    """Phrases cut from the articles' own text (so most are found), some with a word repeated,
    among random candidates or all documents, checked a batch of two documents at a time, by
    either way of checking them."""
    monkeypatch.setattr(scoring, "PHRASE_BATCH", 2)
    monkeypatch.setattr(scoring, "FEW_DOCS", few_docs)
    held = WhooshStore(sample_index).view()
    reference = Reference(held)
    rng = random.Random(3)
    everything = reference.everything()
    found_some = 0
    for _ in range(200):
        field = rng.choice(["title", "body"])
        terms = [t for t, _, _ in token_spans(held.stored_fields(rng.choice(everything))[field])]
        start, length = rng.randrange(len(terms)), rng.randint(2, 5)
        phrase = terms[start : start + length]
        if rng.random() < 0.2:  # a word repeated: found where the text repeats it
            phrase = phrase[:1] * rng.randint(2, 3) + phrase[1:]
        candidates = rng.sample(everything, rng.randint(1, len(everything))) if rng.random() < 0.5 else None
        expected = reference.phrase_docs(field, phrase, everything if candidates is None else candidates)
        assert held.scorer.phrase_docs(field, phrase, candidates) == expected, phrase
        found_some += bool(expected)
    assert found_some > 100  # the test checks phrases that are there, not only absences


def test_a_spent_budget_returns_only_true_matches(sample_index, monkeypatch):
    monkeypatch.setattr(scoring, "PHRASE_BATCH", 1)
    held = WhooshStore(sample_index).view()
    everything = Reference(held).everything()
    terms = [t for t, _, _ in token_spans(held.stored_fields(everything[0])["body"])]
    phrase = terms[:2]
    full = held.scorer.phrase_docs("body", phrase, None)
    budget = WorkBudget(1)
    part = held.scorer.phrase_docs("body", phrase, None, budget)
    holding_both = set(held.scorer.scores("body", phrase[0])) & set(held.scorer.scores("body", phrase[1]))
    # One batch (one document) checked, the rest left: only true matches, and the budget says so.
    assert part <= full and len(part) <= 1 and budget.stopped == (len(holding_both) > 1)


def test_search_matches_the_reference_on_the_sample_index(sample_index):
    assert_same_as_reference(sample_index, seed=1, count=300)


@pytest.mark.corpus
def test_search_matches_the_reference_on_the_corpus(corpus_index):
    assert_same_as_reference(corpus_index, seed=2, count=120)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0.0, 0.5, 1.0, 2.5])), max_size=60),
    st.integers(1, 70),
)
def test_smallest_is_a_sort_cut_to_k(rows, k):
    """Heavy ties on the leading keys: the cut must still be the sort's first k, docnum last."""
    coord = np.array([c for c, _ in rows], dtype=np.int32)
    score = np.array([s for _, s in rows], dtype=np.float64)
    docs = np.arange(len(rows)) * 3 + 1
    expected = sorted(range(len(rows)), key=lambda i: (-coord[i], -score[i], docs[i]))[:k]
    assert _smallest([-coord, -score, docs], k).tolist() == expected
