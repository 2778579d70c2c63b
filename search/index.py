"""The on-disk index: its schema, atomic rebuilds and updates in generations, and opening it.

Layout of an index folder (default `index/`):
    CURRENT               name of the live generation, replaced atomically (os.replace)
    generations/gen-N/    one complete Whoosh index plus `sandhan.json` (when and from what it was built)
    generations/*.building  a build in progress; left over only by a crash, removed by the next build
    write.lock            locked (lockf) by the one rebuild or update allowed at a time
A build writes a new generation beside the live one and switches CURRENT only when it is complete, so a
crash, Ctrl-C or SIGKILL at any moment leaves the previous generation serving.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import struct
import time
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from whoosh import columns, fields, formats, index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte

from search import duplicates, integrity
from search.analysis import bangla_analyzer, term_ids, vocabulary
from search.article import DHAKA, Article, PageRejected
from search.pages import FileId, SourceScan, printable_path, read_page, scan_sources
from search.whoosh_files import SharedReadStorage

META_FILE = integrity.META_FILE
# 3: no lead field, lead words weigh more; 4: new signatures, packed positions; 5: the size and
# checksum of every file recorded in META_FILE (search/integrity.py); 6: stemmer rules added
# (-য়ের after ই/উ, -বৃন্দ, a numeral's classifier), so an older index's terms differ from a query's
SCHEMA_VERSION = 6
# Sort keys for undated articles: they come last both newest-first and oldest-first.
UNDATED_NEWEST = -1
UNDATED_OLDEST = 2**40


class IndexError_(Exception):
    """Base of the index errors a person sees; the message says what to do."""


class IndexMissing(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexDamaged(IndexCorrupt):
    """Files of a generation are not as they were written (missing, cut, changed): `sandhan index
    verify` names them all, a rebuild replaces them."""

    def __init__(self, folder: Path, damage: list[integrity.Damage]):
        self.folder = folder
        self.damage = damage
        root = folder.parent.parent
        super().__init__(
            f"The index at {root} is damaged ({folder.name}: {integrity.describe(damage)}): see "
            f"`sandhan index verify --index {root}`, then rebuild it with `sandhan index rebuild`"
        )


class BuildInProgress(IndexError_):
    pass


class NothingToIndex(IndexError_):
    """A rebuild found no pages: publishing an empty index over a good one helps nobody."""


class PackedPositions(formats.Positions):
    """A posting's positions as little-endian 32-bit integers, one after another.

    Whoosh's Positions pickles a list of gaps per posting (14 bytes for one position, and a
    pickle call each); these are slices of one array of positions, 4 bytes a position. Queries
    read them through the format's decoders, as from any Whoosh format.
    """

    def encode(self, poslist: list[int]) -> bytes:
        return struct.pack(f"<{len(poslist)}I", *poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(valuestring) // 4}I", valuestring))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


@dataclass
class TextPostings:
    """A text's postings as arrays, one entry per term, terms by number (`vocabulary`)."""

    terms: np.ndarray  # term numbers, ascending
    counts: np.ndarray  # positions of each term (its frequency)
    weights: np.ndarray  # float32: what ranking reads as the term's frequency
    positions: np.ndarray  # uint32: each term's positions in turn, ascending

    def values(self) -> list[bytes]:
        """Each posting's positions as PackedPositions encodes them."""
        ends = (4 * np.cumsum(self.counts)).tolist()
        return _slices(self.positions.astype("<u4").tobytes(), [0, *ends[:-1]], ends)


def _slices(data: bytes, starts: list[int], ends: list[int]) -> list[bytes]:
    """data[start:end] for each start and end: postings' values cut from their joined bytes."""
    return list(map(data.__getitem__, map(slice, starts, ends)))


class BanglaText(fields.TEXT):
    """A TEXT field of Bangla analyzed by `bangla_analyzer`, indexed through `term_ids`.

    Whoosh's own indexing path runs the analyzer chain token by token; `term_ids` gives the
    same terms and positions at a fraction of the cost, and `text_postings` groups them with
    array operations. Queries still use the analyzer, and snippets the same per-word analysis
    (`word_term`). Positions are stored as PackedPositions, always: the field is for phrases.

    With `lead_weight`, each occurrence in the first paragraph (up to the first blank line)
    counts 1 + lead_weight in the posting's weight, the term frequency ranking reads: a news
    lead holds the story's key facts. (BM25F's weighted frequency; it replaced a separate lead
    field, which cost a fifth of the postings and a quarter of the terms of an index.)
    """

    lead_weight = 0.0  # a class default too: schemas pickled before it existed lack it

    def __init__(self, *, lead_weight: float = 0.0, **kwargs):
        kwargs["phrase"] = True
        super().__init__(**kwargs)
        self.format = PackedPositions(field_boost=self.format.field_boost)
        self.lead_weight = lead_weight

    def text_postings(self, text: str) -> TextPostings:
        """The postings of `text`: the hot loop of a rebuild (SegmentBuilder), and what Whoosh's
        writer stores through `index`."""
        extra = self.lead_weight
        cut = text.find("\n\n") if extra else -1  # the lead is the first paragraph
        if cut >= 0:
            numbers = term_ids(text[:cut])
            lead_end = len(numbers)
            numbers += term_ids(text[cut:])
        else:  # a text of one paragraph is all lead
            numbers = term_ids(text)
            lead_end = len(numbers) if extra else 0
        # Array methods and ufuncs, not numpy's Python-level helpers (np.diff, np.flatnonzero):
        # a document's arrays are small, and the helpers' overhead would be half the cost.
        numbers = np.array(numbers, dtype=np.int32)
        held = numbers.nonzero()[0]  # positions of words that made a term
        order = numbers[held].argsort(kind="stable")  # by term, positions ascending
        grouped, positions = numbers[held][order], held[order].astype(np.uint32)
        if not len(grouped):
            empty = np.zeros(0, dtype=np.int32)
            return TextPostings(empty, empty, np.zeros(0, dtype=np.float32), positions)
        starts = np.concatenate(([True], grouped[1:] != grouped[:-1])).nonzero()[0]
        bounds = np.concatenate((starts, [len(grouped)]))
        counts = (bounds[1:] - bounds[:-1]).astype(np.int32)
        in_lead = np.add.reduceat(positions < lead_end, starts)
        weights = ((counts + extra * in_lead) * self.format.field_boost).astype(np.float32)
        return TextPostings(grouped[starts], counts, weights, positions)

    def index(self, value: str, **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        found = self.text_postings(value)
        texts = vocabulary.texts
        columns = (found.terms.tolist(), found.counts.tolist(), found.weights.tolist(), found.values())
        return [(texts[t].encode("utf-8"), n, weight, v) for t, n, weight, v in zip(*columns, strict=True)]


# How much more an occurrence in the lead paragraph weighs than one later in the body
# (BENCHMARKS.md: ranking choices).
LEAD_WEIGHT = 1.0


def build_schema() -> fields.Schema:
    """Text fields are analyzed and searched; everything filters, facets and sorting read is a
    per-document column, not indexed: a term per document (a path, a hash) costs indexing time
    and buys nothing a column does not give."""
    analyzer = bangla_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=BanglaText(analyzer=analyzer, stored=True, phrase=True, field_boost=2.0),
        body=BanglaText(analyzer=analyzer, stored=True, phrase=True, lead_weight=LEAD_WEIGHT),
        desk=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        month=fields.COLUMN(columns.RefBytesColumn()),  # b"2024-08", Bangladesh time: a facet
        published_min=fields.COLUMN(columns.NumericColumn("q", default=UNDATED_NEWEST)),  # filter, sort
        oldest_key=fields.COLUMN(columns.NumericColumn("q", default=UNDATED_OLDEST)),
        signature=fields.COLUMN(columns.VarBytesColumn()),  # near-duplicates (search/duplicates.py)
        published=fields.STORED,  # ISO 8601 with +06:00, as shown
        updated=fields.STORED,
        path=fields.STORED,
        body_hash=fields.STORED,  # exact duplicates, told apart from related articles
        fingerprint=fields.STORED,  # size:mtime of the source file, for `index update`
    )


