"""BM25F scoring over the index's postings, cached per term, for one index generation.

Whoosh's matcher tree scores every matching document in pure Python on every query; news queries
are short lists of common words, so caching each term's per-document scores once, as numpy arrays,
makes a query a few vectorized sums. Whoosh still owns the postings, lengths and phrase positions.

One concern, a term's numbers for one generation (its scores, postings and positions, cached), in
one module: phrase checks read the positions cache that the scores' block layout fills.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import OrderedDict
from itertools import chain

import numpy as np

from search.policy import FIELD_WEIGHT, K1, B
from search.whoosh_store.postings import PostingBlocks, field_lengths, live_documents, read_block

# Cached per-term scores, bounded by entries (12 bytes each): 10M entries is about 120 MB.
CACHE_ENTRIES = 10_000_000


# Postings of the most frequent words kept read (docnums and term frequencies, 8 bytes a posting),
# filled by `TermScorer.keep` when a server warms up: 20M is about 160 MB. Their scores are then
# a few array operations away, never a read of the index, however often the score cache drops them.
KEPT_ENTRIES = 20_000_000


# Positions cached, counting each document and each position as one (about 50 bytes each as Python
# tuples in dicts: 2M is about 100 MB).
CACHE_POSITIONS = 2_000_000


class TermScores:
    """A term's BM25F contributions: documents in ascending order (int32) and their scores (float64),
    as numpy arrays: compact (a dict would take ten times the memory for a common word), and a
    query adds them into its accumulators in one vectorized step."""

    __slots__ = ("docs", "values", "layout")

    def __init__(self, docs: np.ndarray, values: np.ndarray, layout: BlockLayout | None = None):
        self.docs = docs
        self.values = values
        self.layout = layout  # where the term's posting blocks are, when read from the index

    @classmethod
    def empty(cls) -> TermScores:
        return cls(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self):
        return iter(self.docs.tolist())

    def items(self):
        """(document, score) pairs as Python numbers."""
        return zip(self.docs.tolist(), self.values.tolist(), strict=True)

    def get(self, doc: int) -> float | None:
        i = int(np.searchsorted(self.docs, doc))
        return float(self.values[i]) if i < len(self.docs) and self.docs[i] == doc else None


class BlockLayout:
    """Where a term's posting blocks lie: each block's last docnum (blocks ascend, leaf after leaf)
    and the leaf and file offset it is read from. Recorded while the term's scores are computed (a
    block is about a hundred postings, so this is small): the positions of a document known to
    hold the term are then read from its block directly, without walking the blocks before it."""

    __slots__ = ("last", "leaf", "offset")

    def __init__(self, last: list[int], leaf: list[int], offset: list[int]):
        self.last = np.array(last, dtype=np.int64)
        self.leaf = np.array(leaf, dtype=np.int32)  # index into TermScorer.leaves
        self.offset = np.array(offset, dtype=np.int64)  # in the leaf's postings file


class DocPositions:
    """Where a term stands in some of the documents of a field, filled in as queries ask for them:
    document → positions, or an empty tuple for a document known not to hold the term."""

    __slots__ = ("found", "size")

    def __init__(self) -> None:
        self.found: dict[int, tuple[int, ...]] = {}
        self.size = 0  # documents plus positions recorded: what the cache is bounded by


class SizedLRU:
    """A least-recently-used cache bounded by the summed size of its values, not their count:
    a common word's postings weigh a thousand rare ones'. Every entry weighs at least 1, so
    lookups that found nothing (a hostile query's made-up words) are bounded too."""

    def __init__(self, capacity: int, size_of):
        self.capacity = capacity
        self.size_of = lambda value: max(1, size_of(value))
        self._items: OrderedDict = OrderedDict()  # key -> (value, the weight counted for it)
        self._held = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0  # lookups so far, for /metrics (web/operations.py)

    def __len__(self) -> int:
        return len(self._items)

    def get_or_compute(self, key, compute):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return hit[0]
            self.misses += 1
        value = compute()  # outside the lock: other keys need not wait
        with self._lock:
            if key in self._items:  # another thread put it first: share that one
                return self._items[key][0]
            weight = self.size_of(value)
            self._items[key] = (value, weight)
            self._held += weight
            self._evict()
        return value

    def grew(self, key, value) -> None:
        """Account for `value`, cached under `key`, having grown in place."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] is not value:
                return  # dropped meanwhile: nothing to account for
            weight = self.size_of(value)
            self._items[key] = (value, weight)
            self._held += weight - entry[1]
            self._evict()

    def _evict(self) -> None:
        while self._held > self.capacity and len(self._items) > 1:
            _, (_, weight) = self._items.popitem(last=False)
            self._held -= weight


def held_in(docs: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Which of `asked` are among `docs` (ascending), as a mask: a binary search for each of the
    few asked, where `np.isin` would sort the tens of thousands of a common word's documents."""
    at = np.searchsorted(docs, asked)
    found = at < len(docs)
    found[found] = docs[at[found]] == asked[found]
    return found


# Documents whose phrase positions are checked at once: the step at which a work budget may stop.
PHRASE_BATCH = 256


# Up to this many documents, phrase positions are checked with Python sets (see `_phrase_in`).
FEW_DOCS = 64


class WorkBudget:
    """How much position work one request may do (positions read plus phrase starts checked).

    Phrases of very common words would otherwise cost seconds: work stops once the budget is
    spent, the request answers with what it verified, and `stopped` says the answer is partial.
    """

    def __init__(self, units: int):
        self.left = units
        self.stopped = False  # work was left undone for want of budget: the answer is partial

    def spend(self, units: int) -> None:
        self.left -= units

    @property
    def exhausted(self) -> bool:
        return self.left <= 0


class TermScorer:
    """Per-document BM25F contributions of a term in a field, for one generation's reader."""

    def __init__(self, reader, leaves: list[tuple[object, int]]):
        self.reader = reader
        self.leaves = leaves  # (segment reader, first docnum): walking leaves skips a wrapper
        self.doc_count_all = reader.doc_count_all()  # docnums run below this, deleted ones included
        self.doc_count = max(self.doc_count_all, 1)
        # Which docnums are not deleted, when some are: postings read a block at a time include
        # the deleted documents of their segment.
        self._live: np.ndarray | None = None
        if reader.has_deletions():
            self._live = np.zeros(self.doc_count_all, dtype=bool)
            self._live[live_documents(leaves)] = True
        # Per document and field, BM25's length normalization K1 * (1 - b + b * length / avg).
        self._norm: dict[str, np.ndarray] = {}
        for field in FIELD_WEIGHT:
            avg, b = (reader.field_length(field) / self.doc_count) or 1.0, B[field]
            lengths = field_lengths(leaves, field)
            self._norm[field] = K1 * (1 - b + b * lengths / avg)
        # An entry weighs its postings plus what an empty one costs (arrays and object, ~200
        # bytes): a hostile query's made-up words are bounded like postings.
        self._scores = SizedLRU(CACHE_ENTRIES, lambda scores: len(scores) + 16)
        # (field, term) → (docnums, term frequencies as float32, layout): see KEPT_ENTRIES.
        self._kept: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, BlockLayout | None]] = {}
        self.kept_entries = 0
        self._positions = SizedLRU(CACHE_POSITIONS, lambda known: known.size)
        self._positions_lock = threading.Lock()
        self._doc_frequency: dict[tuple[str, str], int] = {}  # terms the index holds only: bounded

    def caches(self) -> dict[str, SizedLRU]:
        """The caches, by name, for their hit and miss counts."""
        return {"scores": self._scores, "positions": self._positions}

    def scores(self, field: str, term: str) -> TermScores:
        """Per-document BM25F contributions of `term` in `field`, computed once and cached."""
        return self._scores.get_or_compute((field, term), lambda: self._compute(field, term))

    def group_scores(self, field: str, spellings: tuple[tuple[str, float], ...]) -> TermScores:
        """BM25F contributions of several spellings of one word scored as one term: a document's
        frequency is the weighted sum of theirs, the document frequency that of any of them.
        So the spelling a reader typed is not scored up for being the rarer one (the archive's
        usual spelling would lose to it on idf alone); the weights put it first."""
        key = (field, spellings)
        return self._scores.get_or_compute(key, lambda: self._compute_group(field, spellings))

    def _compute_group(self, field: str, spellings: tuple[tuple[str, float], ...]) -> TermScores:
        frequency = np.zeros(self.doc_count_all)
        holds = np.zeros(self.doc_count_all, dtype=bool)
        for term, weight in spellings:
            docs, tf, _ = self._postings(field, term)
            frequency[docs] += weight * tf.astype(np.float64)
            holds[docs] = True
        docs = np.flatnonzero(holds).astype(np.int32)
        return TermScores(docs, self._bm25(field, docs, frequency[docs], len(docs)))

    def keep(self, field: str, term: str) -> int:
        """Read `term`'s postings in `field` now and keep them (see KEPT_ENTRIES), as long as
        fewer than KEPT_ENTRIES are kept; returns how many postings it has."""
        key = (field, term)
        if key not in self._kept and self.kept_entries < KEPT_ENTRIES:
            docs, tf, layout = self._read(field, term)
            narrow = tf.astype(np.float32)
            if np.array_equal(narrow, tf):  # Whoosh stores weights as float32: always so
                tf = narrow
            self._kept[key] = (docs, tf, layout)
            self.kept_entries += len(docs)
        return len(self._kept[key][0]) if key in self._kept else 0

    def _compute(self, field: str, term: str) -> TermScores:
        docs, tf, layout = self._postings(field, term)
        values = self._bm25(field, docs, tf.astype(np.float64), self.doc_frequency(field, term))
        return TermScores(docs, values, layout)

    def _postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray, BlockLayout | None]:
        """A term's documents, frequencies and block layout: kept ones (see `keep`) or read."""
        kept = self._kept.get((field, term))
        return kept if kept is not None else self._read(field, term)

    def _bm25(self, field: str, docs: np.ndarray, tf: np.ndarray, df: int) -> np.ndarray:
        """BM25F contributions of a term with frequencies `tf` in `docs` and document frequency
        `df`: the operations in the order the scalar form evaluates them, so every score is the
        same float as computed one document at a time."""
        idf = math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))
        return FIELD_WEIGHT[field] * idf * tf * (K1 + 1) / (tf + self._norm[field][docs])

    def _read(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray, BlockLayout | None]:
        """A term's postings in a field, from the index: docnums (int32, ascending, deleted
        documents left out), term frequencies (float64) and where its posting blocks lie."""
        if (field, term) not in self.reader:
            return np.zeros(0, dtype=np.int32), np.zeros(0), None
        docs: list[np.ndarray] = []
        tfs: list[float] = []
        last: list[int] = []
        leaves: list[int] = []
        offsets: list[int] = []
        whole = True
        for index, (leaf, offset) in enumerate(self.leaves):
            if (field, term) not in leaf:
                continue
            ids: list[int] = []
            blocks = PostingBlocks(leaf.postings(field, term))
            whole = whole and blocks.whole
            while blocks.active():
                if whole:
                    last.append(blocks.max_id() + offset)
                    leaves.append(index)
                    offsets.append(blocks.position)
                ids.extend(blocks.ids())
                tfs.extend(blocks.weights())
                blocks.next()
            docs.append(np.array(ids, dtype=np.int32) + offset)
        found = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        tf = np.array(tfs, dtype=np.float64)
        if self._live is not None:
            keep = self._live[found]
            found, tf = found[keep], tf[keep]
        return found, tf, BlockLayout(last, leaves, offsets) if whole else None

    def postings_docs(self, field: str, term: str) -> list[int]:
        """The documents holding `term` in `field` (not cached: for rare keyword terms)."""
        docs: list[int] = []
        for leaf, offset in self.leaves:
            if (field, term) in leaf:
                docs.extend(d + offset for d in leaf.postings(field, term).all_ids())
        return docs

    def positions_in(self, field: str, term: str, docs: list[int]) -> dict[int, tuple[int, ...]]:
        """Where `term` stands in `field` of each of `docs` (ascending) that holds it.

        Decoded for those documents only, and cached per document: a common word's postings run to
        tens of thousands of documents, of which a query checks a few hundred. Threads may decode
        the same document at once (the same answer); the cached entry grows under a lock.
        """
        key = (field, term)
        known = self._positions.get_or_compute(key, DocPositions)
        missing = [d for d in docs if d not in known.found]
        if missing:
            decoded = self._decode_positions(field, term, missing)
            with self._positions_lock:
                for d in missing:
                    if d not in known.found:
                        where = decoded.get(d, ())
                        known.found[d] = where
                        known.size += 1 + len(where)
            self._positions.grew(key, known)
        found = known.found
        return {d: found[d] for d in docs if found[d]}

    def _decode_positions(self, field: str, term: str, docs: list[int]) -> dict[int, tuple[int, ...]]:
        """Positions of `term` in those of `docs` (ascending) holding it.

        The term's (cached) scores list the documents holding it and its layout where its posting
        blocks lie: only the blocks holding asked-for documents that hold the term are read, each
        straight from its offset."""
        scores = self.scores(field, term)
        layout = scores.layout
        if layout is None:  # postings not read a block at a time (inlined in the term's entry)
            return self._walk_positions(field, term, docs)
        asked = np.asarray(docs, dtype=np.int64)
        asked = asked[held_in(scores.docs, asked)]
        found: dict[int, tuple[int, ...]] = {}
        decode = self.reader.schema[field].format.decoder("positions")
        at, base, ids, values = -1, 0, (), ()
        for d, b in zip(asked.tolist(), np.searchsorted(layout.last, asked).tolist(), strict=True):
            if b != at:
                leaf, base = self.leaves[int(layout.leaf[b])]
                at, (ids, values) = b, read_block(leaf, int(layout.offset[b]))
            found[d] = tuple(decode(values[bisect_left(ids, d - base)]))
        return found

    def _walk_positions(self, field: str, term: str, docs: list[int]) -> dict[int, tuple[int, ...]]:
        """`_decode_positions` for postings without a recorded layout: blocks of postings with
        no document asked for are skipped unread, and only the asked-for postings are decoded."""
        found: dict[int, tuple[int, ...]] = {}
        decode = self.reader.schema[field].format.decoder("positions")
        if self._live is not None:  # blocks read whole list deleted documents too
            docs = [d for d in docs if self._live[d]]
        for leaf, offset in self.leaves:
            if (field, term) not in leaf:
                continue
            end = offset + leaf.doc_count_all()
            wanted = [d - offset for d in docs if offset <= d < end]
            blocks, k = PostingBlocks(leaf.postings(field, term)), 0
            while k < len(wanted) and blocks.active():
                if wanted[k] <= blocks.max_id():
                    ids, values = blocks.ids(), None
                    while k < len(wanted) and wanted[k] <= ids[-1]:
                        i = bisect_left(ids, wanted[k])
                        if ids[i] == wanted[k]:
                            values = values if values is not None else blocks.values()
                            found[wanted[k] + offset] = tuple(decode(values[i]))
                        k += 1
                blocks.next()
        return found

    def doc_frequency(self, field: str, term: str) -> int:
        key = (field, term)
        df = self._doc_frequency.get(key)
        if df is None:
            df = self.reader.doc_frequency(field, term)
            if df:  # a word the index lacks is not kept: queries can make up any number of them
                self._doc_frequency[key] = df
        return df

    def phrase_docs(
        self, field: str, words: list[str], candidates=None, budget: WorkBudget | None = None
    ) -> set[int]:
        """Which `candidates` (all documents when None) hold `words` consecutively in `field`.

        Only documents holding every word can hold the phrase: which do is read from the words'
        scores (cached) before any position is decoded. They are then checked a batch at a time,
        each batch to the end, so that a `budget` running out leaves every document returned
        truly holding the phrase (and the budget saying, `stopped`, that the answer is partial).
        """
        distinct = sorted(set(words), key=lambda w: self.doc_frequency(field, w))
        remaining = None if candidates is None else _distinct_sorted(np.asarray(candidates, dtype=np.int64))
        for word in distinct:
            held = self.scores(field, word).docs
            remaining = held.astype(np.int64) if remaining is None else remaining[held_in(held, remaining)]
        found: set[int] = set()
        remaining = remaining.tolist() if remaining is not None else []
        for at in range(0, len(remaining), PHRASE_BATCH):
            if budget is not None and budget.exhausted:
                budget.stopped = True
                break
            found |= self._phrase_in(field, words, distinct, remaining[at : at + PHRASE_BATCH], budget)
        return found

    def _phrase_in(
        self, field: str, words: list[str], by_rarity: list[str], docs: list[int], budget: WorkBudget | None
    ) -> set[int]:
        """Which of `docs` (ascending, each holding every word) hold `words` consecutively.

        Where the phrase could start comes from the rarest word's positions; each further word,
        rarest first, keeps the starts where it stands at each of its places in the phrase, and
        a document with no start left is dropped: later words' positions are read only for the
        documents still in the running, and a word repeated many times costs a lookup per
        surviving start, not a pass over its positions per repetition. A few documents (the
        proximity bonus's candidates) are checked with Python sets, many with numpy arrays:
        numpy's cost per call outweighs its speed below FEW_DOCS.
        """
        places: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            places.setdefault(word, []).append(i)
        check = self._starts_in_sets if len(docs) <= FEW_DOCS else self._starts_in_arrays
        found, work = check(field, places, by_rarity, docs)
        if budget is not None:
            budget.spend(work)
        return set(found)

    def _starts_in_arrays(
        self, field: str, places: dict[str, list[int]], by_rarity: list[str], docs: list[int]
    ) -> tuple[list[int], int]:
        """`_phrase_in` over sorted position keys (document << 32 | position), a binary search per
        start; returns the documents holding the phrase and the work done."""
        starts: np.ndarray | None = None
        work = 0
        for word in by_rarity:
            if not docs:
                break
            keys = _position_keys(self.positions_in(field, word, docs), docs)
            work += len(keys)
            for i in places[word]:
                if starts is None:  # the rarest word: every start its positions allow
                    starts = keys[(keys & _POSITION_MASK) >= i] - i
                else:
                    starts = starts[held_in(keys, starts + i)]
            work += len(starts)
            docs = _distinct_sorted(starts >> 32).tolist()
        return docs, work

    def _starts_in_sets(
        self, field: str, places: dict[str, list[int]], by_rarity: list[str], docs: list[int]
    ) -> tuple[list[int], int]:
        """`_phrase_in` with a set of starts per document; the same answer as `_starts_in_arrays`."""
        starts: dict[int, set[int]] | None = None
        work = 0
        for word in by_rarity:
            if not docs:
                break
            where = self.positions_in(field, word, docs)
            still: dict[int, set[int]] = {}
            for d in docs:
                here = where.get(d, ())
                work += len(here)
                if starts is None:  # the rarest word: every start its first place allows
                    first, rest = places[word][0], places[word][1:]
                    possible = {p - first for p in here if p >= first}
                else:
                    possible, rest = starts[d], places[word]
                if rest:
                    stands = set(here)
                    possible = {s for s in possible if all(s + i in stands for i in rest)}
                work += len(possible)
                if possible:
                    still[d] = possible
            starts, docs = still, list(still)
        return docs, work


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: without sorting when they come sorted (as they mostly do)."""
    if len(values) < 2:
        return values
    if not (values[1:] >= values[:-1]).all():
        values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


# A position key: the document in the high 32 bits, the position in the low (positions < 2**32).
_POSITION_MASK = (1 << 32) - 1


def _position_keys(where: dict[int, tuple[int, ...]], docs: list[int]) -> np.ndarray:
    """Every position of `where` (document -> positions, each ascending) as one sorted array of
    document << 32 | position, the documents taken in the (ascending) order of `docs`."""
    found = [d for d in docs if d in where]
    counts = [len(where[d]) for d in found]
    positions = np.fromiter(chain.from_iterable(where[d] for d in found), dtype=np.int64, count=sum(counts))
    return (np.repeat(np.array(found, dtype=np.int64), counts) << 32) | positions
