"""Damage found and said: the size and checksum of every file of a generation, recorded in its
metadata when it is published and checked when a server opens it (sizes), while it serves
(checksums, in the background) and by `sandhan index verify` (everything).

The checksum is CRC-32, as in the footer Lucene writes into every index file: it finds every
changed byte and every burst of up to 32 bits, and random garbage with a chance of 1 in 2^32 to
miss, in about 18 ms for the 40 MB of a 5,000-article index on this machine (SHA-256: 26 ms). A
cryptographic hash would buy nothing: whoever can change the files can change the records beside
them. The metadata carries a checksum of its own too, so a changed byte there is found as well.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Set
from dataclasses import dataclass
from pathlib import Path

META_FILE = "sandhan.json"
FILES_KEY = "files"  # {name: {"size": bytes, "crc32": 8 hex digits}} of every other file
SEAL_KEY = "crc32"  # of the rest of the metadata, as canonical JSON
CHUNK = 1 << 20  # bytes read at a time: zlib.crc32 releases the GIL for each, so serving goes on

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Damage:
    """One file of a generation that is not as it was written, and how."""

    file: str  # its name in the generation's folder
    problem: str  # "missing", "size differs: …", "checksum differs: …"

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


def describe(damage: list[Damage], shown: int = 3) -> str:
    """The first few damaged files for a one-line message; `sandhan index verify` lists them all."""
    text = "; ".join(str(d) for d in damage[:shown])
    return text + (f"; and {len(damage) - shown} more" if len(damage) > shown else "")


# The checksums this process has read, by each file's identity and its size and modification
# time. Whoosh never rewrites a file in place, and an update hard-links the files of the live
# generation into the next: trusting these, an update, and a server opening the next generation,
# read only the files that are new (at 100,000 articles, 20 MB instead of 700 MB a landing). A
# check after a failed read, and `sandhan index verify`, trust nothing and read every byte.
_known_crc: dict[tuple[int, int], tuple[int, int, str]] = {}
_KNOWN_MAX = 100_000  # entries: forgotten all at once beyond this (files removed leave theirs)


def _crc32(path: Path, trust_known: bool = False) -> str:
    st = os.stat(path)
    identity, stamp = (st.st_dev, st.st_ino), (st.st_size, st.st_mtime_ns)
    known = _known_crc.get(identity)
    if trust_known and known is not None and known[:2] == stamp:
        return known[2]
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    if len(_known_crc) >= _KNOWN_MAX:
        _known_crc.clear()
    _known_crc[identity] = (*stamp, f"{crc:08x}")
    return f"{crc:08x}"


def _seal(meta: dict) -> str:
    rest = {k: v for k, v in meta.items() if k != SEAL_KEY}
    canonical = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # surrogatepass: JSON may spell a lone surrogate ("\\ud800"), which strict UTF-8 cannot encode;
    # every other text encodes as with strict UTF-8, so the checksums written stay the same.
    return f"{zlib.crc32(canonical.encode('utf-8', 'surrogatepass')):08x}"


# ---------------------------------------------------------------------------------------------
# Recording


def sealed(meta: dict, folder: Path, linked_from: Path | None = None) -> dict:
    """`meta` with the size and checksum of every file in `folder` (the metadata file aside) and
    a checksum of its own.

    A file hard-linked from the generation `linked_from` (an update) keeps the record written for
    it there: a file damaged since it was first written is still found in the new generation.
    """
    inherited = _records_of_linked(linked_from) if linked_from else {}
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == META_FILE:
            continue
        st = path.stat()
        held = inherited.get(path.name)
        if held is not None and os.path.samestat(st, held[0]):
            files[path.name] = held[1]
        else:
            files[path.name] = {"size": st.st_size, "crc32": _crc32(path)}
    out = {**meta, FILES_KEY: files}
    out[SEAL_KEY] = _seal(out)
    return out


def _records_of_linked(folder: Path) -> dict[str, tuple[os.stat_result, dict]]:
    """name → (its stat, its record) for the files of a generation whose records can be trusted."""
    meta, damage = read_meta(folder)
    if damage or seal_damage(meta):
        return {}
    out = {}
    for name, record in meta[FILES_KEY].items():
        try:
            out[name] = (os.stat(folder / name), record)
        except OSError:
            pass
    return out


# ---------------------------------------------------------------------------------------------
# Checking


def read_meta(folder: Path) -> tuple[dict, list[Damage]]:
    """The metadata of the generation in `folder`, a JSON object; ({}, what is wrong) when it
    cannot be read as one."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: nested deeper than json reads
        return {}, [Damage(META_FILE, "cannot be read as JSON")]
    if not isinstance(meta, dict):
        return {}, [Damage(META_FILE, "not a JSON object")]
    return meta, []


