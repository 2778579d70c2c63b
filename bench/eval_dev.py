"""Known-item evaluation: MRR@10 and Recall@10 per query type on ../shared/eval, through the
project's own reader, index and search function (see ../shared/eval/README.md for the scoring).

    .venv/bin/python bench/eval_dev.py                    # builds bench/out/eval-index once
    .venv/bin/python bench/eval_dev.py --rebuild          # after changing analysis or the schema
    .venv/bin/python bench/eval_dev.py --queries ../shared/eval/queries_banglish_dev.tsv
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from search.evaluate import evaluate, syndicated_groups  # noqa: E402
from search.index import rebuild  # noqa: E402
from search.service import SearchService  # noqa: E402


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
