"""Sandhan side by side with SQLite FTS5 and Tantivy: index time, query latency, MRR@10.

Run by hand (not part of the test suite); Tantivy comes from the `bench` extra
(`.venv/bin/pip install 'tantivy>=0.22,<1'`).

    .venv/bin/python bench/peers_bench.py                        # the 5,068 shared pages
    .venv/bin/python bench/peers_bench.py --engines sandhan --sandhan-index bench/out/rebuild/ix-100k \\
        --source /tmp/scale100k --profile                        # Sandhan queries at 100k, profiled

All engines get the same articles, read once with `search.pages.read_page` (what Sandhan's reader
accepts; the peers index every accepted page, Sandhan also drops duplicate copies), and the same
dev queries (top 10, OR semantics, title and body, title weighted 2 for the peers, the date window of
`datefilter` queries applied as a filter on the publication time):

  sandhan  an index built by the project (`search.whoosh_store.build.rebuild`, which parses the pages itself:
           its index time includes reading them; the peers' does not) searched in process with
           `SearchEngine.search`
  fts5     stdlib sqlite3, `fts5(title, body, tokenize='unicode61')` in a file, ranked by
           bm25(title 2, body 1); each query word is a quoted string, joined with OR
  tantivy  PyPI `tantivy`, default tokenizer, title and body text fields with positions,
           `parse_query(..., field_boosts={"title": 2})` (OR by default), published as an i64 fast field

Latency is measured around each engine's search call over the 280 queries, twice: the first pass
(cold caches) and the second (warm); p50/p95/p99 are of the warm pass. MRR@10 and R@10 use
`evaluate` and `syndicated_groups` from bench/eval_dev.py (a syndicated copy counts as the target).
At 100k synthetic pages the dev queries' targets are absent: only the latencies mean something.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import os
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from search.article import PageRejected  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.pages import read_page, scan_sources  # noqa: E402
from search.whoosh_store import WhooshStore  # noqa: E402
from search.whoosh_store.build import rebuild  # noqa: E402
from search.whoosh_store.schema import minutes  # noqa: E402
from search.whoosh_store.searching import _dhaka_minutes  # noqa: E402


def _eval_dev():
    """bench/eval_dev.py as a module: its `evaluate` and `syndicated_groups` score every engine."""
    spec = importlib.util.spec_from_file_location("eval_dev", REPO / "bench" / "eval_dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def dir_size_mib(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def window(req) -> tuple[int | None, int | None]:
    """The request's date window in minutes, Bangladesh dates inclusive (as Sandhan reads them)."""
    lo = _dhaka_minutes(req.date_from, end=False) if req.date_from else None
    hi = _dhaka_minutes(req.date_to, end=True) if req.date_to else None
    return lo, hi


def answer(ids: list[str]) -> dict:
    return {"results": [{"id": i} for i in ids], "total": len(ids)}


# ---------------------------------------------------------------------------------------------
# SQLite FTS5


class Fts5:
    name = "SQLite FTS5 (unicode61)"

    def __init__(self, path: Path):
        self.path = path

    def build(self, articles) -> None:
        self.path.unlink(missing_ok=True)
        db = sqlite3.connect(self.path)
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, published UNINDEXED, title, body, "
            "tokenize='unicode61')"
        )
        with db:
            db.executemany(
                "INSERT INTO docs(id, published, title, body) VALUES (?, ?, ?, ?)",
                ((a.id, minutes(a.published) if a.published else None, a.title, a.body) for a in articles),
            )
        db.close()

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    @staticmethod
    def match_expression(q: str) -> str:
        words = [w for w in q.split() if any(c.isalnum() for c in w)]
        return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)

    def search(self, req) -> dict:
        expr = self.match_expression(req.q)
        if not expr:
            return answer([])
        sql = "SELECT id FROM docs WHERE docs MATCH ?"
        args: list = [expr]
        lo, hi = window(req)
        if lo is not None:
            sql += " AND published >= ?"
            args.append(lo)
        if hi is not None:
            sql += " AND published <= ?"
            args.append(hi)
        sql += " ORDER BY bm25(docs, 0.0, 0.0, 2.0, 1.0) LIMIT 10"
        return answer([row[0] for row in self.db.execute(sql, args)])


# ---------------------------------------------------------------------------------------------
# Tantivy


class Tantivy:
    name = "Tantivy (default tokenizer)"
    # The query language's operators and syntax: dropped from the typed words.
    SYNTAX = re.compile(r'[+\-&|!(){}\[\]^"~*?:\\/<>=\']')

    def __init__(self, path: Path):
        import tantivy

        self.t = tantivy
        self.path = path
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", stored=False)
        sb.add_text_field("body", stored=False)
        sb.add_integer_field("published", stored=False, indexed=True, fast=True)
        self.schema = sb.build()

    def build(self, articles) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        ix = self.t.Index(self.schema, path=str(self.path))
        writer = ix.writer()
        for a in articles:
            doc = self.t.Document(id=a.id, title=a.title, body=a.body)
            if a.published:
                doc.add_integer("published", minutes(a.published))
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()

    def open(self) -> None:
        self.ix = self.t.Index.open(str(self.path))
        self.ix.reload()
        self.searcher = self.ix.searcher()

    def search(self, req) -> dict:
        text = self.SYNTAX.sub(" ", req.q).strip()
        if not text:
            return answer([])
        query = self.ix.parse_query(text, ["title", "body"], field_boosts={"title": 2.0})
        lo, hi = window(req)
        if lo is not None or hi is not None:
            rng = self.t.Query.range_query(self.schema, "published", self.t.FieldType.Integer, lo, hi)
            query = self.t.Query.boolean_query([(self.t.Occur.Must, query), (self.t.Occur.Must, rng)])
        hits = self.searcher.search(query, limit=10, count=False).hits
        return answer([self.searcher.doc(addr)["id"][0] for _, addr in hits])


