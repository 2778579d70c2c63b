"""A StoreQuery as OpenSearch's query DSL, and the answer back as a StoreAnswer, carrying out the
ranking policy (search/policy.py) as the Whoosh store does (search/whoosh_store/searching.py).

    score = COORD · words matched + BM25F(title^FIELD_WEIGHT, body)

where a headline's part of BM25F counts for the share of the query words it holds. The cluster
ranks the whole match set by it and returns the best PHRASE_DEPTH candidates with the words each
matched and what the bonuses ask of it: whether it holds the whole query or adjacent query words
together (match_phrase), and which query words its headline holds in the form typed (named
queries, matched for the candidates returned only); it counts the desk and month facets over every
match. The phrase, proximity and exact-form bonuses, the order, and the folding of near-duplicates
(each document stores its near-duplicates' ids, found at build time) are then done here, on the
candidates, as the Whoosh store does them; a second request reads the page's articles.
"""

from __future__ import annotations

import heapq
from collections import Counter

from search.opensearch_store import mapping
from search.plan import TEXT_FIELDS, Phrase, PlannedQuery, Term
from search.policy import (
    EXACT_FORM_DEPTH,
    EXACT_FORM_WEIGHT,
    FIELD_WEIGHT,
    FULL_PHRASE_WEIGHT,
    PARAGRAPH_DEPTH,
    PARAGRAPH_WEIGHT,
    PHRASE_DEPTH,
    PROXIMITY_DEPTH,
    PROXIMITY_WEIGHT,
    RESPELLING_WEIGHT,
)
from search.store import Filters, Hit, StoreAnswer, StoreQuery

# What one matched query word adds to a score: more than BM25F ever gives a whole query within the
# limits of search/query.py, so the words matched order first. Scores are float32 in Lucene: at
# 10,000 · 8 words a score is still exact to 0.01.
COORD = 10_000.0
SHOWN = ["id", "title", "body", "desk", "published", "updated"]
CHECK = "~"  # the names of the bonuses' named queries begin with it
DESKS = 1000  # desk facet values counted (an archive has tens)


def _field(name: str) -> str:
    return f"{name}_terms"


def _date_filter(filters: Filters) -> dict | None:
    if not (filters.date_from or filters.date_to):
        return None
    window = {}
    if filters.date_from:
        window["gte"] = f"{filters.date_from.isoformat()}T00:00:00+06:00"
    if filters.date_to:
        window["lte"] = f"{filters.date_to.isoformat()}T23:59:59+06:00"
    return {"range": {"published": window}}  # undated articles have none: outside any window


def _scoring(term: Term, weights: dict[str, float], only_fields: tuple[str, ...] | None = None) -> list[dict]:
    """BM25F clauses of one query word: each variant in each field, weighted by the field;
    the word's other spellings at RESPELLING_WEIGHT."""
    clauses = []
    for f in only_fields or term.fields:
        boost = weights[f]
        for v in term.unit.variants:
            clauses.append({"term": {_field(f): {"value": v, "boost": boost}}})
        for r in term.unit.respellings:
            clauses.append({"term": {_field(f): {"value": r, "boost": boost * RESPELLING_WEIGHT}}})
    return clauses


def _holds(term: Term, respellings: bool = True) -> dict:
    spellings = list(term.unit.variants) + (list(term.unit.respellings) if respellings else [])
    return {"bool": {"should": [{"terms": {_field(f): spellings}} for f in term.fields]}}


def _word(term: Term, weights: dict[str, float], name: str, fields: tuple[str, ...] | None = None) -> dict:
    """A query word: COORD when any spelling matches in any field, plus its BM25F (in `fields`
    only, when given)."""
    matched = {"constant_score": {"filter": _holds(term), "boost": COORD}}
    if fields is None:
        scoring = _scoring(term, weights)
    else:
        scoring = _scoring(term, weights, fields) if fields else []
    return {"bool": {"should": [matched] + scoring, "_name": name}}


