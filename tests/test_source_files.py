"""Source folders as the file system allows them: odd file names, links in and out, FIFOs,
devices, unreadable folders; and a full disk under a rebuild or an update. Every build runs as
an operator runs it (`python -m search.cli index ...`) on real folders and index files."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from search.article import PageRejected
from search.engine import SearchEngine
from search.pages import BECAME_A_LINK, LEADS_ELSEWHERE, read_page, scan_sources
from search.whoosh_store import WhooshStore
from search.whoosh_store.build import rebuild
from search.whoosh_store.generations import current_generation, open_generation
from tests.conftest import REPO, SAMPLES, BuildPause
from tests.whoosh_store.test_build import PAGE, many_pages
from web.params import parse_request

# Odd but valid page names: each page holds a word of its own, to find it by.
ODD_PAGES = {
    "new\nline": "আনারস",
    "tab\there": "কাঁঠাল",
    "with  two spaces ": "পেয়ারা",
    "quotes \"double\" 'single'": "জামরুল",
    "খবর ঢাকা": "তরমুজ",
    "back\\slash": "জলপাই",
}
# How the report shows them: one line each, a backslash doubled, control characters escaped.
SHOWN = {
    "new\nline": "new\\nline",
    "tab\there": "tab\\there",
    "with  two spaces ": "with  two spaces ",
    "quotes \"double\" 'single'": "quotes \"double\" 'single'",
    "খবর ঢাকা": "খবর ঢাকা",
    "back\\slash": "back\\\\slash",
}
SECRET_WORD = "গুপ্তধন"  # only in a page outside the source folder

OUTSIDE = "a link to a file outside the source folder: not followed"
NOT_UTF8 = "file name is not UTF-8 text (an article's id is its file name): rename the file"


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """`sandhan` as an operator runs it; output as bytes, to check it is UTF-8 text."""
    return subprocess.run(
        [sys.executable, "-m", "search.cli", *args], cwd=REPO, capture_output=True, **kwargs
    )


def text_of(out: bytes) -> str:
    text = out.decode("utf-8")  # strict: no raw bytes of a file name reach the terminal
    assert all(ch.isprintable() for line in text.splitlines() for ch in line), text
    return text


def rejected_entries(report: str) -> dict[str, str]:
    """Shown path → reason, from the `rejected:` part of a build report."""
    entries: dict[str, str] = {}
    reason = None
    for line in report.splitlines():
        if m := re.fullmatch(r" +\d+ × (.+)", line):
            reason = m.group(1)
        elif reason and line.startswith(" " * 12):
            entries[line[12:]] = reason
    return entries


def counts(report: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^  (\w+): +(\d+)$", report, re.M)}


def found_ids(root: Path, word: str) -> set[str]:
    answer = SearchEngine(WhooshStore(root)).search(parse_request({"q": word}))
    return {r["id"] for r in answer["results"]}


def page(folder: Path | bytes, name: str | bytes, word: str) -> None:
    """A valid page `name`.txt (as bytes: any name at all) in `folder`, its text about `word`."""
    folder = os.fsencode(folder)
    os.makedirs(folder, exist_ok=True)
    text = PAGE.format(title=f"{word} নিয়ে খবর", body=f"আজ বাজারে {word} এসেছে। দাম কম।", updated="")
    with open(folder + b"/" + os.fsencode(name) + b".txt", "w", encoding="utf-8") as fh:
        fh.write(text)


PR_CAPBSET_DROP = 24  # prctl(2)
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _without_root_file_access() -> None:
    """In a child before exec: drop root's right to read any folder whatever its mode (the two
    capabilities leave the bounding set, so the program run next has them not), so a folder's
    mode binds it as it binds any operator. Dropping needs no privilege beyond being root."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def as_operator() -> dict:
    """subprocess arguments that run the command with folder modes binding it (see above)."""
    return {"preexec_fn": _without_root_file_access} if os.geteuid() == 0 else {}


