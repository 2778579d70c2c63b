"""Bangla analysis for Sandhan: the one analyzer that indexing and querying share, and its parts.

`bangla_analyzer()` composes tokenizer | normalizer | stopword marker | stemmer; see each module.
"""

from __future__ import annotations

from whoosh.analysis import CompositeAnalyzer

from search.analysis.normalize import BanglaNormalizer, normalize_text, normalize_word
from search.analysis.stemmer import BanglaStemmer, stem
from search.analysis.stopwords import BanglaStopFilter, is_stopword
from search.analysis.tokenizer import BanglaTokenizer, word_spans

__all__ = [
    "BanglaNormalizer",
    "BanglaStemmer",
    "BanglaStopFilter",
    "BanglaTokenizer",
    "analyze",
    "bangla_analyzer",
    "add_index_terms",
    "index_terms",
    "is_stopword",
    "normalize_text",
    "stem",
]


def bangla_analyzer(
    keep_surface: bool = False, stemming: bool = True, use_overrides: bool = True
) -> CompositeAnalyzer:
    """A fresh analyzer for the title and body fields, the same at index and query time.

    Tokens carry `pos`, `startchar`/`endchar` into the original text when asked, and a boolean
    `stopword` (stopwords are indexed; the query builder decides whether to drop them). The
    defaults are the measured best on the dev queries (bench/eval_dev.py, MRR@10 over all):
    stemming 0.962 vs 0.835 without; `keep_surface` 0.960, no gain for a larger index;
    `use_overrides` 0.962 vs 0.964 without, kept because it stops wrong merges (ভারতে is not
    ভার + -তে) that the 280 queries barely meet.
    """
    chain = BanglaTokenizer() | BanglaNormalizer() | BanglaStopFilter()
    if stemming:
        chain = chain | BanglaStemmer(keep_surface=keep_surface, use_overrides=use_overrides)
    return chain


_default = bangla_analyzer()


def analyze(text: str, mode: str = "index") -> list[str]:
    """The token texts the default analyzer produces for `text`, in order."""
    return [t.text for t in _default(text, mode=mode)]


# Whitespace-separated chunk of text -> the index terms of its words, "" for a word that
# normalization empties (it still takes a position). Bounded by clearing (about 200 bytes an
# entry): the frequent chunks come back first.
_chunk_terms: dict[str, tuple[str, ...]] = {}
_CHUNK_MEMO_LIMIT = 300_000


def _terms_of_chunk(chunk: str) -> tuple[str, ...]:
    terms = []
    for a, b in word_spans(chunk):
        normalized = normalize_word(chunk[a:b])
        terms.append(stem(normalized) if normalized else "")
    return tuple(terms)


def _memo_terms_of_chunk(chunk: str) -> tuple[str, ...]:
    terms = _chunk_terms.get(chunk)
    if terms is None:
        if len(_chunk_terms) >= _CHUNK_MEMO_LIMIT:
            _chunk_terms.clear()
        terms = _chunk_terms[chunk] = _terms_of_chunk(chunk)
    return terms


def index_terms(text: str) -> dict[str, list[int]]:
    """Each term the default analyzer makes of `text`, with its positions: what the index stores.

    The same result as grouping `bangla_analyzer()`'s tokens by text (tests/test_analysis.py
    asserts it on every article of the corpus), at a fraction of the cost: ICU never joins
    words across whitespace, so each whitespace-separated chunk ("বাংলাদেশের," or "১০টি") is
    analyzed once and remembered, and news text repeats its chunks. A stopword passes `stem`
    unchanged, as it passes the stemmer filter.
    """
    found: dict[str, list[int]] = {}
    add_index_terms(found, text)
    return found


def add_index_terms(found: dict[str, list[int]], text: str, start: int = 0) -> int:
    """Add the terms of `text` to `found` as `index_terms` makes them, with positions counted
    from `start`; the position after the last word (where a text that follows would start)."""
    memo = _chunk_terms
    pos = start
    for chunk in text.split():
        terms = memo.get(chunk)  # inlined lookup: the hot path
        if terms is None:
            terms = _memo_terms_of_chunk(chunk)
        for term in terms:
            if term:
                found.setdefault(term, []).append(pos)
            pos += 1
    return pos
