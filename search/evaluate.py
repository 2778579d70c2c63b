"""Known-item evaluation as ../shared/eval/README.md defines it: MRR@10 and Recall@10 per query type;
and the stemmer's word pairs (bench/stem_pairs.tsv): which pairs it splits or merges wrongly.

Used by `bench/eval_dev.py` (by hand, any index), `bench/stem_pairs.py`, `tests/test_quality.py` (CI,
the shared corpus) and `tests/test_analysis.py` (the pairs' floor).
"""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import NamedTuple

from search.analysis import word_term
from search.engine import SearchEngine, SearchRequest
from search.query import clean


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


def evaluate(service: SearchEngine, queries: Path, groups: dict[str, set[str]], verbose: bool):
    per_type: dict[str, list[tuple[float, float]]] = defaultdict(list)
    latencies = []
    misses = []
    with queries.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            req = SearchRequest(q=clean(row["query"]), per_page=10)
            if row.get("date_from"):
                window = date.fromisoformat(row["date_from"]), date.fromisoformat(row["date_to"])
                req = replace(req, date_from=window[0], date_to=window[1])
            t0 = time.perf_counter()
            answer = service.search(req)
            latencies.append((time.perf_counter() - t0) * 1000)
            targets = groups.get(row["target_id"], {row["target_id"]})
            # A near-duplicate folded into a shown result is found there (it is one click away).
            rank = next(
                (
                    i
                    for i, r in enumerate(answer["results"], 1)
                    if r["id"] in targets or targets.intersection(r.get("similar_ids", ()))
                ),
                None,
            )
            per_type[row["type"]].append((1 / rank if rank else 0.0, 1.0 if rank else 0.0))
            if rank != 1:
                misses.append((row["qid"], rank, row["query"], answer.get("interpreted_query")))
    if verbose:
        for m in misses:
            print("miss", *m)
    return per_type, latencies


def summary(per_type: dict[str, list[tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Type (and "ALL") → (MRR@10, R@10)."""
    out = {
        t: (statistics.mean(s[0] for s in v), statistics.mean(s[1] for s in v)) for t, v in per_type.items()
    }
    every = [s for v in per_type.values() for s in v]
    out["ALL"] = (statistics.mean(s[0] for s in every), statistics.mean(s[1] for s in every))
    return out


class StemPair(NamedTuple):
    """Two words that must (or must not) share a stem, by the facts of the language the note gives."""

    a: str
    b: str
    must_share: bool
    kind: str  # the suffix class: case, plural, classifier, emphatic, ...
    note: str


class PairScore(NamedTuple):
    """One suffix class's pairs: the must-share pairs stemmed apart (under-stemming) and the
    must-not pairs stemmed together (over-stemming)."""

    must_share: int
    split: list[StemPair]
    must_not: int
    merged: list[StemPair]


def load_stem_pairs(path: Path) -> list[StemPair]:
    with path.open(encoding="utf-8") as fh:
        return [
            StemPair(r["word_a"], r["word_b"], r["must_share"] == "1", r["class"], r["note"])
            for r in csv.DictReader(fh, delimiter="\t")
        ]


def score_stem_pairs(pairs: list[StemPair]) -> dict[str, PairScore]:
    """Suffix class (and "ALL") → its PairScore, each word analyzed as the index analyzes it."""
    out: dict[str, PairScore] = {}
    for kind in sorted({p.kind for p in pairs}) + ["ALL"]:
        mine = [p for p in pairs if kind in ("ALL", p.kind)]
        shared = [p for p in mine if word_term(p.a) == word_term(p.b)]
        out[kind] = PairScore(
            must_share=sum(p.must_share for p in mine),
            split=[p for p in mine if p.must_share and p not in shared],
            must_not=sum(not p.must_share for p in mine),
            merged=[p for p in shared if not p.must_share],
        )
    return out
