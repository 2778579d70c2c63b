"""Rebuilds and updates end to end on temporary folders: atomic switch, dedup, kill safety, lock."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search.build_workers import BuildFailed
from search.engine import SearchEngine
from search.store import BuildInProgress
from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild, update
from search.whoosh_store.generations import IndexCorrupt, IndexMissing, current_generation, open_generation
from tests.conftest import REPO, SAMPLES, BuildPause
from web.params import parse_request

PAGE = """X
শুক্রবার, ০৯ মে ২০২৫

{title}

নিজস্ব প্রতিবেদক
১২ সেপ্টেম্বর ২০২৩, ১৫:০১{updated}

{body}

"""


def write_page(folder: Path, name: str, title: str, body: str, updated: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    stamp = f"আপডেট : {updated}" if updated else ""
    path.write_text(PAGE.format(title=title, body=body, updated=stamp), encoding="utf-8")
    return path


def ids(root: Path) -> set[str]:
    ix = open_generation(current_generation(root))
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def test_rebuild_indexes_every_sample_and_switches(tmp_path):
    root = tmp_path / "index"
    report = rebuild([SAMPLES], root, procs=1)
    pages = sorted(SAMPLES.glob("*.txt"))
    assert report.indexed + len(report.rejected) + len(report.duplicates) == len(pages)
    assert report.indexed >= 10
    gen = current_generation(root)
    assert gen.name == report.generation == "gen-000001"
    assert json.loads((gen.path / "sandhan.json").read_text())["documents"] == report.indexed
    assert ids(root) == {p.stem for p in pages} - {Path(p).stem for p, _ in report.rejected} - {
        Path(p).stem for p, _ in report.duplicates
    }
    second = rebuild([SAMPLES], root, procs=1)
    assert second.generation == "gen-000002"
    assert current_generation(root).name == "gen-000002"


def test_rejected_pages_are_reported_and_the_rest_indexed(tmp_path):
    src = tmp_path / "src"
    write_page(src, "0001_aaaaaaaaaaaaaaaa", "ঢাকায় বৃষ্টি", "আজ ঢাকায় ভারী বৃষ্টি হয়েছে।")
    (src / "0002_bbbbbbbbbbbbbbbb.txt").write_bytes(b"\x00\x01\x02binary")
    (src / "0003_cccccccccccccccc.txt").write_text("")
    report = rebuild([src], tmp_path / "index", procs=1)
    assert report.indexed == 1
    reasons = dict((Path(p).stem, r) for p, r in report.rejected)
    assert set(reasons) == {"0002_bbbbbbbbbbbbbbbb", "0003_cccccccccccccccc"}
    assert all(reasons.values())


def test_same_text_under_two_names_is_indexed_once_keeping_the_fresher(tmp_path):
    src = tmp_path / "src"
    body = "চট্টগ্রাম বন্দরে আজ নতুন জাহাজ ভিড়েছে। বন্দরের কর্মকর্তারা জানান।"
    write_page(src, "0001_aaaaaaaaaaaaaaaa", "বন্দরে জাহাজ", body)
    write_page(src, "0002_bbbbbbbbbbbbbbbb", "বন্দরে জাহাজ", body, updated="১২ সেপ্টেম্বর ২০২৩, ১৬:০০")
    write_page(src, "0003_cccccccccccccccc", "অন্য খবর", "সিলেটে আজ রোদ।")
    report = rebuild([src], tmp_path / "index", procs=1)
    assert ids(tmp_path / "index") == {"0002_bbbbbbbbbbbbbbbb", "0003_cccccccccccccccc"}
    assert [Path(p).stem for p, _ in report.duplicates] == ["0001_aaaaaaaaaaaaaaaa"]


def test_same_id_in_two_folders_is_indexed_once(tmp_path):
    write_page(tmp_path / "a", "0001_aaaaaaaaaaaaaaaa", "পুরনো শিরোনাম", "প্রথম সংস্করণের লেখা।")
    write_page(
        tmp_path / "b",
        "0001_aaaaaaaaaaaaaaaa",
        "নতুন শিরোনাম",
        "দ্বিতীয় সংস্করণের লেখা।",
        updated="১৩ সেপ্টেম্বর ২০২৩, ১০:০০",
    )
    rebuild([tmp_path / "a", tmp_path / "b"], tmp_path / "index", procs=1)
    service = SearchEngine(WhooshStore(tmp_path / "index"))
    assert service.article("0001_aaaaaaaaaaaaaaaa")["title"] == "নতুন শিরোনাম"
    assert service.search(parse_request({}))["total"] == 1


def test_parallel_rebuild_matches_single_process(tmp_path):
    one = rebuild([SAMPLES], tmp_path / "one", procs=1)
    two = rebuild([SAMPLES], tmp_path / "two", procs=2)
    assert one.indexed == two.indexed
    assert ids(tmp_path / "one") == ids(tmp_path / "two")


def test_missing_and_corrupt_index_say_what_to_do(tmp_path):
    with pytest.raises(IndexMissing, match="sandhan index rebuild"):
        current_generation(tmp_path / "nothing")
    root = tmp_path / "index"
    root.mkdir()
    (root / "CURRENT").write_text("gen-000009\n")
    with pytest.raises(IndexCorrupt, match="rebuild"):
        current_generation(root)


def test_second_writer_refuses_while_another_process_holds_the_lock(tmp_path):
    root = tmp_path / "index"
    code = (
        "import sys, time; from search.whoosh_store.generations import write_lock\n"
        f"with write_lock(__import__('pathlib').Path({str(root)!r})):\n"
        "    print('locked', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildInProgress, match="Another rebuild"):
            rebuild([SAMPLES], root, procs=1)
    finally:
        holder.kill()
        holder.wait()
    rebuild([SAMPLES], root, procs=1)  # and works once the holder is gone


def many_pages(folder: Path, count: int) -> Path:
    """`count` distinct pages made from the samples, enough for a rebuild to take a while."""
    samples = sorted(SAMPLES.glob("*.txt"))
    folder.mkdir(parents=True)
    for i in range(count):
        text = samples[i % len(samples)].read_text(encoding="utf-8")
        # A distinct last paragraph per copy so none is dropped as a duplicate.
        (folder / f"{i:04d}_{i:016x}.txt").write_text(text + f"\n\nঅনুচ্ছেদ নম্বর {i}।\n", "utf-8")
    return folder


# Where a rebuild is killed: while its worker processes index (the whole process group goes), and
# at the last moment before the switch.
KILLED_AT = ["worker", "publish"]


@pytest.mark.parametrize("stage", KILLED_AT)
def test_rebuild_killed_half_way_leaves_the_old_index_serving(tmp_path, stage):
    root = tmp_path / "index"
    rebuild([SAMPLES], root, procs=1)
    before = ids(root)
    big = many_pages(tmp_path / "big", 200)
    cmd = [sys.executable, "-m", "search.cli", "index", "rebuild", "--source", str(big), "--index", str(root)]
    pause = BuildPause(tmp_path, stage)
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=pause.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pause.wait_until_reached(proc)
    assert list((root / "generations").glob("*.building"))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert current_generation(root).name == "gen-000001"
    assert ids(root) == before
    assert SearchEngine(WhooshStore(root)).search(parse_request({"q": "ঢাকা"}))["total"] > 0
    # The next rebuild cleans the leftover and succeeds.
    report = rebuild([SAMPLES], root, procs=1)
    assert not list((root / "generations").glob("*.building"))
    assert current_generation(root).name == report.generation
    assert ids(root) == before


def test_update_adds_changes_and_removes(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    root = tmp_path / "index"
    rebuild([src], root, procs=1)
    before = ids(root)
    gone = sorted(src.glob("*.txt"))[0]
    gone.unlink()
    changed = sorted(src.glob("*.txt"))[0]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("\n\n", "\n\nনতুন অনুচ্ছেদ যোগ হলো কুমিল্লা থেকে।\n\n", 1), "utf-8")
    os.utime(changed, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    write_page(src, "7777_ffffffffffffffff", "নতুন খবর গাজীপুরে", "গাজীপুরে আজ মেলা বসেছে।")
    listing_before = (current_generation(root).path / "files.jsonl").read_text()
    report = update([src], root)
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    # The update worked on hard links of the live generation: that one is exactly as it was.
    assert (root / "generations" / "gen-000001" / "files.jsonl").read_text() == listing_before
    after = ids(root)
    assert after == (before - {gone.stem}) | {"7777_ffffffffffffffff"}
    assert current_generation(root).name == "gen-000002"
    assert SearchEngine(WhooshStore(root)).search(parse_request({"q": "গাজীপুরে মেলা"}))["results"][0]["id"] == (
        "7777_ffffffffffffffff"
    )
    # Nothing changed: an update adds nothing.
    again = update([src], root)
    assert (again.added, again.changed, again.removed) == (0, 0, 0)


def test_an_update_told_what_changed_makes_what_a_full_update_makes(tmp_path):
    """The watcher names the paths it heard change (pages, and folders removed): the update reads
    those alone, and the generation is the one an update walking the whole folder makes."""
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    desk = src / "desk"
    for i in range(2):
        write_page(desk, f"880{i}_{'d' * 16}", f"ডেস্কের খবর {i}", f"রাজশাহীতে আজ আমের হাট বসেছে {i}।")
    outside = write_page(tmp_path / "elsewhere", "9999_eeeeeeeeeeeeeeee", "বাইরের খবর", "বাইরে।")
    roots = {how: tmp_path / f"index-{how}" for how in ("walked", "named")}
    for root in roots.values():
        rebuild([src], root, procs=1)
    pages = sorted(src.glob("*.txt"))
    pages[0].unlink()  # removed
    text = pages[1].read_text(encoding="utf-8")  # changed
    pages[1].write_text(text.replace("\n\n", "\n\nনতুন অনুচ্ছেদ যোগ হলো।\n\n", 1), "utf-8")
    os.utime(pages[1], ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    added = write_page(src, "7777_ffffffffffffffff", "নতুন খবর গাজীপুরে", "গাজীপুরে আজ মেলা বসেছে।")
    pages[2].unlink()
    pages[2].symlink_to(outside)  # now a link out of the folder: refused, and taken out
    shutil.rmtree(desk)  # a folder of pages removed
    changed = [str(pages[0]), str(pages[1]), str(added), str(pages[2]), str(desk)]
    walked = update([src], roots["walked"])
    named = update([src], roots["named"], changed=changed)
    counts = (walked.added, walked.changed, walked.removed)
    assert counts == (named.added, named.changed, named.removed) == (1, 1, 4)
    assert walked.rejected == named.rejected and walked.rejected
    listings = [(current_generation(r).path / "files.jsonl").read_text() for r in roots.values()]
    assert listings[0] == listings[1]
    assert ids(roots["walked"]) == ids(roots["named"])
    # Told of nothing, it looks at nothing: a page it was not told of waits for the next scan.
    write_page(src, "7778_ffffffffffffffff", "আরেকটি খবর", "খুলনায় আজ বৃষ্টি।")
    assert update([src], roots["named"], changed=[]).added == 0
    assert update([src], roots["named"]).added == 1


def test_stats_describe_the_live_index(sample_index):
    info = WhooshStore(sample_index).stats()
    assert info["documents"] > 0
    assert info["generation"].startswith("gen-")
    assert info["oldest"] <= info["newest"]
    assert sum(n for _, n in info["desks"]) == info["documents"]
    # What a server's parent says before forking, read without opening the index for searching.
    store = WhooshStore(sample_index)
    assert store.describe() == {"generation": info["generation"], "built_at": info["built_at"]}
    assert store._current is None


def test_killing_only_the_main_rebuild_process_frees_the_lock(tmp_path):
    """Worker processes orphaned by a SIGKILL must not keep the next rebuild out."""
    root = tmp_path / "index"
    big = many_pages(tmp_path / "big", 200)
    cmd = [sys.executable, "-m", "search.cli", "index", "rebuild", "--source", str(big), "--index", str(root)]
    pause = BuildPause(tmp_path, "worker")  # the indexing worker processes are running
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=pause.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    pause.wait_until_reached(proc)
    assert len(_processes_mentioning(str(root))) >= 2  # the main process and a worker
    os.kill(proc.pid, signal.SIGKILL)  # the main process only
    proc.wait()
    report = rebuild([SAMPLES], root, procs=1)
    assert current_generation(root).name == report.generation
    deadline = time.monotonic() + 10  # and the workers die with it
    while _processes_mentioning(str(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_mentioning(str(root))


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_update_keeps_the_rebuilds_choice_of_duplicates(tmp_path):
    src = tmp_path / "src"
    body = "সিলেটে আজ ভারী বৃষ্টি হয়েছে। নিচু এলাকা প্লাবিত।"
    write_page(src, "0001_aaaaaaaaaaaaaaaa", "সিলেটে বৃষ্টি", body)
    write_page(src, "0002_bbbbbbbbbbbbbbbb", "সিলেটে বৃষ্টি", body, updated="১২ সেপ্টেম্বর ২০২৩, ১৬:০০")
    (src / "0003_cccccccccccccccc.txt").write_text("")
    root = tmp_path / "index"
    rebuild([src], root, procs=1)
    for _ in range(2):  # nothing changed on disk: nothing changes in the index
        report = update([src], root)
        assert (report.added, report.changed, report.removed) == (0, 0, 0)
        assert ids(root) == {"0002_bbbbbbbbbbbbbbbb"}


def test_rebuild_of_a_folder_without_pages_changes_nothing(tmp_path):
    from search.store import NothingToIndex

    root = tmp_path / "index"
    rebuild([SAMPLES], root, procs=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NothingToIndex):
        rebuild([tmp_path / "empty"], root, procs=1)
    assert current_generation(root).name == "gen-000001"


def test_a_worker_that_dies_fails_the_rebuild_and_keeps_the_live_generation(tmp_path, monkeypatch):
    from search.whoosh_store import build as index_module

    root = tmp_path / "index"
    rebuild([SAMPLES], root, procs=1)
    live = current_generation(root).name
    real = index_module._index_share

    def dies_in_share_one(building, share, *rest):
        if share == 1:
            os._exit(3)  # as a worker killed by the OOM killer would vanish
        return real(building, share, *rest)

    monkeypatch.setattr(index_module, "_index_share", dies_in_share_one)
    with pytest.raises(BuildFailed, match="status 3"):
        rebuild([SAMPLES], root, procs=2)
    assert current_generation(root).name == live
    assert ids(root)  # still answers


def test_old_generations_are_removed_whatever_order_the_folder_lists_them(tmp_path, monkeypatch):
    """Every generation but the live one and the one before it goes once replaced long enough ago,
    however many there are and in whatever order the folder lists them: a generation's successor
    removed earlier in the same pass once raised FileNotFoundError, which stopped a watcher."""
    from search.whoosh_store import generations

    root = tmp_path / "index"
    rebuild([SAMPLES], root, procs=1)
    for i in range(4):
        write_page(tmp_path / "more", f"extra{i}", f"নতুন খবর {i}", f"নদীর ধারে মেলা {i}।")
        update([SAMPLES, tmp_path / "more"], root)
    gens = root / "generations"
    names = sorted(p.name for p in gens.iterdir())
    assert names == [f"gen-{n:06d}" for n in range(1, 6)]
    long_ago = time.time() - generations.GRACE_SECONDS - 60
    for p in gens.iterdir():
        os.utime(p, (long_ago, long_ago))
    real_iterdir = Path.iterdir
    # Newest first, so that a generation's successor is always removed before it is looked at.
    monkeypatch.setattr(Path, "iterdir", lambda self: iter(sorted(real_iterdir(self), reverse=True)))
    generations.clean_leftovers(root)
    assert sorted(p.name for p in real_iterdir(gens)) == ["gen-000004", "gen-000005"]
    assert SearchEngine(WhooshStore(root)).search(parse_request({"q": "মেলা"}))["total"] >= 4


def test_updates_merge_small_segments_and_never_a_rebuilds_large_one(tmp_path, monkeypatch):
    """Each update of a watched folder adds a segment; once enough small ones gather they are
    merged, and a segment larger than the bound (a rebuild's) is never rewritten by an update
    (Whoosh's MERGE_SMALL once merged a rebuild's 50,000-document segments: minutes)."""
    from search.whoosh_store import segments
    from search.whoosh_store.generations import open_generation

    monkeypatch.setattr(segments, "UPDATE_MERGE_MAX_DOCS", 10)  # the samples' 18 are "large"
    monkeypatch.setattr(segments, "UPDATE_MERGE_SEGMENTS", 4)
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    root = tmp_path / "index"
    rebuild([src], root, procs=1)

    def segment_sizes() -> dict[str, int]:
        ix = open_generation(current_generation(root))
        return {s.segid: s.doc_count_all() for s in ix._segments()}

    (large,) = segment_sizes()
    for i in range(12):
        write_page(src, f"77{i:02d}_{'f' * 16}", f"নতুন খবর {i}", f"গাজীপুরে আজ মেলা বসেছে, দিন {i}।")
        update([src], root)
        sizes = segment_sizes()
        assert sizes[large] == 18  # never merged
        assert len(sizes) <= 1 + 4  # the small ones are merged once four have gathered
    assert max(n for segid, n in segment_sizes().items() if segid != large) > 1  # some were merged
    assert len(ids(root)) == 18 + 12
