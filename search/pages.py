"""The saved-page reader: turns one crawled Bangla news page (a plain-text file) into an Article.

Knows the layout described in ../shared/corpus/FORMAT.md; broken files are rejected with a reason.
`scan_sources` finds the pages of source folders, and says why each other entry there is not read.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path

from search.article import Article, PageRejected
from search.bangla import INVISIBLE
from search.dates import (
    is_bengali_calendar_month,
    month_number,
    parse_stamp,
    to_ascii_digits,
    weekday_number,
)

__all__ = [
    "BOILERPLATE_HEADINGS",
    "MAX_LINE_CHARS",
    "MAX_PAGE_BYTES",
    "SourceScan",
    "decode_page",
    "parse_page_text",
    "printable_path",
    "read_page",
    "scan_sources",
]

# Hostile-input limits: a real article is well under 100 kB; anything this big is not a news page
# and would only cost memory and index space.
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
# Date lines are under 80 characters; longer lines are not even tried (keeps regexes linear).
MAX_DATE_LINE_CHARS = 200
# Bylines seen are at most ~50 characters ("name, district correspondent"); a longer line is text.
MAX_DESK_CHARS = 80
# Punctuation that ends a sentence: a line ending so is body text, not a byline.
_SENTENCE_ENDS = ("।", "?", "!", ".")

# Byte-order marks -> codec. UTF-32 comes first: its little-endian mark begins with UTF-16's.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Headings that start the boilerplate lists under the article: other articles' headlines follow,
# and none of it may reach the body (every headline query would hit unrelated pages).
BOILERPLATE_HEADINGS: frozenset[str] = frozenset({"সম্পর্কিত", "সর্বশেষ খবর", "সর্বাধিক পঠিত"})

# Glue between the published and the updated stamp: "…, ১৫:০১আপডেট : …" (no space before it).
_UPDATE_SPLIT_RE = re.compile(r"\s*আপডেট\s*:?\s*")
# Optional words some outlets print before the publication stamp.
_PUBLISHED_PREFIX_RE = re.compile(r"^\s*(?:প্রকাশ(?:িত)?|প্রকাশের সময়|Published)\s*:?\s*")
# The crawl-date line: "শুক্রবার, ০৯ মে ২০২৫" (weekday, comma, day month year; digits made ASCII).
_CRAWL_RE = re.compile(r"\s*([^\s,]+)\s*,\s*([0-9]{1,2})\s+(\S+)\s+([0-9]{4})\s*")
# The Bengali-calendar line under it: "২৬ বৈশাখ ১৪৩২".
_BENGALI_DATE_RE = re.compile(r"\s*([0-9]{1,2})\s+(\S+)\s+([0-9]{4})\s*")
# Reporter's initials ending the body: "/এলকে/", also several people "/এফএ/এমএইচএস/".
_INITIALS_RE = re.compile(r"\s*/((?:[^/\s]+/)+)\s*")
# Bangla letters (not digits or signs): a "page" without any is not a Bangla article.
_BANGLA_LETTER_RE = re.compile(r"[\u0985-\u09b9\u09dc-\u09df]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _is_blank(line: str) -> bool:
    # str.strip() removes NBSP too: lines holding a single space or NBSP are spacing, not text.
    # Invisible characters (search/bangla.py) on their own make a line no more than spacing.
    return not line.strip().strip(INVISIBLE)


def decode_page(data: bytes, path: str) -> str:
    """Bytes of a saved page -> text; raises PageRejected for empty, binary or non-UTF text."""
    if not data.strip():
        raise PageRejected(path, "empty file")
    if len(data) > MAX_PAGE_BYTES:
        raise PageRejected(path, f"page too large: {len(data):,} bytes (limit {MAX_PAGE_BYTES:,})")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as e:
                raise PageRejected(
                    path, f"not {codec.upper()} text despite its byte-order mark ({e.reason})"
                ) from None
    if b"\x00" in data:
        raise PageRejected(path, "not UTF-8 text (binary or another encoding): holds NUL bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.start >= len(data) - 3:
            raise PageRejected(path, "page cut off: the file ends in the middle of a character") from None
        raise PageRejected(
            path,
            "not UTF-8 text (binary or another encoding, e.g. Latin-1): "
            f"invalid byte 0x{data[e.start]:02x} at offset {e.start}",
        ) from None


def read_page(path: str | Path, link_to: FileId | None = None) -> Article:
    """Read one saved page; raises PageRejected (with a reason a person understands) if broken.

    A link is read only with `link_to`, the file it led to when the folder was scanned
    (`SourceScan.links`), and only if it still leads there; without, `path` must not be a link.
    """
    p = Path(path)
    if problem := _file_name_problem(p.name):
        raise PageRejected(str(path), problem)
    try:
        data = _read_regular_file(p, link_to)
    except OSError as e:
        if e.errno == errno.ELOOP and link_to is None:  # made a link since it was looked at
            raise PageRejected(str(path), BECAME_A_LINK) from None
        raise PageRejected(str(path), f"cannot read the file: {e.strerror or e}") from None
    return parse_page_text(decode_page(data, str(path)), str(path))


def read_pages(
    paths: Iterable[Path],
    links: dict[Path, FileId],
    rejected: list[tuple[str, str]],
    progress: Callable[[int], None] | None = None,
) -> Iterator[Article]:
    """The articles of `paths`, read as a scan found them (`links`: SourceScan.links); a page that
    cannot be read is added to `rejected` as (path, reason) and the rest are read. `progress` is
    told of each page."""
    for path in paths:
        try:
            yield read_page(path, links.get(path))
        except PageRejected as exc:
            rejected.append((str(path), exc.reason))
        except Exception as exc:  # a reader bug must cost one page, not the build
            rejected.append((str(path), f"could not be read ({exc.__class__.__name__})"))
        if progress:
            progress(1)


def under(path: str, folders: Iterable[str | Path]) -> bool:
    """Whether `path` is in one of `folders`, by its name: a link in a source folder is one of its
    entries wherever it leads."""
    return any(Path(path).is_relative_to(folder) for folder in folders)


def page_id(path: str | Path) -> str:
    """An article's id: its page's file name without `.txt` (stable across re-crawls)."""
    return Path(path).name.removesuffix(".txt")


def _file_name_problem(name: str) -> str | None:
    """Why a file name cannot name an article (its id is the name without .txt), or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, held by Python as surrogates
        return "file name is not UTF-8 text (an article's id is its file name): rename the file"
    if name == ".txt":
        return "file name is only .txt (an article's id is its file name): rename the file"
    return None