def _headline_share(terms: list[Term], weights: dict[str, float]) -> dict | None:
    """The headline part of the words' BM25F, counted for the share of the query words the
    headline holds (the Whoosh store's `_headline_shortfall`): the title scores summed, times
    the number of query words in the headline over the number of query words. Every document
    the title scores match holds at least one of them, so the factor is never the default."""
    in_title = [t for t in terms if "title" in t.fields]
    if not in_title:
        return None
    share = 1.0 / len(terms)
    return {
        "function_score": {
            "query": {"bool": {"should": [c for t in in_title for c in _scoring(t, weights, ("title",))]}},
            "functions": [{"filter": _holds(Term(t.unit, ("title",))), "weight": share} for t in in_title],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def _phrase_in(words: list[str] | tuple[str, ...], fields, name: str | None = None) -> dict:
    clause = {"bool": {"should": [{"match_phrase": {_field(f): " ".join(words)}} for f in fields]}}
    if name:
        clause["bool"]["_name"] = name
    return clause


def _phrase(phrase: Phrase, weights: dict[str, float], name: str) -> dict:
    """A required phrase: COORD, plus its words' BM25F (in the phrase's fields) as one clause."""
    scores = [c for u in phrase.units for c in _scoring(Term(u, phrase.fields), weights)]
    should = [{"constant_score": {"filter": {"match_all": {}}, "boost": COORD}}] + scores
    return {"bool": {"filter": [_phrase_in(phrase.words, phrase.fields)], "should": should, "_name": name}}


def _excluded(item: Term | Phrase) -> dict:
    if isinstance(item, Phrase):
        return _phrase_in(item.words, item.fields)
    return _holds(item, respellings=False)


def query_dsl(planned: PlannedQuery, filters: Filters, weights: dict[str, float]) -> dict:
    """The query of a plan: its matches, each scored COORD per word matched plus BM25F (each
    field's clauses boosted by `weights`, `field_weights`)."""
    filter_clauses = [c for c in (_date_filter(filters),) if c]
    if filters.desk:
        filter_clauses.append({"term": {"desk": filters.desk}})
    if planned.empty:  # every article (exclusions alone select nothing to leave out of)
        return {"bool": {"filter": filter_clauses}} if filter_clauses else {"match_all": {}}
    if len(planned.terms) > 1:
        # The headline part of the words' scores is one clause of its own: counted by share.
        body_only = [tuple(f for f in t.fields if f != "title") for t in planned.terms]
        words = [_word(t, weights, f"w{i}", body_only[i]) for i, t in enumerate(planned.terms)]
        share = _headline_share(planned.terms, weights)
    else:
        words = [_word(t, weights, f"w{i}") for i, t in enumerate(planned.terms)]
        share = None
    # Stopwords add to the score and the words matched of what the other words found.
    stops = [_word(t, weights, f"s{i}") for i, t in enumerate(planned.stop_terms)]
    if planned.phrases:
        must = [_phrase(p, weights, f"p{i}") for i, p in enumerate(planned.phrases)]
        should = words + stops
    else:
        must = [{"bool": {"should": words, "minimum_should_match": 1}}]
        should = stops
    if share:
        should = should + [share]
    return {
        "bool": {
            "must": must,
            "should": should,
            "filter": filter_clauses,
            "must_not": [_excluded(x) for x in planned.excluded],
        }
    }


def _aggregations() -> dict:
    return {
        "desks": {"terms": {"field": "desk", "size": DESKS, "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        "months": {
            "date_histogram": {
                "field": "published",
                "calendar_interval": "month",
                "time_zone": "+06:00",  # the month in Dhaka, as the Whoosh store counts it
                "format": "yyyy-MM",
                "min_doc_count": 1,
            }
        },
    }


# What `search` reads of the cluster's answer.
_ANSWER = [
    "_shards",  # a shard without a copy is not searched: total and successful say so
    "hits.total",
    "hits.hits._score",
    "hits.hits.sort",
    "hits.hits.fields",
    "hits.hits.matched_queries",
    "aggregations",
]


class _Candidate:
    __slots__ = ("id", "seq", "coord", "score", "similar", "checks")

    def __init__(self, hit: dict):
        values = hit.get("fields", {})
        self.id = values["id"][0]
        self.seq = hit["sort"][-1]
        names = hit.get("matched_queries", ())
        self.checks = [n for n in names if n.startswith(CHECK)]
        self.coord = len(names) - len(self.checks)
        raw = hit.get("_score")
        self.score = max(0.0, float(raw) - COORD * self.coord) if raw is not None else 0.0
        self.similar = values.get("similar_ids", [])

    def key(self) -> tuple:
        """The ranking's order: words matched, score, then the earlier page."""
        return (-self.coord, -self.score, self.seq)


def field_weights(scales: dict[str, float]) -> dict[str, float]:
    """The policy's field weights as query boosts: OpenSearch's BM25 multiplies a field's scores
    by (1 + its k1), which the build sets per generation (mapping.py) and records as `scales`
    (field → (1 + K1) / (1 + k1)); so the scores are the policy's."""
    return {f: FIELD_WEIGHT[f] * scales.get(f, 1.0) for f in FIELD_WEIGHT}


def search(client, index: str, query: StoreQuery, scales: dict[str, float]) -> StoreAnswer:
    planned = query.planned
    end = query.start + query.limit
    depth = end * 2 + 10  # a margin beyond the page: folded near-duplicates free places
    sort = query.sort if not planned.empty else ("newest" if query.sort == "relevance" else query.sort)
    if sort == "relevance":
        order = [{"_score": "desc"}, {"seq": "asc"}]
        size = max(depth, _bonus_depth(planned))
    else:
        direction = "desc" if sort == "newest" else "asc"
        order = [{"published": {"order": direction, "missing": "_last"}}, {"seq": "asc"}]
        size = depth
    body = {
        "query": query_dsl(planned, query.filters, field_weights(scales)),
        "sort": order,
        "size": size,
        "track_total_hits": True,
        "track_scores": not planned.empty,
        # Doc values only: reading any stored field (even _id) of a candidate unpacks the block of
        # stored sources it is in, which cost 30 of the 40 ms of 300 candidates (BENCHMARKS.md).
        "stored_fields": "_none_",
        "docvalue_fields": ["id", "similar_ids"],
        "aggs": _aggregations(),
    }
    checks = _checks(planned) if sort == "relevance" and not planned.empty else []
    if checks:
        # Asked of the candidates returned only (named queries are matched in the fetch phase),
        # in a filter that keeps every match: so one request, not one more over the candidates.
        body["post_filter"] = {"bool": {"should": [{"match_all": {}}, *checks]}}
    found = client.search(index=index, body=body, filter_path=_ANSWER)
    candidates = [_Candidate(h) for h in found["hits"].get("hits", [])]  # filter_path drops []
    if sort == "relevance":
        _bonuses(candidates, planned)
        candidates.sort(key=_Candidate.key)
    shown = _fold(candidates, end)[query.start : end]
    fields = _fetch(client, index, [c.id for c, _ in shown])
    hits = [
        Hit(fields[c.id], c.score if not planned.empty else None, sorted(near))
        for c, near in shown
        if c.id in fields
    ]
    aggs = found["aggregations"]
    desks = [{"value": b["key"], "count": b["doc_count"]} for b in aggs["desks"]["buckets"] if b["key"]]
    months = [{"value": b["key_as_string"], "count": b["doc_count"]} for b in aggs["months"]["buckets"]]
    shards = found["_shards"]
    return StoreAnswer(
        total=found["hits"]["total"]["value"],
        hits=hits,
        desks=desks,
        months=months,
        # or a shard lost between the search and the fetch of the page's articles
        shards_missing=shards["successful"] + shards.get("skipped", 0) < shards["total"]
        or len(hits) < len(shown),
    )


def _fold(ranked: list[_Candidate], limit: int) -> list[tuple[_Candidate, set[str]]]:
    """The first `limit` ranked candidates, each with its near-duplicates, those ranked after it
    folded into it (the Whoosh store's `_fold_near_duplicates`)."""
    kept: list[tuple[_Candidate, set[str]]] = []
    folded: set[str] = set()
    for c in ranked:
        if len(kept) == limit:
            break
        if c.id in folded:
            continue
        near = set(c.similar)
        folded |= near
        kept.append((c, near))
    return kept


def _fetch(client, index: str, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    # The whole source, picked here: the cluster copies it as stored, where picking fields there
    # parses it first (5 against 8 ms for 10 articles, BENCHMARKS.md).
    found = client.mget(index=index, body={"ids": ids})
    out = {}
    for doc in found["docs"]:
        if doc.get("found"):
            source = doc["_source"]
            out[source["id"]] = {k: source[k] for k in SHOWN if source.get(k) is not None}
    return out


def _checks(planned: PlannedQuery) -> list[dict]:
    """Named queries saying of each candidate what the bonuses ask (the whole query together,
    each adjacent word pair together, each query word in the headline in the form typed); their
    names begin with CHECK, so that they are not counted as words matched."""
    words = [u.variants[0] for u in planned.sequence]
    checks = []
    if len(words) >= 3:
        checks += [_phrase_in(words, (f,), f"{CHECK}all_{f}") for f in TEXT_FIELDS]
    for i, pair in enumerate(zip(words, words[1:], strict=False)):
        checks += [_phrase_in(pair, (f,), f"{CHECK}pair{i}_{f}") for f in TEXT_FIELDS]
    for i, form in enumerate(sorted(planned.surface_forms)):
        checks.append({"term": {"title_forms": {"value": form, "_name": f"{CHECK}form{i}"}}})
    if len(planned.terms) >= 2:  # every query word within one body paragraph
        words = [
            {"span_or": {"clauses": [{"span_term": {"body_paragraphs": v}} for v in spellings]}}
            for spellings in (t.unit.variants + t.unit.respellings for t in planned.terms)
        ]
        near = {"clauses": words, "slop": mapping.PARAGRAPH_SLOP, "in_order": False}
        checks.append({"span_near": {**near, "_name": f"{CHECK}para"}})
    return checks


def _bonus_depth(planned: PlannedQuery) -> int:
    """How many of the best candidates the bonuses may reorder: a bonus only raises candidates
    among the best so many, so none beyond them can come before them."""
    words = len(planned.sequence)
    paragraph = PARAGRAPH_DEPTH if len(planned.terms) >= 2 else 0
    if words >= 3:
        return max(PHRASE_DEPTH, paragraph)
    if words == 2:
        return max(PROXIMITY_DEPTH, EXACT_FORM_DEPTH, paragraph)
    return max(EXACT_FORM_DEPTH if planned.surface_forms else 0, paragraph)


def _bonuses(candidates: list[_Candidate], planned: PlannedQuery) -> None:
    """The phrase, proximity, exact-form and paragraph bonuses of search/whoosh_store/searching.py, on the
    best candidates, from what `_checks` found in each."""
    if not candidates or planned.empty:
        return
    top = sorted(candidates, key=_Candidate.key)[:PHRASE_DEPTH]
    pairs = len(planned.sequence) - 1
    forms = len(planned.surface_forms)

    def held(c: _Candidate, kind: str) -> int:
        return sum(1 for name in c.checks if name.startswith(CHECK + kind))

    if pairs >= 2:  # three words or more
        for c in top:
            if held(c, "all"):
                c.score *= 1 + FULL_PHRASE_WEIGHT
    if pairs >= 1:
        for c in heapq.nsmallest(PROXIMITY_DEPTH, top, key=_Candidate.key):
            n = held(c, "pair")
            if n:
                c.score *= 1 + PROXIMITY_WEIGHT * n / pairs
    if forms:
        for c in heapq.nsmallest(EXACT_FORM_DEPTH, top, key=_Candidate.key):
            n = held(c, "form")
            if n:
                c.score *= 1 + EXACT_FORM_WEIGHT * n / forms
    if len(planned.terms) >= 2:
        for c in heapq.nsmallest(PARAGRAPH_DEPTH, top, key=_Candidate.key):
            if held(c, "para"):
                c.score *= 1 + PARAGRAPH_WEIGHT


def related(
    client, index: str, source: dict, frequencies, limit: int, scales: dict[str, float]
) -> list[dict]:
    """Stored fields of the articles most like one (`source`): its most distinctive words (tf·idf
    over its analyzed text, document frequencies from `frequencies`) scored as a query; never the
    article itself, its near-duplicates or copies (search/whoosh_store/searching.py `related`)."""
    import math

    from search.analysis import is_stopword
    from search.policy import RELATED_TERMS
    from search.text_terms import token_spans

    counts = Counter(t for t, _, _ in token_spans(source.get("title", "") + "\n" + source.get("body", "")))
    n, df = frequencies
    weighted = [
        (tf * math.log(n / (1 + df(t))), t)
        for t, tf in counts.items()
        if not is_stopword(t) and len(t) > 1 and not t.isdigit()
    ]
    terms = [t for _, t in heapq.nlargest(RELATED_TERMS, weighted)]
    if not terms:
        return []
    should = [
        {"term": {_field(f): {"value": t, "boost": field_weights(scales)[f]}}}
        for t in terms
        for f in TEXT_FIELDS
    ]
    body = {
        "query": {
            "bool": {
                "should": should,
                "minimum_should_match": 1,
                "must_not": [
                    {"ids": {"values": [source["id"], *(source.get("similar_ids") or [])]}},
                    {"term": {"body_hash": source.get("body_hash", "")}},
                ],
            }
        },
        "sort": [{"_score": "desc"}, {"seq": "asc"}],
        "size": limit,
        "_source": SHOWN,
    }
    return [
        {k: v for k, v in h["_source"].items() if v is not None}
        for h in client.search(index=index, body=body)["hits"]["hits"]
    ]
