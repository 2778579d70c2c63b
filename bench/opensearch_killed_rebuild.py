"""A rebuild of the OpenSearch store killed midway (SIGKILL while it sends documents) leaves the
alias serving the generation it had; the next rebuild clears what the killed one left.

    .venv/bin/python bench/opensearch_killed_rebuild.py --opensearch URL --name eval \\
        --source ../shared/corpus/pages

The alias must exist, with no generation a killed build left (run a rebuild to its end first).
Prints what it saw at each step; exits 1 if the alias moved, a search answered differently, or
the next rebuild left more than its own generation.
(tests/test_stores.py kills a rebuild at its switch; this one kills it while it sends.)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.engine import SearchEngine, SearchRequest  # noqa: E402
from search.opensearch_store import OpenSearchStore  # noqa: E402
from search.opensearch_store.build import _generations, _number, live_generation  # noqa: E402

QUERIES = ["ঢাকা", "বৃষ্টি", "ক্রিকেট দল", "নির্বাচন কমিশন", "সরকার"]


def answers(store: OpenSearchStore) -> list[tuple[int, list[str]]]:
    engine = SearchEngine(store)
    out = []
    for q in QUERIES:
        found = engine.search(SearchRequest(q=q))
        out.append((found["total"], [r["id"] for r in found["results"]]))
    return out


def indexed(client, index: str) -> int:
    """Documents indexed into `index` so far (not refreshed: the build refreshes once, at its end)."""
    stats = client.indices.stats(index=index, metric="indexing", ignore=[404])
    return stats.get("_all", {}).get("primaries", {}).get("indexing", {}).get("index_total", 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--opensearch", required=True, metavar="URL")
    ap.add_argument("--name", default="eval")
    ap.add_argument("--source", type=Path, required=True)
    ap.add_argument("--kill-at", type=int, default=1000, help="documents sent to the new generation")
    a = ap.parse_args()
    store = OpenSearchStore(a.opensearch, a.name)
    client = store.client
    live = live_generation(client, a.name)
    if live is None:
        sys.exit(f"no alias {a.name}: rebuild it once first")
    before = answers(store)
    cli = [sys.executable, "-m", "search.cli", "index", "rebuild", "--opensearch", a.opensearch]
    cli += ["--name", a.name, "--source", str(a.source)]
    building = subprocess.Popen(cli, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    new, sent = None, 0
    while building.poll() is None:  # until the new generation holds --kill-at documents
        new = next((g for g in _generations(client, a.name) if _number(g) > _number(live)), None)
        if new and (sent := indexed(client, new)) >= a.kill_at:
            break
        time.sleep(0.5)
    if building.poll() is not None:
        sys.exit(f"the rebuild ended ({building.returncode}) before it sent {a.kill_at} documents")
    os.kill(building.pid, signal.SIGKILL)
    building.wait()
    print(f"killed the rebuild {time.monotonic() - started:.1f} s in, {sent} documents in {new}")
    store._generation = None
    after = live_generation(client, a.name)
    same = answers(store) == before
    print(f"alias {a.name}: {live} before, {after} after; searches answer as before: {same}")
    started = time.monotonic()
    done = subprocess.run(cli, cwd=REPO, capture_output=True, text=True)
    left = sorted(_generations(client, a.name))
    final = live_generation(client, a.name)
    print(
        f"next rebuild: exit {done.returncode} in {time.monotonic() - started:.1f} s, alias on {final}, "
        f"generations left: {', '.join(left)}"
    )
    ok = after == live and same and done.returncode == 0 and set(left) == {final, f"{final}-lexicon"}
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
