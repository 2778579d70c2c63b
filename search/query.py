"""The user's query language, parsed into engine-neutral clauses.

Syntax: words, `"exact phrase"`, `-exclude`, `-"excluded phrase"`, `title:word`, `title:"phrase"`;
the minus may also be typed as − (U+2212), – or — (en and em dashes).
Anything else counts as words: no query string is an error, however malformed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

# The documented limits of a query (README, OpenAPI): a reader's query is a few words, and these
# bound what a hostile or pasted one can cost. Beyond them the query is cut, and says so (`cut`).
MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 32  # words, phrases and exclusions
MAX_WORDS = 64  # in all clauses together, a phrase's words each counted
FIELDS = ("title",)  # field prefixes a user may write; anything else is a word

# Signs read as the minus in front of a word: the hyphen-minus, and what phones, word processors and
# copied text put there instead (U+2212 MINUS SIGN, U+2013 EN DASH, U+2014 EM DASH).
MINUS_SIGNS = "-\u2212\u2013\u2014"
# A clause: optional minus, optional `field:`, then a quoted phrase (closing quote optional) or a word.
_CLAUSE = re.compile(
    rf"""(?P<neg>[{MINUS_SIGNS}])?(?:(?P<field>[A-Za-z]+):)?"""
    r"""(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))"""
)
# Characters that mean something in other engines' syntax but nothing here: read as spaces.
_OPERATOR_CHARS = str.maketrans({c: " " for c in "*?~^(){}[]<>+|&!\\/:;,.।॥'`=“”‘’«»"})


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]  # as typed (not analyzed); more than one means a phrase
    phrase: bool = False
    field: str | None = None  # None: title and body
    exclude: bool = False

    def __str__(self) -> str:
        text = " ".join(self.words)
        if self.phrase:
            text = f'"{text}"'
        if self.field:
            text = f"{self.field}:{text}"
        return f"-{text}" if self.exclude else text


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    cut: bool = False  # the text went past the limits above and was cut to them

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.exclude)

    @property
    def negative(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.exclude)

    def __str__(self) -> str:
        return " ".join(str(c) for c in self.clauses)

    def __bool__(self) -> bool:
        return bool(self.clauses)


def clean(text: str) -> str:
    """Drop what no reader means to search for: control characters and unpaired surrogates."""
    text = text[:MAX_QUERY_CHARS]
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn"):
            kept.append(" ")
        else:
            kept.append(ch)
    return "".join(kept)


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.translate(_OPERATOR_CHARS).split() if _has_letter_or_digit(w))


def _has_letter_or_digit(word: str) -> bool:
    # A lone combining mark or punctuation run is not a word.
    return any(unicodedata.category(c)[0] in "LN" for c in word)


def parse_query(text: str) -> ParsedQuery:
    text = text or ""
    clauses: list[Clause] = []
    for m in _CLAUSE.finditer(clean(text)):
        field = (m.group("field") or "").lower() or None
        exclude = bool(m.group("neg"))
        if field not in FIELDS and field is not None:
            # `foo:bar` with an unknown field is just words.
            words = _words(m.group(0).lstrip(MINUS_SIGNS))
            clauses.extend(Clause((w,), exclude=exclude and i == 0) for i, w in enumerate(words))
            continue
        if m.group("phrase") is not None:
            words = _words(m.group("phrase"))
            if len(words) > 1:
                clauses.append(Clause(words, phrase=True, field=field, exclude=exclude))
                continue
        else:
            words = _words(m.group("word"))
        # A word that punctuation split in two (e.g. "ঢাকা,খুলনা") becomes two words.
        clauses.extend(Clause((w,), field=field, exclude=exclude) for w in words)
    kept, cut = _within_limits(clauses)
    return ParsedQuery(kept, cut=cut or len(text) > MAX_QUERY_CHARS)


def _within_limits(clauses: list[Clause]) -> tuple[tuple[Clause, ...], bool]:
    """The first MAX_CLAUSES clauses, holding MAX_WORDS words at most, and whether anything was
    left out. A required phrase that reaches the limit is cut short there (it then finds more);
    an exclusion that does not fit whole is left out, since a shorter one would exclude more."""
    kept: list[Clause] = []
    room = MAX_WORDS
    for clause in clauses[:MAX_CLAUSES]:
        words = clause.words[:room]
        if not words or (clause.exclude and words != clause.words):
            continue
        if words != clause.words:
            clause = replace(clause, words=words, phrase=len(words) > 1)
        kept.append(clause)
        room -= len(words)
    return tuple(kept), kept != clauses


# What `partial` in a search answer means (search/engine.py sets it): the one table that the
# API's document, `sandhan search` and the page read.
PARTIAL = {
    "query_cut": (
        f"the query went past the limits ({MAX_QUERY_CHARS:,} characters, {MAX_CLAUSES} clauses, "
        f"{MAX_WORDS} words) and was cut to them"
    ),
    "work_budget": "phrase checks stopped at the work budget: the results are those verified, more may match",
    "shards_missing": "part of the index could not be searched (a cluster lost a shard): more may match",
}
