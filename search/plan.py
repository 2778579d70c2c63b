"""Query planning: a parsed query (search/query.py) becomes an engine-neutral plan of index terms.

Each word is analyzed as indexing analyzes text (search/analysis), so a query word and the words of
an article meet as the same terms; a romanized word stands for its Bangla readings, and a word's
other spellings in the archive come along to be scored below the spelling typed. Stores match and
rank a `PlannedQuery` (search/store.py); nothing here knows a store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from search.analysis import bangla_analyzer, is_stopword, word_term
from search.analysis.normalize import normalize_word
from search.lexicon import respelling_key
from search.query import ParsedQuery, parse_query
from search.romanize import Reading

# The fields a word is searched in unless the query says `title:`.
TEXT_FIELDS = ("title", "body")


@dataclass(frozen=True)
class Unit:
    """One word of the query after analysis: the index terms any of which match it, and the other
    spellings of it that the archive holds (scored below the spelling typed)."""

    variants: tuple[str, ...]
    stopword: bool
    respellings: tuple[str, ...] = ()


_ANALYZER = bangla_analyzer()


@lru_cache(maxsize=200_000)
def surface_key(word: str) -> str:
    """A word's form as written, up to encoding and the folds that make spellings of one word
    (`search.lexicon.respelling_key`, as the spelling variants): what `_exact_form_bonus` compares
    (ইউনূসের and ইউনুসের alike, ইউনূস apart)."""
    return respelling_key(normalize_word(word))


def _inflected(word: str, readings: dict[str, Reading]) -> bool:
    """Whether a query word is a Bangla word typed with an ending the stemmer takes off
    (জামায়াতের): a form the reader chose. A bare stem (পুতিন) stands for all its forms alike."""
    if word in readings:
        return False
    normalized = normalize_word(word)
    term = word_term(word)
    return bool(term) and term != normalized and not is_stopword(term)


def analyze_units(text: str) -> list[Unit]:
    """Query-time analysis grouped by position: each position is one word with its variants."""
    by_pos: dict[int, list[str]] = {}
    for t in _ANALYZER(text, mode="query", positions=True):
        by_pos.setdefault(t.pos, [])
        if t.text not in by_pos[t.pos]:
            by_pos[t.pos].append(t.text)
    return [Unit(tuple(v), all(is_stopword(x) for x in v)) for _, v in sorted(by_pos.items()) if v]


@dataclass(frozen=True)
class Term:
    """A query word bound to the fields it may match in."""

    unit: Unit
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Phrase:
    """Consecutive words that must stand together, in one of `fields`."""

    words: tuple[str, ...]  # the first variant of each word: the form indexed at its position
    units: tuple[Unit, ...]
    fields: tuple[str, ...]


@dataclass
class PlannedQuery:
    """An engine-neutral plan: optional words (all-words-first), required phrases, exclusions."""

    terms: list[Term]
    phrases: list[Phrase]
    excluded: list[Term | Phrase]
    highlight_terms: set[str]
    # Stopwords of a query that has other words: they add to the score and to the words matched
    # of articles the other words found, but find no articles themselves.
    stop_terms: list[Term] = field(default_factory=list)
    # The positive words in the order typed, stopwords included: adjacent pairs found adjacent
    # in an article earn the proximity bonus.
    sequence: list[Unit] = field(default_factory=list)
    # The positive Bangla words as typed (`surface_key`): a headline holding a word in the very
    # form typed ranks above one holding another form of its stem (see `_exact_form_bonus`).
    surface_forms: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases


def plan(
    parsed: ParsedQuery,
    readings: dict[str, Reading] | None = None,
    respell: Callable[[str], list[str]] | None = None,
) -> PlannedQuery:
    """The engine-neutral plan of a parsed query; `readings` gives the Bangla terms of
    romanized words (see `search.romanize`), `respell` the other spellings the archive holds of
    an index term (`Lexicon.respellings`), which a searched word also matches, scored lower."""
    readings = readings or {}

    def respelled(unit: Unit) -> Unit:
        if respell is None or unit.stopword:
            return unit
        others = dict.fromkeys(o for v in unit.variants for o in respell(v) if o not in unit.variants)
        return replace(unit, respellings=tuple(others)) if others else unit

    def units_of(clause) -> list[Unit]:
        if not any(w in readings for w in clause.words):
            return analyze_units(" ".join(clause.words))
        units: list[Unit] = []
        for word in clause.words:  # a romanized word stands for its Bangla readings, ORed
            if word in readings:
                terms = readings[word].terms
                units += [Unit(tuple(terms), False)] if terms else []
            else:
                units += analyze_units(word)
        return units

    analyzed = [(c, units_of(c)) for c in parsed.clauses]
    # Stopwords are dropped from word clauses unless the query has nothing else.
    all_stop = all(u.stopword for c, us in analyzed if not c.exclude for u in us)
    planned = PlannedQuery([], [], [], set())
    for clause, units in analyzed:
        if not units:
            continue
        fields = ("title",) if clause.field == "title" else TEXT_FIELDS
        if clause.phrase and len(units) > 1:
            item: Term | Phrase = Phrase(tuple(u.variants[0] for u in units), tuple(units), fields)
            (planned.excluded if clause.exclude else planned.phrases).append(item)
            if not clause.exclude:
                planned.highlight_terms.update(v for u in units for v in u.variants)
            continue
        if not clause.exclude:
            planned.surface_forms.update(surface_key(w) for w in clause.words if _inflected(w, readings))
        for unit in units:
            if clause.exclude:
                planned.excluded.append(Term(unit, fields))
                continue
            planned.sequence.append(unit)
            if not unit.stopword or all_stop:
                unit = respelled(unit)
                planned.terms.append(Term(unit, fields))
                planned.highlight_terms.update(unit.variants + unit.respellings)
            else:
                planned.stop_terms.append(Term(unit, fields))
    return planned


def highlight_terms(q: str) -> set[str]:
    """The index terms a query marks in a text (for an article page reached from a search)."""
    return plan(parse_query(q)).highlight_terms
