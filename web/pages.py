"""The HTML pages: the search page and the article page (placeholder until the web issue)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from web import service

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    from search.service import BadRequest, parse_request

    answer, error = None, None
    try:
        req = parse_request(request.args)
        if req.q or request.args:
            answer = service().search(req)
    except BadRequest as exc:
        error = exc
    return render_template("search.html", answer=answer, error=error, args=request.args)


@bp.get("/articles/<article_id>")
def article(article_id: str):
    found = service().article(article_id)
    if found is None:
        abort(404, description="এই খবরটি পাওয়া যায়নি।")
    return render_template("article.html", article=found, q=request.args.get("q", ""))
