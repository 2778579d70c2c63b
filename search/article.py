"""The article as Sandhan understands it, independent of how it was read or where it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

# Bangladesh Standard Time; the archive's times are local, with no daylight saving.
DHAKA = timezone(timedelta(hours=6), "Asia/Dhaka")


@dataclass(frozen=True)
class Article:
    id: str  # file name without .txt: stable across re-crawls
    title: str
    desk: str | None
    published: datetime | None  # timezone-aware, +06:00
    updated: datetime | None
    paragraphs: tuple[str, ...]
    path: str
    initials: str | None = None  # reporter's initials, e.g. "এলকে" from "/এলকে/"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def month(self) -> str | None:
        """The month it was published in, in Dhaka (yyyy-mm): its place in the months facet."""
        return self.published.astimezone(DHAKA).strftime("%Y-%m") if self.published else None

    @property
    def freshest(self) -> datetime | None:
        """When this copy was last touched: the update time, else the publication time."""
        return self.updated or self.published

    @property
    def copy_rank(self) -> tuple:
        """Which of two copies of an article to keep: the greater, dated over undated, then the
        most recently updated, then the later path (so that the choice never depends on order)."""
        fresh = self.freshest
        return (fresh is not None, fresh.timestamp() if fresh else 0.0, self.path)


class PageRejected(Exception):
    """A page that cannot be read as an article; `reason` says why in words a person understands."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


# Article URLs. An id is a file name, so it can hold anything but "/": each is percent-encoded
# whole. A segment of dots only ("." or "..", even as %2E%2E) is removed by browsers and HTTP
# clients before the request is sent, so an id of dots only (or none) gets a "~" in front, and so
# does an id that starts with "~", to keep the mapping one-to-one.
ARTICLE_PATH = "/articles/"
_ESCAPE = "~"


def article_path_segment(article_id: str) -> str:
    """The URL path segment that names `article_id` (percent-encoded, never a dot segment)."""
    if not article_id.strip(".") or article_id.startswith(_ESCAPE):
        article_id = _ESCAPE + article_id
    return quote(article_id, safe="")


def article_id_of_segment(segment: str) -> str:
    """The id named by a decoded URL path segment: `article_path_segment` undone."""
    return segment.removeprefix(_ESCAPE)


def article_url(article_id: str) -> str:
    """The page of an article, as the API gives it in `url`."""
    return ARTICLE_PATH + article_path_segment(article_id)


def fresher(article: Article, stored: dict | None) -> bool:
    """Whether `article` is more recently updated than an indexed copy of it (`stored`: its
    stored fields, "updated" and "published" as ISO text)."""
    if stored is None:
        return True
    held = stored.get("updated") or stored.get("published")
    mine = article.freshest
    if mine is None or held is None:
        return held is None and mine is not None
    return mine > datetime.fromisoformat(held)
