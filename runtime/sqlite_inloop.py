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
  Only a statement that opens a transaction (or runs outside one), or the first read after
  a deferred ``BEGIN``, waits so: inside a transaction that has already run a statement,
  SQLite answers busy only where waiting cannot help (a reader that wants to write while
  another process writes), so the error is raised at once, as SQLite's handler would.
* A commit's ``fsync`` (``synchronous=FULL``) now runs on the loop: about 0.1 ms on the
  machines measured. So does the checkpoint SQLite runs at a commit once the WAL has grown
  past 1,000 pages (about every 4 MB written): a few milliseconds. A disk with slow
  ``fsync`` delays that worker's other requests by as much; deployments beyond one machine
  use PostgreSQL (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import dialect as _aiosqlite_dialect
from sqlalchemy.engine import URL

T = TypeVar("T")

SQLITE_BUSY = 5
"""The primary result code of a lock held elsewhere; Python reports extended codes, whose
low byte it is (``SQLITE_BUSY_RECOVERY``, 261, waits too)."""
SQLITE_BUSY_SNAPSHOT = 517
"""Busy because this transaction's snapshot is stale: no wait cures it, the transaction
must start again."""
BUSY_TIMEOUT_SECONDS = 5.0
"""How long a statement waits for another process's lock before the error is raised (what
``busy_timeout=5000`` gave)."""
_FIRST_PAUSE, _LONGEST_PAUSE = 0.001, 0.05


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


async def _when_free(call: Callable[[], T]) -> T:
    """``call()``, tried again while SQLite answers busy, the loop free between."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
            now = time.monotonic()
            deadline = now + BUSY_TIMEOUT_SECONDS if deadline is None else deadline
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, _LONGEST_PAUSE)


class InLoopCursor:
    """A ``sqlite3.Cursor`` behind the awaitable methods the dialect calls."""

    def __init__(self, cursor: sqlite3.Cursor, owner: InLoopConnection) -> None:
        self._cursor = cursor
        self._owner = owner

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
        await self._owner.run(sql, lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(
        self, sql: str, parameters: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> InLoopCursor:
        rows = list(parameters)  # an iterator would be spent by a refused first try
        await self._owner.run(sql, lambda: self._cursor.executemany(sql, rows))
        return self

    # Fetches are never tried again: a step that failed has been reset, and a second try
    # would answer a shorter result instead of the error.

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InLoopCursor:
        """The dialect enters what ``connection.cursor()`` returns to get the cursor."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


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
        self._just_begun = False

    async def run(self, sql: str, call: Callable[[], object]) -> None:
        """Run one statement; wait out a busy answer only where waiting can help (module
        docstring): outside a transaction, or at the first statement after ``BEGIN``."""
        if not self._conn.in_transaction or self._just_begun:
            await _when_free(call)
        else:
            call()
        self._just_begun = sql.lstrip()[:5].upper() == "BEGIN"

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InLoopCursor:
        """Raises on a closed connection, as ``aiosqlite`` does."""
        return InLoopCursor(self._conn.cursor(), self)

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
    would open itself, with ``check_same_thread`` off (a pooled connection may be closed by
    the thread that disposes of the engine, or an in-memory one used from another thread's
    loop, as ``aiosqlite``'s own thread allowed) and no blocking wait (module docstring)."""
    arguments, options = _aiosqlite_dialect().create_connect_args(url)
    database: str = arguments[0]
    settings: dict[str, Any] = {**options, "check_same_thread": False, "timeout": 0}

    async def connect() -> InLoopConnection:
        return InLoopConnection(sqlite3.connect(database, **settings))

    return connect
