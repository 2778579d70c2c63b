"""A live archive: pages dropped, changed and deleted under a running `sandhan serve --watch` are
found (or gone) in search within 10 s; a burst is batched; a page being written is never read half;
a restarted watcher catches up. Real files, a real server process, inotify."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild
from tests.conftest import SAMPLES, LiveServer

# The watcher's own waits, short (seconds): the 10 s a test allows is far from them.
FAST = ("--workers", "1", "--quiet", "0.1", "--stable", "0.2")
SEEN_WITHIN = 10.0  # the promise, as the deadline of each wait below


def page(title: str, body: str, day: int = 12) -> str:
    """A saved page as the reader expects one: title, desk, published line, body."""
    return f"{title}\n\nনিজস্ব প্রতিবেদক\n{day:02d} আগস্ট ২০২৪, ১০:২৫\n\n{body}\n"


def found_ids(server: LiveServer, q: str) -> set[str]:
    r = server.get("/api/search", q=q, per_page="100")
    assert r.status_code == 200, r.text
    return {result["id"] for result in r.json()["results"]}


def wait_until(condition, what: str, deadline: float = SEEN_WITHIN):
    """Polls `condition` until it holds; fails naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < end, f"not within {deadline} s: {what}"
        time.sleep(0.05)


@pytest.fixture
def folder(tmp_path) -> Path:
    pages = tmp_path / "pages"
    shutil.copytree(SAMPLES, pages)
    rebuild([pages], tmp_path / "index", procs=1)
    return pages


@pytest.fixture
def watching(folder, tmp_path):
    server = LiveServer(tmp_path / "index", args=("--watch", str(folder), *FAST)).start()
    yield server
    server.stop()


@pytest.fixture(params=["whoosh", "opensearch"])
def watching_each_store(request, folder, tmp_path):
    """`serve --watch` over the folder, in each store in turn: the index folder built from it, or
    an alias of the session's node that the watcher builds on start (there is none yet)."""
    if request.param == "whoosh":
        yield request.getfixturevalue("watching")
        return
    url = request.getfixturevalue("opensearch_url")
    args = ("--opensearch", url, "--name", f"watched-{tmp_path.name[-20:].lower()}")
    server = LiveServer(tmp_path / "unused", args=(*args, "--watch", str(folder), *FAST)).start()
    yield server
    server.stop()


def test_dropped_changed_deleted_pages_are_seen_in_search(folder, watching_each_store):
    watching = watching_each_store
    (folder / "live1.txt").write_text(page("ঝিলমিলকপ প্রথম খবর", "নদীর ধারে ঝিলমিলকপ দেখা গেল। " * 5), "utf-8")
    wait_until(lambda: "live1" in found_ids(watching, "ঝিলমিলকপ"), "a dropped page")

    (folder / "live1.txt").write_text(page("টলমলখপ দ্বিতীয় খবর", "পাহাড়ে টলমলখপ দেখা গেল। " * 5), "utf-8")
    wait_until(lambda: "live1" in found_ids(watching, "টলমলখপ"), "a changed page")
    assert "live1" not in found_ids(watching, "ঝিলমিলকপ")  # the old text went with it

    # Written under another name, renamed when complete: the safe way to publish.
    part = folder / "live2.txt.part"
    part.write_text(page("ছলছলগপ তৃতীয় খবর", "ছলছলগপ নিয়ে প্রতিবেদন। " * 5), "utf-8")
    os.rename(part, folder / "live2.txt")
    wait_until(lambda: "live2" in found_ids(watching, "ছলছলগপ"), "a renamed page")

    sample = sorted(folder.glob("0001_*.txt"))[0]
    gone_id = sample.stem
    assert gone_id in found_ids(watching, "জলাবদ্ধতা")
    sample.unlink()
    wait_until(lambda: gone_id not in found_ids(watching, "জলাবদ্ধতা"), "a deleted page")
    assert watching.get(f"/api/articles/{gone_id}").status_code == 404

    # A page that does not read is reported as a rebuild reports it, with its reason.
    (folder / "broken.txt").write_bytes(b"no bangla here at all\n")
    wait_until(lambda: "broken.txt" in watching.output, "the report of a rejected page")
    assert re.search(r"1 × not a Bangla page.*\n\s+\S*broken\.txt", watching.output)


def test_a_burst_of_a_thousand_pages_is_batched(folder, watching_each_store):
    watching = watching_each_store
    for i in range(1000):
        (folder / f"burst{i:04d}.txt").write_text(
            page(f"ঝাঁকবন্দি খবর {i}", f"ঝাঁকবন্দি প্রতিবেদন, ক্রম {i}। নদীর ধারে মেলা বসেছে।"), "utf-8"
        )

    def total() -> int:
        return watching.get("/api/search", q="ঝাঁকবন্দি").json()["total"]

    wait_until(lambda: total() == 1000, "a burst of 1,000 pages", deadline=60)
    batches = len(re.findall(r"^Updated to generation", watching.output, re.M))
    assert 1 <= batches <= 20, f"{batches} updates for one burst"


