"""The connection to a cluster: one client per URL, retries with backoff on 429 and 503, and the
client's errors turned into the store's (search/store.py): unreachable or red is StoreUnavailable,
which the API answers 503, never 500.

Only this package imports opensearchpy.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from search.store import StoreMissing, StoreUnavailable

# Statuses worth asking again after a pause: the cluster is busy (429) or briefly unable (503).
RETRY_STATUSES = (429, 502, 503, 504)
RETRIES = 5
BACKOFF_SECONDS = 0.5  # doubled after each retry: 0.5, 1, 2, 4, 8 s
TIMEOUT_SECONDS = 30

# The client logs each failed request with a traceback (a node lost under load filled a server's
# log with hundreds); the store says what failed once, as a 503 or a build's error: only the
# client's errors are kept.
logging.getLogger("opensearch").setLevel(logging.ERROR)


def nodes(url: str) -> list[str]:
    """The node URLs in `url`: one, or several separated by commas."""
    return [part.strip() for part in url.split(",") if part.strip()]


def connect(url: str, *, verify_certs: bool = True) -> OpenSearch:
    """A client for the cluster at `url` (http(s)://user:password@host:port; credentials in the
    URL), or at several of its nodes' URLs separated by commas: requests are spread over them and
    one that a node does not answer is asked of the next, which is then left alone for a while
    (so a server stays up when a node it talks to is lost). TLS certificates are verified unless
    `verify_certs` is False."""
    hosts = nodes(url)
    for host in hosts or [url]:
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreUnavailable(f"Not an OpenSearch URL: {_shown(host)} (expected http(s)://host:port)")
    return OpenSearch(
        hosts=hosts,
        verify_certs=verify_certs,
        ssl_show_warn=verify_certs,
        timeout=TIMEOUT_SECONDS,
        # The client's own retries cover connection errors (the next node); statuses are retried
        # by `call`.
        max_retries=max(1, len(hosts) - 1),
        retry_on_timeout=True,
        http_compress=True,
        # Connections kept per node: a server's threads each need one (urllib3 keeps 1 by default,
        # and a server of 4 threads discarded and reopened connections hundreds of times a minute).
        pool_maxsize=8,
    )


def _shown(url: str) -> str:
    """A URL as it may be printed: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def shown_url(url: str) -> str:
    return ",".join(_shown(node) for node in nodes(url)) or url


def call(what: str, fn: Callable, *args, **kwargs):
    """`fn(*args, **kwargs)` against the cluster, retried with backoff on 429/502/503/504 and
    connection errors; other failures become StoreUnavailable (or StoreMissing for an index or
    alias that does not exist) naming `what` was being done."""
    delay = BACKOFF_SECONDS
    for attempt in range(RETRIES + 1):
        try:
            return fn(*args, **kwargs)
        except os_errors.NotFoundError as exc:
            if _reason(exc).startswith("index_not_found"):
                raise StoreMissing(f"{what}: no such index or alias ({_detail(exc)})") from None
            raise
        except os_errors.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else None
            # A cluster that does not answer is said at once (the client has tried twice already);
            # a busy one is asked again.
            retry = status in RETRY_STATUSES and not isinstance(exc, os_errors.ConnectionError)
            if not retry or attempt == RETRIES:
                if isinstance(exc, os_errors.ConnectionError):
                    raise StoreUnavailable(f"{what}: the cluster does not answer ({_detail(exc)})") from None
                if status in RETRY_STATUSES:
                    raise StoreUnavailable(f"{what}: the cluster is busy or not ready ({status})") from None
                raise
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _reason(exc: os_errors.TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    return error.get("type", "") if isinstance(error, dict) else str(error or "")


def _detail(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "…"


def unavailable_on_errors(method):
    """A store method whose unexpected client errors (a failed shard, a rejected request) answer
    503 with what was being done, never a traceback and a 500."""

    @functools.wraps(method)
    def calling(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except os_errors.TransportError as exc:
            raise StoreUnavailable(f"The cluster refused {method.__name__}: {_detail(exc)}") from None

    return calling


def msearch(client: OpenSearch, index: str, searches: list[tuple[dict, list[str]]]) -> list[dict]:
    """The answers of several searches of `index` (each a body and what to read of its answer,
    as `filter_path`), asked in one `_msearch` so that the cluster runs them side by side. A
    search that failed raises its error as `client.search` would (so `call` retries a busy
    cluster)."""
    lines = []
    for body, _ in searches:
        lines += [{}, body]
    read = {"status", "error"} | {path for _, paths in searches for path in paths}
    paths = sorted(f"responses.{path}" for path in read)
    answers = client.msearch(index=index, body=lines, filter_path=paths)["responses"]
    for answer in answers:
        if "error" in answer:
            status = answer.get("status", 500)
            error = answer["error"]
            kind = error.get("type", "") if isinstance(error, dict) else str(error)
            raise os_errors.HTTP_EXCEPTIONS.get(status, os_errors.TransportError)(status, kind, answer)
    return answers


def check_health(client: OpenSearch, index: str) -> str:
    """The health of `index` (green/yellow); StoreUnavailable when red or unreachable."""
    health = call("cluster health", client.cluster.health, index=index)
    status = health.get("status")
    if status == "red":
        raise StoreUnavailable(f"The cluster's index {index} is red: some of its shards have no copy")
    return status


def client_copy(client: OpenSearch, compress: bool = True) -> OpenSearch:
    """A client of its own for a forked worker process, as `client` was made: a pooled
    connection inherited across fork would carry two processes' requests on one socket.
    `compress=False`: requests go uncompressed (a bulk sender's gzip is CPU spent for a cluster
    that is near; measured in BENCHMARKS.md)."""
    transport = client.transport
    options = {**transport.kwargs, "http_compress": transport.kwargs.get("http_compress") and compress}
    return OpenSearch(
        transport.hosts,
        max_retries=transport.max_retries,
        retry_on_timeout=transport.retry_on_timeout,
        **options,
    )
