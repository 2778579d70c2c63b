"""Near-duplicate signatures: the same story under two file names (syndicated copies, re-crawls
with small edits) is found at index time and folded in results.

A body's 4-grams of whitespace-separated words are hashed once each (CRC-32) and split by hash
into 12 slots; the minimum of each slot is the signature (one-permutation MinHash). Two bodies
agree in a slot with probability about their Jaccard similarity J. Articles sharing one of 4
bands of 3 slots are candidates (looked up through the index); they are near-duplicates when at
least 9 of the 12 slots agree, J ≳ 0.75, so a shared paragraph does not make two stories one.
"""

from __future__ import annotations

import struct
import zlib
from itertools import accumulate

SHINGLE = 4
SLOTS = 12
BANDS = 4
ROWS = SLOTS // BANDS
AGREE = 9  # slots that must agree for two signatures to be near-duplicates
_EMPTY = 0xFFFFFFFF + 1  # a slot no shingle fell into: agrees with nothing


def signature(text: str) -> tuple[int, ...]:
    words = text.lower().split()  # punctuation stays on its word: copies keep theirs too
    slots = [_EMPTY] * SLOTS
    if not words:
        return tuple(slots)
    # Shingles are hashed straight from one UTF-32 buffer of the words (4 bytes a character), so
    # each costs one C call and no string is built.
    buffer = memoryview(" ".join(words).encode("utf-32-le"))
    starts = list(accumulate((len(w) + 1 for w in words), initial=0))  # char offset of each word
    ends = [x - 1 for x in starts[SHINGLE:]] or [starts[-1] - 1]
    hashes = sorted({zlib.crc32(buffer[4 * a : 4 * b]) for a, b in zip(starts, ends, strict=False)})
    # The smallest hash of each slot: walking the sorted hashes fills the slots in a few steps.
    missing = SLOTS
    for h in hashes:
        slot = h % SLOTS
        if slots[slot] == _EMPTY:
            slots[slot] = h
            missing -= 1
            if not missing:
                break
    return tuple(slots)


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
