"""`sandhan index watch`: keep the index in line with a folder while pages land, change and go.

File system events (inotify, through watchdog) say which pages changed; they are gathered into a
batch until the folder has been quiet a moment (a burst of a thousand pages is one or a few
updates, not a thousand), and the batch is applied through the same atomic update as
`sandhan index update`. A page still being written is held back: one that a writer has open (a
write seen, its close not yet) or whose size and modification time changed within `stable`
seconds is not read in that update, and the version indexed before, if any, stays. A periodic
rescan compares the folder with the index's list of files, for events the kernel dropped and
file systems that send none; the same comparison on start catches up with what changed while the
watcher was stopped.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# The index and watchdog are imported where they are used: `sandhan --help` reads this module.
if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

    from search.store import BuildReport, Store


def fingerprint(path: str) -> str | None:
    """What a store's `indexed_files` records of a file now (None: gone)."""
    from search.whoosh_store.schema import safe_fingerprint  # imported here: see above

    return safe_fingerprint(path)


def _empty(path: str) -> bool:
    try:
        return os.stat(path).st_size == 0
    except OSError:
        return False


def _mtime(path: str, default: float) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return default


@dataclass
class WatchSettings:
    """How long the watcher waits, in seconds; tests make them short."""

    quiet: float = 0.3  # without events before a batch goes
    max_delay: float = 3.0  # after a batch's first event it goes, even while events keep coming
    stable: float = 0.5  # a page's size and modification time unchanged this long: it is written
    stalled: float = 60.0  # a page held open for writing but unchanged this long is read anyway
    rescan: float = 60.0  # between comparisons of the whole folder with the index
    retry: float = 1.0  # after another build held the index
    polling: bool = False  # poll the folder for changes (no inotify: network file systems)


@dataclass
class _Pending:
    """A page changed since the last update, as the watcher last saw it."""

    seen: str | None  # its fingerprint when last looked at (None: gone)
    since: float  # when that was first seen
    open: bool = False  # written to, its close not seen yet (inotify only)
    changes: int = 0  # events for it so far: one arriving during an update keeps it pending


@dataclass
class WatchReport:
    """One batch applied: the update's report, and the rejections not reported before."""

    report: BuildReport
    new_rejections: list[tuple[str, str]]
    batch: int  # pages changed in the batch (held ones not counted)
    held: int  # pages left for a later batch, still being written


