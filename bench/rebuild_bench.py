"""Rebuild and update speed and memory of `sandhan index`, with plain Whoosh as the reference.

Run by hand (not part of the test suite). Every build runs as a subprocess under `/usr/bin/time -v`
while this script samples the memory of the whole process tree every 0.2 s:

    .venv/bin/python bench/rebuild_bench.py                     # everything below, in one run
    .venv/bin/python bench/rebuild_bench.py --only 5k --only whoosh --repeat 3
    .venv/bin/python bench/rebuild_bench.py --only 100k --only update

What is measured:
  5k       `sandhan index rebuild --source ../shared/corpus/pages` (5,068 files)
  whoosh   plain Whoosh on the same articles: pages parsed with `search.pages.read_page` first (not
           timed), then only the indexing is timed: StandardAnalyzer, fields id/title/body (title
           and body stored, as Sandhan stores them), `writer(procs=2, multisegment=True)`
  100k     `sandhan index rebuild` of 100,000 synthetic pages written once by
           `../shared/tools/scale_corpus.py DIR --count 100000` (reused when present)
  update   `sandhan index update` after 100 new pages (`scale_corpus.py --seed 2 --count 100`) are
           added to that folder under names that do not collide (else into a separate folder, passed
           as a second --source); the update runs on a hard-linked copy of the 100k index, and the
           100 pages are removed again afterwards, so every run starts from the same 100,000 pages

Memory, three ways (MiB):
  max RSS     `/usr/bin/time -v` "Maximum resident set size": what wait4/getrusage(RUSAGE_CHILDREN)
              give, i.e. the peak of the LARGEST single process of the tree (the parent or one
              worker), not the sum over the parent and its worker processes
  tree RSS    the largest sum of VmRSS over the process tree seen by the sampler (overcounts pages
              that forked workers share with the parent)
  tree PSS    the same with proportional set size (shared pages split between the processes that
              share them): the best figure for "how much memory did the rebuild take"
  tree anon   the largest sum of RssAnon (heap, not pages of files: Whoosh reads its segment files
              through mmap, and those pages count in RSS and PSS but are page cache the kernel can
              drop)

Results go to bench/out/rebuild/results.json (and are printed as a Markdown table).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

MiB = 1024 * 1024

# Targets of the issue "Benchmarks at 5k and 100k pages".
TARGET_100K_SECONDS = 300.0
TARGET_100K_RSS_MIB = 1.5 * 1024  # 1.5 GB, read as GiB; the table shows MiB
TARGET_UPDATE_SECONDS = 10.0


# ---------------------------------------------------------------------------------------------
# Measuring a subprocess tree


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def _kib(path: str, *keys: bytes) -> list[int]:
    """The values (kB) of `keys` in a /proc file of "Key:  value kB" lines; 0 for a process gone."""
    found = dict.fromkeys(keys, 0)
    try:
        with open(path, "rb") as fh:
            for line in fh:
                key = line.split(b":", 1)[0] + b":"
                if key in found:
                    found[key] = int(line.split()[1])
    except OSError:
        pass
    return list(found.values())


class TreeSampler(threading.Thread):
    """Peak of the summed RSS and PSS of a process and all its descendants, and peak process count."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib = self.peak_pss_kib = self.peak_anon_kib = self.peak_procs = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.pid)
            rss = anon = pss = 0
            for p in pids:
                vm_rss, rss_anon = _kib(f"/proc/{p}/status", b"VmRSS:", b"RssAnon:")
                rss, anon = rss + vm_rss, anon + rss_anon
                pss += _kib(f"/proc/{p}/smaps_rollup", b"Pss:")[0]
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.peak_anon_kib = max(self.peak_anon_kib, anon)
            self.peak_procs = max(self.peak_procs, len(pids))
            self.stop.wait(self.interval)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measured(cmd: list[str], label: str, cwd: Path = REPO) -> dict:
    """Run `cmd` under /usr/bin/time -v with the tree sampler; wall time, memory, output."""
    load_before = load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-v", *cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stderr.write(out + err)
        raise SystemExit(f"{label}: exit status {proc.returncode}")
    maxrss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))
    return {
        "label": label,
        "command": " ".join(cmd),
        "wall_s": round(wall, 2),
        "cpu_s": round(user + system, 1),
        "max_rss_mib": round(maxrss / 1024),
        "tree_rss_mib": round(sampler.peak_rss_kib / 1024),
        "tree_pss_mib": round(sampler.peak_pss_kib / 1024),
        "tree_anon_mib": round(sampler.peak_anon_kib / 1024),
        "procs": sampler.peak_procs - 1,  # without /usr/bin/time itself
        "load_before": load_before,
        "load_after": load(),
        "stdout": out,
    }


