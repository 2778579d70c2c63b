"""The JSON API: /api/search, /api/articles/<id>, /healthz, /openapi.json."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from web import ARTICLE_ROUTE, service
from web.errors import echoed
from web.openapi import openapi_document
from web.params import parse_request

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def search():
    return jsonify(service().search(parse_request(request.args)))


@bp.get("/api/suggest")
def suggest():
    return jsonify(service().suggest(request.args.get("q", "")[:200]))


@bp.get("/api" + ARTICLE_ROUTE)
def article(article_id: str):
    found = service().article(article_id)
    if found is None:
        abort(404, description=f"No article with id {echoed(article_id)!r}")
    return jsonify(found)


@bp.get("/healthz")
def healthz():
    return jsonify(service().health())


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
