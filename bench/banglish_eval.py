"""Romanized (Banglish) dev queries: how well `search.romanize.interpret` reads them, and how fast.

Builds a Lexicon from the corpus manifest, interprets each query and scores term overlap with the
target's title, a proxy MRR@10 over the manifest, and MRR@10 through `search.engine` when present.

    .venv/bin/python bench/banglish_eval.py -v --index bench/out/eval-index
    .venv/bin/python bench/banglish_eval.py --queries heldout --index bench/out/eval-index
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib
import json
import math
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # eval_dev: the syndicated-copy groups

from search.lexicon import Lexicon  # noqa: E402
from search.romanize import Interpretation, interpret, transliterations  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TOKEN = re.compile(r"[\u0980-\u09ffA-Za-z0-9\u200c\u200d]+")
PROXY_SUFFIX = 4  # proxy ranking: a term matches a token that extends it by this many letters
TITLE_BOOST = 2.0  # as in the shared baselines

# Romanized queries written by hand (not generated) for 30 random other articles of the corpus:
# a second set, to check that tuning on the 20 dev queries carries over. (target id, query)
HELDOUT = [
    ("2652_7f7d4e0a4d6362e9", "gofargaon odhokkho deldhuar prodhan shikkhok oposaron"),
    ("1235_3ba398e0a040a090", "chottogram chintai italy nari alokchitro shilpi"),
    ("3234_5953e31c24ce86bd", "gom pachar obhijog nusrat post"),
    ("0395_0a65ffb35a0f0077", "jebu jaima rahman golpo"),
    ("0593_6d76226f4fe2fc5f", "bollywood taroka social media barta"),
    ("4389_48de3239de4f559c", "google website lekha pora jabe"),
    ("0771_1f40a0f62b57ac86", "messi 10 number jersey obosor"),
    ("2995_88e893b61746dc76", "pushtihinota nimno moddhom ay manush"),
    ("4774_ba882abbe620a0e4", "drobbomullo urdhogoti hotel restora bikri"),
    ("0475_659339a35c7bb674", "ghono kuasha launch cholachol bondho"),
    ("4156_e188a62f87924a0b", "pakistan afghanistan favourite match"),
    ("1758_d3fd409a82e9a5cb", "chhatro jonota moncho kormi proshno"),
    ("0307_3e7135f776bfecb4", "khaleda zia sabek prodhanmontri"),
    ("0704_3ca233511c0bb1f0", "ronaldo portugal mayer jonmodin upohar"),
    ("3552_48c7ec05710a4d4f", "la liga april sera yamal itihash"),
    ("3425_7df6a03651e401d2", "bina mulle boi chahida fuliye fapiye"),
    ("0572_88d373e2fe9c8168", "hamza haowa bodol probashi milonmela"),
    ("1971_a403a1503403e94c", "adani shompod boro dhosh"),
    ("0743_42bd2723eb773f75", "kolabagan math nirbachoni jonosobha awami league"),
    ("4514_6a0e89db40dfeed3", "ssc fol kal janben"),
    ("3477_32805b76725fdcf0", "sorner dam boro poton"),
    ("0484_e9beab890cf0229f", "monju jamaat liakat nirbachon sore daralen"),
    ("4632_c190e07da5de03b3", "mujib joriye dhore kede fela chele porichoy"),
    ("1014_00dda716fb046486", "dokkhin korea birodhi neta churikaghat"),
    ("1828_a179ebcb8a68b3e2", "ontorbortikalin sorkar protyasha"),
    ("4775_141dfe28dda43baf", "kreta dombondho upokrom"),
    ("0506_9874e593b4aeea9c", "tasnim jara ncp podottag tajnuva jabin"),
    ("4727_d5722013da13a882", "messi opoman post ronaldo"),
    ("4796_60a3cf444e6aa0c8", "saudi arab prodhanmontri rowna"),
    ("3249_9e7876304b4473e8", "rabi urdu bibhag niyog oniyom medhabi"),
]


def standin_analyze(text: str) -> list[str]:
    """Until `search.analysis.analyze` exists: word runs, NFC, lowercased; no stemming."""
    return [unicodedata.normalize("NFC", t).lower() for t in TOKEN.findall(text)]


def pick_analyzer(name: str) -> tuple[str, Callable[[str], list[str]]]:
    if name in ("engine", "auto"):
        try:
            analysis = importlib.import_module("search.analysis")
            return "search.analysis.analyze", analysis.analyze
        except (ImportError, AttributeError):
            if name == "engine":
                raise
    return "stand-in (NFC, lowercase)", standin_analyze


def load_manifest(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [d for d in map(json.loads, fh) if d.get("valid", True) and d.get("title")]


def build_lexicon(
    articles: list[dict], analyze: Callable[[str], list[str]], pad_to: int
) -> tuple[Lexicon, dict[str, list[set[str]]]]:
    """Lexicon of title+body terms; also each article's (title terms, body terms) for scoring."""
    df: Counter[str] = Counter()
    docs: dict[str, list[set[str]]] = {}
    for article in articles:
        title = set(analyze(article["title"]))
        body = set(analyze(" ".join(article.get("paragraphs") or [])))
        docs[article["id"]] = [title, body]
        df.update(title | body)
    if pad_to > len(df):
        # Synthetic rare terms (glued pairs) to time lookups on a vocabulary of the target size.
        words = [t for t, _ in df.most_common(2000)]
        pairs = ((a, b) for a in words for b in words if a != b)
        for a, b in pairs:
            if len(df) >= pad_to:
                break
            df[a + b] += 1
    return Lexicon.from_terms(df.items()), docs


