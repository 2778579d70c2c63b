"""An index folder's generations: which one is live, opening it, and publishing a new one atomically.

Layout of an index folder (default `index/`):
    CURRENT               name of the live generation, replaced atomically (os.replace)
    generations/gen-N/    one complete Whoosh index plus `sandhan.json` (when and from what it was built)
    generations/*.building  a build in progress; left over only by a crash, removed by the next build
    write.lock            locked (lockf) by the one rebuild or update allowed at a time
A build writes a new generation beside the live one and switches CURRENT only when it is complete, so a
crash, Ctrl-C or SIGKILL at any moment leaves the previous generation serving.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index

from search.article import DHAKA
from search.build_workers import NO_SPACE, test_pause
from search.store import (
    BuildInProgress,
    BuildReport,
    StoreDamaged,
    StoreError,
    StoreMissing,
    StoreUnavailable,
)
from search.whoosh_store import integrity
from search.whoosh_store.postings import SharedReadStorage
from search.whoosh_store.schema import SCHEMA_VERSION

META_FILE = integrity.META_FILE


class IndexMissing(StoreMissing):
    """No index in the folder yet: `sandhan index rebuild` makes one."""


class IndexCorrupt(StoreUnavailable):
    """The index folder cannot be read as an index (its pointer or metadata is wrong)."""


class IndexDamaged(IndexCorrupt, StoreDamaged):
    """Files of a generation are not as they were written (missing, cut, changed): `sandhan index
    verify` names them all, a rebuild replaces them."""

    def __init__(self, folder: Path, damage: list[integrity.Damage]):
        self.folder = folder
        self.damage = damage
        root = folder.parent.parent
        super().__init__(
            f"The index at {root} is damaged ({folder.name}: {integrity.describe(damage)}): see "
            f"`sandhan index verify --index {root}`, then rebuild it with `sandhan index rebuild`"
        )


@dataclass
class Generation:
    path: Path
    meta: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def built_at(self) -> str | None:
        return self.meta.get("built_at")


def _generations_dir(root: Path) -> Path:
    return root / "generations"


def pointer_stamp(root: Path) -> tuple | None:
    """What identifies the CURRENT file as it stands (None without one): a new one after a publish."""
    try:
        st = os.stat(root / "CURRENT")
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def current_generation(root: str | Path) -> Generation:
    """The live generation, or IndexMissing / IndexCorrupt with a message saying what to do."""
    root = Path(root)
    pointer = root / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(
            f"No index at {root}: build one with `sandhan index rebuild --source DIR --index {root}`"
        ) from None
    gen_path = _generations_dir(root) / name
    if not re.fullmatch(r"gen-\d+", name) or not (gen_path / META_FILE).is_file():
        raise IndexCorrupt(
            f"The index at {root} is damaged (CURRENT names {name!r}, which is not a complete "
            "generation): rebuild it with `sandhan index rebuild`"
        )
    meta, damage = integrity.read_meta(gen_path)
    # Its own checksum before what it says: a changed byte must not pass for another version.
    if not damage and integrity.SEAL_KEY in meta:
        damage = integrity.seal_damage(meta)
    if damage:
        raise IndexDamaged(gen_path, damage)
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise IndexCorrupt(
            f"The index at {root} was built by another version of Sandhan (schema "
            f"{str(meta.get('schema_version'))[:40]}, this one reads {SCHEMA_VERSION}): rebuild it with "
            "`sandhan index rebuild`"
        )
    wrong = [key for key, fits in _META_FIELDS.items() if key in meta and not fits(meta[key])]
    if wrong:
        problem = f"its {wrong[0]!r} is not as Sandhan writes it"
        raise IndexDamaged(gen_path, [integrity.Damage(META_FILE, problem)])
    return Generation(gen_path, meta)


# The fields of META_FILE read here besides the records of its files (search/whoosh_store/integrity.py checks
# those), and what each must be: a sealed file of another shape must not fail later, in a traceback.
_META_FIELDS: dict[str, Callable[[object], bool]] = {
    "built_at": lambda value: isinstance(value, str),
    "sources": lambda value: isinstance(value, list) and all(isinstance(s, str) for s in value),
}


def open_generation(
    gen: Generation, content_damage: Callable[[], list[integrity.Damage]] | None = None
) -> index.Index:
    """The generation's Whoosh index, its files readable by many threads at once
    (search.whoosh_store.postings), once they are there with the sizes recorded (else IndexDamaged): a
    stat each. Their checksums read every byte, left to `integrity.GenerationCheck` and
    `sandhan index verify`, and to `content_damage` (a server passes its GenerationCheck's, which
    remembers the answer) when Whoosh cannot open the files."""
    raise_if_damaged(gen, integrity.size_damage)
    try:
        return SharedReadStorage(str(gen.path)).open_index()
    except Exception as exc:  # Whoosh raises several kinds for a damaged folder
        damage = content_damage() if content_damage else integrity.content_damage(gen.path, gen.meta)
        if damage:
            raise IndexDamaged(gen.path, damage) from exc
        raise IndexCorrupt(
            f"The index generation {gen.path} cannot be opened ({exc.__class__.__name__}: {exc}): "
            "rebuild it with `sandhan index rebuild`"
        ) from exc


def raise_if_damaged(gen: Generation, check: Callable[[Path, dict], list[integrity.Damage]]) -> None:
    """IndexDamaged if `check` (integrity.size_damage, content_damage) finds files of `gen` not
    as they were written."""
    damage = check(gen.path, gen.meta)
    if damage:
        raise IndexDamaged(gen.path, damage)


@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """One rebuild or update at a time per index folder; the second refuses instead of waiting.

    A POSIX record lock (lockf), not flock: it belongs to this process alone, so worker processes
    forked during the build do not inherit it, and it is released the moment this process dies,
    even by SIGKILL, whatever its orphaned workers do.
    """
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / "write.lock"
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.lockf(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            raise BuildInProgress(
                f"Another rebuild or update of {root} is running ({holder}); "
                "wait for it to finish, then try again."
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()}")
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.truncate(0)
            fcntl.lockf(lock_file, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _next_generation_number(root: Path) -> int:
    numbers = [
        int(m.group(1)) for p in _generations_dir(root).glob("gen-*") if (m := re.match(r"gen-(\d+)", p.name))
    ]
    return max(numbers, default=0) + 1


# A superseded generation stays this long, so a server still answering from it can finish.
GRACE_SECONDS = 600


def clean_leftovers(root: Path) -> None:
    """Remove half-built generations and superseded ones: all but the live one, the one before
    it, and any replaced less than GRACE_SECONDS ago. With no usable live generation, nothing
    complete is removed (it may be all there is after a power loss)."""
    gens = _generations_dir(root)
    if not gens.is_dir():
        return
    try:
        live = int(current_generation(root).name[4:])
    except StoreError:
        live = None
    complete = sorted(int(p.name[4:]) for p in gens.iterdir() if re.fullmatch(r"gen-\d+", p.name))
    # When each generation was made, read before any is removed: a generation's successor may be
    # removed in this same pass (the folder lists them in no particular order).
    made = {}
    for n in complete:
        with contextlib.suppress(FileNotFoundError):
            made[n] = (gens / f"gen-{n:06d}").stat().st_mtime
    now = time.time()
    for p in gens.iterdir():
        if not re.fullmatch(r"gen-\d+", p.name):
            shutil.rmtree(p, ignore_errors=True)  # a build that never finished
            continue
        number = int(p.name[4:])
        if live is None or number >= live:
            continue
        successor = next(n for n in complete if n > number)
        replaced_at = made.get(successor, now)
        if number != max(n for n in complete if n < live) and now - replaced_at > GRACE_SECONDS:
            shutil.rmtree(p, ignore_errors=True)


def publish(root: Path, building: Path, meta: dict) -> Generation:
    """Make a finished build the live generation: the only step readers can observe."""
    test_pause("publish")
    # The size and checksum of each file go into META_FILE. An update (meta["updated_from"]) keeps
    # the records of the files it hard-linked from the live generation.
    linked_from = meta.get("updated_from")
    meta = integrity.sealed(meta, building, _generations_dir(root) / linked_from if linked_from else None)
    (building / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    for f in building.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(building)
    final = building.with_name(building.name.removesuffix(".building"))
    os.rename(building, final)
    _fsync_dir(final.parent)
    tmp = root / "CURRENT.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(final.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / "CURRENT")
    _fsync_dir(root)
    return Generation(final, meta)


class DiskFull(StoreError):
    """The index's file system filled up during a build: the build's files were removed and the
    live generation was not touched."""


@dataclass
class _Space:
    free: int | None = None  # bytes free on the index's file system when the build began writing


@contextmanager
def said_when_out_of_space(root: Path, build: str) -> Iterator[_Space]:
    """A full disk anywhere in a build (in this process or a worker) becomes DiskFull: one line
    saying where, and how much space there was, instead of a traceback. The space is what
    `new_generation` found free (measured again now, the build's files still held open by this
    process would count as used), or what is free now if the build failed before."""
    space = _Space()
    try:
        yield space
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            raise
        free = space.free if space.free is not None else _free_bytes(root)
        try:
            live = f"{current_generation(root).name} is still live"
        except StoreError:
            live = "there is no live index yet"
        raise DiskFull(
            f"Not enough disk space for the index at {root}: the {build} needs more than the "
            f"{_amount(free)} that were free there, so it stopped and changed nothing ({live}). "
            "Free some space, or use another index folder, then run it again."
        ) from None


def _free_bytes(path: Path) -> int:
    """Space an unprivileged writer may still use on the file system of `path` (or of the
    nearest folder above it that exists)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    fs = os.statvfs(path)
    return fs.f_bavail * fs.f_frsize


