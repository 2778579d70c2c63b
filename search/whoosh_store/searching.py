"""Searching one generation of the Whoosh store: filters, matching, the ranking policy
(search/policy.py), near-duplicate folding, facets, and related articles.

Scores come from search.whoosh_store.scoring as numpy arrays over all docnums: a query is a few
vectorized sums, then the bonuses among the best candidates, then a partial sort of one page.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime

import numpy as np

from search.analysis import is_stopword
from search.article import DHAKA
from search.plan import TEXT_FIELDS, Phrase, PlannedQuery, Term
from search.policy import (
    EXACT_FORM_DEPTH,
    EXACT_FORM_WEIGHT,
    FULL_PHRASE_WEIGHT,
    PARAGRAPH_DEPTH,
    PARAGRAPH_WEIGHT,
    PHRASE_DEPTH,
    PROXIMITY_DEPTH,
    PROXIMITY_WEIGHT,
    RANKING_WORK,
    RELATED_TERMS,
    RESPELLING_WEIGHT,
    WORK_BUDGET,
)
from search.store import Filters, Hit, StoreAnswer, StoreQuery
from search.text_terms import token_spans
from search.whoosh_store.schema import UNDATED_NEWEST, minutes
from search.whoosh_store.scoring import TermScores, WorkBudget
from search.whoosh_store.view import GenerationView


def _dhaka_minutes(day: date, end: bool) -> int:
    t = dtime(23, 59, 59) if end else dtime(0, 0)
    return minutes(datetime.combine(day, t, tzinfo=DHAKA))


@dataclass
class _Matches:
    """Matching documents (ascending docnums) with the query words and phrases each matched and
    its score: parallel numpy arrays."""

    docs: np.ndarray
    coord: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    def where(self, keep: np.ndarray) -> _Matches:
        return _Matches(self.docs[keep], self.coord[keep], self.score[keep])


def _smallest(keys: list[np.ndarray], k: int) -> np.ndarray:
    """Indices of the `k` rows smallest by `keys` compared in turn (the last key unique), in order.

    Each key in turn settles the rows certainly among the `k` (below the k-th value) and passes on
    only the rows tied at the k-th value, so only about `k` rows are ever sorted.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    settled: list[np.ndarray] = []
    wanted = k
    rows = np.arange(len(keys[0]))
    for key in keys:
        if len(rows) <= wanted:
            break
        values = key[rows]
        kth = np.partition(values, wanted - 1)[wanted - 1]
        below = rows[values < kth]
        settled.append(below)
        wanted -= len(below)
        rows = rows[values == kth]
    pick = np.concatenate(settled + [rows])
    order = np.lexsort([key[pick] for key in reversed(keys)])  # lexsort sorts by its last key first
    return pick[order[:k]]


def _facet(codes: np.ndarray, values: list[str], by_count: bool) -> list[dict]:
    """Value counts of a per-document column over the whole matching set (`codes` of the matches
    into the column's `values`)."""
    counts = np.bincount(codes, minlength=len(values)).tolist()
    items = [{"value": v, "count": n} for v, n in zip(values, counts, strict=True) if n and v]
    if by_count:
        items.sort(key=lambda d: (-d["count"], d["value"]))
    else:
        items.sort(key=lambda d: d["value"])
    return items


def search(view: GenerationView, query: StoreQuery) -> StoreAnswer:
    """One page of results of a planned query over a generation, with totals and facets over all
    its matches (search/store.py says what a store answers)."""
    col = view.columns
    planned = query.planned
    budget = WorkBudget(query.work_budget or WORK_BUDGET)
    allowed = _allowed(query.filters, view)
    if planned.empty:
        docs = col.live if allowed is None else col.live[allowed[col.live]]
        matched = _Matches(docs, np.zeros(len(docs), np.int32), np.zeros(len(docs)))
    else:
        # What matches is settled (within the budget) before ranking work, which has a budget
        # of its own and never makes an answer partial.
        matched = _match(planned, view, budget, allowed)
        matched = _without_excluded(matched, planned, view, budget)
        _proximity_bonus(matched, planned, view, WorkBudget(RANKING_WORK))
        _exact_form_bonus(matched, planned, view)
        _paragraph_bonus(matched, planned, view)

    end = query.start + query.limit
    sort = query.sort if not planned.empty else ("newest" if query.sort == "relevance" else query.sort)
    # Rank a margin beyond the page: near-duplicates folded into an earlier result free places.
    depth = end * 2 + 10
    if sort == "relevance":
        # All query words first, then BM25F: (words matched, score).
        keys = [-matched.coord, -matched.score]
    elif sort == "newest":
        keys = [-col.published[matched.docs]]
    else:
        keys = [col.oldest[matched.docs]]
    ranked = _smallest(keys + [matched.docs], depth)  # ties go to the earlier docnum

    ranked_docs = matched.docs[ranked].tolist()
    shown = _fold_near_duplicates(ranked_docs, view, end)[query.start : end]
    scores = dict(zip(ranked_docs, matched.score[ranked].tolist(), strict=True))
    hits = [
        Hit(
            view.stored_fields(d),
            scores[d] if not planned.empty else None,
            # Near-duplicates are folded into the first of them shown; their ids stay reachable.
            sorted(view.stored_fields(o)["id"] for o in near),
        )
        for d, near in shown
    ]
    return StoreAnswer(
        total=len(matched),
        hits=hits,
        desks=_facet(col.desk[matched.docs], col.desk_values, by_count=True),
        months=_facet(col.month[matched.docs], col.month_values, by_count=False),
        stopped=budget.stopped,
    )