# Which file a name leads to: (st_dev, st_ino).
FileId = tuple[int, int]
BECAME_A_LINK = "a link now, where a file was found when the folder was scanned: not followed"
LEADS_ELSEWHERE = "a link that leads to another file than when the folder was scanned: not followed"


def _file_id(st: os.stat_result) -> FileId:
    return (st.st_dev, st.st_ino)


def _read_regular_file(path: Path, link_to: FileId | None) -> bytes:
    """The bytes of a regular file; anything else is never read: a FIFO would block, a device
    could be endless. A name that was not a link is opened without following one (O_NOFOLLOW); a
    link must lead to the file `link_to`. Checked again on what was opened, in case the name
    changed in between (a page swapped for a link out of the folder after the scan)."""
    _check_file(path, os.stat(path, follow_symlinks=link_to is not None), link_to)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    fd = os.open(path, flags if link_to is not None else flags | os.O_NOFOLLOW)
    with open(fd, "rb") as fh:
        _check_file(path, os.fstat(fd), link_to)
        return fh.read(MAX_PAGE_BYTES + 1)  # one byte more: a file that grew is still refused


def _check_file(path: Path, st: os.stat_result, link_to: FileId | None) -> None:
    """PageRejected unless `st` is a regular file small enough, and the one `link_to` names."""
    if stat.S_ISLNK(st.st_mode):
        raise PageRejected(str(path), BECAME_A_LINK)
    if not stat.S_ISREG(st.st_mode):
        raise PageRejected(str(path), _not_a_file(st.st_mode))
    if link_to is not None and _file_id(st) != link_to:
        raise PageRejected(str(path), LEADS_ELSEWHERE)
    if st.st_size > MAX_PAGE_BYTES:
        # Checked before reading so a huge file never lands in memory.
        raise PageRejected(str(path), f"page too large: {st.st_size:,} bytes (limit {MAX_PAGE_BYTES:,})")