class Watcher:
    """Applies changes of `sources` to `store` until `stop()`; `run()` blocks. The store's
    `update` is the one way the watcher changes it (its `rebuild` when there is none yet)."""

    def __init__(
        self,
        sources: Iterable[str | Path],
        store: Store,
        settings: WatchSettings | None = None,
        on_batch: Callable[[WatchReport], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_ready: Callable[[], None] | None = None,
    ):
        self.sources = [Path(s).resolve() for s in sources]
        self.store = store
        self.settings = settings or WatchSettings()
        self.on_batch = on_batch or (lambda report: None)
        self.on_error = on_error or (lambda message: None)
        self.on_ready = on_ready or (lambda: None)
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._first_event = self._last_event = 0.0
        self._rescan_due = 0.0  # at once: the catch-up on start
        self._rescanning: threading.Thread | None = None
        self._reported: set[tuple[str, str]] = set()
        self._last_error: str | None = None
        self._sees_closes = not self.settings.polling  # inotify says when a writer closes a file
        self.ready = threading.Event()  # set once the catch-up on start is done

    # --- events --------------------------------------------------------------------------------

    def _changed(
        self, path: str, *, writing: bool | None = None, folder: bool = False, since: float | None = None
    ) -> None:
        """`path` changed (`writing`: a write seen, True, or its close, False); `since`: when it
        last changed, if known better than now."""
        if not folder and not path.endswith(".txt"):
            return  # not a page: a temporary name written before a rename, an editor's backup
        now = time.monotonic()
        with self._lock:
            entry = self._pending.get(path)
            if entry is None:
                entry = self._pending[path] = _Pending(
                    seen=fingerprint(path), since=now if since is None else since
                )
            entry.changes += 1
            if writing is not None:
                entry.open = writing
            if not self._first_event:
                self._first_event = now
            self._last_event = now
        self._wake.set()

    def _event(self, event: FileSystemEvent) -> None:
        kind, folder = event.event_type, event.is_directory
        src = os.fsdecode(event.src_path)
        if kind == "moved":  # renamed: both names changed; a name moved in is written whole
            self._changed(src, writing=False, folder=folder)
            self._changed(os.fsdecode(event.dest_path), writing=False, folder=folder)
            if folder:
                self._pages_in(os.fsdecode(event.dest_path))
        elif kind == "modified" and not folder:
            self._changed(src, writing=True if self._sees_closes else None)
        elif kind == "created" and not folder:
            # Open for writing only if still empty: watchdog also says "created" for each file of
            # a folder moved in or made with its pages, complete, whose close never comes (each
            # such page was held back for `stalled` seconds). A writer's writes say "modified".
            self._changed(src, writing=True if self._sees_closes and _empty(src) else None)
        elif kind == "closed":
            self._changed(src, writing=False)
        elif kind in ("created", "deleted", "attrib"):  # a folder made or removed: its pages with it
            self._changed(src, folder=folder)
            if folder and kind == "created":
                self._pages_in(src)
        elif kind == "events_lost":  # the kernel's queue overflowed: compare everything
            self._rescan_due = 0.0
            self._wake.set()

    def _pages_in(self, folder: str) -> None:
        """The pages of a folder just made or moved in: inotify watches a new folder only once
        it has heard of it, so a page written into it at once may send no event."""
        for parent, _, names in os.walk(folder):
            for name in names:
                self._changed(os.path.join(parent, name))

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = FileSystemEventHandler()
        handler.on_any_event = self._event
        observer = PollingObserver(timeout=1) if self.settings.polling else Observer()
        for source in self.sources:
            observer.schedule(handler, str(source), recursive=True)
        observer.start()
        try:
            if not self._catch_up_or_build():
                return
            while not self._stopped.is_set():
                self._wake.wait(self._tick())
                self._wake.clear()
                if self._stopped.is_set():
                    break
                try:
                    if time.monotonic() >= self._rescan_due:
                        self._rescan_beside()
                    if self._batch_due():
                        self._apply()
                except Exception as exc:  # a bug costs a batch, not the watcher: said, tried again
                    traceback.print_exc()
                    self._error(f"could not apply the changes ({exc.__class__.__name__}); trying again")
                    self._stopped.wait(self.settings.retry)
        finally:
            observer.stop()
            observer.join()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def _tick(self) -> float:
        """How long to sleep without events: a batch waiting for quiet or stability is looked at
        again soon; otherwise the next rescan."""
        s = self.settings
        if self._pending:
            return min(s.quiet, s.stable) / 2
        return max(0.05, self._rescan_due - time.monotonic())

    def _catch_up_or_build(self) -> bool:
        """On start: build the index when there is none, else compare it with the folder (the
        first rescan). False when stopped before that succeeded."""
        from search.store import StoreError, StoreMissing

        while not self._stopped.is_set():
            try:
                self.store.indexed_files()
                break
            except StoreMissing:
                try:
                    self._report(self.store.rebuild(self.sources, procs=1), batch=0, held=0)
                    break
                except StoreError as exc:  # another build holds it, or no pages yet
                    self._error(str(exc))
            except StoreError as exc:
                self._error(str(exc))
            self._stopped.wait(self.settings.retry)
        else:
            return False
        self._rescan()
        if self._batch_due(catching_up=True):
            self._apply()
        self.ready.set()
        self.on_ready()
        return True

    def _rescan_beside(self) -> None:
        """A periodic rescan on a thread of its own: reading a large store's list of pages takes
        seconds (1.8 s at 100,000 in a cluster), which batches meanwhile need not wait for."""
        if self._rescanning is None or not self._rescanning.is_alive():
            self._rescan_due = time.monotonic() + self.settings.rescan
            self._rescanning = threading.Thread(
                target=self._rescan_safely, name="sandhan-rescan", daemon=True
            )
            self._rescanning.start()

    def _rescan_safely(self) -> None:
        try:
            self._rescan()
        except Exception as exc:  # a bug costs a rescan, not the watcher: said, tried at the next
            traceback.print_exc()
            self._error(f"could not compare the folder with the index ({exc.__class__.__name__})")

    def _rescan(self) -> None:
        """Every page whose file differs from the index's record of it becomes pending."""
        from search.pages import scan_sources
        from search.store import StoreError

        self._rescan_due = time.monotonic() + self.settings.rescan
        try:
            indexed = self.store.indexed_files()
        except StoreError as exc:
            self._error(str(exc))
            return
        scan = scan_sources(self.sources)
        on_disk = {str(p): fingerprint(str(p)) for p in scan.pages}
        stale = [p for p, fp in on_disk.items() if indexed.get(p) != fp]
        gone = [
            p
            for p in indexed
            if p not in on_disk
            and any(Path(p).is_relative_to(s) for s in self.sources)
            and not any(Path(p).is_relative_to(u) for u in scan.unreadable)
        ]
        now, wall = time.monotonic(), time.time()
        for path in stale + gone:
            with self._lock:
                known = path in self._pending
            if not known:  # seen by the rescan alone: unchanged since its modification time
                self._changed(path, since=now - max(0.0, wall - _mtime(path, wall)))

    def _batch_due(self, catching_up: bool = False) -> bool:
        if not self._pending:
            return False
        if catching_up:
            return True
        now = time.monotonic()
        s = self.settings
        return now - self._last_event >= s.quiet or now - self._first_event >= s.max_delay

    def _written(self) -> tuple[dict[str, int], list[str]]:
        """The pending pages to apply now (path → its count of changes) and those held back."""
        now = time.monotonic()
        s = self.settings
        ready, held = {}, []
        with self._lock:
            entries = list(self._pending.items())
        for path, entry in entries:
            current = fingerprint(path)
            if current != entry.seen:
                entry.seen, entry.since = current, now
            unchanged = now - entry.since
            if current is None or (not entry.open and unchanged >= s.stable) or unchanged >= s.stalled:
                ready[path] = entry.changes
            else:
                held.append(path)
        return ready, held

    def _apply(self) -> None:
        from search.store import BuildInProgress, StoreError

        ready, held = self._written()
        # Only what is still being written remains: wait for it (the loop looks again soon).
        while ready and not self._stopped.is_set():
            try:
                report = self.store.update(self.sources, changed=set(ready), hold=set(held))
            except BuildInProgress as exc:  # someone ran `sandhan index update`: ours goes next
                self._error(str(exc))
                self._stopped.wait(self.settings.retry)
                continue
            except StoreError as exc:  # damaged, disk full: said, and tried again at the next rescan
                self._error(str(exc))
                with self._lock:
                    self._pending.clear()
                    self._first_event = 0.0
                return
            with self._lock:
                for path, changes in ready.items():
                    entry = self._pending.get(path)
                    if entry is not None and entry.changes == changes:  # no event since it was read
                        del self._pending[path]
                self._first_event = time.monotonic() if self._pending else 0.0
            self._last_error = None
            self._report(report, batch=len(ready), held=len(held))
            return

    def _report(self, report: BuildReport, batch: int, held: int) -> None:
        new = [r for r in report.rejected if r not in self._reported]
        self._reported.update(new)
        self.on_batch(WatchReport(report, new, batch, held))

    def _error(self, message: str) -> None:
        if message != self._last_error:  # said once, not at every retry
            self.on_error(message)
        self._last_error = message


@dataclass
class WatchThread:
    """A Watcher on a daemon thread, for `sandhan serve --watch`."""

    watcher: Watcher
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self.watcher.run, name="sandhan-watch", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.watcher.stop()
        self.thread.join(timeout)
