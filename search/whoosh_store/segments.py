"""Writing Whoosh segments ourselves: the one module that writes Whoosh's private file layout.

Mirrors whoosh-reloaded 2.7's W3 codec (whoosh/codec/whoosh3.py: posting blocks, term infos) and its
hash tables (whoosh/filedb/filetables.py), and checks at import that the installed Whoosh is that
version. tests/whoosh_store/test_segments.py reads what this writes back through Whoosh's own reader,
term by term, and compares it with what Whoosh's own writer stores.
"""

from __future__ import annotations

import pickle
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator

import numpy as np
from whoosh import index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte

from search.analysis import vocabulary
from search.whoosh_store.postings import require_mirrored_whoosh
from search.whoosh_store.schema import BanglaText, TextPostings, slices

require_mirrored_whoosh(__name__)


class _TermPostings:
    """One term's postings in a segment being built, in document order, as compact columns."""

    __slots__ = ("docs", "weights", "values")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []

    def add(self, docnum: int, weight: float, value: bytes) -> None:
        self.docs.append(docnum)
        self.weights.append(weight)
        self.values.append(value)


class _TextField:
    """A text field's postings in a segment being built, in document order: one growing array
    per column (a posting's term, count and weight; the positions), so that memory holds the
    numbers and little else, and `by_term` reads the columns where they lie."""

    def __init__(self) -> None:
        self.docs: list[int] = []  # the documents that have terms in this field
        self.sizes: list[int] = []  # and how many
        self.terms = array("i")
        self.counts = array("i")
        self.weights = array("f")
        self.positions = array("I")

    def add(self, docnum: int, found: TextPostings) -> None:
        if len(found.terms):
            self.docs.append(docnum)
            self.sizes.append(len(found.terms))
            self.terms.frombytes(found.terms.tobytes())
            self.counts.frombytes(found.counts.tobytes())
            self.weights.frombytes(found.weights.tobytes())
            self.positions.frombytes(found.positions.tobytes())

    def by_term(self) -> Iterator[tuple[str, list[int], list[float], list[bytes]]]:
        """(term, documents, weights, values) of each term, terms in order (UTF-8 sorts as code
        points do), each term's documents ascending. Takes about 30 bytes a posting more. Once
        only: the positions are handed over, not copied."""
        if not self.docs:
            return
        data = np.frombuffer(self.positions, dtype=np.uint32).astype("<u4", copy=False).tobytes()
        self.positions = array("I")  # `data` holds them now
        terms = np.frombuffer(self.terms, dtype=np.int32)
        counts = np.frombuffer(self.counts, dtype=np.int32)
        weights = np.frombuffer(self.weights, dtype=np.float32)
        docs = np.repeat(np.array(self.docs, dtype=np.int32), self.sizes)
        ends = 4 * np.cumsum(counts, dtype=np.int64)  # where each posting's positions end in `data`
        texts = vocabulary.texts
        present = np.zeros(len(texts), dtype=bool)
        present[terms] = True
        numbers = present.nonzero()[0]
        names = [texts[n] for n in numbers.tolist()]
        alphabetical = sorted(range(len(names)), key=names.__getitem__)
        rank = np.zeros(len(texts), dtype=np.int32)
        rank[numbers[alphabetical]] = np.arange(len(numbers), dtype=np.int32)
        ranks = rank[terms]
        order = ranks.argsort(kind="stable").astype(np.int32)  # by term, then document (stable)
        bounds = [0, *np.cumsum(np.bincount(ranks, minlength=len(numbers))).tolist()]
        del ranks
        # Postings become Python lists a window at a time: all at once would take ~150 bytes each.
        first = 0
        while first < len(numbers):
            last = max(first + 1, bisect_right(bounds, bounds[first] + _WINDOW) - 1)
            base = bounds[first]
            window = order[base : bounds[last]]
            window_docs, window_weights = docs[window].tolist(), weights[window].tolist()
            window_ends = ends[window]
            window_starts = (window_ends - 4 * counts[window]).tolist()
            window_ends = window_ends.tolist()
            for i in range(first, last):
                a, b = bounds[i] - base, bounds[i + 1] - base
                values = slices(data, window_starts[a:b], window_ends[a:b])
                yield names[alphabetical[i]], window_docs[a:b], window_weights[a:b], values
            first = last


