"""Time from a page landing in a watched folder to it being found over HTTP.

Starts `sandhan serve --watch SOURCE` on an index already built from SOURCE, waits until the
watcher has caught up, then lands pages one at a time (written under a temporary name and renamed,
as README says to publish) and polls /api/search for each page's own word until its id comes back.
Prints p50/p95/max over the landings and the updates' own durations. The landed pages are removed
at the end (the watcher takes them out of the index again).

    python bench/landing_latency.py --source /tmp/pages5k --index /tmp/ix5k --landings 100
    python bench/landing_latency.py --source /tmp/pages5k --opensearch http://127.0.0.1:9201 --name p5k
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
LETTERS = "কখগঘচছজঝটঠ"  # a landing's number in letters: a word no article holds


def landing_word(run: str, i: int) -> str:
    return "ঝলকপরখ" + "".join(LETTERS[int(d)] for d in f"{run}{i:03d}")


def page(word: str) -> str:
    return (
        f"{word} নিয়ে নতুন খবর\n\nনিজস্ব প্রতিবেদক\n১২ আগস্ট ২০২৪, ১০:২৫\n\n"
        f"নদীর ধারে {word} দেখা গেল বলে জানিয়েছেন স্থানীয় বাসিন্দারা। সকাল থেকে মানুষের ভিড়।\n"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="the folder the index was built from (pages land in it)")
    ap.add_argument("--index", default="index")
    ap.add_argument("--opensearch", metavar="URL", help="watch into the OpenSearch store of this cluster")
    ap.add_argument("--name", default="sandhan", help="with --opensearch: the alias")
    ap.add_argument("--landings", type=int, default=100)
    ap.add_argument(
        "--pause", type=float, default=0.5, help="seconds between a page found and the next landing"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log", help="write each landing's time and the server's output here")
    a = ap.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "search.cli", "serve", "--index", a.index, "--port", str(port)]
    cmd += ["--workers", str(a.workers), "--watch", a.source, "--log-format", "none"]
    if a.opensearch:
        cmd += ["--opensearch", a.opensearch, "--name", a.name]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    stamped: list[str] = []  # the server's lines and the landings, each with the time, for --log

    def read_output() -> None:
        for line in proc.stdout:
            lines.append(line)
            stamped.append(f"{time.strftime('%T')} {line}")

    threading.Thread(target=read_output, daemon=True).start()
    run = str(int(time.time()) % 1000).zfill(3)
    landed = Path(a.source) / f"_landing_{run}"
    try:
        while not any(line.startswith("watch: caught up") for line in lines):
            if proc.poll() is not None:
                sys.exit("server exited:\n" + "".join(lines))
            time.sleep(0.1)
        documents = requests.get(url + "/healthz", timeout=60).json()["documents"]
        landed.mkdir()
        seconds = []
        for i in range(a.landings):
            word, article_id = landing_word(run, i), f"landing-{run}-{i:03d}"
            part = landed / f"{article_id}.txt.part"
            part.write_text(page(word), "utf-8")
            stamped.append(f"{time.strftime('%T')} bench: landing {i} lands\n")
            started = time.perf_counter()
            os.rename(part, landed / f"{article_id}.txt")
            while True:
                r = requests.get(url + "/api/search", params={"q": word}, timeout=60)
                if r.status_code == 200 and any(x["id"] == article_id for x in r.json()["results"]):
                    break
                time.sleep(0.02)
            seconds.append(time.perf_counter() - started)
            stamped.append(f"{time.strftime('%T')} bench: landing {i} found after {seconds[-1]:.2f} s\n")
            time.sleep(a.pause)
        updates = [
            float(m) for m in re.findall(r"^Updated to generation \S+ in ([\d.]+) s", "".join(lines), re.M)
        ]
        q = statistics.quantiles(seconds, n=100)
        print(f"index: {documents} documents; {a.landings} landings, one at a time, {a.workers} workers")
        print(f"landing → found: p50 {q[49]:.2f} s, p95 {q[94]:.2f} s, max {max(seconds):.2f} s")
        print(
            f"updates: {len(updates)}, each p50 {statistics.median(updates):.2f} s, max {max(updates):.2f} s"
        )
    finally:
        if a.log:
            Path(a.log).write_text("".join(stamped), "utf-8")
        for f in landed.glob("*"):
            f.unlink()
        if landed.exists():
            landed.rmdir()
            deadline = time.monotonic() + 300  # the watcher takes the landed pages out again
            while time.monotonic() < deadline and proc.poll() is None:
                if requests.get(url + "/healthz", timeout=60).json().get("documents") == documents:
                    break
                time.sleep(0.5)
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
