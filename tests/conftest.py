"""Shared fixtures: a small index of the sample pages built once per session, a Flask test
client over it, and a real `sandhan serve` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from search.whoosh_store.build import rebuild
from web import create_app

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"
SAMPLES = REPO / "samples" / "pages"


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not (SHARED_CORPUS / "pages").is_dir():
        pytest.skip("../shared/corpus not found: the corpus tests run where the shared data is (CI has it)")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def corpus_articles(shared_corpus):
    """Every page of the shared corpus that the reader accepts, read once per test session."""
    from search.article import PageRejected
    from search.pages import read_page, scan_sources

    articles = []
    for path in scan_sources([shared_corpus / "pages"]).pages:
        try:
            articles.append(read_page(path))
        except PageRejected:
            pass
    return articles


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "index"
    rebuild([SAMPLES], root, procs=1)
    return root


@pytest.fixture(scope="session")
def corpus_index(shared_corpus, tmp_path_factory) -> Path:
    """The whole shared corpus, indexed once per session (about a minute on 2 cores)."""
    root = tmp_path_factory.mktemp("corpus") / "index"
    rebuild([shared_corpus / "pages"], root, procs=2)
    return root


@pytest.fixture
def app(sample_index):
    return create_app({"INDEX_DIR": str(sample_index), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`sandhan serve` in a child process, as a user would run it (`args`: more options, e.g.
    --opensearch URL --name NAME)."""

    def __init__(self, index_dir: Path, port: int | None = None, args: tuple[str, ...] = ()):
        self.index_dir = index_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = tuple(args)  # more options of `sandhan serve`
        self.proc: subprocess.Popen | None = None
        # What the server printed (its access log too), read as it comes: a full pipe would stop it.
        self.lines: list[str] = []

    def _read_output(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self, wait_healthy: bool = True) -> LiveServer:
        cmd = [
            sys.executable,
            "-m",
            "search.cli",
            "serve",
            "--index",
            str(self.index_dir),
            "--port",
            str(self.port),
            *self.args,
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60  # a bound for a server that never comes up, not a wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reader.join(10)  # the last lines it printed
                raise RuntimeError(f"server exited: {self.output}")
            try:
                r = requests.get(self.url + "/healthz", timeout=10)
                if r.status_code == 200 or not wait_healthy:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still opening
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not come up within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self._reader.join(10)  # the last lines it printed

    def get(self, path: str, **params):
        return requests.get(self.url + path, params=params, timeout=10)


class BuildPause:
    """Holds a `sandhan index` child process at a stage of its build (search/index.py `test_pause`),
    so a test kills or races a build it knows is still running, whatever the machine's speed."""

    def __init__(self, folder: Path, stage: str):
        self.release = folder / f"release-{stage}"
        self.reached = folder / f"release-{stage}.reached"
        self.env = {**os.environ, "SANDHAN_TEST_PAUSE": f"{stage}:{self.release}"}

    def wait_until_reached(self, proc: subprocess.Popen, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout  # a bound for a broken build, not a wait for work
        while not self.reached.exists():
            assert proc.poll() is None, f"the build exited ({proc.returncode}) before it paused"
            assert time.monotonic() < deadline, "the build never reached its pause"
            time.sleep(0.02)
        assert proc.poll() is None

    def let_go(self) -> None:
        self.release.touch()


@pytest.fixture(scope="session")
def live_server(sample_index):
    server = LiveServer(sample_index).start()
    yield server
    server.stop()


# --- the OpenSearch store: one real node per session ------------------------------------------

STORES = ["whoosh", "opensearch"]


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory):
    """The URL of a real OpenSearch node started for this session (tests/opensearch_node.py),
    stopped by its pid at the end."""
    from opensearch_node import OpenSearchNode

    node = OpenSearchNode(tmp_path_factory.mktemp("opensearch"))
    node.start()
    yield node.url
    node.stop()


@pytest.fixture(scope="session")
def sample_cluster(opensearch_url) -> tuple[str, str]:
    """The sample pages rebuilt into the node under the alias `samples`: (url, name)."""
    from search.opensearch_store import OpenSearchStore

    OpenSearchStore(opensearch_url, "samples").rebuild([SAMPLES])
    return opensearch_url, "samples"


def store_config(which: str, request) -> dict:
    """create_app's config for the sample pages in the store `which`."""
    if which == "whoosh":
        return {"INDEX_DIR": str(request.getfixturevalue("sample_index"))}
    url, name = request.getfixturevalue("sample_cluster")
    return {"OPENSEARCH": url, "OPENSEARCH_NAME": name}


@pytest.fixture(params=STORES)
def store_client(request):
    """A Flask test client over the sample pages, in each store in turn."""
    return create_app({**store_config(request.param, request), "TESTING": True}).test_client()


@pytest.fixture(scope="session")
def cluster_server(sample_cluster):
    url, name = sample_cluster
    server = LiveServer(Path("unused"), args=("--opensearch", url, "--name", name)).start()
    yield server
    server.stop()


@pytest.fixture(params=STORES)
def store_server(request):
    """A real `sandhan serve` over the sample pages, in each store in turn."""
    return request.getfixturevalue("live_server" if request.param == "whoosh" else "cluster_server")
