"""`sandhan`: one command line for everything — parse pages, build the index, search, serve.

One concern, the command line, in one module as Datasette keeps its CLI: each command is a few
lines that read options and call the engine, a store or the web app, and print what they answer;
its length is the commands' help texts and examples, which `sandhan --help` shows."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

from search.engine import DATES
from search.store import SORTS

DEFAULT_INDEX = "index"


def _index_option(f):
    return click.option(
        "--index",
        "index_dir",
        default=lambda: os.environ.get("SANDHAN_INDEX", DEFAULT_INDEX),
        show_default="index/ or $SANDHAN_INDEX",
        type=click.Path(file_okay=False),
        help="Index folder.",
    )(f)


def _cluster_options(f):
    """--opensearch URL and --name: the OpenSearch store instead of the index folder."""
    f = click.option(
        "--name",
        default=lambda: os.environ.get("SANDHAN_OPENSEARCH_NAME", "sandhan"),
        show_default="sandhan or $SANDHAN_OPENSEARCH_NAME",
        help="With --opensearch: the alias the articles are served under.",
    )(f)
    return click.option(
        "--opensearch",
        default=lambda: os.environ.get("SANDHAN_OPENSEARCH") or None,
        metavar="URL[,URL...]",
        help="Use the OpenSearch cluster at URL (http(s)://user:password@host:9200; several nodes' "
        "URLs separated by commas) instead of the index folder; $SANDHAN_OPENSEARCH.",
    )(f)


def _store(index_dir: str, opensearch: str | None, name: str, **options):
    from search.stores import open_store

    return open_store(index_dir, opensearch=opensearch, name=name, **options)


def _source_option(f):
    return click.option(
        "--source",
        "sources",
        multiple=True,
        required=True,
        type=click.Path(exists=True),
        help="Folder (or file) of saved pages; repeatable.",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Sandhan (সন্ধান): full-text search for Bangla news archives."""


# --- parse -------------------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
def parse(paths: tuple[str, ...], as_json: bool) -> None:
    """Show each saved page as the reader sees it.

    Exit status 0 when every page was read, 1 when some were rejected.

    \b
    Example:
      sandhan parse ../shared/corpus/seed/000_d0b87659e07cf7a3.txt --json
    """
    from search.pages import printable_path, scan_sources

    scan = scan_sources(paths)
    entries = [(page, None) for page in scan.pages] + [(Path(path), why) for path, why in scan.rejected]
    rejected = 0
    for path, passed_over in sorted(entries, key=lambda entry: entry[0]):
        record = _page_record(path, passed_over, scan.links.get(path))
        rejected += not record["ok"]
        if as_json:
            click.echo(_json_line(record))
        elif record["ok"]:
            click.echo(f"== {printable_path(record['file'])}")
            for key in ("id", "title", "desk", "published", "updated"):
                value = printable_path(record[key]) if key == "id" else record[key]
                click.echo(f"{key:>9}: {value}")
            body = record["body"]
            click.echo(f"     body: {len(body)} characters: {body[:160]}{'…' if len(body) > 160 else ''}")
        else:
            click.echo(f"== {printable_path(record['file'])}\n  REJECTED: {record['error']}")
    sys.exit(1 if rejected else 0)


def _page_record(path: Path, passed_over: str | None, link_to: tuple[int, int] | None) -> dict:
    """What `sandhan parse` shows of one file: the article read from it, or why there is none
    (`passed_over`: why the walk of the folders did not read it; `link_to`: the file a link led
    to then, SourceScan.links)."""
    from search.article import PageRejected
    from search.pages import page_id, read_page

    record = {"file": str(path), "id": page_id(path), "ok": True, "error": None}
    error = passed_over
    if error is None:
        try:
            a = read_page(path, link_to)
        except PageRejected as exc:
            error = exc.reason
    if error is not None:
        return {**record, "ok": False, "error": error, **dict.fromkeys(_ARTICLE_KEYS)}
    return {
        **record,
        "title": a.title,
        "desk": a.desk,
        "published": a.published.isoformat() if a.published else None,
        "updated": a.updated.isoformat() if a.updated else None,
        "body": a.body,
    }


