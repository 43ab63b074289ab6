"""SQLite driven from the event loop's own thread, for SQLAlchemy's ``aiosqlite`` dialect.

Why: ``aiosqlite`` runs every driver call (open a cursor, execute, fetch, close, commit) on
a worker thread and hands each one back through the loop. A call into SQLite on a local
file takes microseconds; the hand-off costs far more (a thread wake-up and the GIL passed
twice). Measured on 2 CPUs, a read step and a write step (3 statements) cost 1.6 ms of CPU
through ``aiosqlite`` and 0.42 ms through the same SQLAlchemy statements on the plain
driver; ``python -m bench.verifier`` shows the desk's answer path gaining the difference.

So the connection below offers the awaitable interface the dialect expects
(``sqlalchemy.dialects.sqlite.aiosqlite`` over ``sqlalchemy.connectors.asyncio``) and makes
each call directly. What ``aiosqlite``'s thread gave, and how it is kept:

* Waiting for another process's write lock must not stall the loop: SQLite's own busy
  handler is switched off (``PRAGMA busy_timeout=0`` in ``runtime.database``) and a
  statement refused with ``SQLITE_BUSY`` is tried again after an ``asyncio.sleep``, for up
  to ``BUSY_TIMEOUT_SECONDS``, as the busy handler would have (SQLite runs nothing of a
  statement it refuses as busy, so trying it again is what the handler does too).
* A commit's ``fsync`` (``synchronous=FULL``) now runs on the loop: about 0.1 ms on the
  machines measured. A disk with slow ``fsync`` delays that worker's other requests by as
  much; deployments beyond one machine use PostgreSQL (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import dialect as _aiosqlite_dialect
from sqlalchemy.engine import URL

T = TypeVar("T")

SQLITE_BUSY = 5
"""The primary result code of a lock held elsewhere (not ``SQLITE_BUSY_SNAPSHOT``, 517,
which no wait can cure: that transaction must start again)."""
BUSY_TIMEOUT_SECONDS = 5.0
"""How long a statement waits for another process's lock before the error is raised (what
``busy_timeout=5000`` gave)."""
_FIRST_PAUSE, _LONGEST_PAUSE = 0.001, 0.05


async def _when_free(call: Callable[[], T]) -> T:
    """``call()``, tried again while SQLite answers ``SQLITE_BUSY``, the loop free between."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) != SQLITE_BUSY:
                raise
            now = time.monotonic()
            deadline = now + BUSY_TIMEOUT_SECONDS if deadline is None else deadline
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, _LONGEST_PAUSE)


class InLoopCursor:
    """A ``sqlite3.Cursor`` behind the awaitable methods the dialect calls."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> InLoopCursor:
        await _when_free(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(
        self, sql: str, parameters: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> InLoopCursor:
        rows = list(parameters)  # an iterator would be spent by a refused first try
        await _when_free(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return await _when_free(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self._cursor.arraysize if size is None else size
        return await _when_free(lambda: self._cursor.fetchmany(count))

    async def fetchall(self) -> list[Any]:
        return await _when_free(self._cursor.fetchall)

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InLoopCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _OpeningCursor:
    """What ``connection.cursor()`` returns: awaited, or entered with ``async with``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __await__(self) -> Generator[Any, None, InLoopCursor]:
        return self._open().__await__()

    async def _open(self) -> InLoopCursor:
        return InLoopCursor(self._connection.cursor())

    async def __aenter__(self) -> InLoopCursor:
        return await self._open()

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _RunNow:
    """Stands in for ``aiosqlite``'s queue of calls to its thread, which the dialect uses
    to set ``isolation_level``: the call runs at once and its future is settled."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to whoever awaits the future
            future.set_exception(error)


class InLoopConnection:
    """A ``sqlite3.Connection`` with the awaitable surface of ``aiosqlite.Connection`` that
    SQLAlchemy's dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _OpeningCursor:
        return _OpeningCursor(self._conn)

    async def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> InLoopCursor:
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await _when_free(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (the dialect's ``terminate``)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()


def connector(url: URL) -> Callable[[], Awaitable[InLoopConnection]]:
    """The ``async_creator`` of an engine for ``url``: the file and options the dialect
    would open itself (``check_same_thread`` off for files: a pooled connection may be
    closed by the thread that disposes of the engine)."""
    arguments, options = _aiosqlite_dialect().create_connect_args(url)
    database: str = arguments[0]
    settings: dict[str, Any] = {**options, "timeout": 0}  # no blocking wait (module doc)

    async def connect() -> InLoopConnection:
        return InLoopConnection(sqlite3.connect(database, **settings))

    return connect
