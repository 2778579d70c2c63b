"""The costliest queries we can construct within the query limits (search/query.py), timed in-process.

Each query is asked twice on a warmed service (first: cold positions; second: warm caches) and
the slower time is kept; `partial` says whether the work budget (search.policy.WORK_BUDGET) cut
the answer short.

    python bench/worst_queries.py --index /tmp/idx5k [--budget N] [--runs 2]

Runs against older code too (no work budget, no `partial`), for before/after rows of one run:
    PYTHONPATH=OLD_CHECKOUT python bench/worst_queries.py --index ... --runs 1
"""

from __future__ import annotations

import argparse
import inspect
import time

from search.engine import SearchEngine, SearchRequest
from search.whoosh_store import WhooshStore

# The limits of search/query.py and web/params.py (fixed here so older code runs this too).
MAX_QUERY_CHARS, MAX_CLAUSES, MAX_WORDS = 1000, 32, 64
WORK_BUDGET = 2_000_000

# The most common words and adjacent pairs of Bangla news text (counted on the shared corpus).
COMMON = ["ও", "এ", "করে", "থেকে", "এই", "না", "হয়", "জন্য", "বলে", "তিনি", "এর", "করা", "হয়েছে", "তার"]
PAIRS = [
    "তিনি বলেন",
    "করা হয়েছে",
    "করা হয়",
    "এর আগে",
    "আওয়ামী লীগের",
    "জাতীয় সংসদ",
    "বলে মনে",
    "হতে পারে",
    "এর মধ্যে",
    "পক্ষ থেকে",
    "আসন থেকে",
    "সাবেক প্রধানমন্ত্রী",
    "খালেদা জিয়ার",
    "বেগম খালেদা",
    "রাজনৈতিক দল",
    "সাধারণ সম্পাদক",
]


def quoted(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'


def worst_queries() -> dict[str, str]:
    common_run = (COMMON * 10)[:MAX_WORDS]
    return {
        "ordinary: ঢাকা বৃষ্টি": "ঢাকা বৃষ্টি",
        "one word repeated, quoted, to the char cap": quoted(["ও"] * (MAX_QUERY_CHARS // 2 - 2)),
        "64 common words, quoted": quoted(common_run),
        "64 common words, unquoted": " ".join(common_run),
        "32 common pairs, quoted": " ".join(quoted(p.split()) for p in (PAIRS * 2)[:MAX_CLAUSES]),
        "common word, 31 excluded common pairs": "ও "
        + " ".join("-" + quoted(p.split()) for p in (PAIRS * 2)[:31]),
        "common word, excluded 63-word phrase": "ও -" + quoted(common_run[: MAX_WORDS - 1]),
        "16 common pairs, unquoted (proximity)": " ".join(PAIRS),
        "title: 64 common words quoted": "title:" + quoted(common_run),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--index", required=True)
    ap.add_argument("--budget", type=int, default=WORK_BUDGET)
    ap.add_argument("--runs", type=int, default=2, help="times each query is asked; the slowest is shown")
    args = ap.parse_args()
    service = SearchEngine(WhooshStore(args.index))
    started = time.perf_counter()
    service.store.warm()
    print(f"warmed in {time.perf_counter() - started:.1f} s; work budget {args.budget:,}")
    budgeted = "work_budget" in inspect.signature(service.search).parameters
    options = {"work_budget": args.budget} if budgeted else {}
    print(f"{'query':45s} {'ms (slowest)':>13s} {'total':>7s}  partial")
    for name, q in worst_queries().items():
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            answer = service.search(SearchRequest(q=q), **options)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name:45s} {max(times):13.1f} {answer['total']:7d}  {answer.get('partial')}", flush=True)


if __name__ == "__main__":
    main()
