"""Rate limits for the public pages (order tracking, the contact form, sign-in links), kept in Django's
cache: Redis in production, so every web process counts against the same numbers.

A limit is a fixed window: at most `limit` attempts per `window` seconds, counted in a cache key that
names the window it belongs to. A new window starts from zero without anyone having to reset it.
Redis counts atomically; the embedded file cache's incr is a read then a write, so there a burst of
concurrent attempts may get a few more through than the limit.
"""

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache

from carecrm import clock


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt against `key` and say whether it is allowed: True while this window has seen
    at most `limit` attempts, False from the attempt after that until the window ends."""
    started = int(clock.now().timestamp()) // window
    # Hashed: keys carry emails and IPv6 addresses, which some cache backends refuse in a key.
    cache_key = "ratelimit:" + hashlib.sha256(f"{key}|{window}|{started}".encode()).hexdigest()
    # add() creates the counter only if it is absent, so of two concurrent first attempts one creates
    # it and the other increments it; Redis's INCR is atomic, so no two attempts read the same count.
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The counter expired between add() and incr(): this attempt opens the next window.
        cache.add(cache_key, 1, timeout=window)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    """The address the request came from, as a rate-limit key. X-Forwarded-For is written by whoever
    sends the request, so it counts only behind proxies the deployment declares
    (CARECRM["TRUSTED_PROXY_HOPS"]: how many proxies in front of the app append to it), and then the
    address the outermost of them saw is taken. An IPv6 client is its /64: one host is given a whole
    /64, and counting single addresses would let it pick a fresh one for every attempt."""
    hops = int(settings.CARECRM.get("TRUSTED_PROXY_HOPS", 0) or 0)
    address = request.META.get("REMOTE_ADDR", "")
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
