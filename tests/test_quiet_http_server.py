"""The test servers' quiet hang-up: a reset is not printed, any other error still is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.quiet_http_server import QuietHTTPServer


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/reset":
            raise ConnectionResetError("peer hung up")
        raise ValueError("a real bug in a stand-in")

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def _serving() -> Iterator[str]:
    server = QuietHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("path", "printed"), [("/reset", False), ("/bug", True)])
def test_a_hang_up_is_not_printed_and_a_bug_is(
    path: str, printed: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with _serving() as url, pytest.raises(httpx.HTTPError):  # the handler died: no answer
        httpx.get(url + path, timeout=5)
    err = capsys.readouterr().err
    assert ("Traceback" in err) is printed
    assert ("ValueError" in err) is printed
