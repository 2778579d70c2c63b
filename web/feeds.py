"""Every search as an Atom feed (RFC 4287): /search.atom takes the parameters of /api/search and
lists the newest matches first, so a reporter follows a topic in any feed reader.

The feed is made from the same `SearchEngine.search` answer as the API, with `sort=newest`
whatever was asked (a feed's newest entry comes first) and the first page only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for

from web import service
from web.errors import error_response
from web.params import BadRequest, parse_request

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20  # without per_page: the entries of a feed
FEED_TITLE = "সন্ধান"
# Parameters that a feed's address leaves out: it is always the first page, newest first.
NOT_IN_FEED = {"page", "sort"}


@bp.record_once
def _template_helper(state) -> None:
    state.app.jinja_env.globals["search_feed_url"] = search_feed_url


def search_feed_url(args: dict) -> str:
    """The feed of the search a page shows (`args`: its parameters as the page links them)."""
    return url_for("feeds.search_atom", **{k: v for k, v in args.items() if k not in NOT_IN_FEED and v})


@bp.get("/search.atom")
def search_atom():
    try:
        req = parse_request(request.args)
    except BadRequest as exc:  # the API's error, in JSON: a feed reader shows its message
        return error_response(400, exc.code, exc.message, parameter=exc.field)
    per_page = req.per_page if "per_page" in request.args else FEED_ENTRIES
    answer = service().search(replace(req, sort="newest", page=1, per_page=per_page))
    body = atom_feed(answer, generated=service().health()["built_at"])
    return Response(body, mimetype="application/atom+xml", content_type="application/atom+xml; charset=utf-8")


def atom_feed(answer: dict, generated: str | None) -> bytes:
    """The Atom document of a search answer (`generated`: when the index was built, the time of
    an undated article and of a feed without entries)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    self_url = request.url
    query = answer["query"]
    _text(feed, "id", self_url)
    _text(feed, "title", f"{query} — {FEED_TITLE}" if query else f"{FEED_TITLE}: নতুন খবর")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", FEED_TITLE)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=self_url)
    page_args = {k: v for k, v in request.args.items() if k not in NOT_IN_FEED | {"per_page"}}
    html_url = url_for("pages.home", _external=True, sort="newest", **page_args)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=html_url)
    fallback = generated or datetime.now(UTC).isoformat(timespec="seconds")
    times = []
    entries = []
    for result in answer["results"]:
        updated = result["updated"] or result["published"] or fallback
        times.append(datetime.fromisoformat(updated))
        entry = ET.Element(f"{{{ATOM}}}entry")
        article_url = request.host_url.rstrip("/") + result["url"]
        _text(entry, "id", article_url)
        _text(entry, "title", result["title"])
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=article_url)
        if result["published"]:
            _text(entry, "published", result["published"])
        _text(entry, "updated", updated)
        if result["desk"]:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=result["desk"])
        # The snippet's HTML (escaped text, our <mark> only) as Atom's escaped HTML summary.
        _text(entry, "summary", result["snippet_html"]).set("type", "html")
        entries.append(entry)
    _text(feed, "updated", max(times).isoformat() if times else fallback)
    feed.extend(entries)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = NOT_XML.sub("", text)
    return element


# Characters XML 1.0 cannot hold at all, even escaped: a page's text could bring one.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
