"""Requests fired at once across processes, and what the losers must be told.

Each contender has its own client, hence its own connection, routed to one of the
deployment's processes in turn (and by the kernel to one of its workers). Connections are
opened first (a ``/livez`` each), then every request is released together, so they arrive
within a few milliseconds of each other: they race inside the database, not in the client.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from tests.scaleout.deployment import Deployment

ROUNDS = 3
"""Each race is run this many times: a single run could be won by scheduling alone."""
CONTENDERS = 8
"""Per race: four per process, so every worker of both processes is likely to get some."""

T = TypeVar("T")


@asynccontextmanager
async def contenders(deployment: Deployment, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """``count`` warm clients spread over the processes, closed afterwards."""
    clients = deployment.clients(count)
    try:
        await asyncio.gather(
            *(c.get(f"{deployment.public_url}/livez") for c in clients)
        )  # connections open before the race
        yield clients
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def race(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Every call started at the same moment (each is bound to its own client, e.g. with
    ``functools.partial(client.post, url, data=form)``)."""
    go = asyncio.Event()

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        await go.wait()
        return await call()

    running = [asyncio.ensure_future(one(call)) for call in calls]
    await asyncio.sleep(0)  # every contender is waiting at the barrier
    go.set()
    return list(await asyncio.gather(*running))


def outcomes(responses: Sequence[httpx.Response]) -> Counter[tuple[int, str | None]]:
    """(status, wire error code) of each response, counted."""
    return Counter((r.status_code, error_of(r)) for r in responses)


def error_of(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        return "not-json"
    return str(body.get("error")) if isinstance(body, dict) else "not-an-object"


def winners(responses: Sequence[httpx.Response], status: int = 200) -> list[httpx.Response]:
    return [r for r in responses if r.status_code == status]
