"""A stdlib HTTP server for the tests' stand-ins (a chain node, a webhook receiver) that
stays quiet when a client hangs up mid-answer.

Tests cut connections on purpose (timeouts, cancelled reads); ``socketserver`` would print
each ``ConnectionResetError`` with its traceback to stderr, which reads like a failure in a
CI log. Any other error is still printed.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, aborted, broken pipe
            return
        super().handle_error(request, client_address)
