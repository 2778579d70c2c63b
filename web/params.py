"""The search parameters of the API, the page, the feed and `sandhan search`: their names, limits
and checks, defined once (web/openapi.py describes these same tables)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from search.dates import DATE_PATTERN, EXPECTED_DATE, parse_date
from search.engine import DATES, ROMANIZED, SearchRequest
from search.query import MAX_QUERY_CHARS, clean
from search.store import SORTS

MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_DESK_CHARS = 200  # a desk is a short line (the longest in the corpus has 19 characters)


class BadRequest(ValueError):
    """A request parameter that cannot be honoured; `field` names it, the message says why."""

    def __init__(self, field: str, message: str, code: str = "bad_parameter"):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def _int_param(args: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """A whole number in ASCII digits, as the OpenAPI document's `integer` says (not ২, 1_0 or +1)."""
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(name, f"`{name}` must be a whole number in digits 0-9, not {raw[:40]!r}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(name, f"`{name}` must be between {lo} and {hi}, not {value}")
    return value


def _date_param(args: Mapping[str, str], name: str) -> date | None:
    """A date in one of DATE_PATTERN's spellings (what the OpenAPI document says); empty is none."""
    raw = args.get(name) or ""
    if not raw:
        return None
    if not re.fullmatch(DATE_PATTERN, raw):
        raise BadRequest(name, f"`{name}` is not a date: {raw[:40]!r}; {EXPECTED_DATE}", code="bad_date")
    try:
        return parse_date(raw)
    except ValueError as exc:  # the spelling of a date, but no such day
        raise BadRequest(name, f"`{name}`: {exc}", code="no_such_day") from None


def parse_request(args: Mapping[str, str]) -> SearchRequest:
    """Validate query-string style parameters; raises BadRequest naming the parameter. An empty
    q, from, to or desk is the same as none (a form sends its empty fields)."""
    dates = args.get("dates") or "auto"
    if dates not in DATES:
        raise BadRequest("dates", f"`dates` must be one of {', '.join(DATES)}, not {dates[:40]!r}")
    sort = args.get("sort", "relevance")
    if sort not in SORTS:
        raise BadRequest("sort", f"`sort` must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    date_from, date_to = _date_param(args, "from"), _date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from", f"`from` ({date_from}) is after `to` ({date_to})", "bad_range")
    romanized = args.get("romanized", "on")
    if romanized not in ROMANIZED:
        raise BadRequest("romanized", f"`romanized` must be on or off, not {romanized[:40]!r}")
    desk = args.get("desk") or ""
    if len(desk) > MAX_DESK_CHARS:
        raise BadRequest("desk", f"`desk` is at most {MAX_DESK_CHARS} characters, not {len(desk)}")
    return SearchRequest(
        q=clean(args.get("q") or ""),  # what is searched, and all that an answer or a page repeats
        q_cut=len(args.get("q") or "") > MAX_QUERY_CHARS,
        dates=dates,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        desk=desk.strip() or None,
        page=_int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=_int_param(args, "per_page", 10, 1, MAX_PER_PAGE),
        romanized=romanized,
    )
