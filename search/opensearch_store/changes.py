"""An update of the OpenSearch store: the pages that changed since the live generation, applied to
a clone of it and switched in as a rebuild is (build.py): 1.3–1.4 s for one page at 100,000
(BENCHMARKS.md), where a rebuild takes minutes.

The live generation is made read-only (only builds write it, under the lock) and cloned: the
clone's files are hard links (0.3 s at 100,000 documents), not a copy. Into the clone go the
removed pages' deletions and the new and changed pages' documents; the near-duplicates of each
new page are found and every document whose `similar_ids` changed is written again; the
vocabulary's document frequencies are carried over with what changed. The clone is refreshed and
the alias moved to it in one call; a failed update leaves the alias where it was, and the next
build removes the clone.

An update does for the changed pages what a rebuild does for all of them, but three things:
- two files of one article: the fresher stays (the Whoosh store's update keeps the same rule),
  where a rebuild also drops a page whose body is another's copy;
- near-duplicates of a new page are looked for among the documents holding most of its rarest
  words, then confirmed on their signatures as a rebuild confirms them (search/duplicates.py);
- the score scales (the fields' average lengths) stay the generation's, and the vocabulary counts
  a term for a document that holds it in title or body; a rebuild makes both exact again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from opensearchpy import OpenSearch, helpers

from search import duplicates
from search.analysis import vocabulary
from search.article import DHAKA, fresher
from search.opensearch_store import build, mapping
from search.opensearch_store.cluster import call, msearch
from search.pages import read_pages, scan_named, scan_sources, under
from search.store import BuildReport, Progress, StoreError, StoreMissing
from search.whoosh_store.schema import safe_fingerprint

# A new page's near-duplicates are looked for among the documents holding at least half of its
# NEAR_TERMS rarest body terms: a near-duplicate shares nearly all of its text.
NEAR_TERMS = 24
NEAR_CANDIDATES = 50
NEAR_ASKED = 50
# Documents asked for at once by id or path (a terms query's limit is 65,536).
BATCH = 1000
# What an update reads of a document it may replace or rewrite: all it stores.
_STORED = [
    "id",
    "seq",
    "title",
    "body",
    "desk",
    "published",
    "month",
    "updated",
    "path",
    "fingerprint",
    "body_hash",
]


def update(
    client: OpenSearch,
    name: str,
    sources: Iterable[str | Path],
    *,
    shards: int = 1,
    replicas: int = 0,
    progress: Progress | None = None,
    hold: Collection[str] = (),
    changed: Collection[str] | None = None,
) -> BuildReport:
    """Bring the live generation in line with `sources` in a new one: new pages added, changed
    ones indexed again, those whose files are gone removed. `hold`: pages still being written
    (search/watch.py), left as they were indexed. `changed`: the only paths (pages, or folders of
    pages) that may have changed, as a watcher heard them; else every page is compared."""
    sources = [Path(s).resolve() for s in sources]
    started = time.monotonic()
    report = BuildReport()
    live = build.live_generation(client, name)
    if live is None:
        raise StoreMissing(f"No index {name} in the cluster yet: run `sandhan index rebuild` first")
    meta = build.generation_meta(client, live)
    # A generation made before updates could find pages by path is rebuilt; so is one that cannot
    # be cloned now (a copy of a shard missing: a clone needs the index green).
    health = call("cluster health", client.cluster.health, index=live)
    if meta.get("mapping_version") != mapping.MAPPING_VERSION or health.get("status") != "green":
        return build.update(client, name, sources, shards=shards, replicas=replicas, progress=progress)
    with build.build_lock(client, name):
        live = build.live_generation(client, name) or live
        # Path → (fingerprint, id) of what the generation read: its documents' pages, and the files
        # it skipped (rejected, or copies), id None; of the `changed` paths only, when given.
        vocabulary_pairs, skipped = build.read_side_index(client, live)
        if changed is None:
            scan = scan_sources(sources)
            known = {**{p: (f, None) for p, f in skipped.items()}, **held_pages(client, live)}
        else:
            among = _among([build.path_key(c) for c in changed])
            known = {p: (f, None) for p, f in skipped.items() if among(p)}
            known.update(held_pages(client, live, changed))
            scan = scan_named(sources, set(changed) | set(known))
        on_disk = {build.path_key(p): p for p in scan.pages}
        # A page in a folder that cannot be listed now is not known to be gone: it stays.
        gone = [p for p in known if p not in on_disk and under(p, sources) and not under(p, scan.unreadable)]
        fresh = [
            p for p in on_disk if p not in hold and known.get(p, (None,))[0] != safe_fingerprint(on_disk[p])
        ]
        articles = list(read_pages((on_disk[p] for p in fresh), scan.links, report.rejected, progress))
        still_skipped = {p: f for p, f in skipped.items() if p not in gone and p not in fresh}
        still_skipped.update({build.path_key(p): safe_fingerprint(p) or "" for p, _ in report.rejected})
        report.rejected[:0] = scan.rejected  # not read, so not listed: found again next time
        # The documents that go: those of removed pages, and the old versions of changed ones.
        leaving = {known[p][1]: p for p in gone + fresh if p in known and known[p][1] is not None}
        report.removed = len(gone)
        if not leaving and not articles and still_skipped == skipped:
            report.generation = live
            report.indexed = _count(client, live)
            report.seconds = time.monotonic() - started
            return report
        generation, replicas = _clone(client, name, live)
        stored = _documents(client, live, {a.id for a in articles} | set(leaving))
        # Two files of one article: the fresher stays (a file of it not changed may be fresher).
        entering = []
        for article in articles:
            path = build.path_key(article.path)
            other = stored.get(article.id)
            if other and other["path"] != path and other["id"] not in leaving:
                if not fresher(article, other):
                    still_skipped[path] = safe_fingerprint(article.path) or ""
                    continue
                leaving[article.id] = other["path"]
                still_skipped[other["path"]] = other["fingerprint"]
            entering.append(article)
            if path in known:
                report.changed += 1
            else:
                report.added += 1
        frequencies = dict(vocabulary_pairs)
        _count_terms(frequencies, [_held_terms(stored[i]) for i in leaving if i in stored], -1)
        new_docs, new_terms = _new_documents(client, live, entering)
        _count_terms(frequencies, new_terms, +1)
        rewritten = _near_duplicates(client, live, new_docs, set(leaving), stored, frequencies)
        _write(
            client,
            generation,
            [i for i in leaving if i not in {d["id"] for d in new_docs}],
            new_docs + rewritten,
        )
        frequencies = {t: n for t, n in frequencies.items() if n > 0}
        build.write_lexicon(client, generation, frequencies, replicas, still_skipped)
        call(
            "refresh the new generation",
            client.indices.refresh,
            index=f"{generation},{build.lexicon_index(generation)}",
        )
        report.indexed = _count(client, generation)
        built_at = datetime.now(UTC).astimezone(DHAKA).isoformat(timespec="seconds")
        meta = {**meta, "generation": generation, "built_at": built_at, "updated_from": live}
        meta["documents"] = report.indexed
        call("record the new generation", client.indices.put_mapping, index=generation, body={"_meta": meta})
        build.publish(client, name, generation, live, replicas)
        report.generation = generation
        report.seconds = time.monotonic() - started
    return report


def _among(changed: list[str]) -> Callable[[str], bool]:
    """Whether a path is among `changed` (pages, or folders of pages)."""
    names = {c for c in changed if c.endswith(".txt")}
    folders = [c for c in changed if not c.endswith(".txt")]
    return lambda path: path in names or under(path, folders)


def _count(client: OpenSearch, index: str) -> int:
    return call("count documents", client.count, index=index)["count"]


def held_pages(
    client: OpenSearch, index: str, changed: Collection[str] | None = None
) -> dict[str, tuple[str, str]]:
    """Path → (fingerprint, id) of the documents of `index` whose page is among `changed` or in a
    folder among it (every document when `changed` is None), read from doc values."""
    if changed is None:
        queries = [{"match_all": {}}]
    else:
        keys = [build.path_key(c) for c in changed]
        names = [k for k in keys if k.endswith(".txt")]
        folders = [k for k in keys if not k.endswith(".txt")]
        queries = [{"terms": {"path": names[at : at + BATCH]}} for at in range(0, len(names), BATCH)]
        queries += [{"prefix": {"path": folder.rstrip("/") + "/"}} for folder in folders]
    held = {}
    for query in queries:
        # Doc values only: reading a stored field (even _id) unpacks each hit's block of sources,
        # 9.2 against 1.8 s for 100,000 documents.
        body = {"query": query, "stored_fields": "_none_", "docvalue_fields": ["path", "fingerprint", "id"]}
        for hit in helpers.scan(client, index=index, query=body, size=BATCH):
            values = hit["fields"]
            held[values["path"][0]] = (values.get("fingerprint", [""])[0], values["id"][0])
    return held


def _documents(client: OpenSearch, index: str, ids: Iterable[str]) -> dict[str, dict]:
    """Id → stored fields of the documents of `index` among `ids`."""
    ids = sorted(ids)
    out = {}
    for at in range(0, len(ids), BATCH):
        found = call(
            "read documents",
            client.mget,
            index=index,
            body={"ids": ids[at : at + BATCH]},
            _source_includes=[*_STORED, "similar_ids"],
        )
        out.update({d["_id"]: d["_source"] for d in found["docs"] if d.get("found")})
    return out


def _clone(client: OpenSearch, name: str, live: str) -> tuple[str, int]:
    """A new generation holding what `live` holds (its files hard-linked), writable, with as many
    replicas (returned) as `live` has."""
    generation = build.next_generation(client, name)
    found = call("read the live generation's settings", client.indices.get_settings, index=live)
    replicas = int(found[live]["settings"]["index"].get("number_of_replicas", 0))
    call(
        "make the live generation read-only",
        client.indices.put_settings,
        index=live,
        body={"index.blocks.write": True},
    )
    call(
        "clone the live generation",
        client.indices.clone,
        index=live,
        target=generation,
        # A clone is given one replica unless told: as many as the live generation.
        body={"settings": {"index.blocks.write": False, "index.number_of_replicas": replicas}},
    )
    build.wait_for_shards(client, generation, "yellow")
    return generation, replicas


def _new_documents(client: OpenSearch, live: str, articles: list) -> tuple[list[dict], list[set[int]]]:
    """The documents of `articles`, numbered after every document of `live` (ties in the ranking
    go to the earlier page, as a page indexed later is in the Whoosh store), and the term numbers
    each holds in title or body."""
    found = call(
        "read the last page number",
        client.search,
        index=live,
        body={"size": 0, "aggs": {"last": {"max": {"field": "seq"}}}},
    )
    last = int(found["aggregations"]["last"]["value"] or 0)
    docs, terms = [], []
    for i, article in enumerate(articles):
        doc, _, (title_held, body_held) = build.article_source(article, last + 1 + i)
        docs.append(doc)
        terms.append(title_held | body_held)
    return docs, terms


def _held_terms(source: dict) -> set[int]:
    """The term numbers a stored document holds in title or body (analyzed again: the analyzed
    fields are not in the source)."""
    _, _, (title_held, body_held) = build.analyzed_fields(source["title"], source["body"])
    return title_held | body_held


def _count_terms(frequencies: dict[str, int], held: list[set[int]], sign: int) -> None:
    """Add (sign +1) or take away (-1) documents' terms (`held`: the term numbers of each) to the
    vocabulary's document frequencies."""
    counts = Counter(number for numbers in held for number in numbers)
    texts = vocabulary.texts
    for number, n in counts.items():
        term = texts[number]
        frequencies[term] = frequencies.get(term, 0) + sign * n