def _allowed(filters: Filters, view: GenerationView) -> np.ndarray | None:
    """Which documents the date range and desk asked for allow (a mask by docnum), or None
    when nothing is asked: applied first, so phrase checks skip what they would drop."""
    col = view.columns
    allowed = None
    if filters.date_from or filters.date_to:
        lo = _dhaka_minutes(filters.date_from, False) if filters.date_from else 0
        hi = _dhaka_minutes(filters.date_to, True) if filters.date_to else 2**62
        pub = col.published
        # Undated articles carry UNDATED_NEWEST (-1) and so fall outside any window.
        allowed = (lo <= pub) & (pub <= hi) & (pub != UNDATED_NEWEST)
    if filters.desk:
        code = col.desk_code.get(filters.desk, -1)  # a desk no article has: nothing matches
        on_desk = col.desk == code
        allowed = on_desk if allowed is None else allowed & on_desk
    return allowed


def _without_excluded(
    matched: _Matches, planned: PlannedQuery, view: GenerationView, budget: WorkBudget
) -> _Matches:
    """The matches without excluded words and phrases. An excluded phrase is looked for among
    the matches only; where the budget runs out, the matches not yet checked stay."""
    if not planned.excluded:
        return matched
    excluded = np.zeros(view.scorer.doc_count_all, dtype=bool)
    for item in planned.excluded:
        excluded[_docs(item, view, budget, among=matched.docs)] = True
    return matched.where(~excluded[matched.docs])


def _near_duplicates_of(doc: int, view: GenerationView) -> set[int]:
    """Other articles in the index whose body is nearly the same text as `doc`'s."""
    return view.near_duplicates().get(doc, set())


def _fold_near_duplicates(ranked: list[int], view: GenerationView, limit: int) -> list[tuple[int, set[int]]]:
    """The first `limit` ranked documents, each with its near-duplicates (in the index) and
    with those ranked after it folded into it."""
    kept: list[tuple[int, set[int]]] = []
    folded: set[int] = set()
    for d in ranked:
        if len(kept) == limit:
            break
        if d in folded:
            continue
        near = _near_duplicates_of(d, view)
        folded |= near
        kept.append((d, near))
    return kept


def _unit_scores(term: Term, view: GenerationView) -> TermScores:
    """BM25F scores of one query word over its fields and variants, summed per document; its
    respellings count RESPELLING_WEIGHT of theirs."""
    unit = term.unit
    if unit.respellings:  # the word's spellings scored as one term in each field
        spellings = tuple((v, 1.0) for v in unit.variants) + tuple(
            (r, RESPELLING_WEIGHT) for r in unit.respellings
        )
        parts = [view.scorer.group_scores(f, spellings) for f in term.fields]
    else:
        parts = [view.scorer.scores(f, v) for f in term.fields for v in unit.variants]
    parts = [p for p in parts if len(p)]
    if not parts:
        return TermScores.empty()
    if len(parts) == 1:
        return parts[0]
    total = np.zeros(view.scorer.doc_count_all)
    found = np.zeros(view.scorer.doc_count_all, dtype=bool)
    for part in parts:  # a part lists each document once, so `+=` adds every posting
        total[part.docs] += part.values
        found[part.docs] = True
    docs = np.flatnonzero(found).astype(np.int32)
    return TermScores(docs, total[docs])


