"""A rebuild's pages shared among worker processes: the page list cut into runs of about as many
bytes each, each run worked on in a forked process of its own, progress and the results sent
back. Both stores read and analyze pages this way; the work itself is theirs.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from search.store import Progress, StoreError

PROGRESS_EVERY = 32  # pages a worker reads between two progress messages
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)  # a full file system, or a full quota

Result = TypeVar("Result")
# (share number, the share's paths, progress) -> what the share made, sent back pickled
ShareWork = Callable[[int, list[Path], Progress | None], Result]


class BuildFailed(StoreError):
    """A worker process of a rebuild died; the live generation was not touched."""


def split_by_size(paths: list[Path], parts: int) -> list[list[Path]]:
    """`paths` cut into `parts` runs of consecutive paths holding about as many bytes each: a
    worker's time goes with the text it reads."""
    if parts < 2:
        return [paths]
    sizes = []
    for p in paths:
        try:
            sizes.append(p.stat().st_size)
        except OSError:
            sizes.append(0)  # gone: the worker reports it
    total = sum(sizes) or 1
    shares: list[list[Path]] = [[] for _ in range(parts)]
    held = 0
    for path, size in zip(paths, sizes, strict=True):
        shares[min(parts - 1, held * parts // total)].append(path)
        held += size
    return shares


def run_shares(work: ShareWork, shares: list[list[Path]], progress: Progress | None) -> list[Result]:
    """`work` done on each of `shares`, each in a process of its own (in this process when there
    is one share); the results in the order of the shares. BuildFailed when a worker dies or
    raises."""
    if len(shares) == 1:
        return [work(0, shares[0], progress)]
    # fork: `work` may be a closure; nothing but progress and results is pickled
    context = multiprocessing.get_context("fork")
    events = context.SimpleQueue()
    workers = [
        context.Process(target=_share_worker, args=(work, i, share, events, os.getpid()), daemon=True)
        for i, share in enumerate(shares)
    ]
    for w in workers:
        w.start()
    done: dict[int, Result] = {}
    try:
        while len(done) < len(workers):
            while events.empty():
                dead = [w for i, w in enumerate(workers) if i not in done and w.exitcode is not None]
                if dead and events.empty():
                    raise BuildFailed(f"An indexing process exited with status {dead[0].exitcode}")
                time.sleep(0.05)
            kind, *rest = events.get()
            if kind == "read" and progress:
                progress(rest[0])
            elif kind == "done":
                done[rest[0]] = rest[1]
            elif kind == "failed":
                message, code = rest
                if code in NO_SPACE:  # said once, by the build (DiskFull)
                    raise OSError(code, os.strerror(code))
                raise BuildFailed(f"An indexing process failed: {message}")
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
            w.join()
    return [done[i] for i in range(len(workers))]


PR_SET_PDEATHSIG = 1  # prctl(2) option: a signal for this process when its parent dies


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this worker when the rebuild's main process dies, even by SIGKILL:
    an orphan would go on writing into a generation nobody will publish. Linux only."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere an orphan finishes its share, then exits
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _share_worker(work: ShareWork, share: int, paths: list[Path], events, parent: int) -> None:
    """The body of a worker process: progress and the finished share go back on `events`."""
    _die_with_parent(parent)
    test_pause("worker")
    # Indexing allocates millions of small objects and frees few: the cyclic collector would
    # scan them again and again (3 % of a worker's time) for garbage it rarely finds.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    read = 0

    def progress(k: int) -> None:
        nonlocal read
        read += k
        if read >= PROGRESS_EVERY:
            events.put(("read", read))
            read = 0

    try:
        result = work(share, paths, progress)
    except BaseException as exc:
        events.put(("failed", f"{exc.__class__.__name__}: {exc}", getattr(exc, "errno", None)))
        if getattr(exc, "errno", None) in NO_SPACE:
            raise SystemExit(1) from None  # the rebuild says it in one line: a traceback adds nothing
        raise
    events.put(("read", read))
    events.put(("done", share, result))


def test_pause(stage: str) -> None:
    """Test-only, never set in production: with SANDHAN_TEST_PAUSE="<stage>:<file>" a build that
    reaches `stage` ("worker": an indexing process has started; "publish": about to switch) creates
    <file>.reached and waits until <file> exists, so a test can kill or race a build it knows is
    still running. Gives up waiting after TEST_PAUSE_SECONDS (a test that died must not leave a
    build waiting for ever)."""
    at, _, release = os.environ.get("SANDHAN_TEST_PAUSE", "").partition(":")
    if at != stage or not release:
        return
    Path(release + ".reached").touch()
    deadline = time.monotonic() + TEST_PAUSE_SECONDS
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)


TEST_PAUSE_SECONDS = 300
