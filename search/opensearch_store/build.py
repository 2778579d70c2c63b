"""Rebuild and update into a cluster, atomically like the Whoosh store.

A build writes a new physical index `<name>-gen-N` (and its vocabulary, `<name>-gen-N-lexicon`)
beside the live one and moves the alias `<name>` to it in one `_aliases` call once it is complete
and refreshed; a failed or killed build leaves the alias where it was, and the next build removes
what it left. Old generations are removed after the switch. One build at a time: a document
created with op_type=create in `<name>-lock` is the lock; a holder on this machine whose process
is gone (killed) is taken over.

Pages go in two passes, each done by worker processes on shares of the pages
(search/build_workers.py, as the Whoosh store reads them): the first reads and analyzes every page
into its share's spool file (bounded memory); copies are dropped and near-duplicates found
(search/duplicates.py) over the whole corpus; the second sends each share's spooled documents in
bulk, with their near-duplicates' ids, each sender with a client of its own.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from opensearchpy import OpenSearch, helpers
from opensearchpy import exceptions as os_errors

from search import duplicates
from search.analysis import term_ids, vocabulary
from search.analysis.tokenizer import word_spans
from search.article import DHAKA, Article
from search.build_workers import run_shares, split_by_size, test_pause
from search.opensearch_store import mapping
from search.opensearch_store.cluster import call, client_copy
from search.pages import read_pages, scan_sources
from search.plan import TEXT_FIELDS, surface_key
from search.store import BuildInProgress, BuildReport, NothingToIndex, Progress, StoreError
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


def next_generation(client: OpenSearch, name: str) -> str:
    """The name of the generation a build makes next."""
    return generation_name(name, max([_number(i) for i in _generations(client, name)] + [0]) + 1)


def wait_for_shards(client: OpenSearch, index: str, status: str) -> None:
    """Wait until `index` is `status` (green: every copy; yellow: every primary); StoreError when
    it does not become so (the alias stays where it was)."""
    health = call(
        "wait for the new generation's shards", client.cluster.health, index=index, wait_for_status=status
    )
    if health.get("timed_out"):
        raise StoreError(
            f"The new generation {index} did not become {status} ({health.get('status')}): the alias stays"
        )


def publish(client: OpenSearch, name: str, generation: str, live: str | None, replicas: int) -> None:
    """Move the alias from `live` to the complete and refreshed `generation` in one call, once its
    shards are ready, and remove the generations left behind."""
    wait_for_shards(client, generation, "yellow" if replicas else "green")
    test_pause("publish")
    actions = [{"add": {"index": generation, "alias": name}}]
    if live:
        actions.insert(0, {"remove": {"index": live, "alias": name}})
    call("switch the alias", client.indices.update_aliases, body={"actions": actions})
    _remove_all_but(client, name, generation)


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

    key: tuple[int, int]  # (share, line in the share's spool)
    id: str
    digest: str
    rank: tuple
    signature: tuple
    lengths: dict[str, tuple[int, int]]  # field → (positions holding a term, tokens indexed)


@dataclass
class _Spooled:
    """One worker's share of the pages: its spool file of documents and what it read."""

    spool: Path
    read: list[_Read]
    rejected: list[tuple[str, str]]  # (path, reason)
    # how many of the share's documents hold each term, in the title and in the body
    title_df: Counter = field(default_factory=Counter)
    body_df: Counter = field(default_factory=Counter)


def _term_words(ids: list[int], mark: str = "") -> list[str]:
    texts = vocabulary.texts
    return [texts[n] + mark if n else mapping.GAP for n in ids]


def terms_text(ids: list[int], twice: bool = False) -> tuple[str, int, int]:
    """A text's term numbers (`term_ids`) as the whitespace-separated terms of our analyzer, one
    per position (GAP where a word makes no term), each carrying TWICE_MARK when `twice` (indexed
    twice). Returns the text, the positions that hold a term (the field's length, as the Whoosh
    store counts) and the tokens indexed (each doubled one counted twice)."""
    positions = sum(1 for n in ids if n)
    return " ".join(_term_words(ids, mapping.TWICE_MARK if twice else "")), positions, positions * (1 + twice)


