"""Rebuild and update into a cluster, atomically like the Whoosh store.

A build writes a new physical index `<name>-gen-N` (and its vocabulary, `<name>-gen-N-lexicon`)
beside the live one and moves the alias `<name>` to it in one `_aliases` call once it is complete
and refreshed; a failed or killed build leaves the alias where it was, and the next build removes
what it left. Old generations are removed after the switch. One build at a time: a document
created with op_type=create in `<name>-lock` is the lock; a holder on this machine whose process
is gone (killed) is taken over.

Pages are read in two passes: the first reads and analyzes every page into a spool file (bounded
memory), drops copies and finds near-duplicates (search/duplicates.py) over the whole corpus; the
second sends the spooled documents in bulk with their near-duplicates' ids.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opensearchpy import OpenSearch, helpers
from opensearchpy import exceptions as os_errors

from search import duplicates
from search.analysis import term_ids, vocabulary
from search.analysis.tokenizer import word_spans
from search.article import DHAKA, Article, PageRejected
from search.opensearch_store import mapping
from search.opensearch_store.cluster import call
from search.pages import scan_sources
from search.plan import TEXT_FIELDS, surface_key
from search.store import BuildInProgress, BuildReport, NothingToIndex, Progress, StoreError
from search.whoosh_store.generations import test_pause
from search.whoosh_store.schema import body_hash, safe_fingerprint

BULK_DOCS = 500  # documents a bulk request carries
LEXICON_CHUNK = 20_000  # vocabulary lines per document of the lexicon index
_GEN = "-gen-"


def generation_name(name: str, number: int) -> str:
    return f"{name}{_GEN}{number}"


def lexicon_index(generation: str) -> str:
    return f"{generation}-lexicon"


def path_key(path: str | Path) -> str:
    """A path as the cluster keeps it: the bytes of a name that are not UTF-8 as escapes."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


# --- the lock ----------------------------------------------------------------------------------


def _lock_index(name: str) -> str:
    return f"{name}-lock"


