"""Article importers, one module per kind of source. Each offers

- ``fetch(source, *, full) -> Batch``: what changed since the source's resume point;
- ``gone(source, batch, held) -> set``: which published articles we hold are gone there.

They only read; ``newsroom.services.source_import`` writes, one transaction per run.
"""

from newsroom.importers import feeds, wordpress
from newsroom.importers.base import Batch, ImportFailed, Item

IMPORTERS = {"wordpress": wordpress, "feed": feeds}  # ArticleSource.Kind → module

__all__ = ["IMPORTERS", "Batch", "ImportFailed", "Item"]
