"""The default TLS context of outbound fetches: made once per process, and still strict.

Every fetcher the wallet service makes for a forwarded request shares it (making one parses
the whole CA bundle); sharing must not loosen it: certificates and host names verified.
"""

from __future__ import annotations

import ssl

from runtime.fetcher import FetchPolicy, SafeFetcher, default_tls_context


def test_the_default_context_is_made_once_and_verifies_certificates_and_names() -> None:
    context = default_tls_context()
    assert default_tls_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


async def test_fetchers_share_the_default_context() -> None:
    first, second = SafeFetcher(FetchPolicy()), SafeFetcher(FetchPolicy())
    try:
        contexts = {id(f._transport._pool._ssl_context) for f in (first, second)}  # type: ignore[attr-defined]
        assert contexts == {id(default_tls_context())}
    finally:
        await first.aclose()
        await second.aclose()
