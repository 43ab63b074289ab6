"""Running a service app on a free ``127.0.0.1`` port in a background thread (the demo).

The listening socket is bound first, so the app can be built knowing its own URL (a
service's ``public_url`` is its identifier), then served by uvicorn on that socket, with its
lifespan, on its own event loop. ``serving`` stops the server and waits for it on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import uvicorn
from starlette.types import ASGIApp

from runtime.slow_clients import SERVICE_HTTP_PROTOCOL

STARTUP_SECONDS = 20.0
T = TypeVar("T")


class LoopbackFailed(Exception):
    """A service did not start."""


@contextlib.contextmanager
def bound_listener() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        yield listener


def url_of(listener: socket.socket) -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


@dataclass(frozen=True)
class Running:
    url: str
    loop: asyncio.AbstractEventLoop

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the service's own event loop (its database connections live there)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))


def _serve(
    loop: asyncio.AbstractEventLoop, server: uvicorn.Server, listener: socket.socket
) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(server.serve(sockets=[listener]))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def service_config(app: ASGIApp, *, lifespan: Literal["on", "off"] = "on") -> uvicorn.Config:
    """uvicorn's settings for a service on loopback: as the services serve (the read deadline
    of ``runtime.slow_clients``), no websockets, no access log, uvicorn's own logging off."""
    return uvicorn.Config(
        app,
        lifespan=lifespan,
        ws="none",
        http=SERVICE_HTTP_PROTOCOL,
        log_config=None,
        log_level="warning",
        access_log=False,
    )


@contextlib.contextmanager
def serving(app: ASGIApp, listener: socket.socket, *, name: str) -> Iterator[Running]:
    """Serve ``app`` on ``listener`` until the block ends."""
    server = uvicorn.Server(service_config(app))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=_serve, args=(loop, server, listener), name=name, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise LoopbackFailed(f"the {name} service did not start")
            time.sleep(0.02)
        yield Running(url_of(listener), loop)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
