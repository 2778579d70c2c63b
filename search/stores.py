"""Which store a command or a server uses: the Whoosh store in an index folder (the default), or
the OpenSearch store of a cluster when a URL is given (`--opensearch`, $SANDHAN_OPENSEARCH)."""

from __future__ import annotations

from pathlib import Path

from search.store import Store

DEFAULT_NAME = "sandhan"  # the OpenSearch store's alias


def open_store(
    index_dir: str | Path = "index",
    *,
    opensearch: str | None = None,
    name: str = DEFAULT_NAME,
    server: bool = False,
    shards: int = 1,
    replicas: int = 0,
) -> Store:
    """The store to search and build. `opensearch`: the URL of a cluster (the alias `name` in it;
    `shards` and `replicas` for what a rebuild creates), else the index folder `index_dir`.
    `server`: a long-running server, which fills each new generation's caches and checks its
    files in the background."""
    if opensearch:
        from search.opensearch_store import OpenSearchStore

        return OpenSearchStore(opensearch, name, shards=shards, replicas=replicas, warm_on_switch=server)
    from search.whoosh_store import WhooshStore

    return WhooshStore(index_dir, warm_on_switch=server)