def proxy_rank(
    interpretation: Interpretation,
    docs: dict[str, list[set[str]]],
    postings: dict[str, set[str]],
    n_docs: int,
) -> list[str]:
    """OR query of each word's alternatives, idf-weighted, title boost 2; a stand-in engine."""
    scores: defaultdict[str, float] = defaultdict(float)
    for alternatives in interpretation.alternatives:
        word_scores: defaultdict[str, float] = defaultdict(float)
        for term in alternatives:
            matching = postings.get(term, set())
            if not matching:
                continue
            idf = math.log(1 + n_docs / len(matching))
            for doc_id in matching:
                title, _body = docs[doc_id]
                boost = TITLE_BOOST if _matches(term, title) else 1.0
                word_scores[doc_id] = max(word_scores[doc_id], idf * boost)
        for doc_id, s in word_scores.items():
            scores[doc_id] += s
    return [d for d, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:10]]


def _matches(term: str, tokens: set[str]) -> bool:
    return any(t.startswith(term) and len(t) - len(term) <= PROXY_SUFFIX for t in tokens)


def build_postings(docs: dict[str, list[set[str]]]) -> dict[str, set[str]]:
    """Term → documents with a token that is the term or extends it by a short suffix."""
    exact: defaultdict[str, set[str]] = defaultdict(set)
    for doc_id, (title, body) in docs.items():
        for token in title | body:
            for cut in range(PROXY_SUFFIX + 1):
                if len(token) - cut >= 2:
                    exact[token[: len(token) - cut]].add(doc_id)
    return exact


def lexicon_from_index(searcher) -> Lexicon:
    """The Lexicon the engine builds: title and body terms of the index with their doc counts."""
    reader = searcher.reader()
    pairs = []
    for field in ("title", "body"):
        for text, info in reader.iter_field(field):
            term = text.decode("utf-8") if isinstance(text, bytes) else text
            pairs.append((term, info.doc_frequency()))
    return Lexicon.from_terms(pairs)