# What a directory entry is when it is not a regular file, in words.
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((kind for is_kind, kind in _FILE_KINDS if is_kind(mode)), "another kind of file")


def _not_a_file(mode: int) -> str:
    return f"not a regular file but {_kind(mode)}: not read"


@dataclass
class SourceScan:
    """What a walk of the source folders found: the pages to read, and what was passed over and why."""

    pages: list[Path] = field(default_factory=list)  # sorted, each once
    links: dict[Path, FileId] = field(default_factory=dict)  # a page that is a link: the file it led to
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), sorted
    unreadable: list[Path] = field(default_factory=list)  # folders that could not be listed

    def reject(self, path: Path, reason: str) -> None:
        self.rejected.append((str(path), reason))


def scan_sources(paths: Iterable[Path | str]) -> SourceScan:
    """Saved pages (*.txt) among files and folders (searched recursively), and every entry that
    looks like a page or a folder but is not read, with the reason.

    Links are followed only to a regular file inside the folder they are in: a link leading out
    of it (to another file, to /proc/self/environ) is refused, and a link to a folder is not
    walked (its pages are read where they are, and no loop can form). FIFOs, devices and sockets
    are never opened. A folder that cannot be listed is reported and its pages left unknown.
    A file named on its own is the caller's choice: it is read if it is a regular *.txt file.
    """
    scan = SourceScan()
    found: set[Path] = set()
    for raw in paths:
        given = Path(raw)
        try:
            st = os.stat(given)
            if given.is_symlink():
                scan.links[given] = _file_id(st)
        except OSError as e:
            scan.reject(given, f"cannot be read: {e.strerror}")
            continue
        if stat.S_ISDIR(st.st_mode):
            _scan_folder(given, scan, found)
        elif not given.name.endswith(".txt"):
            scan.reject(given, "not a page: the name does not end in .txt")
        elif stat.S_ISREG(st.st_mode):
            found.add(given)
        else:
            scan.reject(given, _not_a_file(st.st_mode))
    # Ordered as Path orders (by parts), but compared as tuples in C: Path's own comparison runs
    # in Python, 2.7 s of an update's 10 s at 100,000 pages.
    scan.pages = sorted(found, key=attrgetter("parts"))
    scan.links = {path: scan.links[path] for path in scan.pages if path in scan.links}
    scan.rejected.sort()
    return scan


def _scan_folder(folder: Path, scan: SourceScan, found: set[Path]) -> None:
    inside = folder.resolve()
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as e:
            scan.reject(current, f"folder cannot be read ({e.strerror}): the pages in it were not read")
            scan.unreadable.append(current)
            continue
        for entry in entries:
            path = Path(entry.path)
            is_page = entry.name.endswith(".txt")
            try:
                if entry.is_symlink():
                    _follow_link(path, is_page, inside, scan, found)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif is_page and entry.is_file(follow_symlinks=False):
                    found.add(path)
                elif is_page:
                    scan.reject(path, _not_a_file(entry.stat(follow_symlinks=False).st_mode))
            except OSError as e:
                scan.reject(path, f"cannot be examined: {e.strerror}")


