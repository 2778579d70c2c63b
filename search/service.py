"""The search service: validated requests in, API-shaped answers out, over the live index.

The JSON API, the web page and `sandhan search` all call `SearchService.search`; only this module
and `search/index.py` know Whoosh.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from whoosh import query as Q
from whoosh import scoring, sorting

from search.analysis import bangla_analyzer, is_stopword
from search.article import DHAKA
from search.dates import parse_date
from search.index import (
    Generation,
    current_generation,
    minutes,
    open_generation,
)
from search.query import Clause, ParsedQuery, parse_query
from search.snippets import highlight_html, snippet_html

SORTS = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
# Relevance: the top candidates by BM25F are re-ranked so that articles with every query word
# come first (coordination); beyond this many the BM25F order stands.
RERANK_DEPTH = 100
TEXT_FIELDS = ("title", "body", "lead")


class BadRequest(ValueError):
    """A request parameter that cannot be honoured; `field` names it, the message says why."""

    def __init__(self, field: str, message: str, code: str = "bad_parameter"):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    desk: str | None = None
    page: int = 1
    per_page: int = 10


def _int_param(args: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise BadRequest(name, f"`{name}` must be a whole number, not {raw!r}") from None
    if not lo <= value <= hi:
        raise BadRequest(name, f"`{name}` must be between {lo} and {hi}, not {value}")
    return value


def _date_param(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise BadRequest(name, f"`{name}`: {exc}", code="bad_date") from None


def parse_request(args: Mapping[str, str]) -> SearchRequest:
    """Validate query-string style parameters; raises BadRequest naming the parameter."""
    sort = (args.get("sort") or "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise BadRequest("sort", f"`sort` must be one of {', '.join(SORTS)}, not {sort!r}")
    date_from, date_to = _date_param(args, "from"), _date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from", f"`from` ({date_from}) is after `to` ({date_to})", "bad_range")
    return SearchRequest(
        q=args.get("q") or "",
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        desk=(args.get("desk") or "").strip() or None,
        page=_int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=_int_param(args, "per_page", 10, 1, MAX_PER_PAGE),
    )


# ---------------------------------------------------------------------------------------------
# Analysis of a query


@dataclass(frozen=True)
class Unit:
    """One word of the query after analysis: the index terms any of which match it."""

    variants: tuple[str, ...]
    stopword: bool


_ANALYZER = bangla_analyzer()


def token_spans(text: str):
    """(token, start, end) for every index-time token of `text`: what snippets match against."""
    for t in _ANALYZER(text, mode="index", positions=True, chars=True):
        yield t.text, t.startchar, t.endchar


def analyze_units(text: str) -> list[Unit]:
    """Query-time analysis grouped by position: each position is one word with its variants."""
    by_pos: dict[int, list[str]] = {}
    for t in _ANALYZER(text, mode="query", positions=True):
        by_pos.setdefault(t.pos, [])
        if t.text not in by_pos[t.pos]:
            by_pos[t.pos].append(t.text)
    return [Unit(tuple(v), all(is_stopword(x) for x in v)) for _, v in sorted(by_pos.items()) if v]


@dataclass
class PlannedQuery:
    """What the engine runs for a parsed query, plus what snippets and re-ranking need."""

    query: Q.Query | None  # None: match everything (an empty or all-excluding query)
    units: list[Unit]  # the positive words that count for coordination
    highlight_terms: set[str]


def _unit_query(unit: Unit, fields: tuple[str, ...]) -> Q.Query:
    terms = [Q.Term(f, v) for f in fields for v in unit.variants]
    return terms[0] if len(terms) == 1 else Q.Or(terms)


def _phrase_query(units: list[Unit], fields: tuple[str, ...]) -> Q.Query:
    # Every position is indexed with its first variant (the form the index stores at that position).
    words = [u.variants[0] for u in units]
    phrases = [Q.Phrase(f, words) for f in fields if f != "lead"]
    return phrases[0] if len(phrases) == 1 else Q.Or(phrases)


def plan(parsed: ParsedQuery) -> PlannedQuery:
    positive: list[Q.Query] = []
    negative: list[Q.Query] = []
    units: list[Unit] = []
    highlight: set[str] = set()
    clause_units: list[tuple[Clause, list[Unit]]] = [
        (c, analyze_units(" ".join(c.words))) for c in parsed.clauses
    ]
    # Stopwords are dropped from word clauses unless the whole query is stopwords.
    all_stop = all(u.stopword for c, us in clause_units if not c.exclude for u in us)
    for clause, cunits in clause_units:
        if not cunits:
            continue
        fields = ("title",) if clause.field == "title" else TEXT_FIELDS
        if clause.phrase and len(cunits) > 1:
            q = _phrase_query(cunits, fields)
            if clause.exclude:
                negative.append(q)
            else:
                positive.append(q)
                units.append(Unit(tuple(v for u in cunits for v in u.variants[:1]), False))
                highlight.update(v for u in cunits for v in u.variants)
            continue
        for unit in cunits:
            if unit.stopword and not all_stop and not clause.exclude:
                continue
            q = _unit_query(unit, fields)
            if clause.exclude:
                negative.append(q)
            else:
                positive.append(q)
                units.append(unit)
                highlight.update(unit.variants)
    if positive:
        query: Q.Query | None = positive[0] if len(positive) == 1 else Q.Or(positive)
    else:
        query = None
    if negative:
        base = query if query is not None else Q.Every()
        query = Q.AndNot(base, Q.Or(negative) if len(negative) > 1 else negative[0])
    return PlannedQuery(query, units, highlight)


# ---------------------------------------------------------------------------------------------
# The service


def _dhaka_minutes(day: date, end: bool) -> int:
    t = dtime(23, 59, 59) if end else dtime(0, 0)
    return minutes(datetime.combine(day, t, tzinfo=DHAKA))


class SearchService:
    """Answers searches over the live generation of an index folder, switching to a newly
    published generation on the next request after a rebuild (no restart)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._pointer_stamp: tuple | None = None
        self._generation: Generation | None = None
        self._index = None
        self._local = threading.local()

    # --- the live generation ---------------------------------------------------------------

    def _pointer(self) -> tuple | None:
        try:
            st = os.stat(self.root / "CURRENT")
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _live(self):
        stamp = self._pointer()
        if stamp != self._pointer_stamp or self._index is None:
            with self._lock:
                if stamp != self._pointer_stamp or self._index is None:
                    gen = current_generation(self.root)  # raises IndexMissing / IndexCorrupt
                    ix = open_generation(gen)
                    self._generation, self._index, self._pointer_stamp = gen, ix, stamp
        return self._generation, self._index

    def searcher(self):
        """A searcher over the live generation, one per thread, reused across requests."""
        gen, ix = self._live()
        held = getattr(self._local, "held", None)
        if held is None or held[0] != gen.name:
            if held is not None:
                held[1].close()
            searcher = ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2, title_B=0.5))
            self._local.held = held = (gen.name, searcher)
        return held[1]

    def health(self) -> dict:
        gen, ix = self._live()
        return {
            "status": "ok",
            "documents": self.searcher().doc_count(),
            "built_at": gen.built_at,
            "generation": gen.name,
        }

    # --- searching -------------------------------------------------------------------------

    def search(self, req: SearchRequest) -> dict:
        started = time.perf_counter()
        parsed = parse_query(req.q)
        planned = plan(parsed)
        searcher = self.searcher()

        filters = []
        if req.date_from or req.date_to:
            lo = _dhaka_minutes(req.date_from, False) if req.date_from else None
            hi = _dhaka_minutes(req.date_to, True) if req.date_to else None
            # Undated articles carry UNDATED_NEWEST and so fall outside any window.
            filters.append(Q.NumericRange("published_min", lo if lo is not None else 0, hi))
        if req.desk:
            filters.append(Q.Term("desk", req.desk))
        filter_q = (filters[0] if len(filters) == 1 else Q.And(filters)) if filters else None

        query = planned.query if planned.query is not None else Q.Every()
        sort = (
            req.sort
            if planned.query is not None
            else ("newest" if req.sort == "relevance" else req.sort)
        )
        start = (req.page - 1) * req.per_page
        facets = {
            "desk": sorting.FieldFacet("desk", maptype=sorting.Count),
            "month": sorting.FieldFacet("month", maptype=sorting.Count),
        }
        kwargs = {"filter": filter_q, "groupedby": facets}
        if sort == "relevance":
            depth = max(RERANK_DEPTH, start + req.per_page)
            results = searcher.search(query, limit=depth, terms=True, **kwargs)
            hits = self._rerank(list(results), planned)
        else:
            key = "published_min" if sort == "newest" else "oldest_key"
            results = searcher.search(
                query,
                limit=start + req.per_page,
                sortedby=key,
                reverse=(sort == "newest"),
                terms=planned.query is not None,
                **kwargs,
            )
            hits = list(results)
        total = len(results)
        page_hits = hits[start : start + req.per_page]
        items = [self._result_item(h, planned.highlight_terms) for h in page_hits]
        answer = {
            "query": req.q,
            "total": total,
            "page": req.page,
            "per_page": req.per_page,
            "took_ms": 0.0,
            "results": items,
            "facets": {
                "desk": _facet_list(results.groups("desk"), by_count=True),
                "month": _facet_list(results.groups("month"), by_count=False),
            },
            "suggestion": None,
        }
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def _rerank(self, hits: list, planned: PlannedQuery) -> list:
        """All query words first: order by how many words a hit matches, then by BM25F score."""
        if len(planned.units) < 2:
            return hits
        unit_of: dict[str, set[int]] = {}
        for i, unit in enumerate(planned.units):
            for v in unit.variants:
                unit_of.setdefault(v, set()).add(i)

        def matched_units(hit) -> int:
            found: set[int] = set()
            for _field, text in hit.matched_terms() or ():
                found |= unit_of.get(
                    text.decode("utf-8") if isinstance(text, bytes) else text, set()
                )
            return len(found)

        scored = [(matched_units(h), h.score, -h.rank, h) for h in hits]
        scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
        return [t[3] for t in scored]

    def _result_item(self, hit, terms: set[str]) -> dict:
        fields = hit.fields()
        return {
            "id": fields["id"],
            "url": f"/articles/{fields['id']}",
            "title": fields["title"],
            "title_html": highlight_html(fields["title"], terms, token_spans),
            "snippet_html": snippet_html(fields.get("body", ""), terms, token_spans),
            "desk": fields.get("desk"),
            "published": fields.get("published"),
            "updated": fields.get("updated"),
            "score": round(float(hit.score), 4) if hit.score is not None else None,
        }

    # --- articles --------------------------------------------------------------------------

    def article(self, article_id: str) -> dict | None:
        searcher = self.searcher()
        fields = searcher.document(id=article_id)
        if fields is None:
            return None
        return {
            "id": fields["id"],
            "title": fields["title"],
            "desk": fields.get("desk"),
            "published": fields.get("published"),
            "updated": fields.get("updated"),
            "body": fields.get("body", ""),
        }


def highlight_terms(q: str) -> set[str]:
    """The index terms a query marks in a text (for an article page reached from a search)."""
    return plan(parse_query(q)).highlight_terms


def _facet_list(groups: dict, by_count: bool) -> list[dict]:
    items = [{"value": k, "count": int(v)} for k, v in groups.items() if k]
    if by_count:
        items.sort(key=lambda d: (-d["count"], d["value"]))
    else:
        items.sort(key=lambda d: d["value"])
    return items
