"""Rebuild and update: pages read by worker processes into segments, copies dropped, a new
generation published (search/whoosh_store/generations.py).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index

from search import duplicates
from search.article import fresher
from search.build_workers import run_shares, split_by_size
from search.pages import FileId, SourceScan, printable_path, read_pages, scan_named, scan_sources, under
from search.store import BuildReport, NothingToIndex, Progress
from search.whoosh_store import integrity
from search.whoosh_store.generations import (
    FILES_FILE,
    META_FILE,
    clean_leftovers,
    current_generation,
    generation_meta,
    new_generation,
    publish,
    raise_if_damaged,
    read_files,
    said_when_out_of_space,
    write_files,
    write_lock,
)
from search.whoosh_store.schema import article_document, build_schema, safe_fingerprint
from search.whoosh_store.segments import WRITER_OPTIONS, SegmentBuilder, commit_segments, merge_small_segments


@dataclass(frozen=True)
class _Indexed:
    """What deduplication needs to know of a page a worker indexed, without its text."""

    path: str
    id: str
    digest: str
    fingerprint: str
    rank: tuple  # (dated, freshest time, path): the greater copy is kept
    where: tuple[int, int, int]  # (worker share, segment of the share, document number in it)


@dataclass
class _Share:
    """One worker's part of a rebuild: its finished segments and what it read."""

    segments: list  # Whoosh segments
    indexed: list[_Indexed]
    rejected: list[tuple[str, str]]  # (path, reason)


# Postings a worker holds in memory before it closes its segment and starts another: about
# 70 bytes each at the peak, while the segment is written (measured: 336 MB at 4.7 M postings,
# a 526 MiB process at 100k pages).
SEGMENT_POSTINGS = 8_000_000


def _index_share(
    building: Path, share: int, paths: list[Path], links: dict[Path, FileId], progress: Progress | None
) -> _Share:
    """Read `paths` (`links`: SourceScan.links) and index them into segments of their own in the
    index at `building`."""
    ix = index.open_dir(str(building))
    builder = SegmentBuilder(ix)
    result = _Share([], [], [])
    for article in read_pages(paths, links, result.rejected, progress):
        doc = article_document(article)
        rank = article.copy_rank
        docnum = builder.add(doc)
        where = (share, len(result.segments), docnum)
        result.indexed.append(
            _Indexed(doc["path"], doc["id"], doc["body_hash"], doc["fingerprint"], rank, where)
        )
        if builder.held >= SEGMENT_POSTINGS:
            result.segments.append(builder.finish())
            builder = SegmentBuilder(ix)
    if builder.docnum:
        result.segments.append(builder.finish())
    return result


def _index_shares(building: Path, scan: SourceScan, procs: int, progress: Progress | None) -> list[_Share]:
    """Index the pages of `scan` in `procs` worker processes, each writing its own segment of
    consecutive pages (so document numbers follow the page order whatever `procs` is)."""

    def work(share: int, paths: list[Path], progress: Progress | None) -> _Share:
        return _index_share(building, share, paths, scan.links, progress)

    return run_shares(work, split_by_size(scan.pages, procs), progress)


