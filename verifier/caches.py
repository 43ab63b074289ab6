"""What the verifier fetches from issuers, kept only as long as it may be trusted.

* Issuer keys (JWT VC Issuer Metadata) per ``iss``, for ``issuer_metadata_ttl_seconds``.
  Only an issuer the trust registry lists is ever fetched (the pipeline checks first), so a
  presentation cannot make the verifier fetch from an address of its choosing.
* Status List Tokens per URI, verified, until ``usable_until`` (Token Status List §13.7:
  ``iat + ttl``, never past ``exp``). A failed refresh is never papered over with an expired
  copy: the caller gets ``StatusUnavailable`` and the decision is "cannot verify".

Concurrent requests for the same URL share one fetch (a lock per key), so a burst of
presentations of one issuer's credentials costs one round trip, not hundreds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

_T = TypeVar("_T")
MAX_ENTRIES = 4_096


@dataclass
class _Entry(Generic[_T]):
    value: _T
    until: int
    loaded: int


@dataclass
class ExpiringCache(Generic[_T]):
    """A bounded map from key to value-with-expiry; ``load`` returns the value and its end."""

    clock: Callable[[], int]
    max_entries: int = MAX_ENTRIES
    _entries: dict[str, _Entry[_T]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def get(self, key: str, load: Callable[[], Awaitable[tuple[_T, int]]]) -> _T:
        entry = self._entries.get(key)
        if entry is not None and self.clock() < entry.until:
            return entry.value
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                entry = self._entries.get(key)
                if entry is not None and self.clock() < entry.until:
                    return entry.value
                value, until = await load()
                self.put(key, value, until)
        finally:  # also when ``load`` failed: no lock outlives its key's last load
            if self._locks.get(key) is lock:
                del self._locks[key]
        return value

    def peek(self, key: str) -> _T | None:
        """The value if cached and not expired; never loads (for synchronous callers)."""
        entry = self._entries.get(key)
        return entry.value if entry is not None and self.clock() < entry.until else None

    def put(self, key: str, value: _T, until: int) -> None:
        """Keep ``value`` until ``until``, within ``max_entries`` (what ``get`` loads; tests
        and benchmarks fill the cache directly)."""
        if key not in self._entries and len(self._entries) >= self.max_entries:
            self._evict()
        self._entries[key] = _Entry(value, until, self.clock())

    def forget_if_older(self, key: str, age: int) -> bool:
        """Drop ``key`` if it was loaded at least ``age`` seconds ago; whether it was dropped.

        For a value that turned out stale before its time (an issuer published a new key):
        the next ``get`` loads again, but never more often than every ``age`` seconds, so
        an attacker's unknown ``kid`` cannot make every request a fetch.
        """
        entry = self._entries.get(key)
        if entry is None or self.clock() - entry.loaded < age:
            return False
        del self._entries[key]
        return True

    def _evict(self) -> None:
        now = self.clock()
        for key in [k for k, e in self._entries.items() if e.until <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
