"""Reading Whoosh's files: the one module that reads Whoosh's private layout.

Three doors: index files that many threads read at once without a lock (`SharedReadStorage`); a
term's posting blocks handed over whole (`PostingBlocks`, `read_block`) for search.whoosh_store.
scoring to turn into numpy arrays; and per-document columns and field lengths read whole as arrays
(`numeric_column`, `field_lengths`) when a generation is opened.

Index files that many threads read at once, without a lock.

Whoosh reads a segment through `StructFile`s over ordinary file objects: every read is a seek and
then a read on one shared file position, so two threads reading one generation at once read each
other's bytes, and a server had to hold a lock for the length of each query. `PreadFile` keeps the
position per thread and reads with `os.pread` (positioned reads, which need no shared position), so
a slow query never makes another wait.

Mirrors whoosh-reloaded 2.7's `whoosh.filedb.structfile.StructFile`: every read method there goes
through `read`, `seek`, `get` or `read_pickle` (which reads the file object directly, bypassing
`read`, and so is overridden here); `read_array` reads the file object directly when `is_real`,
which is therefore False. Posting blocks are read as `W3LeafMatcher._goto` and `_read_data` read
them. tests/whoosh_store/test_postings.py checks both against Whoosh's own reader.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import threading
import zlib
from itertools import accumulate

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3LeafMatcher, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length
from whoosh.util.varints import read_varint

MIRRORS_WHOOSH = (2, 7)


def require_mirrored_whoosh(module: str, version: tuple = tuple(whoosh.__version__[:2])) -> None:
    """ImportError unless the installed Whoosh is the version whose private layout `module` mirrors:
    with another, terms could become unfindable and queries come back empty without an error."""
    if version != MIRRORS_WHOOSH:
        raise ImportError(
            f"{module} mirrors the private file layout of Whoosh {MIRRORS_WHOOSH[0]}.{MIRRORS_WHOOSH[1]}, "
            f"found {'.'.join(map(str, version))}: install whoosh-reloaded>=2.7.5,<2.8 (pyproject.toml)"
        )


require_mirrored_whoosh(__name__)

_LINE_CHUNK = 256


class PreadFile(StructFile):
    """A read-only `StructFile` whose file position belongs to the thread using it."""

    def __init__(self, fileobj, name=None, onclose=None):
        super().__init__(fileobj, name=name, onclose=onclose)
        self._fd = fileobj.fileno()
        self._size = os.fstat(self._fd).st_size
        self._here = threading.local()
        self.is_real = False  # StructFile would read arrays from the shared file object

    def _position(self) -> int:
        return getattr(self._here, "position", 0)

    def tell(self) -> int:
        return self._position()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position(), os.SEEK_END: self._size}[whence]
        self._here.position = base + offset
        return self._here.position

    def read(self, size: int | None = -1) -> bytes:
        position = self._position()
        if size is None or size < 0:
            size = max(self._size - position, 0)
        data = os.pread(self._fd, size, position)
        self._here.position = position + len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        start = position = self._position()
        line = b""
        while size < 0 or len(line) < size:
            chunk = os.pread(self._fd, _LINE_CHUNK, position)
            if not chunk:
                break
            end = chunk.find(b"\n")
            if end >= 0:
                line += chunk[: end + 1]
                break
            line += chunk
            position += len(chunk)
        if size >= 0:
            line = line[:size]
        self._here.position = start + len(line)
        return line

    def get(self, position: int, length: int) -> bytes:
        return os.pread(self._fd, length, position)

    def read_pickle(self):
        return pickle.load(self)  # through self.read/readline: this thread's position

    def write(self, *args, **kwargs):
        raise OSError(f"{self._name} is open for reading only")


class SharedReadStorage(FileStorage):
    """A read-only folder of index files, each opened as a `PreadFile`."""

    def __init__(self, path: str):
        super().__init__(path, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs) -> PreadFile:
        return PreadFile(open(self._fpath(name), "rb"), name=name, **kwargs)


class PostingBlocks:
    """A term's postings in one segment, a block at a time (ids ascending, weights, encoded values).

    Whoosh's per-posting calls cost several Python calls a posting, and a common word has tens of
    thousands; its own codec's leaf matcher decodes a block (about a hundred postings) at once, and
    this hands the block over whole, through the matcher's internals (whoosh-reloaded is pinned
    to 2.7). A segment with deleted documents wraps that matcher in a filter: the blocks are read
    from the matcher within, deleted documents included (`TermScorer` leaves them out). Any other
    matcher (a term's inlined postings) is read posting by posting, as blocks of one.
    """

    def __init__(self, matcher):
        if type(matcher) is FilterMatcher and matcher._exclude and type(matcher.child) is W3LeafMatcher:
            matcher = matcher.child
            matcher.reset()  # the filter may have moved it past deleted documents
        self.m = matcher
        self.whole = type(matcher) is W3LeafMatcher
        # The file offset of the block at hand (the matcher starts at the first one).
        self.position = matcher._baseoffset if self.whole else None

    def active(self) -> bool:
        return self.m.is_active()

    def max_id(self) -> int:
        return self.m.block_max_id() if self.whole else self.m.id()

    def ids(self):
        m = self.m
        if not self.whole:
            return (m.id(),)
        if m._ids is None:
            if m._data is None:
                m._read_data()
            # What Whoosh's _read_ids gives (its delta_decode is a generator, a Python step a
            # posting), summed in C.
            m._ids = m._data[0] if m._byteids else tuple(accumulate(m._data[0]))
        return m._ids

    def weights(self):
        first = self.m.weight()
        return self.m._weights if self.whole else (first,)

    def values(self):
        first = self.m.value()
        return self.m._values if self.whole else (first,)

    def next(self) -> None:
        if self.whole:
            self.position = self.m._nextoffset
            self.m._next_block()
        else:
            self.m.next()


def read_block(leaf, position: int) -> tuple[tuple[int, ...], tuple[bytes, ...]]:
    """(document numbers, values) of the posting block at `position` of a segment's postings
    file, read as W3LeafMatcher._goto and _read_data read it (a length, a pickled info tuple, a
    pickled data tuple), without opening a matcher: opening one looks the term up and reads
    its first block, which was most of the time a cold query spent on phrase positions.
    For formats with values of varying size (positions)."""
    postfile = leaf._terms._postfile
    length = abs(postfile.get_int(position))
    stream = io.BytesIO(postfile.get(position + 4, length))
    compressed = pickle.load(stream)[3]  # (count, last id, max weight, compression, lengths)
    data = stream.read()
    gaps, _, values = pickle.loads(zlib.decompress(data) if compressed else data)
    return tuple(accumulate(gaps)), values


# A term's info in the W3 terms file (whoosh/codec/whoosh3.py, W3TermInfo._struct "!BfIBBfII"):
# flags, weight, then the document frequency as a big-endian unsigned int at byte 5.
_TERM_DF = struct.Struct("!I")
_TERM_DF_OFFSET = 5
_FIELD_NUMBER = struct.Struct("!H")  # the key's first two bytes (W3TermsReader._keycoder)


def document_frequencies(leaves: list, fieldname: str) -> dict[str, int]:
    """Term → document frequency in `fieldname`, summed over the segments (`leaves`: segment
    readers), as Whoosh's own `doc_frequency` counts them, read straight from each segment's terms
    file: Whoosh's `iter_field` decodes a whole TermInfo per term and merges the segments' term
    lists in Python (14 s for the 47,000 terms of 5,000 articles, against a fraction of a second)."""
    found: dict[str, int] = {}
    for leaf in leaves:
        terms = leaf._terms
        number = terms._fieldmap.get(fieldname)
        if number is None:
            continue
        prefix = _FIELD_NUMBER.pack(number)
        for key, value in terms._tindex.items_from(prefix):  # in key order: this field's terms run together
            if key[:2] != prefix:
                break
            term = key[2:].decode("utf-8")
            found[term] = found.get(term, 0) + _TERM_DF.unpack_from(value, _TERM_DF_OFFSET)[0]
    return found


# --- columns, whole --------------------------------------------------------------------------
# A NumericColumn (whoosh/columns.py) is a file of big-endian fixed-width values, one per document
# from the first up to the last one written; the documents after it hold the column's default.
# Field lengths are such a column per field ("_<field>_len", whoosh3.LENGTHS_COLUMN, typecode "B"),
# each length coded in a byte (whoosh.util.numeric.length_to_byte; 0: none).
_LENGTH_OF_BYTE = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


def _column_bytes(leaf, fieldname: str) -> bytes | None:
    """The whole column file of `fieldname` in a segment, or None when it has none."""
    perdoc = leaf._perdoc
    name = W3Codec.column_filename(perdoc._segment, fieldname)
    if not perdoc._storage.file_exists(name):
        return None
    with perdoc._storage.open_file(name) as colfile:
        return colfile.read(perdoc._storage.file_length(name))


def numeric_column(leaves: list[tuple[object, int]], fieldname: str, column) -> np.ndarray:
    """Every document's value in the NumericColumn `column` of `fieldname`, in docnum order over
    the segments `leaves` ((segment reader, first docnum), in order): what `column_reader` gives
    one value at a time in Python (a second for four columns of 100,000 documents)."""
    parts = []
    for leaf, _ in leaves:
        count = leaf.doc_count_all()
        values = np.full(count, column._default, dtype=np.dtype(column._typecode).newbyteorder("="))
        data = _column_bytes(leaf, fieldname)
        if data is not None:
            written = np.frombuffer(data, dtype=np.dtype(column._typecode).newbyteorder(">"))[:count]
            values[: len(written)] = written
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(0)


def field_lengths(leaves: list[tuple[object, int]], fieldname: str) -> np.ndarray:
    """Every document's length in `fieldname` (0 when it has none), as `doc_field_length` decodes
    each: read whole, as `numeric_column` reads a column."""
    codes = numeric_column(leaves, _lenfield(fieldname), LENGTHS_COLUMN)
    return _LENGTH_OF_BYTE[codes.astype(np.intp)]


# A VarBytesColumn (whoosh/columns.py) is, per segment, the documents' values one after another in
# docnum order, then their lengths (read here by Whoosh's own reader), offsets, and type codes.
def var_bytes_rows(
    leaves: list[tuple[object, int]], fieldname: str, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every document's value in the VarBytesColumn of `fieldname` as a row of `width` bytes (in
    docnum order over `leaves`; zeros where a value is of another length), and whether each row
    holds a value of that width: a whole column in a few numpy steps."""
    rows, held = [], []
    for leaf, _ in leaves:
        count = leaf.doc_count_all()
        block, ok = np.zeros((count, width), dtype=np.uint8), np.zeros(count, dtype=bool)
        data = _column_bytes(leaf, fieldname)
        if data is not None and count:
            column = leaf.schema[fieldname].column_type
            reader = leaf._perdoc.column_reader(fieldname, column)
            lengths = np.asarray(reader._lengths, dtype=np.int64)
            offsets = np.cumsum(lengths) - lengths  # the values follow one another
            ok = lengths == width
            values = np.frombuffer(data, dtype=np.uint8)
            block[ok] = values[offsets[ok][:, None] + np.arange(width)]
        rows.append(block)
        held.append(ok)
    if not rows:
        return np.zeros((0, width), dtype=np.uint8), np.zeros(0, dtype=bool)
    return np.concatenate(rows), np.concatenate(held)


# A RefBytesColumn (whoosh/columns.py) is, per segment, a reference for every document (big-endian,
# of the typecode in the file's last byte: "B" or "H"), then its distinct values (a varint count,
# then each value as a varint length and its bytes; reference 0 is the default, b"").
def ref_bytes_column(leaves: list[tuple[object, int]], fieldname: str) -> tuple[np.ndarray, list[bytes]]:
    """Every document's value in the RefBytesColumn of `fieldname`, as a code per document (in
    docnum order over `leaves`) into a list of the distinct values, numbered in the order they
    first appear: what iterating `column_reader` gives, a value at a time in Python."""
    number: dict[bytes, int] = {}
    parts = []
    for leaf, _ in leaves:
        count = leaf.doc_count_all()
        data = _column_bytes(leaf, fieldname)
        if data is None:
            local, uniques = np.zeros(count, dtype=np.intp), [b""]
        else:
            typecode = chr(data[-1])
            size = struct.calcsize(typecode)
            refs = np.frombuffer(data, dtype=np.dtype(typecode).newbyteorder(">"), count=count)
            local = refs.astype(np.intp)
            uniques = _read_uniques(data, count * size)
        to_global = np.array([number.setdefault(v, len(number)) for v in uniques], dtype=np.int64)
        parts.append(to_global[local])
    values = list(number)
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    # Renumbered in order of first appearance, as a reader walking the documents meets them.
    seen, first = np.unique(codes, return_index=True)
    order = seen[np.argsort(first)]
    renumber = np.empty(len(values), dtype=np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    return renumber[codes], [values[c] for c in order]


def _read_uniques(data: bytes, at: int) -> list[bytes]:
    stream = io.BytesIO(data)
    stream.seek(at)
    return [stream.read(read_varint(stream.read)) for _ in range(read_varint(stream.read))]


def live_documents(leaves: list[tuple[object, int]]) -> np.ndarray:
    """The docnums not deleted, ascending: what `all_doc_ids` gives one at a time."""
    parts = []
    for leaf, offset in leaves:
        live = np.ones(leaf.doc_count_all(), dtype=bool)
        deleted = list(leaf._perdoc.deleted_docs()) if leaf.has_deletions() else []
        live[np.array(deleted, dtype=np.intp)] = False
        parts.append(np.flatnonzero(live) + offset)
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
