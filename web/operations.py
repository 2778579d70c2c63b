"""What an operator needs of a long-running server: /metrics in Prometheus's text format, one
access log line per request on stderr, and Cache-Control on every answer.

`sandhan serve` runs several worker processes; each counts the requests it answers. With
$PROMETHEUS_MULTIPROC_DIR set (serve sets it when it forks workers) the counts go to files there,
and /metrics, whichever worker answers it, sums them over all workers (prometheus_client's
multiprocess mode). The figures read from the index (documents, generation age) and the cache
counts are those of the worker that answered.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from search.store import StoreError

# Seconds: a cached term answers in milliseconds, a cold phrase query in a second or more.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BUILD_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
LOGGED_QUERY_CHARS = 200  # of a query string, the access log keeps this many
ACCESS_LOG_FORMATS = ("text", "json")

# How long a client or proxy may reuse an answer, in seconds. Searches and articles change only
# when a new page lands; a static file named by its content hash never changes.
CACHE_SECONDS = {"html": 60, "json": 60, "feed": 300}
STATIC_IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_UNVERSIONED = "public, max-age=300"
CACHED_TYPES = {"text/html": "html", "application/json": "json", "application/atom+xml": "feed"}
NO_STORE = ("/metrics", "/healthz")  # always the state of now
METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}  # others count as "other"


def install(app: Flask) -> None:
    """/metrics, the access log (app.config["ACCESS_LOG"]: "text", "json" or None) and
    Cache-Control headers, on `app`."""
    multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    registry = CollectorRegistry()
    app.extensions["sandhan.metrics"] = {
        "registry": registry,
        "multiprocess": multiprocess,
        "requests": Counter(
            "sandhan_http_requests",
            "HTTP requests answered, by route and status.",
            ["route", "method", "status"],
            registry=registry,
        ),
        "latency": Histogram(
            "sandhan_http_request_duration_seconds",
            "Time to answer a request, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
    }
    if not multiprocess:  # in multiprocess mode the scrape reads the files the histogram writes
        registry.register(_BuildSecondsCollector())
    registry.register(IndexCollector(app))
    app.before_request(_start_clock)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics)
    app.url_defaults(_static_version)


def metrics() -> Response:
    state = current_app.extensions["sandhan.metrics"]
    registry = state["registry"]
    if state["multiprocess"]:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(IndexCollector(current_app))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0])


# --- index builds ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def build_seconds() -> Histogram:
    """Durations of the rebuilds and updates this process ran (`sandhan serve --watch`), one per
    process, shown by every app of it."""
    return Histogram(
        "sandhan_index_build_duration_seconds",
        "Index rebuilds and updates run by this server's watcher, by kind.",
        ["kind"],
        buckets=BUILD_BUCKETS,
        registry=None,
    )


class _BuildSecondsCollector:
    def collect(self):
        return build_seconds().collect()


class IndexCollector:
    """Figures read at scrape time from the service of `app`: documents, the live generation's
    age and build time, and the hits and misses of the ranking's caches."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        service = self.app.extensions["sandhan"]
        documents = GaugeMetricFamily("sandhan_documents", "Articles in the live index.")
        age = GaugeMetricFamily("sandhan_generation_age_seconds", "Seconds since the live index was built.")
        built = GaugeMetricFamily(
            "sandhan_generation_build_seconds",
            "How long the live generation took to build, by kind (rebuild or update).",
            labels=["kind"],
        )
        try:
            health = service.health()
        except StoreError:  # no usable index: the gauges are absent, /healthz says why
            health = None
        if health is not None:
            documents.add_metric([], health["documents"])
            figures = service.store.operations()
            if health["built_at"]:
                when = datetime.fromisoformat(health["built_at"])
                age.add_metric([], max(0.0, time.time() - when.timestamp()))
            if figures.get("build_seconds") is not None:
                built.add_metric([figures["build_kind"]], figures["build_seconds"])
        hits = CounterMetricFamily(
            "sandhan_cache_hits",
            "Lookups a cache answered, for this worker's live generation.",
            labels=["cache"],
        )
        misses = CounterMetricFamily(
            "sandhan_cache_misses",
            "Lookups a cache had to compute, for this worker's generation.",
            labels=["cache"],
        )
        for name, (hit, miss) in service.store.operations().get("cache_counts", {}).items():
            hits.add_metric([name], hit)
            misses.add_metric([name], miss)
        return [documents, age, built, hits, misses]


# --- each request ---------------------------------------------------------------------------


def _start_clock() -> None:
    g.sandhan_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.pop("sandhan_started", None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    state = current_app.extensions["sandhan.metrics"]
    method = request.method if request.method in METHODS else "other"  # a client names methods freely
    state["requests"].labels(route, method, str(response.status_code)).inc()
    state["latency"].labels(route).observe(seconds)
    _cache_control(response)
    log_format = current_app.config.get("ACCESS_LOG")
    if log_format:
        _access_logger().info(access_line(log_format, response.status_code, seconds))
    return response


def access_line(log_format: str, status: int, seconds: float) -> str:
    """One request as the access log writes it: method, path and query (capped), status, ms."""
    target = logged_target()
    ms = round(seconds * 1000, 1)
    when = datetime.now(UTC).isoformat(timespec="milliseconds")
    if log_format == "json":
        fields = {"time": when, "method": request.method, "path": target, "status": status, "ms": ms}
        return json.dumps(fields, ensure_ascii=True)
    return f"{when} {request.method} {target} {status} {ms}ms"


def logged_target() -> str:
    """The path and query string as the client sent them, percent-encoded (no byte of a request
    can break a log line or fake another), the query cut to LOGGED_QUERY_CHARS."""
    path = _printable(request.path.encode("utf-8", "surrogateescape"))
    query = _printable(request.query_string)
    if len(query) > LOGGED_QUERY_CHARS:
        query = query[:LOGGED_QUERY_CHARS] + "…"
    return f"{path}?{query}" if query else path


def _printable(raw: bytes) -> str:
    return re.sub(rb"[^\x21-\x7e]|%(?![0-9A-Fa-f]{2})", lambda m: b"%%%02X" % m.group()[0], raw).decode(
        "ascii"
    )


@lru_cache(maxsize=1)
def _access_logger() -> logging.Logger:
    """Lines on stderr, as they are (waitress and Flask log elsewhere)."""
    logger = logging.getLogger("sandhan.access")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


# --- caching --------------------------------------------------------------------------------


def _cache_control(response: Response) -> None:
    status = response.status_code
    if request.endpoint == "static" and status < 400:  # 200, or 304 to a conditional request
        # In place of Flask's own "no-cache" for files it sends.
        versioned = request.args.get("v") == static_hash((request.view_args or {}).get("filename", ""))
        response.headers["Cache-Control"] = STATIC_IMMUTABLE if versioned else STATIC_UNVERSIONED
    elif "Cache-Control" in response.headers:
        return
    elif request.path in NO_STORE or status != 200:  # the state of now; errors are not kept
        response.headers["Cache-Control"] = "no-store"
    elif (kind := CACHED_TYPES.get(response.mimetype)) is not None:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS[kind]}"


def _static_version(endpoint: str, values: dict) -> None:
    """url_for('static', filename=F) names F by its content: /static/F?v=<hash>, so a changed file
    has a new address and an unchanged one may be kept for a year."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        values["v"] = static_hash(values["filename"])


@lru_cache(maxsize=64)
def static_hash(filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a file in web/static (None: no such file)."""
    folder = Path(current_app.static_folder).resolve()
    path = (folder / filename).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