_WINDOW = 65_536  # postings


# Stored fields (a dict per document, mostly the article's text) are compressed by zlib at level 1,
# not Whoosh's 3: 40 % less time for a stored column 13 % larger, read back by the same decompress.
# (Documents that `update` adds go through Whoosh's writer, at its level 3.)
STORED_ZLIB_LEVEL = 1


class SegmentBuilder:
    """Writes one Whoosh segment of new documents, holding its postings in memory.

    Whoosh's own SegmentWriter puts every posting into a pool as a tuple, sorts the pool and
    writes it one posting at a time through three layers of calls; this was half of a rebuild.
    Here a text field's postings are columns of numbers in document order (`_TextField`), put in
    term order by one stable sort at the end; the few other indexed fields (id, desk) keep theirs
    per term. `_write_field` then writes each term's blocks in Whoosh's W3 layout. Whoosh reads
    from them what it reads from its own (tests/whoosh_store/test_segments.py compares every posting).
    """

    def __init__(self, ix: index.Index):
        self.schema = ix.schema
        self.storage = ix.storage
        self.codec = WRITER_OPTIONS["codec"]
        self.segment = self.codec.new_segment(ix.storage, ix.indexname)
        self.perdoc = self.codec.per_document_writer(ix.storage, self.segment)
        self.perdoc._get_column("_stored")._child._level = STORED_ZLIB_LEVEL
        # Text fields: field name -> the postings of each document, joined in `finish`.
        self.texts = {name: _TextField() for name, f in self.schema.items() if isinstance(f, BanglaText)}
        # Other indexed fields (an id, a desk): field name -> term -> postings
        self.postings: dict[str, dict[str, _TermPostings]] = {
            name: {} for name, f in self.schema.items() if f.indexed and name not in self.texts
        }
        self.lengths = {name: array("I") for name, field_type in self.schema.items() if field_type.scorable}
        self.docnum = 0  # the number the next document gets
        self.held = 0  # postings held in memory

    def add(self, doc: dict) -> int:
        """Add one document (field name -> value, as for Whoosh's add_document); its number."""
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        for name in sorted(doc):
            value = doc[name]
            field_type = self.schema[name]
            length = 0
            if isinstance(field_type, BanglaText):
                found = field_type.text_postings(value)
                self.texts[name].add(docnum, found)
                length = int(found.counts.sum())
                self.held += len(found.terms)
            elif field_type.indexed:
                postings = self.postings[name]
                for btext, freq, weight, vbytes in field_type.index(value):
                    held = postings.setdefault(btext.decode("utf-8"), _TermPostings())
                    held.add(docnum, weight, vbytes)
                    length += freq if field_type.scorable else 0
                    self.held += 1
            if field_type.scorable:
                self.lengths[name].append(length)
            perdoc.add_field(name, field_type, value if field_type.stored else None, length)
            if field_type.column_type:
                perdoc.add_column_value(name, field_type.column_type, field_type.to_column_value(value))
        for lengths in self.lengths.values():
            if len(lengths) == docnum:  # a scorable field this document does not have
                lengths.append(0)
        perdoc.finish_doc()
        self.docnum += 1
        return docnum

    def finish(self):
        """Write the postings and close the segment's files; the finished Whoosh segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(self.texts.keys() | self.postings.keys()):
            if name in self.texts:
                if not self.texts[name].docs:
                    continue
                terms = self.texts[name].by_term()
            else:
                held = self.postings[name]
                if not held:
                    continue
                terms = ((t, p.docs.tolist(), p.weights.tolist(), p.values) for t, p in sorted(held.items()))
            writer.start_field(name, self.schema[name])
            _write_field(writer, terms, self.lengths.get(name), self.schema[name].format.fixed_value_size())
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(self.docnum)
        return self.segment


_TERM_INFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo: its fixed part, then the postings' extent


BLOCK_SIZE = 128  # postings per block: W3Codec's default blocklimit


# Whoosh pickles a block's data with protocol 2, which turns every bytes value (a posting's
# positions) into a call of codecs.encode; protocol 4 stores bytes as they are, in half the time
# to write and two thirds to read, and Whoosh unpickles either.
BLOCK_PICKLE_PROTOCOL = 4


def _write_field(writer, terms: Iterable[tuple], lengths: array | None, fixed_size) -> None:
    """Write one field's terms, (text, documents, weights, values) in order: each term's
    posting blocks, then its term info.

    Whoosh's W3FieldWriter does this in several calls per posting; here it is one pass per term,
    and the files read back the same through Whoosh (tests/whoosh_store/test_segments.py compares every term's
    info and postings). The layout, from whoosh/codec/whoosh3.py: a magic header, then per block
    its length (negative for the last block), a pickled info tuple (count, last id, greatest
    weight, 0, shortest and longest document as length bytes) and a pickled (delta-coded ids,
    weights, values) tuple; weights all 1.0 are stored as None, all equal as one float.
    """
    postfile = writer._postfile
    field_key = pack_ushort(writer._fieldid)
    # A document's length as Whoosh's one-byte approximation; a field without lengths has 0.
    length_bytes = [length_to_byte(n) for n in lengths] if lengths is not None else None
    variable = fixed_size is None or fixed_size < 0
    dumps, magic = pickle.dumps, WHOOSH3_HEADER_MAGIC
    offset = postfile.tell()
    written: list[bytes] = []
    term_infos: list[tuple[bytes, bytes]] = []
    for text, docs, weights, values in terms:
        if len(written) > 16384:  # write in pieces of a few megabytes
            postfile.write(b"".join(written))
            written.clear()
        count = len(docs)
        if count == 1:  # half the terms: one posting, so one block, summed up by itself
            doc, weight = docs[0], weights[0]
            length = length_bytes[doc] if length_bytes is not None else 0
            value = (values[0],) if variable else (values[0] if fixed_size else None)
            data = dumps(((doc,), None if weight == 1.0 else weight, value), BLOCK_PICKLE_PROTOCOL)
            block_weight = max(0.0, weight)
            info = dumps((1, doc, block_weight, 0, length, length), 2)
            written += (magic, pack_int(-len(info) - len(data)), info, data)
            size = len(magic) + 4 + len(info) + len(data)
            term_info = (False, weight, 1, length, length, block_weight, doc, doc, offset, size)
            term_infos.append((field_key + text.encode("utf-8"), _TERM_INFO.pack(*term_info)))
            offset += size
            continue
        written.append(magic)
        size = len(magic)
        total_weight, max_weight, min_length, max_length = 0.0, 0.0, 255, 0
        for first in range(0, count, BLOCK_SIZE):
            if count <= BLOCK_SIZE:  # most terms have one block: no copies
                ids, block_weights, block_values = docs, weights, values
            else:
                ids = docs[first : first + BLOCK_SIZE]
                block_weights = weights[first : first + BLOCK_SIZE]
                block_values = values[first : first + BLOCK_SIZE]
            n = len(ids)
            block_max_weight = max(0.0, max(block_weights))
            if length_bytes is None:
                block_min = block_max = 0
            else:
                found = [length_bytes[d] for d in ids]
                block_min, block_max = min(found), max(found)
            if block_weights.count(1.0) == n:
                mini_weights = None
            elif block_weights.count(block_weights[0]) == n:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if variable:
                mini_values = tuple(block_values)
            else:
                mini_values = b"".join(block_values) if fixed_size else None
            gaps = (ids[0], *[b - a for a, b in zip(ids, ids[1:], strict=False)])
            data = dumps((gaps, mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
            info = dumps((n, ids[-1], block_max_weight, 0, block_min, block_max), 2)
            block_size = len(info) + len(data)
            written += (pack_int(-block_size if first + BLOCK_SIZE >= count else block_size), info, data)
            size += 4 + block_size
            total_weight += sum(block_weights)
            max_weight = max(max_weight, block_max_weight)
            min_length = min(min_length, block_min)
            max_length = max(max_length, block_max)
        term_info = (
            False,
            total_weight,
            count,
            min_length,
            max_length,
            max_weight,
            docs[0],
            docs[-1],
            offset,
            size,
        )
        term_infos.append((field_key + text.encode("utf-8"), _TERM_INFO.pack(*term_info)))
        offset += size
    postfile.write(b"".join(written))
    _add_terms(writer._tindex, term_infos)


_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables: before each key and value


def _add_terms(tindex, items: list[tuple[bytes, bytes]]) -> None:
    """OrderedHashWriter.add(key, value) for each of `items` (keys ascending), in one write.

    The bookkeeping is Whoosh's (whoosh/filedb/filetables.py, HashWriter.add and
    OrderedHashWriter.add): each key's file position goes into the ordered index and, by the
    key's hash, into one of 256 buckets, from which `close` writes the hash tables."""
    if not items:
        return
    if items[0][0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{items[0][0]!r}")
    dbfile, hashfn, buckets, positions = tindex.dbfile, tindex.hashfn, tindex.buckets, tindex.index
    position = dbfile.tell()
    parts = []
    for key, value in items:
        positions.append(position)
        digest = hashfn(key)
        buckets[digest & 255].append((digest, position))
        parts += (_KEY_VALUE_LENGTHS.pack(len(key), len(value)), key, value)
        position += 8 + len(key) + len(value)
    dbfile.write(b"".join(parts))
    tindex.lastkey = items[-1][0]


def commit_segments(ix: index.Index, segments: list) -> None:
    """Make `segments` (written by workers into the index folder) the index's content."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()  # Whoosh's per-document writers make it


# Posting blocks uncompressed: zlib at Whoosh's default level costs about a tenth of the indexing
# time and shows in query profiles (decompression), for an index a third larger.
# Segments stay separate files: Whoosh reads a compound segment through one memory map whose
# sub-files it copies out, so opening a 100,000-article index took 2.2 GB per server process.
WRITER_OPTIONS = {"codec": W3Codec(compression=0), "compound": False}


# An update merges only segments whose documents together fit in this many, and only once this
# many small segments have gathered: a rebuild's large segments are never rewritten by an update.
# Whoosh's MERGE_SMALL, after a hundred landings, chose to merge a rebuild's 50,000-document
# segments too: minutes of pure Python in one update (seen at 100k), and no landing applied meanwhile.
UPDATE_MERGE_MAX_DOCS = 10_000
UPDATE_MERGE_SEGMENTS = 10


def merge_small_segments(writer, segments: list) -> list:
    """A merge policy for Whoosh's `writer.commit(mergetype=…)`: the smallest segments merged into
    the writer's new one when UPDATE_MERGE_SEGMENTS of them fit in UPDATE_MERGE_MAX_DOCS
    documents; returns the segments kept as they are."""
    from whoosh.reading import SegmentReader

    merged, documents = [], 0
    for segment in sorted(segments, key=lambda s: s.doc_count_all()):
        if documents + segment.doc_count_all() > UPDATE_MERGE_MAX_DOCS:
            break
        merged.append(segment)
        documents += segment.doc_count_all()
    if len(merged) < UPDATE_MERGE_SEGMENTS:
        return segments
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in merged]