def _docs(
    item: Term | Phrase, view: GenerationView, budget: WorkBudget, among: np.ndarray | None = None
) -> np.ndarray:
    """The documents holding a word (in any variant and field) or a phrase, ascending; a
    phrase is looked for `among` those documents only, when given, and within the budget."""
    if isinstance(item, Term):
        return _unit_scores(item, view).docs
    docs: set[int] = set()
    for f in item.fields:
        docs |= view.scorer.phrase_docs(f, list(item.words), among, budget)
    return np.array(sorted(docs), dtype=np.int64)


def _match(
    planned: PlannedQuery, view: GenerationView, budget: WorkBudget, allowed: np.ndarray | None = None
) -> _Matches:
    """The matching documents with the query words and phrases each matched and its BM25F score.

    Scores and counts add up in accumulators over all docnums, one vectorized step per word;
    each document's sum is taken in the order the words come, so equal documents tie exactly.
    """
    n = view.scorer.doc_count_all
    score = np.zeros(n)
    coord = np.zeros(n, dtype=np.int32)
    for term in planned.terms:
        unit = _unit_scores(term, view)
        score[unit.docs] += unit.values
        coord[unit.docs] += 1
    if len(planned.terms) > 1:
        score -= _headline_shortfall(planned.terms, view)
    if planned.stop_terms:
        # Stopwords add to the documents the other words found, and find none themselves.
        found = coord > 0
        for term in planned.stop_terms:
            unit = _unit_scores(term, view)
            keep = found[unit.docs]
            score[unit.docs[keep]] += unit.values[keep]
            coord[unit.docs[keep]] += 1
    required: np.ndarray | None = None
    for phrase in planned.phrases:
        # Each further phrase is looked for only where the phrases before it stand.
        within = required if required is not None else allowed
        among = None if within is None else np.flatnonzero(within)
        docs = _docs(phrase, view, budget, among)
        holds = np.zeros(n, dtype=bool)
        holds[docs] = True
        required = holds if required is None else required & holds
        # The phrase's words score as one clause, their sum added to the document's score.
        phrase_score = np.zeros(n)
        for unit_term in phrase.units:
            unit = _unit_scores(Term(unit_term, phrase.fields), view)
            keep = holds[unit.docs]
            phrase_score[unit.docs[keep]] += unit.values[keep]
        score[docs] += phrase_score[docs]
        coord[docs] += 1
    found = coord > 0 if required is None else required
    docs = np.flatnonzero(found if allowed is None else found & allowed)
    return _Matches(docs, coord[docs], score[docs])


def _headline_shortfall(terms: list[Term], view: GenerationView) -> np.ndarray:
    """What each document's headline score loses for the query words its headline lacks.

    A headline sums its article up: one holding every query word says the article is about
    them, one holding a single word of several says it is about something else that names
    it. So the title part of a document's score counts for the share of the query words
    (stopwords aside) its headline holds: a headline holding one word of two weighs half."""
    n = view.scorer.doc_count_all
    title = np.zeros(n)
    words = np.zeros(n)
    for term in terms:
        if "title" in term.fields:
            part = _unit_scores(Term(term.unit, ("title",)), view)
            title[part.docs] += part.values
            words[part.docs] += 1
    return title * (1 - words / len(terms))


def _proximity_bonus(
    matched: _Matches, planned: PlannedQuery, view: GenerationView, budget: WorkBudget
) -> None:
    """Raise the score of top candidates in which adjacent query words stand together.

    Only the best candidates are checked, against positions read for them alone, so the cost
    does not grow with the result set.
    """
    pairs = [
        (a.variants[0], b.variants[0]) for a, b in zip(planned.sequence, planned.sequence[1:], strict=False)
    ]
    if not pairs or not len(matched):
        return
    scorer = view.scorer
    # The best by (words matched, score), ties to the earlier docnum, as the ranking has them.
    best = _smallest([-matched.coord, -matched.score, matched.docs], PHRASE_DEPTH)
    top = matched.docs[best].tolist()
    coords, values = matched.coord[best].tolist(), matched.score[best].tolist()
    scores = {d: (c, sc) for d, c, sc in zip(top, coords, values, strict=True)}
    if len(planned.sequence) >= 3:
        # The whole query standing together (a remembered passage) wins over scattered words.
        words = [u.variants[0] for u in planned.sequence]
        whole = [scorer.phrase_docs(f, words, top, budget) for f in TEXT_FIELDS]
        for d in set().union(*whole):
            c, sc = scores[d]
            scores[d] = (c, sc * (1 + FULL_PHRASE_WEIGHT))
    candidates = heapq.nlargest(PROXIMITY_DEPTH, top, key=lambda d: (scores[d], -d))
    together = Counter()
    for pair in pairs:
        for f in ("title", "body"):
            together.update(scorer.phrase_docs(f, list(pair), candidates, budget))
    for d, n in together.items():
        c, sc = scores[d]
        scores[d] = (c, sc * (1 + PROXIMITY_WEIGHT * n / len(pairs)))
    matched.score[best] = [scores[d][1] for d in top]


