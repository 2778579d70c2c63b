"""Tests of Bangla date parsing and formatting: every accepted spelling and the rejections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from search.article import DHAKA
from search.dates import (
    MONTH_NAMES,
    format_bangla,
    is_bengali_calendar_month,
    month_number,
    parse_date,
    parse_stamp,
    to_ascii_digits,
    to_bangla_digits,
    weekday_number,
)

YA = "\u09df"  # য় as one code point
YA_SPLIT = "\u09af\u09bc"  # য় as য + nukta
RRA_SPLIT = "\u09a1\u09bc"  # ড় as ড + nukta
RHA_SPLIT = "\u09a2\u09bc"  # ঢ় as ঢ + nukta


@pytest.mark.parametrize(
    "bangla, ascii_",
    [("০১২৩৪৫৬৭৮৯", "0123456789"), ("১২:০৫", "12:05"), ("২০২৩ সাল", "2023 সাল"), ("", "")],
)
def test_digits_both_ways(bangla: str, ascii_: str) -> None:
    assert to_ascii_digits(bangla) == ascii_
    assert to_bangla_digits(ascii_) == bangla
    assert to_ascii_digits(ascii_) == ascii_  # already ASCII: unchanged


@pytest.mark.parametrize(
    "name, month",
    [
        ("জানুয়ারি", 1),
        ("জানু" + YA + "ারি", 1),
        ("জানু" + YA_SPLIT + "ারি", 1),
        ("জানুয়ারী", 1),
        ("ফেব্রু" + YA_SPLIT + "ারি", 2),
        ("ফেব্রুয়ারী", 2),
        ("মার্চ", 3),
        ("এপ্রিল", 4),
        ("মে", 5),
        ("জুন", 6),
        ("জুলাই", 7),
        ("আগস্ট", 8),
        ("আগষ্ট", 8),
        ("অগাস্ট", 8),
        ("সেপ্টেম্বর", 9),
        ("অক্টোবর", 10),
        ("নভেম্বর", 11),
        ("ডিসেম্বর", 12),
        ("September", 9),
        ("september", 9),
        ("Sept", 9),
        ("Dec.", 12),
        ("নভে\u200cম্বর", 11),  # a stray ZWNJ does not change the month
    ],
)
def test_month_names(name: str, month: int) -> None:
    assert month_number(name) == month


@pytest.mark.parametrize("name", ["", "মাস", "বৈশাখ", "Foo", "13"])
def test_not_month_names(name: str) -> None:
    assert month_number(name) is None


def test_every_listed_spelling_is_known() -> None:
    for month, names in MONTH_NAMES.items():
        for name in names:
            assert month_number(name) == month
            assert month_number(name.replace(YA, YA_SPLIT)) == month


@pytest.mark.parametrize(
    "name, known",
    [
        ("বৈশাখ", True),
        ("আষাঢ়", True),
        ("আষা" + RHA_SPLIT, True),
        ("অগ্রহা" + YA_SPLIT + "ণ", True),
        ("অগ্রহা" + YA + "ণ", True),
        ("চৈত্র", True),
        ("সেপ্টেম্বর", False),
    ],
)
def test_bengali_calendar_months(name: str, known: bool) -> None:
    assert is_bengali_calendar_month(name) is known


@pytest.mark.parametrize(
    "name, day",
    [("সোমবার", 0), ("শুক্রবার", 4), ("রবিবার", 6), ("রোববার", 6), ("Friday", 4), ("কাল", None)],
)
def test_weekdays(name: str, day: int | None) -> None:
    assert weekday_number(name) == day


def test_nukta_letters_fold_in_names() -> None:
    # ড় in a (made-up) listed spelling would fold the same way as য়: one lookup key for both.
    from search.dates import fold_name

    assert fold_name("পাহা" + RRA_SPLIT + "ি") == fold_name("পাহাড়ি".replace("\u09a1\u09bc", "\u09dc"))
    assert fold_name("আষা" + RHA_SPLIT) == fold_name("আষা\u09dd")


STAMP = datetime(2023, 9, 12, 15, 1, tzinfo=DHAKA)


@pytest.mark.parametrize(
    "text, want",
    [
        ("১২ সেপ্টেম্বর ২০২৩, ১৫:০১", STAMP),
        ("12 সেপ্টেম্বর 2023, 15:01", STAMP),
        ("12 September 2023, 15:01", STAMP),
        ("  ১২ সেপ্টেম্বর ২০২৩,  ১৫:০১ ", STAMP),
        ("১২ সেপ্টেম্বর ২০২৩ ১৫:০১", STAMP),  # without the comma
        ("১২\u00a0সেপ্টেম্বর\u00a0২০২৩, ১৫:০১", STAMP),  # NBSP between the parts
        ("২ সেপ্টেম্বর ২০২৩, ০৯:০৫", datetime(2023, 9, 2, 9, 5, tzinfo=DHAKA)),
        ("০৩ জানু" + YA_SPLIT + "ারি ২০২৪, ০০:০০", datetime(2024, 1, 3, 0, 0, tzinfo=DHAKA)),
        ("২৯ ফেব্রুয়ারি ২০২৪, ২৩:৫৯", datetime(2024, 2, 29, 23, 59, tzinfo=DHAKA)),
    ],
)
def test_parse_stamp(text: str, want: datetime) -> None:
    got = parse_stamp(text)
    assert got == want
    assert got.utcoffset() == timedelta(hours=6)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not a date and time"),
        ("১২ সেপ্টেম্বর ২০২৩", "not a date and time"),  # no time
        ("১২ সেপ্টেম্বর ২০২৩, ১৫:০১আপডেট : ১২ সেপ্টেম্বর ২০২৩, ১৫:১০", "not a date and time"),
        ("১২ মাস ২০২৩, ১৫:০১", "unknown month name"),
        ("৩০ ফেব্রুয়ারি ২০২৩, ১৫:০১", "no such day"),
        ("২৯ ফেব্রুয়ারি ২০২৩, ১৫:০১", "no such day"),
        ("১২ সেপ্টেম্বর ২০২৩, ২৪:০১", "no such time"),
        ("১২ সেপ্টেম্বর ২০২৩, ১৫:৬০", "no such time"),
    ],
)
def test_parse_stamp_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_stamp(text)


@pytest.mark.parametrize(
    "text",
    [
        "2023-09-12",
        " 2023-09-12 ",
        "২০২৩-০৯-১২",
        "2023-9-12",
        "১২ সেপ্টেম্বর ২০২৩",
        "12 সেপ্টেম্বর 2023",
        "১২ সেপ্টেম্বর, ২০২৩",
        "12 September 2023",
        "12 Sep 2023",
        "১২/০৯/২০২৩",
        "12/09/2023",
        "12/9/2023",
    ],
)
def test_parse_date_formats(text: str) -> None:
    assert parse_date(text) == date(2023, 9, 12)


@pytest.mark.parametrize(
    "text, want",
    [
        ("০৩ জানু" + YA_SPLIT + "ারি ২০২৪", date(2024, 1, 3)),
        ("০৩ জানু" + YA + "ারি ২০২৪", date(2024, 1, 3)),
        ("01/02/2025", date(2025, 2, 1)),  # day first, as written in Bangladesh
        ("২৯/০২/২০২৪", date(2024, 2, 29)),
    ],
)
def test_parse_date_values(text: str, want: date) -> None:
    assert parse_date(text) == want


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not a date"),
        ("আজ", "not a date"),
        ("2023/09/12", "not a date"),
        ("09-12-2023", "not a date"),
        ("20230912", "not a date"),
        ("2023-09-12T10:00", "not a date"),
        ("১২ মাস ২০২৩", "unknown month name"),
        ("12 Foo 2023", "unknown month name"),
        ("31/02/2023", "no such day"),
        ("2023-13-01", "no such day"),
        ("00/01/2023", "no such day"),
        ("২৯/০২/২০২৩", "no such day"),
    ],
)
def test_parse_date_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_parse_date_error_says_what_is_accepted() -> None:
    with pytest.raises(ValueError) as e:
        parse_date("yesterday")
    assert "2023-09-12" in str(e.value) and "১২/০৯/২০২৩" in str(e.value)


@pytest.mark.parametrize(
    "value, want",
    [
        (STAMP, "১২ সেপ্টেম্বর ২০২৩, ১৫:০১"),
        (datetime(2023, 9, 12, 9, 1, tzinfo=UTC), "১২ সেপ্টেম্বর ২০২৩, ১৫:০১"),  # to Dhaka
        (datetime(2024, 1, 3, 0, 5), "০৩ জানুয়ারি ২০২৪, ০০:০৫"),  # naive: taken as Dhaka time
        (date(2025, 2, 1), "০১ ফেব্রুয়ারি ২০২৫"),
    ],
)
def test_format_bangla(value: datetime | date, want: str) -> None:
    assert format_bangla(value) == want


@pytest.mark.parametrize("month", range(1, 13))
def test_format_then_parse_round_trip(month: int) -> None:
    dt = datetime(2024, month, 28, 7, 30, tzinfo=DHAKA)
    assert parse_stamp(format_bangla(dt)) == dt
    assert parse_date(format_bangla(dt.date())) == dt.date()


@pytest.mark.parametrize("text", ["1 a" + " " * 20_000 + "x", "১" * 1_000_000, "12/09/2023" + " " * 200])
def test_overlong_input_refused_before_matching(text: str) -> None:
    for parse in (parse_date, parse_stamp):
        with pytest.raises(ValueError, match="too long"):
            parse(text)