def _amount(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


@contextmanager
def new_generation(root: Path, space: _Space) -> Iterator[Path]:
    """The folder of the next generation, to build in. If the build fails in any way (a full
    disk, a failed worker, Ctrl-C), it is removed at once, published or not, unless it became the
    live one: a half-built folder would hold the space a full disk needs back. Leftovers of
    earlier builds are removed first."""
    clean_leftovers(root)
    space.free = _free_bytes(root)
    building = _generations_dir(root) / f"gen-{_next_generation_number(root):06d}.building"
    building.mkdir(parents=True)
    try:
        yield building
    except BaseException:
        try:
            live = current_generation(root).name
        except StoreError:
            live = None
        for folder in (building, building.with_name(building.name.removesuffix(".building"))):
            if folder.name != live:
                shutil.rmtree(folder, ignore_errors=True)
        (root / "CURRENT.tmp").unlink(missing_ok=True)
        raise


def generation_meta(sources: Iterable[str | Path], report: BuildReport, ix_doc_count: int) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "built_at": datetime.now(UTC).astimezone(DHAKA).isoformat(timespec="seconds"),
        # A folder name that is not UTF-8 is shown with U+FFFD: this file is UTF-8 text.
        "sources": [os.fsencode(Path(s).resolve()).decode("utf-8", "replace") for s in sources],
        "documents": ix_doc_count,
        "rejected": len(report.rejected),
        "duplicates": len(report.duplicates),
        "seconds": round(report.seconds, 2),
    }


