"""No input crashes the attestation verifiers: the only exception is ``Rejected``.

Random strings, and correctly signed provider JWTs whose header and claims are random
(so every rule past the signature is reached), go into the wallet attestation with its PoP
and into the key attestation verifier (hypothesis).
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specs.attestation import (
    CLIENT_ATTESTATION_POP_TYP,
    CLIENT_ATTESTATION_TYP,
    KEY_ATTESTATION_TYP,
    KeyAttestationPolicy,
    verify_client_attestation,
    verify_key_attestation,
)
from specs.errors import Rejected
from specs.jose import generate_private_key
from tests.specs.attestation.provider import CLIENT_ID, ISSUER, NOW, PROVIDER, Provider, sign

WALLET_PROVIDER = Provider()
INSTANCE = generate_private_key()
POLICY = KeyAttestationPolicy(
    roots=WALLET_PROVIDER.roots,
    key_storage=None,
    user_authentication=None,
    max_attested_keys=10,
    leeway=30,
    required=True,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(NOW - 100_000, NOW + 100_000),
    st.text(max_size=12),
    st.sampled_from([CLIENT_ID, PROVIDER, ISSUER, "ES256", "iso_18045_high"]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["jwk", "kty", "crv", "x", "y"]), children, max_size=4),
    ),
    max_leaves=12,
)
CLAIMS = st.dictionaries(
    st.sampled_from(
        [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "cnf",
            "nonce",
            "challenge",
            "attested_keys",
            "key_storage",
            "user_authentication",
            "status",
        ]
    ),
    JSON | st.just({"jwk": INSTANCE.public.to_jwk()}) | st.just([INSTANCE.public.to_jwk()]),
    max_size=10,
)
TOKENS = st.text(alphabet=string.ascii_letters + string.digits + "-_.~", max_size=300)


def _survives(call: Callable[[], object]) -> None:
    with contextlib.suppress(Rejected):
        call()


def _client(attestation: str, pop: str) -> object:
    return verify_client_attestation(
        attestation,
        pop,
        roots=WALLET_PROVIDER.roots,
        client_id=CLIENT_ID,
        audience=ISSUER,
        challenge=None,
        now=NOW,
        leeway=30,
        max_attestation_age=86_400,
        max_pop_age=60,
    )


def _key(token: str) -> object:
    return verify_key_attestation(
        token, policy=POLICY, now=NOW, require_expiry=True, require_nonce=False
    )


@settings(max_examples=150, deadline=None)
@given(TOKENS, TOKENS)
def test_random_strings_only_reject(first: str, second: str) -> None:
    _survives(lambda: _client(first, second))
    _survives(lambda: _key(first))


@settings(max_examples=150, deadline=None)
@given(CLAIMS, CLAIMS, st.sampled_from(["ES256", "none", "HS256"]))
def test_signed_attestations_with_random_claims_only_reject(
    claims: dict[str, Any], pop_claims: dict[str, Any], alg: str
) -> None:
    signer = WALLET_PROVIDER.signer
    attestation = sign(WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, alg=alg), claims, signer)
    pop = sign({"typ": CLIENT_ATTESTATION_POP_TYP, "alg": "ES256"}, pop_claims, INSTANCE)
    _survives(lambda: _client(attestation, pop))
    key_attestation = sign(WALLET_PROVIDER.header(KEY_ATTESTATION_TYP, alg=alg), claims, signer)
    _survives(lambda: _key(key_attestation))