def scan_named(sources: Iterable[Path | str], names: Iterable[str]) -> SourceScan:
    """What `scan_sources(sources)` would find of the entries `names` alone (pages the watcher
    heard change), by the same rules: a name under no source, under a linked folder, or that is
    not a page now (gone, a folder) is left out; a link is followed as the walk follows it.
    An update of a few pages reads them without walking a folder of a hundred thousand."""
    roots = [Path(s).resolve() for s in sources]
    scan = SourceScan()
    found: set[Path] = set()
    for name in names:
        path = Path(name)
        inside = next((root for root in roots if path.is_relative_to(root)), None)
        if inside is None or not path.name.endswith(".txt"):
            continue
        try:
            st = os.lstat(path)
            # the walk does not enter a linked folder: a page reached through one is not in it
            if os.path.realpath(path.parent) != str(path.parent):
                continue
            if stat.S_ISLNK(st.st_mode):
                _follow_link(path, True, inside, scan, found)
            elif stat.S_ISREG(st.st_mode):
                found.add(path)
            elif not stat.S_ISDIR(st.st_mode):
                scan.reject(path, _not_a_file(st.st_mode))
        except FileNotFoundError:
            continue  # gone: the update takes it out
        except OSError as e:
            scan.reject(path, f"cannot be examined: {e.strerror}")
    scan.pages = sorted(found, key=attrgetter("parts"))
    scan.rejected.sort()
    return scan


def _follow_link(link: Path, is_page: bool, inside: Path, scan: SourceScan, found: set[Path]) -> None:
    """A link named like a page is read if it leads to a regular file inside the folder, else
    refused with the reason; a link to a folder is reported, whatever its name; other links are
    not pages."""
    try:
        target = Path(os.path.realpath(link, strict=True))
        st = os.stat(target)
    except OSError as e:
        if is_page and e.errno == errno.ENOENT:
            scan.reject(link, "a link to nothing: its target does not exist")
        elif is_page:
            scan.reject(link, f"a link that cannot be followed: {e.strerror}")
        return
    outside, mode = not target.is_relative_to(inside), st.st_mode
    if stat.S_ISDIR(mode):
        where = "outside the source folder" if outside else "inside the source folder"
        scan.reject(link, f"a link to a folder {where}: not followed")
    elif not is_page:
        return
    elif outside:
        scan.reject(link, "a link to a file outside the source folder: not followed")
    elif stat.S_ISREG(mode):
        found.add(link)
        scan.links[link] = _file_id(st)
    else:
        scan.reject(link, f"a link to {_kind(mode)}: not read")


# How a report shows the characters of a file name that would break its line or not show.
_PRINTABLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def printable_path(path: str | Path) -> str:
    """`path` as one line of printable text, for reports: a backslash doubled; newline, tab and
    other control or invisible characters as \\n, \\t, \\u200d; bytes of a name that are not
    UTF-8 (which Python holds as surrogates, os.fsdecode) as \\xff."""
    text = str(path)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(map(_printable_char, text))


def _printable_char(char: str) -> str:
    if char in _PRINTABLE_ESCAPES:
        return _PRINTABLE_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _looks_like_desk(line: str) -> bool:
    # A page without a byline goes straight to the body: a long line or a sentence is not a desk.
    stripped = line.strip()
    return len(stripped) <= MAX_DESK_CHARS and not stripped.endswith(_SENTENCE_ENDS)


def _crawl_date(line: str) -> date | None:
    """The date of a crawl-date line "শুক্রবার, ০৯ মে ২০২৫", else None (also for impossible dates)."""
    if len(line) > MAX_DATE_LINE_CHARS:
        return None
    m = _CRAWL_RE.fullmatch(to_ascii_digits(line))
    if m is None or weekday_number(m.group(1)) is None:
        return None
    month = month_number(m.group(3))
    if month is None:
        return None
    try:
        return date(int(m.group(4)), month, int(m.group(2)))
    except ValueError:
        return None


def _bengali_date_line(line: str) -> bool:
    if len(line) > MAX_DATE_LINE_CHARS:
        return False
    m = _BENGALI_DATE_RE.fullmatch(to_ascii_digits(line))
    return bool(m) and is_bengali_calendar_month(m.group(2))