def body_terms_text(paragraphs: list[list[int]]) -> tuple[str, int, int]:
    """A body, given its paragraphs' term ids, as `terms_text` gives a text; the lead's terms (the
    first paragraph's) are indexed twice when the mapping weighs the lead."""
    lead = mapping.TWICE_MARK if mapping.LEAD_WEIGHT_ON else ""
    words = _term_words(paragraphs[0], lead)
    for ids in paragraphs[1:]:
        words += _term_words(ids)  # the positions run on: term_ids counts a body so
    positions = sum(1 for ids in paragraphs for n in ids if n)
    doubled = sum(1 for n in paragraphs[0] if n) if lead else 0
    return " ".join(words), positions, positions + doubled


def analyzed_fields(
    title: str, body: str
) -> tuple[dict, dict[str, tuple[int, int]], tuple[set[int], set[int]]]:
    """The fields a title and body are indexed as (our analyzer's terms: never in the source);
    their lengths (positions holding a term, tokens indexed); and the term numbers (`vocabulary`)
    the title and the body hold."""
    title_ids = term_ids(title)
    title_terms, *title_length = terms_text(title_ids, twice=True)
    paragraphs = [term_ids(paragraph) for paragraph in body.split("\n\n")]
    body_terms, *body_length = body_terms_text(paragraphs)
    fields = {
        "title_forms": sorted({surface_key(title[a:b]) for a, b in word_spans(title)}),
        "title_terms": title_terms,
        "body_terms": body_terms,
        "body_paragraphs": [" ".join(_term_words(ids)) for ids in paragraphs],
    }
    lengths = {"title": tuple(title_length), "body": tuple(body_length)}
    return fields, lengths, (set(title_ids) - {0}, set().union(*paragraphs) - {0})


def article_source(
    article: Article, seq: int
) -> tuple[dict, dict[str, tuple[int, int]], tuple[set[int], set[int]]]:
    """The document an article becomes, and its `analyzed_fields` lengths and term numbers."""
    analyzed, lengths, held = analyzed_fields(article.title, article.body)
    published = article.published
    doc = {
        "id": article.id,
        "seq": seq,
        "title": article.title,
        "body": article.body,
        "desk": article.desk,
        "published": published.isoformat() if published else None,  # as the Whoosh store shows it
        "month": article.month,
        "updated": article.updated.isoformat() if article.updated else None,
        "path": path_key(article.path),
        "fingerprint": safe_fingerprint(article.path) or "",
        "body_hash": body_hash(article),
        **analyzed,
    }
    return doc, lengths, held


def _spool_share(
    share: int,
    paths: list[Path],
    order: dict[Path, int],
    links: dict,
    folder: Path,
    progress: Progress | None,
) -> _Spooled:
    """Read and analyze `paths` into a spool file in `folder` (`order`: each page's number in the
    whole build, its `seq`)."""
    out = _Spooled(folder / f"share-{share}.jsonl", [], [])
    title_df: Counter = Counter()  # by term number: this process's vocabulary
    body_df: Counter = Counter()
    with open(out.spool, "w", encoding="utf-8") as spool:
        for article in read_pages(paths, links, out.rejected, progress):
            doc, lengths, (title_held, body_held) = article_source(article, order[Path(article.path)])
            title_df.update(title_held)
            body_df.update(body_held)
            signature = duplicates.signature(article.body)
            key = (share, len(out.read))
            page = _Read(key, doc["id"], doc["body_hash"], article.copy_rank, signature, lengths)
            out.read.append(page)
            spool.write(json.dumps(doc, ensure_ascii=False) + "\n")
    texts = vocabulary.texts  # numbers differ between processes: the terms go back as text
    out.title_df = Counter({texts[n]: count for n, count in title_df.items()})
    out.body_df = Counter({texts[n]: count for n, count in body_df.items()})
    return out


