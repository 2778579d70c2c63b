"""Operations: /metrics read back by prometheus_client's own parser, the access log of a real
server, and Cache-Control on every kind of answer."""

from __future__ import annotations

import json
import re
import shutil
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from search.whoosh_store.build import rebuild
from tests.conftest import SAMPLES, LiveServer


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value, from /metrics as Prometheus reads it."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def test_metrics_count_requests_by_route_and_status(client):
    for _ in range(3):
        assert client.get("/api/search?q=ঢাকা").status_code == 200
    assert client.get("/api/search?from=nonsense").status_code == 400
    assert client.get("/api/articles/no-such-article").status_code == 404
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    found = samples(r.get_data(as_text=True))
    ok = {"route": "/api/search", "method": "GET", "status": "200"}
    assert value(found, "sandhan_http_requests_total", **ok) == 3
    assert value(found, "sandhan_http_requests_total", **{**ok, "status": "400"}) == 1
    article = {"route": "/api/articles/<article_id:article_id>", "method": "GET", "status": "404"}
    assert value(found, "sandhan_http_requests_total", **article) == 1
    assert value(found, "sandhan_http_request_duration_seconds_count", route="/api/search") == 4
    assert value(found, "sandhan_http_request_duration_seconds_bucket", route="/api/search", le="+Inf") == 4
    assert value(found, "sandhan_documents") == 18
    assert 0 <= value(found, "sandhan_generation_age_seconds") < 24 * 3600
    assert value(found, "sandhan_generation_build_seconds", kind="rebuild") >= 0
    # The ranking's score cache: three searches for one word, the later two answered from it.
    assert value(found, "sandhan_cache_hits_total", cache="scores") >= 2
    assert value(found, "sandhan_cache_misses_total", cache="scores") >= 1


def test_a_method_made_up_by_a_client_is_one_label(client):
    client.get("/healthz")
    for method in ("BREW", "WHEN", "X" * 40):
        client.open("/api/search", method=method)
    found = samples(client.get("/metrics").get_data(as_text=True))
    methods = {dict(labels)["method"] for name, labels in found if name == "sandhan_http_requests_total"}
    assert methods == {"GET", "other"}


def test_cache_control(client):
    def cache(path: str, **headers) -> str:
        return client.get(path, headers=headers).headers.get("Cache-Control")

    assert cache("/?q=ঢাকা") == "public, max-age=60"
    assert cache("/api/search?q=ঢাকা") == "public, max-age=60"
    assert cache("/search.atom?q=ঢাকা") == "public, max-age=300"
    assert cache("/healthz") == "no-store"
    assert cache("/metrics") == "no-store"
    assert cache("/api/search?sort=sideways") == "no-store"  # an error is not kept
    html = client.get("/").get_data(as_text=True)
    style = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', html).group(1)
    assert cache(style) == "public, max-age=31536000, immutable"  # named by its content
    assert cache("/static/style.css") == "public, max-age=300"
    assert cache("/static/style.css?v=000000000000") == "public, max-age=300"  # not this content


def serve(tmp_path, *args: str) -> LiveServer:
    pages = tmp_path / "pages"
    shutil.copytree(SAMPLES, pages)
    rebuild([pages], tmp_path / "index", procs=1)
    return LiveServer(tmp_path / "index", args=args).start()


def access_lines(server: LiveServer, marker: str, count: int) -> list[str]:
    deadline = time.monotonic() + 10  # a bound for a log line that never comes
    while True:
        lines = [line for line in server.lines if marker in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_the_access_log_has_a_line_per_request(tmp_path):
    server = serve(tmp_path, "--workers", "1")
    try:
        long_query = "ঢাকা " * 100
        requests.get(server.url + "/api/search", params={"q": long_query, "tag": "line1"}, timeout=10)
        requests.get(server.url + "/api/articles/nothing%0AGET%20/fake%20200", timeout=10)
        requests.get(server.url + "/healthz?tag=line3", timeout=10)
        [search] = access_lines(server, "/api/search?", 1)
        m = re.fullmatch(r"\S+ GET (/api/search\?\S+) 200 (\d+\.\d)ms\n", search)
        assert m, search
        query = m.group(1).split("?", 1)[1]
        assert query.startswith("q=%E0%A6%A2") and query.endswith("…") and len(query) == 201
        [article] = access_lines(server, "/api/articles/", 1)
        assert re.fullmatch(r"\S+ GET /api/articles/nothing%0AGET%20/fake%20200 404 \d+\.\dms\n", article)
        assert not any(line.startswith("GET /fake") for line in server.lines)  # no line was forged
        assert len(access_lines(server, " GET /healthz", 2)) >= 2  # start-up's and ours
    finally:
        server.stop()


def test_the_access_log_in_json(tmp_path):
    server = serve(tmp_path, "--workers", "1", "--log-format", "json")
    try:
        requests.get(server.url + "/api/search", params={"q": "ঢাকা"}, timeout=10)
        [line] = access_lines(server, '"/api/search?', 1)
        record = json.loads(line)
        assert record["method"] == "GET" and record["status"] == 200
        assert record["path"] == "/api/search?q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE"
        assert isinstance(record["ms"], float) and record["time"].endswith("+00:00")
    finally:
        server.stop()


def test_metrics_sum_the_workers_and_count_the_watchers_updates(tmp_path):
    """Two worker processes answer; /metrics, whichever answers, counts the requests of both,
    and the updates the watcher of `serve --watch` ran."""
    server = serve(tmp_path, "--workers", "2", "--watch", str(tmp_path / "pages"), "--quiet", "0.1")
    try:
        before = samples(server.get("/metrics").text)
        ok = {"route": "/healthz", "method": "GET", "status": "200"}
        start = value(before, "sandhan_http_requests_total", **ok) or 0
        for _ in range(20):
            assert server.get("/healthz").status_code == 200
        found = samples(server.get("/metrics").text)
        assert value(found, "sandhan_http_requests_total", **ok) == start + 20
        (tmp_path / "pages" / "new.txt").write_text(
            "নতুন খবর এসেছে\n\nনিজস্ব প্রতিবেদক\n১২ আগস্ট ২০২৪, ১০:২৫\n\nনদীর ধারে মেলা বসেছে।\n", "utf-8"
        )
        deadline = time.monotonic() + 30  # a bound for an update that never comes
        while not value(samples(server.get("/metrics").text), "sandhan_documents") == 19:
            assert time.monotonic() < deadline, server.output
            time.sleep(0.1)
        found = samples(server.get("/metrics").text)
        assert value(found, "sandhan_index_build_duration_seconds_count", kind="update") == 1
        assert value(found, "sandhan_generation_build_seconds", kind="update") >= 0
    finally:
        server.stop()
