"""Damage found and said: sizes and checksums recorded at publish, `sandhan index verify`, and real
servers over damaged copies of a real index answering 503 `index_damaged`, never 500, and never
naming a server path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import requests

from search.cli import main
from search.whoosh_store import integrity
from search.whoosh_store.build import rebuild, update
from search.whoosh_store.generations import current_generation
from tests.conftest import REPO, SAMPLES, BuildPause, LiveServer
from web import create_app
from web.openapi import openapi_document

SPEC = openapi_document()


def copy_index(index: Path, to: Path) -> Path:
    shutil.copytree(index, to)
    return to


def live_folder(root: Path) -> Path:
    return current_generation(root).path


def one(folder: Path, suffix: str) -> Path:
    """The largest file of the generation whose name ends with `suffix`."""
    return max((p for p in folder.iterdir() if p.name.endswith(suffix)), key=lambda p: p.stat().st_size)


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01  # one bit: the smallest change a file can suffer
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(path: Path) -> None:
    """Overwrite the middle half of a file with random bytes (the size stays)."""
    data = bytearray(path.read_bytes())
    start, end = len(data) // 4, max(len(data) // 4 + 1, 3 * len(data) // 4)
    data[start:end] = os.urandom(end - start)
    path.write_bytes(bytes(data))


def verify(runner, root: Path):
    return runner.invoke(main, ["index", "verify", "--index", str(root)])


def as_the_previous_version_wrote_it(root: Path) -> None:
    """The live generation's metadata as Sandhan wrote it before checksums: schema 4, no records."""
    meta_file = live_folder(root) / integrity.META_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    for key in (integrity.FILES_KEY, integrity.SEAL_KEY):
        del meta[key]
    meta["schema_version"] = 4
    meta_file.write_text(json.dumps(meta), encoding="utf-8")


# --- recording and verify ------------------------------------------------------------------------


def test_publish_records_every_file_and_verify_says_ok(runner, sample_index):
    gen = current_generation(sample_index)
    on_disk = {p.name: p.stat().st_size for p in gen.path.iterdir() if p.name != integrity.META_FILE}
    recorded = gen.meta[integrity.FILES_KEY]
    assert {name: r["size"] for name, r in recorded.items()} == on_disk
    assert all(len(r["crc32"]) == 8 for r in recorded.values())
    result = verify(runner, sample_index)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {gen.name}, {len(on_disk)} files")
    assert len(result.output.splitlines()) == 1


