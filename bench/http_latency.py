"""HTTP latency and throughput of a real `sandhan serve` over the dev queries.

Starts the server on a free loopback port over an existing index, sends every query of the dev set
once to warm up, then measures each query's latency one at a time (p50/p95/p99), then requests/s
with 4 concurrent clients for a fixed time.

    .venv/bin/python bench/http_latency.py --index bench/out/eval-index
    .venv/bin/python bench/http_latency.py --opensearch http://127.0.0.1:9201 --name eval
"""

from __future__ import annotations

import argparse
import csv
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> dict[int, float]:
    """Resident memory (MB) of a process and its children, by pid (Linux /proc)."""
    found: dict[int, float] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[p] = int(line.split()[1]) / 1024
        todo += [int(c) for c in children]
    return found


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--index", type=Path, default=REPO / "bench" / "out" / "eval-index")
    ap.add_argument("--queries", type=Path, default=SHARED / "eval" / "queries_dev.tsv")
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of the concurrent run")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--opensearch", metavar="URL", help="serve the OpenSearch store of this cluster")
    ap.add_argument("--name", default="eval", help="with --opensearch: the alias")
    a = ap.parse_args()

    rows = list(csv.DictReader(a.queries.open(encoding="utf-8"), delimiter="\t"))
    params = []
    for r in rows:
        p = {"q": r["query"]}
        if r.get("date_from"):
            p["from"], p["to"] = r["date_from"], r["date_to"]
        params.append(p)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "serve", "--index", str(a.index), "--port", str(port)]
        + (["--opensearch", a.opensearch, "--name", a.name] if a.opensearch else []),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    launched = time.monotonic()
    try:
        # Wait until the workers have warmed their caches (what a load balancer's readiness
        # check would wait for): /healthz answers "warm" from each, so ask until 20 in a row say so.
        in_a_row, deadline = 0, time.monotonic() + 300
        while in_a_row < 20 and time.monotonic() < deadline:
            try:
                in_a_row = in_a_row + 1 if requests.get(url + "/healthz", timeout=5).json().get("warm") else 0
            except (requests.RequestException, ValueError):
                in_a_row = 0
            time.sleep(0.05)
        until_warm = time.monotonic() - launched
        session = requests.Session()
        cold = []
        for p in params:  # first pass: cold caches, reported separately
            t0 = time.perf_counter()
            session.get(url + "/api/search", params=p, timeout=10).raise_for_status()
            cold.append((time.perf_counter() - t0) * 1000)
        warm = []
        for p in params:
            t0 = time.perf_counter()
            session.get(url + "/api/search", params=p, timeout=10).raise_for_status()
            warm.append((time.perf_counter() - t0) * 1000)
        cold.sort()
        warm.sort()

        done = [0] * a.clients
        failures = [0] * a.clients
        stop = time.monotonic() + a.seconds

        def client(i: int) -> None:
            s = requests.Session()
            k = i
            while time.monotonic() < stop:
                r = s.get(url + "/api/search", params=params[k % len(params)], timeout=10)
                done[i] += 1
                failures[i] += not r.ok
                k += a.clients

        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        rss = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)

    print(f"index: {a.index}  queries: {len(params)}  warm {until_warm:.0f} s after launch")
    for name, ms in (("first pass (cold)", cold), ("second pass (warm)", warm)):
        print(
            f"{name}: p50 {percentile(ms, 0.50):.1f} ms  p95 {percentile(ms, 0.95):.1f} ms  "
            f"p99 {percentile(ms, 0.99):.1f} ms  mean {statistics.mean(ms):.1f} ms"
        )
    print(
        f"{a.clients} concurrent clients for {elapsed:.0f} s: {sum(done) / elapsed:.0f} requests/s, "
        f"{sum(failures)} failed"
    )
    print("resident memory after the runs: " + ", ".join(f"{mb:.0f} MB" for _, mb in sorted(rss.items())))


if __name__ == "__main__":
    main()
