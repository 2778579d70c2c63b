"""The Bangla stopword list and the filter that marks (never removes) stopwords in a token stream.

The list lives in stopwords_bn.txt (its header says where it comes from); entries are normalized.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

from whoosh.analysis import Filter, Token

from search.analysis.normalize import normalize_text


def _load() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords_bn.txt").read_text("utf-8")
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    # Normalized here so that no entry is dead for being spelled in the other encoding (Lucene's
    # list has 13 such entries).
    return frozenset(normalize_text(w) for w in words if w)


STOPWORDS: frozenset[str] = _load()


def is_stopword(token: str) -> bool:
    """Whether a normalized token (as the analyzer emits it) is a stopword."""
    return token in STOPWORDS


class BanglaStopFilter(Filter):
    """Sets `token.stopword` on every token; stopwords pass through and stay indexed.

    Whoosh drops tokens marked `stopped` from the index, which would make a query of only
    stopwords, or a phrase holding one, find nothing: the query builder reads `stopword` instead.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.stopword = t.text in STOPWORDS
            yield t
