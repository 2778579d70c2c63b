"""The search service: validated requests in, API-shaped answers out, over the live index.

The JSON API, the web page and `sandhan search` all call `SearchService.search`. Whoosh is known
here, in `search/index.py` (writing), `search/ranking.py` (postings, scoring, phrases) and
`search/whoosh_files.py` (reading its files from many threads).
"""

from __future__ import annotations

import functools
import gc
import heapq
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path

import numpy as np

from search import duplicates, integrity
from search.analysis import analyze, bangla_analyzer, is_stopword, word_term
from search.analysis.normalize import normalize_word
from search.analysis.tokenizer import word_spans
from search.article import DHAKA, article_url
from search.bangla import COMPOSE, TO_BANGLA_DIGITS
from search.dates import DATE_PATTERN, EXPECTED_DATE, parse_date
from search.index import (
    UNDATED_NEWEST,
    Generation,
    IndexDamaged,
    IndexError_,
    current_generation,
    minutes,
    open_generation,
)
from search.lexicon import Lexicon, respelling_key
from search.lexicon import suggest as did_you_mean
from search.query import MAX_QUERY_CHARS, ParsedQuery, clean, parse_query
from search.query_dates import read_date, without
from search.ranking import CACHE_ENTRIES, SizedLRU, TermScorer, TermScores, WorkBudget
from search.romanize import Reading, interpret, is_romanized
from search.snippets import highlight_html, snippet_html

SORTS = ("relevance", "newest", "oldest")
# What to do with a date typed in the query (search/query_dates.py): `auto` applies a definite
# reading and offers the others, `on` applies an offered one too, `off` searches the words.
DATES = ("auto", "on", "off")
ROMANIZED = ("on", "off")  # `romanized=off`: Latin words are searched as typed, never read as Bangla
# A romanized word whose best reading is less sure than this (`search.romanize.reading_confidence`)
# is searched as typed. Measured with bench/reading_confidence.py on the shared corpus: every word of
# the romanized dev and held-out queries that has a reading (219 of 220) reads at 0.61 or more
# (bollywood), and 13 English loanwords at 0.66 or more (football 0.77); of 35 strings of Latin
# gibberish 13 have no reading, 19 fall below (zzzzqqq 0.42, qwrtzp 0.15), 3 stay above (tyui তুই).
MIN_READING_CONFIDENCE = float(os.environ.get("SANDHAN_MIN_READING_CONFIDENCE", 0.55))
MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_DESK_CHARS = 200  # a desk is a short line (the longest in the corpus has 19 characters)
TEXT_FIELDS = ("title", "body")
# Proximity: among the best PROXIMITY_DEPTH candidates, each adjacent query-word pair found
# adjacent in the title or body multiplies the score by up to (1 + PROXIMITY_WEIGHT).
PROXIMITY_DEPTH = int(os.environ.get("SANDHAN_PROXIMITY_DEPTH", 50))
PHRASE_DEPTH = int(os.environ.get("SANDHAN_PHRASE_DEPTH", 300))
PROXIMITY_WEIGHT = float(os.environ.get("SANDHAN_PROXIMITY_WEIGHT", 1.0))
# Related articles are scored on this many of the article's most distinctive words.
RELATED_TERMS = 12
# Stored fields of this many documents are kept: the articles that top one query top others, and
# reading one decompresses and unpickles its whole text (a few KB each).
STORED_DOCS = 4096
# How many of the most frequent words a server scores before its first reader asks.
WARM_TERMS = 3000
# Search-as-you-type scores titles on at most this many of the words before the last.
SUGGEST_HEAD_WORDS = 8
# Below this many results, did-you-mean looks for a better spelling of the query.
SUGGEST_BELOW = 3
FULL_PHRASE_WEIGHT = float(os.environ.get("SANDHAN_FULL_PHRASE_WEIGHT", 5.0))
# Among the best EXACT_FORM_DEPTH candidates, a headline holding every query word in the form
# typed multiplies the score by (1 + EXACT_FORM_WEIGHT), some of them by their share of it. Depth
# 20, 30 and 50 and weights 0.5 and 1.0 measured the same on the dev sets; 0.2 less on variants.
EXACT_FORM_DEPTH = int(os.environ.get("SANDHAN_EXACT_FORM_DEPTH", 20))
EXACT_FORM_WEIGHT = float(os.environ.get("SANDHAN_EXACT_FORM_WEIGHT", 0.5))
# A word's other spellings in the archive (সরকারী for সরকারি) match it at this share of the score
# of the spelling typed: the article spelled as the reader spells comes first.
RESPELLING_WEIGHT = float(os.environ.get("SANDHAN_RESPELLING_WEIGHT", 0.5))
# Position work one search may do (positions read plus phrase starts checked, search.ranking.
# WorkBudget): ordinary queries use a few thousand; the costliest query within the limits of
# search.query stops here (BENCHMARKS.md: worst queries) and answers `"partial": "work_budget"`.
WORK_BUDGET = int(os.environ.get("SANDHAN_WORK_BUDGET", 2_000_000))
# Position work the proximity bonuses of one search may do: ranking only, so running out of it
# leaves some candidates without a bonus, never a result out.
RANKING_WORK = WORK_BUDGET // 4


