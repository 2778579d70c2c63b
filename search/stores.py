"""Which store a command or a server uses: the Whoosh store in an index folder (the default), or
the OpenSearch store of a cluster when a URL is given (`--opensearch`, $SANDHAN_OPENSEARCH)."""

from __future__ import annotations

from pathlib import Path

from search.store import Store


def open_store(index_dir: str | Path = "index", *, server: bool = False) -> Store:
    """The store to search and build. `server`: a long-running server, which fills each new
    generation's caches and checks its files in the background."""
    from search.whoosh_store import WhooshStore

    return WhooshStore(index_dir, warm_on_switch=server)
