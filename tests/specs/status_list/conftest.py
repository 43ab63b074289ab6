"""Keys for the Status List Token tests: generated per test, never committed (STYLE §7)."""

from __future__ import annotations

import pytest

from specs.jose import JwsAlg, PrivateJwk, generate_private_key

SUBJECT = "https://example.com/statuslists/1"
ALGORITHMS = frozenset({JwsAlg.ES256})


@pytest.fixture
def issuer_key() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256, kid="status-issuer")


@pytest.fixture
def other_key() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256, kid="someone-else")