PROFILE_DIR: Path | None = None  # --profile: run each sandhan command under cProfile, save it here
PROFILES: list[Path] = []


def sandhan(*args: str, label: str = "") -> list[str]:
    """`sandhan ARGS` as this checkout's code (python -m from the repo, like bench/http_latency.py)."""
    if PROFILE_DIR:
        out = PROFILE_DIR / f"profile-{label}.prof"
        PROFILES.append(out)
        return [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "search.cli", *args]
    return [sys.executable, "-m", "search.cli", *args]


def print_profile(path: Path, top: int = 30) -> None:
    import io
    import pstats

    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(str(path), stream=buf).sort_stats(key).print_stats(top)
        text = buf.getvalue()
        print(f"\n--- {path.name}, by {key} ---\n" + text[text.index("   ncalls") :])


def _reported(out: str, key: str) -> int | None:
    m = re.search(rf"^\s*{key}:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def _internal_seconds(out: str) -> float | None:
    m = re.search(r"generation \S+ in ([\d.]+) s", out)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# The runs


def index_command(verb: str, sources: list[Path], index: Path, *extra: str) -> list[str]:
    """`sandhan index VERB --source ... --index INDEX EXTRA`."""
    sources_args = (x for s in sources for x in ("--source", str(s)))
    return sandhan("index", verb, *sources_args, "--index", str(index), *extra, label=index.name)


def run_rebuild(sources: list[Path], index: Path, label: str, pages: int, procs: int = 2) -> dict:
    shutil.rmtree(index, ignore_errors=True)
    extra = ("--procs", str(procs)) if procs != 2 else ()
    r = measured(index_command("rebuild", sources, index, *extra), label)
    r["pages"] = pages
    r["indexed"] = _reported(r["stdout"], "indexed")
    r["internal_s"] = _internal_seconds(r["stdout"])
    r["pages_per_s"] = round(pages / r["wall_s"], 1)
    return r


def plain_whoosh_child(source: Path, index: Path) -> None:
    """In a subprocess: parse every page, then time plain Whoosh indexing them; print JSON."""
    from whoosh import fields
    from whoosh import index as windex
    from whoosh.analysis import StandardAnalyzer

    from search.article import PageRejected
    from search.pages import read_page, scan_sources

    t0 = time.perf_counter()
    articles = []
    for path in scan_sources([source]).pages:
        try:
            articles.append(read_page(path))
        except PageRejected:
            pass
    parse_s = time.perf_counter() - t0
    shutil.rmtree(index, ignore_errors=True)
    index.mkdir(parents=True)
    analyzer = StandardAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, stored=True),
        body=fields.TEXT(analyzer=analyzer, stored=True),
    )
    t0 = time.perf_counter()
    ix = windex.create_in(str(index), schema)
    writer = ix.writer(procs=2, multisegment=True)
    for a in articles:
        writer.add_document(id=a.id, title=a.title, body=a.body)
    writer.commit()
    index_s = time.perf_counter() - t0
    print(json.dumps({"articles": len(articles), "parse_s": round(parse_s, 2), "index_s": round(index_s, 2)}))


def run_plain_whoosh(source: Path, index: Path, pages: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--plain-whoosh-child", str(source), str(index)]
    r = measured(cmd, "plain Whoosh 5k")
    child = json.loads(r["stdout"].strip().splitlines()[-1])
    r.update(child)
    r["pages"] = pages
    r["indexed"] = child["articles"]
    r["pages_per_s"] = round(pages / child["index_s"], 1)
    return r


def page_count(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.txt"))


def ensure_scaled(folder: Path, count: int) -> None:
    if folder.is_dir() and page_count(folder) == count:
        return
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(
        [sys.executable, str(SHARED / "tools" / "scale_corpus.py"), str(folder), "--count", str(count)],
        check=True,
    )


def extra_pages(staging: Path, count: int) -> list[Path]:
    """The update's new pages (seed 2), written once into `staging`."""
    if not staging.is_dir() or page_count(staging) != count:
        shutil.rmtree(staging, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "tools" / "scale_corpus.py"),
                str(staging),
                "--count",
                str(count),
                "--seed",
                "2",
            ],
            check=True,
        )
    return sorted(staging.glob("*.txt"))


