"""Bangla analysis for Sandhan: the one analyzer that indexing and querying share, and its parts.

`bangla_analyzer()` composes tokenizer | normalizer | stopword marker | stemmer; see each module.
"""

from __future__ import annotations

import threading
from itertools import chain

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
    "Vocabulary",
    "analyze",
    "bangla_analyzer",
    "index_terms",
    "term_ids",
    "vocabulary",
    "word_term",
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


def word_term(word: str) -> str:
    """The index term of one word as `word_spans` cuts it ("" if normalization empties it): what
    the default analyzer's filters make of it. A stopword passes `stem` unchanged, as it passes
    the stemmer filter. Both steps are cached per word."""
    normalized = normalize_word(word)
    return stem(normalized) if normalized else ""


class Vocabulary:
    """The index terms an indexing process has met, each with a number: `term_ids` gives
    numbers, so that indexing can group and sort a document's terms as arrays. Number 0 is no
    term (a word that normalization empties: it still takes a position). Only grows, to the
    distinct terms of what the process indexes: about 100 bytes a term."""

    def __init__(self) -> None:
        self.texts: list[str] = [""]
        self.ids: dict[str, int] = {"": 0}
        self._lock = threading.Lock()  # two threads must not give two terms one number

    def id(self, term: str) -> int:
        number = self.ids.get(term)
        if number is None:
            with self._lock:
                number = self.ids.get(term)
                if number is None:
                    number = len(self.texts)
                    self.texts.append(term)
                    self.ids[term] = number  # after the text: whoever reads the number finds it
        return number


vocabulary = Vocabulary()


class _ChunkTermIds(dict):
    """Whitespace-separated chunk of text -> the term numbers of its words, analyzed on first
    sight. ICU never joins words across whitespace, so a chunk ("বাংলাদেশের," or "১০টি") is
    analyzed alone, and news text repeats its chunks."""

    def __missing__(self, chunk: str) -> tuple[int, ...]:
        value = self[chunk] = tuple(vocabulary.id(word_term(chunk[a:b])) for a, b in word_spans(chunk))
        return value


_chunk_term_ids = _ChunkTermIds()
_CHUNK_MEMO_LIMIT = 300_000  # about 200 bytes an entry; cleared when full, the frequent come back


def term_ids(text: str) -> list[int]:
    """The term number (in `vocabulary`) at each position of `text`, 0 where a position holds no
    term: the default analyzer's tokens as the index stores them, at a fraction of the cost
    (tests/test_analysis.py compares them on every article of the corpus)."""
    if len(_chunk_term_ids) > _CHUNK_MEMO_LIMIT:
        _chunk_term_ids.clear()
    return list(chain.from_iterable(map(_chunk_term_ids.__getitem__, text.split())))


def paragraph_starts(text: str) -> list[int]:
    """The position at which each paragraph after the first begins, positions counted as
    `term_ids` counts them (a blank line ends a paragraph; a word never spans one, so the
    paragraphs' positions run on from one to the next)."""
    starts: list[int] = []
    position = 0
    for number, paragraph in enumerate(text.split("\n\n")):
        if number:
            starts.append(position)
        position += len(term_ids(paragraph))
    return starts


def index_terms(text: str) -> dict[str, list[int]]:
    """Each term the default analyzer makes of `text`, with its positions: what the index stores.
    The readable form of `term_ids`, which tests compare with the analyzer chain."""
    found: dict[str, list[int]] = {}
    texts = vocabulary.texts
    for pos, number in enumerate(term_ids(text)):
        if number:
            found.setdefault(texts[number], []).append(pos)
    return found