def test_verify_finds_a_flipped_byte_in_any_file(runner, sample_index, tmp_path):
    names = sorted(p.name for p in live_folder(sample_index).iterdir())
    suffixes = {Path(n).suffix for n in names}
    assert {".pst", ".trm", ".col", ".toc", ".jsonl", ".json"} <= suffixes, names
    for name in names:
        size = (live_folder(sample_index) / name).stat().st_size
        assert size > 0, name
        for at in sorted({0, size // 2, size - 1}):
            root = copy_index(sample_index, tmp_path / f"{name}-{at}")
            flip_byte(live_folder(root) / name, at)
            result = verify(runner, root)
            assert result.exit_code == 1, (name, at, result.output)
            assert name in result.output, (name, at, result.output)


def test_verify_names_each_missing_cut_and_changed_file(runner, sample_index, tmp_path):
    root = copy_index(sample_index, tmp_path / "index")
    folder = live_folder(root)
    missing, cut, changed = one(folder, ".desk.col"), one(folder, ".trm"), one(folder, ".pst")
    missing.unlink()
    truncate(cut)
    garbage(changed)
    result = verify(runner, root)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"  {missing.name}: missing" in lines
    assert any(line.startswith(f"  {cut.name}: size differs") for line in lines), lines
    assert any(line.startswith(f"  {changed.name}: checksum differs") for line in lines), lines
    assert "sandhan index rebuild" in result.output


def test_verify_names_a_file_it_cannot_read(runner, sample_index, tmp_path):
    # A folder where a file was: the size recorded is its size, so only reading its bytes fails.
    root = copy_index(sample_index, tmp_path / "index")
    gen = current_generation(root)
    listing = gen.path / "files.jsonl"
    listing.unlink()
    listing.mkdir()
    record = {"size": listing.stat().st_size, "crc32": gen.meta[integrity.FILES_KEY]["files.jsonl"]["crc32"]}
    meta = resealed(gen.meta, files=with_record(gen.meta, "files.jsonl", record))
    (gen.path / integrity.META_FILE).write_text(meta, encoding="utf-8")
    result = verify(runner, root)
    assert result.exit_code == 1
    assert "  files.jsonl: cannot be read (Is a directory)" in result.output.splitlines(), result.output


def test_an_index_of_the_previous_version_asks_for_a_rebuild(runner, sample_index, tmp_path):
    root = copy_index(sample_index, tmp_path / "index")
    as_the_previous_version_wrote_it(root)
    result = verify(runner, root)
    assert result.exit_code == 1
    assert "another version" in result.output and "sandhan index rebuild" in result.output
    assert runner.invoke(main, ["index", "stats", "--index", str(root)]).exit_code == 1  # `make run` rebuilds


def test_an_update_keeps_the_records_of_the_files_it_links(runner, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    pages = sorted(src.glob("*.txt"))
    root = tmp_path / "index"
    rebuild([src], root, procs=1)
    pages[0].write_text(pages[0].read_text(encoding="utf-8") + "\n\nএকটি নতুন অনুচ্ছেদ।\n", encoding="utf-8")
    update([src], root)
    assert verify(runner, root).exit_code == 0
    # A byte changed in a file the live generation shares with the next one, after the update
    # checked it and before it published: the next one's record is the one written with the
    # file, so the change is found there too.
    linked = one(live_folder(root), ".signature.col")
    pages[1].write_text(pages[1].read_text(encoding="utf-8") + "\n\nআরও একটি অনুচ্ছেদ।\n", encoding="utf-8")
    pause = BuildPause(tmp_path, "publish")
    cmd = [sys.executable, "-m", "search.cli", "index", "update", "--source", str(src), "--index", str(root)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=pause.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pause.wait_until_reached(proc)
    flip_byte(linked, linked.stat().st_size // 2)
    pause.let_go()
    assert proc.wait() == 0, proc.stderr.read()
    assert live_folder(root) != linked.parent and (live_folder(root) / linked.name).samefile(linked)
    result = verify(runner, root)
    assert result.exit_code == 1 and linked.name in result.output, result.output


# What `update` builds on, damaged the ways a file can be: a cut, a missing and a changed file.
UPDATE_DAMAGE = {
    "file list missing": lambda folder: (folder / "files.jsonl").unlink(),
    "file list changed": lambda folder: flip_byte(folder / "files.jsonl", 0),
    "truncated postings": lambda folder: truncate(one(folder, ".pst")),
}


@pytest.mark.parametrize("damage", UPDATE_DAMAGE)
def test_update_of_a_damaged_index_refuses_in_one_line_and_publishes_nothing(tmp_path, damage):
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    root = tmp_path / "index"
    rebuild([src], root, procs=1)
    live = live_folder(root)
    UPDATE_DAMAGE[damage](live)
    (src / "new.txt").write_text((SAMPLES / sorted(os.listdir(SAMPLES))[0]).read_text(encoding="utf-8"))
    result = subprocess.run(
        [sys.executable, "-m", "search.cli", "index", "update", "--source", str(src), "--index", str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert (
        "damaged" in lines[0] and "sandhan index verify" in lines[0] and "sandhan index rebuild" in lines[0]
    )
    assert sorted(os.listdir(root / "generations")) == [live.name]  # nothing built, nothing left
    assert (root / "CURRENT").read_text().strip() == live.name


# --- serving -------------------------------------------------------------------------------------


def poll(server: LiveServer, path: str, status: int, deadline: float = 60.0) -> requests.Response:
    """Ask until the answer has `status` (damage found in the background takes a moment); every
    answer on the way must be 200 or that status: never a 500."""
    stop = time.monotonic() + deadline
    while True:
        r = requests.get(server.url + path, timeout=10)
        assert r.status_code in (200, status), (path, r.status_code, r.text[:300])
        if r.status_code == status or time.monotonic() > stop:
            return r
        time.sleep(0.05)


def conforms(body: dict, schema: str) -> None:
    """`body` is what the OpenAPI document says of `schema`."""
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]})


def assert_says_damaged_without_paths(server: LiveServer, root: Path) -> None:
    health = poll(server, "/healthz", 503)
    assert health.status_code == 503, health.text
    conforms(health.json(), "HealthUnavailable")
    assert health.json()["status"] == "damaged"
    assert health.json()["error"]["code"] == "index_damaged"
    answers = [health]
    for path in ("/api/search?q=ঢাকা", "/api/articles/x", "/api/suggest?q=ঢা"):
        r = poll(server, path, 503)
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_damaged", (path, r.text)
        conforms(r.json(), "Error")
        answers.append(r)
    message = answers[1].json()["error"]["message"]
    assert "sandhan index verify" in message and "sandhan index rebuild" in message
    page = poll(server, "/?q=ঢাকা", 503)
    assert page.status_code == 503 and "নষ্ট" in page.text and "sandhan index verify" in page.text
    for r in [*answers, page]:
        assert str(root) not in r.text and "/tmp" not in r.text, r.text


DAMAGE = {
    "truncated postings": lambda folder: truncate(one(folder, ".pst")),
    "truncated terms": lambda folder: truncate(one(folder, ".trm")),
    "garbage in a column": lambda folder: garbage(one(folder, ".desk.col")),
    "garbage in stored fields": lambda folder: garbage(one(folder, "._stored.col")),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_answers_503_index_damaged(sample_index, tmp_path, damage):
    root = copy_index(sample_index, tmp_path / "index")
    DAMAGE[damage](live_folder(root))
    server = LiveServer(root).start(wait_healthy=False)
    try:
        assert_says_damaged_without_paths(server, root)
    finally:
        server.stop()


def test_damage_found_in_the_background_turns_healthz_503(sample_index, tmp_path):
    # files.jsonl is read by `index update`, never by a server: only the background checksum finds it.
    root = copy_index(sample_index, tmp_path / "index")
    listing = live_folder(root) / "files.jsonl"
    flip_byte(listing, listing.stat().st_size // 2)
    server = LiveServer(root).start(wait_healthy=False)
    try:
        assert_says_damaged_without_paths(server, root)
    finally:
        server.stop()
    assert "files.jsonl: checksum differs" in server.output  # the log says which


def test_a_good_index_is_verified_in_the_background(live_server):
    stop = time.monotonic() + 60
    while not (health := live_server.get("/healthz").json())["verified"] and time.monotonic() < stop:
        time.sleep(0.05)
    assert health["status"] == "ok" and health["verified"] is True
    conforms(health, "Health")


def test_a_read_that_fails_on_damaged_files_answers_503_not_500(sample_index, tmp_path):
    # No background check here (a test app): the error raised reading garbage is what finds it.
    root = copy_index(sample_index, tmp_path / "index")
    garbage(one(live_folder(root), "._stored.col"))
    client = create_app({"INDEX_DIR": str(root), "TESTING": True}).test_client()
    assert client.get("/healthz").get_json()["verified"] is False
    for _ in range(2):  # found once, then answered from what was found
        r = client.get("/api/search", query_string={"q": "ঢাকা"})
        assert r.status_code == 503, r.get_data(as_text=True)[:300]
        assert r.get_json()["error"]["code"] == "index_damaged"
    assert client.get("/healthz").get_json()["status"] == "damaged"


def test_unavailable_answers_name_no_server_path(sample_index, tmp_path):
    missing = tmp_path / "missing"
    old = copy_index(sample_index, tmp_path / "old")
    as_the_previous_version_wrote_it(old)
    for root in (missing, old):
        server = LiveServer(root).start(wait_healthy=False)
        try:
            health = server.get("/healthz")
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
            conforms(health.json(), "HealthUnavailable")
            for path in ("/healthz", "/api/search?q=ঢাকা", "/?q=ঢাকা"):
                r = requests.get(server.url + path, timeout=10)
                assert r.status_code == 503
                assert "sandhan index rebuild" in r.text
                assert str(tmp_path) not in r.text and "/tmp" not in r.text, r.text
        finally:
            server.stop()


# --- any shape of the metadata -------------------------------------------------------------------


def resealed(meta: dict, **changes) -> str:
    """`meta` with `changes` and a checksum of its own that fits them: a file of another shape
    that no changed byte explains (as a bug, or a hand, could write it)."""
    out = {**meta, **changes}
    out[integrity.SEAL_KEY] = integrity._seal(out)
    return json.dumps(out)


def with_record(meta: dict, name: str, record) -> dict:
    return {**meta[integrity.FILES_KEY], name: record}


# Each shape of sandhan.json, made from the one written: what it does to the live generation.
META_SHAPES = {
    "a list": lambda meta: "[]",
    "a number": lambda meta: "5",
    "a string": lambda meta: '"sandhan"',
    "null": lambda meta: "null",
    "nested deeper than json reads": lambda meta: "[" * 100_000 + "]" * 100_000,
    "no records": lambda meta: json.dumps({"schema_version": meta["schema_version"]}),
    "records a list": lambda meta: resealed(meta, files=[]),
    "a record a string": lambda meta: resealed(meta, files=with_record(meta, "files.jsonl", "1:0")),
    "a size a string": lambda meta: resealed(
        meta, files=with_record(meta, "files.jsonl", {"size": "1", "crc32": "00000000"})
    ),
    "a size true": lambda meta: resealed(
        meta, files=with_record(meta, "files.jsonl", {"size": True, "crc32": "00000000"})
    ),
    "no checksum in a record": lambda meta: resealed(
        meta, files=with_record(meta, "files.jsonl", {"size": 1})
    ),
    "a record outside the folder": lambda meta: resealed(
        meta, files=with_record(meta, "../../../../../../etc/hostname", {"size": 1, "crc32": "00000000"})
    ),
    "a NUL in a name": lambda meta: resealed(
        meta, files=with_record(meta, "a\0b", {"size": 1, "crc32": "00000000"})
    ),
    "a lone surrogate in a name": lambda meta: resealed(
        meta, files=with_record(meta, "\ud800", {"size": 1, "crc32": "00000000"})
    ),
    "its own checksum a number": lambda meta: json.dumps({**meta, integrity.SEAL_KEY: 5}),
    "sources a number": lambda meta: resealed(meta, sources=5),
    "sources a string": lambda meta: resealed(meta, sources="/tmp"),
    "built_at an object": lambda meta: resealed(meta, built_at={"at": 1}),
}
OTHER_VERSION = {"schema_version a list": lambda meta: resealed(meta, schema_version=[5])}


def write_meta(folder: Path, shape, written: dict) -> None:
    """The generation's sandhan.json in `shape`, made from `written` (as Sandhan wrote it)."""
    (folder / integrity.META_FILE).write_text(shape(written), encoding="utf-8")


@pytest.mark.parametrize("shape", [*META_SHAPES, *OTHER_VERSION])
def test_no_shape_of_the_metadata_gives_a_traceback(runner, sample_index, tmp_path, shape):
    root = copy_index(sample_index, tmp_path / "index")
    write_meta(live_folder(root), {**META_SHAPES, **OTHER_VERSION}[shape], current_generation(root).meta)
    for command in (["index", "verify"], ["index", "stats"]):
        result = runner.invoke(main, [*command, "--index", str(root)])
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), (command, result.exception)  # not a traceback
        expected = "another version" if shape in OTHER_VERSION else integrity.META_FILE
        assert expected in result.output and "sandhan index rebuild" in result.output, (
            command,
            result.output,
        )


def test_no_shape_of_the_metadata_answers_500(sample_index, tmp_path):
    root = copy_index(sample_index, tmp_path / "index")
    shapes = {**META_SHAPES, **OTHER_VERSION}
    gen = current_generation(root)
    write_meta(gen.path, next(iter(shapes.values())), gen.meta)
    server = LiveServer(root).start(wait_healthy=False)
    try:
        for name, shape in shapes.items():
            write_meta(gen.path, shape, gen.meta)  # never opened, so read again by the next request
            code, status = (
                ("index_unavailable", "unavailable")
                if name in OTHER_VERSION
                else ("index_damaged", "damaged")
            )
            health = server.get("/healthz")
            assert health.status_code == 503 and health.json()["status"] == status, (name, health.text)
            for path in ("/api/search?q=ঢাকা", "/api/articles/x", "/api/suggest?q=ঢা"):
                r = requests.get(server.url + path, timeout=10)
                assert r.status_code == 503 and r.json()["error"]["code"] == code, (name, path, r.text)
            assert server.get("/", q="ঢাকা").status_code == 503, name
    finally:
        server.stop()
    assert "Traceback" not in server.output


def test_checksums_read_before_are_trusted_only_when_asked(tmp_path):
    """An update and a server opening the next generation trust the checksums this process read
    of files unchanged since (same file, size and modification time): they read only new files.
    A check after a failed read, and `verify`, read every byte: a byte changed with the file's
    time put back is found by them."""
    root = tmp_path / "index"
    rebuild([SAMPLES], root, procs=1)
    gen = current_generation(root)
    assert integrity.content_damage(gen.path, gen.meta) == []  # read, and remembered
    damaged = one(gen.path, ".pst")
    times = damaged.stat()
    flip_byte(damaged, times.st_size // 2)
    os.utime(damaged, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert integrity.content_damage(gen.path, gen.meta, trust_known=True) == []
    check = integrity.GenerationCheck(gen.path, gen.meta)
    # The background check at opening trusts; a check after a failure reads again.
    assert check.check(trust_known=True) == [] and check.verified
    assert [d.file for d in check.check()] == [damaged.name] and not check.verified
    # What was read then is what is remembered: the damage is found from now on.
    assert [d.file for d in integrity.content_damage(gen.path, gen.meta, trust_known=True)] == [damaged.name]
    assert [d.file for d in integrity.content_damage(gen.path, gen.meta)] == [damaged.name]
