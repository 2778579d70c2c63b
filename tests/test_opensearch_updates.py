"""An update of the OpenSearch store (search/opensearch_store/changes.py): the pages that changed,
applied to a clone of the live generation and switched in; the same documents, near-duplicates
and vocabulary as a rebuild of the same folder. A real node (tests/opensearch_node.py)."""

from __future__ import annotations

import shutil

import pytest
import requests

from search.engine import SearchEngine
from search.opensearch_store import OpenSearchStore, changes
from search.pages import read_page
from search.store import StoreError
from search.text_terms import token_spans
from tests.conftest import SAMPLES
from tests.test_watch import page
from web.params import parse_request

NEW_WORD = "জলহস্তীপুর"  # in no sample page


def documents(store: OpenSearchStore) -> dict[str, dict]:
    """Id → (title, similar_ids, path) of every document the alias holds."""
    found = store.client.search(
        index=store.name, body={"size": 100, "_source": ["id", "title", "similar_ids", "path"]}
    )
    return {
        h["_source"]["id"]: (
            h["_source"]["title"],
            sorted(h["_source"].get("similar_ids") or []),
            h["_source"]["path"],
        )
        for h in found["hits"]["hits"]
    }


def ids_found(store: OpenSearchStore, q: str) -> list[str]:
    return [r["id"] for r in SearchEngine(store).search(parse_request({"q": q, "per_page": "50"}))["results"]]


@pytest.fixture
def pages(tmp_path):
    folder = tmp_path / "pages"
    shutil.copytree(SAMPLES, folder)
    return folder


def test_an_update_applies_the_changes_as_a_rebuild_would(opensearch_url, pages, request):
    store = OpenSearchStore(opensearch_url, f"upd-{request.node.name[:20].lower()}")
    # A file that is no page, and a copy of a page under another name: read, not indexed, and
    # listed so that an update does not read them again.
    (pages / "broken.txt").write_bytes(b"no bangla here at all\n")
    shutil.copy(sorted(pages.glob("0005_*.txt"))[0], pages / "copy1.txt")
    report = store.rebuild([pages])
    assert (report.indexed, len(report.rejected), len(report.duplicates)) == (18, 1, 1)
    assert set(store.indexed_files()) == {str(p) for p in pages.iterdir()}
    before = store.generation()
    assert store.update([pages]).generation == before  # nothing read again, nothing changed
    old_sample = sorted(pages.glob("0001_*.txt"))[0]
    near_of = sorted(pages.glob("0004_*.txt"))[0]  # a long body: one sentence more is near
    changed_page = sorted(pages.glob("0003_*.txt"))[0]

    # A new page; a near-duplicate of a sample (its text, one sentence added); a changed title; a
    # removed page.
    (pages / "new1.txt").write_text(
        page(f"{NEW_WORD} নতুন খবর", f"{NEW_WORD} নদীর ধারে দেখা গেল। " * 5), "utf-8"
    )
    near_body = read_page(near_of).body + " একটি নতুন বাক্য যোগ হলো।"
    (pages / "near1.txt").write_text(page("প্রায় একই খবর", near_body), "utf-8")
    title = read_page(changed_page).title
    changed_page.write_text(changed_page.read_text("utf-8").replace(title, f"{NEW_WORD} {title}"), "utf-8")
    old_sample.unlink()
    touched = {str(pages / "new1.txt"), str(pages / "near1.txt"), str(changed_page), str(old_sample)}

    report = store.update([pages], changed=touched)
    assert (report.added, report.changed, report.removed) == (2, 1, 1)
    assert report.generation != before and store.generation() == report.generation
    assert report.indexed == 18 + 2 - 1

    # What a rebuild of the same folder holds.
    rebuilt = OpenSearchStore(opensearch_url, f"re-{request.node.name[:20].lower()}")
    rebuilt.rebuild([pages])
    assert documents(store) == documents(rebuilt)
    near_id, other_id = "near1", near_of.stem
    assert documents(store)[near_id][1] == [other_id] and near_id in documents(store)[other_id][1]

    assert set(ids_found(store, NEW_WORD)) == {"new1", changed_page.stem} == set(ids_found(rebuilt, NEW_WORD))
    assert old_sample.stem not in ids_found(store, "জলাবদ্ধতা")
    # The vocabulary: the new word's term counted in both documents holding it, as a rebuild counts.
    [(term, _, _)] = token_spans(NEW_WORD)
    assert store.lexicon().df(term) == rebuilt.lexicon().df(term) == 2

    # The near-duplicate removed: its partner loses it.
    (pages / "near1.txt").unlink()
    report = store.update([pages], changed={str(pages / "near1.txt")})
    assert (report.added, report.changed, report.removed) == (0, 0, 1)
    assert near_id not in documents(store)[other_id][1]

    # Nothing changed (every page compared): no new generation.
    live = store.generation()
    report = store.update([pages])
    assert (report.added, report.changed, report.removed, report.generation) == (0, 0, 0, live)


def test_a_failed_update_leaves_the_alias_serving(opensearch_url, pages, monkeypatch):
    store = OpenSearchStore(opensearch_url, "upd-failing")
    store.rebuild([pages])
    live = store.generation()
    (pages / "new1.txt").write_text(page(f"{NEW_WORD} নতুন খবর", f"{NEW_WORD} নদীর ধারে। " * 5), "utf-8")

    def refused(*args, **kwargs):
        raise StoreError("the cluster refused a change (a test)")

    monkeypatch.setattr(changes, "_write", refused)
    with pytest.raises(StoreError):
        store.update([pages], changed={str(pages / "new1.txt")})
    store._generation = None
    assert store.generation() == live
    assert ids_found(store, NEW_WORD) == [] and ids_found(store, "জলাবদ্ধতা")
    monkeypatch.undo()

    report = store.update([pages], changed={str(pages / "new1.txt")})  # the clone left is removed
    assert report.added == 1 and ids_found(store, NEW_WORD) == ["new1"]
    indices = requests.get(
        f"{opensearch_url}/_cat/indices/upd-failing-gen-*?h=index", timeout=10
    ).text.split()
    assert sorted(indices) == sorted([report.generation, f"{report.generation}-lexicon"])
