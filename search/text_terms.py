"""Where a stored text's words stand, as index terms: what snippets and highlights match a
query's terms against (search/snippets.py takes these as its tokenizer and probes)."""

from __future__ import annotations

import re
from functools import lru_cache

from search.analysis import word_term
from search.analysis.tokenizer import word_spans
from search.bangla import COMPOSE, TO_BANGLA_DIGITS


def token_spans(text: str):
    """(token, start, end) for every index-time token of `text`: what snippets match against.

    The same tokens as the analyzer, found a whitespace-separated chunk at a time (ICU never
    joins words across whitespace, as indexing relies on too) with each chunk's remembered:
    snippets analyze the same few thousand chunks over and over.
    """
    for chunk in _CHUNK.finditer(text):
        base = chunk.start()
        for start, end, term in _chunk_spans(chunk.group()):
            yield term, base + start, base + end


_CHUNK = re.compile(r"\S+")


@lru_cache(maxsize=200_000)
def _chunk_spans(chunk: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((a, b, term) for a, b in word_spans(chunk) if (term := word_term(chunk[a:b])))


# Texts up to this long have their tokens kept: titles and snippet windows, which the articles
# that top one query bring up again for others.
SHORT_TEXT = 400


@lru_cache(maxsize=8192)  # some 16 MB
def _short_text_tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(token_spans(text))


def cached_token_spans(text: str):
    """`token_spans`, remembered for short texts."""
    return _short_text_tokens(text) if len(text) <= SHORT_TEXT else token_spans(text)


@lru_cache(maxsize=20_000)
def raw_spellings(term: str) -> tuple[str, ...]:
    """Spellings of an index term as it may stand in a page: nukta letters either way, Bangla or
    ASCII digits, a final ত written ৎ. Used to find candidate sentences for snippets."""
    forms = {term, term.translate(TO_BANGLA_DIGITS)}
    for decomposed, composed in COMPOSE:  # as indexed (decomposed) -> as mostly written
        forms |= {f.replace(decomposed, composed) for f in forms}
    if term.endswith("\u09a4"):
        forms |= {f[:-1] + "\u09ce" for f in forms}
    return tuple(forms)