def rebuild(
    sources: Iterable[str | Path],
    root: str | Path,
    *,
    procs: int = 2,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> BuildReport:
    """Index every page under `sources` into a new generation of `root` and make it live.

    Each of `procs` worker processes reads its share of the pages once and writes a segment.
    Copies of one article (same id, or the same body text) are then marked deleted in their
    segments, all but the most recently updated one, so a search never meets them.
    """
    root = Path(root)
    sources = [Path(s).resolve() for s in sources]  # stored paths must not depend on the cwd
    started = time.monotonic()
    report = BuildReport()
    with (
        said_when_out_of_space(root, "rebuild") as space,
        write_lock(root),
        new_generation(root, space) as building,
    ):
        scan = scan_sources(sources)
        paths = scan.pages
        if not paths:
            raise NothingToIndex(
                f"No pages (*.txt) under {', '.join(str(s) for s in sources)}{_passed_over(scan)}: "
                "nothing was changed"
            )
        if on_total:
            on_total(len(paths))
        ix = index.create_in(str(building), build_schema())
        shares = _index_shares(building, scan, max(1, min(procs, len(paths))), progress)
        read_rejected = [r for share in shares for r in share.rejected]
        report.rejected = scan.rejected + read_rejected
        indexed = [page for share in shares for page in share.indexed]
        dropped = duplicates.copies_to_drop(indexed, lambda p: p.path)
        for page, _ in dropped:
            share, segment, docnum = page.where
            shares[share].segments[segment].delete_document(docnum)
        report.duplicates = sorted((page.path, kept_id) for page, kept_id in dropped)
        commit_segments(ix, [segment for share in shares for segment in share.segments])
        ix.close()
        report.indexed = len(indexed) - len(dropped)
        files = {page.path: (page.fingerprint, page.id) for page in indexed}
        for path, _ in read_rejected + report.duplicates:  # read, not indexed: the list has them
            files[path] = (files.get(path, ("",))[0] or safe_fingerprint(path) or "", SKIPPED)
        write_files(building, files)
        report.seconds = time.monotonic() - started
        meta = generation_meta(sources, report, ix_doc_count=report.indexed)
        gen = publish(root, building, meta)
        report.generation = gen.name
        clean_leftovers(root)
    return report


def _passed_over(scan: SourceScan) -> str:
    """For a source without pages: what was found instead, if anything."""
    if not scan.rejected:
        return ""
    path, reason = scan.rejected[0]
    return f" (passed over: {len(scan.rejected)}, e.g. {printable_path(path)}: {reason})"


def update(
    sources: Iterable[str | Path],
    root: str | Path,
    *,
    progress: Progress | None = None,
    hold: Collection[str] = (),
    changed: Collection[str] | None = None,
) -> BuildReport:
    """Bring the live index in line with `sources`: add new pages, re-index changed ones and
    remove those whose files are gone, in a new generation (same atomicity as a rebuild).
    `hold`: paths of pages still being written (search/watch.py), not read this time; the version
    indexed before, if any, stays. `changed`: the only paths (pages, or folders of pages) that
    may have changed, as the watcher heard them; the sources are not walked."""
    root = Path(root)
    sources = [Path(s).resolve() for s in sources]
    started = time.monotonic()
    report = BuildReport()
    with (
        said_when_out_of_space(root, "update") as space,
        write_lock(root),
        new_generation(root, space) as building,
    ):
        live = current_generation(root)
        # Every byte it builds on, checked first: an update of damaged files would publish the
        # damage again, or fail in a traceback half-way (its file list is read, its index written).
        # A file this process checked or wrote, unchanged since, is trusted (integrity._crc32).
        raise_if_damaged(live, functools.partial(integrity.content_damage, trust_known=True))
        # Whoosh never rewrites a file in place (new segments, new TOC), so hard links make the
        # copy instant and leave the live generation untouched.
        for f in live.path.iterdir():
            if f.name not in (META_FILE, FILES_FILE) and not f.name.endswith(".lock"):
                os.link(f, building / f.name)
        ix = index.open_dir(str(building))
        files = read_files(live.path)
        if changed is None:
            scan = scan_sources(sources)
            candidates: Iterable[str] = files
        else:
            candidates = _named_or_under(files, changed)
            scan = scan_named(sources, set(changed) | set(candidates))
        on_disk = {str(p): p for p in scan.pages}
        # A page in a folder that cannot be listed now is not known to be gone: it stays.
        gone = [
            p for p in candidates if p not in on_disk and under(p, sources) and not under(p, scan.unreadable)
        ]
        fresh = [p for p in on_disk if p not in hold and files.get(p, (None,))[0] != safe_fingerprint(p)]
        # Which file holds each indexed article; SKIPPED marks files read but not indexed
        # (rejected, or a stale copy of another file's article).
        ids = {article_id: path for path, (_, article_id) in files.items() if article_id != SKIPPED}
        writer = ix.writer(limitmb=256, **WRITER_OPTIONS)
        try:
            for p in gone:
                article_id = files.pop(p)[1]
                if article_id != SKIPPED:
                    writer.delete_by_term("id", article_id)
                    ids.pop(article_id, None)
                report.removed += 1
            changed = {p for p in fresh if p in files}
            for p in changed:  # the old version goes, whether or not the new one reads
                article_id = files.pop(p)[1]
                if article_id != SKIPPED and ids.get(article_id) == p:
                    writer.delete_by_term("id", article_id)
                    del ids[article_id]
            with ix.searcher() as held:
                for article in read_pages((on_disk[p] for p in fresh), scan.links, report.rejected, progress):
                    doc = article_document(article)
                    held_path = ids.get(article.id)
                    if held_path is not None and not fresher(article, held.document(id=article.id)):
                        files[doc["path"]] = (doc["fingerprint"], SKIPPED)  # the indexed copy stays
                        continue
                    if held_path is not None:  # this copy is fresher: it replaces the other file's
                        writer.delete_by_term("id", article.id)
                        files[held_path] = (files[held_path][0], SKIPPED)
                    report.changed += article.path in changed
                    report.added += article.path not in changed
                    writer.add_document(**doc)
                    files[doc["path"]] = (doc["fingerprint"], doc["id"])
                    ids[doc["id"]] = doc["path"]
            for path, _ in report.rejected:
                files[path] = (safe_fingerprint(path) or "", SKIPPED)
            writer.commit(mergetype=merge_small_segments)
        except BaseException:
            writer.cancel()
            raise
        report.rejected[:0] = scan.rejected  # not read, so not in the list: found again next time
        report.indexed = ix.doc_count()
        ix.close()
        write_files(building, files)
        report.seconds = time.monotonic() - started
        meta = generation_meta(live.meta.get("sources", sources), report, ix_doc_count=report.indexed)
        meta["updated_from"] = live.name
        gen = publish(root, building, meta)
        report.generation = gen.name
        clean_leftovers(root)
    return report


SKIPPED = None  # the id of a file read but not indexed (rejected, or a duplicate): no name is None


def _named_or_under(files: dict[str, tuple], changed: Collection[str]) -> list[str]:
    """The indexed pages among `changed`, or in a folder among it (removed or moved away)."""
    named = [p for p in changed if p in files]
    folders = [c for c in changed if c not in files and not c.endswith(".txt")]
    if folders:
        named += [p for p in files if under(p, folders)]
    return named