def minutes(dt: datetime) -> int:
    """Minutes since the epoch: the integer form of a time used for filters and sorting."""
    return int(dt.timestamp() // 60)


def body_hash(article: Article) -> str:
    collapsed = " ".join(article.body.split())
    return hashlib.sha1(collapsed.encode("utf-8")).hexdigest()


def file_fingerprint(path: str | Path) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def article_document(article: Article) -> dict:
    """The fields Whoosh stores and indexes for one article."""
    published = article.published
    doc = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "body_hash": body_hash(article),
        "fingerprint": _safe_fp(article.path) or "",  # gone since it was read: the next update re-reads
        "published_min": minutes(published) if published else UNDATED_NEWEST,
        "oldest_key": minutes(published) if published else UNDATED_OLDEST,
        "signature": duplicates.encode(duplicates.signature(article.body)),
    }
    if article.desk:
        doc["desk"] = article.desk
    if published:
        doc["published"] = published.isoformat()
        doc["month"] = published.astimezone(DHAKA).strftime("%Y-%m").encode()
    if article.updated:
        doc["updated"] = article.updated.isoformat()
    return doc


# ---------------------------------------------------------------------------------------------
# Generations


@dataclass
class Generation:
    path: Path
    meta: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def built_at(self) -> str | None:
        return self.meta.get("built_at")


def _generations_dir(root: Path) -> Path:
    return root / "generations"


def current_generation(root: str | Path) -> Generation:
    """The live generation, or IndexMissing / IndexCorrupt with a message saying what to do."""
    root = Path(root)
    pointer = root / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(
            f"No index at {root}: build one with `sandhan index rebuild --source DIR --index {root}`"
        ) from None
    gen_path = _generations_dir(root) / name
    if not re.fullmatch(r"gen-\d+", name) or not (gen_path / META_FILE).is_file():
        raise IndexCorrupt(
            f"The index at {root} is damaged (CURRENT names {name!r}, which is not a complete "
            "generation): rebuild it with `sandhan index rebuild`"
        )
    meta, damage = integrity.read_meta(gen_path)
    # Its own checksum before what it says: a changed byte must not pass for another version.
    if not damage and integrity.SEAL_KEY in meta:
        damage = integrity.seal_damage(meta)
    if damage:
        raise IndexDamaged(gen_path, damage)
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise IndexCorrupt(
            f"The index at {root} was built by another version of Sandhan (schema "
            f"{str(meta.get('schema_version'))[:40]}, this one reads {SCHEMA_VERSION}): rebuild it with "
            "`sandhan index rebuild`"
        )
    wrong = [key for key, fits in _META_FIELDS.items() if key in meta and not fits(meta[key])]
    if wrong:
        problem = f"its {wrong[0]!r} is not as Sandhan writes it"
        raise IndexDamaged(gen_path, [integrity.Damage(META_FILE, problem)])
    return Generation(gen_path, meta)


# The fields of META_FILE read here besides the records of its files (search/integrity.py checks
# those), and what each must be: a sealed file of another shape must not fail later, in a traceback.
_META_FIELDS: dict[str, Callable[[object], bool]] = {
    "built_at": lambda value: isinstance(value, str),
    "sources": lambda value: isinstance(value, list) and all(isinstance(s, str) for s in value),
}


def open_generation(
    gen: Generation, content_damage: Callable[[], list[integrity.Damage]] | None = None
) -> index.Index:
    """The generation's Whoosh index, its files readable by many threads at once
    (search.whoosh_files), once they are there with the sizes recorded (else IndexDamaged): a
    stat each. Their checksums read every byte, left to `integrity.GenerationCheck` and
    `sandhan index verify`, and to `content_damage` (a server passes its GenerationCheck's, which
    remembers the answer) when Whoosh cannot open the files."""
    _raise_if_damaged(gen, integrity.size_damage)
    try:
        return SharedReadStorage(str(gen.path)).open_index()
    except Exception as exc:  # Whoosh raises several kinds for a damaged folder
        damage = content_damage() if content_damage else integrity.content_damage(gen.path, gen.meta)
        if damage:
            raise IndexDamaged(gen.path, damage) from exc
        raise IndexCorrupt(
            f"The index generation {gen.path} cannot be opened ({exc.__class__.__name__}: {exc}): "
            "rebuild it with `sandhan index rebuild`"
        ) from exc


