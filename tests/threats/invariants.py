"""The checks every catalogue case makes besides its own outcome (the model's INV-1..INV-6).

* INV-1, never accepted: each case asserts its own rejection (``rejected`` gives the exact
  reason of a specs call).
* INV-2, no unplanned 5xx and no uncaught exception: ``LogWatch`` (an autouse fixture of this
  folder) fails the test on an error record with a traceback or on the services' "unhandled"
  line; ``no_server_error`` checks an answer (503 allowed only where the case plans it).
* INV-3, bounded work: ``bounded_memory`` fails when Python's allocations during the block
  pass a generous cap. Time is never asserted here; ``bench/threats.py`` prints the figures.
* INV-4, no state change on rejection: ``snapshot`` reads every table of a database, so a
  case compares before and after.
* INV-5, no canary leak: ``canary`` makes unique values, ``leaks`` finds them in any blob.
* INV-6, deterministic: the cases use the suite's fixed clock and seeded randomness.
"""

from __future__ import annotations

import logging
import secrets
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import create_async_engine

from specs.errors import Rejected
from tests.canary_watch import found_in

CANARY_PREFIX = "CANARY"


def canary(label: str = "value") -> str:
    """A value no code would write by itself: found anywhere it was copied to."""
    return f"{CANARY_PREFIX}-{label}-{secrets.token_hex(6)}"


def leaks(canaries: Iterable[str], *blobs: bytes | str) -> list[str]:
    """The canaries that appear in any blob (bytes are searched as UTF-8 and as UTF-16).

    A number counts only where no digit touches it (``found_in``): a seven-digit income is
    also a run inside a timestamp in microseconds that a desk rightly stores.
    """
    found: list[str] = []
    for value in canaries:
        for blob in blobs:
            data = blob.encode() if isinstance(blob, str) else blob
            if found_in(value, data) or value.encode("utf-16-le") in data:
                found.append(value)
                break
    return found


def rejected(call: Callable[[], object]) -> object:
    """Run ``call`` and return the reason it was rejected with; fail when it was accepted."""
    try:
        call()
    except Rejected as refusal:
        return refusal.reason
    pytest.fail("accepted: the case must be rejected (INV-1)")


def no_server_error(response: httpx.Response, *, planned_503: bool = False) -> None:
    """INV-2: no 5xx, except the designed 503 with ``Retry-After`` where the case plans it."""
    if planned_503 and response.status_code == 503:
        assert "retry-after" in response.headers
        return
    assert response.status_code < 500, (response.status_code, response.text[:200])


@contextmanager
def bounded_memory(limit_bytes: int) -> Iterator[None]:
    """INV-3: the block's peak Python allocation stays under a generous cap."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        if not already:
            tracemalloc.stop()
    assert peak - base < limit_bytes, f"peak {peak - base} bytes over the cap {limit_bytes}"


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to compare a database before and after a case."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            tables: dict[str, list[tuple[Any, ...]]] = {}
            for table in metadata.sorted_tables:
                rows = (await connection.execute(select(table))).all()
                tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
            return tables
    finally:
        await engine.dispose()


class LogWatch(logging.Handler):
    """Collects the records that break INV-2 while a case runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.breaches: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info or message.startswith("unhandled"):
            self.breaches.append(f"{record.name}: {message[:200]}")
