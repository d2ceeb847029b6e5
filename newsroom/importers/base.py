"""What every importer hands back: plain ``Item``s in a ``Batch``. Importers only read;
``newsroom.services.source_import`` writes, in one transaction per run."""

from dataclasses import dataclass, field
from datetime import datetime


class ImportFailed(Exception):
    """A source could not be read. The message is stored on the source for editors."""


@dataclass
class Item:
    external_id: str
    title: str
    url: str
    summary: str = ""
    image_url: str = ""
    author: str = ""
    slug: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None
    published: bool = True
    # The CMS's category names, its primary one first.
    categories: list[str] = field(default_factory=list)


@dataclass
class Batch:
    items: list[Item] = field(default_factory=list)
    # Entries that could not become articles (no title, no http(s) link…).
    skipped: int = 0
    # The source said "nothing changed since your last run" (HTTP 304).
    not_modified: bool = False
    # More changes wait at the source; the next run continues from ``modified_after``.
    more: bool = False
    etag: str = ""
    last_modified: str = ""
    modified_after: datetime | None = None
