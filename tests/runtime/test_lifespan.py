"""``service_lifespan``: prepared before serving, background loops cancelled and awaited before
anything they use is closed."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from runtime.lifespan import service_lifespan


async def test_prepare_then_loops_then_close_in_that_order() -> None:
    events: list[str] = []

    async def prepare() -> None:
        events.append("prepared")

    async def loop() -> None:
        events.append("loop running")
        try:
            await asyncio.Event().wait()
        finally:
            events.append("loop stopped")

    async def close() -> None:
        events.append("closed")

    lifespan = service_lifespan(prepare=prepare, background=[loop], close=[close])
    async with lifespan(FastAPI()):
        await asyncio.sleep(0)
        events.append("serving")
    assert events == ["prepared", "loop running", "serving", "loop stopped", "closed"]


async def test_a_failed_preparation_starts_nothing() -> None:
    started: list[str] = []

    async def prepare() -> None:
        raise RuntimeError("no schema")

    async def loop() -> None:
        started.append("loop")

    lifespan = service_lifespan(prepare=prepare, background=[loop])
    try:
        async with lifespan(FastAPI()):
            started.append("served")
    except RuntimeError:
        pass
    await asyncio.sleep(0)
    assert started == []