class BadRequest(ValueError):
    """A request parameter that cannot be honoured; `field` names it, the message says why."""

    def __init__(self, field: str, message: str, code: str = "bad_parameter"):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    desk: str | None = None
    page: int = 1
    per_page: int = 10
    q_cut: bool = False  # the q sent was longer than MAX_QUERY_CHARS: `q` is its start
    dates: str = "auto"  # one of DATES
    romanized: str = "on"  # "off": Latin words are searched as typed (ROMANIZED)


def _int_param(args: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """A whole number in ASCII digits, as the OpenAPI document's `integer` says (not ২, 1_0 or +1)."""
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(name, f"`{name}` must be a whole number in digits 0-9, not {raw[:40]!r}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(name, f"`{name}` must be between {lo} and {hi}, not {value}")
    return value


def _date_param(args: Mapping[str, str], name: str) -> date | None:
    """A date in one of DATE_PATTERN's spellings (what the OpenAPI document says); empty is none."""
    raw = args.get(name) or ""
    if not raw:
        return None
    if not re.fullmatch(DATE_PATTERN, raw):
        raise BadRequest(name, f"`{name}` is not a date: {raw[:40]!r}; {EXPECTED_DATE}", code="bad_date")
    try:
        return parse_date(raw)
    except ValueError as exc:  # the spelling of a date, but no such day
        raise BadRequest(name, f"`{name}`: {exc}", code="no_such_day") from None


def parse_request(args: Mapping[str, str]) -> SearchRequest:
    """Validate query-string style parameters; raises BadRequest naming the parameter. An empty
    q, from, to or desk is the same as none (a form sends its empty fields)."""
    dates = args.get("dates") or "auto"
    if dates not in DATES:
        raise BadRequest("dates", f"`dates` must be one of {', '.join(DATES)}, not {dates[:40]!r}")
    sort = args.get("sort", "relevance")
    if sort not in SORTS:
        raise BadRequest("sort", f"`sort` must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    date_from, date_to = _date_param(args, "from"), _date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from", f"`from` ({date_from}) is after `to` ({date_to})", "bad_range")
    romanized = args.get("romanized", "on")
    if romanized not in ROMANIZED:
        raise BadRequest("romanized", f"`romanized` must be on or off, not {romanized[:40]!r}")
    desk = args.get("desk") or ""
    if len(desk) > MAX_DESK_CHARS:
        raise BadRequest("desk", f"`desk` is at most {MAX_DESK_CHARS} characters, not {len(desk)}")
    return SearchRequest(
        q=clean(args.get("q") or ""),  # what is searched, and all that an answer or a page repeats
        q_cut=len(args.get("q") or "") > MAX_QUERY_CHARS,
        dates=dates,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        desk=desk.strip() or None,
        page=_int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=_int_param(args, "per_page", 10, 1, MAX_PER_PAGE),
        romanized=romanized,
    )


# ---------------------------------------------------------------------------------------------
# Analysis of a query


@dataclass(frozen=True)
class Unit:
    """One word of the query after analysis: the index terms any of which match it, and the other
    spellings of it that the archive holds (scored below the spelling typed)."""

    variants: tuple[str, ...]
    stopword: bool
    respellings: tuple[str, ...] = ()


_ANALYZER = bangla_analyzer()


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


# ---------------------------------------------------------------------------------------------
# The service


def _dhaka_minutes(day: date, end: bool) -> int:
    t = dtime(23, 59, 59) if end else dtime(0, 0)
    return minutes(datetime.combine(day, t, tzinfo=DHAKA))


class _Held:
    """One generation's searcher, term caches and the per-document columns that filters, facets
    and sorting read, shared by all server threads without a lock: the index files are read with
    positioned reads (search.whoosh_files), and the caches lock only while they change. The
    lexicon and the near-duplicate table are built once, under a lock of their own."""

    def __init__(self, generation: Generation, ix):
        self.generation = generation.name
        self.built_at = generation.built_at
        self.index = ix
        self.searcher = ix.searcher()
        self._build_lock = threading.Lock()
        reader = self.searcher.reader()
        self.scorer = TermScorer(reader, list(reader.leaf_readers()))
        self._lexicon: Lexicon | None = None
        self._near: dict[int, set[int]] | None = None
        self.warmed = False  # caches filled by SearchService.warm: what /healthz reports as "warm"
        self.columns = _Columns(reader)
        self._stored = SizedLRU(STORED_DOCS, lambda fields: 1)
        self._title_forms = SizedLRU(STORED_DOCS, lambda forms: 1)

    def title_forms(self, doc: int) -> frozenset[str]:
        """The `surface_key` of each word of a document's headline, recently used ones kept."""

        def forms() -> frozenset[str]:
            title = self.stored_fields(doc)["title"]
            return frozenset(surface_key(title[a:b]) for a, b in word_spans(title))

        return self._title_forms.get_or_compute(doc, forms)

    def stored_fields(self, doc: int) -> dict:
        """A document's stored fields (shared: not to be changed), recently read ones kept."""
        return self._stored.get_or_compute(doc, lambda: self.searcher.stored_fields(doc))

    @property
    def has_lexicon(self) -> bool:
        return self._lexicon is not None

    def lexicon(self) -> Lexicon:
        """The analyzed vocabulary of title and body with document frequencies, built on first use
        (a few seconds at 5,000 articles): romanized queries and did-you-mean snap to it."""
        if self._lexicon is None:
            with self._build_lock, self.index.searcher() as own:
                if self._lexicon is None:
                    df: dict[str, int] = {}
                    for fieldname in ("title", "body"):
                        for raw, info in own.reader().iter_field(fieldname):
                            term = raw.decode("utf-8")
                            df[term] = max(df.get(term, 0), info.doc_frequency())
                    lexicon = Lexicon.from_terms(df.items())
                    # Tens of thousands of long-lived objects: keep the collector from walking
                    # them during queries (measured: one query took 100 ms without this).
                    gc.collect()
                    gc.freeze()
                    self._lexicon = lexicon
        return self._lexicon

    def near_duplicates(self) -> dict[int, set[int]]:
        """Document → its near-duplicates, found once per generation from the documents that
        share a signature band (most bands belong to one document and are skipped unread)."""
        if self._near is None:
            with self._build_lock, self.index.searcher() as own:
                if self._near is None:
                    self._near = _near_duplicate_table(own)
        return self._near


class _Columns:
    """The per-document columns that filters, facets and sorting read, as numpy arrays indexed by
    docnum (read once per generation); text columns as integer codes into a list of their values."""

    def __init__(self, reader):
        if reader.doc_count_all():
            self.published = np.array(list(reader.column_reader("published_min")), dtype=np.int64)
            self.oldest = np.array(list(reader.column_reader("oldest_key")), dtype=np.int64)
            desks = list(reader.column_reader("desk"))
            months = [m.decode() for m in reader.column_reader("month")]
        else:  # every page was rejected: an index with no documents (Whoosh has no columns then)
            self.published = self.oldest = np.zeros(0, dtype=np.int64)
            desks, months = [], []
        self.desk, self.desk_values = _encode(desks)
        self.month, self.month_values = _encode(months)
        self.desk_code = {value: code for code, value in enumerate(self.desk_values)}
        # The documents not deleted: what a query without words lists.
        self.live = np.fromiter(reader.all_doc_ids(), dtype=np.int64)


def _encode(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each value's code (its place among the distinct values, in order of first appearance)."""
    codes: dict[str, int] = {}
    encoded = [codes.setdefault(v, len(codes)) for v in values]
    return np.array(encoded, dtype=np.int32), list(codes)


def _near_duplicate_table(searcher) -> dict[int, set[int]]:
    """Group documents by signature band, then confirm each candidate pair on the whole signature."""
    reader = searcher.reader()
    if not reader.doc_count_all():
        return {}
    signatures = [duplicates.decode(v) for v in reader.column_reader("signature")]
    buckets: dict[str, list[int]] = {}
    for doc, sig in enumerate(signatures):
        if reader.is_deleted(doc):  # replaced or removed by `index update`
            continue
        for key in duplicates.band_keys(sig):
            buckets.setdefault(key, []).append(doc)
    near: dict[int, set[int]] = {}
    for docs in buckets.values():
        for i, a in enumerate(docs):
            for b in docs[i + 1 :]:
                if b not in near.get(a, ()) and duplicates.near_duplicates(signatures[a], signatures[b]):
                    near.setdefault(a, set()).add(b)
                    near.setdefault(b, set()).add(a)
    return near


def _answers_damage(method):
    """Index damage never answers 500: an exception while a method reads the live generation has
    its files' checksums checked (`SearchService._raise_if_damaged`); if they differ it becomes
    IndexDamaged (503), if not it is a bug and goes on as it was."""

    @functools.wraps(method)
    def reading(self: SearchService, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (BadRequest, IndexError_):
            raise
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise

    return reading


class SearchService:
    """Answers searches over the live generation of an index folder, switching to a newly
    published generation on the next request after a rebuild (no restart)."""

    def __init__(self, root: str | Path, warm_on_switch: bool = False):
        self.root = Path(root)
        self.warm_on_switch = warm_on_switch
        self._lock = threading.Lock()
        # Today in Dhaka, against which relative dates in queries are read (a test sets its own).
        self.today: Callable[[], date] = lambda: datetime.now(DHAKA).date()
        self._pointer_stamp: tuple | None = None
        self._current: _Held | None = None
        self._files: integrity.GenerationCheck | None = None  # of the generation last opened

    # --- the live generation ---------------------------------------------------------------

    def _pointer(self) -> tuple | None:
        try:
            st = os.stat(self.root / "CURRENT")
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _held(self) -> _Held:
        """The live generation's shared state, reopened when CURRENT changes (one stat a call);
        IndexDamaged once its files are found damaged."""
        stamp = self._pointer()
        held = self._current
        if held is None or stamp != self._pointer_stamp:
            with self._lock:
                if self._current is None or stamp != self._pointer_stamp:
                    gen = current_generation(self.root)  # raises IndexMissing / IndexCorrupt
                    if self._current is None or self._current.generation != gen.name:
                        # Threads still answering from the old generation keep their reference;
                        # its files close when the last of them lets go.
                        self._current = self._open(gen)
                        if self.warm_on_switch:  # a server: fill the new generation's caches now
                            threading.Thread(target=self._warm_in_background, daemon=True).start()
                    self._pointer_stamp = stamp
                held = self._current
        if self._files.damage:
            raise IndexDamaged(self._files.folder, self._files.damage)
        return held

    def _open(self, gen: Generation) -> _Held:
        """A generation's shared state, once its files have the sizes recorded (IndexDamaged if
        not); a server checks their checksums in the background while it answers."""
        if self._files is None or self._files.folder != gen.path:
            self._files = integrity.GenerationCheck(gen.path, gen.meta)
        elif self._files.damage:  # found when it was last opened: not read again
            raise IndexDamaged(gen.path, self._files.damage)
        try:
            held = _Held(gen, open_generation(gen, self._files.check))
        except IndexDamaged:
            self._files.check()  # all of it, once (and logged; remembered): later requests answer from it
            raise
        except IndexError_:
            raise
        except Exception as exc:  # reading its files failed
            self._raise_if_damaged(exc)
            raise
        if self.warm_on_switch:
            self._files.start()
        return held

    def _raise_if_damaged(self, exc: Exception) -> None:
        """After `exc` was raised reading the live generation: IndexDamaged if its files' checksums
        differ from those recorded (checked now, unless done since the files last changed)."""
        files = self._files
        if files is not None and files.check():
            raise IndexDamaged(files.folder, files.damage) from exc

    def searcher(self):
        return self._held().searcher

    def health(self) -> dict:
        held = self._held()
        return {
            "status": "ok",
            "documents": held.searcher.doc_count(),
            "built_at": held.built_at,
            "generation": held.generation,
            "warm": held.warmed,
            "verified": self._files.verified,  # every file's checksum checked and as written
        }

    # --- searching -------------------------------------------------------------------------

    @_answers_damage
    def search(self, req: SearchRequest, work_budget: int = WORK_BUDGET) -> dict:
        started = time.perf_counter()
        searched, date_reading = self._read_date(req)
        held = self._held()
        budget = WorkBudget(work_budget)
        parsed, planned, interpreted = self._plan(searched, held)
        answer = self._search(searched, planned, held, budget)
        if date_reading and date_reading["applied"] and not answer["total"] and req.dates == "auto":
            # A date read but not asked for (a headline's আজ) that leaves nothing: the words as
            # typed are searched instead, and the reading only offered.
            date_reading = {**date_reading, "applied": False}
            parsed, planned, interpreted = self._plan(req, held)
            answer = self._search(req, planned, held, budget)
        answer["query"] = clean(req.q)  # as typed, the date words too
        answer["date_reading"] = date_reading
        answer["interpreted_query"] = interpreted
        if answer["total"] < SUGGEST_BELOW and parsed.positive and not interpreted:
            # From the query as searched (cleaned, within the limits), never the raw text.
            answer["suggestion"] = did_you_mean(str(parsed), held.lexicon(), analyze)
        # Whether the answer may be missing results, and why: the query went past the documented
        # limits and was cut to them, or the work budget ran out (the results are those verified).
        cut = parsed.cut or req.q_cut
        answer["partial"] = "work_budget" if budget.stopped else "query_cut" if cut else None
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def _plan(self, req: SearchRequest, held: _Held) -> tuple[ParsedQuery, PlannedQuery, str | None]:
        """The request's query parsed and planned, and the query as interpreted (romanized words)."""
        parsed = parse_query(req.q)
        readings, interpreted = self._read_romanized(parsed, held) if req.romanized == "on" else ({}, None)
        return parsed, plan(parsed, readings, self._respell(held)), interpreted

    def _read_date(self, req: SearchRequest) -> tuple[SearchRequest, dict | None]:
        """The request to search, with a date typed in the query read as a date window (its words
        then not searched), and what was read, for the answer. Explicit `from`/`to` win over a
        reading, which is then only offered; a date inside a quoted phrase is part of the phrase."""
        if req.dates == "off" or not req.q:
            return req, None
        reading = read_date(req.q, self.today())
        if reading is None or req.q[: reading.start].count('"') % 2:
            return req, None
        applied = (reading.definite or req.dates == "on") and not (req.date_from or req.date_to)
        answer = {
            "text": reading.text,
            "from": reading.date_from.isoformat(),
            "to": reading.date_to.isoformat(),
            "applied": applied,
        }
        if not applied:
            return req, answer
        window = {"date_from": reading.date_from, "date_to": reading.date_to}
        return replace(req, q=without(req.q, reading), **window), answer

    def _respell(self, held: _Held) -> Callable[[str], list[str]] | None:
        """Where a word's other spellings come from: the lexicon. A server builds it in the
        background after switching and searches by the spelling typed until then, rather than
        make a reader wait seconds; elsewhere (`sandhan search`, evaluation) it is built now."""
        if self.warm_on_switch and not held.has_lexicon:
            return None
        return held.lexicon().respellings

    def _read_romanized(self, parsed: ParsedQuery, held: _Held) -> tuple[dict[str, Reading], str | None]:
        """Bangla readings of the query's Latin words, and the query as interpreted (or None)."""
        words = [w for c in parsed.clauses for w in c.words]
        if not any(is_romanized(w) for w in words):
            return {}, None
        interpretation = interpret(" ".join(words), held.lexicon(), analyze)
        # A reading less sure than MIN_READING_CONFIDENCE is none: the word is searched as typed.
        readings = {
            r.source: r
            for r in interpretation.words
            if r.romanized and r.confidence >= MIN_READING_CONFIDENCE
        }
        if not any(r.display != r.source for r in readings.values()):
            return readings, None
        # The query as typed, operators and all, with each romanized word in Bangla.
        shown = ParsedQuery(
            tuple(
                replace(c, words=tuple(readings[w].display if w in readings else w for w in c.words))
                for c in parsed.clauses
            )
        )
        return readings, str(shown)

    @_answers_damage
    def suggest(self, prefix: str, limit: int = 8) -> dict:
        """Search-as-you-type: completions of the last word from the index vocabulary (kept as
        typed up to a trailing hasanta or vowel sign), then titles holding them."""
        words = clean(prefix).split()
        answer: dict = {"query": clean(prefix), "suggestions": []}
        if not words or is_romanized(words[-1]):
            return answer
        held = self._held()
        completions = held.lexicon().complete(words[-1], limit=limit)
        head = " ".join(words[:-1])
        answer["suggestions"] = [
            {"text": f"{head} {term}".strip(), "kind": "term"} for term in completions[: limit // 2 or 1]
        ]
        docs: dict[int, tuple[int, float]] = {}
        # Titles are scored on the last few words typed (a pasted paragraph costs no more).
        scored_head = " ".join(words[:-1][-SUGGEST_HEAD_WORDS:])
        head_units = [Term(u, ("title",)) for u in analyze_units(scored_head)] if scored_head else []
        for term in completions[:3]:
            for d, sc in held.scorer.scores("title", term).items():
                c, total = docs.get(d, (0, 0.0))
                docs[d] = (max(c, 1), total + sc)
        for unit_term in head_units:
            for d, sc in self._unit_scores(unit_term, held).items():
                if d in docs:
                    c, total = docs[d]
                    docs[d] = (c + 1, total + sc)
        for d, _ in heapq.nlargest(limit - len(answer["suggestions"]), docs.items(), key=lambda kv: kv[1]):
            fields = held.searcher.stored_fields(d)
            answer["suggestions"].append(
                {"text": fields["title"], "kind": "title", "url": article_url(fields["id"])}
            )
        return answer

    def _warm_in_background(self) -> None:
        try:
            self.warm()
        except IndexError_:
            pass  # damage is logged where it is found; requests answer 503 with what to do

    @_answers_damage
    def warm(self) -> None:
        """Open the live generation and build its lexicon and near-duplicate table now rather
        than on the first queries."""
        held = self._held()
        held.near_duplicates()
        lexicon = held.lexicon()
        # Read the postings of the most frequent words ahead of the first readers (they appear
        # in most queries) and keep them (search.ranking.KEPT_ENTRIES), and score the most
        # frequent of them: half of the score cache at most, so query-time terms still fit.
        budget = CACHE_ENTRIES // 2
        for term in sorted(lexicon, key=lexicon.df, reverse=True)[:WARM_TERMS]:
            for fieldname in TEXT_FIELDS:
                held.scorer.keep(fieldname, term)
                if budget > 0:
                    budget -= len(held.scorer.scores(fieldname, term))
        held.warmed = True

    def _search(self, req: SearchRequest, planned: PlannedQuery, held: _Held, budget: WorkBudget) -> dict:
        col = held.columns
        allowed = self._allowed(req, held)
        if planned.empty:
            docs = col.live if allowed is None else col.live[allowed[col.live]]
            matched = _Matches(docs, np.zeros(len(docs), np.int32), np.zeros(len(docs)))
        else:
            # What matches is settled (within the budget) before ranking work, which has a budget
            # of its own and never makes an answer partial.
            matched = self._match(planned, held, budget, allowed)
            matched = self._without_excluded(matched, planned, held, budget)
            self._proximity_bonus(matched, planned, held, WorkBudget(RANKING_WORK))
            self._exact_form_bonus(matched, planned, held)

        start = (req.page - 1) * req.per_page
        end = start + req.per_page
        sort = req.sort if not planned.empty else ("newest" if req.sort == "relevance" else req.sort)
        # Rank a margin beyond the page: near-duplicates folded into an earlier result free places.
        depth = end * 2 + 10
        if sort == "relevance":
            # All query words first, then BM25F: (words matched, score).
            keys = [-matched.coord, -matched.score]
        elif sort == "newest":
            keys = [-col.published[matched.docs]]
        else:
            keys = [col.oldest[matched.docs]]
        ranked = _smallest(keys + [matched.docs], depth)  # ties go to the earlier docnum

        ranked_docs = matched.docs[ranked].tolist()
        shown = self._fold_near_duplicates(ranked_docs, held, end)[start:end]
        scores = dict(zip(ranked_docs, matched.score[ranked].tolist(), strict=True))
        items = []
        for d, near in shown:
            item = self._result_item(
                held.stored_fields(d),
                scores[d] if not planned.empty else None,
                planned.highlight_terms,
            )
            # Near-duplicates are folded into the first of them shown; their ids stay reachable.
            item["similar"] = len(near)
            item["similar_ids"] = sorted(held.stored_fields(o)["id"] for o in near)
            items.append(item)
        answer = {
            "query": clean(req.q),
            "total": len(matched),
            "page": req.page,
            "per_page": req.per_page,
            "took_ms": 0.0,
            "results": items,
            "facets": {
                "desk": _facet(col.desk[matched.docs], col.desk_values, by_count=True),
                "month": _facet(col.month[matched.docs], col.month_values, by_count=False),
            },
            "suggestion": None,
        }
        return answer

    def _allowed(self, req: SearchRequest, held: _Held) -> np.ndarray | None:
        """Which documents the date range and desk asked for allow (a mask by docnum), or None
        when nothing is asked: applied first, so phrase checks skip what they would drop."""
        col = held.columns
        allowed = None
        if req.date_from or req.date_to:
            lo = _dhaka_minutes(req.date_from, False) if req.date_from else 0
            hi = _dhaka_minutes(req.date_to, True) if req.date_to else 2**62
            pub = col.published
            # Undated articles carry UNDATED_NEWEST (-1) and so fall outside any window.
            allowed = (lo <= pub) & (pub <= hi) & (pub != UNDATED_NEWEST)
        if req.desk:
            code = col.desk_code.get(req.desk, -1)  # a desk no article has: nothing matches
            on_desk = col.desk == code
            allowed = on_desk if allowed is None else allowed & on_desk
        return allowed

    def _without_excluded(
        self, matched: _Matches, planned: PlannedQuery, held: _Held, budget: WorkBudget
    ) -> _Matches:
        """The matches without excluded words and phrases. An excluded phrase is looked for among
        the matches only; where the budget runs out, the matches not yet checked stay."""
        if not planned.excluded:
            return matched
        excluded = np.zeros(held.scorer.doc_count_all, dtype=bool)
        for item in planned.excluded:
            excluded[self._docs(item, held, budget, among=matched.docs)] = True
        return matched.where(~excluded[matched.docs])

    def _near_duplicates_of(self, doc: int, held: _Held) -> set[int]:
        """Other articles in the index whose body is nearly the same text as `doc`'s."""
        return held.near_duplicates().get(doc, set())

    def _fold_near_duplicates(self, ranked: list[int], held: _Held, limit: int) -> list[tuple[int, set[int]]]:
        """The first `limit` ranked documents, each with its near-duplicates (in the index) and
        with those ranked after it folded into it."""
        kept: list[tuple[int, set[int]]] = []
        folded: set[int] = set()
        for d in ranked:
            if len(kept) == limit:
                break
            if d in folded:
                continue
            near = self._near_duplicates_of(d, held)
            folded |= near
            kept.append((d, near))
        return kept

    def _unit_scores(self, term: Term, held: _Held) -> TermScores:
        """BM25F scores of one query word over its fields and variants, summed per document; its
        respellings count RESPELLING_WEIGHT of theirs."""
        unit = term.unit
        if unit.respellings:  # the word's spellings scored as one term in each field
            spellings = tuple((v, 1.0) for v in unit.variants) + tuple(
                (r, RESPELLING_WEIGHT) for r in unit.respellings
            )
            parts = [held.scorer.group_scores(f, spellings) for f in term.fields]
        else:
            parts = [held.scorer.scores(f, v) for f in term.fields for v in unit.variants]
        parts = [p for p in parts if len(p)]
        if not parts:
            return TermScores.empty()
        if len(parts) == 1:
            return parts[0]
        total = np.zeros(held.scorer.doc_count_all)
        found = np.zeros(held.scorer.doc_count_all, dtype=bool)
        for part in parts:  # a part lists each document once, so `+=` adds every posting
            total[part.docs] += part.values
            found[part.docs] = True
        docs = np.flatnonzero(found).astype(np.int32)
        return TermScores(docs, total[docs])

    def _docs(
        self, item: Term | Phrase, held: _Held, budget: WorkBudget, among: np.ndarray | None = None
    ) -> np.ndarray:
        """The documents holding a word (in any variant and field) or a phrase, ascending; a
        phrase is looked for `among` those documents only, when given, and within the budget."""
        if isinstance(item, Term):
            return self._unit_scores(item, held).docs
        docs: set[int] = set()
        for f in item.fields:
            docs |= held.scorer.phrase_docs(f, list(item.words), among, budget)
        return np.array(sorted(docs), dtype=np.int64)

    def _match(
        self, planned: PlannedQuery, held: _Held, budget: WorkBudget, allowed: np.ndarray | None = None
    ) -> _Matches:
        """The matching documents with the query words and phrases each matched and its BM25F score.

        Scores and counts add up in accumulators over all docnums, one vectorized step per word;
        each document's sum is taken in the order the words come, so equal documents tie exactly.
        """
        n = held.scorer.doc_count_all
        score = np.zeros(n)
        coord = np.zeros(n, dtype=np.int32)
        for term in planned.terms:
            unit = self._unit_scores(term, held)
            score[unit.docs] += unit.values
            coord[unit.docs] += 1
        if len(planned.terms) > 1:
            score -= self._headline_shortfall(planned.terms, held)
        if planned.stop_terms:
            # Stopwords add to the documents the other words found, and find none themselves.
            found = coord > 0
            for term in planned.stop_terms:
                unit = self._unit_scores(term, held)
                keep = found[unit.docs]
                score[unit.docs[keep]] += unit.values[keep]
                coord[unit.docs[keep]] += 1
        required: np.ndarray | None = None
        for phrase in planned.phrases:
            # Each further phrase is looked for only where the phrases before it stand.
            within = required if required is not None else allowed
            among = None if within is None else np.flatnonzero(within)
            docs = self._docs(phrase, held, budget, among)
            holds = np.zeros(n, dtype=bool)
            holds[docs] = True
            required = holds if required is None else required & holds
            # The phrase's words score as one clause, their sum added to the document's score.
            phrase_score = np.zeros(n)
            for unit_term in phrase.units:
                unit = self._unit_scores(Term(unit_term, phrase.fields), held)
                keep = holds[unit.docs]
                phrase_score[unit.docs[keep]] += unit.values[keep]
            score[docs] += phrase_score[docs]
            coord[docs] += 1
        found = coord > 0 if required is None else required
        docs = np.flatnonzero(found if allowed is None else found & allowed)
        return _Matches(docs, coord[docs], score[docs])

    def _headline_shortfall(self, terms: list[Term], held: _Held) -> np.ndarray:
        """What each document's headline score loses for the query words its headline lacks.

        A headline sums its article up: one holding every query word says the article is about
        them, one holding a single word of several says it is about something else that names
        it. So the title part of a document's score counts for the share of the query words
        (stopwords aside) its headline holds: a headline holding one word of two weighs half."""
        n = held.scorer.doc_count_all
        title = np.zeros(n)
        words = np.zeros(n)
        for term in terms:
            if "title" in term.fields:
                part = self._unit_scores(Term(term.unit, ("title",)), held)
                title[part.docs] += part.values
                words[part.docs] += 1
        return title * (1 - words / len(terms))

    def _proximity_bonus(
        self, matched: _Matches, planned: PlannedQuery, held: _Held, budget: WorkBudget
    ) -> None:
        """Raise the score of top candidates in which adjacent query words stand together.

        Only the best candidates are checked, against positions read for them alone, so the cost
        does not grow with the result set.
        """
        pairs = [
            (a.variants[0], b.variants[0])
            for a, b in zip(planned.sequence, planned.sequence[1:], strict=False)
        ]
        if not pairs or not len(matched):
            return
        scorer = held.scorer
        # The best by (words matched, score), ties to the earlier docnum, as the ranking has them.
        best = _smallest([-matched.coord, -matched.score, matched.docs], PHRASE_DEPTH)
        top = matched.docs[best].tolist()
        coords, values = matched.coord[best].tolist(), matched.score[best].tolist()
        scores = {d: (c, sc) for d, c, sc in zip(top, coords, values, strict=True)}
        if len(planned.sequence) >= 3:
            # The whole query standing together (a remembered passage) wins over scattered words.
            words = [u.variants[0] for u in planned.sequence]
            whole = [scorer.phrase_docs(f, words, top, budget) for f in TEXT_FIELDS]
            for d in set().union(*whole):
                c, sc = scores[d]
                scores[d] = (c, sc * (1 + FULL_PHRASE_WEIGHT))
        candidates = heapq.nlargest(PROXIMITY_DEPTH, top, key=lambda d: (scores[d], -d))
        together = Counter()
        for pair in pairs:
            for f in ("title", "body"):
                together.update(scorer.phrase_docs(f, list(pair), candidates, budget))
        for d, n in together.items():
            c, sc = scores[d]
            scores[d] = (c, sc * (1 + PROXIMITY_WEIGHT * n / len(pairs)))
        matched.score[best] = [scores[d][1] for d in top]

    def _exact_form_bonus(self, matched: _Matches, planned: PlannedQuery, held: _Held) -> None:
        """Raise the score of top candidates whose headline holds query words in the very form typed.

        Stemming matches every form of a word alike; a reader who types the form a headline uses
        (জামায়াতের, not জামায়াত) means that headline first, as engines without stemming rank it.
        Only the best candidates are checked, against their (cached) headline words.
        """
        forms = planned.surface_forms
        if not forms or not len(matched):
            return
        best = _smallest([-matched.coord, -matched.score, matched.docs], EXACT_FORM_DEPTH)
        for row, doc in zip(best.tolist(), matched.docs[best].tolist(), strict=True):
            found = len(forms & held.title_forms(doc))
            if found:
                matched.score[row] *= 1 + EXACT_FORM_WEIGHT * found / len(forms)

    def _result_item(self, fields: dict, score: float | None, terms: set[str]) -> dict:
        return {
            "id": fields["id"],
            "url": article_url(fields["id"]),
            "title": fields["title"],
            "title_html": highlight_html(fields["title"], terms, cached_token_spans),
            "snippet_html": snippet_html(
                fields.get("body", ""), terms, cached_token_spans, probes=raw_spellings
            ),
            "desk": fields.get("desk"),
            "published": fields.get("published"),
            "updated": fields.get("updated"),
            "score": round(float(score), 4) if score is not None else None,
        }

    # --- articles --------------------------------------------------------------------------

    @_answers_damage
    def article(self, article_id: str, related: int = 5) -> dict | None:
        held = self._held()
        docnum = next(iter(held.scorer.postings_docs("id", article_id)), None)
        if docnum is None:
            return None
        fields = held.searcher.stored_fields(docnum)
        found = self._related(docnum, fields, held, related) if related else []
        if fields is None:
            return None
        return {
            "id": fields["id"],
            "title": fields["title"],
            "desk": fields.get("desk"),
            "published": fields.get("published"),
            "updated": fields.get("updated"),
            "body": fields.get("body", ""),
            "related": found,
        }

    def _related(self, docnum: int, fields: dict, held: _Held, limit: int) -> list[dict]:
        """More like this: the article's most distinctive body words (tf·idf over its analyzed
        text) scored as a query; never the article itself or its near-duplicates."""
        counts = Counter(
            t for t, _, _ in token_spans(fields.get("title", "") + "\n" + fields.get("body", ""))
        )
        n = held.scorer.doc_count
        weighted = [
            (tf * math.log(n / (1 + held.searcher.doc_frequency("body", t))), t)
            for t, tf in counts.items()
            if not is_stopword(t) and len(t) > 1 and not t.isdigit()
        ]
        terms = [t for _, t in heapq.nlargest(RELATED_TERMS, weighted)]
        score: dict[int, float] = {}
        for t in terms:
            for f in ("title", "body"):
                for d, sc in held.scorer.scores(f, t).items():
                    score[d] = score.get(d, 0.0) + sc
        exclude = {docnum} | self._near_duplicates_of(docnum, held)
        out = []
        for d, _ in heapq.nlargest(limit + len(exclude), score.items(), key=lambda kv: kv[1]):
            if d in exclude or len(out) == limit:
                continue
            other = held.searcher.stored_fields(d)
            if other.get("body_hash") == fields.get("body_hash"):
                continue
            out.append(
                {
                    "id": other["id"],
                    "url": article_url(other["id"]),
                    "title": other["title"],
                    "published": other.get("published"),
                }
            )
        return out


def highlight_terms(q: str) -> set[str]:
    """The index terms a query marks in a text (for an article page reached from a search)."""
    return plan(parse_query(q)).highlight_terms


@dataclass
class _Matches:
    """Matching documents (ascending docnums) with the query words and phrases each matched and
    its score: parallel numpy arrays."""

    docs: np.ndarray
    coord: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    def where(self, keep: np.ndarray) -> _Matches:
        return _Matches(self.docs[keep], self.coord[keep], self.score[keep])


def _smallest(keys: list[np.ndarray], k: int) -> np.ndarray:
    """Indices of the `k` rows smallest by `keys` compared in turn (the last key unique), in order.

    Each key in turn settles the rows certainly among the `k` (below the k-th value) and passes on
    only the rows tied at the k-th value, so only about `k` rows are ever sorted.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    settled: list[np.ndarray] = []
    wanted = k
    rows = np.arange(len(keys[0]))
    for key in keys:
        if len(rows) <= wanted:
            break
        values = key[rows]
        kth = np.partition(values, wanted - 1)[wanted - 1]
        below = rows[values < kth]
        settled.append(below)
        wanted -= len(below)
        rows = rows[values == kth]
    pick = np.concatenate(settled + [rows])
    order = np.lexsort([key[pick] for key in reversed(keys)])  # lexsort sorts by its last key first
    return pick[order[:k]]


def _facet(codes: np.ndarray, values: list[str], by_count: bool) -> list[dict]:
    """Value counts of a per-document column over the whole matching set (`codes` of the matches
    into the column's `values`)."""
    counts = np.bincount(codes, minlength=len(values)).tolist()
    items = [{"value": v, "count": n} for v, n in zip(values, counts, strict=True) if n and v]
    if by_count:
        items.sort(key=lambda d: (-d["count"], d["value"]))
    else:
        items.sort(key=lambda d: d["value"])
    return items
