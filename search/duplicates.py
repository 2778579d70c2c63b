"""Near-duplicate signatures: the same story under two file names (syndicated copies, re-crawls
with small edits) is found at index time and folded in results.

A body's 4-grams of whitespace-separated words are hashed (each word's hash, mixed four at a
time) and split by hash into 12 slots; the minimum of each slot is the signature (one-permutation
MinHash). Two bodies agree in a slot with probability about their Jaccard similarity J. Articles
sharing one of 4 bands of 3 slots are candidates (looked up through the index); they are
near-duplicates when at least 9 of the 12 slots agree, J ≳ 0.75, so a shared paragraph does not
make two stories one.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol, TypeVar

import numpy as np

SHINGLE = 4
SLOTS = 12
BANDS = 4
ROWS = SLOTS // BANDS
AGREE = 9  # slots that must agree for two signatures to be near-duplicates
_EMPTY = 0xFFFFFFFF + 1  # a slot no shingle fell into: agrees with nothing


# Words are hashed straight from the text's code points, with no Python step per word: a word's
# hash is the polynomial sum of its code points, c0 + c1·B + c2·B² + … modulo 2**64, got for
# every word at once from running sums over the whole text. Stable across processes (signatures
# are stored), unlike Python's salted hash().
_BASE = 0x100000001B3  # FNV-1's 64-bit prime: odd, so B has an inverse modulo 2**64
# B**i and B**-i for i below the longest text met so far, up to _KEPT_POWERS characters (a news
# body is a few thousand; a longer text gets tables of its own, not kept).
_power_tables_kept = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))
_KEPT_POWERS = 1 << 18
# What str.split() splits at (str.isspace), by code point; none lies above U+3000, so the last
# entry (U+3001, not a space) stands for every code point from there on.
_SPACES = np.array([chr(c).isspace() for c in range(0x3002)])
# Odd 64-bit multipliers (from xxHash and MurmurHash3) weigh the 4 words of a shingle differently,
# so word order counts; MurmurHash3's finalizer then spreads every input bit over the high 32 bits.
_SHINGLE_WEIGHTS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64
)
_FINALIZER = np.uint64(0xFF51AFD7ED558CCD)


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    global _power_tables_kept
    powers, inverse_powers = _power_tables_kept  # one tuple: threads never see a mixed pair
    if len(powers) < n:
        size = max(n, min(2 * len(powers), _KEPT_POWERS), 1 << 14)
        powers = _running_powers(_BASE, size)
        inverse_powers = _running_powers(pow(_BASE, -1, 2**64), size)
        if size <= _KEPT_POWERS:
            _power_tables_kept = (powers, inverse_powers)
    return powers[:n], inverse_powers[:n]


def _running_powers(base: int, size: int) -> np.ndarray:
    factors = np.full(size, base, dtype=np.uint64)
    factors[0] = 1
    return np.cumprod(factors)  # wraps modulo 2**64, as intended


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash of each whitespace-separated word of `text`, lower-cased, in order."""
    codes = np.frombuffer(text.lower().encode("utf-32-le"), dtype="<u4").astype(np.uint32)
    in_word = ~_SPACES[np.minimum(codes, len(_SPACES) - 1)]
    starts = (in_word[1:] > in_word[:-1]).nonzero()[0] + 1
    if len(codes) and in_word[0]:
        starts = np.concatenate(([0], starts))
    if not len(starts):
        return np.zeros(0, dtype=np.uint64)
    powers, inverse_powers = _power_tables(len(codes))
    weighted = codes * powers
    weighted[~in_word] = 0  # a word's sum runs to the next word's start: spaces add nothing
    # Each word's sum, moved back to start at power 0: the same word hashes the same anywhere.
    return np.add.reduceat(weighted, starts) * inverse_powers[starts]


def signature(text: str) -> tuple[int, ...]:
    words = word_hashes(text)  # punctuation stays on its word: copies keep theirs too
    slots = np.full(SLOTS, _EMPTY, dtype=np.uint64)
    if not len(words):
        return tuple(slots.tolist())
    count = max(1, len(words) - SHINGLE + 1)  # a text shorter than a shingle is one shingle
    if len(words) < SHINGLE:
        words = np.concatenate([words, np.zeros(SHINGLE - len(words), dtype=np.uint64)])
    # Arithmetic on uint64 arrays wraps around: the hash is modulo 2**64, as intended.
    mixed = words[:count] * _SHINGLE_WEIGHTS[0]
    for i in range(1, SHINGLE):
        mixed += words[i : i + count] * _SHINGLE_WEIGHTS[i]
    mixed ^= mixed >> np.uint64(33)
    mixed *= _FINALIZER
    mixed ^= mixed >> np.uint64(33)
    hashes = mixed >> np.uint64(32)
    np.minimum.at(slots, hashes % np.uint64(SLOTS), hashes)  # the smallest hash of each slot
    return tuple(slots.tolist())


