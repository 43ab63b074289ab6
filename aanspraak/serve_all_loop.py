"""Several uvicorn servers on one event loop, stopped together (for ``aanspraak serve``).

uvicorn's ``Server.serve`` is written for one server per process: it installs its own
SIGINT/SIGTERM handlers and, when it ends, puts the previous ones back and raises the signal
again. Three of them on one loop would overwrite each other's handlers, and the first to end
would re-raise SIGTERM into the default handler and kill the process before the other two
had shut down. So the servers here leave the signals alone (``_SharedSignalServer``) and the
supervisor owns them: the first SIGINT or SIGTERM asks every server to shut down gracefully
(open requests finish, each app's lifespan closes its database), a second one forces it.

A server that ends without having been asked to failed: its application did not start
(uvicorn's answer to that is ``sys.exit``, caught here so the others still shut down
cleanly) or it raised. The supervisor then stops the others and reports which role it was.

Addresses are bound before any server starts (``bind``), so an address in use is refused
before anything serves, and the port the operating system chose for ``0`` is known.
uvicorn's own log lines ("Application startup complete") would come three times with no
telling which server wrote them; each server runs in its own task, so a context variable
set there lets ``_RoleInLog`` put the role in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import uvicorn

_log = logging.getLogger("aanspraak.serve")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
UVICORN_LOG = "uvicorn.error"  # uvicorn's server and lifespan messages (not only errors)
_serving_role: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aanspraak_serving_role", default=None
)


class _RoleInLog(logging.Filter):
    """``wallet: Application startup complete.``: the role of the task that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        role = _serving_role.get()
        if role is not None and not getattr(record, "aanspraak_role", None):
            record.msg = f"{role}: {record.msg}"
            record.aanspraak_role = role
        return True


class _SharedSignalServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to the supervisor (see the module)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Listening:
    """One role's server and the socket it will serve on."""

    role: str
    server: uvicorn.Server
    bound: socket.socket

    @classmethod
    def of(cls, role: str, config: uvicorn.Config, bound: socket.socket) -> Listening:
        return cls(role, _SharedSignalServer(config), bound)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; raises ``OSError`` (in use, no such address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


class _Supervisor:
    def __init__(self, listening: Sequence[Listening]) -> None:
        self.listening = listening
        self.signalled = False
        self.failed: str | None = None

    def on_signal(self) -> None:
        """First signal: shut down gracefully; a second one: stop waiting for requests."""
        force = self.signalled
        self.signalled = True
        for one in self.listening:
            one.server.should_exit = True
            one.server.force_exit = one.server.force_exit or force

    def on_ended(self, role: str) -> None:
        if not self.signalled and self.failed is None:
            self.failed = role
            for one in self.listening:
                one.server.should_exit = True


async def _serve(one: Listening) -> None:
    _serving_role.set(one.role)  # this task's own copy of the context
    try:
        await one.server.serve(sockets=[one.bound])
    except SystemExit:  # uvicorn's way of saying the application did not start
        _log.error("%s: the application did not start", one.role)
    except Exception as exc:  # reported by class: a message could carry request data
        _log.error("%s: stopped by %s", one.role, type(exc).__name__)


async def _supervise(listening: Sequence[Listening]) -> str | None:
    supervisor = _Supervisor(listening)
    loop = asyncio.get_running_loop()
    # Signals can only be handled in the main thread; elsewhere (tests) nobody sends them.
    handled = STOP_SIGNALS if threading.current_thread() is threading.main_thread() else ()
    for number in handled:
        loop.add_signal_handler(number, supervisor.on_signal)
    role_in_log = _RoleInLog()
    logging.getLogger(UVICORN_LOG).addFilter(role_in_log)
    tasks = {asyncio.create_task(_serve(one)): one.role for one in listening}
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                supervisor.on_ended(tasks[task])
    finally:
        logging.getLogger(UVICORN_LOG).removeFilter(role_in_log)
        for number in handled:
            loop.remove_signal_handler(number)
        for one in listening:
            one.bound.close()
    return supervisor.failed


def serve_together(listening: Sequence[Listening]) -> str | None:
    """Serve every role until a signal (returns ``None``) or until one role ends on its own
    (returns its name, after the others have shut down)."""
    return asyncio.run(_supervise(listening))
