"""BM25F scoring over the index's postings, cached per term, for one index generation.

Whoosh's matcher tree scores every matching document in pure Python on every query; news queries
are short lists of common words, so caching each term's per-document score once makes a query a
few set unions and dict sums. Whoosh still owns the postings, lengths and phrase positions.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

# BM25 parameters: K1 saturates term frequency, B normalizes for field length. Headlines are
# short and near-uniform, so they get less length normalization.
K1 = 1.2
B = {"title": 0.5, "body": 0.75, "lead": 0.75}
# Field weights: a word in the headline says more than one in the body; the lead paragraph holds
# the key facts of a news story.
FIELD_WEIGHT = {"title": 4.0, "body": 1.0, "lead": 0.5}
CACHE_TERMS = 50_000


class TermScorer:
    """Per-document BM25F contributions of a term in a field, for one generation's reader."""

    def __init__(self, reader, leaves: list[tuple[object, int]]):
        self.reader = reader
        self.leaves = leaves  # (segment reader, first docnum): walking leaves skips a wrapper
        self.doc_count = max(reader.doc_count_all(), 1)
        self._lengths: dict[str, list[int]] = {}
        self._avg: dict[str, float] = {}
        for field in FIELD_WEIGHT:
            total = reader.field_length(field)
            self._avg[field] = (total / self.doc_count) or 1.0
            self._lengths[field] = [
                reader.doc_field_length(d, field, 0) for d in range(reader.doc_count_all())
            ]
        self._cache: OrderedDict[tuple[str, str], dict[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def scores(self, field: str, term: str) -> dict[int, float]:
        key = (field, term)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        computed = self._compute(field, term)
        with self._lock:
            self._cache[key] = computed
            if len(self._cache) > CACHE_TERMS:
                self._cache.popitem(last=False)
        return computed

    def _compute(self, field: str, term: str) -> dict[int, float]:
        reader = self.reader
        if (field, term) not in reader:
            return {}
        df = reader.doc_frequency(field, term)
        idf = math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))
        weight, b, avg = FIELD_WEIGHT[field], B[field], self._avg[field]
        lengths = self._lengths[field]
        out: dict[int, float] = {}
        for leaf, offset in self.leaves:
            if (field, term) not in leaf:
                continue
            m = leaf.postings(field, term)
            while m.is_active():
                doc = m.id() + offset
                tf = m.weight()
                norm = K1 * (1 - b + b * lengths[doc] / avg)
                out[doc] = weight * idf * tf * (K1 + 1) / (tf + norm)
                m.next()
        return out
