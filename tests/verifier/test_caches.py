"""The verifier's expiring caches (issuer keys, status lists): bounded, expiring, one load at
a time per key, and no lock left behind by a load that failed."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import Clock
from verifier.caches import ExpiringCache


async def test_a_value_is_kept_until_its_own_end_and_loaded_again_after() -> None:
    clock = Clock(1_000)
    cache: ExpiringCache[str] = ExpiringCache(clock)
    loads: list[int] = []

    async def load() -> tuple[str, int]:
        loads.append(clock())
        return f"v{len(loads)}", clock() + 60

    assert await cache.get("k", load) == "v1"
    clock.advance(59)
    assert await cache.get("k", load) == "v1"
    assert cache.peek("k") == "v1"
    clock.advance(1)
    assert cache.peek("k") is None
    assert await cache.get("k", load) == "v2"
    assert loads == [1_000, 1_060]


async def test_concurrent_gets_of_one_key_share_one_load() -> None:
    cache: ExpiringCache[int] = ExpiringCache(Clock())
    release = asyncio.Event()
    calls = 0

    async def load() -> tuple[int, int]:
        nonlocal calls
        calls += 1
        await release.wait()
        return 7, 2**62

    waiting = [asyncio.create_task(cache.get("k", load)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [7] * 5
    assert calls == 1
    assert cache._locks == {}


async def test_a_failed_load_caches_nothing_and_leaves_no_lock() -> None:
    cache: ExpiringCache[int] = ExpiringCache(Clock())

    async def failing() -> tuple[int, int]:
        raise LookupError("unreachable")

    with pytest.raises(LookupError):
        await cache.get("k", failing)
    assert cache.peek("k") is None
    assert cache._locks == {}


def test_the_cache_stays_within_its_bound_however_it_is_filled() -> None:
    clock = Clock(0)
    cache: ExpiringCache[int] = ExpiringCache(clock, max_entries=3)
    cache.put("expired", 0, 1)
    clock.advance(5)
    for index in range(10):
        cache.put(f"k{index}", index, 100)
        assert len(cache._entries) <= 3
    assert cache.peek("k9") == 9
    assert cache.peek("expired") is None
