"""Reliability under load and hostile input: rebuilds while serving, killed rebuilds, concurrent
rebuilds, hostile pages, fuzzed queries, a missing index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.query import MAX_QUERY_CHARS
from search.whoosh_store.build import rebuild
from search.whoosh_store.generations import current_generation
from tests.conftest import REPO, SAMPLES, BuildPause, LiveServer
from tests.whoosh_store.test_build import many_pages, write_page

QUERIES = ["ঢাকা", "বৃষ্টি", "ক্রিকেট", '"ঢাকা শহরে"', "অনুচ্ছেদ নম্বর", ""]


class Load:
    """Four client threads querying a server until stopped; every answer is recorded."""

    def __init__(self, url: str, threads: int = 4):
        self.url = url
        self.stop = threading.Event()
        self.answers: list[tuple[int, int | None, str | None]] = []  # (status, total, generation)
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, i: int) -> None:
        session = requests.Session()
        k = i
        while not self.stop.is_set():
            q = QUERIES[k % len(QUERIES)]
            k += 1
            try:
                r = session.get(f"{self.url}/api/search", params={"q": q}, timeout=10)
                body = r.json()
                self.answers.append((r.status_code, body.get("total"), q))
            except Exception as exc:  # any failure to answer is a failure of the test
                self.errors.append(repr(exc))

    def wait_for_answers(self, count: int, timeout: float = 60) -> None:
        """Until `count` answers have been recorded (the bound is for a server that stopped)."""
        deadline = time.monotonic() + timeout
        while len(self.answers) + len(self.errors) < count:
            assert time.monotonic() < deadline, f"only {len(self.answers)} answers"
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)


def rebuild_cmd(source: Path, index: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "search.cli",
        "index",
        "rebuild",
        "--source",
        str(source),
        "--index",
        str(index),
    ]


def test_rebuild_while_serving_then_killed_rebuild(tmp_path):
    index = tmp_path / "index"
    rebuild([SAMPLES], index, procs=1)
    big = many_pages(tmp_path / "big", 600)
    server = LiveServer(index).start()
    try:
        before = server.get("/healthz").json()
        with Load(server.url) as load:
            load.wait_for_answers(10)
            done = subprocess.run(rebuild_cmd(big, index), cwd=REPO, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            # The server answers from the new generation on its next request, no restart.
            deadline = time.monotonic() + 30  # a bound for a server that never switches
            while server.get("/healthz").json()["generation"] == before["generation"]:
                assert time.monotonic() < deadline, "server did not pick up the new index"
                time.sleep(0.1)
            after = server.get("/healthz").json()
            assert after["built_at"] >= before["built_at"] and after["documents"] == 600
            # A rebuild killed just before it would switch: the server goes on answering from the
            # complete index. The build waits at that point until killed (search/index.py test_pause).
            pause = BuildPause(tmp_path, "publish")
            proc = subprocess.Popen(
                rebuild_cmd(big, index),
                cwd=REPO,
                env=pause.env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                pause.wait_until_reached(proc)
                assert list((index / "generations").glob("*.building"))
            finally:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            load.wait_for_answers(len(load.answers) + 20)  # still answering after the kill
        assert not load.errors, load.errors[:3]
        assert {status for status, _, _ in load.answers} == {200}
        # Every answer came from a complete index: the old totals or the new ones, nothing between.
        old_new: dict[str, set[int]] = {}
        for _, total, q in load.answers:
            old_new.setdefault(q, set()).add(total)
        assert all(len(totals) <= 2 for totals in old_new.values()), old_new
        assert server.get("/healthz").json()["generation"] == after["generation"]
    finally:
        server.stop()
    # The next rebuild cleans up after the killed one and works.
    report = rebuild([SAMPLES], index, procs=1)
    assert current_generation(index).name == report.generation
    assert not list((index / "generations").glob("*.building"))


def test_second_rebuild_at_once_refuses_with_a_clear_message(tmp_path):
    index = tmp_path / "index"
    big = many_pages(tmp_path / "big", 200)
    pause = BuildPause(tmp_path, "worker")  # the first build holds the lock, indexing
    first = subprocess.Popen(
        rebuild_cmd(big, index), cwd=REPO, env=pause.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        pause.wait_until_reached(first)
        second = subprocess.run(rebuild_cmd(SAMPLES, index), cwd=REPO, capture_output=True, text=True)
        assert second.returncode == 1
        assert "Another rebuild or update" in second.stderr
    finally:
        pause.let_go()
        first.wait(120)
    assert first.returncode == 0
    assert current_generation(index).meta["documents"] == 200


def test_hostile_pages_are_rejected_or_indexed_harmlessly(tmp_path, app):
    src = tmp_path / "src"
    write_page(
        src,
        "0001_aaaaaaaaaaaaaaaa",
        "<script>alert('x')</script> ঢাকায় মেলা",
        "ঢাকায় আজ বইমেলা শুরু হয়েছে। <b>মোটা</b> লেখা & চিহ্ন।",
    )
    write_page(src, "0002_bbbbbbbbbbbbbbbb", "স্বাভাবিক খবর", "খুলনায় আজ রোদ।")
    (src / "0003_cccccccccccccccc.txt").write_text("ক" * (10 * 1024 * 1024), encoding="utf-8")
    (src / "0004_dddddddddddddddd.txt").write_bytes(os.urandom(4096))
    (src / "0005_eeeeeeeeeeeeeeee.txt").write_bytes("Café crème, naïve".encode("latin-1"))
    (src / "0006_ffffffffffffffff.txt").write_bytes("ঢাকা".encode("utf-16-le"))  # no BOM
    report = rebuild([src], tmp_path / "index", procs=1)
    rejected = {Path(p).stem[:4]: reason for p, reason in report.rejected}
    assert set(rejected) == {"0003", "0004", "0005", "0006"}, rejected
    assert all(rejected.values())
    assert report.indexed == 2
    from web import create_app

    client = create_app({"INDEX_DIR": str(tmp_path / "index"), "TESTING": True}).test_client()
    page = client.get("/?q=ঢাকা").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    api = client.get("/api/search?q=ঢাকা").get_json()
    assert api["results"][0]["title"].startswith("<script>")  # data as data
    assert "<script>" not in api["results"][0]["title_html"]


def test_missing_index_answers_503_and_a_later_build_is_picked_up(tmp_path):
    index = tmp_path / "index"
    server = LiveServer(index).start(wait_healthy=False)
    try:
        for path in ("/api/search?q=ঢাকা", "/healthz", "/api/articles/x"):
            r = requests.get(server.url + path, timeout=10)
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "index_unavailable"
            assert "sandhan index rebuild" in r.json()["error"]["message"]
        assert requests.get(server.url + "/?q=ঢাকা", timeout=10).status_code == 503
        rebuild([SAMPLES], index, procs=1)
        assert server.get("/healthz").status_code == 200
    finally:
        server.stop()
        out = server.output
    assert "No index at" in out  # `serve` said so at start


def test_corrupt_index_answers_503(tmp_path):
    index = tmp_path / "index"
    rebuild([SAMPLES], index, procs=1)
    gen = current_generation(index)
    for f in gen.path.glob("*.seg"):
        f.write_bytes(b"garbage")
    for f in gen.path.glob("*.toc"):
        f.write_bytes(b"garbage")
    server = LiveServer(index).start(wait_healthy=False)
    try:
        r = requests.get(server.url + "/api/search?q=ঢাকা", timeout=10)
        assert r.status_code == 503 and "rebuild" in r.json()["error"]["message"]
    finally:
        server.stop()


def test_a_5000_character_query_is_cut_to_the_limits_and_says_so(live_server):
    """How long it takes is measured in bench/worst_queries.py; here, that the limits hold."""
    q = ('ঢাকা বৃষ্টি "ক্রিকেট খেলা" -রোদ title:মেলা ' * 120)[:5000]
    body = live_server.get("/api/search", q=q).json()
    assert body["partial"] == "query_cut"
    assert len(body["query"]) == MAX_QUERY_CHARS and q.startswith(body["query"])


BANGLA = st.characters(min_codepoint=0x0980, max_codepoint=0x09FF)
ANY = st.characters(blacklist_categories=("Cs",))
QUERY_TEXT = st.text(st.one_of(BANGLA, ANY, st.sampled_from(list('"-:*?()[]{}^~ \u200c\u200d'))), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=QUERY_TEXT,
    sort=st.one_of(st.none(), st.sampled_from(["relevance", "newest", "oldest"]), st.text(max_size=8)),
    page=st.one_of(st.none(), st.integers(-5, 2000).map(str), st.text(max_size=5)),
    per_page=st.one_of(st.none(), st.integers(-5, 200).map(str)),
    date=st.one_of(st.none(), st.dates().map(str), st.text(max_size=12)),
)
def test_fuzzed_search_never_answers_5xx(live_server, q, sort, page, per_page, date):
    params = {"q": q, "sort": sort, "page": page, "per_page": per_page, "from": date}
    r = requests.get(
        live_server.url + "/api/search", params={k: v for k, v in params.items() if v is not None}, timeout=10
    )
    assert r.status_code in (200, 400), (r.status_code, r.text[:300])
    assert "error" in r.json() or "results" in r.json()


@pytest.mark.parametrize("path", ["/", "/?q=ঢাকা", "/api/search?q=ঢাকা", "/healthz", "/nope"])
def test_every_response_carries_security_headers(live_server, path):
    r = requests.get(live_server.url + path, timeout=10)
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=QUERY_TEXT)
def test_fuzzed_suggest_never_answers_5xx(live_server, q):
    r = requests.get(live_server.url + "/api/suggest", params={"q": q}, timeout=10)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert isinstance(r.json()["suggestions"], list)
