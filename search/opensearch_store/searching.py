"""A StoreQuery as OpenSearch's query DSL, and the answer back as a StoreAnswer, carrying out the
ranking policy (search/policy.py) as the Whoosh store does (search/whoosh_store/searching.py).

    score = COORD · words matched + BM25F(title^FIELD_WEIGHT, body)

where a headline's part of BM25F counts for the share of the query words it holds. Ranked by
relevance, a query is a few requests, none of which scores every match of a large archive:

1. one `_msearch` of two searches, run side by side in the cluster: the count and the desk and
   month facets over every match, unscored; and the best candidates among the documents that hold
   every query word (a conjunction, far fewer than the words' union; they rank before any other
   match, so when there are enough of them they are the union's best too);
2. only when too few documents hold every word, both for the candidates and for the page: the
   best candidates of those holding TIER_SHARE of the words, and only when those are too few, of
   the whole union;
3. the bonus checks, each on the candidates its bonus may reach (an `ids` filter leading):
   whether each holds the whole query or adjacent query words together (match_phrase), which
   query words its headline holds in the form typed, every word in one paragraph (named queries).

The phrase, proximity and exact-form bonuses, the order, and the folding of near-duplicates
(each document stores its near-duplicates' ids, found at build time) are then done here, on the
candidates, as the Whoosh store does them; a last request reads the page's articles. Sorted by
date, a query is one search and the read of its articles.
"""

from __future__ import annotations

import heapq
from collections import Counter

from search.opensearch_store import mapping
from search.opensearch_store.cluster import msearch
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
# The second tier of `_best_by_relevance`: matches holding this share of the query's words. Only
# speed depends on it (each tier's candidates are the union's best when they are enough): at a
# million pages, a long query's candidates were filled near 0.7 of its words, and the tiers
# below cost more than scoring the union (BENCHMARKS.md).
TIER_SHARE = 0.7
SHOWN = ["id", "title", "body", "desk", "published", "updated"]
CHECK = "~"  # the names of the bonuses' named queries begin with it
DESKS = 1000  # desk facet values counted (an archive has tens)
MONTHS = 12_000  # month facet values counted: a thousand years


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


def query_dsl(planned: PlannedQuery, filters: Filters, weights: dict[str, float], at_least: int = 0) -> dict:
    """The query of a plan: its matches, each scored COORD per word matched plus BM25F (each
    field's clauses boosted by `weights`, `field_weights`). `at_least`: only the matches that
    hold so many of the query's words and stopwords (an unscored filter: the scores are the
    same)."""
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
    if at_least:
        held = [_holds(t) for t in (*planned.terms, *planned.stop_terms)]
        filter_clauses.append({"bool": {"should": held, "minimum_should_match": at_least}})
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


