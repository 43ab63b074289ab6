"""Hostile servers on loopback: what ``bench.hostile`` points the outbound clients at.

One threaded HTTP/1.1 server, one behaviour per path; every answer is streamed, so the
server never holds what it sends, and it stops writing as soon as the client goes away.
``sent`` records how many body bytes each answer got out before that happened: a client
that refuses early keeps it small (what the socket buffers take aside).

=================  ==========================================================================
``/gzip-bomb``     ``Content-Encoding: gzip``, a gzip member of 1 GiB of zeros (~1 MB sent)
``/gigabyte``      ``Content-Length`` of 1 GiB, zeros until the client closes
``/endless``       chunked, zeros, never ends
``/drip``          ``Content-Length: 1000``, one byte every 0.1 s
``/rpc-huge``      (POST) a JSON-RPC answer of 100 MiB, declared and streamed
``/rpc-drip``      (POST) a JSON-RPC answer one byte every 0.1 s
=================  ==========================================================================

``?type=`` sets the ``Content-Type`` (default ``application/json``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.hostile_inputs import MIB, gzip_bomb

GIB_IN_MIB = 1024
DRIP_SECONDS = 0.1
_CHUNK = bytes(64 * 1024)


class Hostile(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sent: list[int] = []
        self.gzip = gzip_bomb(GIB_IN_MIB)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-drip is the point of these servers: not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Hostile

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, MIB))
        self._answer()

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        media_type = parse_qs(parts.query).get("type", ["application/json"])[0]
        behaviour = _BEHAVIOURS[parts.path.strip("/")]
        sent = 0
        try:
            for chunk in behaviour(self, media_type):
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.server.sent.append(sent)
            self.close_connection = True

    def _start(self, media_type: str, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _gzip_bomb(handler: _Handler, media_type: str) -> Iterator[bytes]:
    bomb = handler.server.gzip
    handler._start(media_type, {"Content-Encoding": "gzip", "Content-Length": str(len(bomb))})
    for start in range(0, len(bomb), len(_CHUNK)):
        yield bomb[start : start + len(_CHUNK)]


def _gigabyte(handler: _Handler, media_type: str) -> Iterator[bytes]:
    handler._start(media_type, {"Content-Length": str(GIB_IN_MIB * MIB)})
    for _ in range(GIB_IN_MIB * MIB // len(_CHUNK)):
        yield _CHUNK


def _endless(handler: _Handler, media_type: str) -> Iterator[bytes]:
    handler._start(media_type, {"Transfer-Encoding": "chunked"})
    framed = f"{len(_CHUNK):x}\r\n".encode("ascii") + _CHUNK + b"\r\n"
    while True:
        yield framed


def _drip(handler: _Handler, media_type: str) -> Iterator[bytes]:
    handler._start(media_type, {"Content-Length": "1000"})
    for _ in range(1000):
        yield b" "
        time.sleep(DRIP_SECONDS)


def _rpc_huge(handler: _Handler, media_type: str) -> Iterator[bytes]:
    size = 100 * MIB
    handler._start(media_type, {"Content-Length": str(size)})
    yield b'{"jsonrpc": "2.0", "id": 0, "result": "'
    for _ in range(size // len(_CHUNK) - 1):
        yield b"0" * len(_CHUNK)


_BEHAVIOURS: dict[str, Callable[[_Handler, str], Iterator[bytes]]] = {
    "gzip-bomb": _gzip_bomb,
    "gigabyte": _gigabyte,
    "endless": _endless,
    "drip": _drip,
    "rpc-huge": _rpc_huge,
    "rpc-drip": _drip,
}


@contextmanager
def hostile_server() -> Iterator[Hostile]:
    server = Hostile()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
