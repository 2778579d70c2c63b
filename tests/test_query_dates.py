"""Dates typed in a query (search/query_dates.py): a test per form and per calendar rule."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.dates import MONTH_NAMES, parse_date, to_ascii_digits, to_bangla_digits
from search.query_dates import (
    bengali_month_days,
    bengali_to_gregorian,
    gregorian_to_bengali,
    read_date,
    without,
)
from search.whoosh_store import WhooshStore

TODAY = date(2026, 12, 6)  # a Sunday


def reading(q: str, today: date = TODAY):
    r = read_date(q, today)
    return (r.text, str(r.date_from), str(r.date_to), r.definite) if r else None


@pytest.mark.parametrize(
    ("query", "expected", "rule"),
    [
        ("বাজেট ১২ জুন ২০২৪", ("১২ জুন ২০২৪", "2024-06-12", "2024-06-12", True), "day month year"),
        ("বাজেট 12 June 2024", ("12 June 2024", "2024-06-12", "2024-06-12", True), "English month"),
        ("ডেঙ্গু আগস্ট ২০২৪", ("আগস্ট ২০২৪", "2024-08-01", "2024-08-31", True), "month year"),
        ("ডেঙ্গু অগাস্ট ২০২৪", ("অগাস্ট ২০২৪", "2024-08-01", "2024-08-31", True), "a month's other spelling"),
        ("জানুয়ারী ২০২৪", ("জানুয়ারী ২০২৪", "2024-01-01", "2024-01-31", True), "ী spelling"),
        ("আগস্টে ২০২৪", ("আগস্টে ২০২৪", "2024-08-01", "2024-08-31", True), "case ending -ে"),
        ("জানুয়ারিতে ২০২৫", ("জানুয়ারিতে ২০২৫", "2025-01-01", "2025-01-31", True), "case ending -তে"),
        ("Feb 2024", ("Feb 2024", "2024-02-01", "2024-02-29", True), "abbreviation, leap February"),
        (
            "হরতাল ২০১৩ সালের নভেম্বরে",
            ("২০১৩ সালের নভেম্বরে", "2013-11-01", "2013-11-30", True),
            "YYYY সালের MONTH-এ",
        ),
        ("x 2024-08-12", ("2024-08-12", "2024-08-12", "2024-08-12", True), "ISO"),
        ("x ১২/০৮/২০২৪", ("১২/০৮/২০২৪", "2024-08-12", "2024-08-12", True), "day/month/year"),
        ("x 12.08.2024", ("12.08.2024", "2024-08-12", "2024-08-12", True), "day.month.year"),
        ("১২ থেকে ১৮ আগস্ট ২০২৪", ("১২ থেকে ১৮ আগস্ট ২০২৪", "2024-08-12", "2024-08-18", True), "range থেকে"),
        ("১২-১৮ আগস্ট ২০২৪", ("১২-১৮ আগস্ট ২০২৪", "2024-08-12", "2024-08-18", True), "range with -"),
        (
            "আগস্ট থেকে অক্টোবর ২০২৪",
            ("আগস্ট থেকে অক্টোবর ২০২৪", "2024-08-01", "2024-10-31", True),
            "a range of months",
        ),
        ("১২ ভাদ্র ১৪৩০ পুতিন", ("১২ ভাদ্র ১৪৩০", "2023-08-27", "2023-08-27", True), "Bengali calendar date"),
        ("শ্রাবন ১৪৩১", ("শ্রাবন ১৪৩১", "2024-07-16", "2024-08-15", True), "Bengali month, other spelling"),
        ("আষাঢ ১৪৩১", ("আষাঢ ১৪৩১", "2024-06-15", "2024-07-15", True), "আষাঢ without nukta"),
        (
            "২৮ জুলাই থেকে ৩ আগস্ট ২০২৪",
            ("২৮ জুলাই থেকে ৩ আগস্ট ২০২৪", "2024-07-28", "2024-08-03", True),
            "a range across months",
        ),
        (
            "২৮ ডিসেম্বর থেকে ৩ জানুয়ারি ২০২৪",
            ("২৮ ডিসেম্বর থেকে ৩ জানুয়ারি ২০২৪", "2023-12-28", "2024-01-03", True),
            "a range across the year's end",
        ),
        ("পহেলা বৈশাখ উৎসব", ("পহেলা বৈশাখ", "2026-04-14", "2026-04-14", False), "a festival: offered"),
        ("১২ ভাদ্র", ("১২ ভাদ্র", "2026-08-27", "2026-08-27", False), "Bengali day month: offered"),
        ("আজ", ("আজ", "2026-12-06", "2026-12-06", True), "today"),
        ("গতকাল বৃষ্টি", ("গতকাল", "2026-12-05", "2026-12-05", True), "yesterday"),
        ("গত কাল", ("গত কাল", "2026-12-05", "2026-12-05", True), "yesterday in two words"),
        ("গত পরশু", ("গত পরশু", "2026-12-04", "2026-12-04", True), "the day before yesterday"),
        ("৩ দিন আগে", ("৩ দিন আগে", "2026-12-03", "2026-12-03", True), "N days ago"),
        ("গত ৭ দিনে", ("গত ৭ দিনে", "2026-11-30", "2026-12-06", True), "the last N days, today counted"),
        ("বন্যা গত সপ্তাহে", ("গত সপ্তাহে", "2026-11-28", "2026-12-04", True), "last week, Saturday first"),
        ("এই মাসে", ("এই মাসে", "2026-12-01", "2026-12-06", True), "this month, to today"),
        ("চলতি বছর", ("চলতি বছর", "2026-01-01", "2026-12-06", True), "this year"),
        ("last month", ("last month", "2026-11-01", "2026-11-30", True), "English last month"),
        ("yesterday", ("yesterday", "2026-12-05", "2026-12-05", True), "English yesterday"),
        ("২০২৪ সালের নির্বাচন", ("২০২৪ সালের", "2024-01-01", "2024-12-31", False), "a bare year: offered"),
        ("২১ ফেব্রুয়ারি", ("২১ ফেব্রুয়ারি", "2026-02-21", "2026-02-21", False), "day month: offered"),
        ("১৬ ডিসেম্বর", ("১৬ ডিসেম্বর", "2025-12-16", "2025-12-16", False), "the last such day up to today"),
        ("ঢাকা বৃষ্টি", None, "no date"),
        ("১২ জন নিহত", None, "a number is no date"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_forms(query, expected, rule):
    assert reading(query) == expected, rule


def test_a_definite_reading_wins_over_an_earlier_offered_one():
    assert reading("২০২৪ সালের বন্যা আগস্ট ২০২৪")[1:] == ("2024-08-01", "2024-08-31", True)


def test_either_encoding_of_the_nukta_letters():
    decomposed = "\u0986\u09b7\u09be\u09a2\u09bc ১৪৩১"  # আষাঢ় with DDHA + NUKTA
    assert reading(decomposed)[1:3] == ("2024-06-15", "2024-07-15")
    assert reading("জানুয\u09bcারি ২০২৪")[1:] == reading("জানুয়ারি ২০২৪")[1:] == ("2024-01-01", "2024-01-31", True)


def test_the_words_read_are_taken_out_of_the_query():
    q = "ডেঙ্গু আগস্ট ২০২৪ ঢাকা"
    assert without(q, read_date(q, TODAY)) == "ডেঙ্গু ঢাকা"


# --- the Bengali calendar as Bangladesh uses it -----------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "gregorian", "rule"),
    [
        (1, 1, 1431, date(2024, 4, 14), "১ বৈশাখ is 14 April"),
        (31, 12, 1430, None, "চৈত্র has 30 days"),
        (30, 12, 1430, date(2024, 4, 13), "the year ends the day before 14 April"),
        (31, 6, 1431, date(2024, 10, 16), "বৈশাখ to আশ্বিন have 31 days"),
        (1, 7, 1431, date(2024, 10, 17), "কার্তিক follows"),
        (1, 9, 1432, date(2025, 12, 16), "16 December is ১ পৌষ"),
        (8, 11, 1431, date(2025, 2, 21), "21 February is ৮ ফাল্গুন"),
        (30, 11, 1430, date(2024, 3, 14), "ফাল্গুন has 30 days when its February is a leap one"),
        (30, 11, 1431, None, "and 29 otherwise"),
        (1, 12, 1431, date(2025, 3, 15), "চৈত্র after a 29-day ফাল্গুন"),
    ],
)
def test_bengali_calendar(day, month, year, gregorian, rule):
    if gregorian is None:
        with pytest.raises(ValueError):
            bengali_to_gregorian(day, month, year)
    else:
        assert bengali_to_gregorian(day, month, year) == gregorian, rule


def test_the_calendars_convert_both_ways_every_day():
    day = date(1990, 1, 1)
    while day < date(2031, 1, 1):
        assert bengali_to_gregorian(*gregorian_to_bengali(day)) == day
        day += timedelta(days=1)
    assert gregorian_to_bengali(date(2025, 12, 16)) == (1, 9, 1432)


def test_a_bengali_year_has_365_or_366_days():
    for year in range(1400, 1440):
        days = sum(bengali_month_days(m, year) for m in range(1, 13))
        assert days == (bengali_to_gregorian(1, 1, year + 1) - bengali_to_gregorian(1, 1, year)).days


@pytest.mark.corpus
def test_the_pages_own_crawl_dates_agree_in_both_calendars(shared_corpus):
    """Every page prints its crawl date twice: Gregorian, then Bengali. Both must read alike."""
    checked = 0
    for path in sorted((shared_corpus / "pages").glob("*.txt")):
        head = path.read_bytes()[:600].decode("utf-8", "replace").splitlines()[:4]
        for gregorian_line, bengali_line in zip(head, head[1:], strict=False):
            if "," not in gregorian_line or not bengali_line.strip():
                continue
            try:
                day = parse_date(gregorian_line.split(",", 1)[1])
            except ValueError:
                continue
            found = read_date(bengali_line, day)
            if found is None or not found.definite or found.text != bengali_line.strip():
                continue
            assert found.date_from == day, (path.name, to_ascii_digits(bengali_line))
            checked += 1
    assert checked > 4000


# --- in a search ---------------------------------------------------------------------------------


def test_a_definite_date_is_the_window_and_its_words_are_not_searched(live_server):
    month = live_server.get("/api/search", q="ঢাকা").json()["facets"]["month"][0]["value"]  # "2024-07"
    year, number = int(month[:4]), int(month[5:])
    typed = f"{MONTH_NAMES[number][0]} {to_bangla_digits(str(year))}"
    body = live_server.get("/api/search", q=f"ঢাকা {typed}").json()
    last = calendar.monthrange(year, number)[1]
    window = {"from": f"{month}-01", "to": f"{month}-{last:02d}"}
    assert body["date_reading"] == {"text": typed, **window, "applied": True}
    assert body["query"] == f"ঢাকা {typed}"
    windowed = live_server.get("/api/search", q="ঢাকা", **window).json()
    assert body["total"] == windowed["total"] > 0
    assert all(r["published"][:7] == month for r in body["results"])


def test_dates_off_searches_the_words_and_explicit_dates_win(live_server):
    off = live_server.get("/api/search", q="ঢাকা জানুয়ারি ২০২৪", dates="off").json()
    assert off["date_reading"] is None
    explicit = live_server.get("/api/search", q="ঢাকা জানুয়ারি ২০২৪", **{"from": "2023-01-01"}).json()
    assert explicit["date_reading"]["applied"] is False


def test_an_offered_reading_is_applied_with_dates_on(live_server):
    offered = live_server.get("/api/search", q="ঢাকা ২০২৪ সালের").json()
    assert offered["date_reading"]["applied"] is False
    on = live_server.get("/api/search", q="ঢাকা ২০২৪ সালের", dates="on").json()
    assert on["date_reading"]["applied"] is True
    assert all(r["published"][:4] == "2024" for r in on["results"])
    assert live_server.get("/api/search", q="ঢাকা", dates="sometimes").status_code == 400


def test_a_date_inside_a_quoted_phrase_is_part_of_the_phrase(live_server):
    assert live_server.get("/api/search", q='"ঢাকা ১২ জুন ২০২৪"').json()["date_reading"] is None


def test_relative_dates_are_read_against_today(sample_index):
    from search.engine import SearchEngine, SearchRequest

    service = SearchEngine(WhooshStore(sample_index))
    published = date.fromisoformat(service.search(SearchRequest(q="ঢাকা"))["results"][0]["published"][:10])
    service.today = lambda: published + timedelta(days=1)
    answer = service.search(SearchRequest(q="ঢাকা গতকাল"))
    day = {"from": published.isoformat(), "to": published.isoformat()}
    assert answer["date_reading"] == {"text": "গতকাল", **day, "applied": True}
    assert answer["results"] and all(r["published"][:10] == day["from"] for r in answer["results"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(
            ["গত", "এই", "আজ", "গতকাল", "পরশু", "দিন", "মাসে", "বছর", "আগে", "থেকে", "-", "সালের", "আগস্ট"]
            + ["ফেব্রুয়ারি", "ভাদ্র", "ফাল্গুন", "last", "week", "2024", "১৪৩০", "0", "31", "৯৯৯৯", "১২-১৮"]
            + ["99999999", "2024-02-30", "12/13/2024", "ঢাকা"]
        ),
        max_size=6,
    ),
    st.dates(),
)
def test_any_words_on_any_day_read_as_a_date_or_nothing(words, today):
    found = read_date(" ".join(words), today)
    assert found is None or found.date_from <= found.date_to


def test_a_date_read_but_not_asked_for_that_leaves_nothing_is_only_offered(sample_index):
    """A headline pasted whole (… তাপমাত্রা আজ তেঁতুলিয়ায়) holds আজ; with nothing published today,
    its words are searched as typed and the reading offered."""
    from search.engine import SearchEngine, SearchRequest

    service = SearchEngine(WhooshStore(sample_index))
    service.today = lambda: date(2031, 1, 1)
    answer = service.search(SearchRequest(q="ঢাকা আজ"))
    assert answer["total"] > 0 and answer["date_reading"]["applied"] is False
    asked = service.search(SearchRequest(q="ঢাকা আজ", dates="on"))
    assert asked["total"] == 0 and asked["date_reading"]["applied"] is True
