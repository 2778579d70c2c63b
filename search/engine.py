"""The engine: a search request in, the API's answer out, over any store (search/store.py).

    request → dates read from the query (search/query_dates.py) → parsed (search/query.py)
      → romanized words read (search/romanize.py) → planned (search/plan.py) → the store matches,
      ranks, folds and counts (StoreQuery → StoreAnswer) → snippets and highlights
      (search/snippets.py) → the answer, as the JSON API, the page and `sandhan search` show it.

Nothing here knows a store's insides or HTTP: web/params.py checks parameters into a
`SearchRequest`, the store behind `SearchEngine.store` is the Whoosh store or the OpenSearch store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from search.analysis import analyze
from search.article import DHAKA, article_url
from search.lexicon import suggest as did_you_mean
from search.plan import PlannedQuery, Term, Unit, analyze_units, plan
from search.query import ParsedQuery, clean, parse_query
from search.query_dates import read_date, without
from search.romanize import Reading, interpret, is_romanized
from search.snippets import highlight_html, snippet_html
from search.store import Filters, Store, StoreAnswer, StoreQuery
from search.text_terms import cached_token_spans, raw_spellings

# What to do with a date typed in the query (search/query_dates.py): `auto` applies a definite
# reading and offers the others, `on` applies an offered one too, `off` searches the words.
DATES = ("auto", "on", "off")
ROMANIZED = ("on", "off")  # `romanized=off`: Latin words are searched as typed, never read as Bangla
# A romanized word whose best reading is less sure than this (`search.romanize.reading_confidence`)
# is searched as typed. Measured with bench/reading_confidence.py on the shared corpus: every word of
# the romanized dev and held-out queries that has a reading (219 of 220) reads at 0.61 or more
# (bollywood), and 13 English loanwords at 0.66 or more (football 0.77); of 35 strings of Latin
# gibberish 13 have no reading, 19 fall below (zzzzqqq 0.42, qwrtzp 0.15), 3 stay above (tyui তুই).
MIN_READING_CONFIDENCE = float(os.environ.get("SANDHAN_MIN_READING_CONFIDENCE", 0.55))
# Search-as-you-type scores titles on at most this many of the words before the last.
SUGGEST_HEAD_WORDS = 8
# Below this many results, did-you-mean looks for a better spelling of the query.
SUGGEST_BELOW = 3


@dataclass(frozen=True)
class SearchRequest:
    """A checked search request (web/params.py makes one from query-string parameters)."""

    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # one of search.store.SORTS
    desk: str | None = None
    page: int = 1
    per_page: int = 10
    q_cut: bool = False  # the q sent was longer than MAX_QUERY_CHARS: `q` is its start
    dates: str = "auto"  # one of DATES
    romanized: str = "on"  # "off": Latin words are searched as typed (ROMANIZED)


class SearchEngine:
    """Answers searches, suggestions and articles from a store. `lexicon_now`: build the store's
    lexicon on the first query that needs it (the CLI, evaluation); a server (False) searches by
    the spelling typed until its store has the lexicon at hand, rather than make a reader wait."""

    def __init__(self, store: Store, lexicon_now: bool = True):
        self.store = store
        self.lexicon_now = lexicon_now
        # Today in Dhaka, against which relative dates in queries are read (a test sets its own).
        self.today: Callable[[], date] = lambda: datetime.now(DHAKA).date()

    def health(self) -> dict:
        return self.store.health()

    # --- searching -------------------------------------------------------------------------

    def search(self, req: SearchRequest, work_budget: int = 0) -> dict:
        started = time.perf_counter()
        searched, date_reading = self._read_date(req)
        parsed, planned, interpreted = self._plan(searched)
        found = self.store.search(self._store_query(searched, planned, work_budget))
        stopped = found.stopped
        if date_reading and date_reading["applied"] and not found.total and req.dates == "auto":
            # A date read but not asked for (a headline's আজ) that leaves nothing: the words as
            # typed are searched instead, and the reading only offered.
            date_reading = {**date_reading, "applied": False}
            parsed, planned, interpreted = self._plan(req)
            found = self.store.search(self._store_query(req, planned, work_budget))
            stopped = stopped or found.stopped
        answer = self._answer(req, planned, found)
        answer["date_reading"] = date_reading
        answer["interpreted_query"] = interpreted
        # A server whose new generation's lexicon is still being built (after every update of a
        # watched folder) answers without a suggestion rather than make the reader wait seconds.
        lexicon_ready = self.lexicon_now or self.store.has_lexicon()
        if found.total < SUGGEST_BELOW and parsed.positive and not interpreted and lexicon_ready:
            # From the query as searched (cleaned, within the limits), never the raw text.
            answer["suggestion"] = did_you_mean(str(parsed), self.store.lexicon(), analyze)
        # Whether the answer may be missing results, and why: the query went past the documented
        # limits and was cut to them, or the work budget ran out (the results are those verified).
        cut = parsed.cut or req.q_cut
        if found.shards_missing:
            answer["partial"] = "shards_missing"
        else:
            answer["partial"] = "work_budget" if stopped else "query_cut" if cut else None
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def highlight_terms(self, req: SearchRequest) -> set[str]:
        """The index terms a search marks in its results: what an article page reached from that
        search marks (romanized words read, a date typed in the query left out, as searching does)."""
        searched, _ = self._read_date(req)
        return self._plan(searched)[1].highlight_terms

    @staticmethod
    def _store_query(req: SearchRequest, planned: PlannedQuery, work_budget: int) -> StoreQuery:
        return StoreQuery(
            planned=planned,
            filters=Filters(req.date_from, req.date_to, req.desk),
            sort=req.sort,
            start=(req.page - 1) * req.per_page,
            limit=req.per_page,
            work_budget=work_budget,
        )

    def _answer(self, req: SearchRequest, planned: PlannedQuery, found: StoreAnswer) -> dict:
        """The API's answer for one page of a store's results."""
        items = []
        for hit in found.hits:
            item = result_item(hit.fields, hit.score, planned.highlight_terms)
            # Near-duplicates are folded into the first of them shown; their ids stay reachable.
            item["similar"] = len(hit.similar_ids)
            item["similar_ids"] = hit.similar_ids
            items.append(item)
        return {
            "query": clean(req.q),  # as typed, the date words too
            "total": found.total,
            "page": req.page,
            "per_page": req.per_page,
            "took_ms": 0.0,
            "results": items,
            "facets": {"desk": found.desks, "month": found.months},
            "suggestion": None,
        }

    def _plan(self, req: SearchRequest) -> tuple[ParsedQuery, PlannedQuery, str | None]:
        """The request's query parsed and planned, and the query as interpreted (romanized words)."""
        parsed = parse_query(req.q)
        readings, interpreted = self._read_romanized(parsed) if req.romanized == "on" else ({}, None)
        return parsed, plan(parsed, readings, self._respell()), interpreted

    def _read_date(self, req: SearchRequest) -> tuple[SearchRequest, dict | None]:
        """The request to search, with a date typed in the query read as a date window (its words
        then not searched), and what was read, for the answer. Explicit `from`/`to` win over a
        reading, which is then only offered; a date inside a quoted phrase is part of the phrase."""
        if req.dates == "off" or not req.q:
            return req, None
        reading = read_date(req.q, self.today())
        if reading is None or req.q[: reading.start].count('"') % 2:
            return req, None
        applied = (reading.definite or req.dates == "on") and not (req.date_from or req.date_to)
        answer = {
            "text": reading.text,
            "from": reading.date_from.isoformat(),
            "to": reading.date_to.isoformat(),
            "applied": applied,
        }
        if not applied:
            return req, answer
        window = {"date_from": reading.date_from, "date_to": reading.date_to}
        return replace(req, q=without(req.q, reading), **window), answer

    def _respell(self) -> Callable[[str], list[str]] | None:
        """Where a word's other spellings come from: the store's lexicon, once at hand."""
        if not self.lexicon_now and not self.store.has_lexicon():
            return None
        return self.store.lexicon().respellings

    def _read_romanized(self, parsed: ParsedQuery) -> tuple[dict[str, Reading], str | None]:
        """Bangla readings of the query's Latin words, and the query as interpreted (or None)."""
        words = [w for c in parsed.clauses for w in c.words]
        if not any(is_romanized(w) for w in words):
            return {}, None
        interpretation = interpret(" ".join(words), self.store.lexicon(), analyze)
        # A reading less sure than MIN_READING_CONFIDENCE is none: the word is searched as typed.
        readings = {
            r.source: r
            for r in interpretation.words
            if r.romanized and r.confidence >= MIN_READING_CONFIDENCE
        }
        if not any(r.display != r.source for r in readings.values()):
            return readings, None
        # The query as typed, operators and all, with each romanized word in Bangla.
        shown = ParsedQuery(
            tuple(
                replace(c, words=tuple(readings[w].display if w in readings else w for w in c.words))
                for c in parsed.clauses
            )
        )
        return readings, str(shown)

    def suggest(self, prefix: str, limit: int = 8) -> dict:
        """Search-as-you-type: completions of the last word from the index vocabulary (kept as
        typed up to a trailing hasanta or vowel sign), then titles holding them, best first."""
        words = clean(prefix).split()
        answer: dict = {"query": clean(prefix), "suggestions": []}
        if not words or is_romanized(words[-1]):
            return answer
        completions = self.store.lexicon().complete(words[-1], limit=limit)
        head = " ".join(words[:-1])
        answer["suggestions"] = [
            {"text": f"{head} {term}".strip(), "kind": "term"} for term in completions[: limit // 2 or 1]
        ]
        wanted = limit - len(answer["suggestions"])
        if not completions or wanted <= 0:
            return answer
        # Titles holding a completion, ranked by the words before it too (the last few: a pasted
        # paragraph costs no more), which add to the titles found and find none themselves.
        scored_head = " ".join(words[:-1][-SUGGEST_HEAD_WORDS:])
        head_terms = [Term(u, ("title",)) for u in analyze_units(scored_head)] if scored_head else []
        titles = PlannedQuery(
            terms=[Term(Unit(tuple(completions[:3]), False), ("title",))],
            phrases=[],
            excluded=[],
            highlight_terms=set(),
            stop_terms=head_terms,
        )
        for hit in self.store.search(StoreQuery(titles, limit=wanted)).hits:
            fields = hit.fields
            answer["suggestions"].append(
                {"text": fields["title"], "kind": "title", "url": article_url(fields["id"])}
            )
        return answer

    # --- articles --------------------------------------------------------------------------

    def article(self, article_id: str, related: int = 5) -> dict | None:
        fields = self.store.article(article_id)
        if fields is None:
            return None
        return {
            "id": fields["id"],
            "title": fields["title"],
            "desk": fields.get("desk"),
            "published": fields.get("published"),
            "updated": fields.get("updated"),
            "body": fields.get("body", ""),
            "related": [
                {
                    "id": other["id"],
                    "url": article_url(other["id"]),
                    "title": other["title"],
                    "published": other.get("published"),
                }
                for other in self.store.related(article_id, related)
            ],
        }


def result_item(fields: dict, score: float | None, terms: set[str]) -> dict:
    """One result as the API gives it: stored fields, highlighted title and snippet, link."""
    return {
        "id": fields["id"],
        "url": article_url(fields["id"]),
        "title": fields["title"],
        "title_html": highlight_html(fields["title"], terms, cached_token_spans),
        "snippet_html": snippet_html(fields.get("body", ""), terms, cached_token_spans, probes=raw_spellings),
        "desk": fields.get("desk"),
        "published": fields.get("published"),
        "updated": fields.get("updated"),
        "score": round(float(score), 4) if score is not None else None,
    }
