"""The article as Sandhan understands it, independent of how it was read or where it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

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
    def freshest(self) -> datetime | None:
        """When this copy was last touched: the update time, else the publication time."""
        return self.updated or self.published


class PageRejected(Exception):
    """A page that cannot be read as an article; `reason` says why in words a person understands."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