def test_pages_in_a_new_folder_are_found_at_once(folder, watching, tmp_path):
    """A folder made and a page renamed into it at once, and a folder moved in with its pages:
    watchdog says "created" for each page it finds in a new folder, complete, and no close
    follows; such a page must not wait as if a writer held it open."""
    fresh = folder / "today"
    fresh.mkdir()
    part = fresh / "fresh1.txt.part"
    part.write_text(page("চকমকটপ নতুন ফোল্ডারের খবর", "চকমকটপ প্রতিবেদন। " * 3), "utf-8")
    os.rename(part, fresh / "fresh1.txt")
    staged = tmp_path / "staged"
    staged.mkdir()
    for i in range(3):
        (staged / f"moved{i}.txt").write_text(page(f"ঠকঠকঠপ সরানো খবর {i}", "ঠকঠকঠপ প্রতিবেদন। " * 3), "utf-8")
    os.rename(staged, folder / "yesterday")
    wait_until(lambda: "fresh1" in found_ids(watching, "চকমকটপ"), "a page renamed into a new folder")
    wait_until(lambda: len(found_ids(watching, "ঠকঠকঠপ")) == 3, "the pages of a folder moved in")


def test_a_page_being_written_is_never_read_half(folder, watching):
    half = folder / "slow.txt"
    with open(half, "w", encoding="utf-8") as writer:
        writer.write(page("কচকচঘপ ধীরে লেখা খবর", "প্রথম অর্ধেক কচকচঘপ শব্দ আছে।"))
        writer.flush()
        os.fsync(writer.fileno())
        # Another page lands meanwhile: once it is found, an update ran while slow.txt was open.
        (folder / "quick.txt").write_text(page("ফটফটঙপ দ্রুত খবর", "ফটফটঙপ নিয়ে প্রতিবেদন। " * 3), "utf-8")
        wait_until(
            lambda: "quick" in found_ids(watching, "ফটফটঙপ"), "a page landing beside one being written"
        )
        assert "slow" not in found_ids(watching, "কচকচঘপ")  # not read half
        assert "slow.txt" not in watching.output  # nor rejected
        writer.write("\nদ্বিতীয় অর্ধেক খসখসচপ শব্দ আছে।\n")
    wait_until(lambda: "slow" in found_ids(watching, "খসখসচপ"), "a page once its writer closed it")
    body = watching.get("/api/articles/slow").json()["body"]
    assert "কচকচঘপ" in body and "খসখসচপ" in body


def test_a_restarted_watcher_catches_up(folder, tmp_path):
    server = LiveServer(tmp_path / "index", args=("--watch", str(folder), *FAST)).start()
    (folder / "before.txt").write_text(page("থরথরছপ আগের খবর", "থরথরছপ নিয়ে প্রতিবেদন। " * 3), "utf-8")
    wait_until(lambda: "before" in found_ids(server, "থরথরছপ"), "a page before the restart")
    server.stop()

    # While nothing watches: one page lands, one changes, one goes.
    (folder / "while.txt").write_text(page("ঝমঝমজপ থেমে থাকার সময়ের খবর", "ঝমঝমজপ প্রতিবেদন। " * 3), "utf-8")
    (folder / "before.txt").write_text(page("গমগমঝপ বদলানো খবর", "গমগমঝপ প্রতিবেদন। " * 3), "utf-8")
    gone = sorted(folder.glob("0002_*.txt"))[0]
    gone.unlink()

    server = LiveServer(tmp_path / "index", args=("--watch", str(folder), *FAST)).start()
    try:
        wait_until(lambda: "while" in found_ids(server, "ঝমঝমজপ"), "a page added while stopped")
        wait_until(lambda: "before" in found_ids(server, "গমগমঝপ"), "a page changed while stopped")
        wait_until(
            lambda: server.get(f"/api/articles/{gone.stem}").status_code == 404,
            "a page deleted while stopped",
        )
        assert "before" not in found_ids(server, "থরথরছপ")
    finally:
        server.stop()


def test_index_watch_builds_an_index_where_there_is_none(tmp_path):
    """`sandhan index watch` alone, on a folder with no index yet: it builds one, then follows."""
    import subprocess
    import sys

    from search.engine import SearchEngine
    from search.whoosh_store.generations import current_generation
    from tests.conftest import REPO
    from web.params import parse_request

    pages = tmp_path / "pages"
    shutil.copytree(SAMPLES, pages)
    index = tmp_path / "index"
    cmd = [
        sys.executable,
        "-m",
        "search.cli",
        "index",
        "watch",
        "--source",
        str(pages),
        "--index",
        str(index),
    ]
    proc = subprocess.Popen([*cmd, "--quiet", "0.1", "--stable", "0.2"], cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: (index / "CURRENT").exists(), "the first build", deadline=60)
        first = current_generation(index).name
        (pages / "later.txt").write_text(page("ঠনঠনটপ পরের খবর", "ঠনঠনটপ প্রতিবেদন। " * 3), "utf-8")
        wait_until(lambda: current_generation(index).name != first, "an update after the build")
        answer = SearchEngine(WhooshStore(index)).search(parse_request({"q": "ঠনঠনটপ"}))
        ids = {r["id"] for r in answer["results"]}
        assert ids == {"later"}
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
