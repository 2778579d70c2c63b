"""The stemmer measured three ways: word pairs that must and must not share a stem (under- and
over-stemming per suffix class), what each suffix rule strips in the corpus, and which rules join
the dev queries' words to their target articles.

    .venv/bin/python bench/stem_pairs.py                 # all three (the corpus parts need ../shared)
    .venv/bin/python bench/stem_pairs.py --pairs-only    # the pairs alone, no corpus

bench/stem_pairs.tsv holds the pairs: word_a, word_b, must_share (1/0), class, and a note saying
which fact of the language decides. Words are analyzed as the index analyzes them (word_term).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PAIRS = REPO / "bench" / "stem_pairs.tsv"
sys.path.insert(0, str(REPO))

from search.analysis import word_term  # noqa: E402
from search.analysis.normalize import normalize_word  # noqa: E402
from search.analysis.stemmer import OVERRIDDEN, SUFFIXES, stem_steps  # noqa: E402
from search.analysis.stopwords import is_stopword  # noqa: E402
from search.analysis.tokenizer import word_spans  # noqa: E402
from search.evaluate import load_stem_pairs, score_stem_pairs  # noqa: E402

DEV_SETS = ("queries_dev.tsv", "queries_dev2.tsv", "queries_variants_dev.tsv")  # the Bangla-script sets


def bangla(word: str) -> bool:
    return bool(word) and "\u0980" <= word[0] <= "\u09ff"


def report_pairs(path: Path) -> None:
    scores = score_stem_pairs(load_stem_pairs(path))
    print(f"## Word pairs ({path.name})\n")
    print("| class | must share | split (under-stemming) | must not | merged (over-stemming) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, s in scores.items():
        name = f"**{kind}**" if kind == "ALL" else kind
        print(
            f"| {name} | {s.must_share} | {len(s.split)} ({rate(len(s.split), s.must_share)}) "
            f"| {s.must_not} | {len(s.merged)} ({rate(len(s.merged), s.must_not)}) |"
        )
    print("\nFailures (word → term):\n")
    for p in scores["ALL"].split + scores["ALL"].merged:
        what = "split" if p.must_share else "merged"
        print(f"- {what} [{p.kind}] {p.a} → {word_term(p.a)}, {p.b} → {word_term(p.b)}: {p.note}")


def rate(n: int, of: int) -> str:
    return f"{n / of:.0%}" if of else "-"


def corpus_words(shared: Path) -> Counter[str]:
    """Normalized Bangla words of every valid article of the manifest (title and paragraphs)."""
    sys.path.insert(0, str(REPO / "bench"))
    from analysis_recall import load_corpus

    words: Counter[str] = Counter()
    for d in load_corpus(shared).values():
        text = d["title"] + "\n" + "\n".join(d["paragraphs"])
        words.update(normalize_word(text[a:b]) for a, b in word_spans(text))
    return Counter({w: n for w, n in words.items() if bangla(w) and not is_stopword(w)})


def report_rules(words: Counter[str]) -> None:
    """Per suffix rule: the distinct corpus words it strips (rules alone, as stem_steps applies
    them), their occurrences, and how many of those words the override table stems otherwise."""
    stripped: dict[str, set[str]] = defaultdict(set)
    for w in words:
        for suffix in stem_steps(w, use_overrides=False)[1]:
            stripped[suffix].add(w)
    print(f"\n## Suffix rules on the corpus ({len(words):,} distinct words, stopwords left out)\n")
    print("| suffix | min letters | words stripped | occurrences | overridden |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for suffix, _after, min_letters in SUFFIXES:
        ws = stripped.pop(suffix, set())
        overridden = sum(1 for w in ws if stem_steps(w)[0] != stem_steps(w, use_overrides=False)[0])
        print(f"| -{suffix} | {min_letters} | {len(ws):,} | {sum(words[w] for w in ws):,} | {overridden:,} |")
    for suffix, ws in stripped.items():  # the rows of other tables stem_steps names
        print(f"| {suffix} | | {len(ws):,} | {sum(words[w] for w in ws):,} | |")


def report_dev_sets(shared: Path) -> None:
    """Per dev set and query type: the query words (stopwords aside) the target article holds as
    typed, holds in another form of the same stem, or does not hold; then which rules made the
    target's forms meet the query word, and the morph words the target never meets."""
    sys.path.insert(0, str(REPO / "bench"))
    from analysis_recall import load_corpus

    docs = load_corpus(shared)
    joined_by: Counter[str] = Counter()
    for name in DEV_SETS:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        missing: list[str] = []
        with (shared / "eval" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                d = docs[row["target_id"]]
                text = d["title"] + "\n" + "\n".join(d["paragraphs"])
                forms = {normalize_word(text[a:b]) for a, b in word_spans(text)}
                by_term = defaultdict(set)
                for f in forms:
                    by_term[word_term(f)].add(f)
                for a, b in word_spans(row["query"]):
                    q = normalize_word(row["query"][a:b])
                    if not bangla(q) or is_stopword(q):
                        continue
                    c = counts[row["type"]]
                    c["words"] += 1
                    if q in forms:
                        c["as typed"] += 1
                    elif by_term.get(word_term(q)):
                        c["other form"] += 1
                        own = set(stem_steps(q)[1])
                        for f in by_term[word_term(q)]:
                            joined_by.update(set(stem_steps(f)[1]) - own)
                    else:
                        c["not held"] += 1
                        if row["type"] == "morph":
                            missing.append(f"{row['qid']} {q}")
        print(f"\n## {name}: query words and their target article\n")
        print("| type | words | as typed | other form of the stem | not held |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for t in sorted(counts):
            c = counts[t]
            print(f"| {t} | {c['words']} | {c['as typed']} | {c['other form']} | {c['not held']} |")
        if missing:
            print(f"\nmorph words the target holds in no form of their stem: {', '.join(missing)}")
    print("\n## Suffixes that joined a dev query word to a form in its target (all three sets)\n")
    print(", ".join(f"-{s} {n}" if s != OVERRIDDEN else f"override {n}" for s, n in joined_by.most_common()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pairs", type=Path, default=PAIRS)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--pairs-only", action="store_true")
    a = ap.parse_args()
    report_pairs(a.pairs)
    if not a.pairs_only:
        report_rules(corpus_words(a.shared))
        report_dev_sets(a.shared)


if __name__ == "__main__":
    main()
