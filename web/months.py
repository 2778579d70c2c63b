"""Dates as the search page shows them: Bangla numbers and month names, the quick date ranges and
the matches-per-month chart (bars computed here, drawn as SVG by the template), in Dhaka time."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from search.article import DHAKA
from search.dates import MONTH_NAMES, format_bangla, to_bangla_digits

# The chart has at most MAX_BARS bars: a bar per month for up to three years, else per quarter,
# else per year (see month_chart).
MAX_BARS = 36
BUCKET_MONTHS = (1, 3, 12)
BUCKET_NAMES = {1: "month", 3: "quarter", 12: "year"}

# The chart's coordinate system (the SVG viewBox); CSS scales it to the column width.
CHART_WIDTH = 720
PLOT_TOP = 18  # room for the "most in a month" label
PLOT_HEIGHT = 96
LABEL_BAND = 22
CHART_HEIGHT = PLOT_TOP + PLOT_HEIGHT + LABEL_BAND
MAX_PITCH = 40  # a few bars stay narrow instead of filling the width
MIN_LABEL_GAP = 56  # year labels closer than this would overlap (at the phone's larger text)


def bn_number(n: int) -> str:
    """12345678 -> '১,২৩,৪৫,৬৭৮': Bangla digits with the lakh/crore grouping used in Bangladesh."""
    sign, s = ("-", str(-n)) if n < 0 else ("", str(n))
    if len(s) > 3:
        head, tail = s[:-3], s[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        s = ",".join([head, *groups, tail]) if head else ",".join([*groups, tail])
    return to_bangla_digits(sign + s)


def month_name(month: int) -> str:
    return MONTH_NAMES[month][0]


def month_label(key: str) -> str:
    """'2024-08' -> 'আগস্ট ২০২৪'."""
    year, month = (int(p) for p in key.split("-"))
    return f"{month_name(month)} {to_bangla_digits(str(year))}"


def bangla_stamp(iso: str | None) -> str:
    """An ISO time from the index -> '১২ সেপ্টেম্বর ২০২৩, ১৫:০১' (Dhaka time); '' when absent."""
    if not iso:
        return ""
    return format_bangla(datetime.fromisoformat(iso))


def bangla_date(day: date) -> str:
    """date(2024, 8, 1) -> '০১ আগস্ট ২০২৪'."""
    return format_bangla(day)


def bangla_slashed(day: date) -> str:
    """date(2023, 9, 12) -> '১২/০৯/২০২৩': day/month/year, as a date field shows it and reads it back."""
    return to_bangla_digits(f"{day.day:02d}/{day.month:02d}/{day.year:04d}")


def window_label(date_from: date, date_to: date) -> str:
    """A date window as a reader says it: '০৫ সেপ্টেম্বর ২০২৩', '১২–১৮ আগস্ট ২০২৪', 'আগস্ট ২০২৪',
    'আগস্ট–অক্টোবর ২০২৪', '২০২৪ সাল'; across months, both ends in full."""
    if date_from == date_to:
        return bangla_date(date_from)
    whole_months = date_from.day == 1 and date_to == month_bounds(date_to.year, date_to.month)[1]
    if whole_months and date_from.year == date_to.year:
        size = date_to.month - date_from.month + 1
        label = _bucket_label(date_from.year * 12 + date_from.month - 1, size)
        return f"{label} সাল" if size == 12 else label
    if whole_months:
        return f"{month_label(f'{date_from:%Y-%m}')} – {month_label(f'{date_to:%Y-%m}')}"
    if (date_from.year, date_from.month) == (date_to.year, date_to.month):
        return f"{to_bangla_digits(f'{date_from.day:02d}')}–{bangla_date(date_to)}"
    return f"{bangla_date(date_from)} – {bangla_date(date_to)}"


def today_dhaka() -> date:
    """Today in Bangladesh, whatever the server's own timezone is."""
    return datetime.now(DHAKA).date()


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class QuickRange:
    label: str
    date_from: date
    date_to: date


def quick_ranges(today: date) -> list[QuickRange]:
    """The one-click windows offered under the date inputs; both ends inclusive, ending today."""
    return [
        QuickRange("আজ", today, today),
        QuickRange("গত ৭ দিন", today - timedelta(days=6), today),
        QuickRange("গত ৩০ দিন", today - timedelta(days=29), today),
        QuickRange("এই বছর", date(today.year, 1, 1), today),
    ]


# ---------------------------------------------------------------------------------------------
# The chart