# Path, fingerprint and id of every page read, what `update` compares: a JSON object per line, in
# ASCII (every other character escaped), so no file name can break a line, and the bytes of a name
# that are not UTF-8 (held as surrogates, os.fsdecode) come back as they were.
FILES_FILE = "files.jsonl"


_json_string = json.encoder.encode_basestring_ascii  # a str as json.dumps writes it (C, ASCII)


def write_files(folder: Path, files: dict[str, tuple[str, str | None]]) -> None:
    """Each row as json.dumps({"path", "fingerprint", "id"}) writes it, formatted here: a call of
    json.dumps per row was a second of an update at 100,000 pages."""
    rows = [
        f'{{"path": {_json_string(path)}, "fingerprint": {_json_string(fingerprint)}, '
        f'"id": {"null" if article_id is None else _json_string(article_id)}}}\n'
        for path, (fingerprint, article_id) in sorted(files.items())
    ]
    with open(folder / FILES_FILE, "w", encoding="ascii") as fh:
        fh.writelines(rows)


def read_files(folder: Path) -> dict[str, tuple[str, str | None]]:
    """path → (fingerprint, id) of the pages a generation read (its checksums checked first)."""
    with open(folder / FILES_FILE, encoding="ascii") as fh:
        rows = json.loads("[" + ",".join(fh) + "]")  # one parse, not one per line: 7x faster
    return {row["path"]: (row["fingerprint"], row["id"]) for row in rows}
