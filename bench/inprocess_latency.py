"""In-process latency of the 280 dev queries on a warmed `SearchEngine`: a first pass (each query
new to the process) and a second, p50/p95/mean in ms. Runs on older code too, for side-by-side rows:

    .venv/bin/python bench/inprocess_latency.py INDEX
    cd OLD_CHECKOUT && PYTHONPATH=. /path/to/.venv/bin/python /path/to/bench/inprocess_latency.py OLD_INDEX
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

from search.engine import SearchEngine
from search.whoosh_store import WhooshStore
from web.params import parse_request

QUERIES = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "queries_dev.tsv"


def main() -> None:
    rows = list(csv.DictReader(QUERIES.open(encoding="utf-8"), delimiter="\t"))
    service = SearchEngine(WhooshStore(sys.argv[1]))
    service.store.warm()
    out = []
    for name in ("first pass", "second pass"):
        times = []
        for r in rows:
            params = {"q": r["query"]}
            if r.get("date_from"):
                params["from"], params["to"] = r["date_from"], r["date_to"]
            started = time.perf_counter()
            service.search(parse_request(params))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out.append(
            f"{name} p50 {times[len(times) // 2]:.2f} p95 {times[int(len(times) * 0.95)]:.2f} "
            f"mean {statistics.mean(times):.2f}"
        )
    print(" | ".join(out))


if __name__ == "__main__":
    main()
