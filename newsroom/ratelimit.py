"""Fixed-window rate limits kept in the shared cache (Redis in production).

``"20/h,50/d"`` means at most 20 hits an hour and 50 a day per key. The counter is
``cache.add`` (start at 0, only if absent) then ``cache.incr``: both atomic on Redis,
so many web processes share one count without a race.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def parse_limits(spec: str) -> list[Limit]:
    """``"20/h"`` → [Limit(20, 3600)]; ``"off"`` or empty → [] (no limit)."""
    spec = (spec or "").strip().lower()
    if spec in ("", "off", "none", "0"):
        return []
    limits = []
    for part in spec.split(","):
        count, _, period = part.strip().partition("/")
        if period not in PERIODS or not count.isdigit():
            raise ValueError(f"bad rate limit {part!r}: use N/s, N/m, N/h or N/d")
        limits.append(Limit(int(count), PERIODS[period]))
    return limits


def hit(scope: str, key: str, limits: list[Limit]) -> bool:
    """Count one hit; False when any window is already over its limit."""
    allowed = True
    now = int(time.time())
    for limit in limits:
        window = now // limit.seconds
        cache_key = f"rl:{scope}:{limit.seconds}:{window}:{key}"
        cache.add(cache_key, 0, timeout=limit.seconds + 60)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this hit starts the window
            cache.set(cache_key, 1, timeout=limit.seconds + 60)
            count = 1
        if count > limit.count:
            allowed = False
    return allowed