def engine_mrr(index: Path, queries: list[dict], analyze: Callable[[str], list[str]], verbose: bool) -> None:
    """MRR@10 through `search.engine`: the interpreted text as typed, and with each romanized
    word's alternatives ORed (the planner's per-word variants, patched in for this bench)."""
    engine = importlib.import_module("search.engine")
    planner = importlib.import_module("search.plan")
    params = importlib.import_module("web.params")
    eval_dev = importlib.import_module("eval_dev")
    store = importlib.import_module("search.whoosh_store").WhooshStore(index)
    svc = engine.SearchEngine(store)
    started = time.perf_counter()
    lexicon = lexicon_from_index(store.view().searcher)
    print(f"index lexicon: {len(lexicon):,} terms in {time.perf_counter() - started:.1f} s")
    groups = eval_dev.syndicated_groups(SHARED / "corpus/manifest.jsonl")
    original = planner.analyze_units
    timings = []
    for mode in ("text", "alternatives"):
        reciprocal = []
        for row in queries:
            t0 = time.perf_counter()
            reading = interpret(row["query"], lexicon, analyze)
            timings.append((time.perf_counter() - t0) * 1000)
            variants = {w.display: w.terms for w in reading.words if w.romanized and w.terms}

            def patched(text: str, variants=variants, mode=mode) -> list:
                units = []
                for word in text.split():
                    if mode == "alternatives" and word in variants:
                        units.append(planner.Unit(variants[word], False))
                    else:
                        units.extend(original(word))
                return units

            planner.analyze_units = patched
            try:
                answer = svc.search(params.parse_request({"q": reading.text, "per_page": "10"}))
            finally:
                planner.analyze_units = original
            targets = groups.get(row["target_id"], {row["target_id"]})
            ids = [r["id"] for r in answer["results"]]
            rank = next((i for i, d in enumerate(ids, 1) if d in targets), None)
            reciprocal.append(1 / rank if rank else 0.0)
            if verbose and rank != 1:
                print(f"  {mode} miss {row['qid']} rank={rank} {reading.text}")
        print(f"engine MRR@10 ({mode}): {statistics.mean(reciprocal):.3f}")
    timings.sort()
    print(f"interpret time per query (index lexicon, warm): median {statistics.median(timings):.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--queries",
        type=Path,
        default=SHARED / "eval/queries_banglish_dev.tsv",
        help="a queries TSV, or `heldout` for the hand-written set in this file",
    )
    parser.add_argument("--manifest", type=Path, default=SHARED / "corpus/manifest.jsonl")
    parser.add_argument("--analyzer", choices=("auto", "standin", "engine"), default="auto")
    parser.add_argument("--pad-to", type=int, default=100_000, help="pad the vocabulary to N terms")
    parser.add_argument(
        "--index", type=Path, help="index folder for MRR through search.engine (bench/out/eval-index)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every interpretation")
    args = parser.parse_args(argv)

    analyzer_name, analyze = pick_analyzer(args.analyzer)
    articles = load_manifest(args.manifest)
    started = time.perf_counter()
    lexicon, docs = build_lexicon(articles, analyze, args.pad_to)
    build_s = time.perf_counter() - started
    postings = build_postings(docs)
    if str(args.queries) == "heldout":
        queries = [
            {"qid": f"heldout-{i:03d}", "target_id": target, "query": query}
            for i, (target, query) in enumerate(HELDOUT, 1)
        ]
    else:
        with args.queries.open(encoding="utf-8") as fh:
            queries = list(csv.DictReader(fh, delimiter="\t"))
    print(f"analyzer: {analyzer_name}; lexicon {len(lexicon):,} terms built in {build_s:.1f} s")

    # The lexicon lives as long as the index: keep the collector from walking it on every query.
    gc.collect()
    gc.freeze()
    timings, cpu, overlaps, reciprocal = [], [], [], []
    for row in queries:
        transliterations.cache_clear()  # time each query cold, as a first-seen query
        t0, c0 = time.perf_counter(), time.process_time()
        reading = interpret(row["query"], lexicon, analyze)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        title, _body = docs[row["target_id"]]
        romanized = [w for w in reading.words if w.romanized]
        hit = sum(any(_matches(t, title) for t in w.terms) for w in romanized)
        overlaps.append(hit / max(len(romanized), 1))
        ranked = proxy_rank(reading, docs, postings, len(docs))
        rr = 1 / (ranked.index(row["target_id"]) + 1) if row["target_id"] in ranked else 0.0
        reciprocal.append(rr)
        if args.verbose:
            alts = " | ".join("/".join(w.terms) for w in reading.words)
            print(f"{row['qid']}  rr={rr:.2f}  {row['query']}\n    → {reading.text}\n    [{alts}]")

    print(f"title-term overlap of romanized words: {statistics.mean(overlaps):.3f}")
    print(f"proxy MRR@10 (in-memory OR ranking, not the engine): {statistics.mean(reciprocal):.3f}")
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(
        f"interpret time per query (cold): median {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms wall; "
        f"CPU median {statistics.median(cpu):.1f} ms, max {max(cpu):.1f} ms (load: {os.getloadavg()[0]:.1f})"
    )
    if args.index is not None and (args.index / "CURRENT").exists():
        engine_mrr(args.index, queries, analyze, args.verbose)
    else:
        print("engine MRR@10: skipped (--index: an index built by `sandhan index rebuild`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
