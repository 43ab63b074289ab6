"""``python -m bench.serve_factory <module:factory> <port> [<workers>]``: one app, served as
the services serve it (uvicorn, one worker unless told, no access log,
``runtime.slow_clients``'s read deadline). With several workers each builds its app from the
environment, as under ``aanspraak <role> serve --workers N``.

uvicorn's own command line cannot name a protocol class, so the benches start their servers
through this instead, and measure what ``aanspraak <role> serve`` runs.
"""

from __future__ import annotations

import sys

import uvicorn

from runtime.slow_clients import SERVICE_HTTP_PROTOCOL


def main(argv: list[str]) -> None:
    factory, port, *workers = argv
    uvicorn.run(
        factory,
        factory=True,
        host="127.0.0.1",
        port=int(port),
        workers=int(workers[0]) if workers else 1,
        access_log=False,
        log_level="warning",
        http=SERVICE_HTTP_PROTOCOL,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
