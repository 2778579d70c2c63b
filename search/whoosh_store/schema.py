"""What the Whoosh store keeps of an article: its fields, how Bangla text is indexed into them,
and the document an article becomes.

Text fields are analyzed and searched; everything filters, facets and sorting read is a column.
A title's or body's postings are computed as arrays (`BanglaText.text_postings`) and stored with
`PackedPositions`; the classes here are pickled into each index's schema, so moving or renaming
them needs SCHEMA_VERSION raised (an older index is then rebuilt by `make run`).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from whoosh import columns, fields, formats

from search import duplicates
from search.analysis import bangla_analyzer, paragraph_starts, term_ids, vocabulary
from search.article import Article
from search.policy import LEAD_WEIGHT, TITLE_OCCURRENCE_WEIGHT

# 3: no lead field, lead words weigh more; 4: new signatures, packed positions; 5: the size and
# checksum of every file recorded in META_FILE (search/whoosh_store/integrity.py); 6: stemmer rules added
# (-য়ের after ই/উ, -বৃন্দ, a numeral's classifier), so an older index's terms differ from a query's;
# 7: the field classes moved to search.whoosh_store.schema (an older index pickles the old names);
# 8: where each body paragraph begins, a column (the paragraph bonus)
SCHEMA_VERSION = 8


# Sort keys for undated articles: they come last both newest-first and oldest-first.
UNDATED_NEWEST = -1


UNDATED_OLDEST = 2**40


class PackedPositions(formats.Positions):
    """A posting's positions as little-endian 32-bit integers, one after another.

    Whoosh's Positions pickles a list of gaps per posting (14 bytes for one position, and a
    pickle call each); these are slices of one array of positions, 4 bytes a position. Queries
    read them through the format's decoders, as from any Whoosh format.
    """

    def encode(self, poslist: list[int]) -> bytes:
        return struct.pack(f"<{len(poslist)}I", *poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(valuestring) // 4}I", valuestring))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


@dataclass
class TextPostings:
    """A text's postings as arrays, one entry per term, terms by number (`vocabulary`)."""

    terms: np.ndarray  # term numbers, ascending
    counts: np.ndarray  # positions of each term (its frequency)
    weights: np.ndarray  # float32: what ranking reads as the term's frequency
    positions: np.ndarray  # uint32: each term's positions in turn, ascending

    def values(self) -> list[bytes]:
        """Each posting's positions as PackedPositions encodes them."""
        ends = (4 * np.cumsum(self.counts)).tolist()
        return slices(self.positions.astype("<u4").tobytes(), [0, *ends[:-1]], ends)


def slices(data: bytes, starts: list[int], ends: list[int]) -> list[bytes]:
    """data[start:end] for each start and end: postings' values cut from their joined bytes."""
    return list(map(data.__getitem__, map(slice, starts, ends)))


