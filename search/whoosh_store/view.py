"""One generation of the Whoosh store held open for searching: its searcher, term scores, the
columns filters, facets and sorting read, and what is built once per generation (the lexicon, the
near-duplicate table)."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

import numpy as np

from search import duplicates
from search.analysis.tokenizer import word_spans
from search.lexicon import Lexicon
from search.plan import TEXT_FIELDS, surface_key
from search.whoosh_store.generations import Generation
from search.whoosh_store.postings import (
    document_frequencies,
    live_documents,
    numeric_column,
    ref_bytes_column,
    var_bytes_rows,
)
from search.whoosh_store.scoring import CACHE_ENTRIES, SizedLRU, TermScorer

# Stored fields of this many documents are kept: the articles that top one query top others, and
# reading one decompresses and unpickles its whole text (a few KB each).
STORED_DOCS = 4096

# How many of the most frequent words a server scores before its first reader asks.
WARM_TERMS = 3000


class GenerationView:
    """One generation's searcher, term caches and the per-document columns that filters, facets
    and sorting read, shared by all server threads without a lock: the index files are read with
    positioned reads (search.whoosh_store.postings), and the caches lock only while they change. The
    lexicon and the near-duplicate table are built once, under a lock of their own."""

    def __init__(self, generation: Generation, ix, serving: bool = False):
        self.generation = generation.name
        self.built_at = generation.built_at
        self.meta = generation.meta
        self.index = ix
        self.searcher = ix.searcher()
        # Each table built once per generation has a lock of its own: a search that needs the
        # near-duplicates never waits behind the lexicon (seconds at 100k articles).
        self._lexicon_lock = threading.Lock()
        self._near_lock = threading.Lock()
        # A server's view (its tables are built in the background after a switch): searches fold
        # near-duplicates only once the table is there, rather than wait for it.
        self.serving = serving
        reader = self.searcher.reader()
        self.scorer = TermScorer(reader, list(reader.leaf_readers()))
        self._lexicon: Lexicon | None = None
        self._near: dict[int, set[int]] | None = None
        self.warmed = False  # caches filled by `warm`: what /healthz reports as "warm"
        self.columns = _Columns(reader, self.scorer.leaves)
        self._stored = SizedLRU(STORED_DOCS, lambda fields: 1)
        self._title_forms = SizedLRU(STORED_DOCS, lambda forms: 1)
        self._paragraphs = reader.column_reader("paragraphs") if reader.doc_count_all() else None

    def title_forms(self, doc: int) -> frozenset[str]:
        """The `surface_key` of each word of a document's headline, recently used ones kept."""

        def forms() -> frozenset[str]:
            title = self.stored_fields(doc)["title"]
            return frozenset(surface_key(title[a:b]) for a, b in word_spans(title))

        return self._title_forms.get_or_compute(doc, forms)

    def paragraph_starts(self, doc: int) -> np.ndarray:
        """Where the paragraphs of a document's body after the first begin (positions, ascending)."""
        return np.frombuffer(self._paragraphs[doc], dtype="<u4")

    def docnum(self, article_id: str) -> int | None:
        """The document of an article id, or None."""
        return next(iter(self.scorer.postings_docs("id", article_id)), None)

    def stored_fields(self, doc: int) -> dict:
        """A document's stored fields (shared: not to be changed), recently read ones kept."""
        return self._stored.get_or_compute(doc, lambda: self.searcher.stored_fields(doc))

    @property
    def has_lexicon(self) -> bool:
        return self._lexicon is not None

    def lexicon(self) -> Lexicon:
        """The analyzed vocabulary of title and body with document frequencies (a term's larger
        one), built on first use: romanized queries and did-you-mean snap to it."""
        if self._lexicon is None:
            with self._lexicon_lock:
                if self._lexicon is None:
                    df: dict[str, int] = {}
                    segments = [leaf for leaf, _ in self.scorer.leaves]
                    for fieldname in TEXT_FIELDS:
                        for term, n in document_frequencies(segments, fieldname).items():
                            df[term] = max(df.get(term, 0), n)
                    lexicon = Lexicon.from_terms(df.items())
                    # Tens of thousands of long-lived objects: keep the collector from walking
                    # them during queries (measured: one query took 100 ms without this).
                    gc.collect()
                    gc.freeze()
                    self._lexicon = lexicon
        return self._lexicon

    def near_duplicates(self) -> dict[int, set[int]]:
        """Document → its near-duplicates, found once per generation from the documents that
        share a signature band (most bands belong to one document and are skipped unread). A
        serving view whose table another thread is building answers {} meanwhile."""
        if self._near is None:
            if self.serving and self._near_lock.locked():
                return {}
            with self._near_lock, self.index.searcher() as own:
                if self._near is None:
                    self._near = _near_duplicate_table(own)
        return self._near

    def warm(self, still_live: Callable[[], bool] = lambda: True, settle: float = 0.0) -> None:
        """Build the lexicon and near-duplicate table now rather than on the first queries, and
        read the postings of the most frequent words ahead of the first readers (they appear in
        most queries) and keep them (scoring.KEPT_ENTRIES), and score the most frequent of them:
        half of the score cache at most, so query-time terms still fit.

        The postings are read only once the generation has been live `settle` seconds, and the
        warming stops as soon as `still_live()` is False (a newer generation is served): while
        pages land every few seconds, warming every generation whole (20 s of a core at 100,000
        articles) would leave the searches none."""
        self.near_duplicates()
        if not still_live():
            return
        lexicon = self.lexicon()
        settled = time.monotonic() + settle
        while time.monotonic() < settled:
            if not still_live():
                return
            time.sleep(min(0.5, settle))
        budget = CACHE_ENTRIES // 2
        for term in sorted(lexicon, key=lexicon.df, reverse=True)[:WARM_TERMS]:
            if not still_live():
                return
            for fieldname in TEXT_FIELDS:
                self.scorer.keep(fieldname, term)
                if budget > 0:
                    budget -= len(self.scorer.scores(fieldname, term))
        self.warmed = True