def _exact_form_bonus(matched: _Matches, planned: PlannedQuery, view: GenerationView) -> None:
    """Raise the score of top candidates whose headline holds query words in the very form typed.

    Stemming matches every form of a word alike; a reader who types the form a headline uses
    (জামায়াতের, not জামায়াত) means that headline first, as engines without stemming rank it.
    Only the best candidates are checked, against their (cached) headline words.
    """
    forms = planned.surface_forms
    if not forms or not len(matched):
        return
    best = _smallest([-matched.coord, -matched.score, matched.docs], EXACT_FORM_DEPTH)
    for row, doc in zip(best.tolist(), matched.docs[best].tolist(), strict=True):
        found = len(forms & view.title_forms(doc))
        if found:
            matched.score[row] *= 1 + EXACT_FORM_WEIGHT * found / len(forms)


def _paragraph_bonus(matched: _Matches, planned: PlannedQuery, view: GenerationView) -> None:
    """Raise the score of top candidates with a body paragraph that holds every query word.

    A paragraph develops one point: query words that share one are said of one thing, where
    words scattered over a long body may each be named in passing, in another story. Only the
    best candidates are checked: where each word stands in their bodies (positions, cached) and
    where their paragraphs begin (a column written at indexing).
    """
    terms = planned.terms
    if len(terms) < 2 or not len(matched):
        return
    best = _smallest([-matched.coord, -matched.score, matched.docs], PARAGRAPH_DEPTH)
    docs = matched.docs[best].tolist()
    ascending = sorted(docs)
    starts = {doc: view.paragraph_starts(doc) for doc in docs}  # read once, not per word
    shared: dict[int, set[int]] | None = None  # doc -> paragraphs holding every word so far
    for term in terms:
        holding: dict[int, set[int]] = {}
        for spelling in term.unit.variants + term.unit.respellings:
            for doc, where in view.scorer.positions_in("body", spelling, ascending).items():
                paragraphs = np.searchsorted(starts[doc], where, side="right")
                holding.setdefault(doc, set()).update(paragraphs.tolist())
        if shared is None:
            shared = holding
        else:
            shared = {d: p & holding[d] for d, p in shared.items() if d in holding and p & holding[d]}
        if not shared:
            return
    for row, doc in zip(best.tolist(), docs, strict=True):
        if shared.get(doc):
            matched.score[row] *= 1 + PARAGRAPH_WEIGHT


def related(view: GenerationView, docnum: int, limit: int) -> list[dict]:
    """Stored fields of the articles most like `docnum`: its most distinctive words (tf·idf over
    its analyzed text) scored as a query; never the article itself, its near-duplicates or copies."""
    fields = view.stored_fields(docnum)
    counts = Counter(t for t, _, _ in token_spans(fields.get("title", "") + "\n" + fields.get("body", "")))
    n = view.scorer.doc_count
    weighted = [
        (tf * math.log(n / (1 + view.searcher.doc_frequency("body", t))), t)
        for t, tf in counts.items()
        if not is_stopword(t) and len(t) > 1 and not t.isdigit()
    ]
    terms = [t for _, t in heapq.nlargest(RELATED_TERMS, weighted)]
    score: dict[int, float] = {}
    for t in terms:
        for f in ("title", "body"):
            for d, sc in view.scorer.scores(f, t).items():
                score[d] = score.get(d, 0.0) + sc
    exclude = {docnum} | _near_duplicates_of(docnum, view)
    out = []
    for d, _ in heapq.nlargest(limit + len(exclude), score.items(), key=lambda kv: kv[1]):
        if d in exclude or len(out) == limit:
            continue
        other = view.searcher.stored_fields(d)
        if other.get("body_hash") == fields.get("body_hash"):
            continue
        out.append(other)
    return out
