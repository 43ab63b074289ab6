"""What every service shares (DESIGN §1): the edge between the pure core and the world.

Services:
    settings          ``ServiceSettings``: prefixed environment variables, production by default
    app               ``create_app``: the FastAPI factory with the one error handler family
    wire              ``WireError`` and one class per wire code; ``reason_table`` per endpoint
    body_limit        request body cap, by Content-Length and while streaming
    rate_limit        a token bucket per client address; 429 with Retry-After
    observability     per-app Prometheus metrics by route template; /livez, /readyz, /metrics
    database          async engines (SQLite with WAL and foreign keys, PostgreSQL), sessions
    migrations        Alembic upgrades run by the service; the shared ``env.py`` body
    sealing           AES-256-GCM encryption at rest and its key file
    fetcher           the safe outbound fetcher for URLs from untrusted input (DESIGN §4)
    fetch_guard       address checks the fetcher applies when it connects

Bundled data, read here because ``specs`` does no I/O:
    regulations       the regulation catalogue
    scenarios         each regulation's scenario files
    credential_types  SD-JWT VC Type Metadata of the credential types
"""
