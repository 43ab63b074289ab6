"""Counting a service's database round trips per HTTP request (DESIGN §2: one transaction per
protocol step), and serving an app on a loopback socket in the test's own event loop.

:class:`RoundTrips` listens on the engine the service really uses (SQLAlchemy's own engine
and pool events; nothing is replaced): every ``BEGIN`` (explicit, or SQLAlchemy's autobegin
of a read), every statement, every ``COMMIT``/``ROLLBACK`` and every pool checkout (on
PostgreSQL a checkout is also a ``pool_pre_ping`` round trip). Only work done while a request
is being served counts: the statement must run in a task uvicorn started for a request
(``RequestResponseCycle.run_asgi``), inside a :meth:`RoundTrips.step` the test opened around
one request. The sweepers and the webhook dispatcher run in tasks of their own, so they never
leak into a step's count; the test client sends one request at a time, so a step is exactly
one request.

A transaction *writes* when it ran an INSERT, UPDATE or DELETE; a rolled-back read is still a
transaction (on PostgreSQL BEGIN, the statements and ROLLBACK each cross the network).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from aanspraak.loopback import service_config

_WRITES = ("INSERT", "UPDATE", "DELETE")
_REQUEST_TASK = "RequestResponseCycle.run_asgi"


@dataclass
class Transaction:
    statements: list[str] = field(default_factory=list)
    end: str = "open"

    @property
    def writes(self) -> bool:
        return any(s.lstrip().upper().startswith(_WRITES) for s in self.statements)


_BEGINS = frozenset({"BEGIN", "BEGIN IMMEDIATE"})


@dataclass
class Step:
    name: str
    transactions: list[Transaction] = field(default_factory=list)
    checkouts: int = 0
    outside: int = 0
    """Statements run outside any transaction SQLAlchemy began (none are expected)."""

    @property
    def write_transactions(self) -> int:
        return sum(1 for t in self.transactions if t.writes)

    @property
    def statements(self) -> int:
        return sum(len(t.statements) for t in self.transactions) + self.outside

    def summary(self) -> str:
        return (
            f"{self.name}: {len(self.transactions)} transactions "
            f"({self.write_transactions} writing), {self.statements} statements, "
            f"{self.checkouts} checkouts"
        )


class RoundTrips:
    """The database work of each request to the service that owns ``engine``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.steps: dict[str, Step] = {}
        self._current: Step | None = None
        self._open: dict[int, Transaction] = {}
        self._lock = threading.Lock()  # the town's services run in threads of their own
        self._engine = engine.sync_engine
        self._listeners: list[tuple[str, Any]] = [
            ("begin", self._begin),
            ("commit", self._commit),
            ("rollback", self._rollback),
            ("before_cursor_execute", self._statement),
            ("checkout", self._checkout),
        ]
        for name, listener in self._listeners:
            event.listen(self._engine, name, listener)

    def close(self) -> None:
        for name, listener in self._listeners:
            event.remove(self._engine, name, listener)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Count what the service does for the one request sent inside this block."""
        assert name not in self.steps, f"step {name!r} counted twice"
        step = self.steps[name] = Step(name)
        self._current = step
        try:
            yield step
        finally:
            self._current = None

    def _target(self) -> Step | None:
        step = self._current
        if step is None:
            return None
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return None
        coroutine = task.get_coro() if task is not None else None
        name = getattr(coroutine, "__qualname__", "")
        return step if name.endswith(_REQUEST_TASK) else None

    def _begin(self, connection: Any) -> None:
        step = self._target()
        if step is not None:
            with self._lock:
                transaction = Transaction()
                step.transactions.append(transaction)
                self._open[id(connection)] = transaction

    def _end(self, connection: Any, how: str) -> None:
        with self._lock:
            transaction = self._open.pop(id(connection), None)
        if transaction is not None:
            transaction.end = how

    def _commit(self, connection: Any) -> None:
        self._end(connection, "commit")

    def _rollback(self, connection: Any) -> None:
        self._end(connection, "rollback")

    def _statement(self, connection: Any, *args: Any) -> None:
        statement = str(args[1])
        if statement in _BEGINS:  # SQLite's explicit begin (runtime.database): the begin itself
            return
        with self._lock:
            transaction = self._open.get(id(connection))
            if transaction is not None:
                transaction.statements.append(statement)
                return
        step = self._target()
        if step is not None:
            step.outside += 1

    def _checkout(self, *args: Any) -> None:
        step = self._target()
        if step is not None:
            step.checkouts += 1


@contextlib.contextmanager
def loopback_socket() -> Iterator[socket.socket]:
    """A listening ``127.0.0.1`` socket on a free port, bound before the app is built (a
    service's ``public_url`` is its identifier, so it must know its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        yield listener


def url_of(listener: socket.socket) -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, listener: socket.socket) -> AsyncIterator[str]:
    """Serve ``app`` (its lifespan already entered by the caller) with uvicorn on
    ``listener``, in the running event loop, where the app's engine lives; yields its URL."""
    server = uvicorn.Server(service_config(app, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield url_of(listener)
    finally:
        server.should_exit = True
        await task