def _near_duplicates(pages: list[_Read]) -> dict[tuple[int, int], list[str]]:
    """Spool key → ids of its near-duplicates among `pages` (search/duplicates.py, as the Whoosh
    store finds them)."""
    if not pages:
        return {}
    signatures = np.array([page.signature for page in pages], dtype=np.uint64)
    near: dict[tuple[int, int], set[str]] = {}
    for a, b in duplicates.near_duplicate_pairs(signatures).tolist():
        near.setdefault(pages[a].key, set()).add(pages[b].id)
        near.setdefault(pages[b].key, set()).add(pages[a].id)
    return {key: sorted(ids) for key, ids in near.items()}


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
    procs: int = 2,
) -> BuildReport:
    """Index every page under `sources` into a new generation and move the alias to it; pages
    are read, analyzed and sent by `procs` worker processes."""
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
        procs = max(1, min(procs, len(paths)))
        with tempfile.TemporaryDirectory(prefix="sandhan-spool-") as folder:
            order = {path: seq for seq, path in enumerate(paths)}

            def spool(share: int, share_paths: list[Path], progress: Progress | None) -> _Spooled:
                return _spool_share(share, share_paths, order, scan.links, Path(folder), progress)

            spooled = run_shares(spool, split_by_size(paths, procs), progress)
            read = [page for share in spooled for page in share.read]
            read_rejected = [r for share in spooled for r in share.rejected]
            report.rejected = scan.rejected + read_rejected
            dropped = duplicates.copies_to_drop(read, lambda p: p.key)
            dropped_keys = {page.key for page, _ in dropped}
            kept = [page for page in read if page.key not in dropped_keys]
            near = _near_duplicates(kept)
            lengths = _average_lengths(kept)
            generation = next_generation(client, name)
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

            def send(share: int, _spool: list[Path], progress: Progress | None) -> tuple[Counter, Counter]:
                # a client of its own: this runs in a forked process when there are shares
                own = client_copy(client, compress=False)
                ids = [page.id for page in spooled[share].read]
                return _send(own, generation, spooled[share].spool, share, ids, dropped_keys, near, progress)

            unsent = run_shares(send, [[share.spool] for share in spooled], progress)
            if progress and dropped_keys:
                progress(len(dropped_keys))
            frequencies = _document_frequencies(spooled, unsent)
        report.duplicates = sorted(
            (page.rank[2], kept_id) for page, kept_id in dropped
        )  # rank ends in the path
        skipped = [path for path, _ in read_rejected] + [page.rank[2] for page, _ in dropped]
        write_lexicon(
            client,
            generation,
            frequencies,
            replicas,
            {path_key(p): safe_fingerprint(p) or "" for p in skipped},
        )
        call(
            "refresh the new generation",
            client.indices.refresh,
            index=f"{generation},{lexicon_index(generation)}",
        )
        publish(client, name, generation, live, replicas)
        report.indexed = len(kept)
        report.generation = generation
        report.seconds = time.monotonic() - started
    return report


def _average_lengths(pages: list[_Read]) -> dict[str, tuple[float, float]]:
    """Each text field's average length as the policy counts it (positions holding a term, over
    every document) and as Lucene does (tokens indexed, over the documents holding any)."""
    out = {}
    for fieldname in TEXT_FIELDS:
        positions = sum(p.lengths[fieldname][0] for p in pages)
        tokens = sum(p.lengths[fieldname][1] for p in pages)
        holding = sum(1 for p in pages if p.lengths[fieldname][1])
        out[fieldname] = (positions / max(len(pages), 1), tokens / max(holding, 1))
    return out


def _send(
    client: OpenSearch,
    index: str,
    spool: Path,
    share: int,
    ids: list[str],
    dropped: set[tuple[int, int]],
    near: dict[tuple[int, int], list[str]],
    progress: Progress | None,
) -> tuple[Counter, Counter]:
    """Bulk-send the documents of a share's spool (`ids`: their ids, by line) that are not
    dropped, each line sent as it was spooled with its near-duplicates' ids added (parsing and
    writing each document again was most of a sender's time); returns how many of the dropped
    documents hold each term in the title and in the body, for the lexicon to take away."""
    title_dropped: Counter = Counter()
    body_dropped: Counter = Counter()

    def documents():
        with open(spool, encoding="utf-8") as lines:
            for line, text in enumerate(lines):
                if (share, line) in dropped:
                    doc = json.loads(text)
                    title_dropped.update(set(plain_terms(doc["title_terms"])))
                    body_dropped.update(set(plain_terms(doc["body_terms"])))
                    continue
                similar = json.dumps(near.get((share, line), []), ensure_ascii=False)
                yield ids[line], f'{text.rstrip().removesuffix("}")}, "similar_ids": {similar}}}'

    sent = 0
    for ok, item in helpers.streaming_bulk(
        client,
        documents(),
        expand_action_callback=lambda document: ({"index": {"_id": document[0]}}, document[1]),
        index=index,
        chunk_size=BULK_DOCS,
        max_retries=5,
        initial_backoff=1,
        raise_on_error=False,
    ):
        if not ok:
            raise StoreError(f"The cluster refused a document: {json.dumps(item, ensure_ascii=False)[:300]}")
        sent += 1
        if progress and sent % 32 == 0:
            progress(32)
    if progress:
        progress(sent % 32)
    return title_dropped, body_dropped


