"""The client's IP address, believing X-Forwarded-For only from trusted proxies.

A raw X-Forwarded-For is whatever the client typed, so trusting it would let anyone
dodge per-IP limits. Only when the direct peer (REMOTE_ADDR) is one of
TRUSTED_PROXIES is the header read, right to left, skipping further trusted hops:
the first address not ours is the client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a garbled header: fall back to the proxy's own address
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote
