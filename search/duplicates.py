"""Near-duplicate signatures: the same story under two file names (syndicated copies, re-crawls
with small edits) is found at index time and folded in results.

A body's 4-grams of whitespace-separated words are hashed (each word's CRC-32, mixed four at a
time) and split by hash into 12 slots; the minimum of each slot is the signature (one-permutation
MinHash). Two bodies agree in a slot with probability about their Jaccard similarity J. Articles
sharing one of 4 bands of 3 slots are candidates (looked up through the index); they are
near-duplicates when at least 9 of the 12 slots agree, J ≳ 0.75, so a shared paragraph does not
make two stories one.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SHINGLE = 4
SLOTS = 12
BANDS = 4
ROWS = SLOTS // BANDS
AGREE = 9  # slots that must agree for two signatures to be near-duplicates
_EMPTY = 0xFFFFFFFF + 1  # a slot no shingle fell into: agrees with nothing


class _WordHashes(dict):
    """word -> CRC-32 of its lower case, computed once per distinct word: stable across processes
    (signatures are stored), unlike Python's salted hash()."""

    def __missing__(self, word: str) -> int:
        value = self[word] = zlib.crc32(word.lower().encode("utf-8"))
        return value


_word_hashes = _WordHashes()
_WORD_HASHES_LIMIT = 300_000  # about 100 bytes an entry; cleared when full
# Odd 64-bit multipliers (from xxHash and MurmurHash3) weigh the 4 words of a shingle differently,
# so word order counts; MurmurHash3's finalizer then spreads every input bit over the high 32 bits.
_SHINGLE_WEIGHTS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64
)
_FINALIZER = np.uint64(0xFF51AFD7ED558CCD)


def signature(text: str) -> tuple[int, ...]:
    words = text.split()  # punctuation stays on its word: copies keep theirs too
    slots = np.full(SLOTS, _EMPTY, dtype=np.uint64)
    if not words:
        return tuple(slots.tolist())
    if len(_word_hashes) > _WORD_HASHES_LIMIT:
        _word_hashes.clear()
    word_hashes = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint64, count=len(words))
    count = max(1, len(words) - SHINGLE + 1)  # a text shorter than a shingle is one shingle
    if len(words) < SHINGLE:
        word_hashes = np.concatenate([word_hashes, np.zeros(SHINGLE - len(words), dtype=np.uint64)])
    # Arithmetic on uint64 arrays wraps around: the hash is modulo 2**64, as intended.
    mixed = word_hashes[:count] * _SHINGLE_WEIGHTS[0]
    for i in range(1, SHINGLE):
        mixed += word_hashes[i : i + count] * _SHINGLE_WEIGHTS[i]
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


def encode(sig: tuple[int, ...]) -> bytes:
    return struct.pack(f"<{len(sig)}Q", *sig)


def decode(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 8}Q", data) if data else ()


def near_duplicates(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    if len(a) != SLOTS or len(b) != SLOTS:
        return False
    return sum(x == y and x != _EMPTY for x, y in zip(a, b, strict=True)) >= AGREE
