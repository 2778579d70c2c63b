"""Index files that many threads read at once, without a lock.

Whoosh reads a segment through `StructFile`s over ordinary file objects: every read is a seek and
then a read on one shared file position, so two threads reading one generation at once read each
other's bytes, and a server had to hold a lock for the length of each query. `PreadFile` keeps the
position per thread and reads with `os.pread` (positioned reads, which need no shared position), so
a slow query never makes another wait.

Mirrors whoosh-reloaded 2.7's `whoosh.filedb.structfile.StructFile`: every read method there goes
through `read`, `seek`, `get` or `read_pickle` (which reads the file object directly, bypassing
`read`, and so is overridden here); `read_array` reads the file object directly when `is_real`,
which is therefore False. `tests/test_whoosh_files.py` checks the reads against Whoosh's own files.
"""

from __future__ import annotations

import os
import pickle
import threading

import whoosh
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

MIRRORS_WHOOSH = (2, 7)
if tuple(whoosh.__version__[:2]) != MIRRORS_WHOOSH:  # pragma: no cover - a pin in pyproject.toml
    raise ImportError(f"search.whoosh_files mirrors Whoosh {MIRRORS_WHOOSH}, found {whoosh.__version__}")

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