def _aggregations(month_keyword: bool) -> dict:
    """The desk and month facets; the months by the `month` keyword's ordinals when the generation
    has one (mapping.MONTH_KEYWORD), else by a date histogram."""
    if month_keyword:
        months = {"terms": {"field": "month", "size": MONTHS, "order": {"_key": "asc"}}}
    else:
        months = {
            "date_histogram": {
                "field": "published",
                "calendar_interval": "month",
                "time_zone": "+06:00",  # the month in Dhaka, as the Whoosh store counts it
                "format": "yyyy-MM",
                "min_doc_count": 1,
            }
        }
    return {
        "desks": {"terms": {"field": "desk", "size": DESKS, "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        "months": months,
    }


# What a search reads of the cluster's answer.
_RANKED = [
    "_shards",  # a shard without a copy is not searched: total and successful say so
    "hits.hits._score",
    "hits.hits.sort",
    "hits.hits.fields",
    "hits.hits.matched_queries",
]
_COUNTED = ["_shards", "hits.total", "aggregations"]


class _Candidate:
    __slots__ = ("id", "seq", "coord", "score", "similar", "checks")

    def __init__(self, hit: dict):
        values = hit.get("fields", {})
        self.id = values["id"][0]
        self.seq = hit["sort"][-1]
        self.coord = len(hit.get("matched_queries", ()))  # the words' and stopwords' named queries
        raw = hit.get("_score")
        self.score = max(0.0, float(raw) - COORD * self.coord) if raw is not None else 0.0
        self.similar = values.get("similar_ids", [])
        self.checks: list[str] = []  # the bonus checks it passed (`_check`)

    def key(self) -> tuple:
        """The ranking's order: words matched, score, then the earlier page."""
        return (-self.coord, -self.score, self.seq)


def field_weights(scales: dict[str, float]) -> dict[str, float]:
    """The policy's field weights as query boosts: OpenSearch's BM25 multiplies a field's scores
    by (1 + its k1), which the build sets per generation (mapping.py) and records as `scales`
    (field → (1 + K1) / (1 + k1)); so the scores are the policy's."""
    return {f: FIELD_WEIGHT[f] * scales.get(f, 1.0) for f in FIELD_WEIGHT}


def search(
    client, index: str, query: StoreQuery, scales: dict[str, float], month_keyword: bool
) -> StoreAnswer:
    """`scales`: the generation's score scales (`field_weights`); `month_keyword`: whether it has
    the `month` keyword (`_aggregations`)."""
    planned = query.planned
    aggregations = _aggregations(month_keyword)
    end = query.start + query.limit
    depth = end * 2 + 10  # a margin beyond the page: folded near-duplicates free places
    sort = query.sort if not planned.empty else ("newest" if query.sort == "relevance" else query.sort)
    weights = field_weights(scales)
    candidate_fields = {
        # Doc values only: reading any stored field (even _id) of a candidate unpacks the block of
        # stored sources it is in, which cost 30 of the 40 ms of 300 candidates (BENCHMARKS.md).
        "stored_fields": "_none_",
        "docvalue_fields": ["id", "similar_ids"],
    }
    if sort == "relevance":
        counted, answers, candidates = _best_by_relevance(
            client, index, query, weights, candidate_fields, aggregations, depth
        )
    else:
        direction = "desc" if sort == "newest" else "asc"
        body = {
            "query": query_dsl(planned, query.filters, weights),
            "sort": [{"published": {"order": direction, "missing": "_last"}}, {"seq": "asc"}],
            "size": depth,
            "track_total_hits": True,
            "track_scores": not planned.empty,
            **candidate_fields,
            "aggs": aggregations,
        }
        counted = client.search(index=index, body=body, filter_path=_RANKED + _COUNTED)
        answers = [counted]
        candidates = [_Candidate(h) for h in _hits(counted)]
    shown = _fold(candidates, end)[query.start : end]
    fields = _fetch(client, index, [c.id for c, _ in shown])
    hits = [
        Hit(fields[c.id], c.score if not planned.empty else None, sorted(near))
        for c, near in shown
        if c.id in fields
    ]
    aggs = counted["aggregations"]
    desks = [{"value": b["key"], "count": b["doc_count"]} for b in aggs["desks"]["buckets"] if b["key"]]
    months = [
        {"value": b.get("key_as_string", b["key"]), "count": b["doc_count"]}
        for b in aggs["months"]["buckets"]
    ]
    return StoreAnswer(
        total=counted["hits"]["total"]["value"],
        hits=hits,
        desks=desks,
        months=months,
        # or a shard lost between the search and the fetch of the page's articles
        shards_missing=any(_shards_missing(a) for a in answers) or len(hits) < len(shown),
    )


def _best_by_relevance(
    client,
    index: str,
    query: StoreQuery,
    weights: dict[str, float],
    candidate_fields: dict,
    aggregations: dict,
    depth: int,
) -> tuple[dict, list[dict], list[_Candidate]]:
    """The count and facets over every match (unscored), and the best candidates by relevance,
    ranked. The matches holding more query words rank first, so when the documents holding every
    word (or TIER_SHARE of them) fill the candidates, they are the best of the union, found
    without scoring the rest. A tier that holds all its matches yet fewer than the candidates
    ends the search too when they fill the page: the bonuses scale the BM25F part, never the words
    matched, and each match's bonuses and folding depend only on the matches ranked before it, so
    no match holding fewer words can change that page. The union itself is scored only when every
    tier falls short. Returns the counting answer, the ranking answers and the candidates."""
    planned = query.planned
    size = max(depth, _bonus_depth(planned))
    counting = {
        "query": {"constant_score": {"filter": query_dsl(planned, query.filters, weights)}},
        "size": 0,
        "track_total_hits": True,
        "aggs": aggregations,
    }
    ranking = {
        "sort": [{"_score": "desc"}, {"seq": "asc"}],
        "size": size,
        "track_total_hits": False,  # counted apart: the cluster may skip what cannot rank
        **candidate_fields,
    }

    def ranked_at(at_least: int) -> dict:
        return {**ranking, "query": query_dsl(planned, query.filters, weights, at_least)}

    tiers = _tiers(planned)
    counted, ranked = msearch(client, index, [(counting, _COUNTED), (ranked_at(tiers[0]), _RANKED)])
    answers = [counted, ranked]
    total = counted["hits"]["total"]["value"]
    end = query.start + query.limit
    for at_least in tiers[1:]:
        held = len(_hits(answers[-1]))
        if held >= size or held >= total:
            break
        # Fewer than asked: every match holding so many words is here. Ranking them asks the bonus
        # checks, so only when they may fill the page (folding only takes places away).
        if held >= end:
            candidates = _ranked(client, index, answers[-1], planned)
            if len(_fold(candidates, end)) == end:
                return counted, answers, candidates
        answers.append(client.search(index=index, body=ranked_at(at_least), filter_path=_RANKED))
    return counted, answers, _ranked(client, index, answers[-1], planned)


def _ranked(client, index: str, answer: dict, planned: PlannedQuery) -> list[_Candidate]:
    """The candidates of a ranking answer in the ranking's order, their bonuses given."""
    candidates = [_Candidate(h) for h in _hits(answer)]
    _check(client, index, candidates, planned)
    _bonuses(candidates, planned)
    candidates.sort(key=_Candidate.key)
    return candidates


def _tiers(planned: PlannedQuery) -> list[int]:
    """How many of the words and stopwords a match must hold, tier by tier; the last, 0, is the
    union. Without a phrase, the union is the matches holding one word, so a tier of 1 would be
    the union again."""
    words = len(planned.terms) + len(planned.stop_terms)
    least = 1 if planned.phrases else 2
    return [k for k in dict.fromkeys((words, round(words * TIER_SHARE))) if k >= least] + [0]


def _hits(answer: dict) -> list[dict]:
    return answer.get("hits", {}).get("hits", [])  # filter_path drops what is empty


def _shards_missing(answer: dict) -> bool:
    shards = answer["_shards"]
    return shards["successful"] + shards.get("skipped", 0) < shards["total"]


def _check(client, index: str, candidates: list[_Candidate], planned: PlannedQuery) -> None:
    """Which bonus checks (`_checks`) the best candidates pass, each asked only of the candidates
    its bonus may look at, an `ids` filter leading (so a phrase is never looked for elsewhere):
    the whole query of the best PHRASE_DEPTH; the later bonuses' checks (pairs, forms, paragraph)
    of the best `later_depth`, and, when the whole-query bonus lifts a candidate from beyond them
    into them, of that one too (a second request, seldom needed). The later bonuses only raise
    candidates among the best so many, so none they do not look at can come into them."""
    whole, later, later_depth = _checks(planned)
    ranked = heapq.nsmallest(PHRASE_DEPTH if whole else later_depth, candidates, key=_Candidate.key)
    if not ranked:
        return
    asked = [(ranked, whole)] if whole else []
    asked += [(ranked[:later_depth], later)] if later else []
    passed = _matched(client, index, asked)
    for c in ranked:
        c.checks = passed.get(c.id, [])
    if whole and later:

        def lifted_key(c: _Candidate) -> tuple:
            return (-c.coord, -c.score * _whole_query_lift(c), c.seq)

        looked_at = {c.id for c in ranked[:later_depth]}
        lifted = [c for c in heapq.nsmallest(later_depth, ranked, key=lifted_key) if c.id not in looked_at]
        if lifted:
            more = _matched(client, index, [(lifted, later)])
            for c in lifted:
                c.checks = c.checks + more.get(c.id, [])


def _matched(client, index: str, asked: list[tuple[list[_Candidate], list[dict]]]) -> dict[str, list[str]]:
    """Id → names of the checks each candidate passes: one search per (candidates, checks), all
    in one `_msearch`."""
    searches = []
    for candidates, checks in asked:
        body = {
            "query": {
                "bool": {"filter": [{"ids": {"values": [c.id for c in candidates]}}], "should": checks}
            },
            "sort": ["_doc"],  # unscored: the checks are matched for the named queries only
            "size": len(candidates),
            "stored_fields": "_none_",
            "docvalue_fields": ["id"],
        }
        searches.append((body, ["hits.hits.fields", "hits.hits.matched_queries"]))
    passed: dict[str, list[str]] = {}
    for found in msearch(client, index, searches):
        for hit in _hits(found):
            passed.setdefault(hit["fields"]["id"][0], []).extend(hit.get("matched_queries", []))
    return passed


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


def _checks(planned: PlannedQuery) -> tuple[list[dict], list[dict], int]:
    """Named queries saying of a candidate what the bonuses ask: the whole query together; and
    the later bonuses' (each adjacent word pair together, each query word in the headline in the
    form typed, every word within one body paragraph), with the depth of candidates the later
    bonuses look within. Their names begin with CHECK and say which bonus each is for."""
    words = [u.variants[0] for u in planned.sequence]
    whole = [_phrase_in(words, (f,), f"{CHECK}all_{f}") for f in TEXT_FIELDS] if len(words) >= 3 else []
    later, depths = [], [0]
    for i, pair in enumerate(zip(words, words[1:], strict=False)):
        later += [_phrase_in(pair, (f,), f"{CHECK}pair{i}_{f}") for f in TEXT_FIELDS]
        depths.append(PROXIMITY_DEPTH)
    for i, form in enumerate(sorted(planned.surface_forms)):
        later.append({"term": {"title_forms": {"value": form, "_name": f"{CHECK}form{i}"}}})
        depths.append(EXACT_FORM_DEPTH)
    if len(planned.terms) >= 2:  # every query word within one body paragraph
        spans = [
            {"span_or": {"clauses": [{"span_term": {"body_paragraphs": v}} for v in spellings]}}
            for spellings in (t.unit.variants + t.unit.respellings for t in planned.terms)
        ]
        near = {"clauses": spans, "slop": mapping.PARAGRAPH_SLOP, "in_order": False}
        later.append({"span_near": {**near, "_name": f"{CHECK}para"}})
        depths.append(PARAGRAPH_DEPTH)
    return whole, later, max(depths)


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


def _held(c: _Candidate, kind: str) -> int:
    """How many of the bonus checks of `kind` ("all", "pair", "form", "para") `c` passed."""
    return sum(1 for name in c.checks if name.startswith(CHECK + kind))


def _whole_query_lift(c: _Candidate) -> float:
    """What the whole-query bonus multiplies `c`'s score by: `_bonuses` applies it, and `_check`
    foresees it."""
    return 1 + FULL_PHRASE_WEIGHT if _held(c, "all") else 1.0


def _bonuses(candidates: list[_Candidate], planned: PlannedQuery) -> None:
    """The phrase, proximity, exact-form and paragraph bonuses of search/whoosh_store/searching.py, on the
    best candidates, from what `_checks` found in each."""
    if not candidates or planned.empty:
        return
    top = sorted(candidates, key=_Candidate.key)[:PHRASE_DEPTH]
    pairs = len(planned.sequence) - 1
    forms = len(planned.surface_forms)

    if pairs >= 2:  # three words or more
        for c in top:
            c.score *= _whole_query_lift(c)
    if pairs >= 1:
        for c in heapq.nsmallest(PROXIMITY_DEPTH, top, key=_Candidate.key):
            n = _held(c, "pair")
            if n:
                c.score *= 1 + PROXIMITY_WEIGHT * n / pairs
    if forms:
        for c in heapq.nsmallest(EXACT_FORM_DEPTH, top, key=_Candidate.key):
            n = _held(c, "form")
            if n:
                c.score *= 1 + EXACT_FORM_WEIGHT * n / forms
    if len(planned.terms) >= 2:
        for c in heapq.nsmallest(PARAGRAPH_DEPTH, top, key=_Candidate.key):
            if _held(c, "para"):
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
