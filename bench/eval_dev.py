"""Known-item evaluation: MRR@10 and Recall@10 per query type on ../shared/eval, through the
project's own reader, index and search function (see ../shared/eval/README.md for the scoring).

    .venv/bin/python bench/eval_dev.py                    # builds bench/out/eval-index once
    .venv/bin/python bench/eval_dev.py --rebuild          # after changing analysis or the schema
    .venv/bin/python bench/eval_dev.py --queries ../shared/eval/queries_banglish_dev.tsv
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from search.index import rebuild  # noqa: E402
from search.service import SearchService, parse_request  # noqa: E402


def syndicated_groups(manifest: Path) -> dict[str, set[str]]:
    """Article id → ids whose body is the same text (a syndicated copy counts as the target)."""
    by_hash: dict[str, set[str]] = defaultdict(set)
    ids_hash = {}
    for line in manifest.open(encoding="utf-8"):
        d = json.loads(line)
        if not d.get("valid"):
            continue
        text = " ".join(" ".join(d["paragraphs"]).split())
        h = hashlib.sha1(text.encode()).hexdigest()
        by_hash[h].add(d["id"])
        ids_hash[d["id"]] = h
    return {i: by_hash[h] for i, h in ids_hash.items()}


def evaluate(service: SearchService, queries: Path, groups: dict[str, set[str]], verbose: bool):
    per_type: dict[str, list[tuple[float, float]]] = defaultdict(list)
    latencies = []
    misses = []
    with queries.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            args = {"q": row["query"], "per_page": "10"}
            if row.get("date_from"):
                args["from"], args["to"] = row["date_from"], row["date_to"]
            t0 = time.perf_counter()
            answer = service.search(parse_request(args))
            latencies.append((time.perf_counter() - t0) * 1000)
            targets = groups.get(row["target_id"], {row["target_id"]})
            rank = next((i for i, r in enumerate(answer["results"], 1) if r["id"] in targets), None)
            per_type[row["type"]].append((1 / rank if rank else 0.0, 1.0 if rank else 0.0))
            if rank != 1:
                misses.append((row["qid"], rank, row["query"], answer.get("interpreted_query")))
    if verbose:
        for m in misses:
            print("miss", *m)
    return per_type, latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--queries", type=Path, default=SHARED / "eval" / "queries_dev.tsv")
    ap.add_argument("--index", type=Path, default=REPO / "bench" / "out" / "eval-index")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the queries not at rank 1")
    a = ap.parse_args()
    if a.rebuild or not (a.index / "CURRENT").exists():
        report = rebuild([SHARED / "corpus" / "pages"], a.index)
        print(f"indexed {report.indexed} pages in {report.seconds:.1f} s", file=sys.stderr)
    groups = syndicated_groups(SHARED / "corpus" / "manifest.jsonl")
    per_type, lat = evaluate(SearchService(a.index), a.queries, groups, a.verbose)
    types = sorted(per_type)
    all_scores = [s for t in types for s in per_type[t]]
    print(f"| metric | ALL | {' | '.join(types)} |")
    print(f"| --- | --- | {' | '.join('---' for _ in types)} |")
    for k, name in ((0, "MRR@10"), (1, "R@10")):
        cells = [f"{statistics.mean(s[k] for s in per_type[t]):.3f}" for t in types]
        print(f"| {name} | {statistics.mean(s[k] for s in all_scores):.3f} | {' | '.join(cells)} |")
    lat.sort()
    print(
        f"\nin-process latency over {len(lat)} queries: p50 {lat[len(lat) // 2]:.1f} ms, "
        f"p95 {lat[int(len(lat) * 0.95)]:.1f} ms"
    )


if __name__ == "__main__":
    main()