class _Columns:
    """The per-document columns that filters, facets and sorting read, as numpy arrays indexed by
    docnum (read whole once per generation, search.whoosh_store.postings); text columns as integer
    codes into a list of their values, in order of first appearance."""

    def __init__(self, reader, leaves: list[tuple[object, int]]):
        if reader.doc_count_all():
            schema = reader.schema
            self.published = numeric_column(leaves, "published_min", schema["published_min"].column_type)
            self.oldest = numeric_column(leaves, "oldest_key", schema["oldest_key"].column_type)
            self.desk, desks = ref_bytes_column(leaves, "desk")
            self.month, months = ref_bytes_column(leaves, "month")
        else:  # every page was rejected: an index with no documents (Whoosh has no columns then)
            self.published = self.oldest = np.zeros(0, dtype=np.int64)
            self.desk = self.month = np.zeros(0, dtype=np.int32)
            desks, months = [], []
        self.desk_values = [d.decode() for d in desks]
        self.month_values = [m.decode() for m in months]
        self.desk_code = {value: code for code, value in enumerate(self.desk_values)}
        # The documents not deleted: what a query without words lists.
        self.live = live_documents(leaves)


def _near_duplicate_table(searcher) -> dict[int, set[int]]:
    """Document → its near-duplicates among the documents not deleted (search/duplicates.py),
    from the signature column read whole."""
    reader = searcher.reader()
    if not reader.doc_count_all():
        return {}
    leaves = list(reader.leaf_readers())
    encoded, held = var_bytes_rows(leaves, "signature", 8 * duplicates.SLOTS)
    live = np.zeros(len(held), dtype=bool)
    live[live_documents(leaves)] = True  # replaced or removed by `index update`: not deleted ones
    near: dict[int, set[int]] = {}
    for a, b in duplicates.near_duplicate_pairs(duplicates.signature_rows(encoded, held & live)).tolist():
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    return near