class BanglaText(fields.TEXT):
    """A TEXT field of Bangla analyzed by `bangla_analyzer`, indexed through `term_ids`.

    Whoosh's own indexing path runs the analyzer chain token by token; `term_ids` gives the
    same terms and positions at a fraction of the cost, and `text_postings` groups them with
    array operations. Queries still use the analyzer, and snippets the same per-word analysis
    (`word_term`). Positions are stored as PackedPositions, always: the field is for phrases.

    With `lead_weight`, each occurrence in the first paragraph (up to the first blank line)
    counts 1 + lead_weight in the posting's weight, the term frequency ranking reads: a news
    lead holds the story's key facts. (BM25F's weighted frequency; it replaced a separate lead
    field, which cost a fifth of the postings and a quarter of the terms of an index.)
    """

    lead_weight = 0.0  # a class default too: schemas pickled before it existed lack it

    def __init__(self, *, lead_weight: float = 0.0, **kwargs):
        kwargs["phrase"] = True
        super().__init__(**kwargs)
        self.format = PackedPositions(field_boost=self.format.field_boost)
        self.lead_weight = lead_weight

    def text_postings(self, text: str) -> TextPostings:
        """The postings of `text`: the hot loop of a rebuild (SegmentBuilder), and what Whoosh's
        writer stores through `index`."""
        extra = self.lead_weight
        cut = text.find("\n\n") if extra else -1  # the lead is the first paragraph
        if cut >= 0:
            numbers = term_ids(text[:cut])
            lead_end = len(numbers)
            numbers += term_ids(text[cut:])
        else:  # a text of one paragraph is all lead
            numbers = term_ids(text)
            lead_end = len(numbers) if extra else 0
        # Array methods and ufuncs, not numpy's Python-level helpers (np.diff, np.flatnonzero):
        # a document's arrays are small, and the helpers' overhead would be half the cost.
        numbers = np.array(numbers, dtype=np.int32)
        held = numbers.nonzero()[0]  # positions of words that made a term
        order = numbers[held].argsort(kind="stable")  # by term, positions ascending
        grouped, positions = numbers[held][order], held[order].astype(np.uint32)
        if not len(grouped):
            empty = np.zeros(0, dtype=np.int32)
            return TextPostings(empty, empty, np.zeros(0, dtype=np.float32), positions)
        starts = np.concatenate(([True], grouped[1:] != grouped[:-1])).nonzero()[0]
        bounds = np.concatenate((starts, [len(grouped)]))
        counts = (bounds[1:] - bounds[:-1]).astype(np.int32)
        in_lead = np.add.reduceat(positions < lead_end, starts)
        weights = ((counts + extra * in_lead) * self.format.field_boost).astype(np.float32)
        return TextPostings(grouped[starts], counts, weights, positions)

    def index(self, value: str, **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        found = self.text_postings(value)
        texts = vocabulary.texts
        columns = (found.terms.tolist(), found.counts.tolist(), found.weights.tolist(), found.values())
        return [(texts[t].encode("utf-8"), n, weight, v) for t, n, weight, v in zip(*columns, strict=True)]


def build_schema() -> fields.Schema:
    """Text fields are analyzed and searched; everything filters, facets and sorting read is a
    per-document column, not indexed: a term per document (a path, a hash) costs indexing time
    and buys nothing a column does not give."""
    analyzer = bangla_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=BanglaText(analyzer=analyzer, stored=True, phrase=True, field_boost=TITLE_OCCURRENCE_WEIGHT),
        body=BanglaText(analyzer=analyzer, stored=True, phrase=True, lead_weight=LEAD_WEIGHT),
        desk=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        month=fields.COLUMN(columns.RefBytesColumn()),  # b"2024-08", Bangladesh time: a facet
        published_min=fields.COLUMN(columns.NumericColumn("q", default=UNDATED_NEWEST)),  # filter, sort
        oldest_key=fields.COLUMN(columns.NumericColumn("q", default=UNDATED_OLDEST)),
        signature=fields.COLUMN(columns.VarBytesColumn()),  # near-duplicates (search/duplicates.py)
        # Where the body's paragraphs after the first begin (positions, uint32): the paragraph bonus.
        paragraphs=fields.COLUMN(columns.VarBytesColumn()),
        published=fields.STORED,  # ISO 8601 with +06:00, as shown
        updated=fields.STORED,
        path=fields.STORED,
        body_hash=fields.STORED,  # exact duplicates, told apart from related articles
        fingerprint=fields.STORED,  # size:mtime of the source file, for `index update`
    )


def minutes(dt: datetime) -> int:
    """Minutes since the epoch: the integer form of a time used for filters and sorting."""
    return int(dt.timestamp() // 60)


def body_hash(article: Article) -> str:
    collapsed = " ".join(article.body.split())
    return hashlib.sha1(collapsed.encode("utf-8")).hexdigest()


def file_fingerprint(path: str | Path) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def article_document(article: Article) -> dict:
    """The fields Whoosh stores and indexes for one article."""
    published = article.published
    doc = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "body_hash": body_hash(article),
        # Gone since it was read: the next update reads it again.
        "fingerprint": safe_fingerprint(article.path) or "",
        "published_min": minutes(published) if published else UNDATED_NEWEST,
        "oldest_key": minutes(published) if published else UNDATED_OLDEST,
        "signature": duplicates.encode(duplicates.signature(article.body)),
        "paragraphs": np.array(paragraph_starts(article.body), dtype="<u4").tobytes(),
    }
    if article.desk:
        doc["desk"] = article.desk
    if published:
        doc["published"] = published.isoformat()
        doc["month"] = article.month.encode()
    if article.updated:
        doc["updated"] = article.updated.isoformat()
    return doc


def safe_fingerprint(path: str) -> str | None:
    try:
        return file_fingerprint(path)
    except OSError:
        return None
