"""How sure romanized readings are (`search.romanize.reading_confidence`), on real words and on
Latin gibberish: what `MIN_READING_CONFIDENCE` in search/engine.py is chosen from.

    .venv/bin/python bench/reading_confidence.py --index bench/out/eval-index

Prints, for each set, every word's best reading and confidence, lowest first for real words and
highest first for gibberish, and how many of each a threshold keeps.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))

from banglish_eval import HELDOUT  # noqa: E402

from search.analysis import analyze  # noqa: E402
from search.engine import MIN_READING_CONFIDENCE  # noqa: E402
from search.romanize import _read_romanized, is_romanized  # noqa: E402
from search.whoosh_store import WhooshStore  # noqa: E402

DEV = REPO.parent / "shared" / "eval" / "queries_banglish_dev.tsv"
# Keyboard runs, repeated letters and consonant heaps: what a reader types by mistake or to test.
GIBBERISH = (
    "zzzzqqq qwrtzp asdfgh qwerty zxcvbn hjkl lkjhg mnbvcx poiuyt qqq zzz fjdksl wxyz bvcxz trkz plmokn "
    "qazwsx edcrfv ghjkl yxcvb uiop xqzv kqxz jjjj wqwq zqzq vbnm asdf sdfg dfgh tyui xxyyzz qpwoei zkzk "
    "blorft"
).split()
# English words that Bangla news writes in Bangla letters: these must still be read.
LOANWORDS = (
    "football cricket police bank school doctor hospital mobile internet computer facebook university "
    "election minister market"
).split()


def words_of(queries: list[str]) -> list[str]:
    return sorted({w for q in queries for w in q.split() if is_romanized(w)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--index", type=Path, default=REPO / "bench" / "out" / "eval-index")
    ap.add_argument("--threshold", type=float, default=MIN_READING_CONFIDENCE)
    a = ap.parse_args()
    lexicon = WhooshStore(a.index).view().lexicon()
    with DEV.open(encoding="utf-8") as f:
        dev = [row["query"] for row in csv.DictReader(f, delimiter="\t")]
    sets = {
        "romanized dev queries": words_of(dev),
        "romanized held-out queries": words_of([q for _id, q in HELDOUT]),
        "loanwords": LOANWORDS,
        "gibberish": GIBBERISH,
    }
    print(f"threshold {a.threshold}\n")
    print("| set | words | read as Bangla | below the threshold: as typed | no reading: as typed | edge |")
    print("| --- | --- | --- | --- | --- | --- |")
    details = []
    for name, words in sets.items():
        readings = [_read_romanized(w, lexicon, analyze) for w in words]
        offered = [r for r in readings if r.display != r.source]  # a Bangla reading was found
        read = [r for r in offered if r.confidence >= a.threshold]
        scored = sorted(offered, key=lambda r: r.confidence, reverse=name == "gibberish")
        edge = ", ".join(f"{r.source} → {r.display} {r.confidence:.2f}" for r in scored[:3])
        below, none = len(offered) - len(read), len(readings) - len(offered)
        print(f"| {name} | {len(words)} | {len(read)} | {below} | {none} | {edge} |")
        details.append((name, scored))
    for name, scored in details:
        print(f"\n{name}: " + "; ".join(f"{r.source} → {r.display} {r.confidence:.2f}" for r in scored))


if __name__ == "__main__":
    main()