_ARTICLE_KEYS = ("title", "desk", "published", "updated", "body")


def _json_line(record: dict) -> str:
    """`record` as one line of JSON in UTF-8. The bytes of a file name that are not UTF-8 (held
    as surrogates, os.fsdecode) are written as JSON escapes (\\udcff), which Python's json reads
    back as the same name; UTF-8 cannot hold them as they are."""
    text = json.dumps(record, ensure_ascii=False)
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


# --- index -------------------------------------------------------------------------------------


@main.group("index")
def index_group() -> None:
    """Build and inspect the index."""


def _progress_hooks():
    """A progress bar on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None, None, lambda: None
    state = {}

    def on_total(n: int) -> None:
        state["bar"] = click.progressbar(length=n, label="indexing", file=sys.stderr)
        state["bar"].__enter__()

    def progress(k: int) -> None:
        if "bar" in state:
            state["bar"].update(k)

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return progress, on_total, close


def _print_report(report, verb: str) -> None:
    from search.pages import printable_path

    click.echo(f"{verb} generation {report.generation} in {report.seconds:.1f} s")
    click.echo(f"  indexed:    {report.indexed}")
    if report.added or report.changed or report.removed:
        click.echo(f"  added:      {report.added}")
        click.echo(f"  changed:    {report.changed}")
        click.echo(f"  removed:    {report.removed}")
    click.echo(f"  duplicates: {len(report.duplicates)}")
    click.echo(f"  rejected:   {len(report.rejected)}")
    for reason, count in report.rejected_by_reason().most_common():
        click.echo(f"    {count:5d} × {reason}")
        for path, r in report.rejected:
            if r == reason:
                click.echo(f"            {printable_path(path)}")


@index_group.command()
@_source_option
@_index_option
@click.option(
    "--procs", default=2, show_default=True, help="Worker processes that read and index pages in parallel."
)
@_cluster_options
@click.option(
    "--shards", default=1, show_default=True, help="With --opensearch: primary shards of the new index."
)
@click.option("--replicas", default=0, show_default=True, help="With --opensearch: replicas of each shard.")
def rebuild(
    sources: tuple[str, ...],
    index_dir: str,
    procs: int,
    opensearch: str | None,
    name: str,
    shards: int,
    replicas: int,
) -> None:
    """Index every page under --source into a new generation, then switch to it.

    The live index keeps serving until the new one is complete; an interrupted rebuild
    leaves it untouched.

    \b
    Example:
      sandhan index rebuild --source ../shared/corpus/pages --index index
    """
    from search.store import StoreError

    progress, on_total, close = _progress_hooks()
    try:
        store = _store(index_dir, opensearch, name, shards=shards, replicas=replicas)
        report = store.rebuild(sources, procs=procs, progress=progress, on_total=on_total)
    except StoreError as exc:  # another build running, or no pages to index
        raise click.ClickException(str(exc)) from None
    finally:
        close()
    _print_report(report, "Built")


@index_group.command()
@_source_option
@_index_option
@_cluster_options
@click.option(
    "--shards", default=1, show_default=True, help="With --opensearch: primary shards of the new index."
)
@click.option("--replicas", default=0, show_default=True, help="With --opensearch: replicas of each shard.")
def update(
    sources: tuple[str, ...], index_dir: str, opensearch: str | None, name: str, shards: int, replicas: int
) -> None:
    """Add new pages, re-index changed ones, drop those whose files are gone.

    \b
    Example:
      sandhan index update --source ../shared/corpus/pages
    """
    from search.store import StoreError

    progress, _, close = _progress_hooks()
    try:
        store = _store(index_dir, opensearch, name, shards=shards, replicas=replicas)
        report = store.update(sources, progress=progress)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        close()
    _print_report(report, "Updated to")


def _watch_options(f):
    """How the watcher waits (search/watch.py WatchSettings), in seconds."""
    from search.watch import WatchSettings

    d = WatchSettings()
    options = [
        click.option(
            "--quiet", default=d.quiet, show_default=True, help="Seconds without events before a batch goes."
        ),
        click.option(
            "--stable", default=d.stable, show_default=True, help="Seconds a page's size must stay the same."
        ),
        click.option(
            "--rescan", default=d.rescan, show_default=True, help="Seconds between full comparisons."
        ),
        click.option(
            "--polling", is_flag=True, help="Poll the folder instead of inotify (network file systems)."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _watcher(sources, store, quiet: float, stable: float, rescan: float, polling: bool, observe=None):
    """A Watcher that prints each batch as `sandhan index update` prints its report (`observe`:
    told the kind and seconds of each build, for /metrics)."""
    from dataclasses import replace

    from search.watch import Watcher, WatchSettings

    lock = threading.Lock()

    def on_batch(batch) -> None:
        report = batch.report
        if observe is not None:
            observe("update" if batch.batch else "rebuild", report.seconds)
        with lock:
            shown = replace(report, rejected=batch.new_rejections)
            _print_report(shown, "Updated to" if batch.batch else "Built")
            if batch.batch:
                held = f", {batch.held} still being written" if batch.held else ""
                click.echo(f"  batch:      {batch.batch} changed files{held}")
            sys.stdout.flush()

    def on_error(message: str) -> None:
        with lock:
            click.echo(f"watch: {message}", err=True)

    def on_ready() -> None:
        with lock:
            click.echo(f"watch: caught up; following {', '.join(str(Path(s).resolve()) for s in sources)}")
            sys.stdout.flush()

    settings = WatchSettings(quiet=quiet, stable=stable, rescan=rescan, polling=polling)
    return Watcher(sources, store, settings, on_batch=on_batch, on_error=on_error, on_ready=on_ready)


@index_group.command()
@_source_option
@_index_option
@_cluster_options
@_watch_options
def watch(
    sources: tuple[str, ...],
    index_dir: str,
    opensearch: str | None,
    name: str,
    quiet: float,
    stable: float,
    rescan: float,
    polling: bool,
) -> None:
    """Keep the index in line with --source while pages land, change and go (Ctrl-C stops).

    New, changed and removed pages are applied in small batches through the same atomic update
    as `sandhan index update`. A page still being written is read once it is closed and its size
    has stayed the same for --stable seconds; writing it under another name (x.txt.part) and
    renaming it to x.txt when complete is safest. On start, what changed while the watcher was
    stopped is applied; with no index yet, one is built.

    \b
    Example:
      sandhan index watch --source ../shared/corpus/pages --index index
      sandhan index watch --source pages --opensearch http://127.0.0.1:9200
    """
    from search.store import StoreError

    try:
        store = _store(index_dir, opensearch, name)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    watcher = _watcher(sources, store, quiet, stable, rescan, polling)
    signal.signal(signal.SIGTERM, lambda signum, frame: watcher.stop())
    target = repr(store) if opensearch else str(Path(index_dir).resolve())
    click.echo(f"Watching {', '.join(str(Path(s).resolve()) for s in sources)} for {target}")
    sys.stdout.flush()
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()


@index_group.command()
@_index_option
@_cluster_options
@click.option("--json", "as_json", is_flag=True)
def stats(index_dir: str, opensearch: str | None, name: str, as_json: bool) -> None:
    """Documents, date range, desks, size, generation and build time of the live index."""
    from search.store import StoreError

    try:
        info = _store(index_dir, opensearch, name).stats()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=1))
        return
    click.echo(f"documents:  {info['documents']}")
    click.echo(f"generation: {info['generation']} (built {info['built_at']})")
    click.echo(f"size:       {info['size_bytes'] / 1e6:.1f} MB")
    click.echo(f"dates:      {info['oldest']} … {info['newest']}")
    click.echo(f"desks:      {len(info['desks'])}")
    for desk, n in info["desks"][:10]:
        click.echo(f"  {n:6d}  {desk or '(none)'}")


@index_group.command()
@_index_option
def verify(index_dir: str) -> None:
    """Check every file of the live index against the size and checksum recorded when it was built.

    Exit status 0 when all are as written; 1 naming each damaged file and what is wrong with it
    (missing, size differs, checksum differs): rebuild the index then.

    \b
    Example:
      sandhan index verify --index index
    """
    from search.store import StoreError
    from search.whoosh_store.generations import IndexDamaged, current_generation
    from search.whoosh_store.integrity import FILES_KEY, content_damage

    started = time.monotonic()
    try:
        gen = current_generation(index_dir)
        damage = content_damage(gen.path, gen.meta)
        if damage:
            raise IndexDamaged(gen.path, damage)
    except IndexDamaged as exc:
        click.echo(f"{exc.folder.name} is damaged: {len(exc.damage)} file(s) not as written")
        for d in exc.damage:
            click.echo(f"  {d}")
        click.echo(f"Rebuild it: sandhan index rebuild --source DIR --index {index_dir}")
        sys.exit(1)
    except StoreError as exc:  # none built, or built by another version
        raise click.ClickException(str(exc)) from None
    files = gen.meta[FILES_KEY]
    size = sum(record["size"] for record in files.values())
    click.echo(
        f"ok: {gen.name}, {len(files)} files, {size / 1e6:.1f} MB, sizes and checksums as written "
        f"({time.monotonic() - started:.2f} s)"
    )


# --- search ------------------------------------------------------------------------------------


@main.command()
@click.argument("query", nargs=-1)
@click.option("--from", "date_from", help="Earliest publication date (2023-09-12 or ১২/০৯/২০২৩).")
@click.option("--to", "date_to", help="Latest publication date, inclusive.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance")
@click.option("--desk", help="Only this desk.")
@click.option(
    "--dates",
    type=click.Choice(DATES),
    default="auto",
    show_default=True,
    help="A date typed in the query: auto applies a definite one, on an offered one too, off reads none.",
)
@click.option("--page", default=1, show_default=True)
@click.option("--per-page", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The same JSON as GET /api/search.")
@_index_option
@_cluster_options
def search(
    query, date_from, date_to, sort, desk, dates, page, per_page, as_json, index_dir, opensearch, name
) -> None:
    """Search the index from a terminal.

    \b
    Example:
      sandhan search পুতিন কিম --from 2023-09-01 --sort newest
      sandhan search বন্যা আগস্ট ২০২৪
    """
    from search.engine import SearchEngine
    from search.query import PARTIAL
    from search.store import StoreError
    from web.params import BadRequest, parse_request

    args = {
        "q": " ".join(query),
        "from": date_from,
        "to": date_to,
        "sort": sort,
        "desk": desk,
        "dates": dates,
        "page": str(page),
        "per_page": str(per_page),
    }
    try:
        answer = SearchEngine(_store(index_dir, opensearch, name)).search(parse_request(args))
    except (BadRequest, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
        return
    if reading := answer.get("date_reading"):
        how = "applied" if reading["applied"] else "offered: --dates on applies it"
        click.echo(f"date: {reading['text']} = {reading['from']} to {reading['to']} ({how})")
    if answer.get("interpreted_query"):
        click.echo(f"searched for: {answer['interpreted_query']}")
    click.echo(f"{answer['total']} results ({answer['took_ms']} ms)")
    if answer["partial"]:
        click.echo(f"partial: {PARTIAL[answer['partial']]}")
    if answer.get("suggestion"):
        click.echo(f"did you mean: {answer['suggestion']}")
    for i, r in enumerate(answer["results"], start=(page - 1) * per_page + 1):
        click.echo(f"{i:3d}. {r['title']}  [{r['desk'] or ''}] {r['published'] or 'undated'}")
        click.echo(f"     {_plain(r['snippet_html'])}")


def _plain(html: str) -> str:
    """Snippet HTML for a terminal: <mark> as bold, entities decoded."""
    from html import unescape

    bold = "\x1b[1m" if sys.stdout.isatty() else ""
    reset = "\x1b[0m" if sys.stdout.isatty() else ""
    return unescape(html.replace("<mark>", bold).replace("</mark>", reset))


# --- serve -------------------------------------------------------------------------------------


@main.command()
@_index_option
@_cluster_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="Processes (one per core).")
@click.option("--threads", default=4, show_default=True, help="Threads per process.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json", "none"]),
    default="text",
    show_default=True,
    help="The access log on stderr: a line per request, as text or JSON, or none.",
)
@click.option(
    "--watch",
    "watch_sources",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Also watch this folder of pages and apply its changes (as `sandhan index watch`).",
)
@_watch_options
def serve(
    index_dir: str,
    opensearch: str | None,
    name: str,
    host: str,
    port: int,
    workers: int,
    threads: int,
    log_format: str,
    watch_sources: tuple[str, ...],
    quiet: float,
    stable: float,
    rescan: float,
    polling: bool,
) -> None:
    """Serve the web page and JSON API with waitress (a production WSGI server).

    Searching is CPU-bound Python, so each core gets its own process, all accepting on one
    socket. A rebuilt index is picked up without restart. With --watch, the pages of a folder
    are indexed as they land, change and go (one command for a small site).

    \b
    Example:
      sandhan serve --index index --port 5000
      sandhan serve --index index --watch pages
    """
    from search.store import StoreError

    cluster = {"OPENSEARCH": opensearch, "OPENSEARCH_NAME": name} if opensearch else {}
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics sums the requests of all workers (web/operations.py); set before any import.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sandhan-metrics-")
        atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)
    access_log = None if log_format == "none" else log_format
    try:
        store = _store(index_dir, opensearch, name)
        live = store.describe()  # not opened here: each worker opens it for itself
        built = f"{live['generation']}, built {live['built_at']}"
        click.echo(
            f"Serving {store!r} ({built})" if opensearch else f"Serving {Path(index_dir).resolve()} ({built})"
        )
    except StoreError as exc:
        if not watch_sources:
            click.echo(f"warning: {exc}", err=True)
            click.echo("The API answers 503 until an index is built.", err=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    click.echo(f"Listening on http://{host}:{port}/ ({workers} × {threads} threads)")
    sys.stdout.flush()

    def start_watching() -> None:
        if watch_sources:
            from web.operations import build_seconds

            def observe(kind: str, seconds: float) -> None:
                build_seconds().labels(kind).observe(seconds)

            store = _store(index_dir, opensearch, name)
            watcher = _watcher(watch_sources, store, quiet, stable, rescan, polling, observe=observe)
            threading.Thread(target=watcher.run, name="sandhan-watch", daemon=True).start()

    if workers <= 1:
        start_watching()
        _serve_worker(index_dir, sock, threads, access_log, cluster=cluster)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: its own app, searcher and caches, nothing shared but the socket
            try:
                _serve_worker(index_dir, sock, threads, access_log, parent=os.getppid(), cluster=cluster)
            finally:
                os._exit(0)
        children.append(pid)
    start_watching()  # after the forks: a thread does not survive one

    def stop(signum, frame) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        os.waitpid(pid, 0)


def _serve_worker(
    index_dir: str,
    sock: socket.socket,
    threads: int,
    access_log: str | None,
    parent: int | None = None,
    cluster: dict | None = None,
) -> None:
    from waitress import serve as waitress_serve

    from web import create_app

    app = create_app({"INDEX_DIR": index_dir, "WARM": True, "ACCESS_LOG": access_log, **(cluster or {})})
    # Open the index now: the switch to it starts filling its caches (vocabulary for romanized
    # queries and suggestions, frequent words) before the first reader needs them.
    threading.Thread(target=_open_index, args=(app,), daemon=True).start()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    waitress_serve(app, sockets=[sock], threads=threads, ident="sandhan")


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (even by SIGKILL) stops serving instead of lingering."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _open_index(app) -> None:
    from search.store import StoreDamaged

    try:
        app.extensions["sandhan"].health()
    except StoreDamaged as exc:
        click.echo(f"warning: {exc}", err=True)
    except Exception:  # no index yet: the first request says so
        pass


if __name__ == "__main__":
    main()