def seal_damage(meta: dict) -> list[Damage]:
    """What is wrong with the metadata itself: no records, a checksum that differs (its records
    of the other files cannot be trusted then), or records that are not as `sealed` writes them."""
    if not isinstance(meta.get(FILES_KEY), dict) or SEAL_KEY not in meta:
        return [Damage(META_FILE, "holds no sizes and checksums of the other files")]
    if meta[SEAL_KEY] != _seal(meta):
        return [Damage(META_FILE, "checksum differs: its records cannot be trusted")]
    bad = [name for name, record in meta[FILES_KEY].items() if not _is_record(name, record)]
    if bad:
        return [
            Damage(
                META_FILE,
                f"{len(bad)} of its records are not a file of the generation with a size and a "
                f"checksum (the first: {bad[0][:40]!r})",
            )
        ]
    return []


def _is_record(name: str, record) -> bool:
    """Whether `name` → `record` is as `sealed` writes it: a file in the generation's folder itself
    (not `../x`, `/etc/x`, nor a name the file system cannot take), its size and checksum."""
    return (
        name not in ("", ".", "..", META_FILE)
        and "/" not in name
        and name.isprintable()  # no NUL, no control character, no lone surrogate
        and isinstance(record, dict)
        and type(record.get("size")) is int  # not a bool, a float or a string
        and record["size"] >= 0
        and isinstance(record.get("crc32"), str)
    )


def size_damage(folder: Path, meta: dict) -> list[Damage]:
    """Files missing or of another size than recorded: a stat per file, cheap enough for every
    opening of a generation."""
    return seal_damage(meta) or _file_damage(folder, meta, _size_problem)


def content_damage(folder: Path, meta: dict, trust_known: bool = False) -> list[Damage]:
    """Files missing, of another size or with other bytes than recorded: reads every file (but
    those whose checksum this process read since they last changed, when `trust_known`)."""
    damage = size_damage(folder, meta)
    if any(d.file == META_FILE for d in damage):
        return damage
    found = {d.file for d in damage}

    def checksum_problem(path: Path, record: dict) -> str | None:
        same = _crc32(path, trust_known) == record["crc32"]
        return None if same else "checksum differs: its bytes are not those written"

    return damage + _file_damage(folder, meta, checksum_problem, passed_over=found)


def _file_damage(
    folder: Path,
    meta: dict,
    problem_of: Callable[[Path, dict], str | None],
    passed_over: Set[str] = frozenset(),
) -> list[Damage]:
    """What `problem_of(path, record)` finds wrong with each recorded file but those `passed_over`;
    a file that is gone or cannot be read is damaged too."""
    damage = []
    for name, record in meta[FILES_KEY].items():
        if name in passed_over:
            continue
        try:
            problem = problem_of(folder / name, record)
        except FileNotFoundError:
            problem = "missing"
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
        if problem:
            damage.append(Damage(name, problem))
    return damage


def _size_problem(path: Path, record: dict) -> str | None:
    size = path.stat().st_size
    return None if size == record["size"] else f"size differs: {size:,} bytes, {record['size']:,} written"


class GenerationCheck:
    """What a server knows of the files of the generation it serves (their sizes were checked
    when it opened it, `search.whoosh_store.generations.open_generation`).

    `start` checks their checksums in a background thread while the server answers (trusting the
    checksums this process read of files an earlier generation shares); `check` does it now,
    reading every byte, after a read of the index failed, unless it was done since the files
    last changed (their inode, size and times), so a bug that fails every request does not read
    the index every time. `damage` is what the last check found; `verified` says it found none.
    """

    def __init__(self, folder: Path, meta: dict):
        self.folder = folder
        self.meta = meta
        self.damage: list[Damage] = []
        self.verified = False
        self._lock = threading.Lock()
        self._checked_stamp: tuple | None = None
        self._trusted = False  # the last check trusted checksums read before

    def start(self) -> None:
        threading.Thread(
            target=self.check, kwargs={"trust_known": True}, name=f"check {self.folder.name}", daemon=True
        ).start()

    def check(self, trust_known: bool = False) -> list[Damage]:
        with self._lock:  # a failed read waits for a check already running, then shares it
            stamp = self._stamp()
            if stamp != self._checked_stamp or (self._trusted and not trust_known):
                damage = content_damage(self.folder, self.meta, trust_known)
                self._trusted = trust_known
                if damage and damage != self.damage:
                    root = self.folder.parent.parent
                    log.error(
                        "the index generation %s is damaged: %s. See `sandhan index verify --index %s`, "
                        "then rebuild it with `sandhan index rebuild`",
                        self.folder,
                        describe(damage),
                        root,
                    )
                self.damage, self.verified = damage, not damage
                self._checked_stamp = stamp
            return self.damage

    def _stamp(self) -> tuple:
        stamps = []
        for name in self.meta.get(FILES_KEY) or ():
            try:
                st = os.stat(self.folder / name)
            except OSError:
                stamps.append(None)
                continue
            stamps.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        return tuple(stamps)
