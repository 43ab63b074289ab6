"""The verifier of ``make_desk`` on a real loopback socket, so a browser can reach it.

``make_desk`` builds a desk inside the event loop of the test that uses it, and everything it
owns (the database engine, the agencies' status lists, the fetcher) belongs to that loop. A
browser test is synchronous (Playwright's sync API refuses to run inside a loop), so here the
whole desk lives in one background thread with a loop of its own: ``make_desk`` runs there,
with ``public_url`` set to a free loopback port (so the ``openid4vp://`` link, the
``request_uri`` and the ``response_uri`` all point at that port), and uvicorn serves the same
app on it. The app's lifespan is ``make_desk``'s, so uvicorn runs with ``lifespan="off"``.

The test wallet answers over HTTP to that port with its own ``httpx`` client, from the same
thread; tests reach that thread with ``LiveDesk.run(coroutine)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from runtime.scenarios import Scenario
from tests.verifier.conftest import Desk, make_desk
from tests.verifier.wallet import TestWallet

T = TypeVar("T")
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


@dataclass
class LiveDesk:
    """A desk served at ``url``; ``wallet`` answers over HTTP, ``desk`` is ``make_desk``'s."""

    desk: Desk
    url: str
    wallet: TestWallet
    loop: asyncio.AbstractEventLoop

    @property
    def page_url(self) -> str:
        return f"{self.url}/desk/page"

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        """Run ``coroutine`` in the server's loop (where the desk's objects live)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def give(self, case: Scenario, wallet: TestWallet | None = None) -> None:
        """Issue the scenario's credentials to ``wallet`` (the HTTP wallet by default), in the
        server's loop: the agencies' status lists are read there."""

        async def give() -> None:
            self.desk.give(case, wallet or self.wallet)

        self.run(give())

    def wallet_for(self, case: Scenario) -> TestWallet:
        """Another HTTP wallet holding only ``case``'s credentials (one holder per answer)."""
        wallet = TestWallet(self.wallet.client, self.desk.clock)
        self.give(case, wallet)
        return wallet


@dataclass
class _Started:
    ready: threading.Event = field(default_factory=threading.Event)
    live: LiveDesk | None = None
    server: uvicorn.Server | None = None
    failure: BaseException | None = None


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    return sock


async def _serve(
    started: _Started, sock: socket.socket, tmp_path: Path, database_url: str, **overrides: Any
) -> None:
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    desks: AsyncIterator[Desk] = make_desk(tmp_path, database_url, public_url=url, **overrides)
    desk = await anext(desks)
    try:
        config = uvicorn.Config(
            desk.app, lifespan="off", log_level="warning", access_log=False, ws="none"
        )
        server = uvicorn.Server(config)
        async with httpx.AsyncClient(timeout=10) as client:
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                if serving.done():
                    serving.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
            wallet = TestWallet(client, desk.clock)
            started.live = LiveDesk(desk, url, wallet, asyncio.get_running_loop())
            started.server = server
            started.ready.set()
            await serving
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(desks)


def _thread_main(started: _Started, *args: Any, **overrides: Any) -> None:
    try:
        asyncio.run(_serve(started, *args, **overrides))
    except BaseException as exc:  # reported to the test thread, not lost in this one
        started.failure = exc
    finally:
        started.ready.set()


@contextlib.contextmanager
def live_desk(
    tmp_path: Path, database_url: str | None = None, **overrides: Any
) -> Iterator[LiveDesk]:
    """A ``make_desk`` desk on a free loopback port for the duration of the ``with`` block.

    The database defaults to a SQLite file in ``tmp_path``; ``overrides`` are settings, as for
    ``make_desk``.
    """
    sock = _free_socket()
    started = _Started()
    thread = threading.Thread(
        target=_thread_main,
        args=(started, sock, tmp_path, database_url or f"sqlite+aiosqlite:///{tmp_path}/live.db"),
        kwargs=overrides,
        name="live-verifier",
        daemon=True,
    )
    thread.start()
    try:
        if not started.ready.wait(START_TIMEOUT):
            raise TimeoutError("the live verifier did not start")
        if started.live is None or started.server is None:
            raise RuntimeError("the live verifier failed to start") from started.failure
        yield started.live
    finally:
        if started.server is not None:
            started.server.should_exit = True
        thread.join(START_TIMEOUT)
        sock.close()
    if started.failure is not None:
        raise RuntimeError("the live verifier failed while serving") from started.failure
