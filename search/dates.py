"""Bangla dates and times: digits, month names and the date stamps Bangla news pages print.

Shared by the saved-page reader and the HTTP API, so both accept exactly the same spellings.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from search.article import DHAKA
from search.bangla import (
    COMPOSE,
    DROP_INVISIBLE,
    TO_ASCII_DIGITS,
    TO_BANGLA_DIGITS,
    compose_nukta,
)

__all__ = [
    "BENGALI_CALENDAR_MONTHS",
    "BENGALI_MONTH_NAMES",
    "DATE_PATTERN",
    "EXPECTED_DATE",
    "MAX_DATE_CHARS",
    "MONTH_NAMES",
    "WEEKDAYS",
    "fold_name",
    "format_bangla",
    "is_bengali_calendar_month",
    "month_number",
    "parse_date",
    "parse_stamp",
    "to_ascii_digits",
    "to_bangla_digits",
    "weekday_number",
]


# Gregorian month number -> spellings found in Bangla news: the standard one first (used for
# display), then variants (ী for ি, ষ for স, অ- for আ-), then English names and abbreviations.
# Both encodings of য় ড় ঢ় are accepted through fold_name(), so only one is listed here.
MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("জানুয়ারি", "জানুয়ারী", "জানুআরি", "January", "Jan"),
    2: ("ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রুআরি", "ফেব্রূয়ারি", "February", "Feb"),
    3: ("মার্চ", "March", "Mar"),
    4: ("এপ্রিল", "এপ্রীল", "April", "Apr"),
    5: ("মে", "মেই", "May"),
    6: ("জুন", "June", "Jun"),
    7: ("জুলাই", "জুলায়", "July", "Jul"),
    8: ("আগস্ট", "আগষ্ট", "অগাস্ট", "অগস্ট", "আগাস্ট", "August", "Aug"),
    9: ("সেপ্টেম্বর", "সেপ্টেম্বার", "সেপ্তেম্বর", "September", "Sept", "Sep"),
    10: ("অক্টোবর", "অক্টোবার", "অক্তোবর", "October", "Oct"),
    11: ("নভেম্বর", "নভেম্বার", "November", "Nov"),
    12: ("ডিসেম্বর", "ডিসেম্বার", "December", "Dec"),
}

# Months of the Bengali (Bangabda) calendar, বৈশাখ = 1, in their spellings (the standard first):
# pages print the crawl date in it as a second line, and readers type dates in it
# (search/query_dates.py converts them). Both encodings of য় ড় ঢ় are accepted through fold_name().
BENGALI_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("বৈশাখ",),
    2: ("জ্যৈষ্ঠ", "জৈষ্ঠ", "জ্যেষ্ঠ"),
    3: ("আষাঢ়", "আষাঢ"),
    4: ("শ্রাবণ", "শ্রাবন"),
    5: ("ভাদ্র",),
    6: ("আশ্বিন",),
    7: ("কার্তিক", "কার্ত্তিক"),
    8: ("অগ্রহায়ণ", "অঘ্রাণ", "অগ্রহায়ন", "অঘ্রান"),
    9: ("পৌষ",),
    10: ("মাঘ",),
    11: ("ফাল্গুন", "ফাগুন"),
    12: ("চৈত্র",),
}
BENGALI_CALENDAR_MONTHS: tuple[str, ...] = tuple(n for names in BENGALI_MONTH_NAMES.values() for n in names)

# Weekday (Monday = 0, as datetime.weekday()) -> spellings; রোববার is as common as রবিবার.
WEEKDAYS: dict[int, tuple[str, ...]] = {
    0: ("সোমবার", "Monday", "Mon"),
    1: ("মঙ্গলবার", "Tuesday", "Tue"),
    2: ("বুধবার", "Wednesday", "Wed"),
    3: ("বৃহস্পতিবার", "বৃহষ্পতিবার", "Thursday", "Thu"),
    4: ("শুক্রবার", "Friday", "Fri"),
    5: ("শনিবার", "Saturday", "Sat"),
    6: ("রবিবার", "রোববার", "Sunday", "Sun"),
}


def fold_name(name: str) -> str:
    """Lookup key for a month or weekday name: one encoding of য় ড় ঢ়, no joiners, no case."""
    return compose_nukta(name.translate(DROP_INVISIBLE).strip().rstrip(".,")).casefold()


_MONTH_BY_KEY = {fold_name(n): m for m, names in MONTH_NAMES.items() for n in names}
_BENGALI_MONTH_KEYS = frozenset(fold_name(n) for n in BENGALI_CALENDAR_MONTHS)
_WEEKDAY_BY_KEY = {fold_name(n): d for d, names in WEEKDAYS.items() for n in names}


def month_number(name: str) -> int | None:
    """1-12 for a Gregorian month name in any accepted spelling or encoding, else None."""
    return _MONTH_BY_KEY.get(fold_name(name))


def weekday_number(name: str) -> int | None:
    """0 (Monday) to 6 for a weekday name in Bangla or English, else None."""
    return _WEEKDAY_BY_KEY.get(fold_name(name))


def is_bengali_calendar_month(name: str) -> bool:
    return fold_name(name) in _BENGALI_MONTH_KEYS


def to_ascii_digits(s: str) -> str:
    """'১২:০৫' -> '12:05'; everything else is left as it is."""
    return s.translate(TO_ASCII_DIGITS)


def to_bangla_digits(s: str) -> str:
    """'12:05' -> '১২:০৫'; everything else is left as it is."""
    return s.translate(TO_BANGLA_DIGITS)


# Patterns run on text whose digits were made ASCII and whose whitespace runs (NBSP too) were made
# one space; [0-9], not \d, which would also match ০-৯. Only bounded optional parts, so no
# backtracking blow-up on hostile input.
_STAMP_RE = re.compile(r"([0-9]{1,2}) ([^\s,0-9]+) ?,? ?([0-9]{4}) ?,? ?([0-9]{1,2}) ?[:.] ?([0-9]{2})")
_DAY_MONTH_YEAR_RE = re.compile(r"([0-9]{1,2}) ([^\s,0-9]+) ?,? ?([0-9]{4})")
_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_SLASHED_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
# Longer than any date or stamp, even with odd spacing: refused before any pattern runs.
MAX_DATE_CHARS = 100

EXPECTED_DATE = "expected 2023-09-12, ১২ সেপ্টেম্বর ২০২৩, ১২/০৯/২০২৩ or 12/09/2023"


def _prepare(text: str, what: str) -> str:
    """ASCII digits, single spaces, no padding; ValueError for text too long to be a date."""
    if len(text) > MAX_DATE_CHARS:
        raise ValueError(f"not {what}: {len(text)} characters is too long")
    return " ".join(to_ascii_digits(text).split())


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"no such day: {text.strip()!r} (day {day}, month {month}, year {year})") from None


def parse_stamp(text: str) -> datetime:
    """'১২ সেপ্টেম্বর ২০২৩, ১৫:০১' -> 2023-09-12 15:01+06:00 (Dhaka time; ASCII digits work too)."""
    m = _STAMP_RE.fullmatch(_prepare(text, "a date and time"))
    if m is None:
        raise ValueError(f"not a date and time: {text!r} (expected ১২ সেপ্টেম্বর ২০২৩, ১৫:০১)")
    day, month_name, year, hour, minute = m.groups()
    month = month_number(month_name)
    if month is None:
        raise ValueError(f"unknown month name {month_name!r} in {text!r}")
    d = _make_date(int(year), month, int(day), text)
    if int(hour) > 23 or int(minute) > 59:
        raise ValueError(f"no such time of day: {hour}:{minute} in {text!r}")
    return datetime(d.year, d.month, d.day, int(hour), int(minute), tzinfo=DHAKA)


def parse_date(text: str) -> date:
    """A calendar date from '2023-09-12', '১২ সেপ্টেম্বর ২০২৩', '১২/০৯/২০২৩' or '12/09/2023'.

    Slashed dates are day/month/year, as written in Bangladesh. Raises ValueError otherwise.
    """
    ascii_text = _prepare(text, "a date")
    if m := _ISO_RE.fullmatch(ascii_text):
        year, month, day = (int(g) for g in m.groups())
        return _make_date(year, month, day, text)
    if m := _SLASHED_RE.fullmatch(ascii_text):
        day, month, year = (int(g) for g in m.groups())
        return _make_date(year, month, day, text)
    if m := _DAY_MONTH_YEAR_RE.fullmatch(ascii_text):
        day_s, month_name, year_s = m.groups()
        month = month_number(month_name)
        if month is None:
            raise ValueError(f"unknown month name {month_name!r} in {text!r}; {EXPECTED_DATE}")
        return _make_date(int(year_s), month, int(day_s), text)
    raise ValueError(f"not a date: {text!r}; {EXPECTED_DATE}")


def _month_spellings(name: str) -> set[str]:
    """A month name as DATE_PATTERN writes it: both encodings of য় ড় ঢ়, English in three cases."""
    forms = {name}
    for decomposed, composed in COMPOSE:
        forms |= {f.replace(composed, decomposed) for f in forms}
        forms |= {f.replace(decomposed, composed) for f in forms}
    if name.isascii():
        forms |= {name.lower(), name.upper()}
    return forms


# Digits in either script: [0০], [1১], ...; a range of them: [0-2০-২].
_DIGIT = "[0-9০-৯]"
_YEAR = f"[1-9১-৯]{_DIGIT}{{3}}"  # 1000-9999: no news from before
_MONTH = "(?:[0০]?[1-9১-৯]|[1১][0-2০-২])"  # 1-12, perhaps with a leading zero
_DAY = "(?:[0০]?[1-9১-৯]|[12১২][0-9০-৯]|[3৩][01০১])"  # 1-31, perhaps with a leading zero
_MONTH_NAMES = "|".join(
    sorted({spelling for names in MONTH_NAMES.values() for n in names for spelling in _month_spellings(n)})
)
# The date spellings the API reads, as one regular expression that means the same in Python and
# in the OpenAPI document (ECMA-262): the shapes parse_date reads, with the month names it knows.
# Whether the day exists (2023-02-30) is parse_date's to say. It ends in (?![\s\S]), not $,
# which in Python (jsonschema, Hypothesis) also matches before a final newline.
DATE_PATTERN = (
    f"^(?:{_YEAR}-{_MONTH}-{_DAY}|{_DAY}/{_MONTH}/{_YEAR}|{_DAY} (?:{_MONTH_NAMES})[.]? ?,? ?{_YEAR})"
    r"(?![\s\S])"
)


def format_bangla(dt: datetime | date) -> str:
    """2023-09-12 15:01 -> '১২ সেপ্টেম্বর ২০২৩, ১৫:০১', in Dhaka time; a date gives no time part.

    Aware datetimes are converted to Dhaka time; naive ones are taken to be Dhaka time already.
    """
    if isinstance(dt, datetime):
        if dt.tzinfo is not None:
            dt = dt.astimezone(DHAKA)
        text = f"{dt.day:02d} {MONTH_NAMES[dt.month][0]} {dt.year:04d}, {dt.hour:02d}:{dt.minute:02d}"
    else:
        text = f"{dt.day:02d} {MONTH_NAMES[dt.month][0]} {dt.year:04d}"
    return to_bangla_digits(text)
