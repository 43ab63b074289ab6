"""``python -m bench.serve_factory <module:factory> <port>``: one app, served as the services
serve it (uvicorn, one worker, no access log, ``runtime.slow_clients``'s read deadline).

uvicorn's own command line cannot name a protocol class, so the benches start their servers
through this instead, and measure what ``aanspraak <role> serve`` runs.
"""

from __future__ import annotations

import sys

import uvicorn

from runtime.slow_clients import ReadDeadlineH11Protocol


def main(argv: list[str]) -> None:
    factory, port = argv
    uvicorn.run(
        factory,
        factory=True,
        host="127.0.0.1",
        port=int(port),
        workers=1,
        access_log=False,
        log_level="warning",
        http=ReadDeadlineH11Protocol,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
