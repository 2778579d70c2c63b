"""Known-item evaluation: MRR@10 and Recall@10 per query type on every development set of
../shared/eval, through the project's own reader, index and search function (see
../shared/eval/README.md for the scoring).

    .venv/bin/python bench/eval_dev.py                    # all the dev sets; builds bench/out/eval-index once
    .venv/bin/python bench/eval_dev.py --rebuild          # after changing analysis or the schema
    .venv/bin/python bench/eval_dev.py --queries ../shared/eval/queries_banglish_dev.tsv   # one set
    .venv/bin/python bench/eval_dev.py --opensearch http://127.0.0.1:9200   # the OpenSearch store
                                                      # (alias eval, built once; --rebuild again)
    .venv/bin/python bench/eval_dev.py --opensearch URL --beside-whoosh  # both stores, one run,
                                                      # and their differences per set and type
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from search.engine import SearchEngine  # noqa: E402
from search.evaluate import evaluate, summary, syndicated_groups  # noqa: E402
from search.whoosh_store import WhooshStore  # noqa: E402
from search.whoosh_store.build import rebuild  # noqa: E402

DEV_SETS = ("queries_dev.tsv", "queries_dev2.tsv", "queries_variants_dev.tsv", "queries_banglish_dev.tsv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--queries", type=Path, action="append", help="a query set (repeatable); default: all")
    ap.add_argument("--index", type=Path, default=REPO / "bench" / "out" / "eval-index")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--opensearch", metavar="URL", help="evaluate the OpenSearch store of this cluster")
    ap.add_argument("--name", default="eval", help="with --opensearch: the alias (default eval)")
    ap.add_argument(
        "--beside-whoosh", action="store_true", help="with --opensearch: the Whoosh store (--index) too"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list the queries not at rank 1")
    a = ap.parse_args()
    stores = {}
    if not a.opensearch or a.beside_whoosh:
        if a.rebuild or not (a.index / "CURRENT").exists():
            report = rebuild([SHARED / "corpus" / "pages"], a.index)
            print(f"indexed {report.indexed} pages in {report.seconds:.1f} s", file=sys.stderr)
        stores["Whoosh"] = WhooshStore(a.index)
    if a.opensearch:
        from search.opensearch_store import OpenSearchStore
        from search.store import StoreMissing

        store = OpenSearchStore(a.opensearch, a.name)
        try:
            built = not a.rebuild and store.health()
        except StoreMissing:
            built = False
        if not built:
            report = store.rebuild([SHARED / "corpus" / "pages"])
            print(f"indexed {report.indexed} pages in {report.seconds:.1f} s", file=sys.stderr)
        stores["OpenSearch"] = store
    groups = syndicated_groups(SHARED / "corpus" / "manifest.jsonl")
    mrr: dict[str, dict[str, dict[str, float]]] = {}  # set → store → type → MRR@10
    for queries in a.queries or [SHARED / "eval" / name for name in DEV_SETS]:
        for label, store in stores.items():
            per_type, lat = evaluate(SearchEngine(store), queries, groups, a.verbose)
            scores = summary(per_type)
            mrr.setdefault(queries.name, {})[label] = {t: v[0] for t, v in scores.items()}
            types = sorted(per_type)
            print(f"\n{queries.name} ({sum(len(v) for v in per_type.values())} queries), {label} store\n")
            print(f"| metric | ALL | {' | '.join(types)} |")
            print(f"| --- | --- | {' | '.join('---' for _ in types)} |")
            for k, name in ((0, "MRR@10"), (1, "R@10")):
                cells = " | ".join(f"{scores[t][k]:.3f}" for t in types)
                print(f"| {name} | {scores['ALL'][k]:.3f} | {cells} |")
            lat.sort()
            print(
                f"\nin-process latency over {len(lat)} queries: p50 {lat[len(lat) // 2]:.1f} ms, "
                f"p95 {lat[int(len(lat) * 0.95)]:.1f} ms"
            )
    if len(stores) == 2:
        print("\nMRR@10, Whoosh / OpenSearch (difference) per set and type\n")
        for name, by_store in mrr.items():
            w, o = by_store["Whoosh"], by_store["OpenSearch"]
            cells = [
                f"{t} {w[t]:.3f} / {o[t]:.3f} ({o[t] - w[t]:+.3f})"
                for t in ["ALL"] + sorted(set(w) - {"ALL"})
            ]
            print(f"- {name}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