@contextmanager
def build_lock(client: OpenSearch, name: str):
    """Hold the cluster-wide build lock of `name` for the duration; BuildInProgress if another
    live build holds it."""
    index = _lock_index(name)
    try:
        call("create the lock index", client.indices.create, index=index, body=mapping.lock_body())
    except os_errors.RequestError as exc:
        if "already_exists" not in str(exc):
            raise
    holder = f"{socket.gethostname()} pid {os.getpid()}"
    body = {"holder": holder, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    for _ in range(2):
        try:
            call("take the build lock", client.create, index=index, id="build", body=body, refresh=True)
            break
        except os_errors.ConflictError:
            held = call("read the build lock", client.get, index=index, id="build", ignore=[404])
            source = held.get("_source", {}) if held.get("found") else {}
            if source and not _holder_gone(source.get("holder", "")):
                raise BuildInProgress(
                    f"Another rebuild or update of {name} is running ({source.get('holder')}, since "
                    f"{source.get('since')}); wait for it to finish, then try again."
                ) from None
            # Left by a build on this machine that was killed: taken over (only if unchanged).
            if source:
                call(
                    "clear a dead build's lock",
                    client.delete,
                    index=index,
                    id="build",
                    if_seq_no=held["_seq_no"],
                    if_primary_term=held["_primary_term"],
                    ignore=[404, 409],
                )
    else:
        raise BuildInProgress(f"Another rebuild or update of {name} took the lock first; try again.")
    try:
        yield
    finally:
        call("release the build lock", client.delete, index=index, id="build", refresh=True, ignore=[404])


def _holder_gone(holder: str) -> bool:
    """Whether a lock's holder ("host pid N") is a process of this machine that no longer runs."""
    host, _, pid = holder.partition(" pid ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# --- generations -------------------------------------------------------------------------------


def live_generation(client: OpenSearch, name: str) -> str | None:
    """The index the alias points to, or None when there is none."""
    found = call("read the alias", client.indices.get_alias, name=name, ignore=[404])
    if not found or found.get("status") == 404 or "error" in found:
        return None
    indices = [i for i in found if _GEN in i]
    return indices[0] if indices else None


def _generations(client: OpenSearch, name: str) -> list[str]:
    found = call("list generations", client.indices.get, index=f"{name}{_GEN}*", ignore=[404])
    return [i for i in found if i.startswith(name + _GEN)] if isinstance(found, dict) else []


def _number(index: str) -> int:
    tail = index.rsplit(_GEN, 1)[-1].split("-", 1)[0]
    return int(tail) if tail.isdigit() else 0


def _remove_all_but(client: OpenSearch, name: str, keep: str | None) -> None:
    """Delete every generation (and its lexicon) but `keep`: leftovers of killed builds, and the
    generation just switched away from."""
    for index in _generations(client, name):
        if keep is None or not (index == keep or index == lexicon_index(keep)):
            call("remove an old generation", client.indices.delete, index=index, ignore=[404])


# --- reading pages -----------------------------------------------------------------------------


@dataclass
class _Read:
    """What dedup, near-duplicates and the build need of a page, without its text."""

    line: int  # in the spool
    id: str
    digest: str
    rank: tuple
    signature: tuple
    lengths: dict[str, tuple[int, int]]  # field → (positions holding a term, tokens indexed)


def terms_text(text: str, twice: str | None = None) -> tuple[str, int, int]:
    """`text` as the whitespace-separated terms of our analyzer, one per position (GAP where a
    word makes no term); the terms to index twice (`twice`: "all", or "lead" for the first
    paragraph's) carry TWICE_MARK. Returns the text, the positions that hold a term (the field's
    length, as the Whoosh store counts) and the tokens indexed (each doubled one counted twice)."""
    texts = vocabulary.texts
    cut = text.find("\n\n") if twice == "lead" else -1
    if twice == "all":
        head, rest = term_ids(text), []
    elif twice == "lead":
        head = term_ids(text[:cut]) if cut >= 0 else term_ids(text)
        rest = term_ids(text[cut:]) if cut >= 0 else []
    else:
        head, rest = [], term_ids(text)
    words = [texts[n] + mapping.TWICE_MARK if n else mapping.GAP for n in head]
    words += [texts[n] if n else mapping.GAP for n in rest]
    doubled = sum(1 for n in head if n)
    positions = doubled + sum(1 for n in rest if n)
    return " ".join(words), positions, positions + doubled


def article_source(article: Article, seq: int) -> tuple[dict, dict[str, tuple[int, int]]]:
    """The document an article becomes, and its title's and body's lengths: (positions holding
    a term, tokens indexed)."""
    title_terms, *title_length = terms_text(article.title, twice="all")
    body_terms, *body_length = terms_text(article.body, twice="lead" if mapping.LEAD_WEIGHT_ON else None)
    published = article.published
    doc = {
        "id": article.id,
        "seq": seq,
        "title": article.title,
        "body": article.body,
        "desk": article.desk,
        "published": published.isoformat() if published else None,  # as the Whoosh store shows it
        "updated": article.updated.isoformat() if article.updated else None,
        "path": path_key(article.path),
        "fingerprint": safe_fingerprint(article.path) or "",
        "body_hash": body_hash(article),
        "title_forms": sorted({surface_key(article.title[a:b]) for a, b in word_spans(article.title)}),
        "title_terms": title_terms,
        "body_terms": body_terms,
        "body_paragraphs": [terms_text(paragraph)[0] for paragraph in article.body.split("\n\n")],
    }
    return doc, {"title": tuple(title_length), "body": tuple(body_length)}


def _spool(
    paths: list[Path], links: dict, spool, report: BuildReport, progress: Progress | None
) -> list[_Read]:
    from search.pages import read_page

    read: list[_Read] = []
    for seq, path in enumerate(paths):
        try:
            article = read_page(path, links.get(path))
        except PageRejected as exc:
            report.rejected.append((str(path), exc.reason))
        except Exception as exc:  # a reader bug must cost one page, not the rebuild
            report.rejected.append((str(path), f"could not be read ({exc.__class__.__name__})"))
        else:
            doc, lengths = article_source(article, seq)
            rank = article.copy_rank
            signature = duplicates.signature(article.body)
            read.append(_Read(len(read), doc["id"], doc["body_hash"], rank, signature, lengths))
            spool.write(json.dumps(doc, ensure_ascii=False) + "\n")
        if progress:
            progress(1)
    return read


def _near_duplicates(pages: list[_Read]) -> dict[int, list[str]]:
    """Spool line → ids of its near-duplicates among `pages` (signature bands, then the whole
    signature: the Whoosh store's table, search/whoosh_store/view.py)."""
    buckets: dict[str, list[_Read]] = {}
    for page in pages:
        for key in duplicates.band_keys(page.signature):
            buckets.setdefault(key, []).append(page)
    near: dict[int, set[str]] = {}
    for group in buckets.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if duplicates.near_duplicates(a.signature, b.signature):
                    near.setdefault(a.line, set()).add(b.id)
                    near.setdefault(b.line, set()).add(a.id)
    return {line: sorted(ids) for line, ids in near.items()}


# --- building ----------------------------------------------------------------------------------


def rebuild(
    client: OpenSearch,
    name: str,
    sources: Iterable[str | Path],
    *,
    shards: int = 1,
    replicas: int = 0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    counts: Callable[[list[Path]], dict] | None = None,
) -> BuildReport:
    """Index every page under `sources` into a new generation and move the alias to it."""
    sources = [Path(s).resolve() for s in sources]
    started = time.monotonic()
    report = BuildReport()
    with build_lock(client, name):
        live = live_generation(client, name)
        _remove_all_but(client, name, live)  # what killed builds left
        scan = scan_sources(sources)
        paths = scan.pages
        if not paths:
            raise NothingToIndex(
                f"No pages (*.txt) under {', '.join(str(s) for s in sources)}: nothing was changed"
            )
        if counts is not None:  # an update: what changed since the live generation
            for key, value in counts(paths).items():
                setattr(report, key, value)
        if on_total:
            on_total(2 * len(paths))  # read and analyzed, then sent
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            read = _spool(paths, scan.links, spool, report, progress)
            report.rejected = scan.rejected + report.rejected
            dropped = duplicates.copies_to_drop(read, lambda p: p.line)
            dropped_lines = {page.line for page, _ in dropped}
            spool.seek(0)
            kept = [page for page in read if page.line not in dropped_lines]
            near = _near_duplicates(kept)
            lengths = _average_lengths(kept)
            generation = generation_name(
                name, max([_number(i) for i in _generations(client, name)] + [0]) + 1
            )
            meta = {
                "generation": generation,
                "built_at": datetime.now(UTC).astimezone(DHAKA).isoformat(timespec="seconds"),
                "sources": [path_key(s) for s in sources],
                "documents": len(kept),
                "rejected": len(report.rejected),
                "duplicates": len(dropped),
                "score_scales": mapping.score_scales(lengths),  # read by every search
                "mapping_version": mapping.MAPPING_VERSION,
            }
            body = mapping.index_body(lengths, shards, replicas, meta)
            call("create the new generation", client.indices.create, index=generation, body=body)
            frequencies = _send(client, generation, spool, dropped_lines, near, progress)
            if progress and dropped_lines:
                progress(len(dropped_lines))
        report.duplicates = sorted(
            (page.rank[2], kept_id) for page, kept_id in dropped
        )  # rank ends in the path
        _write_lexicon(client, generation, frequencies, replicas)
        call(
            "refresh the new generation",
            client.indices.refresh,
            index=f"{generation},{lexicon_index(generation)}",
        )
        health = call(
            "wait for the new generation's shards",
            client.cluster.health,
            index=generation,
            wait_for_status="yellow" if replicas else "green",
        )
        if health.get("timed_out"):
            raise StoreError(
                f"The new generation {generation} did not become {health.get('status')}: the alias stays"
            )
        test_pause("publish")
        actions = [{"add": {"index": generation, "alias": name}}]
        if live:
            actions.insert(0, {"remove": {"index": live, "alias": name}})
        call("switch the alias", client.indices.update_aliases, body={"actions": actions})
        _remove_all_but(client, name, generation)
        report.indexed = len(kept)
        report.generation = generation
        report.seconds = time.monotonic() - started
    return report


def _average_lengths(pages: list[_Read]) -> dict[str, tuple[float, float]]:
    """Each text field's average length as the policy counts it (positions holding a term, over
    every document) and as Lucene does (tokens indexed, over the documents holding any)."""
    out = {}
    for field in TEXT_FIELDS:
        positions = sum(p.lengths[field][0] for p in pages)
        tokens = sum(p.lengths[field][1] for p in pages)
        holding = sum(1 for p in pages if p.lengths[field][1])
        out[field] = (positions / max(len(pages), 1), tokens / max(holding, 1))
    return out


def _send(
    client: OpenSearch, index: str, spool, dropped: set[int], near: dict[int, list[str]], progress
) -> dict:
    """Bulk-send the spooled documents not dropped; returns each term's document frequency (the
    greater of title and body, as the Whoosh store's lexicon)."""
    title_df: Counter = Counter()
    body_df: Counter = Counter()

    def actions():
        for line, text in enumerate(spool):
            if line in dropped:
                continue
            doc = json.loads(text)
            doc["similar_ids"] = near.get(line, [])
            title_df.update(set(_plain_terms(doc["title_terms"])))
            body_df.update(set(_plain_terms(doc["body_terms"])))
            yield {"_index": index, "_id": doc["id"], "_source": doc}

    sent = 0
    for ok, item in helpers.streaming_bulk(
        client, actions(), chunk_size=BULK_DOCS, max_retries=5, initial_backoff=1, raise_on_error=False
    ):
        if not ok:
            raise StoreError(f"The cluster refused a document: {json.dumps(item, ensure_ascii=False)[:300]}")
        sent += 1
        if progress and sent % 32 == 0:
            progress(32)
    if progress:
        progress(sent % 32)
    return {t: max(title_df[t], body_df[t]) for t in title_df.keys() | body_df.keys()}


def _plain_terms(text: str) -> list[str]:
    return [w.removesuffix(mapping.TWICE_MARK) for w in text.split() if w != mapping.GAP]


def _write_lexicon(client: OpenSearch, generation: str, frequencies: dict[str, int], replicas: int) -> None:
    index = lexicon_index(generation)
    body = mapping.lexicon_body()
    body["settings"]["number_of_replicas"] = replicas
    call("create the lexicon index", client.indices.create, index=index, body=body)
    lines = [f"{t}\t{df}" for t, df in sorted(frequencies.items())]
    chunks = [
        {"_index": index, "_id": str(i), "_source": {"lines": "\n".join(lines[at : at + LEXICON_CHUNK])}}
        for i, at in enumerate(range(0, len(lines), LEXICON_CHUNK))
    ]
    helpers.bulk(client, chunks, max_retries=5, initial_backoff=1)


def read_lexicon(client: OpenSearch, generation: str) -> list[tuple[str, int]]:
    index = lexicon_index(generation)
    found = call(
        "read the lexicon", client.search, index=index, body={"size": 10_000, "query": {"match_all": {}}}
    )
    pairs = []
    for hit in found["hits"]["hits"]:
        for line in hit["_source"]["lines"].split("\n"):
            term, _, df = line.rpartition("\t")
            if term:
                pairs.append((term, int(df)))
    return pairs


def update(
    client: OpenSearch,
    name: str,
    sources: Iterable[str | Path],
    *,
    shards: int = 1,
    replicas: int = 0,
    progress: Progress | None = None,
) -> BuildReport:
    """Bring the cluster in line with `sources`: a new generation of every page, switched
    atomically as a rebuild is, with what was added, changed and removed since the live one
    (compared by each file's size and modification time)."""
    live = live_generation(client, name)
    if live is None:
        from search.store import StoreMissing

        raise StoreMissing(f"No index {name} in the cluster yet: run `sandhan index rebuild` first")
    held: dict[str, str] = {}
    for hit in helpers.scan(client, index=live, query={"_source": ["path", "fingerprint"]}, size=1000):
        held[hit["_source"]["path"]] = hit["_source"]["fingerprint"]

    def counts(paths: list[Path]) -> dict:
        on_disk = {path_key(p): safe_fingerprint(p) for p in paths}
        return {
            "added": sum(1 for p in on_disk if p not in held),
            "changed": sum(1 for p, f in on_disk.items() if p in held and held[p] != f),
            "removed": sum(1 for p in held if p not in on_disk),
        }

    return rebuild(client, name, sources, shards=shards, replicas=replicas, progress=progress, counts=counts)