def _near_duplicates(
    client: OpenSearch,
    live: str,
    new_docs: list[dict],
    leaving: set[str],
    stored: dict[str, dict],
    frequencies: dict[str, int],
) -> list[dict]:
    """Set the `similar_ids` of `new_docs` (near-duplicates among them and among the documents of
    `live` staying), and return the staying documents whose `similar_ids` change (new partners
    gained, leaving ones lost), read from `live` and analyzed again to be written whole (the
    analyzed fields are not in the source)."""
    signatures = {d["id"]: duplicates.signature(d["body"]) for d in new_docs}
    new_ids = set(signatures)
    partners: dict[str, set[str]] = {d["id"]: set() for d in new_docs}
    # Among the new pages themselves.
    rows = list(signatures)
    if len(rows) >= 2:
        table = np.array([signatures[i] for i in rows], dtype=np.uint64)
        for a, b in duplicates.near_duplicate_pairs(table).tolist():
            partners[rows[a]].add(rows[b])
            partners[rows[b]].add(rows[a])
    # Among the documents staying: those holding most of the page's rarest words (asked NEAR_ASKED
    # pages at a time: a burst of a thousand is twenty requests, not a thousand).
    gained: dict[str, set[str]] = {}
    asked = []
    for doc in new_docs:
        terms = sorted(set(build.plain_terms(doc["body_terms"])), key=lambda t: (frequencies.get(t, 0), t))
        rare = terms[:NEAR_TERMS]
        if not rare or len(signatures[doc["id"]]) != duplicates.SLOTS:
            continue
        query = {
            "bool": {
                "should": [{"term": {"body_terms": t}} for t in rare],
                "minimum_should_match": max(1, len(rare) // 2),
                "must_not": [{"ids": {"values": sorted(leaving)}}],  # the new pages are not in `live`
            }
        }
        asked.append((doc["id"], {"size": NEAR_CANDIDATES, "query": query, "_source": ["id", "body"]}))
    for at in range(0, len(asked), NEAR_ASKED):
        part = asked[at : at + NEAR_ASKED]
        answers = call(
            "find near-duplicates", msearch, client, live, [(body, ["hits.hits._source"]) for _, body in part]
        )
        for (doc_id, _), answer in zip(part, answers, strict=True):
            for hit in answer.get("hits", {}).get("hits", []):
                other = hit["_source"]
                if duplicates.near_duplicates(signatures[doc_id], duplicates.signature(other["body"])):
                    partners[doc_id].add(other["id"])
                    gained.setdefault(other["id"], set()).add(doc_id)
    for doc in new_docs:
        doc["similar_ids"] = sorted(partners[doc["id"]])
    # The staying documents whose partners change: new ones gained, leaving ones lost.
    losing = {p for i in leaving if i in stored for p in stored[i].get("similar_ids") or []}
    touched = sorted((set(gained) | losing) - leaving - new_ids)
    rewritten = []
    for doc_id, source in _documents(client, live, touched).items():
        similar = (set(source.get("similar_ids") or []) - leaving) | gained.get(doc_id, set())
        analyzed, _, _ = build.analyzed_fields(source["title"], source["body"])
        rewritten.append({**{k: source.get(k) for k in _STORED}, **analyzed, "similar_ids": sorted(similar)})
    return rewritten


def _write(client: OpenSearch, index: str, deleted: list[str], documents: list[dict]) -> None:
    actions = [{"_op_type": "delete", "_index": index, "_id": i} for i in deleted]
    actions += [{"_op_type": "index", "_index": index, "_id": d["id"], "_source": d} for d in documents]
    for ok, item in helpers.streaming_bulk(
        client, actions, chunk_size=build.BULK_DOCS, max_retries=5, initial_backoff=1, raise_on_error=False
    ):
        if not ok and item.get("delete", {}).get("status") != 404:
            raise StoreError(f"The cluster refused a change: {str(item)[:300]}")
