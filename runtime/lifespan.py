"""One lifespan for every role's app: prepare, run the background work, and close down.

Each service does the same three things around serving: before the first request it
prepares (migrates its schema, sweeps what expired); while it serves, background loops run
(sweepers, a webhook dispatcher); on shutdown the loops are cancelled and awaited first, and
only then are the resources they use closed (the fetcher, the database engine), so no loop
meets a closed engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def service_lifespan(
    *,
    prepare: Callable[[], Awaitable[object]],
    background: Sequence[Callable[[], Coroutine[Any, Any, object]]] = (),
    close: Sequence[Callable[[], Awaitable[object]]] = (),
) -> Lifespan:
    """``prepare`` before serving, ``background`` loops while serving, ``close`` after."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await prepare()
        tasks = [asyncio.create_task(loop()) for loop in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for release in close:
                await release()

    return lifespan