def remove_extra(folder: Path, extra: list[Path]) -> None:
    """Leftovers of an interrupted run would make the "100k" rebuild 100,100 pages."""
    for p in extra:
        (folder / p.name).unlink(missing_ok=True)


def pristine_copy(index: Path, copy: Path) -> None:
    """The 100k index as rebuilt, hard-linked into `copy` (Whoosh never rewrites a file in place):
    every update run starts from the same 100,000 documents without another rebuild."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index, copy, copy_function=os.link, ignore=shutil.ignore_patterns("write.lock"))


def run_update(folder: Path, extra: list[Path], index: Path, label: str) -> dict:
    existing = {p.name for p in folder.glob("*.txt")}
    collide = [p.name for p in extra if p.name in existing]
    if not collide:
        for p in extra:
            shutil.copy2(p, folder / p.name)
        sources = [folder]
        where = f"copied into {folder} (no name collides)"
    else:
        sources = [folder, extra[0].parent]
        where = f"{len(collide)} names collide: kept in {extra[0].parent}, passed as a second --source"
    try:
        r = measured(index_command("update", sources, index), label)
    finally:
        if not collide:
            remove_extra(folder, extra)
    r["pages"] = len(extra)
    r["where"] = where
    r["added"] = _reported(r["stdout"], "added")
    r["indexed"] = _reported(r["stdout"], "indexed")
    r["internal_s"] = _internal_seconds(r["stdout"])
    return r


# ---------------------------------------------------------------------------------------------


def verdicts(results: dict) -> list[str]:
    out = []
    s5 = results.get("5k")
    wh = results.get("whoosh")
    if s5 and wh:
        ok = s5["wall_s"] <= wh["index_s"]
        out.append(
            f"5,068 pages rebuilt in no more time than plain Whoosh: {s5['wall_s']:.1f} s vs "
            f"{wh['index_s']:.1f} s (parsing excluded) or {wh['index_s'] + wh['parse_s']:.1f} s "
            f"(parsing included) -> {'met' if ok else 'NOT met'}"
        )
    s100 = results.get("100k")
    if s100 and s100["pages"] == 100_000:
        ok_t = s100["wall_s"] <= TARGET_100K_SECONDS
        ok_m = s100["tree_pss_mib"] <= TARGET_100K_RSS_MIB and s100["max_rss_mib"] <= TARGET_100K_RSS_MIB
        out.append(
            f"100,000 pages in <= 5 min: {s100['wall_s']:.0f} s -> {'met' if ok_t else 'NOT met'}; "
            f"peak memory <= 1.5 GB: largest process {s100['max_rss_mib']} MiB, "
            f"tree PSS {s100['tree_pss_mib']} MiB, tree RSS {s100['tree_rss_mib']} MiB "
            f"-> {'met' if ok_m else 'NOT met'}"
        )
    up = results.get("update")
    if up:
        ok = up["wall_s"] <= TARGET_UPDATE_SECONDS
        out.append(f"100 new pages added in <= 10 s: {up['wall_s']:.1f} s -> {'met' if ok else 'NOT met'}")
    return out


def table(results: dict) -> str:
    rows = [
        "| run | pages | indexed | wall s | pages/s | CPU s | max RSS MiB (largest process) | tree PSS MiB | "
        "tree RSS MiB | tree anon MiB | load before → after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key in ("5k", "whoosh", "100k", "update"):
        r = results.get(key)
        if not r:
            continue
        wall = f"{r['wall_s']:.1f}"
        if key == "whoosh":
            wall = f"{r['index_s']:.1f} (indexing only; +{r['parse_s']:.1f} parsing)"
        rate = r.get("pages_per_s", "")
        rows.append(
            f"| {r['label']} | {r['pages']:,} | {r.get('indexed') or ''} | {wall} | {rate} | {r['cpu_s']} | "
            f"{r['max_rss_mib']} | {r['tree_pss_mib']} | {r['tree_rss_mib']} | "
            f"{r.get('tree_anon_mib', '')} | {r['load_before']} → {r['load_after']} |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", action="append", choices=["5k", "whoosh", "100k", "update"])
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs of 5k, whoosh and update; the median run is kept"
    )
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "pages")
    ap.add_argument("--scale-dir", type=Path, default=Path("/tmp/scale100k"))
    ap.add_argument("--scale-count", type=int, default=100_000)
    ap.add_argument("--extra-dir", type=Path, default=Path("/tmp/scale100k-extra"))
    ap.add_argument(
        "--out", type=Path, help="default bench/out/rebuild (bench/out/rebuild-profile with --profile)"
    )
    ap.add_argument(
        "--procs", type=int, default=2, help="`index rebuild --procs` (default 2, the CLI default)"
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="run the sandhan commands under cProfile (only their main process: use --procs 1 to see a\n"
        "rebuild's analysis); figures go to profile-results.json, not results.json",
    )
    ap.add_argument("--plain-whoosh-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.plain_whoosh_child:
        plain_whoosh_child(*a.plain_whoosh_child)
        return
    todo = a.only or ["5k", "whoosh", "100k", "update"]
    a.out = a.out or REPO / "bench" / "out" / ("rebuild-profile" if a.profile else "rebuild")
    a.out.mkdir(parents=True, exist_ok=True)
    global PROFILE_DIR
    PROFILE_DIR = a.out if a.profile else None
    results_file = a.out / ("profile-results.json" if a.profile else "results.json")
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results.pop("runs", None)
    print(f"nproc {os.cpu_count()}  load {load()}", file=sys.stderr)

    def median(runs: list[dict], key: str) -> dict:
        for r in runs:
            print(
                f"  {r['label']}: {r.get('index_s', r['wall_s'])} s, load {r['load_before']}", file=sys.stderr
            )
        runs.sort(key=lambda r: r[key])
        best = dict(runs[len(runs) // 2])
        best["all_runs_s"] = [r[key] for r in runs]
        return best

    def median_of(fn, key):
        return median([fn() for _ in range(a.repeat)], key)

    corpus_pages = page_count(a.corpus)
    # Sandhan and plain Whoosh alternate, so that a change in the machine's load hits both.
    sandhan_5k, whoosh_5k = [], []
    for _ in range(a.repeat):
        if "5k" in todo:
            sandhan_5k.append(
                run_rebuild([a.corpus], a.out / "ix-5k", "Sandhan rebuild 5k", corpus_pages, a.procs)
            )
        if "whoosh" in todo:
            whoosh_5k.append(run_plain_whoosh(a.corpus, a.out / "ix-whoosh-5k", corpus_pages))
    if sandhan_5k:
        results["5k"] = median(sandhan_5k, "wall_s")
    if whoosh_5k:
        results["whoosh"] = median(whoosh_5k, "index_s")
    if "100k" in todo or "update" in todo:
        ensure_scaled(a.scale_dir, a.scale_count)
        extra = extra_pages(a.extra_dir, 100)
        remove_extra(a.scale_dir, extra)
    if "100k" in todo:
        label = f"Sandhan rebuild {a.scale_count // 1000}k"
        results["100k"] = run_rebuild([a.scale_dir], a.out / "ix-100k", label, a.scale_count, a.procs)
    if "update" in todo:
        if not (a.out / "ix-100k" / "CURRENT").exists():
            raise SystemExit("no 100k index: run with --only 100k first")

        def one_update():
            pristine_copy(a.out / "ix-100k", a.out / "ix-100k-update")
            return run_update(a.scale_dir, extra, a.out / "ix-100k-update", "Sandhan update +100 into 100k")

        results["update"] = median_of(one_update, "wall_s")
    results_file.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(table(results))
    print()
    for v in verdicts(results):
        print("-", v)
    for key in todo:
        r = results.get(key)
        if r:
            print(f"\n[{key}] {r['command']}\n{r['stdout'].strip()[:600]}")
    if PROFILE_DIR:
        for prof in dict.fromkeys(PROFILES):
            print_profile(prof)


if __name__ == "__main__":
    main()
