"""Analysis throughput over the shared corpus: tokens per second through the full chain.

Run: .venv/bin/python bench/analysis_speed.py [--keep-surface] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_recall import SHARED, load_corpus  # noqa: E402

from search import analysis  # noqa: E402
from search.analysis import bangla_analyzer, term_ids  # noqa: E402
from search.analysis.normalize import normalize_word  # noqa: E402
from search.analysis.stemmer import stem  # noqa: E402
from search.analysis.tokenizer import word_spans  # noqa: E402


def run(analyzer, texts: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    for text in texts:
        # What Whoosh asks for when it indexes a field with positions.
        for _ in analyzer(text, positions=True, mode="index"):
            n += 1
    return n, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--keep-surface", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="passes; the first has cold caches")
    args = ap.parse_args()
    docs = load_corpus(args.shared)
    texts = [d["title"] + "\n" + "\n".join(d["paragraphs"]) for d in docs.values()]
    chars = sum(map(len, texts))
    print(f"{len(texts)} articles, {chars / 1e6:.1f} M characters")

    started = time.perf_counter()
    words = sum(1 for text in texts for _ in word_spans(text))
    print(f"ICU word breaks alone: {words / (time.perf_counter() - started):,.0f} words/s")

    analyzer = bangla_analyzer(keep_surface=args.keep_surface)
    for i in range(args.repeat):
        if i == 0:
            normalize_word.cache_clear()
            stem.cache_clear()
        n, seconds = run(analyzer, texts)
        per_article = seconds / len(texts)
        print(
            f"pass {i + 1} ({'cold' if i == 0 else 'warm'} caches): {n:,} tokens in {seconds:.1f} s,"
            f" {n / seconds:,.0f} tokens/s, {len(texts) / seconds:,.0f} articles/s;"
            f" 100k articles on 2 cores ≈ {100_000 * per_article / 2 / 60:.1f} min of analysis"
        )
    # What a rebuild runs instead of the chain (search/whoosh_store/schema.py): same terms and positions.
    for i in range(args.repeat):
        if i == 0:
            normalize_word.cache_clear()
            stem.cache_clear()
            analysis._chunk_term_ids.clear()
        started = time.perf_counter()
        n = sum(len(term_ids(text)) for text in texts)
        seconds = time.perf_counter() - started
        print(
            f"term_ids pass {i + 1} ({'cold' if i == 0 else 'warm'} memo): {n:,} positions in {seconds:.1f} s"
            f", {n / seconds:,.0f} positions/s"
        )
    print(
        f"cache sizes: normalize {normalize_word.cache_info().currsize:,},"
        f" stem {stem.cache_info().currsize:,}"
    )


if __name__ == "__main__":
    main()