@pytest.fixture
def odd_source(tmp_path):
    """A source folder holding every kind of entry a file system allows, and a page outside it."""
    src = tmp_path / "src"
    for name, word in ODD_PAGES.items():
        page(src, name, word)
    page(src, b"not-utf8-\xff\xfe", "কমলা")  # rejected: an id must be text
    page(os.fsencode(src) + b"/folder-\xfe", "in-odd-folder", "লিচু")  # the folder's name may be anything
    page(src / "sub", "deep", "বাতাবি")
    os.symlink(src / "sub" / "deep.txt", src / "link-inside.txt")  # followed: it stays in the folder
    page(tmp_path / "elsewhere", "secret", SECRET_WORD)
    os.symlink(tmp_path / "elsewhere" / "secret.txt", src / "link-out.txt")
    os.symlink("/proc/self/environ", src / "environ.txt")
    os.symlink(tmp_path / "elsewhere", src / "folder-link-out")
    os.symlink(tmp_path / "nowhere.txt", src / "dangling.txt")
    os.mkfifo(src / "pipe.txt")
    page(src / "locked", "locked-page", "করমচা")  # readable now, locked before the update
    page(src / "closed", "closed-page", "আমড়া")  # never readable
    (src / "closed").chmod(0)
    expected = {
        f"{src}/not-utf8-\\xff\\xfe.txt": NOT_UTF8,
        f"{src}/link-out.txt": OUTSIDE,
        f"{src}/environ.txt": OUTSIDE,
        f"{src}/folder-link-out": "a link to a folder outside the source folder: not followed",
        f"{src}/dangling.txt": "a link to nothing: its target does not exist",
        f"{src}/pipe.txt": "not a regular file but a named pipe (FIFO): not read",
        f"{src}/closed": "folder cannot be read (Permission denied): the pages in it were not read",
    }
    try:  # a device needs CAP_MKNOD (root): made where the system allows it
        os.mknod(src / "device.txt", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        expected[f"{src}/device.txt"] = "not a regular file but a character device: not read"
    except PermissionError:
        pass
    yield src, expected
    for folder in ("closed", "locked"):  # so that the temporary folder can be removed
        (src / folder).chmod(0o755)


def test_odd_names_links_and_special_files_through_rebuild_and_update(odd_source, tmp_path):
    src, expected = odd_source
    root = tmp_path / "index"
    built = cli("index", "rebuild", "--source", str(src), "--index", str(root), **as_operator())
    report = text_of(built.stdout)
    assert built.returncode == 0, built.stderr.decode(errors="replace")
    assert b"Traceback" not in built.stderr
    assert rejected_entries(report) == expected
    assert counts(report)["indexed"] == len(ODD_PAGES) + 3  # + in-odd-folder, deep (or its link), locked
    assert counts(report)["duplicates"] == 1  # deep.txt and the link to it: one article
    for name, word in ODD_PAGES.items():
        assert found_ids(root, word) == {name}, name
    assert found_ids(root, "লিচু") == {"in-odd-folder"}
    assert found_ids(root, "বাতাবি") & {"deep", "link-inside"}
    assert found_ids(root, SECRET_WORD) == set()
    assert found_ids(root, "কমলা") == set()
    with open_generation(current_generation(root)).searcher() as s:
        paths = [fields["path"] for fields in s.all_stored_fields()]
    assert all(Path(os.path.realpath(p)).is_relative_to(src) for p in paths), paths

    # Add, change and remove odd-named pages; lock a folder that was read; add odd entries.
    page(src, "added\nwith\ttab 'and quote'", "নাশপাতি")
    page(src, "tab\there", "ডালিম")  # the same name, new text
    os.utime(os.path.join(src, "tab\there.txt"), ns=(1, 2 * 10**18))  # surely another fingerprint
    os.unlink(src / "new\nline.txt")
    page(src, b"also-not-utf8-\xe9", "কলা")
    os.mkfifo(src / "another pipe.txt")
    (src / "locked").chmod(0)
    expected |= {
        f"{src}/also-not-utf8-\\xe9.txt": NOT_UTF8,
        f"{src}/another pipe.txt": "not a regular file but a named pipe (FIFO): not read",
        f"{src}/locked": "folder cannot be read (Permission denied): the pages in it were not read",
    }
    updated = cli("index", "update", "--source", str(src), "--index", str(root), **as_operator())
    report = text_of(updated.stdout)
    assert updated.returncode == 0, updated.stderr.decode(errors="replace")
    assert b"Traceback" not in updated.stderr
    # The rejected pages of the rebuild were read then and are not read again; what is not a
    # readable page is found, and said, each time.
    assert rejected_entries(report) == {k: v for k, v in expected.items() if "not-utf8-\\xff" not in k}
    assert (counts(report)["added"], counts(report)["changed"], counts(report)["removed"]) == (1, 1, 1)
    assert found_ids(root, "নাশপাতি") == {"added\nwith\ttab 'and quote'"}
    assert found_ids(root, "ডালিম") == {"tab\there"}
    assert found_ids(root, "কাঁঠাল") == set()
    assert found_ids(root, "আনারস") == set()
    assert found_ids(root, "লিচু") == {"in-odd-folder"}  # its non-UTF-8 folder name was kept exactly
    assert found_ids(root, "করমচা") == {"locked-page"}  # unknown now, so not removed
    assert found_ids(root, SECRET_WORD) == set()

    again = cli("index", "update", "--source", str(src), "--index", str(root), **as_operator())
    assert again.returncode == 0, again.stderr.decode(errors="replace")
    unchanged = counts(text_of(again.stdout))
    assert unchanged["indexed"] == len(ODD_PAGES) + 3
    assert "added" not in unchanged  # the report shows the three only when one is not 0


def test_parse_shows_every_name_and_says_why_entries_were_not_read(odd_source):
    src, expected = odd_source
    shown = cli("parse", str(src), **as_operator())
    assert shown.returncode == 1  # some entries were rejected
    text = text_of(shown.stdout)
    for name in ODD_PAGES:
        assert f"== {src}/{SHOWN[name]}.txt\n" in text
    for path, reason in expected.items():
        assert f"== {path}\n  REJECTED: {reason}\n" in text
    as_json = cli("parse", "--json", str(src), **as_operator())
    records = {os.fsencode(r["file"]): r for r in map(json.loads, text_of(as_json.stdout).splitlines())}
    assert records[os.fsencode(src) + b"/not-utf8-\xff\xfe.txt"]["error"] == NOT_UTF8  # the exact name
    assert records[os.fsencode(src / "new\nline.txt")]["id"] == "new\nline"
    assert records[os.fsencode(src) + b"/folder-\xfe/in-odd-folder.txt"]["ok"] is True
    assert records[os.fsencode(src / "link-out.txt")]["error"] == OUTSIDE


def test_the_reader_never_opens_what_is_not_a_regular_file(tmp_path):
    """`read_page` itself, whatever found the name: a FIFO would block it for ever and /dev/zero
    would fill its memory (in a child, so that a regression fails the test instead of hanging)."""
    os.mkfifo(tmp_path / "pipe.txt")
    code = (
        "import sys; from search.pages import read_page; from search.article import PageRejected\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        read_page(path)\n"
        "    except PageRejected as exc:\n"
        "        print(exc.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "pipe.txt"), "/dev/zero"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,  # a bound for a reader that blocks, not a wait
    )
    assert done.stdout.splitlines() == [
        "not a regular file but a named pipe (FIFO): not read",
        "not a regular file but a character device: not read",
    ], done.stderr


# --- entries that change between the scan and the read ------------------------------------------


def swap_for_link(entry: Path, target: Path) -> None:
    """What a hostile hand can do between the walk of a folder and the read of a page in it."""
    entry.unlink()
    os.symlink(target, entry)


@pytest.fixture
def swapped_source(tmp_path):
    """A source folder with a page and a link to a page inside it, and a secret page outside."""
    src = tmp_path / "src"
    page(src, "plain", "আনারস")
    page(src / "sub", "inside", "কাঁঠাল")
    os.symlink(src / "sub" / "inside.txt", src / "link.txt")
    page(tmp_path / "elsewhere", "secret", SECRET_WORD)
    return src, tmp_path / "elsewhere" / "secret.txt"


def test_a_page_made_a_link_after_the_scan_is_not_followed(swapped_source):
    src, secret = swapped_source
    scan = scan_sources([src])
    assert src / "plain.txt" in scan.pages and src / "plain.txt" not in scan.links
    swap_for_link(src / "plain.txt", secret)
    with pytest.raises(PageRejected) as rejected:
        read_page(src / "plain.txt", scan.links.get(src / "plain.txt"))
    assert rejected.value.reason == BECAME_A_LINK


def test_a_link_that_leads_elsewhere_after_the_scan_is_not_followed(swapped_source):
    src, secret = swapped_source
    scan = scan_sources([src])
    link = src / "link.txt"
    assert read_page(link, scan.links[link]).title == "কাঁঠাল নিয়ে খবর"  # as scanned: read
    swap_for_link(link, secret)
    with pytest.raises(PageRejected) as rejected:
        read_page(link, scan.links[link])
    assert rejected.value.reason == LEADS_ELSEWHERE


def test_a_rebuild_reads_no_entry_swapped_for_a_link_out_after_its_scan(swapped_source, tmp_path):
    src, secret = swapped_source
    for n in range(4):  # pages enough for two indexing processes
        page(src, f"more-{n}", "পেয়ারা")
    root = tmp_path / "index"
    pause = BuildPause(tmp_path, "worker")  # the folder is scanned, no page read yet
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "index", "rebuild", "--source", str(src), "--index", str(root)],
        cwd=REPO,
        env=pause.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pause.wait_until_reached(proc)
    swap_for_link(src / "plain.txt", secret)
    swap_for_link(src / "link.txt", secret)
    pause.let_go()
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")
    assert rejected_entries(text_of(out)) == {
        f"{src}/link.txt": LEADS_ELSEWHERE,
        f"{src}/plain.txt": BECAME_A_LINK,
    }
    assert found_ids(root, SECRET_WORD) == set()
    assert found_ids(root, "কাঁঠাল") == {"inside"}