def _stamp_line(line: str) -> tuple[datetime, datetime | None] | None:
    """(published, updated) from "১২ সেপ্টেম্বর ২০২৩, ১৫:০১আপডেট : …", or None if not such a line."""
    if len(line) > MAX_DATE_LINE_CHARS:
        return None
    line = _PUBLISHED_PREFIX_RE.sub("", line, count=1)
    parts = _UPDATE_SPLIT_RE.split(line, maxsplit=1)
    try:
        published = parse_stamp(parts[0])
        updated = parse_stamp(parts[1]) if len(parts) > 1 else None
    except ValueError:
        return None
    return published, updated


def parse_page_text(text: str, path: str) -> Article:
    """Decoded page text -> Article; raises PageRejected if the page has no title or body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise PageRejected(path, "empty file")
    lines = _LINE_BREAK_RE.split(text)
    longest = max(map(len, lines))
    if longest > MAX_LINE_CHARS:
        raise PageRejected(
            path, f"page too large: a line of {longest:,} characters (limit {MAX_LINE_CHARS:,})"
        )
    if not _BANGLA_LETTER_RE.search(text):
        raise PageRejected(path, "not a Bangla page: no Bangla letters at all")
    blank = [_is_blank(line) for line in lines]
    n = len(lines)

    # Header: site chrome, crawl date, Bengali-calendar date, up to the first blank line. The crawl
    # date is never taken as the publication date; a page without that block starts at its title.
    i = 0
    while i < n and blank[i]:
        i += 1
    header_end = i
    while header_end < n and not blank[header_end]:
        header_end += 1
    crawled: date | None = None
    is_header = False
    for line in lines[i:header_end]:
        if (found := _crawl_date(line)) is not None:
            crawled = crawled or found
            is_header = True
        elif _bengali_date_line(line):
            is_header = True
    if is_header:
        i = header_end
    while i < n and blank[i]:
        i += 1
    if i >= n:
        raise PageRejected(path, "no title: nothing after the crawl date")
    title = lines[i].strip()
    i += 1

    # The boilerplate lists form the page's last block: from their first heading to the end of the
    # file there is no blank line. A heading-like line earlier, inside the article, is body text.
    tail_start = n
    while tail_start > 0 and blank[tail_start - 1]:
        tail_start -= 1
    while tail_start > 0 and not blank[tail_start - 1]:
        tail_start -= 1

    def ends_article(j: int) -> bool:
        return j >= n or (j >= tail_start and lines[j].strip() in BOILERPLATE_HEADINGS)

    # Byline/desk, then the published line; either may be missing.
    while i < n and blank[i]:
        i += 1
    desk: str | None = None
    stamps = _stamp_line(lines[i]) if i < n else None
    if i < n and stamps is None and not ends_article(i) and _looks_like_desk(lines[i]):
        desk = lines[i].strip()
        i += 1
        stamps = _stamp_line(lines[i]) if i < n else None
    published = updated = None
    if stamps is not None:
        published, updated = stamps
        i += 1

    # Body: paragraphs separated by blank lines, up to the initials or the first boilerplate list.
    paragraphs: list[str] = []
    current: list[str] = []
    initials: str | None = None
    while i < n and not ends_article(i):
        if blank[i]:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            i += 1
            continue
        line = lines[i]
        if m := _INITIALS_RE.fullmatch(line):
            # Initials end the body only if nothing but the lists follows; elsewhere "/…/" is text.
            k = i + 1
            while k < n and blank[k]:
                k += 1
            if ends_article(k):
                initials = m.group(1).rstrip("/")
                break
        current.append(line.strip())
        i += 1
    if current:
        paragraphs.append(" ".join(current))
    if not paragraphs:
        raise PageRejected(path, "no body after the title")
    return Article(
        id=page_id(path),
        title=title,
        desk=desk,
        published=published,
        updated=updated,
        paragraphs=tuple(paragraphs),
        path=str(path),
        initials=initials,
        # The crawl date is kept for reference only: it says when the copy was saved, not written.
        extra={"crawled": crawled} if crawled else {},
    )
