"""A deadline for reading each request, so slow clients cannot hold connections (slowloris).

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but a client that
keeps sending a byte every few seconds is never idle: it can hold a connection (and its
memory) for as long as it likes while its request head or body trickles in (THREATS H-04).
This protocol gives every request a deadline: from the moment the connection opens, or the
previous response ends, the whole request (head and body) must have arrived within
``READ_DEADLINE_SECONDS``, else the connection is closed without an answer. A request that
has arrived is not timed further: a slow application or a long response is not the
client's doing.

Bodies are capped in size (``runtime.body_limit``: 64 KiB by default, 1 MiB in strict HAIP
mode), so 30 seconds is generous for a phone on a poor network and short for an attacker: a
thousand trickling connections are gone within the deadline. A deployment behind a reverse
proxy may set a tighter one there.

Two protocol classes carry the deadline: one over uvicorn's httptools parser (C, the faster:
about 0.15 ms less per request on the development machine) and one over h11 (pure Python),
for where httptools does not install. ``SERVICE_HTTP_PROTOCOL`` is the one every uvicorn
server the services start uses (``aanspraak <role> serve``, ``aanspraak serve``, the demo's
loopback servers, the benchmarks).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_DEADLINE_SECONDS = 30.0


class ReadDeadline:
    """The deadline's setting and timer, shared by both protocol classes (tests shorten the
    setting here). Each class says when a request is whole (``_disarm``) and what an expired
    deadline closes (``_expired``)."""

    read_deadline_seconds = READ_DEADLINE_SECONDS
    loop: asyncio.AbstractEventLoop
    _read_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.read_deadline_seconds, self._expired)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _expired(self) -> None:
        raise NotImplementedError


class ReadDeadlineH11Protocol(ReadDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each whole request."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.DONE:  # the whole request is in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this connection gets its own deadline

    def _expired(self) -> None:
        self._read_deadline = None
        if self.conn.their_state is not h11.DONE and not self.transport.is_closing():
            self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is part of uvicorn[standard]; without it, h11
    SERVICE_HTTP_PROTOCOL: type[asyncio.Protocol] = ReadDeadlineH11Protocol
else:

    class ReadDeadlineHttpToolsProtocol(ReadDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with the same deadline.

        httptools reports where a request starts and ends (``on_message_begin``,
        ``on_message_complete``). At the deadline the connection is closed when a request
        has begun and not ended, or when none is being answered or waits in the pipeline;
        a whole request still being answered, or queued behind another, is left alone.
        """

        _begun = 0
        _completed = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            self._begun += 1
            super().on_message_begin()

        def on_message_complete(self) -> None:
            self._completed += 1
            super().on_message_complete()
            self._disarm()  # the whole request is in

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets its own deadline

        def _expired(self) -> None:
            self._read_deadline = None
            partial = self._begun > self._completed
            idle = self.cycle is None or (self.cycle.response_complete and not self.pipeline)
            if (partial or idle) and not self.transport.is_closing():
                self.transport.close()

    SERVICE_HTTP_PROTOCOL = ReadDeadlineHttpToolsProtocol
