"""Measure the Bangla analyzer alone on the dev queries: term recall, over-merging, and a BM25 proxy.

Run: .venv/bin/python bench/analysis_recall.py [--keep-surface] [--no-stem] [--no-overrides]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.analysis import bangla_analyzer, is_stopword  # noqa: E402
from search.analysis.normalize import normalize_word  # noqa: E402
from search.analysis.stemmer import stem  # noqa: E402
from search.analysis.tokenizer import word_spans  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
KEEP_STOPS = True
POSLEN = True
TYPES = ["title", "keywords", "morph", "unicode", "digits", "body", "datefilter"]


def load_corpus(shared: Path) -> dict[str, dict]:
    docs = {}
    with open(shared / "corpus" / "manifest.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("valid"):
                docs[d["id"]] = d
    return docs


def load_queries(shared: Path, name: str = "queries_dev.tsv") -> list[dict]:
    with open(shared / "eval" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def positions(analyzer, text: str, mode: str) -> list[tuple[set[str], bool]]:
    """Per position: the set of token texts there, and whether it is a stopword."""
    slots: dict[int, tuple[set[str], bool]] = {}
    for t in analyzer(text, positions=True, mode=mode):
        texts, stop = slots.setdefault(t.pos, (set(), t.stopword))
        texts.add(t.text)
    return [slots[p] for p in sorted(slots)]


def term_recall(analyzer, docs, queries) -> dict[str, tuple[float, float]]:
    """Per type: mean share of query words found in the target, share of queries fully found."""
    found: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        d = docs[q["target_id"]]
        doc_terms = {t.text for t in analyzer(d["title"] + "\n" + "\n".join(d["paragraphs"]))}
        words = [texts for texts, stop in positions(analyzer, q["query"], "query") if not stop]
        if not words:
            continue
        found[q["type"]].append(sum(bool(texts & doc_terms) for texts in words) / len(words))
    return {k: (sum(v) / len(v), sum(x == 1.0 for x in v) / len(v)) for k, v in sorted(found.items())}


def merging(docs, use_overrides: bool, min_freq: int = 5) -> None:
    """How many distinct surface words share a stem, over words seen at least min_freq times."""
    freq: Counter[str] = Counter()
    for d in docs.values():
        text = d["title"] + "\n" + "\n".join(d["paragraphs"])
        freq.update(normalize_word(text[a:b]) for a, b in word_spans(text))
    classes: dict[str, list[str]] = defaultdict(list)
    for w, n in freq.items():
        if n >= min_freq and not is_stopword(w):  # the analyzer never stems stopwords
            classes[stem(w, use_overrides)].append(w)
    sizes = Counter(min(len(v), 10) for v in classes.values())
    changed = sum(1 for w, n in freq.items() if n >= min_freq and stem(w, use_overrides) != w)
    total = sum(1 for n in freq.values() if n >= min_freq)
    print(f"words seen >= {min_freq} times: {total}, stemmed to something else: {changed}")
    print("  stem classes by size (10 = 10+):", dict(sorted(sizes.items())))
    # Merges of two frequent words that both occur bare: the risky kind (বাজার + বাজা).
    risky = []
    for s, ws in classes.items():
        bare = [w for w in ws if freq[w] >= 50]
        if len(bare) >= 2:
            risky.append((sum(freq[w] for w in ws), s, sorted(bare, key=lambda w: -freq[w])))
    risky.sort(reverse=True)
    print(f"  classes joining 2+ words seen >= 50 times: {len(risky)}; the largest:")
    for _n, s, ws in risky[:25]:
        print(f"    {s}: {' '.join(ws[:8])}")


def _published(d: dict) -> date | None:
    return datetime.fromisoformat(d["published"]).date() if d.get("published") else None


def bm25_mrr(
    analyzer, docs, queries, title_boost: float = 2.0, k1=1.2, b=0.75, verbose: bool = False
) -> None:
    """A small in-memory BM25F-like proxy (title boost 2, OR of all non-stopword query words).

    Only for comparing analysis choices before the real engine exists; bench/eval_dev.py is the
    measure that counts.
    """
    ids = list(docs)
    tf: list[Counter[str]] = []
    lengths = []
    for i in ids:
        d = docs[i]
        c: Counter[str] = Counter()
        for t in analyzer(d["title"]):
            c[t.text] += title_boost
        n = 0
        for t in analyzer("\n".join(d["paragraphs"]), positions=True):
            c[t.text] += 1
            n = max(n, t.pos + 1) if POSLEN else n + 1
        tf.append(c)
        lengths.append(n + title_boost * 10)
    df: Counter[str] = Counter()
    for c in tf:
        df.update(c.keys())
    postings: dict[str, list[int]] = defaultdict(list)
    for j, c in enumerate(tf):
        for term in c:
            postings[term].append(j)
    avg = sum(lengths) / len(lengths)
    ndocs = len(ids)
    body_hash = {i: hashlib.sha1("\n".join(docs[i]["paragraphs"]).encode()).hexdigest() for i in ids}
    rr: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        slots = positions(analyzer, q["query"], "query")
        terms = [texts for texts, stop in slots if KEEP_STOPS or not stop] or [t for t, _ in slots]
        scores: dict[int, float] = defaultdict(float)
        for texts in terms:
            for term in texts:
                idf = math.log(1 + (ndocs - df[term] + 0.5) / (df[term] + 0.5))
                for j in postings.get(term, ()):
                    f = tf[j][term]
                    scores[j] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[j] / avg))
        if q["type"] == "datefilter":
            lo, hi = date.fromisoformat(q["date_from"]), date.fromisoformat(q["date_to"])
            scores = {
                j: s
                for j, s in scores.items()
                if (p := _published(docs[ids[j]])) is not None and lo <= p <= hi
            }
        top = sorted(scores, key=lambda j: -scores[j])[:10]
        target = body_hash[q["target_id"]]
        rank = next((r for r, j in enumerate(top, 1) if body_hash[ids[j]] == target), None)
        rr[q["type"]].append(1 / rank if rank else 0.0)
        if verbose and rank != 1:
            best = docs[ids[top[0]]]["title"] if top else "-"
            print(f"  {q['qid']:15s} rank {rank}  {q['query']}  | top: {best[:60]}")
    allv = [x for v in rr.values() for x in v]
    cells = " ".join(f"{t} {sum(rr[t]) / len(rr[t]):.3f}" for t in TYPES if rr[t])
    print(f"BM25 proxy MRR@10: ALL {sum(allv) / len(allv):.3f} | {cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--keep-surface", action="store_true", help="index surface beside stem")
    ap.add_argument("--no-stem", action="store_true", help="no stemmer at all")
    ap.add_argument("--no-overrides", action="store_true", help="rules only, no exception table")
    ap.add_argument("--bm25", action="store_true", help="also the BM25 proxy MRR@10")
    ap.add_argument("--merging", action="store_true", help="also the over-merging report")
    ap.add_argument("--verbose", action="store_true", help="list the queries not ranked first")
    args = ap.parse_args()
    analyzer = bangla_analyzer(
        keep_surface=args.keep_surface,
        stemming=not args.no_stem,
        use_overrides=not args.no_overrides,
    )
    docs = load_corpus(args.shared)
    queries = load_queries(args.shared)
    started = time.perf_counter()
    print("term recall (mean share of query words in the target | share of queries fully found)")
    for kind, (mean, full) in term_recall(analyzer, docs, queries).items():
        print(f"  {kind:11s} {mean:.3f} | {full:.3f}")
    if args.merging and not args.no_stem:
        merging(docs, use_overrides=not args.no_overrides)
    if args.bm25:
        bm25_mrr(analyzer, docs, queries, verbose=args.verbose)
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
