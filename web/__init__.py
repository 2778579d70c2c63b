"""Sandhan's Flask app: the web search page and the JSON API over one SearchEngine."""

from __future__ import annotations

import os

from flask import Flask
from flask_compress import Compress
from werkzeug.routing import BaseConverter

from search.article import ARTICLE_PATH, article_id_of_segment, article_path_segment
from search.engine import SearchEngine
from search.stores import open_store

# An article's page, as `search.article.article_url` writes its address; "/api" in front of it,
# the article as JSON.
ARTICLE_ROUTE = ARTICLE_PATH + "<article_id:article_id>"


class ArticleIdConverter(BaseConverter):
    """`<article_id:...>` in a route: the article id as `search.article.article_url` writes it, so
    url_for and the API's `url` fields give the same address for any id."""

    def to_python(self, value: str) -> str:
        return article_id_of_segment(value)

    def to_url(self, value: str) -> str:
        return article_path_segment(value)


def create_app(test_config: dict | None = None) -> Flask:
    """App factory: defaults, then $SANDHAN_INDEX ($SANDHAN_OPENSEARCH: a cluster instead), then
    the test config (INDEX_DIR, or OPENSEARCH and OPENSEARCH_NAME)."""
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=os.environ.get("SANDHAN_INDEX", "index"),
        OPENSEARCH=os.environ.get("SANDHAN_OPENSEARCH") or None,
        OPENSEARCH_NAME=os.environ.get("SANDHAN_OPENSEARCH_NAME", "sandhan"),
    )
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # Bangla stays readable in the JSON
    app.json.sort_keys = False
    app.url_map.converters["article_id"] = ArticleIdConverter
    # A server fills each new generation's caches in the background as soon as it switches, and
    # searches by the spelling typed until the lexicon is at hand (SearchEngine.lexicon_now).
    server = app.config.get("WARM", False)
    store = open_store(
        app.config["INDEX_DIR"],
        opensearch=app.config["OPENSEARCH"],
        name=app.config["OPENSEARCH_NAME"],
        server=server,
    )
    app.extensions["sandhan"] = SearchEngine(store, lexicon_now=not server)

    from web import api, errors, feeds, operations, pages

    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(feeds.bp)
    operations.install(app)  # /metrics, the access log (config ACCESS_LOG), Cache-Control
    app.after_request(_security_headers)
    # Pages, JSON and static files go out compressed for clients that say they accept it (zstd,
    # brotli, gzip): a results page shrinks by about four fifths (BENCHMARKS.md: the page).
    Compress(app)
    return app


def service() -> SearchEngine:
    from flask import current_app

    return current_app.extensions["sandhan"]


def _security_headers(response):
    # No inline script and nothing from another host; see web/static for our own script.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
