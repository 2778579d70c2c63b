"""The Whoosh store: an index folder on this machine, the embedded default (search/store.py).

    schema.py       the fields an article becomes, how Bangla text is indexed into them
    generations.py  the folder's generations: the live one, opening, atomic publishing, the lock
    build.py        rebuild and update: worker processes, copies dropped, a generation published
    segments.py     writes Whoosh's segment files ourselves (Whoosh's private layout, one door)
    postings.py     reads Whoosh's files and posting blocks (Whoosh's private layout, the other door)
    scoring.py      BM25F term scores and phrase positions as numpy arrays, cached per term
    view.py         one generation held open for searching: columns, caches, lexicon, near-duplicates
    searching.py    a StoreQuery answered: filters, matching, the ranking policy, folding, facets
    integrity.py    every file's size and checksum, recorded when built and checked when served

Only this package imports Whoosh (besides search/analysis, a Whoosh analyzer chain by design).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from search.lexicon import Lexicon
from search.store import BuildReport, Progress, StoreAnswer, StoreError, StoreQuery
from search.whoosh_store import build, integrity, searching
from search.whoosh_store.generations import (
    Generation,
    IndexDamaged,
    current_generation,
    open_generation,
    pointer_stamp,
)
from search.whoosh_store.view import GenerationView


def _answers_damage(method):
    """Index damage never answers 500: an exception while a method reads the live generation has
    its files' checksums checked (`WhooshStore._raise_if_damaged`); if they differ it becomes
    IndexDamaged (503), if not it is a bug and goes on as it was."""

    @functools.wraps(method)
    def reading(self: WhooshStore, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise

    return reading


# A generation that replaced a served one (an update landed) reads its postings ahead only after
# this long: during a burst of landings each generation is served for seconds (view.warm).
WARM_SETTLE_SECONDS = 15.0


class WhooshStore:
    """The live generation of an index folder, switched to a newly published one on the next call
    after a rebuild (no restart). `warm_on_switch` (a server): each new generation's caches are
    filled and its files' checksums checked in the background."""

    def __init__(self, root: str | Path, warm_on_switch: bool = False):
        self.root = Path(root)
        self.warm_on_switch = warm_on_switch
        self._lock = threading.Lock()
        self._pointer_stamp: tuple | None = None
        self._current: GenerationView | None = None
        self._files: integrity.GenerationCheck | None = None  # of the generation last opened

    def __repr__(self) -> str:
        return f"WhooshStore({str(self.root)!r})"

    # --- the live generation ---------------------------------------------------------------

    def view(self) -> GenerationView:
        """The live generation held open, reopened when CURRENT changes (one stat a call);
        IndexDamaged once its files are found damaged."""
        stamp = pointer_stamp(self.root)
        view = self._current
        if view is None or stamp != self._pointer_stamp:
            with self._lock:
                if self._current is None or stamp != self._pointer_stamp:
                    gen = current_generation(self.root)  # raises IndexMissing / IndexCorrupt
                    if self._current is None or self._current.generation != gen.name:
                        # Threads still answering from the old generation keep their reference;
                        # its files close when the last of them lets go.
                        replaced = self._current
                        self._current = self._open(gen)
                        if self.warm_on_switch:  # a server: fill the new generation's caches now
                            settle = WARM_SETTLE_SECONDS if replaced is not None else 0.0
                            threading.Thread(
                                target=self._warm_in_background, args=(self._current, settle), daemon=True
                            ).start()
                    self._pointer_stamp = stamp
                view = self._current
        if self._files.damage:
            raise IndexDamaged(self._files.folder, self._files.damage)
        return view

    def _open(self, gen: Generation) -> GenerationView:
        """A generation held open, once its files have the sizes recorded (IndexDamaged if not);
        a server checks their checksums in the background while it answers."""
        if self._files is None or self._files.folder != gen.path:
            self._files = integrity.GenerationCheck(gen.path, gen.meta)
        elif self._files.damage:  # found when it was last opened: not read again
            raise IndexDamaged(gen.path, self._files.damage)
        try:
            view = GenerationView(gen, open_generation(gen, self._files.check), serving=self.warm_on_switch)
        except IndexDamaged:
            self._files.check()  # all of it, once (and logged; remembered): later calls answer from it
            raise
        except StoreError:
            raise
        except Exception as exc:  # reading its files failed
            self._raise_if_damaged(exc)
            raise
        if self.warm_on_switch:
            self._files.start()
        return view

    def _raise_if_damaged(self, exc: Exception) -> None:
        """After `exc` was raised reading the live generation: IndexDamaged if its files' checksums
        differ from those recorded (checked now, unless done since the files last changed)."""
        files = self._files
        if files is not None and files.check():
            raise IndexDamaged(files.folder, files.damage) from exc

    def _warm_in_background(self, view: GenerationView, settle: float) -> None:
        try:
            view.warm(still_live=lambda: self._current is view, settle=settle)
        except StoreError:
            pass  # damage is logged where it is found; requests answer 503 with what to do

    # --- the Store protocol ----------------------------------------------------------------

    @_answers_damage
    def search(self, query: StoreQuery) -> StoreAnswer:
        return searching.search(self.view(), query)

    @_answers_damage
    def article(self, article_id: str) -> dict | None:
        view = self.view()
        docnum = view.docnum(article_id)
        return None if docnum is None else view.stored_fields(docnum)

    @_answers_damage
    def related(self, article_id: str, limit: int) -> list[dict]:
        view = self.view()
        docnum = view.docnum(article_id)
        return [] if docnum is None or limit <= 0 else searching.related(view, docnum, limit)

    @_answers_damage
    def lexicon(self) -> Lexicon:
        return self.view().lexicon()

    def has_lexicon(self) -> bool:
        return self.view().has_lexicon

    @_answers_damage
    def health(self) -> dict:
        view = self.view()
        return {
            "status": "ok",
            "documents": view.searcher.doc_count(),
            "built_at": view.built_at,
            "generation": view.generation,
            "warm": view.warmed,
            "verified": self._files.verified,  # every file's checksum checked and as written
        }

    def describe(self) -> dict:
        gen = current_generation(self.root)
        return {"generation": gen.name, "built_at": gen.built_at}

    @_answers_damage
    def warm(self) -> None:
        self.view().warm()

    def stats(self) -> dict:
        """Documents, date range, desks, size, generation and build time of the live index."""
        gen = current_generation(self.root)
        ix = open_generation(gen)
        with ix.searcher() as s:
            desks = Counter(f.get("desk") or "" for f in s.all_stored_fields())
            dated = [f["published"] for f in s.all_stored_fields() if f.get("published")]
            documents = s.doc_count()
        return {
            "documents": documents,
            "generation": gen.name,
            "built_at": gen.built_at,
            "size_bytes": sum(f.stat().st_size for f in gen.path.iterdir()),
            "oldest": min(dated) if dated else None,
            "newest": max(dated) if dated else None,
            "desks": desks.most_common(),
            "sources": gen.meta.get("sources", []),
        }

    def rebuild(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        on_total: Callable[[int], None] | None = None,
        procs: int = 2,
    ) -> BuildReport:
        return build.rebuild(sources, self.root, procs=procs, progress=progress, on_total=on_total)

    def update(
        self,
        sources: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        hold: Collection[str] = (),
        changed: Collection[str] | None = None,
    ) -> BuildReport:
        return build.update(sources, self.root, progress=progress, hold=hold, changed=changed)

    def indexed_files(self) -> dict[str, str]:
        from search.whoosh_store.generations import read_files

        files = read_files(current_generation(self.root).path)
        return {path: fingerprint for path, (fingerprint, _) in files.items()}

    def operations(self) -> dict:
        """Figures for /metrics: the live generation's build (kind and seconds) and the hits and
        misses of its caches (none open yet: none)."""
        view = self._current
        if view is None:
            return {}
        meta = view.meta
        caches = {**view.scorer.caches(), "stored": view._stored, "title_forms": view._title_forms}
        return {
            "build_kind": "update" if meta.get("updated_from") else "rebuild",
            "build_seconds": meta.get("seconds"),
            "cache_counts": {name: (cache.hits, cache.misses) for name, cache in caches.items()},
        }