def _raise_if_damaged(gen: Generation, check: Callable[[Path, dict], list[integrity.Damage]]) -> None:
    """IndexDamaged if `check` (integrity.size_damage, content_damage) finds files of `gen` not
    as they were written."""
    damage = check(gen.path, gen.meta)
    if damage:
        raise IndexDamaged(gen.path, damage)


@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """One rebuild or update at a time per index folder; the second refuses instead of waiting.

    A POSIX record lock (lockf), not flock: it belongs to this process alone, so worker processes
    forked during the build do not inherit it, and it is released the moment this process dies,
    even by SIGKILL, whatever its orphaned workers do.
    """
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / "write.lock"
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.lockf(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            raise BuildInProgress(
                f"Another rebuild or update of {root} is running ({holder}); "
                "wait for it to finish, then try again."
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()}")
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.truncate(0)
            fcntl.lockf(lock_file, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _next_generation_number(root: Path) -> int:
    numbers = [
        int(m.group(1)) for p in _generations_dir(root).glob("gen-*") if (m := re.match(r"gen-(\d+)", p.name))
    ]
    return max(numbers, default=0) + 1


# A superseded generation stays this long, so a server still answering from it can finish.
GRACE_SECONDS = 600


def _clean_leftovers(root: Path) -> None:
    """Remove half-built generations and superseded ones: all but the live one, the one before
    it, and any replaced less than GRACE_SECONDS ago. With no usable live generation, nothing
    complete is removed (it may be all there is after a power loss)."""
    gens = _generations_dir(root)
    if not gens.is_dir():
        return
    try:
        live = int(current_generation(root).name[4:])
    except IndexError_:
        live = None
    complete = sorted(int(p.name[4:]) for p in gens.iterdir() if re.fullmatch(r"gen-\d+", p.name))
    now = time.time()
    for p in gens.iterdir():
        if not re.fullmatch(r"gen-\d+", p.name):
            shutil.rmtree(p, ignore_errors=True)  # a build that never finished
            continue
        number = int(p.name[4:])
        if live is None or number >= live:
            continue
        successor = next(n for n in complete if n > number)
        replaced_at = (gens / f"gen-{successor:06d}").stat().st_mtime
        if number != max(n for n in complete if n < live) and now - replaced_at > GRACE_SECONDS:
            shutil.rmtree(p, ignore_errors=True)


def _test_pause(stage: str) -> None:
    """Test-only, never set in production: with SANDHAN_TEST_PAUSE="<stage>:<file>" a build that
    reaches `stage` ("worker": an indexing process has started; "publish": about to switch) creates
    <file>.reached and waits until <file> exists, so a test can kill or race a build it knows is
    still running. Gives up waiting after TEST_PAUSE_SECONDS (a test that died must not leave a
    build waiting for ever)."""
    at, _, release = os.environ.get("SANDHAN_TEST_PAUSE", "").partition(":")
    if at != stage or not release:
        return
    Path(release + ".reached").touch()
    deadline = time.monotonic() + TEST_PAUSE_SECONDS
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)


TEST_PAUSE_SECONDS = 300


def _publish(root: Path, building: Path, meta: dict) -> Generation:
    """Make a finished build the live generation: the only step readers can observe."""
    _test_pause("publish")
    # The size and checksum of each file go into META_FILE. An update (meta["updated_from"]) keeps
    # the records of the files it hard-linked from the live generation.
    linked_from = meta.get("updated_from")
    meta = integrity.sealed(meta, building, _generations_dir(root) / linked_from if linked_from else None)
    (building / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    for f in building.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(building)
    final = building.with_name(building.name.removesuffix(".building"))
    os.rename(building, final)
    _fsync_dir(final.parent)
    tmp = root / "CURRENT.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(final.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / "CURRENT")
    _fsync_dir(root)
    return Generation(final, meta)


# ---------------------------------------------------------------------------------------------
# Building


@dataclass
class BuildReport:
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


Progress = Callable[[int], None]


def _read_all(
    paths: Iterable[Path], links: dict[Path, FileId], report: BuildReport, progress: Progress | None
):
    """The articles of `paths`, read as scan_sources found them (`links`: SourceScan.links)."""
    for path in paths:
        try:
            yield read_page(path, links.get(path))
        except PageRejected as exc:
            report.rejected.append((str(path), exc.reason))
        except Exception as exc:  # a reader bug must cost one page, not the rebuild
            report.rejected.append((str(path), f"could not be read ({exc.__class__.__name__})"))
        if progress:
            progress(1)


@dataclass(frozen=True)
class _Indexed:
    """What deduplication needs to know of a page a worker indexed, without its text."""

    path: str
    id: str
    digest: str
    fingerprint: str
    rank: tuple  # (dated, freshest time, path): the greater copy is kept
    where: tuple[int, int, int]  # (worker share, segment of the share, document number in it)


@dataclass
class _Share:
    """One worker's part of a rebuild: its finished segments and what it read."""

    segments: list  # Whoosh segments
    indexed: list[_Indexed]
    rejected: list[tuple[str, str]]  # (path, reason)


def _deduplicate(pages: list[_Indexed]) -> list[tuple[_Indexed, str]]:
    """The copies to drop so that one copy per article id and per body text stays: the most
    recently updated one. Returns (dropped page, id of the copy kept)."""
    dropped: list[tuple[_Indexed, str]] = []
    for key in ("id", "digest"):
        best: dict[str, _Indexed] = {}
        for page in pages:
            held = best.get(getattr(page, key))
            if held is None or page.rank > held.rank:
                best[getattr(page, key)] = page
        kept = {p.path for p in best.values()}
        dropped += [(p, best[getattr(p, key)].id) for p in pages if p.path not in kept]
        pages = [p for p in pages if p.path in kept]
    return dropped


class _TermPostings:
    """One term's postings in a segment being built, in document order, as compact columns."""

    __slots__ = ("docs", "weights", "values")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []

    def add(self, docnum: int, weight: float, value: bytes) -> None:
        self.docs.append(docnum)
        self.weights.append(weight)
        self.values.append(value)


class _TextField:
    """A text field's postings in a segment being built, in document order: one growing array
    per column (a posting's term, count and weight; the positions), so that memory holds the
    numbers and little else, and `by_term` reads the columns where they lie."""

    def __init__(self) -> None:
        self.docs: list[int] = []  # the documents that have terms in this field
        self.sizes: list[int] = []  # and how many
        self.terms = array("i")
        self.counts = array("i")
        self.weights = array("f")
        self.positions = array("I")

    def add(self, docnum: int, found: TextPostings) -> None:
        if len(found.terms):
            self.docs.append(docnum)
            self.sizes.append(len(found.terms))
            self.terms.frombytes(found.terms.tobytes())
            self.counts.frombytes(found.counts.tobytes())
            self.weights.frombytes(found.weights.tobytes())
            self.positions.frombytes(found.positions.tobytes())

    def by_term(self) -> Iterator[tuple[str, list[int], list[float], list[bytes]]]:
        """(term, documents, weights, values) of each term, terms in order (UTF-8 sorts as code
        points do), each term's documents ascending. Takes about 30 bytes a posting more. Once
        only: the positions are handed over, not copied."""
        if not self.docs:
            return
        data = np.frombuffer(self.positions, dtype=np.uint32).astype("<u4", copy=False).tobytes()
        self.positions = array("I")  # `data` holds them now
        terms = np.frombuffer(self.terms, dtype=np.int32)
        counts = np.frombuffer(self.counts, dtype=np.int32)
        weights = np.frombuffer(self.weights, dtype=np.float32)
        docs = np.repeat(np.array(self.docs, dtype=np.int32), self.sizes)
        ends = 4 * np.cumsum(counts, dtype=np.int64)  # where each posting's positions end in `data`
        texts = vocabulary.texts
        present = np.zeros(len(texts), dtype=bool)
        present[terms] = True
        numbers = present.nonzero()[0]
        names = [texts[n] for n in numbers.tolist()]
        alphabetical = sorted(range(len(names)), key=names.__getitem__)
        rank = np.zeros(len(texts), dtype=np.int32)
        rank[numbers[alphabetical]] = np.arange(len(numbers), dtype=np.int32)
        ranks = rank[terms]
        order = ranks.argsort(kind="stable").astype(np.int32)  # by term, then document (stable)
        bounds = [0, *np.cumsum(np.bincount(ranks, minlength=len(numbers))).tolist()]
        del ranks
        # Postings become Python lists a window at a time: all at once would take ~150 bytes each.
        first = 0
        while first < len(numbers):
            last = max(first + 1, bisect_right(bounds, bounds[first] + _WINDOW) - 1)
            base = bounds[first]
            window = order[base : bounds[last]]
            window_docs, window_weights = docs[window].tolist(), weights[window].tolist()
            window_ends = ends[window]
            window_starts = (window_ends - 4 * counts[window]).tolist()
            window_ends = window_ends.tolist()
            for i in range(first, last):
                a, b = bounds[i] - base, bounds[i + 1] - base
                values = _slices(data, window_starts[a:b], window_ends[a:b])
                yield names[alphabetical[i]], window_docs[a:b], window_weights[a:b], values
            first = last


_WINDOW = 65_536  # postings


# Stored fields (a dict per document, mostly the article's text) are compressed by zlib at level 1,
# not Whoosh's 3: 40 % less time for a stored column 13 % larger, read back by the same decompress.
# (Documents that `update` adds go through Whoosh's writer, at its level 3.)
STORED_ZLIB_LEVEL = 1


class SegmentBuilder:
    """Writes one Whoosh segment of new documents, holding its postings in memory.

    Whoosh's own SegmentWriter puts every posting into a pool as a tuple, sorts the pool and
    writes it one posting at a time through three layers of calls; this was half of a rebuild.
    Here a text field's postings are columns of numbers in document order (`_TextField`), put in
    term order by one stable sort at the end; the few other indexed fields (id, desk) keep theirs
    per term. `_write_field` then writes each term's blocks in Whoosh's W3 layout. Whoosh reads
    from them what it reads from its own (tests/test_index.py compares every posting).
    """

    def __init__(self, ix: index.Index):
        self.schema = ix.schema
        self.storage = ix.storage
        self.codec = WRITER_OPTIONS["codec"]
        self.segment = self.codec.new_segment(ix.storage, ix.indexname)
        self.perdoc = self.codec.per_document_writer(ix.storage, self.segment)
        self.perdoc._get_column("_stored")._child._level = STORED_ZLIB_LEVEL
        # Text fields: field name -> the postings of each document, joined in `finish`.
        self.texts = {name: _TextField() for name, f in self.schema.items() if isinstance(f, BanglaText)}
        # Other indexed fields (an id, a desk): field name -> term -> postings
        self.postings: dict[str, dict[str, _TermPostings]] = {
            name: {} for name, f in self.schema.items() if f.indexed and name not in self.texts
        }
        self.lengths = {name: array("I") for name, field_type in self.schema.items() if field_type.scorable}
        self.docnum = 0  # the number the next document gets
        self.held = 0  # postings held in memory

    def add(self, doc: dict) -> int:
        """Add one document (field name -> value, as for Whoosh's add_document); its number."""
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        for name in sorted(doc):
            value = doc[name]
            field_type = self.schema[name]
            length = 0
            if isinstance(field_type, BanglaText):
                found = field_type.text_postings(value)
                self.texts[name].add(docnum, found)
                length = int(found.counts.sum())
                self.held += len(found.terms)
            elif field_type.indexed:
                postings = self.postings[name]
                for btext, freq, weight, vbytes in field_type.index(value):
                    held = postings.setdefault(btext.decode("utf-8"), _TermPostings())
                    held.add(docnum, weight, vbytes)
                    length += freq if field_type.scorable else 0
                    self.held += 1
            if field_type.scorable:
                self.lengths[name].append(length)
            perdoc.add_field(name, field_type, value if field_type.stored else None, length)
            if field_type.column_type:
                perdoc.add_column_value(name, field_type.column_type, field_type.to_column_value(value))
        for lengths in self.lengths.values():
            if len(lengths) == docnum:  # a scorable field this document does not have
                lengths.append(0)
        perdoc.finish_doc()
        self.docnum += 1
        return docnum

    def finish(self):
        """Write the postings and close the segment's files; the finished Whoosh segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(self.texts.keys() | self.postings.keys()):
            if name in self.texts:
                if not self.texts[name].docs:
                    continue
                terms = self.texts[name].by_term()
            else:
                held = self.postings[name]
                if not held:
                    continue
                terms = ((t, p.docs.tolist(), p.weights.tolist(), p.values) for t, p in sorted(held.items()))
            writer.start_field(name, self.schema[name])
            _write_field(writer, terms, self.lengths.get(name), self.schema[name].format.fixed_value_size())
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(self.docnum)
        return self.segment


_TERM_INFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo: its fixed part, then the postings' extent
BLOCK_SIZE = 128  # postings per block: W3Codec's default blocklimit
# Whoosh pickles a block's data with protocol 2, which turns every bytes value (a posting's
# positions) into a call of codecs.encode; protocol 4 stores bytes as they are, in half the time
# to write and two thirds to read, and Whoosh unpickles either.
BLOCK_PICKLE_PROTOCOL = 4


def _write_field(writer, terms: Iterable[tuple], lengths: array | None, fixed_size) -> None:
    """Write one field's terms, (text, documents, weights, values) in order: each term's
    posting blocks, then its term info.

    Whoosh's W3FieldWriter does this in several calls per posting; here it is one pass per term,
    and the files read back the same through Whoosh (tests/test_index.py compares every term's
    info and postings). The layout, from whoosh/codec/whoosh3.py: a magic header, then per block
    its length (negative for the last block), a pickled info tuple (count, last id, greatest
    weight, 0, shortest and longest document as length bytes) and a pickled (delta-coded ids,
    weights, values) tuple; weights all 1.0 are stored as None, all equal as one float.
    """
    postfile = writer._postfile
    field_key = pack_ushort(writer._fieldid)
    # A document's length as Whoosh's one-byte approximation; a field without lengths has 0.
    length_bytes = [length_to_byte(n) for n in lengths] if lengths is not None else None
    variable = fixed_size is None or fixed_size < 0
    dumps, magic = pickle.dumps, WHOOSH3_HEADER_MAGIC
    offset = postfile.tell()
    written: list[bytes] = []
    term_infos: list[tuple[bytes, bytes]] = []
    for text, docs, weights, values in terms:
        if len(written) > 16384:  # write in pieces of a few megabytes
            postfile.write(b"".join(written))
            written.clear()
        count = len(docs)
        if count == 1:  # half the terms: one posting, so one block, summed up by itself
            doc, weight = docs[0], weights[0]
            length = length_bytes[doc] if length_bytes is not None else 0
            value = (values[0],) if variable else (values[0] if fixed_size else None)
            data = dumps(((doc,), None if weight == 1.0 else weight, value), BLOCK_PICKLE_PROTOCOL)
            block_weight = max(0.0, weight)
            info = dumps((1, doc, block_weight, 0, length, length), 2)
            written += (magic, pack_int(-len(info) - len(data)), info, data)
            size = len(magic) + 4 + len(info) + len(data)
            term_info = (False, weight, 1, length, length, block_weight, doc, doc, offset, size)
            term_infos.append((field_key + text.encode("utf-8"), _TERM_INFO.pack(*term_info)))
            offset += size
            continue
        written.append(magic)
        size = len(magic)
        total_weight, max_weight, min_length, max_length = 0.0, 0.0, 255, 0
        for first in range(0, count, BLOCK_SIZE):
            if count <= BLOCK_SIZE:  # most terms have one block: no copies
                ids, block_weights, block_values = docs, weights, values
            else:
                ids = docs[first : first + BLOCK_SIZE]
                block_weights = weights[first : first + BLOCK_SIZE]
                block_values = values[first : first + BLOCK_SIZE]
            n = len(ids)
            block_max_weight = max(0.0, max(block_weights))
            if length_bytes is None:
                block_min = block_max = 0
            else:
                found = [length_bytes[d] for d in ids]
                block_min, block_max = min(found), max(found)
            if block_weights.count(1.0) == n:
                mini_weights = None
            elif block_weights.count(block_weights[0]) == n:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if variable:
                mini_values = tuple(block_values)
            else:
                mini_values = b"".join(block_values) if fixed_size else None
            gaps = (ids[0], *[b - a for a, b in zip(ids, ids[1:], strict=False)])
            data = dumps((gaps, mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
            info = dumps((n, ids[-1], block_max_weight, 0, block_min, block_max), 2)
            block_size = len(info) + len(data)
            written += (pack_int(-block_size if first + BLOCK_SIZE >= count else block_size), info, data)
            size += 4 + block_size
            total_weight += sum(block_weights)
            max_weight = max(max_weight, block_max_weight)
            min_length = min(min_length, block_min)
            max_length = max(max_length, block_max)
        term_info = (
            False,
            total_weight,
            count,
            min_length,
            max_length,
            max_weight,
            docs[0],
            docs[-1],
            offset,
            size,
        )
        term_infos.append((field_key + text.encode("utf-8"), _TERM_INFO.pack(*term_info)))
        offset += size
    postfile.write(b"".join(written))
    _add_terms(writer._tindex, term_infos)


_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables: before each key and value


def _add_terms(tindex, items: list[tuple[bytes, bytes]]) -> None:
    """OrderedHashWriter.add(key, value) for each of `items` (keys ascending), in one write.

    The bookkeeping is Whoosh's (whoosh/filedb/filetables.py, HashWriter.add and
    OrderedHashWriter.add): each key's file position goes into the ordered index and, by the
    key's hash, into one of 256 buckets, from which `close` writes the hash tables."""
    if not items:
        return
    if items[0][0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{items[0][0]!r}")
    dbfile, hashfn, buckets, positions = tindex.dbfile, tindex.hashfn, tindex.buckets, tindex.index
    position = dbfile.tell()
    parts = []
    for key, value in items:
        positions.append(position)
        digest = hashfn(key)
        buckets[digest & 255].append((digest, position))
        parts += (_KEY_VALUE_LENGTHS.pack(len(key), len(value)), key, value)
        position += 8 + len(key) + len(value)
    dbfile.write(b"".join(parts))
    tindex.lastkey = items[-1][0]


# Postings a worker holds in memory before it closes its segment and starts another: about
# 70 bytes each at the peak, while the segment is written (measured: 336 MB at 4.7 M postings,
# a 526 MiB process at 100k pages).
SEGMENT_POSTINGS = 8_000_000


def _index_share(
    building: Path, share: int, paths: list[Path], links: dict[Path, FileId], progress: Progress | None
) -> _Share:
    """Read `paths` (`links`: SourceScan.links) and index them into segments of their own in the
    index at `building`."""
    ix = index.open_dir(str(building))
    builder = SegmentBuilder(ix)
    result = _Share([], [], [])
    read = BuildReport()  # collects the rejected pages
    for article in _read_all(paths, links, read, progress):
        doc = article_document(article)
        fresh = article.freshest
        rank = (fresh is not None, fresh.timestamp() if fresh else 0.0, article.path)
        docnum = builder.add(doc)
        where = (share, len(result.segments), docnum)
        result.indexed.append(
            _Indexed(doc["path"], doc["id"], doc["body_hash"], doc["fingerprint"], rank, where)
        )
        if builder.held >= SEGMENT_POSTINGS:
            result.segments.append(builder.finish())
            builder = SegmentBuilder(ix)
    result.rejected = read.rejected
    if builder.docnum:
        result.segments.append(builder.finish())
    return result


class BuildFailed(IndexError_):
    """A worker process of a rebuild died; the live generation was not touched."""


PROGRESS_EVERY = 32  # pages a worker reads between two progress messages


def _index_shares(building: Path, scan: SourceScan, procs: int, progress: Progress | None) -> list[_Share]:
    """Index the pages of `scan` in `procs` worker processes, each writing its own segment of
    consecutive pages (so document numbers follow the page order whatever `procs` is)."""
    paths, links = scan.pages, scan.links
    if procs < 2:
        return [_index_share(building, 0, paths, links, progress)]
    shares = _split_by_size(paths, procs)
    context = multiprocessing.get_context("fork")
    events = context.SimpleQueue()
    workers = [
        context.Process(
            target=_share_worker, args=(building, i, share, links, events, os.getpid()), daemon=True
        )
        for i, share in enumerate(shares)
    ]
    for w in workers:
        w.start()
    done: dict[int, _Share] = {}
    try:
        while len(done) < len(workers):
            while events.empty():
                dead = [w for i, w in enumerate(workers) if i not in done and w.exitcode is not None]
                if dead and events.empty():
                    raise BuildFailed(f"An indexing process exited with status {dead[0].exitcode}")
                time.sleep(0.05)
            kind, *rest = events.get()
            if kind == "read" and progress:
                progress(rest[0])
            elif kind == "done":
                done[rest[0]] = rest[1]
            elif kind == "failed":
                message, code = rest
                if code in NO_SPACE:  # said once, by the build (DiskFull)
                    raise OSError(code, os.strerror(code))
                raise BuildFailed(f"An indexing process failed: {message}")
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
            w.join()
    return [done[i] for i in range(len(workers))]


def _split_by_size(paths: list[Path], parts: int) -> list[list[Path]]:
    """`paths` cut into `parts` runs of consecutive paths holding about as many bytes each: a
    worker's time goes with the text it reads."""
    sizes = []
    for p in paths:
        try:
            sizes.append(p.stat().st_size)
        except OSError:
            sizes.append(0)  # gone: the worker reports it
    total = sum(sizes) or 1
    shares: list[list[Path]] = [[] for _ in range(parts)]
    held = 0
    for path, size in zip(paths, sizes, strict=True):
        shares[min(parts - 1, held * parts // total)].append(path)
        held += size
    return shares


PR_SET_PDEATHSIG = 1  # prctl(2) option: a signal for this process when its parent dies


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this worker when the rebuild's main process dies, even by SIGKILL:
    an orphan would go on writing into a generation nobody will publish. Linux only."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere an orphan finishes its share, then exits
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _share_worker(
    building: Path, share: int, paths: list[Path], links: dict[Path, FileId], events, parent: int
) -> None:
    """The body of an indexing process: progress and the finished share go back on `events`."""
    _die_with_parent(parent)
    _test_pause("worker")
    # Indexing allocates millions of small objects and frees few: the cyclic collector would
    # scan them again and again (3 % of a worker's time) for garbage it rarely finds.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    read = 0

    def progress(k: int) -> None:
        nonlocal read
        read += k
        if read >= PROGRESS_EVERY:
            events.put(("read", read))
            read = 0

    try:
        result = _index_share(building, share, paths, links, progress)
    except BaseException as exc:
        events.put(("failed", f"{exc.__class__.__name__}: {exc}", getattr(exc, "errno", None)))
        if getattr(exc, "errno", None) in NO_SPACE:
            raise SystemExit(1) from None  # the rebuild says it in one line: a traceback adds nothing
        raise
    events.put(("read", read))
    events.put(("done", share, result))


def _commit_segments(ix: index.Index, segments: list) -> None:
    """Make `segments` (written by workers into the index folder) the index's content."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()  # Whoosh's per-document writers make it


def rebuild(
    sources: Iterable[str | Path],
    root: str | Path,
    *,
    procs: int = 2,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> BuildReport:
    """Index every page under `sources` into a new generation of `root` and make it live.

    Each of `procs` worker processes reads its share of the pages once and writes a segment.
    Copies of one article (same id, or the same body text) are then marked deleted in their
    segments, all but the most recently updated one, so a search never meets them.
    """
    root = Path(root)
    sources = [Path(s).resolve() for s in sources]  # stored paths must not depend on the cwd
    started = time.monotonic()
    report = BuildReport()
    with (
        _said_when_out_of_space(root, "rebuild") as space,
        write_lock(root),
        _new_generation(root, space) as building,
    ):
        scan = scan_sources(sources)
        paths = scan.pages
        if not paths:
            raise NothingToIndex(
                f"No pages (*.txt) under {', '.join(str(s) for s in sources)}{_passed_over(scan)}: "
                "nothing was changed"
            )
        if on_total:
            on_total(len(paths))
        ix = index.create_in(str(building), build_schema())
        shares = _index_shares(building, scan, max(1, min(procs, len(paths))), progress)
        read_rejected = [r for share in shares for r in share.rejected]
        report.rejected = scan.rejected + read_rejected
        indexed = [page for share in shares for page in share.indexed]
        dropped = _deduplicate(indexed)
        for page, _ in dropped:
            share, segment, docnum = page.where
            shares[share].segments[segment].delete_document(docnum)
        report.duplicates = sorted((page.path, kept_id) for page, kept_id in dropped)
        _commit_segments(ix, [segment for share in shares for segment in share.segments])
        ix.close()
        report.indexed = len(indexed) - len(dropped)
        files = {page.path: (page.fingerprint, page.id) for page in indexed}
        for path, _ in read_rejected + report.duplicates:  # read, not indexed: the list has them
            files[path] = (files.get(path, ("",))[0] or _safe_fp(path) or "", SKIPPED)
        _write_files(building, files)
        report.seconds = time.monotonic() - started
        meta = _meta(sources, report, ix_doc_count=report.indexed)
        gen = _publish(root, building, meta)
        report.generation = gen.name
        _clean_leftovers(root)
    return report


def _passed_over(scan: SourceScan) -> str:
    """For a source without pages: what was found instead, if anything."""
    if not scan.rejected:
        return ""
    path, reason = scan.rejected[0]
    return f" (passed over: {len(scan.rejected)}, e.g. {printable_path(path)}: {reason})"


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)  # a full file system, or a full quota


class DiskFull(IndexError_):
    """The index's file system filled up during a build: the build's files were removed and the
    live generation was not touched."""


@dataclass
class _Space:
    free: int | None = None  # bytes free on the index's file system when the build began writing


@contextmanager
def _said_when_out_of_space(root: Path, build: str) -> Iterator[_Space]:
    """A full disk anywhere in a build (in this process or a worker) becomes DiskFull: one line
    saying where, and how much space there was, instead of a traceback. The space is what
    `_new_generation` found free (measured again now, the build's files still held open by this
    process would count as used), or what is free now if the build failed before."""
    space = _Space()
    try:
        yield space
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            raise
        free = space.free if space.free is not None else _free_bytes(root)
        try:
            live = f"{current_generation(root).name} is still live"
        except IndexError_:
            live = "there is no live index yet"
        raise DiskFull(
            f"Not enough disk space for the index at {root}: the {build} needs more than the "
            f"{_amount(free)} that were free there, so it stopped and changed nothing ({live}). "
            "Free some space, or use another index folder, then run it again."
        ) from None


def _free_bytes(path: Path) -> int:
    """Space an unprivileged writer may still use on the file system of `path` (or of the
    nearest folder above it that exists)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    fs = os.statvfs(path)
    return fs.f_bavail * fs.f_frsize


def _amount(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


@contextmanager
def _new_generation(root: Path, space: _Space) -> Iterator[Path]:
    """The folder of the next generation, to build in. If the build fails in any way (a full
    disk, a failed worker, Ctrl-C), it is removed at once, published or not, unless it became the
    live one: a half-built folder would hold the space a full disk needs back. Leftovers of
    earlier builds are removed first."""
    _clean_leftovers(root)
    space.free = _free_bytes(root)
    building = _generations_dir(root) / f"gen-{_next_generation_number(root):06d}.building"
    building.mkdir(parents=True)
    try:
        yield building
    except BaseException:
        try:
            live = current_generation(root).name
        except IndexError_:
            live = None
        for folder in (building, building.with_name(building.name.removesuffix(".building"))):
            if folder.name != live:
                shutil.rmtree(folder, ignore_errors=True)
        (root / "CURRENT.tmp").unlink(missing_ok=True)
        raise


# Posting blocks uncompressed: zlib at Whoosh's default level costs about a tenth of the indexing
# time and shows in query profiles (decompression), for an index a third larger.
# Segments stay separate files: Whoosh reads a compound segment through one memory map whose
# sub-files it copies out, so opening a 100,000-article index took 2.2 GB per server process.
WRITER_OPTIONS = {"codec": W3Codec(compression=0), "compound": False}


def _meta(sources: Iterable[str | Path], report: BuildReport, ix_doc_count: int) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "built_at": datetime.now(UTC).astimezone(DHAKA).isoformat(timespec="seconds"),
        # A folder name that is not UTF-8 is shown with U+FFFD: this file is UTF-8 text.
        "sources": [os.fsencode(Path(s).resolve()).decode("utf-8", "replace") for s in sources],
        "documents": ix_doc_count,
        "rejected": len(report.rejected),
        "duplicates": len(report.duplicates),
        "seconds": round(report.seconds, 2),
    }


def update(
    sources: Iterable[str | Path],
    root: str | Path,
    *,
    progress: Progress | None = None,
    hold: Collection[str] = (),
) -> BuildReport:
    """Bring the live index in line with `sources`: add new pages, re-index changed ones and
    remove those whose files are gone, in a new generation (same atomicity as a rebuild).
    `hold`: paths of pages still being written (search/watch.py), not read this time; the version
    indexed before, if any, stays."""
    root = Path(root)
    sources = [Path(s).resolve() for s in sources]
    started = time.monotonic()
    report = BuildReport()
    with (
        _said_when_out_of_space(root, "update") as space,
        write_lock(root),
        _new_generation(root, space) as building,
    ):
        live = current_generation(root)
        # Every byte it builds on, checked first: an update of damaged files would publish the
        # damage again, or fail in a traceback half-way (its file list is read, its index written).
        _raise_if_damaged(live, integrity.content_damage)
        # Whoosh never rewrites a file in place (new segments, new TOC), so hard links make the
        # copy instant and leave the live generation untouched.
        for f in live.path.iterdir():
            if f.name not in (META_FILE, FILES_FILE) and not f.name.endswith(".lock"):
                os.link(f, building / f.name)
        ix = index.open_dir(str(building))
        files = _read_files(live.path)
        scan = scan_sources(sources)
        on_disk = {str(p): p for p in scan.pages}
        # A page in a folder that cannot be listed now is not known to be gone: it stays.
        gone = [
            p for p in files if p not in on_disk and _under(p, sources) and not _under(p, scan.unreadable)
        ]
        fresh = [p for p in on_disk if p not in hold and files.get(p, (None,))[0] != _safe_fp(p)]
        # Which file holds each indexed article; SKIPPED marks files read but not indexed
        # (rejected, or a stale copy of another file's article).
        ids = {article_id: path for path, (_, article_id) in files.items() if article_id != SKIPPED}
        writer = ix.writer(limitmb=256, **WRITER_OPTIONS)
        try:
            for p in gone:
                article_id = files.pop(p)[1]
                if article_id != SKIPPED:
                    writer.delete_by_term("id", article_id)
                    ids.pop(article_id, None)
                report.removed += 1
            changed = {p for p in fresh if p in files}
            for p in changed:  # the old version goes, whether or not the new one reads
                article_id = files.pop(p)[1]
                if article_id != SKIPPED and ids.get(article_id) == p:
                    writer.delete_by_term("id", article_id)
                    del ids[article_id]
            with ix.searcher() as held:
                for article in _read_all((on_disk[p] for p in fresh), scan.links, report, progress):
                    doc = article_document(article)
                    held_path = ids.get(article.id)
                    if held_path is not None and not _fresher(article, held.document(id=article.id)):
                        files[doc["path"]] = (doc["fingerprint"], SKIPPED)  # the indexed copy stays
                        continue
                    if held_path is not None:  # this copy is fresher: it replaces the other file's
                        writer.delete_by_term("id", article.id)
                        files[held_path] = (files[held_path][0], SKIPPED)
                    report.changed += article.path in changed
                    report.added += article.path not in changed
                    writer.add_document(**doc)
                    files[doc["path"]] = (doc["fingerprint"], doc["id"])
                    ids[doc["id"]] = doc["path"]
            for path, _ in report.rejected:
                files[path] = (_safe_fp(path) or "", SKIPPED)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        report.rejected[:0] = scan.rejected  # not read, so not in the list: found again next time
        report.indexed = ix.doc_count()
        ix.close()
        _write_files(building, files)
        report.seconds = time.monotonic() - started
        meta = _meta(live.meta.get("sources", sources), report, ix_doc_count=report.indexed)
        meta["updated_from"] = live.name
        gen = _publish(root, building, meta)
        report.generation = gen.name
        _clean_leftovers(root)
    return report


# Path, fingerprint and id of every page read, what `update` compares: a JSON object per line, in
# ASCII (every other character escaped), so no file name can break a line, and the bytes of a name
# that are not UTF-8 (held as surrogates, os.fsdecode) come back as they were.
FILES_FILE = "files.jsonl"
SKIPPED = None  # the id of a file read but not indexed (rejected, or a duplicate): no name is None


def _fresher(article: Article, stored: dict | None) -> bool:
    """Whether `article` is more recently updated than the indexed copy `stored`."""
    if stored is None:
        return True
    held = stored.get("updated") or stored.get("published")
    mine = article.freshest
    if mine is None or held is None:
        return held is None and mine is not None
    return mine > datetime.fromisoformat(held)


def _write_files(folder: Path, files: dict[str, tuple[str, str | None]]) -> None:
    with open(folder / FILES_FILE, "w", encoding="ascii") as fh:
        for path, (fingerprint, article_id) in sorted(files.items()):
            fh.write(json.dumps({"path": path, "fingerprint": fingerprint, "id": article_id}) + "\n")


def _read_files(folder: Path) -> dict[str, tuple[str, str | None]]:
    """path → (fingerprint, id) of the pages a generation read (its checksums checked first)."""
    with open(folder / FILES_FILE, encoding="ascii") as fh:
        return {row["path"]: (row["fingerprint"], row["id"]) for row in map(json.loads, fh)}


def _under(path: str, folders: Iterable[str | Path]) -> bool:
    """Whether `path` is in one of `folders`, by its name: a link in a source folder is one of its
    entries wherever it leads."""
    return any(Path(path).is_relative_to(folder) for folder in folders)


def _safe_fp(path: str) -> str | None:
    try:
        return file_fingerprint(path)
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# Stats


def stats(root: str | Path) -> dict:
    """Documents, date range, desks, size, generation and build time of the live index."""
    gen = current_generation(root)
    ix = open_generation(gen)
    with ix.searcher() as s:
        desks = Counter(f.get("desk") or "" for f in s.all_stored_fields())
        dated = [f["published"] for f in s.all_stored_fields() if f.get("published")]
        documents = s.doc_count()
    size = sum(f.stat().st_size for f in gen.path.iterdir())
    return {
        "documents": documents,
        "generation": gen.name,
        "built_at": gen.built_at,
        "size_bytes": size,
        "oldest": min(dated) if dated else None,
        "newest": max(dated) if dated else None,
        "desks": desks.most_common(),
        "sources": gen.meta.get("sources", []),
    }
