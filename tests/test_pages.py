"""Tests of the saved-page reader: the real shared corpus against its manifest, each layout
variation on its own, hostile input, and randomly generated pages."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from search.article import DHAKA, Article, PageRejected
from search.dates import BENGALI_CALENDAR_MONTHS, MONTH_NAMES, WEEKDAYS, to_bangla_digits
from search.pages import (
    MAX_LINE_CHARS,
    MAX_PAGE_BYTES,
    decode_page,
    parse_page_text,
    read_page,
    scan_sources,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLES = REPO / "samples" / "pages"
SEED = CORPUS / "seed" / "000_d0b87659e07cf7a3.txt"

NO_CORPUS = "../shared/corpus not found: the corpus tests run where the shared data is (CI has it)"
FIELDS = ("title", "desk", "published", "updated", "body")
REQUIRED_ACCURACY = 0.995
BROKEN = (
    "9001_empty0000000000",
    "9002_binary000000000",
    "9003_latin1000000000",
    "9004_titleonly000000",
    "9005_truncated000000",
)


# --- building pages in the crawler's layout (FORMAT.md) --------------------------------------
# A PageSpec says what a page holds and how it is laid out; render_page() writes it as file bytes.

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
        f"{WEEKDAYS[c.weekday()][0]}, " + to_bangla_digits(f"{c.day:02d} {MONTH_NAMES[c.month][0]} {c.year}")
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


def needs_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)


def collapse(text: str) -> str:
    return " ".join(text.split())


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def parse(spec: PageSpec, name: str = "0001_00000000000000ab.txt") -> Article:
    """Render a spec to bytes and read it back the way read_page does, without touching disk."""
    return parse_page_text(decode_page(render_page(spec), name), name)


def t(hour: int, minute: int, day: int = 12, month: int = 9, year: int = 2023) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DHAKA)


BASIC = PageSpec(
    title="ঢাকায় ভারী বৃষ্টি, জলাবদ্ধতায় দুর্ভোগ",
    paragraphs=["সকাল থেকে ঢাকায় বৃষ্টি হচ্ছে।", "আবহাওয়া অফিস বলছে, বৃষ্টি চলবে।"],
    desk="নিজস্ব প্রতিবেদক",
    published=t(15, 1),
    updated=t(15, 10),
    initials="এলকে",
    related=["অন্য একটি খবরের শিরোনাম"],
    latest=["সর্বশেষ একটি শিরোনাম", "আরেকটি শিরোনাম"],
    most_read=["সবচেয়ে পঠিত শিরোনাম"],
)


# --- the shared corpus ----------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_matches_manifest() -> None:
    needs_corpus()
    manifest = [
        json.loads(line)
        for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pages = {p.stem: p for p in scan_sources([CORPUS / "pages"]).pages}
    assert len(pages) == len(manifest)
    right = dict.fromkeys(FIELDS, 0)
    wrong: dict[str, list[str]] = {f: [] for f in FIELDS}
    valid = 0
    reasons: dict[str, str] = {}
    for entry in manifest:
        path = pages[entry["id"]]
        if not entry["valid"]:
            with pytest.raises(PageRejected) as rejected:
                read_page(path)
            assert rejected.value.reason, entry["id"]
            reasons[entry["id"]] = rejected.value.reason
            continue
        valid += 1
        try:
            article = read_page(path)
        except PageRejected as e:
            for f in FIELDS:
                wrong[f].append(f"{entry['id']}: rejected ({e.reason})")
            continue
        assert article.id == entry["id"]
        got = {
            "title": article.title,
            "desk": article.desk,
            "published": iso(article.published),
            "updated": iso(article.updated),
            "body": collapse(article.body),
        }
        want = {f: entry.get(f) for f in FIELDS}
        want["body"] = collapse("\n\n".join(entry["paragraphs"]))
        for f in FIELDS:
            if got[f] == want[f]:
                right[f] += 1
            else:
                wrong[f].append(f"{entry['id']}: got {got[f]!r:.80} want {want[f]!r:.80}")
    print(f"\nsaved-page reader on {valid} valid pages of the shared corpus:")
    for f in FIELDS:
        print(f"  {f:<10} {right[f] / valid:8.2%}  ({right[f]}/{valid})")
    for page_id, reason in sorted(reasons.items()):
        print(f"  rejected {page_id}: {reason}")
    assert sorted(reasons) == list(BROKEN)
    for f in FIELDS:
        assert right[f] / valid >= REQUIRED_ACCURACY, (f, wrong[f][:5])


@pytest.mark.corpus
def test_seed_page_fields() -> None:
    """The seed page, checked against what it says when read by eye."""
    needs_corpus()
    article = read_page(SEED)
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert article.id == "000_d0b87659e07cf7a3"
    assert article.title == "কিমের সঙ্গে সাক্ষাতের ইঙ্গিত দিলেন পুতিন"
    assert article.desk == "আন্তর্জাতিক ডেস্ক"
    assert article.published == t(15, 1)
    assert article.updated == t(15, 10)
    assert article.initials == "এলকে"
    assert article.extra["crawled"] == date(2025, 5, 9)  # "শুক্রবার, ০৯ মে ২০২৫": not published
    # Four paragraphs: file lines 10, 12, 18 and 20; the NBSP lines 14 and 16 are only spacing.
    assert article.paragraphs == (lines[9], lines[11], lines[17], lines[19])
    assert article.paragraphs[0].startswith("রাশিয়ার ভোস্টোচনি কসমোড্রোমে")
    assert article.paragraphs[-1].endswith("উত্তর কোরিয়ার কাছে অস্ত্র চেয়েছে মস্কো।")
    # Nothing from the lists under the article: related, latest, most read.
    for headline in ("মাস্কের সমালোচনা করলেন গেটস", "হজ কার ওপর ফরজ", "দেশ ছেড়েছেন সাবেক"):
        assert headline not in article.body
    assert "এলকে" not in article.body


# --- encodings and line endings ------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, crlf",
    [
        ("utf-8", False),
        ("utf-8", True),
        ("utf-8-sig", False),  # BOM
        ("utf-8-sig", True),
        ("utf-16", False),  # BOM, platform byte order
        ("utf-16-le", None),  # BOM added by hand below
        ("utf-16-be", None),
    ],
)
def test_encodings_and_line_endings(encoding: str, crlf: bool | None) -> None:
    spec = replace(BASIC, crlf=bool(crlf))
    if crlf is None:
        data = ("\ufeff" + page_text(spec)).encode(encoding)
    else:
        data = render_page(replace(spec, encoding=encoding))
    article = parse_page_text(decode_page(data, "p.txt"), "p.txt")
    assert article.title == BASIC.title
    assert article.paragraphs == tuple(BASIC.paragraphs)
    assert article.published == t(15, 1) and article.updated == t(15, 10)
    assert not any("\r" in p or "\ufeff" in p for p in (article.title, *article.paragraphs))


def test_read_page_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "0042_0123456789abcdef.txt"
    path.write_bytes(render_page(replace(BASIC, encoding="utf-8-sig", crlf=True)))
    article = read_page(path)
    assert article.id == "0042_0123456789abcdef"
    assert article.path == str(path)
    assert article.body == "\n\n".join(BASIC.paragraphs)


# --- layout variations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, want",
    [
        # the update part is absent when the article was never updated
        ({"updated": None}, {"published": t(15, 1), "updated": None}),
        # the whole date line is absent on a few pages: no date, never the crawl date instead
        ({"published": None, "updated": None}, {"published": None, "updated": None}),
        # ASCII digits in the date line
        ({"ascii_digits": True}, {"published": t(15, 1), "updated": t(15, 10)}),
        # January and February hold য়; the date line may write it U+09AF U+09BC
        (
            {
                "published": t(9, 5, 3, 1, 2024),
                "updated": t(9, 7, 3, 2, 2024),
                "decomposed_ya": True,
            },
            {"published": t(9, 5, 3, 1, 2024), "updated": t(9, 7, 3, 2, 2024)},
        ),
        (
            {"published": t(9, 5, 3, 1, 2024), "updated": None, "decomposed_ya": False},
            {"published": t(9, 5, 3, 1, 2024)},
        ),
        # site chrome absent, or two chrome lines
        ({"chrome": []}, {"title": BASIC.title}),
        ({"chrome": ["X", "প্রচ্ছদ"]}, {"title": BASIC.title}),
        # no Bengali-calendar line; or one with আষাঢ় in decomposed ঢ়
        ({"bengali_date": None}, {"title": BASIC.title}),
        ({"bengali_date": "১৫ আষা\u09a2\u09bc ১৪৩১"}, {"title": BASIC.title}),
        # neither chrome nor Bengali date: the crawl line alone
        ({"chrome": [], "bengali_date": None}, {"title": BASIC.title, "desk": BASIC.desk}),
        # initials
        ({"initials": None}, {"initials": None}),
        ({"initials": "টিএন/এমএইচ"}, {"initials": "টিএন/এমএইচ"}),
        # each boilerplate list on its own, with and without initials before it
        ({"related": [], "most_read": []}, {"initials": "এলকে"}),
        ({"initials": None, "latest": [], "most_read": []}, {"initials": None}),
        ({"initials": None, "related": [], "latest": []}, {"initials": None}),
        ({"related": [], "latest": [], "most_read": []}, {"initials": "এলকে"}),
        # no lists and no initials: the body runs to the end of the file
        ({"initials": None, "related": [], "latest": [], "most_read": []}, {"initials": None}),
        # a page with no desk line goes from the title to the date line
        ({"desk": None}, {"desk": None, "published": t(15, 1)}),
        ({"desk": None, "published": None, "updated": None}, {"desk": None, "published": None}),
        # lines of a single space / NBSP between paragraphs are spacing, not paragraphs
        ({"spacers": [" ", NBSP]}, {"paragraphs": tuple(BASIC.paragraphs)}),
        ({"spacers": [NBSP + NBSP + " \t"]}, {"paragraphs": tuple(BASIC.paragraphs)}),
    ],
)
def test_layout_variations(change: dict, want: dict) -> None:
    spec = replace(BASIC, **change)
    article = parse(spec)
    expected = {
        "title": spec.title,
        "desk": spec.desk,
        "published": spec.published,
        "updated": spec.updated,
        "initials": spec.initials,
        "paragraphs": tuple(spec.paragraphs),
    } | want
    for name, value in expected.items():
        assert getattr(article, name) == value, name
    assert article.extra["crawled"] == spec.crawled


@pytest.mark.parametrize(
    "headline",
    ["অন্য একটি খবরের শিরোনাম", "সর্বশেষ একটি শিরোনাম", "সবচেয়ে পঠিত শিরোনাম", "এলকে"],
)
def test_boilerplate_never_in_body(headline: str) -> None:
    for initials in ("এলকে", None):
        article = parse(replace(BASIC, initials=initials))
        assert headline not in article.body
        assert headline not in article.title


def test_decomposed_ya_text_kept_as_written() -> None:
    """The reader does not normalise Unicode: analysis does that, the stored text stays as is."""
    decomposed = "আবহাও" + YA_DECOMPOSED + "া অফিসের পূর্বাভাস।"
    zwnj = "র\u200d্যাব ও বড়\u200cদিনের ছুটি, উৎসব।"
    article = parse(replace(BASIC, paragraphs=[decomposed, zwnj], title="আবহাও" + YA_DECOMPOSED + "া"))
    assert article.paragraphs == (decomposed, zwnj)
    assert article.title == "আবহাও" + YA_DECOMPOSED + "া"


def test_multiline_paragraph_joined_with_space() -> None:
    text = page_text(BASIC).replace("সকাল থেকে ঢাকায় বৃষ্টি হচ্ছে।", "সকাল থেকে ঢাকায়\nবৃষ্টি হচ্ছে।")
    article = parse_page_text(text, "p.txt")
    assert article.paragraphs[0] == "সকাল থেকে ঢাকায় বৃষ্টি হচ্ছে।"


def test_heading_words_inside_the_article_are_text() -> None:
    """ "সর্বশেষ খবর" as a subheading, and a "/…/" line, are body text when the article goes on."""
    paragraphs = ["প্রথম অনুচ্ছেদ।", "সর্বশেষ খবর", "/ছবি/", "শেষ অনুচ্ছেদ।"]
    article = parse(replace(BASIC, paragraphs=paragraphs))
    assert article.paragraphs == tuple(paragraphs)
    assert article.initials == "এলকে"


def test_crawl_date_is_never_the_publication_date() -> None:
    article = parse(replace(BASIC, published=None, updated=None, crawled=date(2025, 5, 9)))
    assert article.published is None and article.updated is None
    assert article.freshest is None
    assert article.extra["crawled"] == date(2025, 5, 9)


def test_the_month_is_dhakas() -> None:
    """Published at 02:00 on the first of March in Dhaka is March, though it is February in UTC;
    an undated article has no month."""
    article = parse(replace(BASIC, published=datetime(2024, 3, 1, 2, 0, tzinfo=DHAKA)))
    assert article.month == "2024-03"
    assert article.published.astimezone(UTC).month == 2
    assert parse(replace(BASIC, published=None, updated=None)).month is None


def test_html_in_title_is_kept_as_text() -> None:
    title = "<script>alert('x')</script> ঢাকায় <b>বৃষ্টি</b> &amp;"
    article = parse(replace(BASIC, title=title))
    assert article.title == title


def test_page_without_header_starts_at_title() -> None:
    text = page_text(BASIC).split("\n\n", 1)[1]  # drop chrome, crawl date and Bengali date
    article = parse_page_text(text, "p.txt")
    assert article.title == BASIC.title and article.desk == BASIC.desk
    assert article.extra == {}


# --- broken and hostile input ---------------------------------------------------------------

TITLE_ONLY = "X\nশুক্রবার, ০৯ মে ২০২৫\n২৬ বৈশাখ ১৪৩২\n\nশুধু শিরোনাম আছে\n"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"  \n\r\n\t\n", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        (bytes(range(256)) * 4, "not UTF-8 text (binary or another encoding)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text (binary or another encoding)"),
        ("Café naïve résumé à la carte\n".encode("latin-1"), "not UTF-8 text"),
        ("ঢাকা".encode("utf-16-le"), "not UTF-8 text"),  # UTF-16 without BOM: NUL bytes
        (b"Plain ASCII text, valid UTF-8 but not a Bangla page.\n", "no Bangla letters"),
        (TITLE_ONLY.encode(), "no body after the title"),
        ((TITLE_ONLY + "\nনিজস্ব প্রতিবেদক\n").encode(), "no body after the title"),
        ("X\nশুক্রবার, ০৯ মে ২০২৫\n\n".encode(), "no title"),
        (b"\xff\xfe" + "ঢাকা".encode("utf-16-le") + b"\x00", "not UTF-16-LE text"),
    ],
)
def test_broken_pages_rejected_with_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "0001_0000000000000000.txt"
    path.write_bytes(data)
    with pytest.raises(PageRejected) as rejected:
        read_page(path)
    assert reason in rejected.value.reason
    assert rejected.value.path == str(path)


def test_page_cut_off_in_a_character_is_detected() -> None:
    data = page_text(BASIC).encode()
    cut = next(n for n in range(300, 320) if data[n] >= 0xE0)  # the start of a Bangla letter
    with pytest.raises(PageRejected, match="page cut off"):
        decode_page(data[: cut + 1], "p.txt")


def test_huge_file_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(page_text(BASIC).encode() + b"a" * MAX_PAGE_BYTES)
    with pytest.raises(PageRejected, match="page too large"):
        read_page(path)


def test_huge_line_rejected() -> None:
    text = page_text(replace(BASIC, paragraphs=["ক" * (MAX_LINE_CHARS + 1)]))
    with pytest.raises(PageRejected, match="page too large: a line of"):
        parse_page_text(text, "p.txt")


def test_unreadable_path_rejected(tmp_path: Path) -> None:
    with pytest.raises(PageRejected, match="cannot read"):
        read_page(tmp_path / "missing.txt")


HOSTILE_LINES = [
    " " * 900_000 + "x",  # a long run of spaces: where \s* patterns could backtrack
    "ক" + " " * 190 + "আপডেট" + " " * 190 + ":",
    "১ মে" + " " * 195 + "২০২৫",
    ("শুক্রবার" + " " * 50 + ", ") * 3,
    "a," * 400_000,
    "/" * 900_000,
    "/ক" * 400_000 + "/",
]


@pytest.mark.parametrize("line", HOSTILE_LINES, ids=range(len(HOSTILE_LINES)))
def test_hostile_lines_are_read_quickly(line: str) -> None:
    """Odd lines in the header, desk/date or body positions cost linear time, not a hang."""
    head = "X\nশুক্রবার, ০৯ মে ২০২৫\n\nশিরোনাম\n\n"
    for text in (head + line + "\n\nঅনুচ্ছেদ।\n", line + "\n\n" + head + "অনুচ্ছেদ।\n"):
        started = time.perf_counter()
        try:
            parse_page_text(text, "p.txt")
        except PageRejected:
            pass
        assert time.perf_counter() - started < 5


# --- finding pages --------------------------------------------------------------------------


def test_scan_sources_finds_pages(tmp_path: Path) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    for rel in ("b.txt", "a/z.txt", "a/deep/c.txt", "a/notes.md", "a/deep/d.TXT.bak"):
        (tmp_path / rel).write_text("x")
    (tmp_path / "a" / "dir.txt").mkdir()  # a folder named like a page is not a page
    single = tmp_path / "b.txt"
    found = scan_sources([tmp_path / "a", str(single), single, tmp_path / "nothing-here"]).pages
    assert found == sorted([tmp_path / "a/deep/c.txt", tmp_path / "a/z.txt", single])
    assert scan_sources([]).pages == []


# --- randomly generated pages ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_pages_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    for n in range(25):
        spec = random_spec(rng)
        article = parse(spec, f"{n:04d}_{seed:016x}.txt")
        context = f"seed {seed}, page {n}: {spec}"
        assert article.id == f"{n:04d}_{seed:016x}", context
        assert article.title == spec.title, context
        assert article.desk == spec.desk, context
        assert article.published == spec.published, context
        assert article.updated == spec.updated, context
        assert article.initials == spec.initials, context
        assert article.paragraphs == tuple(spec.paragraphs), context
        assert article.extra["crawled"] == spec.crawled, context


# --- the bundled samples --------------------------------------------------------------------


def test_samples_are_readable_articles() -> None:
    files = scan_sources([SAMPLES]).pages
    assert 15 <= len(files) <= 20
    articles = [read_page(f) for f in files]
    for a in articles:
        assert a.title and a.desk and a.paragraphs, a.id
    assert len({a.desk for a in articles}) >= 4
    assert {a.published.year for a in articles if a.published} >= {2023, 2024, 2025}
    assert sum(a.updated is not None for a in articles) >= 1
    assert sum(a.published is None for a in articles) >= 1
    # Searches for these words should find several samples, as whole words, not only inside others.
    for word in ("ঢাকা", "ক্রিকেট", "বৃষ্টি"):
        assert sum(word in re.findall(r"[\u0980-\u09ff]+", a.body) for a in articles) >= 3, word
    # Each sample's boilerplate lists hold other samples' titles: none may reach a body.
    for a in articles:
        for other in articles:
            assert other.title not in a.body, (a.id, other.id)
