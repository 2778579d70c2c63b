"""Bangla analysis for Sandhan: the one analyzer that indexing and querying share, and its parts.

`bangla_analyzer()` composes tokenizer | normalizer | stopword marker | stemmer; see each module.
"""

from __future__ import annotations

from whoosh.analysis import CompositeAnalyzer

from search.analysis.normalize import BanglaNormalizer, normalize_text
from search.analysis.stemmer import BanglaStemmer, stem
from search.analysis.stopwords import BanglaStopFilter, is_stopword
from search.analysis.tokenizer import BanglaTokenizer

__all__ = [
    "BanglaNormalizer",
    "BanglaStemmer",
    "BanglaStopFilter",
    "BanglaTokenizer",
    "analyze",
    "bangla_analyzer",
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