def band_keys(sig: tuple[int, ...]) -> list[str]:
    """One index key per band of slots that are all filled; sharing a key makes a candidate."""
    keys = []
    for band in range(BANDS):
        part = sig[band * ROWS : (band + 1) * ROWS]
        if _EMPTY not in part:
            keys.append(f"b{band}_{zlib.crc32(repr(part).encode()):08x}")
    return keys


def near_duplicate_pairs(signatures: np.ndarray) -> np.ndarray:
    """Every pair (i, j), i < j, of rows of `signatures` (one signature per row, SLOTS uint64
    each) that are near-duplicates: candidates share a band whose slots are all filled (rows
    grouped by band with numpy, not a key per band in Python), confirmed on the whole
    signature as `near_duplicates` confirms them. A row of another width (none) matches nothing."""
    if signatures.ndim != 2 or signatures.shape[1] != SLOTS or len(signatures) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    candidates = []
    for band in range(BANDS):
        part = np.ascontiguousarray(signatures[:, band * ROWS : (band + 1) * ROWS])
        rows = np.flatnonzero((part != _EMPTY).all(axis=1))
        if len(rows) < 2:
            continue
        # Equal bands as equal byte strings: sort the rows' bands, then runs of equals are groups.
        keys = part[rows].view(np.dtype((np.void, part.dtype.itemsize * ROWS))).ravel()
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        bounds = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1], [True])))
        for at in np.flatnonzero(np.diff(bounds) > 1):  # groups of two or more: few
            group = np.sort(rows[bounds[at] : bounds[at + 1]])
            i, j = np.triu_indices(len(group), k=1)
            candidates.append(np.stack([group[i], group[j]], axis=1))
    if not candidates:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(candidates), axis=0)
    a, b = signatures[pairs[:, 0]], signatures[pairs[:, 1]]
    agree = ((a == b) & (a != _EMPTY)).sum(axis=1) >= AGREE
    return pairs[agree].astype(np.int64)


def signature_rows(encoded: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Signatures as `encode` wrote them, a row of bytes each, as a row of SLOTS uint64 each for
    `near_duplicate_pairs`; a row not `usable` (no signature, a deleted document) matches none."""
    rows = encoded.view("<u8").astype(np.uint64).reshape(len(encoded), SLOTS)
    rows[~usable] = _EMPTY
    return rows


def encode(sig: tuple[int, ...]) -> bytes:
    return struct.pack(f"<{len(sig)}Q", *sig)


def decode(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 8}Q", data) if data else ()


def near_duplicates(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    if len(a) != SLOTS or len(b) != SLOTS:
        return False
    return sum(x == y and x != _EMPTY for x, y in zip(a, b, strict=True)) >= AGREE


class Copy(Protocol):
    """A page as deduplication sees it: its article id, the digest of its body text, and a rank
    (higher: more recently updated, the copy to keep)."""

    id: str
    digest: str
    rank: tuple


PageT = TypeVar("PageT", bound=Copy)


def copies_to_drop(pages: Sequence[PageT], place: Callable[[PageT], Hashable]) -> list[tuple[PageT, str]]:
    """The copies to drop so that one page per article id and per body text stays: the most
    recently updated one. `place` tells pages apart (a path, a line of a spool file). Returns
    (dropped page, id of the copy kept); both stores build with it."""
    dropped: list[tuple[PageT, str]] = []
    for key in ("id", "digest"):
        best: dict[str, PageT] = {}
        for page in pages:
            held = best.get(getattr(page, key))
            if held is None or page.rank > held.rank:
                best[getattr(page, key)] = page
        kept = {place(p) for p in best.values()}
        dropped += [(p, best[getattr(p, key)].id) for p in pages if place(p) not in kept]
        pages = [p for p in pages if place(p) in kept]
    return dropped
