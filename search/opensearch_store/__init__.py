"""The OpenSearch store: the articles in a cluster, under an alias (search/store.py).

    cluster.py    the client, retries with backoff, the cluster's errors as the store's (503)
    mapping.py    settings and mappings: our analyzer's terms, the policy's BM25F as Lucene's BM25 per field
    build.py      rebuild: a new generation behind the alias, switched in one call
    changes.py    update: the pages that changed, applied to a clone of the live generation
    searching.py  a StoreQuery as query DSL, the bonuses, folding and facets: a StoreAnswer

Only this package imports opensearchpy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from search.lexicon import Lexicon
from search.opensearch_store import build, changes, mapping, searching
from search.opensearch_store.cluster import call, check_health, connect, shown_url, unavailable_on_errors
from search.store import (
    BuildReport,
    Progress,
    StoreAnswer,
    StoreError,
    StoreMissing,
    StoreQuery,
    StoreUnavailable,
)

# How long the generation behind the alias is taken as known: a rebuild's switch is seen this
# much later at most by a server (searches go to the alias itself, and see it at once).
GENERATION_SECONDS = 1.0


def _possible_id(article_id: str) -> bool:
    """Whether a document could have this id: OpenSearch refuses ids over 512 bytes (400)."""
    try:
        return 0 < len(article_id.encode("utf-8")) <= 512
    except UnicodeEncodeError:  # a lone surrogate: no file name read as UTF-8 makes one
        return False


class OpenSearchStore:
    """The articles of the cluster at `url` under the alias `name`. `shards` and `replicas` are
    what a rebuild gives a new generation."""

    def __init__(
        self,
        url: str,
        name: str = "sandhan",
        *,
        shards: int = 1,
        replicas: int = 0,
        verify_certs: bool = True,
        warm_on_switch: bool = False,
    ):
        self.url = url
        self.name = name
        self.shards = shards
        self.replicas = replicas
        self.client = connect(url, verify_certs=verify_certs)
        self._lock = threading.Lock()
        self._generation: tuple[float, str] | None = None  # (when read, index name)
        self._lexicon: tuple[str, Lexicon] | None = None
        self._record: tuple[str, dict] | None = None  # (index name, its _meta)
        self.warm_on_switch = warm_on_switch  # a server: read each new generation's lexicon at once

    def __repr__(self) -> str:
        return f"OpenSearchStore({shown_url(self.url)!r}, {self.name!r})"

    def generation(self) -> str:
        """The index the alias points to (read again after GENERATION_SECONDS); StoreMissing when
        there is none."""
        known = self._generation
        if known is None or time.monotonic() - known[0] > GENERATION_SECONDS:
            live = build.live_generation(self.client, self.name)
            if live is None:
                raise StoreMissing(
                    f"No index {self.name} in the cluster {shown_url(self.url)} yet: "
                    f"run `sandhan index rebuild --opensearch URL --source DIR`"
                )
            switched = self._generation is None or self._generation[1] != live
            if switched:
                self._check_version(live)
            known = self._generation = (time.monotonic(), live)
            if switched and self.warm_on_switch:
                threading.Thread(target=self._warm_in_background, daemon=True).start()
        return known[1]

    def _check_version(self, generation: str) -> None:
        """StoreUnavailable unless `generation` was built with a mapping this code searches."""
        built = self._meta(generation).get("mapping_version")
        if built not in mapping.SEARCHABLE_VERSIONS:
            raise StoreUnavailable(
                f"The index {self.name} in the cluster {shown_url(self.url)} was built by another version "
                f"of Sandhan (mapping {built}, this one {mapping.MAPPING_VERSION}): rebuild it with "
                "`sandhan index rebuild --opensearch URL --source DIR`"
            )

    def _warm_in_background(self) -> None:
        try:
            self.warm()
        except StoreError:
            pass  # requests say what is wrong

    # --- the Store protocol ----------------------------------------------------------------

    @unavailable_on_errors
    def search(self, query: StoreQuery) -> StoreAnswer:
        record = self._record_of(self.generation())
        scales = record.get("score_scales", {})
        month_keyword = record.get("mapping_version", 0) >= mapping.MONTH_KEYWORD
        return call("search", searching.search, self.client, self.name, query, scales, month_keyword)

    def _source(self, article_id: str, fields: list[str]) -> dict | None:
        """`fields` of an article's source, or None when there is no such article."""
        if not _possible_id(article_id):
            return None
        found = call(
            "read an article",
            self.client.get,
            index=self.name,
            id=article_id,
            ignore=[404],
            _source_includes=fields,
        )
        return found["_source"] if found.get("found") else None

    @unavailable_on_errors
    def article(self, article_id: str) -> dict | None:
        source = self._source(article_id, searching.SHOWN)
        return None if source is None else {k: v for k, v in source.items() if v is not None}

    @unavailable_on_errors
    def related(self, article_id: str, limit: int) -> list[dict]:
        source = (
            self._source(article_id, [*searching.SHOWN, "similar_ids", "body_hash"]) if limit > 0 else None
        )
        if source is None:
            return []
        lexicon = self.lexicon()
        documents = max(self.health()["documents"], 1)
        return call(
            "find related articles",
            searching.related,
            self.client,
            self.name,
            source,
            (documents, lexicon.df),
            limit,
            self.score_scales(self.generation()),
        )

    @unavailable_on_errors
    def lexicon(self) -> Lexicon:
        generation = self.generation()
        held = self._lexicon
        if held is None or held[0] != generation:
            with self._lock:
                held = self._lexicon
                if held is None or held[0] != generation:
                    held = self._lexicon = (
                        generation,
                        Lexicon.from_terms(build.read_lexicon(self.client, generation)),
                    )
        return held[1]

    def has_lexicon(self) -> bool:
        held = self._lexicon
        return held is not None and held[0] == self.generation()

    @unavailable_on_errors
    def health(self) -> dict:
        generation = self.generation()
        check_health(self.client, generation)
        meta = self._meta(generation)
        documents = call("count documents", self.client.count, index=generation)["count"]
        return {
            "status": "ok",
            "documents": documents,
            "built_at": meta.get("built_at"),
            "generation": generation,
            "warm": self.has_lexicon(),
            "verified": True,  # the cluster checks its own files (Lucene checksums)
        }

    @unavailable_on_errors
    def describe(self) -> dict:
        generation = self.generation()
        return {"generation": generation, "built_at": self._meta(generation).get("built_at")}

    def score_scales(self, generation: str) -> dict[str, float]:
        """What each field's boost is multiplied by in this generation (mapping.score_scales),
        read from its record once."""
        return self._record_of(generation).get("score_scales", {})

    def _record_of(self, generation: str) -> dict:
        """The generation's record (`_meta`), read once."""
        held = self._record
        if held is None or held[0] != generation:
            held = self._record = (generation, self._meta(generation))
        return held[1]

    def _meta(self, generation: str) -> dict:
        return build.generation_meta(self.client, generation)

    def warm(self) -> None:
        self.lexicon()

    @unavailable_on_errors
    def stats(self) -> dict:
        generation = self.generation()
        meta = self._meta(generation)
        body = {
            "size": 0,
            "aggs": {"desks": {"terms": {"field": "desk", "size": searching.DESKS, "missing": ""}}},
        }
        found = call("count desks", self.client.search, index=generation, body=body)
        desks = [(b["key"], b["doc_count"]) for b in found["aggregations"]["desks"]["buckets"]]
        desks.sort(key=lambda d: (-d[1], d[0]))

        def end(direction: str) -> str | None:
            body = {
                "size": 1,
                "query": {"exists": {"field": "published"}},
                "sort": [{"published": direction}],
                "_source": ["published"],
            }
            hits = call("read dates", self.client.search, index=generation, body=body)["hits"]["hits"]
            return hits[0]["_source"]["published"] if hits else None

        sizes = call("read sizes", self.client.indices.stats, index=generation, metric="store")
        return {
            "documents": found["hits"]["total"]["value"],
            "generation": generation,
            "built_at": meta.get("built_at"),
            "size_bytes": sizes["_all"]["total"]["store"]["size_in_bytes"],
            "oldest": end("asc"),
            "newest": end("desc"),
            "desks": desks,
            "sources": meta.get("sources", []),
        }

    @unavailable_on_errors
    def rebuild(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        on_total: Callable[[int], None] | None = None,
        procs: int = 2,
    ) -> BuildReport:
        report = build.rebuild(
            self.client,
            self.name,
            sources,
            shards=self.shards,
            replicas=self.replicas,
            progress=progress,
            on_total=on_total,
            procs=procs,
        )
        self._generation = None
        return report

    @unavailable_on_errors
    def indexed_files(self) -> dict[str, str]:
        generation = self.generation()
        held = changes.held_pages(self.client, generation)
        return {**build.read_skipped(self.client, generation), **{p: fp for p, (fp, _) in held.items()}}

    @unavailable_on_errors
    def update(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        hold: Collection[str] = (),
        changed: Collection[str] | None = None,
    ) -> BuildReport:
        report = changes.update(
            self.client,
            self.name,
            sources,
            shards=self.shards,
            replicas=self.replicas,
            progress=progress,
            hold=hold,
            changed=changed,
        )
        self._generation = None
        return report
