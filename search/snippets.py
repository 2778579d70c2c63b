"""Highlighted titles and snippets: the matched words wrapped in <mark>, everything else escaped.

Matching is done in analyzed space (a stem match marks the whole original word), but the marked
spans are the analyzer's exact character offsets into the original text, so nothing is rewritten.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from html import escape

SNIPPET_CHARS = 220
ELLIPSIS = "…"

# Sentence ends in Bangla news: danda, question and exclamation marks (and a full stop in Latin text).
_SENTENCE_END = re.compile(r"(?<=[।?!])\s+|(?<=[.])\s+(?=\S)|\n\s*\n")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    term: str


# An analyzer as this module needs it: text → (token text, startchar, endchar) for every token.
TokenSpans = Callable[[str], Iterable[tuple[str, int, int]]]


def match_spans(text: str, terms: set[str], token_spans: TokenSpans) -> list[Span]:
    """The original-text spans whose analyzed tokens are among `terms`, in order, merged."""
    spans: list[Span] = []
    for token, start, end in token_spans(text):
        if token in terms:
            if spans and spans[-1].start == start:  # stem and surface at one position
                continue
            spans.append(Span(start, end, token))
    return spans


def mark(text: str, spans: Iterable[Span], start: int = 0, end: int | None = None) -> str:
    """HTML for text[start:end] with `spans` inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    out, at = [], start
    for span in spans:
        if span.start < start or span.end > end:
            continue
        out.append(escape(text[at : span.start]))
        out.append(f"<mark>{escape(text[span.start : span.end])}</mark>")
        at = span.end
    out.append(escape(text[at:end]))
    return "".join(out)


def highlight_html(text: str, terms: set[str], token_spans: TokenSpans) -> str:
    """The whole text (a title), escaped, with matches marked."""
    return mark(text, match_spans(text, terms, token_spans) if terms else [])


@lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence, whitespace trimmed; cached, since the articles that top one
    query tend to top others."""
    bounds, at = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((at, m.start()))
        at = m.end()
    bounds.append((at, len(text)))
    out = []
    for s, e in bounds:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return tuple(out)


def snippet_html(
    body: str,
    terms: set[str],
    token_spans: TokenSpans,
    max_chars: int = SNIPPET_CHARS,
    probes: Callable[[str], Iterable[str]] | None = None,
) -> str:
    """About `max_chars` of the body around its best-matching passage, whole sentences when they fit.

    The best passage holds the most distinct query terms, then the most matches; earlier wins ties
    (news leads); with no match, the lead is shown. With `probes` (term → the raw spellings it
    may take in a text) sentences are scored by substring search, a stem being a prefix of its
    words, and only the chosen window is analyzed: most of a body never is. A spelling the
    probes miss only costs the choice of sentence; what is marked is always exact.
    """
    sents = sentences(body) if body else []
    if not sents:
        return ""

    def spans_in(lo: int, hi: int) -> list[Span]:
        if not terms:
            return []
        return [
            Span(sp.start + lo, sp.end + lo, sp.term) for sp in match_spans(body[lo:hi], terms, token_spans)
        ]

    if not terms:
        return _window(body, sents, 0, spans_in, max_chars)
    if probes is None:
        spans = spans_in(0, len(body))
        scores = [
            _score({sp.term for sp in spans if s <= sp.start < e}, sum(s <= sp.start < e for sp in spans))
            for s, e in sents
        ]
    else:
        lowered = body.lower()
        starts = [s for s, _ in sents]
        found: dict[int, tuple[set[str], list[int]]] = {}  # sentence → (terms, matches)
        for term in terms:
            for spelling in probes(term):
                at = lowered.find(spelling)
                while at != -1:
                    k = bisect_right(starts, at) - 1
                    if k >= 0 and at < sents[k][1]:
                        entry = found.setdefault(k, (set(), [0]))
                        entry[0].add(term)
                        entry[1][0] += 1
                    at = lowered.find(spelling, at + 1)
        scores = [_score(found[k][0], found[k][1][0]) if k in found else (0, 0) for k in range(len(sents))]
    best = max(range(len(sents)), key=lambda k: (scores[k], -k))
    return _window(body, sents, best if scores[best][0] else 0, spans_in, max_chars)


def _score(distinct: set[str], total: int) -> tuple[int, int]:
    return (len(distinct), total)


def _window(body: str, sents: tuple[tuple[int, int], ...], best: int, spans_in, limit: int) -> str:
    start, end = sents[best]
    if end - start > limit:
        # One long sentence: a window around its first match, cut at spaces (never in a cluster).
        first = next((sp.start for sp in spans_in(start, end)), start)
        lo = max(start, first - limit // 3)
        hi = min(end, lo + limit)
        # Both ends move inwards to a space, so the window stays within the limit; text without
        # spaces is cut where no combining mark or hasanta joins it to what follows.
        cut_lo, cut_hi = _to_space(body, lo, hi, +1), _to_space(body, hi, lo, -1)
        if cut_lo < cut_hi:
            lo, hi = cut_lo, cut_hi
        else:
            lo, hi = _to_cluster(body, lo, +1, hi), _to_cluster(body, hi, -1, lo)
        prefix = ELLIPSIS if lo > start else ""
        suffix = ELLIPSIS if hi < end else ""
        return prefix + mark(body, spans_in(lo, hi), lo, hi).strip() + suffix
    # Grow by whole sentences, following first (they continue the matched one), while they fit.
    lo_i, hi_i = best, best
    while True:
        grew = False
        if hi_i + 1 < len(sents) and sents[hi_i + 1][1] - sents[lo_i][0] <= limit:
            hi_i += 1
            grew = True
        elif lo_i > 0 and sents[hi_i][1] - sents[lo_i - 1][0] <= limit:
            lo_i -= 1
            grew = True
        if not grew:
            break
    lo, hi = sents[lo_i][0], sents[hi_i][1]
    html = mark(body, spans_in(lo, hi), lo, hi)
    html = re.sub(r"\s*\n\s*", " ", html)  # paragraph breaks read as spaces in one line
    return (ELLIPSIS if lo_i > 0 else "") + html + (ELLIPSIS if hi_i < len(sents) - 1 else "")


def _to_cluster(text: str, at: int, step: int, bound: int) -> int:
    """Move `at` towards `bound` until it is not inside a grapheme cluster (Bangla: a vowel sign or
    other mark follows, or a hasanta or joiner precedes)."""
    i = at
    while (
        i != bound
        and 0 < i < len(text)
        and (
            unicodedata.category(text[i])[0] == "M"
            or text[i - 1] in "\u09cd\u200c\u200d"
            or text[i] in "\u200c\u200d"
        )
    ):
        i += step
    return i


def _to_space(text: str, at: int, bound: int, step: int) -> int:
    """Move `at` towards `bound` to the nearest word boundary (whitespace) so no word is cut."""
    i = at
    while i != bound and 0 < i < len(text) and not text[i].isspace() and not text[i - 1].isspace():
        i += step
    return i