def update_cli(src: Path, root: Path) -> dict[str, int]:
    done = cli("index", "update", "--source", str(src), "--index", str(root))
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return counts(text_of(done.stdout))


# --- a full disk ------------------------------------------------------------------------------


@contextmanager
def small_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` at `folder`, and the path to write to it by.

    As root, an ordinary mount. Otherwise one in the user and mount namespace of a process kept
    waiting, written to through its /proc/PID/root: the namespace, and the mount, end with it.
    Skips only when the system allows neither."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode == 0:
        try:
            yield folder
        finally:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)
        return
    holder = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         f'mount -t tmpfs -o size={size} tmpfs "$0" && echo mounted && exec cat', str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        if holder.stdout.readline().strip() != "mounted":
            why = f"mount: {mounted.stderr.strip()}; unshare: {holder.stderr.read().strip()}"
            pytest.skip(f"this system gives no small file system to fill ({why})")
        yield Path(f"/proc/{holder.pid}/root{folder}")
    finally:
        holder.stdin.close()
        holder.wait()


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real file system of 3 MB, on which an index of the samples fits and one of 1,500 pages
    (about 6 MB) does not."""
    with small_tmpfs(tmp_path / "disk", "3m") as disk:
        yield disk


@pytest.fixture(scope="module")
def big_source(tmp_path_factory) -> Path:
    return many_pages(tmp_path_factory.mktemp("full") / "big", 1500)


def _free(path: Path) -> int:
    fs = os.statvfs(path)
    return fs.f_bavail * fs.f_frsize


def _fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as filler:
        with pytest.raises(OSError) as full:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        assert full.value.errno == errno.ENOSPC


@pytest.mark.parametrize(
    ("command", "no_space_at_all"),
    [
        (["index", "rebuild"], False),  # the two worker processes fill the disk
        (["index", "rebuild", "--procs", "1"], False),  # the main process fills it
        (["index", "update"], False),  # Whoosh's writer fills it
        (["index", "rebuild"], True),  # not a byte left, not even for the lock's note
    ],
    ids=["rebuild", "rebuild-one-process", "update", "rebuild-on-a-full-disk"],
)
def test_full_disk_ends_the_build_with_one_line_and_leaves_the_live_index_serving(
    small_disk, big_source, command, no_space_at_all
):
    root = small_disk / "index"
    rebuild([SAMPLES], root, procs=1)
    searched = cli("search", "ঢাকা", "--index", str(root), "--json")
    before = json.loads(searched.stdout)["total"]
    assert before > 0
    if no_space_at_all:
        _fill(small_disk)
    free = _free(small_disk)
    failed = cli(*command, "--source", str(big_source), "--index", str(root))
    assert failed.returncode == 1
    assert failed.stdout == b""
    message = failed.stderr.decode("utf-8")
    assert "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    build = command[1]
    assert re.fullmatch(
        rf"Error: Not enough disk space for the index at {re.escape(str(root))}: the {build} needs more "
        r"than the [0-9.]+ (bytes|kB|MB) that were free there, so it stopped and changed nothing "
        r"\(gen-000001 is still live\)\. Free some space, or use another index folder, then run it again\.\n",
        message,
    ), message
    assert sorted(p.name for p in (root / "generations").iterdir()) == ["gen-000001"]
    assert not (root / "CURRENT.tmp").exists()
    assert _free(small_disk) == free  # the build's files are gone, and their space with them
    assert current_generation(root).name == "gen-000001"
    searched = cli("search", "ঢাকা", "--index", str(root), "--json")
    assert searched.returncode == 0 and json.loads(searched.stdout)["total"] == before
