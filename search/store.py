"""The one seam between the engine and a store of articles.

The engine (search/engine.py) reads a request, plans the query (search/plan.py) and turns a
store's answer into JSON with snippets; a store holds the articles and answers a `StoreQuery`:
it applies the filters, matches and ranks by the policy in search/policy.py, folds near-duplicates,
counts facets over the whole matching set and returns one page of hits. Two stores implement it:
the Whoosh store (search/whoosh_store/, an index folder on this machine) and the OpenSearch store
(search/opensearch_store/, a cluster).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from search.lexicon import Lexicon
from search.plan import PlannedQuery

# How results are ordered: by relevance (all query words first, then score), or by publication.
SORTS = ("relevance", "newest", "oldest")


class StoreError(Exception):
    """A store cannot do what was asked; the message says why in words for a person."""


class StoreMissing(StoreError):
    """Nothing is built yet (no index folder, no alias). The API answers 503."""


class StoreUnavailable(StoreError):
    """The store exists but cannot answer now: a red or unreachable cluster. The API answers 503."""


class StoreDamaged(StoreUnavailable):
    """The store's data is damaged (files differ from what was written). The API answers 503."""


class BuildInProgress(StoreError):
    """Another rebuild or update holds the store's write lock."""


class NothingToIndex(StoreError):
    """The sources hold no page that could be read."""


@dataclass(frozen=True)
class Filters:
    """What a result must be, besides matching: published within [date_from, date_to] (days in
    Dhaka time, both ends included; undated articles fall outside any window), on one desk."""

    date_from: date | None = None
    date_to: date | None = None
    desk: str | None = None


@dataclass(frozen=True)
class StoreQuery:
    """A planned query (empty: every article), its filters, the order, and which results to return:
    [start, start + limit) of the results after near-duplicates are folded."""

    planned: PlannedQuery
    filters: Filters = Filters()
    sort: str = "relevance"  # one of SORTS; an empty query's "relevance" lists newest first
    start: int = 0
    limit: int = 10
    work_budget: int = 0  # positions a store may read checking phrases; 0: the store's default


@dataclass
class Hit:
    """One result: its stored fields (id, title, body, desk, published, updated), its score (None
    when sorted by date or the query is empty) and the ids of its near-duplicates folded into it."""

    fields: dict
    score: float | None
    similar_ids: list[str] = field(default_factory=list)


@dataclass
class StoreAnswer:
    total: int  # matching articles, before folding
    hits: list[Hit]
    desks: list[dict]  # [{"value", "count"}] over all matches, most first
    months: list[dict]  # [{"value": "YYYY-MM", "count"}] over all matches, in month order
    stopped: bool = False  # the work budget ran out: matches may be missing
    shards_missing: bool = False  # part of the index was not searched (a shard of a cluster lost)


@dataclass
class BuildReport:
    """What a rebuild or update did: documents indexed, pages rejected with their reasons."""

    indexed: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (dropped path, kept id)
    added: int = 0
    changed: int = 0
    removed: int = 0
    seconds: float = 0.0
    generation: str = ""

    def rejected_by_reason(self) -> Counter:
        return Counter(reason for _, reason in self.rejected)


# Build progress: called with the number of pages just read; `on_total` once with how many there are.
Progress = Callable[[int], None]


class Store(Protocol):
    """What the engine needs of a store. Methods raise StoreMissing / StoreUnavailable (or a
    subclass) when they cannot answer."""

    def search(self, query: StoreQuery) -> StoreAnswer: ...

    def article(self, article_id: str) -> dict | None:
        """An article's stored fields, or None when the store has no such id."""

    def related(self, article_id: str, limit: int) -> list[dict]:
        """Stored fields of up to `limit` articles most like this one (never itself nor its
        near-duplicates)."""

    def lexicon(self) -> Lexicon:
        """The analyzed vocabulary with document frequencies (romanized queries, did-you-mean,
        respellings, completion)."""

    def has_lexicon(self) -> bool:
        """Whether `lexicon()` answers at once (a server does not make a reader wait for it)."""

    def health(self) -> dict:
        """{"status": "ok", "documents", "built_at", "generation", ...}; raises when it cannot."""

    def describe(self) -> dict:
        """{"generation", "built_at"} of what is live, read without opening it for searching (a
        server's parent process says it before forking its workers); raises when there is none."""

    def stats(self) -> dict: ...

    def warm(self) -> None:
        """Fill caches ahead of the first readers (may do nothing)."""

    def rebuild(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> BuildReport:
        """Index every page under `sources` into a new generation and switch to it atomically."""

    def update(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        hold: Collection[str] = (),
        changed: Collection[str] | None = None,
    ) -> BuildReport:
        """Apply added, changed and removed pages into a new generation, switched atomically (when
        nothing changed, a store may keep the live one);
        the pages in `hold` (still being written) are left as they were indexed; `changed`, when
        given, names the only paths that may have changed (a store may still look at all)."""

    def indexed_files(self) -> dict[str, str]:
        """Path → fingerprint (size and modification time) of each page the live generation read
        (search/watch.py compares them with the folder)."""

    def operations(self) -> dict:
        """Figures for /metrics: {"build_kind", "build_seconds", "cache_counts": {name: (hits,
        misses)}}, any of them absent when the store has none."""
