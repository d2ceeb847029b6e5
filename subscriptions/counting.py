"""Counting rows for the admin's pagination without counting a million of them.

Django's changelist asks its paginator for ``count`` on every page load. An exact
``COUNT(*)`` of a million subscribers reads the whole table each time. Here the count
is exact only up to EXACT_UP_TO (a count over a LIMITed subquery, which stops
early); past that the planner's estimate for the same query is used (PostgreSQL's
``EXPLAIN``, from the table statistics autovacuum keeps). So "1,000,000 subscribers"
may read "998,212": a list that long is paged, not counted by hand. Small results —
a search, a rare filter — stay exact.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_UP_TO = 10_000


def estimated_count(queryset) -> int:
    exact = queryset.order_by()[: EXACT_UP_TO + 1].count()
    if exact <= EXACT_UP_TO:
        return exact
    return max(EXACT_UP_TO + 1, planner_estimate(queryset))


def planner_estimate(queryset) -> int:
    """The planner's row estimate for the query (PostgreSQL); other databases count."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """A Paginator whose ``count`` is exact for small results and estimated for big ones."""

    @cached_property
    def count(self) -> int:
        return estimated_count(self.object_list)