def _document_frequencies(spooled: list[_Spooled], dropped: list[tuple[Counter, Counter]]) -> dict[str, int]:
    """Each term's document frequency over the documents sent: the greater of title and body,
    as the Whoosh store's lexicon counts it."""
    title_df: Counter = Counter()
    body_df: Counter = Counter()
    for share in spooled:
        title_df.update(share.title_df)
        body_df.update(share.body_df)
    for title, body in dropped:
        title_df.subtract(title)
        body_df.subtract(body)
    return {t: n for t in title_df.keys() | body_df.keys() if (n := max(title_df[t], body_df[t])) > 0}


def plain_terms(text: str) -> list[str]:
    return [w.removesuffix(mapping.TWICE_MARK) for w in text.split() if w != mapping.GAP]


# The lexicon index's documents with these ids list the files a generation read but did not index
# (rejected, or copies of other pages), each with its fingerprint, so that an update or a watcher
# does not read them again until they change (the Whoosh store's `files.jsonl` lists them too).
SKIPPED_FILES = "files-"


def write_lexicon(
    client: OpenSearch, generation: str, frequencies: dict[str, int], replicas: int, skipped: dict[str, str]
) -> None:
    """The generation's side index: its vocabulary, chunks of "term\tdf" lines, and the files it
    skipped (`skipped`: path → fingerprint), chunks of JSON lines."""
    index = lexicon_index(generation)
    body = mapping.lexicon_body()
    body["settings"]["number_of_replicas"] = replicas
    call("create the lexicon index", client.indices.create, index=index, body=body)
    lines = [f"{t}\t{df}" for t, df in sorted(frequencies.items())]
    files = [json.dumps([path, fingerprint]) for path, fingerprint in sorted(skipped.items())]
    chunks = [
        {
            "_index": index,
            "_id": f"{prefix}{i}",
            "_source": {"lines": "\n".join(part[at : at + LEXICON_CHUNK])},
        }
        for prefix, part in (("", lines), (SKIPPED_FILES, files))
        for i, at in enumerate(range(0, len(part), LEXICON_CHUNK))
    ]
    helpers.bulk(client, chunks, max_retries=5, initial_backoff=1)


def read_side_index(client: OpenSearch, generation: str) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """The generation's side index in one read: its vocabulary as (term, df) pairs, and the files
    it skipped (path → fingerprint)."""
    found = call(
        "read the lexicon",
        client.search,
        index=lexicon_index(generation),
        body={"size": 10_000, "query": {"match_all": {}}},
    )
    pairs, skipped = [], {}
    for hit in found["hits"]["hits"]:
        lines = hit["_source"]["lines"].split("\n")
        if hit["_id"].startswith(SKIPPED_FILES):
            skipped.update(json.loads(line) for line in lines if line)
            continue
        for line in lines:
            term, _, df = line.rpartition("\t")
            if term:
                pairs.append((term, int(df)))
    return pairs, skipped


def read_lexicon(client: OpenSearch, generation: str) -> list[tuple[str, int]]:
    return read_side_index(client, generation)[0]


def read_skipped(client: OpenSearch, generation: str) -> dict[str, str]:
    """Path → fingerprint of the files the generation read but did not index."""
    return read_side_index(client, generation)[1]


def generation_meta(client: OpenSearch, generation: str) -> dict:
    """What the build recorded of a generation (its mapping's `_meta`)."""
    found = call("read the generation's record", client.indices.get_mapping, index=generation)
    return next(iter(found.values()))["mappings"].get("_meta", {})


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
