"""Dates typed in a query: "বন্যা গত সপ্তাহে", "ডেঙ্গু আগস্ট ২০২৪", "১২ ভাদ্র ১৪৩০ পুতিন".

`read_date(query, today)` finds the first date expression in a query and says which days it
means. Only what a reader clearly meant as *when* is `definite` (a full date, a month with its
year, a range, a relative expression) and becomes a filter; a bare year or a day and month
without a year (২১ ফেব্রুয়ারি, পহেলা বৈশাখ are topics too) is only offered.

The query is read a whitespace token at a time; each token is classified by the tables below
(digits in either script, month names in their spellings and case endings, the Bengali
calendar's months), then the patterns in `_PATTERNS` are tried at each token, longest first.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from search.bangla import TO_ASCII_DIGITS
from search.dates import BENGALI_MONTH_NAMES, fold_name, month_number

# Case endings a month name takes in a query (আগস্টে, আগস্টের, জানুয়ারিতে, নভেম্বরের): tried
# longest first; what is left must be a month name.
MONTH_ENDINGS = ("য়ের", "তে", "ের", "এর", "র", "ে", "এ", "য়")
# Words around dates: "থেকে"/"হতে"/"to"/"-" join the two ends of a range; "সালের"/"সালে" after a
# year ("২০১৩ সালের নভেম্বরে").
RANGE_WORDS = frozenset({"থেকে", "হতে", "to", "-", "–", "—", "until"})
YEAR_WORDS = frozenset({"সাল", "সালের", "সালে", "সালটি"})
# Relative expressions: a word or two, and the days they mean counted back from today.
TODAY_WORDS = frozenset({"আজ", "আজকে", "আজকের", "today"})
YESTERDAY_WORDS = frozenset({"গতকাল", "গতকালের", "yesterday"})
LAST_WORDS = frozenset({"গত", "last", "past"})  # গত সপ্তাহে: the week before this one
THIS_WORDS = frozenset({"এই", "চলতি", "this"})
AGO_WORDS = frozenset({"আগে", "ago"})
# The first day of a month by its name (পহেলা বৈশাখ, পয়লা ফাল্গুন).
FIRST_DAY_WORDS = {fold_name(w): 1 for w in ("পহেলা", "পয়লা", "পয়লা")}
# Units of time, with their case endings: দিন/দিনে, সপ্তাহ/সপ্তাহে, মাস/মাসে, বছর/বছরে.
UNITS = {
    "দিন": "day",
    "দিনে": "day",
    "দিনের": "day",
    "day": "day",
    "days": "day",
    "সপ্তাহ": "week",
    "সপ্তাহে": "week",
    "সপ্তাহের": "week",
    "week": "week",
    "weeks": "week",
    "মাস": "month",
    "মাসে": "month",
    "মাসের": "month",
    "month": "month",
    "months": "month",
    "বছর": "year",
    "বছরে": "year",
    "বছরের": "year",
    "year": "year",
    "years": "year",
}
# Years a query's 4-digit number may be: Gregorian years of a news archive, Bengali years of it.
GREGORIAN_YEARS = range(1950, 2101)
BENGALI_YEARS = range(1357, 1508)  # the same span: Bengali year + 593 is the Gregorian year it starts in
_DAY_RANGE = re.compile(r"([0-9]{1,2})[-–—]([0-9]{1,2})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})")
_PUNCTUATION = ",।;:!?()\"'‘’“”"


@dataclass(frozen=True)
class DateReading:
    """What a query's words say about when: the words (as typed, `start`:`end` of the query) and
    the days they mean, inclusive; `definite` readings are applied, the rest offered."""

    text: str
    start: int
    end: int
    date_from: date
    date_to: date
    definite: bool


@dataclass(frozen=True)
class _Token:
    raw: str  # as typed
    start: int
    end: int
    word: str  # ASCII digits, no punctuation around, one encoding of য়/ড়/ঢ়, lower case


# --- the Bengali calendar (Bangladesh's revised calendar) --------------------------------------

# Days in each month, বৈশাখ first; ফাল্গুন (11) has 30 in a Gregorian leap year.
BENGALI_MONTH_DAYS = (31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 29, 30)
FALGUN = 11


def bengali_month_days(month: int, year: int) -> int:
    """Days in a month of Bengali year `year`: ফাল্গুন falls in February–March of the Gregorian
    year `year` + 594, and has 30 days when that year is a leap year."""
    if month == FALGUN and calendar.isleap(year + 594):
        return 30
    return BENGALI_MONTH_DAYS[month - 1]


def bengali_to_gregorian(day: int, month: int, year: int) -> date:
    """১ বৈশাখ of Bengali year Y is 14 April of Y + 593; ValueError for a day the month lacks."""
    if not 1 <= month <= 12 or not 1 <= day <= bengali_month_days(month, year):
        raise ValueError(f"no such day: {day} of month {month} of {year}")
    days = sum(bengali_month_days(m, year) for m in range(1, month)) + day - 1
    return date(year + 593, 4, 14) + timedelta(days=days)


def gregorian_to_bengali(day: date) -> tuple[int, int, int]:
    """(day, month, year) of the Bengali calendar for a Gregorian date: `bengali_to_gregorian`
    read backwards."""
    year = day.year - 593 if day >= date(day.year, 4, 14) else day.year - 594
    left = (day - date(year + 593, 4, 14)).days
    for month in range(1, 13):
        if left < bengali_month_days(month, year):
            return left + 1, month, year
        left -= bengali_month_days(month, year)
    raise AssertionError("a Bengali year has the days of the Gregorian year it spans")


def bengali_month_window(month: int, year: int) -> tuple[date, date]:
    first = bengali_to_gregorian(1, month, year)
    return first, first + timedelta(days=bengali_month_days(month, year) - 1)


# --- tokens ------------------------------------------------------------------------------------


def _tokens(query: str) -> list[_Token]:
    found = []
    for m in re.finditer(r"\S+", query):
        word = fold_name(m.group().strip(_PUNCTUATION)).translate(TO_ASCII_DIGITS)
        found.append(_Token(m.group(), m.start(), m.end(), word))
    return found


_ENDINGS = tuple(fold_name(e) for e in MONTH_ENDINGS)


def _strip_ending(word: str, lookup: Callable[[str], int | None]) -> int | None:
    """What `lookup` makes of the word, or of the word without a case ending."""
    found = lookup(word)
    for ending in _ENDINGS:
        if found is None and word.endswith(ending) and len(word) > len(ending) + 1:
            found = lookup(word[: -len(ending)])
    return found


_BENGALI_MONTH_BY_KEY = {fold_name(n): m for m, names in BENGALI_MONTH_NAMES.items() for n in names}


def _gregorian_month(token: _Token) -> int | None:
    return _strip_ending(token.word, month_number)


def _bengali_month(token: _Token) -> int | None:
    return _strip_ending(token.word, _BENGALI_MONTH_BY_KEY.get)


def _number(token: _Token, allowed: range) -> int | None:
    return int(token.word) if token.word.isdigit() and int(token.word) in allowed else None


def _day(token: _Token) -> int | None:
    return _number(token, range(1, 32))


# --- patterns ----------------------------------------------------------------------------------
# Each takes the tokens from a position and today, and returns (tokens used, from, to, definite)
# or None. Impossible dates (৩১ ফেব্রুয়ারি) read as nothing.

_Match = tuple[int, date, date, bool] | None


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _day_range_month_year(t: list[_Token], today: date) -> _Match:
    """১২-১৮ আগস্ট ২০২৪, ১২ থেকে ১৮ আগস্ট ২০২৪ (and in the Bengali calendar)."""
    if len(t) >= 3 and (m := _DAY_RANGE.fullmatch(t[0].word)):
        first, last, rest = int(m.group(1)), int(m.group(2)), t[1:]
    elif len(t) >= 5 and _day(t[0]) and t[1].word in RANGE_WORDS and _day(t[2]):
        first, last, rest = _day(t[0]), _day(t[2]), t[3:]
    else:
        return None
    found = _day_month_year(rest, today, days=(first, last))
    return (len(t) - len(rest) + found[0], *found[1:]) if found else None


def _day_month_range_year(t: list[_Token], today: date) -> _Match:
    """২৮ জুলাই থেকে ৩ আগস্ট ২০২৪: a range across months (or into the next year), the year said
    once, at the end."""
    if len(t) >= 6 and _day(t[0]) and (first_month := _gregorian_month(t[1])) and t[2].word in RANGE_WORDS:
        end = _day_month_year(t[3:], today)
        if end is not None:
            first = date(end[1].year, first_month, _day(t[0]))
            if first > end[1]:  # ২৮ ডিসেম্বর থেকে ৩ জানুয়ারি ২০২৪: the range starts the year before
                first = date(end[1].year - 1, first_month, _day(t[0]))
            return 3 + end[0], first, end[2], True
    return None


def _day_month_year(t: list[_Token], today: date, days: tuple[int, int] | None = None) -> _Match:
    """১২ আগস্ট ২০২৪, ১২ ভাদ্র ১৪৩০; with `days`, the month and year after a day range."""
    if days is None:
        if len(t) < 3 or _day(t[0]) is None:
            return None
        days, t = (_day(t[0]),) * 2, t[1:]
        used = 1
    else:
        used = 0
    if len(t) < 2:
        return None
    try:
        if (month := _gregorian_month(t[0])) and (year := _number(t[1], GREGORIAN_YEARS)):
            return used + 2, date(year, month, days[0]), date(year, month, days[1]), True
        if (month := _bengali_month(t[0])) and (year := _number(t[1], BENGALI_YEARS)):
            first, last = (bengali_to_gregorian(d, month, year) for d in days)
            return used + 2, first, last, True
    except ValueError:  # no such day
        return None
    return None


def _month_range_year(t: list[_Token], today: date) -> _Match:
    """আগস্ট থেকে অক্টোবর ২০২৪."""
    if len(t) >= 4 and t[1].word in RANGE_WORDS:
        first, last, year = _gregorian_month(t[0]), _gregorian_month(t[2]), _number(t[3], GREGORIAN_YEARS)
        if first and last and year and first <= last:
            return 4, _month_window(year, first)[0], _month_window(year, last)[1], True
    return None


def _month_year(t: list[_Token], today: date) -> _Match:
    """আগস্ট ২০২৪, ভাদ্র ১৪৩০."""
    if len(t) >= 2:
        if (month := _gregorian_month(t[0])) and (year := _number(t[1], GREGORIAN_YEARS)):
            return 2, *_month_window(year, month), True
        if (month := _bengali_month(t[0])) and (year := _number(t[1], BENGALI_YEARS)):
            return 2, *bengali_month_window(month, year), True
    return None


def _year_month(t: list[_Token], today: date) -> _Match:
    """২০১৩ সালের নভেম্বরে; a bare year (২০২৪ সালের) is offered, not applied."""
    if not t or (year := _number(t[0], GREGORIAN_YEARS)) is None:
        return None
    if len(t) >= 3 and t[1].word in YEAR_WORDS and (month := _gregorian_month(t[2])):
        return 3, *_month_window(year, month), True
    used = 2 if len(t) >= 2 and t[1].word in YEAR_WORDS else 1
    return used, date(year, 1, 1), date(year, 12, 31), False


def _numeric_date(t: list[_Token], today: date) -> _Match:
    """2024-08-12, 12/08/2024, 12.08.2024 (day first, as written in Bangladesh)."""
    if not t:
        return None
    try:
        if m := _ISO.fullmatch(t[0].word):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif m := _DAY_FIRST.fullmatch(t[0].word):
            day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            return None
    except ValueError:
        return None
    return 1, day, day, True


def _day_month(t: list[_Token], today: date) -> _Match:
    """২১ ফেব্রুয়ারি, ১৬ ডিসেম্বর, পহেলা বৈশাখ: a topic as often as a date, so only offered: the
    last such day up to today."""
    if len(t) < 2 or (day := FIRST_DAY_WORDS.get(t[0].word) or _day(t[0])) is None:
        return None
    if month := _gregorian_month(t[1]):
        candidates = (_gregorian_or_none(year, month, day) for year in (today.year, today.year - 1))
    elif month := _bengali_month(t[1]):
        this_year = gregorian_to_bengali(today)[2]
        candidates = (_bengali_or_none(day, month, year) for year in (this_year, this_year - 1))
    else:
        return None
    when = next((c for c in candidates if c is not None and c <= today), None)
    return (2, when, when, False) if when else None


def _gregorian_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _bengali_or_none(day: int, month: int, year: int) -> date | None:
    try:
        return bengali_to_gregorian(day, month, year)
    except ValueError:
        return None


def _relative(t: list[_Token], today: date) -> _Match:
    """আজ, গতকাল, গত পরশু, ৩ দিন আগে, গত ৭ দিনে, গত/এই/চলতি সপ্তাহে/মাসে/বছর, yesterday, last week."""
    w = [x.word for x in t[:3]]
    if w[:1] and w[0] in TODAY_WORDS:
        return 1, today, today, True
    if w[:1] and w[0] in YESTERDAY_WORDS:
        return 1, today - timedelta(1), today - timedelta(1), True
    if len(w) >= 2 and w[0] == "গত" and w[1] in ("কাল", "কালকে"):
        return 2, today - timedelta(1), today - timedelta(1), True
    if len(w) >= 2 and w[0] == "গত" and w[1] == "পরশু":
        return 2, today - timedelta(2), today - timedelta(2), True
    if len(w) >= 3 and w[0].isdigit() and len(w[0]) <= 4 and w[1] in UNITS and w[2] in AGO_WORDS:  # ৩ দিন আগে
        return 3, *_units_ago(int(w[0]), UNITS[w[1]], today), True
    if len(w) >= 3 and w[0] in LAST_WORDS and w[1].isdigit() and len(w[1]) <= 4 and w[2] in UNITS:
        back = _units_back(int(w[1]), UNITS[w[2]], today)
        return (3, back, today, True) if back else None
    if len(w) >= 2 and (w[0] in LAST_WORDS or w[0] in THIS_WORDS) and w[1] in UNITS:
        return 2, *_calendar_unit(UNITS[w[1]], today, last=w[0] in LAST_WORDS), True
    return None


def _units_back(n: int, unit: str, today: date) -> date | None:
    """The first day of the last `n` days/weeks/months/years, today counted (গত ৭ দিনে)."""
    if not 1 <= n <= 3650:
        return None
    days = {"day": n - 1, "week": 7 * n - 1, "month": 30 * n - 1, "year": 365 * n - 1}[unit]
    return today - timedelta(days=days)


def _units_ago(n: int, unit: str, today: date) -> tuple[date, date]:
    """The day, week, month or year that was `n` of them ago (৩ দিন আগে: that day)."""
    if unit == "day":
        return (today - timedelta(days=n),) * 2
    if unit == "week":
        start = today - timedelta(days=7 * n)
        return start, start + timedelta(days=6)
    if unit == "month":
        month_index = today.year * 12 + today.month - 1 - n
        return _month_window(month_index // 12, month_index % 12 + 1)
    return date(today.year - n, 1, 1), date(today.year - n, 12, 31)


def _calendar_unit(unit: str, today: date, last: bool) -> tuple[date, date]:
    """This or the last calendar week (Saturday first, as Bangladesh's week), month or year."""
    if unit in ("day",):
        day = today - timedelta(days=1) if last else today
        return day, day
    if unit == "week":
        start = today - timedelta(days=(today.weekday() - 5) % 7)  # the Saturday on or before today
        if last:
            start -= timedelta(days=7)
        return start, min(start + timedelta(days=6), today)
    if unit == "month":
        first, end = _month_window(today.year, today.month)
        if last:
            end = first - timedelta(days=1)
            first = end.replace(day=1)
        return first, min(end, today)
    year = today.year - 1 if last else today.year
    return date(year, 1, 1), min(date(year, 12, 31), today)


# Longest patterns first: a range before a date, a date before a month, a month before a year.
_PATTERNS = (
    _day_month_range_year,
    _day_range_month_year,
    _month_range_year,
    _day_month_year,
    _year_month,
    _month_year,
    _numeric_date,
    _relative,
    _day_month,
)


def read_date(query: str, today: date) -> DateReading | None:
    """The first definite date expression of `query`, else the first offered one, else None."""
    tokens = _tokens(query)
    offered: DateReading | None = None
    for i in range(len(tokens)):
        for pattern in _PATTERNS:
            try:
                found = pattern(tokens[i:], today)
            except (ValueError, OverflowError):  # a day before year 1 or after 9999: no date
                found = None
            if found is None:
                continue
            used, first, last, definite = found
            if first > last:
                continue
            reading = DateReading(
                query[tokens[i].start : tokens[i + used - 1].end],
                tokens[i].start,
                tokens[i + used - 1].end,
                first,
                last,
                definite,
            )
            if definite:
                return reading
            offered = offered or reading
            break
    return offered


def without(query: str, reading: DateReading) -> str:
    """The query with the words of a reading taken out (they are searched as a date, not words)."""
    return " ".join((query[: reading.start] + " " + query[reading.end :]).split())
