"""The per-address token bucket (runtime.rate_limit): refill, bounds, and the address key."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from runtime.app import create_app
from runtime.rate_limit import RateLimit, RateLimiter, client_key
from runtime.settings import ServiceSettings
from tests.support import Clock


def test_a_bucket_gives_its_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_minute=30, burst=3), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == 2.0  # one request every two seconds
    clock.advance(2)
    assert limiter.take("a") == 0.0
    clock.advance(600)  # never more than the burst
    assert [limiter.take("a") for _ in range(4)][-1] > 0


def test_a_clock_that_goes_back_refills_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_minute=60, burst=1), clock=clock)
    assert limiter.take("a") == 0.0
    clock.advance(-3_600)
    assert limiter.take("a") > 0
    clock.advance(3_600)  # back where it was: still no time has passed for the bucket
    assert limiter.take("a") > 0


def test_the_buckets_are_capped_least_recently_seen_first() -> None:
    limiter = RateLimiter(RateLimit(per_minute=1, burst=1, max_clients=100), clock=Clock())
    for number in range(10_000):
        limiter.take(f"10.0.{number // 256}.{number % 256}")
    assert len(limiter) == 100


@pytest.mark.parametrize(
    ("client", "key"),
    [
        (("192.0.2.1", 1), "192.0.2.1"),
        (("2001:db8:1:2:aaaa::1", 1), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:bbbb::9", 1), "2001:db8:1:2::/64"),
        (("::ffff:192.0.2.1", 1), "192.0.2.1"),
        (("testclient", 1), "testclient"),
        (None, "unknown"),
    ],
)
def test_clients_are_keyed_by_address_and_ipv6_by_its_64(
    client: tuple[str, int] | None, key: str
) -> None:
    assert client_key({"type": "http", "client": client}) == key


def test_limits_must_be_positive() -> None:
    for values in [(0, 1, 1), (1, 0, 1), (1, 1, 0)]:
        with pytest.raises(ValueError, match="positive"):
            RateLimit(*values)


async def test_only_the_named_paths_are_limited() -> None:
    router = APIRouter()

    @router.post("/open")
    async def open_endpoint() -> dict[str, bool]:
        return {"ok": True}

    @router.post("/other")
    async def other_endpoint() -> dict[str, bool]:
        return {"ok": True}

    settings = ServiceSettings(public_url="https://service.example", database_url="sqlite://")
    limiter = RateLimiter(RateLimit(per_minute=1, burst=1), clock=Clock())
    app = create_app(
        title="t",
        version="1",
        settings=settings,
        routers=[router],
        rate_limiter=limiter,
        rate_limited_paths={"/open"},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://service.example") as c:
        assert (await c.post("/open")).status_code == 200
        limited = await c.post("/open", content=b"x" * 10)
        assert limited.status_code == 429
        assert limited.json() == {
            "error": "try_later",
            "error_description": "too many requests: wait before trying again",
        }
        assert limited.headers["retry-after"] == "60"
        assert limited.headers["x-content-type-options"] == "nosniff"
        assert [(await c.post("/other")).status_code for _ in range(3)] == [200] * 3
