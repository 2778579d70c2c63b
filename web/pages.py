"""The HTML pages: the search page and the article page, in Bangla, without a line of script needed.

The search page calls the same `SearchEngine.search` as /api/search, so the two always agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, g, render_template, request, url_for
from markupsafe import Markup

from search.query import MAX_CLAUSES, MAX_QUERY_CHARS, MAX_WORDS
from search.snippets import highlight_html
from search.text_terms import token_spans
from web import ARTICLE_ROUTE, months, service
from web.errors import echoed
from web.params import MAX_DESK_CHARS, MAX_PAGE, MAX_PER_PAGE, BadRequest, parse_request

bp = Blueprint("pages", __name__)

# The parameters a search is made of, each with the SearchRequest field that holds it as the server
# read it: kept across pages, filters, the chart and the article page (`link_args`, `search_url`).
SEARCH_PARAMS = {
    "q": "q",
    "from": "date_from",
    "to": "date_to",
    "desk": "desk",
    "sort": "sort",
    "dates": "dates",
    "per_page": "per_page",
    "page": "page",
    "romanized": "romanized",
}
# Values a link leaves out, being what the server assumes without them: equal searches, equal URLs.
DEFAULT_VALUES = {("sort", "relevance"), ("page", "1"), ("romanized", "on"), ("dates", "auto")}
SORT_LABELS = {"relevance": "প্রাসঙ্গিকতা", "newest": "নতুন আগে", "oldest": "পুরনো আগে"}
DESKS_SHOWN = 12  # the rest fold under "আরও"
DESCRIPTION_CHARS = 160  # an article page's meta description: its opening, cut at a word
PAGE_WINDOW = 2  # page links either side of the current one


@dataclass(frozen=True)
class FormError:
    field: str  # the request parameter, also the id of the input the message sits next to
    message: str


@dataclass(frozen=True)
class DateLine:
    """What the page says under the search box about a date typed in the query, with its one click."""

    window: str  # the window read, in Bangla: "১২–১৮ আগস্ট ২০২৪"
    applied: bool
    # Applied: the same search with the date's words searched as words (dates=off). Offered: the
    # same search with the reading applied (dates=on, and without from/to, which would win over it).
    href: str


@bp.record_once
def _tidy_templates(state) -> None:
    # Block tags leave no blank lines behind: the page source stays readable. Only our templates
    # use this environment (the API answers JSON).
    state.app.jinja_env.trim_blocks = True
    state.app.jinja_env.lstrip_blocks = True
    # The query limits (search/query.py), for the page that says a query was cut to them.
    state.app.jinja_env.globals["limits"] = {
        "chars": MAX_QUERY_CHARS,
        "clauses": MAX_CLAUSES,
        "words": MAX_WORDS,
    }


@bp.app_template_filter("bn")
def bn_filter(n: int) -> str:
    return months.bn_number(int(n))


@bp.app_template_filter("bn_stamp")
def bn_stamp_filter(iso: str | None) -> str:
    return months.bangla_stamp(iso)


@bp.app_template_filter("bn_date")
def bn_date_filter(day: date) -> str:
    return months.bangla_date(day)


def link_args(args) -> dict[str, str]:
    """The search as the form and every link carry it: each parameter as the server read it (the
    query cut to MAX_QUERY_CHARS and cleaned, dates in ISO form), and a value it refused left out,
    so a page never repeats more than was searched, however long the request."""
    shown = {}
    for key, read_as in SEARCH_PARAMS.items():
        if args.get(key) is None:
            continue
        try:
            value = getattr(parse_request({key: args.get(key)}), read_as)
        except BadRequest:
            continue
        if value not in (None, ""):
            shown[key] = value.isoformat() if isinstance(value, date) else str(value)
    return shown


def request_link_args() -> dict[str, str]:
    """`link_args` of this request, worked out once."""
    if "link_args" not in g:
        g.link_args = link_args(request.args)
    return g.link_args


@bp.app_template_global()
def search_url(args=None, **changes) -> str:
    """The search page URL for `args` (by default this request's `link_args`) with `changes`
    applied; a change to None drops the parameter.

    Defaults (DEFAULT_VALUES) are left out so that equal searches have equal URLs.
    """
    args = request_link_args() if args is None else args
    params = {k: args.get(k) for k in SEARCH_PARAMS if k != "page"}
    params.update(changes)
    clean = {}
    for key, value in params.items():
        if isinstance(value, date):
            value = value.isoformat()
        if value in (None, "") or (key, str(value)) in DEFAULT_VALUES:
            continue
        clean[key] = value
    return url_for("pages.home", **clean)


def bangla_message(exc: BadRequest, args) -> str:
    """What went wrong with one parameter and what to type instead, in Bangla."""
    raw = (args.get(exc.field) or "").strip()
    shown = echoed(raw)
    if exc.code == "bad_range":
        return "শুরুর তারিখটি শেষের তারিখের পরে পড়েছে। তারিখ দুটি অদলবদল করে আবার খুঁজুন।"
    if exc.field in ("from", "to"):
        which = "শুরুর" if exc.field == "from" else "শেষের"
        return (
            f"{which} তারিখ “{shown}” পড়া গেল না: এমন দিন নেই, বা লেখার ধরনটি অচেনা। "
            "এভাবে লিখুন: ২০২৪-০৮-১৫ বা ১৫ আগস্ট ২০২৪।"
        )
    if exc.field == "sort":
        return "এভাবে সাজানো যায় না। প্রাসঙ্গিকতা, নতুন আগে বা পুরনো আগে থেকে একটি বেছে নিন।"
    if exc.field == "page":
        return f"পাতা নম্বর ১ থেকে {months.bn_number(MAX_PAGE)}-এর মধ্যে একটি পূর্ণসংখ্যা হতে হবে।"
    if exc.field == "per_page":
        return f"প্রতি পাতায় ১ থেকে {months.bn_number(MAX_PER_PAGE)}টি ফল দেখানো যায়।"
    if exc.field == "dates":
        return "প্রশ্নে লেখা তারিখ সময় হিসেবে পড়া হবে কি না: auto, on বা off লিখুন।"
    if exc.field == "romanized":
        return "ইংরেজি হরফে লেখা শব্দ বাংলায় পড়া হবে কি না: on বা off লিখুন।"
    if exc.field == "desk":
        return f"ডেস্কের নাম {months.bn_number(MAX_DESK_CHARS)} অক্ষরের বেশি হয় না। তালিকা থেকে একটি ডেস্ক বেছে নিন।"
    return "অনুসন্ধানের অনুরোধটি বোঝা যায়নি। শব্দগুলো আবার লিখে খুঁজুন।"


def date_line(reading: dict | None, args: dict[str, str]) -> DateLine | None:
    """The line for the answer's `date_reading` (None when no date was read)."""
    if reading is None:
        return None
    window = months.window_label(date.fromisoformat(reading["from"]), date.fromisoformat(reading["to"]))
    if reading["applied"]:
        return DateLine(window, True, search_url(args, dates="off"))
    return DateLine(window, False, search_url(args, dates="on", **{"from": None, "to": None}))


def date_field_value(key: str, args: dict[str, str]) -> str:
    """What the `from` or `to` field shows: the date the server read, as ১২/০৯/২০২৩ (the browser's
    own date field would show mm/dd/yyyy and refuse Bangla), or a refused one as typed, to mend."""
    if key in args:
        return months.bangla_slashed(date.fromisoformat(args[key]))
    return echoed((request.args.get(key) or "").strip())


def page_numbers(current: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last, a window round the current; None is a gap."""
    shown = {1, last, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)}
    out: list[int | None] = []
    for n in sorted(p for p in shown if 1 <= p <= last):
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


@bp.get("/")
def home():
    answer, error, req = None, None, None
    try:
        req = parse_request(request.args)
        answer = service().search(req)
    except BadRequest as exc:
        # The form comes back with the message next to the field: a 400, never a 500.
        error = FormError(exc.field, bangla_message(exc, request.args))
    args = request_link_args()
    context = {
        "args": args,
        "q": args.get("q", ""),
        "answer": answer,
        "error": error,
        "searched": any(args.get(k) for k in ("q", "from", "to", "desk")),
        "date_from": args.get("from", ""),  # ISO, as the quick ranges are compared
        "date_to": args.get("to", ""),
        "date_fields": {key: date_field_value(key, args) for key in ("from", "to")},
        "sort": args.get("sort") or "relevance",
        "sort_labels": SORT_LABELS,
        "quick_ranges": months.quick_ranges(months.today_dhaka()),
        "desks_shown": DESKS_SHOWN,
        "date_line": None,
    }
    if error and error.field == "from" and args.get("from") and args.get("to"):
        context["swap_url"] = search_url(args, **{"from": args.get("to"), "to": args.get("from")})
    if answer is not None:
        last = min(math.ceil(answer["total"] / req.per_page), MAX_PAGE)
        reading = answer["date_reading"]
        # The window searched: the one read from the query when it was applied (from/to are then
        # empty), else the fields'. The chart draws it in full.
        window = (req.date_from, req.date_to)
        if reading and reading["applied"]:
            window = (date.fromisoformat(reading["from"]), date.fromisoformat(reading["to"]))
        context.update(
            req=req,
            date_line=date_line(reading, args),
            chart=months.month_chart(answer["facets"]["month"], *window),
            last_page=last,
            pages=page_numbers(req.page, last) if last > 1 else [],
            first_shown=(req.page - 1) * req.per_page + 1,
            last_shown=(req.page - 1) * req.per_page + len(answer["results"]),
            article_params=args,
        )
    return render_template("search.html", **context), 400 if error else 200


@bp.get(ARTICLE_ROUTE)
def article(article_id: str):
    found = service().article(article_id)
    if found is None:
        abort(404, description="এই খবরটি আর্কাইভে পাওয়া যায়নি। ঠিকানাটি আবার দেখুন, অথবা খুঁজে দেখুন।")
    args = request_link_args()
    q = args.get("q", "")
    terms = highlighted(args) if q.strip() else set()
    # highlight_html escapes the text and adds only <mark>, so the result is safe to render as is.
    title_html = Markup(highlight_html(found["title"], terms, token_spans))
    paragraphs = [
        Markup(highlight_html(p, terms, token_spans)) for p in found["body"].split("\n\n") if p.strip()
    ]
    marks = title_html.count("<mark>") + sum(p.count("<mark>") for p in paragraphs)
    back_url = search_url(args, page=args.get("page")) if args else None
    return render_template(
        "article.html",
        article=found,
        q=q,
        title_html=title_html,
        paragraphs=paragraphs,
        marks=marks,
        back_url=back_url,
        description=opening(found["body"], DESCRIPTION_CHARS),
    )


def highlighted(args: dict[str, str]) -> set[str]:
    """What the search that led to an article marks in it: its query planned as searching plans it
    (romanized words read, a typed date left out); a query whose other parameters are refused is
    still marked as typed."""
    try:
        req = parse_request(args)
    except BadRequest:
        req = parse_request({"q": args.get("q", "")})
    return service().highlight_terms(req)


def opening(text: str, limit: int) -> str:
    """The start of `text` up to `limit` characters, cut after a whole word (with … if cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