@dataclass(frozen=True)
class Bar:
    key: str  # "2024-08" (a quarter is keyed by its first month), or "2024" on a yearly chart
    label: str  # "আগস্ট ২০২৪", "জুলাই–সেপ্টেম্বর ২০২৪" or "২০২৪"
    count: int
    date_from: date
    date_to: date
    x: float
    y: float
    width: float
    height: float
    current: bool  # the date filter is exactly this bar's month or year

    @property
    def title(self) -> str:
        return f"{self.label}: {bn_number(self.count)}টি"


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    by: str  # "month", "quarter" or "year"
    bars: list[Bar]
    labels: list[AxisLabel]
    max_count: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: float = PLOT_TOP + PLOT_HEIGHT

    @property
    def caption(self) -> str:
        unit = {"month": "মাসে মাসে", "quarter": "প্রতি তিন মাসে", "year": "বছরে বছরে"}[self.by]
        return f"{unit} ফলাফল (সর্বোচ্চ {bn_number(self.max_count)}টি)"


def _month_index(key: str) -> int:
    year, month = (int(p) for p in key.split("-"))
    return year * 12 + month - 1


def _month_key(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_series(
    facet: list[dict], date_from: date | None = None, date_to: date | None = None
) -> list[tuple[str, int]]:
    """Every month from the first to the last with matches, zero-count months filled in.

    A date filter of up to MAX_BARS months is drawn in full, so the empty months at its
    ends show too; a wider one would only add empty bars to scroll past.
    """
    counts = {f["value"]: f["count"] for f in facet if f.get("value")}
    if not counts:
        return []
    lo, hi = min(map(_month_index, counts)), max(map(_month_index, counts))
    if date_from and date_to:
        f_lo = date_from.year * 12 + date_from.month - 1
        f_hi = date_to.year * 12 + date_to.month - 1
        if f_hi - f_lo + 1 <= MAX_BARS:
            lo, hi = min(lo, f_lo), max(hi, f_hi)
    return [(_month_key(i), counts.get(_month_key(i), 0)) for i in range(lo, hi + 1)]


def _bucket_label(first_month: int, size: int) -> str:
    """The Bangla name of `size` months starting at month index `first_month`."""
    year = to_bangla_digits(str(first_month // 12))
    if size == 1:
        return f"{month_name(first_month % 12 + 1)} {year}"
    if size == 12:
        return year
    return f"{month_name(first_month % 12 + 1)}–{month_name((first_month + size - 1) % 12 + 1)} {year}"


def month_chart(
    facet: list[dict], date_from: date | None = None, date_to: date | None = None
) -> Chart | None:
    """Bars for the per-month facet, or None when nothing is dated.

    A bar per month up to MAX_BARS months; a longer span is drawn a bar per quarter, and past
    MAX_BARS quarters a bar per year. Every bar links to its own window, where the finer bars
    show again: the whole span stays in view and detail is one click away, nothing is cut off.
    """
    series = month_series(facet, date_from, date_to)
    if not series:
        return None
    first_index = _month_index(series[0][0])
    size = next((s for s in BUCKET_MONTHS if _buckets(first_index, len(series), s) <= MAX_BARS), 12)
    counts: dict[int, int] = {}
    for key, n in series:
        start = _month_index(key) // size * size  # calendar-aligned: quarters start in Jan/Apr/Jul/Oct
        counts[start] = counts.get(start, 0) + n

    top = max(counts.values()) or 1
    pitch = min(MAX_PITCH, CHART_WIDTH / len(counts))
    bar_width = max(pitch * 0.72, 1.0)
    bars, labels = [], []
    last_label_x = -MIN_LABEL_GAP
    for i, (start, n) in enumerate(sorted(counts.items())):
        first = month_bounds(start // 12, start % 12 + 1)[0]
        last = month_bounds((start + size - 1) // 12, (start + size - 1) % 12 + 1)[1]
        # A bar with matches is never drawn thinner than 2 units, or it would look empty.
        height = max(2.0, round(n / top * PLOT_HEIGHT, 1)) if n else 1.0
        x = round(i * pitch + (pitch - bar_width) / 2, 1)
        bars.append(
            Bar(
                key=_month_key(start) if size < 12 else str(start // 12),
                label=_bucket_label(start, size),
                count=n,
                date_from=first,
                date_to=last,
                x=x,
                y=round(PLOT_TOP + PLOT_HEIGHT - height, 1),
                width=round(bar_width, 1),
                height=height,
                current=(date_from, date_to) == (first, last),
            )
        )
        # Years label the axis, under the first bar of each year (and the chart's first bar).
        centre = x + bar_width / 2
        if (start % 12 == 0 or i == 0) and centre - last_label_x >= MIN_LABEL_GAP:
            x_label = min(max(centre, 24.0), CHART_WIDTH - 24.0)  # keep the text inside the viewBox
            labels.append(AxisLabel(round(x_label, 1), to_bangla_digits(str(start // 12))))
            last_label_x = centre
    return Chart(by=BUCKET_NAMES[size], bars=bars, labels=labels, max_count=top)


def _buckets(first_index: int, months: int, size: int) -> int:
    """How many calendar-aligned buckets of `size` months cover the months from first_index."""
    return (first_index + months - 1) // size - first_index // size + 1
