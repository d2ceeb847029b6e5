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


# A global send rate shared by every worker: each caller reserves the next free slot in
# Redis ("virtual scheduling") and sleeps until it starts. Celery's own rate_limit is
# per worker process, so it cannot hold an ESP's account-wide limit.
_RESERVE = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if free < now then free = now end
redis.call('SET', KEYS[1], free + cost, 'PX', math.ceil(free + cost - now) + 60000)
return math.floor(free - now)
"""


def _redis():
    client = getattr(cache, "_cache", None)
    get_client = getattr(client, "get_client", None)
    return get_client(None, write=True) if get_client else None


def send_tokens_acquire(recipients: int, *, key: str = "nashra:send-rate") -> float:
    """Wait until ``recipients`` more may go out under SEND_RATE_PER_SECOND; returns the
    seconds waited. A no-op without a rate or without Redis (a single process)."""
    from django.conf import settings

    rate = settings.SEND_RATE_PER_SECOND
    client = _redis() if rate else None
    if not client:
        return 0.0
    now_ms = time.time() * 1000
    wait_ms = int(client.eval(_RESERVE, 1, key, now_ms, recipients * 1000 / rate))
    if wait_ms > 0:
        time.sleep(wait_ms / 1000)
    return max(0, wait_ms) / 1000
