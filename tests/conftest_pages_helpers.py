"""Builds saved pages in the crawler's layout (FORMAT.md) for the page-reader tests.

A PageSpec says what a page holds and how it is laid out; render_page() writes it as file bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from search.article import DHAKA
from search.dates import BENGALI_CALENDAR_MONTHS, MONTH_NAMES, WEEKDAYS, to_bangla_digits

NBSP = "\u00a0"
# Month names spelled with U+09DF (য়) in the table; a page may print them as U+09AF U+09BC.
YA_COMPOSED, YA_DECOMPOSED = "\u09df", "\u09af\u09bc"


@dataclass
class PageSpec:
    title: str
    paragraphs: list[str]
    desk: str | None = "নিজস্ব প্রতিবেদক"
    published: datetime | None = None
    updated: datetime | None = None
    crawled: date = date(2025, 5, 9)
    chrome: list[str] = field(default_factory=lambda: ["X"])
    bengali_date: str | None = "২৬ বৈশাখ ১৪৩২"
    initials: str | None = None
    related: list[str] = field(default_factory=list)  # empty: no "সম্পর্কিত" list
    latest: list[str] = field(default_factory=list)  # printed twice each, like the real pages
    most_read: list[str] = field(default_factory=list)
    ascii_digits: bool = False  # date line in 0-9 instead of ০-৯
    decomposed_ya: bool = False  # month names with য + nukta instead of য়
    spacers: list[str] = field(default_factory=list)  # whitespace-only lines between paragraphs
    crlf: bool = False
    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (BOM), "utf-16" (BOM)


def stamp(dt: datetime, spec: PageSpec) -> str:
    month = MONTH_NAMES[dt.month][0]
    if spec.decomposed_ya:
        month = month.replace(YA_COMPOSED, YA_DECOMPOSED)
    text = f"{dt.day:02d} {month} {dt.year}, {dt.hour:02d}:{dt.minute:02d}"
    return text if spec.ascii_digits else to_bangla_digits(text)


def page_text(spec: PageSpec) -> str:
    lines: list[str] = list(spec.chrome)
    c = spec.crawled
    lines.append(
        f"{WEEKDAYS[c.weekday()][0]}, "
        + to_bangla_digits(f"{c.day:02d} {MONTH_NAMES[c.month][0]} {c.year}")
    )
    if spec.bengali_date:
        lines.append(spec.bengali_date)
    lines += ["", spec.title, ""]
    if spec.desk is not None:
        lines.append(spec.desk)
    if spec.published is not None:
        line = stamp(spec.published, spec)
        if spec.updated is not None:
            line += "আপডেট : " + stamp(spec.updated, spec)
        lines.append(line)
    lines.append("")
    for n, paragraph in enumerate(spec.paragraphs):
        lines += [paragraph, ""]
        if n < len(spec.spacers):
            lines += [spec.spacers[n], ""]
    if spec.initials:
        lines.append(f"/{spec.initials}/")
    if spec.related:
        lines += ["সম্পর্কিত", *spec.related]
    if spec.latest:
        lines.append("সর্বশেষ খবর")
        lines += [h for h in spec.latest for _ in (1, 2)]
    if spec.most_read:
        lines.append("সর্বাধিক পঠিত")
        lines += [h for h in spec.most_read for _ in (1, 2)]
    return ("\r\n" if spec.crlf else "\n").join(lines) + ("\r\n" if spec.crlf else "\n")


def render_page(spec: PageSpec) -> bytes:
    return page_text(spec).encode(spec.encoding)


# A small vocabulary for random articles: ordinary news words, with য়/ড়/ঢ় in both encodings so
# the reader is shown to keep text exactly as written.
WORDS = (
    "ঢাকা সরকার মন্ত্রী বৈঠক আজ বৃষ্টি আবহাওয়া নদী শিক্ষার্থী পরীক্ষা ক্রিকেট দল জয় বাজার দাম "
    "চাল কৃষক উৎপাদন সড়ক দুর্ঘটনা হাসপাতাল চিকিৎসা নির্বাচন কমিশন বিদ্যুৎ গ্যাস বন্দর রপ্তানি "
    "আমদানি বিশ্ববিদ্যালয় শহর গ্রাম মানুষ সিদ্ধান্ত প্রকল্প উদ্বোধন বড়\u200cদিন পাহা\u09a1\u09bcি "
    "আষা\u09a2\u09bc ঝড় বন্যা মৌসুম খেলা মাঠ ব্যাংক টাকা ঋণ"
).split()
DESKS = ("নিজস্ব প্রতিবেদক", "খেলা ডেস্ক", "অর্থনৈতিক প্রতিবেদক", "সিলেট প্রতিনিধি", "ঢাকা")
CHROME = ("X", "প্রচ্ছদ", "ই-পেপার")


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def _minute(rng: random.Random) -> datetime:
    start = datetime(2023, 1, 1, tzinfo=DHAKA)
    return start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))


def random_spec(rng: random.Random) -> PageSpec:
    """A page with every layout choice drawn at random (the reader must recover all fields)."""
    published = _minute(rng) if rng.random() < 0.9 else None
    updated = None
    if published is not None and rng.random() < 0.6:
        updated = published + timedelta(minutes=rng.randint(1, 3 * 24 * 60))
    paragraphs = [
        " ".join(_sentence(rng, 3, 12) + "।" for _ in range(rng.randint(1, 3)))
        for _ in range(rng.randint(1, 6))
    ]
    headlines = [_sentence(rng, 3, 8) for _ in range(8)]
    return PageSpec(
        title=_sentence(rng, 3, 9) + rng.choice(("", "?", "!")),
        paragraphs=paragraphs,
        desk=rng.choice(DESKS) if rng.random() < 0.9 else None,
        published=published,
        updated=updated,
        crawled=date(2025, 1, 1) + timedelta(days=rng.randrange(700)),
        chrome=rng.sample(CHROME, rng.choice((0, 0, 1, 1, 1, 2))),
        bengali_date=(
            to_bangla_digits(f"{rng.randint(1, 31)} {rng.choice(BENGALI_CALENDAR_MONTHS)} 1432")
            if rng.random() < 0.7
            else None
        ),
        initials=rng.choice(("এলকে", "এফএ", "টিএন/এমএইচ", None, None)),
        related=headlines[: rng.choice((0, 1, 2, 3, 4))],
        latest=headlines[4 : 4 + rng.choice((0, 1, 2, 4))],
        most_read=headlines[2 : 2 + rng.choice((0, 2, 4))],
        ascii_digits=rng.random() < 0.2,
        decomposed_ya=rng.random() < 0.5,
        spacers=[rng.choice((" ", NBSP, "  ", "")) for _ in range(rng.randint(0, 3))],
        crlf=rng.random() < 0.3,
        encoding=rng.choice(("utf-8", "utf-8", "utf-8-sig", "utf-16")),
    )
