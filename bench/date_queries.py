"""Dates typed in queries, evaluated: known-item queries made from the dev articles (two headline
words plus the publication date written in each form `search/query_dates.py` reads, before or
after the words), topic queries that must stay words, and the cost of reading a query's dates.

    .venv/bin/python bench/date_queries.py --index IX      # an index of ../shared/corpus/pages

For each known-item query: was the date read and applied, does its window hold the publication
date, is every result inside the window, and MRR@10 of the target (a syndicated copy counts).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from search.analysis import is_stopword, word_term  # noqa: E402
from search.analysis.tokenizer import word_spans  # noqa: E402
from search.dates import BENGALI_MONTH_NAMES, MONTH_NAMES, to_bangla_digits  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.evaluate import syndicated_groups  # noqa: E402
from search.query_dates import gregorian_to_bengali, read_date  # noqa: E402
from search.whoosh_store import WhooshStore  # noqa: E402
from web.params import parse_request  # noqa: E402

# Topics that look like dates: a day and month without a year, a festival. They must stay words
# (offered at most) and still find articles about them.
TOPICS = ["২১ ফেব্রুয়ারি", "১৬ ডিসেম্বর", "২৬ মার্চ", "পহেলা বৈশাখ", "১৫ আগস্ট"]


def date_forms(day: date) -> dict[str, str]:
    """The publication day written in each form a reader types."""
    bn = to_bangla_digits
    month = MONTH_NAMES[day.month][0]
    b_day, b_month, b_year = gregorian_to_bengali(day)
    b_name = BENGALI_MONTH_NAMES[b_month][0]
    start = max(day - timedelta(days=2), day.replace(day=1))
    return {
        "day month year": f"{bn(str(day.day))} {month} {bn(str(day.year))}",
        "month year": f"{month} {bn(str(day.year))}",
        "month-e year": f"{bn(str(day.year))} সালের {month}ে",
        "ISO": day.isoformat(),
        "day/month/year": f"{bn(day.strftime('%d/%m/%Y'))}",
        "range of days": f"{bn(str(start.day))}-{bn(str(day.day))} {month} {bn(str(day.year))}",
        "Bengali calendar": f"{bn(str(b_day))} {b_name} {bn(str(b_year))}",
        "English": f"{day.day} {day.strftime('%B')} {day.year}",
    }


def headline_words(title: str, n: int = 2) -> list[str]:
    words = [title[a:b] for a, b in word_spans(title)]
    return [w for w in words if len(w) > 1 and not is_stopword(word_term(w))][:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    a = ap.parse_args()
    manifest = {}
    for line in (SHARED / "corpus" / "manifest.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        if d.get("valid"):
            manifest[d["id"]] = d
    groups = syndicated_groups(SHARED / "corpus" / "manifest.jsonl")
    targets = []
    for name in ("queries_dev.tsv", "queries_dev2.tsv"):
        for row in csv.DictReader((SHARED / "eval" / name).open(encoding="utf-8"), delimiter="\t"):
            d = manifest.get(row["target_id"])
            if d and d.get("published") and row["target_id"] not in {t[0] for t in targets}:
                targets.append((row["target_id"], d))
    service = SearchEngine(WhooshStore(a.index))
    per_form: dict[str, list[float]] = defaultdict(list)
    read, inside, outside, queries = 0, 0, 0, []
    for article_id, d in targets:
        day = date.fromisoformat(d["published"][:10])
        words = " ".join(headline_words(d["title"]))
        for k, (form, typed) in enumerate(date_forms(day).items()):
            q = f"{typed} {words}" if k % 2 else f"{words} {typed}"
            queries.append(q)
            answer = service.search(parse_request({"q": q, "per_page": "10"}))
            reading = answer["date_reading"]
            if reading and reading["applied"] and reading["from"] <= day.isoformat() <= reading["to"]:
                read += 1
            for r in answer["results"]:
                when = (r["published"] or "")[:10]
                ok = reading and reading["applied"] and reading["from"] <= when <= reading["to"]
                inside, outside = inside + bool(ok), outside + (not ok)
            wanted = groups.get(article_id, {article_id})
            rank = next((i for i, r in enumerate(answer["results"], 1) if r["id"] in wanted), None)
            per_form[form].append(1 / rank if rank else 0.0)
    total = sum(len(v) for v in per_form.values())
    print(f"{len(targets)} dev articles, {total} queries (two headline words + the date, either side)")
    print(f"date read and its window holding the publication date: {read}/{total}")
    print(f"results inside the window: {inside}/{inside + outside}")
    print("| form | MRR@10 |\n| --- | ---: |")
    for form, scores in per_form.items():
        print(f"| {form} | {statistics.mean(scores):.3f} |")
    print(f"| all | {statistics.mean(s for v in per_form.values() for s in v):.3f} |")
    print("\ntopic queries (must stay words and find their articles):")
    for q in TOPICS:
        answer = service.search(parse_request({"q": q}))
        reading = answer["date_reading"]
        said = "applied" if reading and reading["applied"] else reading
        print(f"  {q}: {answer['total']} results, reading {said}")
    today = date(2026, 12, 6)
    started = time.perf_counter()
    for _ in range(5):
        for q in queries:
            read_date(q, today)
    per_query = (time.perf_counter() - started) / (5 * len(queries)) * 1e6
    print(f"\nreading a query's dates: {per_query:.0f} µs a query (mean over {5 * len(queries)})")


if __name__ == "__main__":
    main()
