"""Request rates per client address: one token bucket per address (THREATS I-03, I-17).

Endpoints open to anyone cost the service work per request (a nonce is an HMAC, a token
request a database transaction), so a client that floods them gets 429 once its bucket is
empty, before the request is read or routed. Each bucket holds ``burst`` requests and refills
at ``per_minute``; an answer names the wait in ``Retry-After`` (RFC 6585 §4, RFC 9110 §10.2.3).

Bounded by construction: at most ``max_clients`` buckets are kept, the least recently seen
dropped first, so a flood from many addresses cannot grow memory. An IPv6 client is keyed by
its /64, the smallest block one subscriber usually gets (RFC 6177), so one host cannot step
around its limit by changing the interface identifier.

The address is the one the ASGI server reports. Behind a reverse proxy that is the proxy's
own, unless the server is told to trust its forwarding headers (uvicorn's
``--forwarded-allow-ips``); a proxy that limits rates itself is the other way (docs/issuer.md).
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.settings import ServiceSettings
from runtime.wire import WireError, render

_IPV6_PREFIX = 64


class TooManyRequests(WireError):
    """RFC 6585 §4: this client sent too many requests; ``Retry-After`` says when to retry."""

    status_code = 429
    error = "try_later"
    description = "too many requests: wait before trying again"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``per_minute`` sustained, ``burst`` at once, buckets for ``max_clients`` addresses."""

    per_minute: int
    burst: int
    max_clients: int = 10_000

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.burst < 1 or self.max_clients < 1:
            raise ValueError("per_minute, burst and max_clients must be positive")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    seen: float


class RateLimiter:
    """The buckets of one service; ``clock`` gives seconds (a test passes its own)."""

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """Spend one request of ``client``: 0 when allowed, else the seconds until one is."""
        now = self._clock()
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = _Bucket(float(self.limit.burst), now)
        else:  # a clock that went back refills nothing
            refill = max(0.0, now - bucket.seen) * self.limit.per_minute / 60
            bucket.tokens = min(float(self.limit.burst), bucket.tokens + refill)
            bucket.seen = max(bucket.seen, now)
        self._buckets[client] = bucket  # most recently seen last
        while len(self._buckets) > self.limit.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) * 60 / self.limit.per_minute


def client_key(scope: Scope) -> str:
    """The bucket of a request: its client address, an IPv6 address by its /64."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{_IPV6_PREFIX}", strict=False))
    return str(address)


class RateLimitMiddleware:
    """Pure ASGI middleware: 429 for a client over its rate on one of ``paths``.

    A path that ends in ``/`` covers everything under it (``/wallet/``: the request objects
    and the response endpoint, whatever their identifiers)."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, paths: Collection[str]) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = frozenset(p for p in paths if not p.endswith("/"))
        self.prefixes = tuple(p for p in paths if p.endswith("/"))

    def _limited(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._limited(scope["path"]):
            wait = self.limiter.take(client_key(scope))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                await render(TooManyRequests(headers={"Retry-After": retry}))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def limiter_from(settings: ServiceSettings, clock: Callable[[], float]) -> RateLimiter | None:
    """The role's limiter when ``rate_limit_per_minute`` is set; None leaves rates alone."""
    if not settings.rate_limit_per_minute:
        return None
    return RateLimiter(
        RateLimit(settings.rate_limit_per_minute, settings.rate_limit_burst), clock=clock
    )