# ---------------------------------------------------------------------------------------------
# Sandhan


class Sandhan:
    name = "Sandhan"

    def __init__(self, path: Path, sources: list[Path]):
        self.path, self.sources = path, sources

    def build(self, articles) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        rebuild(self.sources, self.path)  # reads and deduplicates the pages itself

    def open(self) -> None:
        self.service = SearchEngine(WhooshStore(self.path))
        self.service.searcher()

    def search(self, req) -> dict:
        return self.service.search(req)


# ---------------------------------------------------------------------------------------------


def pct(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def profiled(fn, out: Path, label: str):
    prof = cProfile.Profile()
    result = prof.runcall(fn)
    prof.dump_stats(out)
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(25)
        text = buf.getvalue()
        print(
            f"\n--- profile of {label}, by {key} ({out}) ---\n" + text[text.index("   ncalls") :],
            file=sys.stderr,
        )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--source", type=Path, action="append", help="pages (default ../shared/corpus/pages)")
    ap.add_argument("--queries", type=Path, default=SHARED / "eval" / "queries_dev.tsv")
    ap.add_argument("--engines", default="sandhan,fts5,tantivy")
    ap.add_argument(
        "--sandhan-index", type=Path, help="use this existing Sandhan index instead of building one"
    )
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "peers")
    ap.add_argument("--profile", action="store_true", help="cProfile the warm query pass of each engine")
    a = ap.parse_args()
    sources = a.source or [SHARED / "corpus" / "pages"]
    engines = a.engines.split(",")
    a.out.mkdir(parents=True, exist_ok=True)
    ev = _eval_dev()
    groups = ev.syndicated_groups(SHARED / "corpus" / "manifest.jsonl")
    print(f"nproc {os.cpu_count()}  load {load()}", file=sys.stderr)

    articles = []
    pages = scan_sources(sources).pages
    if any(e != "sandhan" for e in engines):
        t0 = time.perf_counter()
        for path in pages:
            try:
                articles.append(read_page(path))
            except PageRejected:
                pass
        parse_s = time.perf_counter() - t0
        print(f"read {len(articles)} of {len(pages)} pages in {parse_s:.1f} s (one process)", file=sys.stderr)
    else:
        parse_s = None

    made = {
        "sandhan": lambda: Sandhan(a.sandhan_index or a.out / "sandhan-index", sources),
        "fts5": lambda: Fts5(a.out / "fts5.db"),
        "tantivy": lambda: Tantivy(a.out / "tantivy-index"),
    }
    rows = []
    for key in engines:
        engine = made[key]()
        row = {"engine": engine.name, "load_before": load()}
        if key == "sandhan" and a.sandhan_index:
            row["index_s"] = None
        else:
            t0 = time.perf_counter()
            engine.build(articles)
            row["index_s"] = round(time.perf_counter() - t0, 2)
        row["size_mib"] = round(dir_size_mib(engine.path), 1)
        engine.open()
        _, cold = ev.evaluate(engine, a.queries, groups, False)
        if a.profile:
            per_type, warm = profiled(
                lambda e=engine: ev.evaluate(e, a.queries, groups, False),
                a.out / f"profile-{key}.prof",
                engine.name,
            )
        else:
            per_type, warm = ev.evaluate(engine, a.queries, groups, False)
        cold.sort()
        warm.sort()
        scores = [s for t in per_type for s in per_type[t]]
        row.update(
            queries=len(warm),
            cold_p50=pct(cold, 0.5),
            cold_p95=pct(cold, 0.95),
            p50=pct(warm, 0.5),
            p95=pct(warm, 0.95),
            p99=pct(warm, 0.99),
            mean=statistics.mean(warm),
            mrr=statistics.mean(s[0] for s in scores),
            r10=statistics.mean(s[1] for s in scores),
            by_type={t: round(statistics.mean(s[0] for s in per_type[t]), 3) for t in sorted(per_type)},
            load_after=load(),
        )
        rows.append(row)
        print(f"  {engine.name}: done, load {row['load_after']}", file=sys.stderr)

    (a.out / "results.json").write_text(
        json.dumps(
            {"sources": [str(s) for s in sources], "pages": len(pages), "parse_s": parse_s, "rows": rows},
            ensure_ascii=False,
            indent=1,
        )
    )
    print(
        f"pages: {len(pages)} under {', '.join(map(str, sources))}; "
        f"accepted by the reader: {len(articles) or '-'}"
        + (f", read in {parse_s:.1f} s (one process; not in the peers' index time)" if parse_s else "")
    )
    types = list(rows[0]["by_type"])
    print(
        "\n| engine | index s | index MiB | warm p50 ms | p95 ms | p99 ms | cold p50 / p95 ms | MRR@10 | "
        "R@10 | " + " | ".join(types) + " | load before → after |"
    )
    print(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in types)
        + " | --- |"
    )
    for r in rows:
        idx = f"{r['index_s']:.1f}" if r["index_s"] is not None else "(existing)"
        print(
            f"| {r['engine']} | {idx} | {r['size_mib']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | "
            f"{r['cold_p50']:.2f} / {r['cold_p95']:.2f} | {r['mrr']:.3f} | {r['r10']:.3f} | "
            + " | ".join(f"{r['by_type'][t]:.2f}" for t in types)
            + f" | {r['load_before']} → {r['load_after']} |"
        )


if __name__ == "__main__":
    main()
