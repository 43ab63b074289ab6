"""Fuzz targets for the issuance side: OAuth forms (PAR, token), OpenID4VCI messages and
``jwt`` key proofs, DPoP proofs (RFC 9449), wallet and key attestations.

Proofs and attestations are made valid first, then mutated as text, or re-signed with the
right key around random headers and claims, so every rule after the signature is reached.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from specs.attestation import (
    CLIENT_ATTESTATION_POP_TYP,
    CLIENT_ATTESTATION_TYP,
    KEY_ATTESTATION_TYP,
    KeyAttestationPolicy,
    build_client_attestation,
    build_client_attestation_pop,
    build_key_attestation,
    verify_client_attestation,
    verify_key_attestation,
)
from specs.dpop import DPOP_TYP, access_token_hash, build_dpop_proof, verify_dpop_proof
from specs.jose import JwsAlg, generate_private_key
from specs.oauth import parse_pushed_authorization_request
from specs.oauth import parse_token_request as parse_oauth_token_request
from specs.oid4vci import (
    PROOF_JWT_TYP,
    TxCode,
    build_credential_offer,
    build_jwt_proof,
    offer_link,
    parse_credential_offer,
    parse_credential_request,
    parse_offer_link,
    verify_jwt_proof,
)
from tests.fuzz.harness import Target
from tests.fuzz.mutations import json_values, mutated_json, near
from tests.specs.attestation.provider import CLIENT_ID, ISSUER, NOW, PROVIDER, Provider, sign

HOLDER = generate_private_key()
JWT_NAMES = ["typ", "alg", "jwk", "kid", "x5c", "crit", "key_attestation", "trust_chain"]

# --- OAuth forms ----------------------------------------------------------------------------

PAR_FORM = [
    ("response_type", "code"),
    ("client_id", CLIENT_ID),
    ("redirect_uri", "https://wallet.example/cb"),
    ("scope", "household_income"),
    ("state", "s1"),
    ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ("code_challenge_method", "S256"),
]
TOKEN_FORM = [
    ("grant_type", "authorization_code"),
    ("code", "c1"),
    ("redirect_uri", "https://wallet.example/cb"),
    ("code_verifier", "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r7wW1gZ3Xc7yKg"),
    ("client_id", CLIENT_ID),
]


def _pairs(form: Any) -> list[tuple[str, str]]:
    """A mutated form as the web layer hands it over: pairs of strings, whatever they hold."""
    if not isinstance(form, list):
        return []
    return [
        (str(pair[0]), str(pair[1]))
        for pair in form
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


FORMS = (
    st.sampled_from([PAR_FORM, TOKEN_FORM])
    .flatmap(
        lambda form: mutated_json([list(p) for p in form], [n for n, _ in PAR_FORM + TOKEN_FORM])
    )
    .map(_pairs)
)

# --- OpenID4VCI -----------------------------------------------------------------------------

OFFER = build_credential_offer(
    credential_issuer=ISSUER,
    configuration_ids=["household_income"],
    pre_authorized_code="code-1",
    tx_code=TxCode(input_mode="numeric", length=6, description=None),
)
REQUEST = {"credential_configuration_id": "household_income", "proofs": {"jwt": ["a.b.c"]}}
VCI_NAMES = ["credential_issuer", "credential_configuration_ids", "grants", "proofs", "jwt"]
PROOF = build_jwt_proof(holder_key=HOLDER, audience=ISSUER, nonce="c-nonce", now=NOW)
PROOF_CLAIMS = {"aud": ISSUER, "iat": NOW, "nonce": "c-nonce"}


def _verify_proof(token: str) -> object:
    return verify_jwt_proof(
        token,
        audience=ISSUER,
        now=NOW,
        max_age=300,
        leeway=30,
        algorithms={JwsAlg.ES256},
        require_nonce=True,
    )


def _signed_proof(parts: tuple[dict[str, Any], Any]) -> str:
    header, claims = parts
    base = {"typ": PROOF_JWT_TYP, "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    return sign({**base, **header}, claims, HOLDER)


# --- DPoP -----------------------------------------------------------------------------------

URL = "https://wallet.example/v1/credentials?x=1"
DPOP = build_dpop_proof(
    key=HOLDER, method="POST", url=URL, now=NOW, jti="jti-1", access_token="at", nonce="n1"
)
DPOP_CLAIMS = {
    "htm": "POST",
    "htu": URL,
    "iat": NOW,
    "jti": "jti-1",
    "ath": access_token_hash("at"),
    "nonce": "n1",
}


def _verify_dpop(token: str) -> object:
    return verify_dpop_proof(token, method="POST", url=URL, now=NOW, access_token="at", nonce="n1")


def _signed_dpop(parts: tuple[dict[str, Any], Any]) -> str:
    header, claims = parts
    base = {"typ": DPOP_TYP, "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    return sign({**base, **header}, claims, HOLDER)


# --- attestations ---------------------------------------------------------------------------

WALLET_PROVIDER = Provider()
INSTANCE = generate_private_key()
ATTESTATION = build_client_attestation(
    provider_key=WALLET_PROVIDER.signer,
    x5c=WALLET_PROVIDER.x5c,
    attester=PROVIDER,
    client_id=CLIENT_ID,
    instance_key=INSTANCE.public,
    now=NOW,
    lifetime=3600,
)
POP = build_client_attestation_pop(
    instance_key=INSTANCE, client_id=CLIENT_ID, audience=ISSUER, jti="j1", now=NOW, challenge=None
)
KEY_ATTESTATION = build_key_attestation(
    provider_key=WALLET_PROVIDER.signer,
    x5c=WALLET_PROVIDER.x5c,
    attested_keys=[HOLDER.public],
    now=NOW,
    lifetime=3600,
    nonce=None,
    key_storage=["iso_18045_high"],
    user_authentication=["iso_18045_high"],
)
KEY_POLICY = KeyAttestationPolicy(
    roots=WALLET_PROVIDER.roots,
    key_storage=None,
    user_authentication=None,
    max_attested_keys=10,
    leeway=30,
    required=True,
)
ATTESTATION_CLAIMS = {
    "iss": PROVIDER,
    "sub": CLIENT_ID,
    "iat": NOW,
    "exp": NOW + 3600,
    "cnf": {"jwk": INSTANCE.public.to_jwk()},
    "attested_keys": [HOLDER.public.to_jwk()],
    "key_storage": ["iso_18045_high"],
}
ATTESTATION_NAMES = [*ATTESTATION_CLAIMS, "jwk", "kty", "crv", "x", "y", "d", "status", "nonce"]


def _verify_client(pair: tuple[str, str]) -> object:
    attestation, pop = pair
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


def _verify_key_attestation(token: str) -> object:
    return verify_key_attestation(
        token, policy=KEY_POLICY, now=NOW, require_expiry=True, require_nonce=False
    )


def _provider_signed(typ: str) -> Any:
    return mutated_json(ATTESTATION_CLAIMS, ATTESTATION_NAMES).map(
        lambda claims: sign(WALLET_PROVIDER.header(typ), claims, WALLET_PROVIDER.signer)
    )


HEADERS = st.dictionaries(st.sampled_from(JWT_NAMES), json_values(JWT_NAMES, max_leaves=4))

TARGETS = [
    Target("oauth.parse_pushed_authorization_request", FORMS, parse_pushed_authorization_request),
    Target("oauth.parse_token_request", FORMS, parse_oauth_token_request),
    Target(
        "oid4vci.parse_credential_offer", mutated_json(OFFER, VCI_NAMES), parse_credential_offer
    ),
    Target("oid4vci.parse_offer_link", near(offer_link(OFFER), "&=%"), parse_offer_link),
    Target(
        "oid4vci.parse_credential_request",
        mutated_json(REQUEST, VCI_NAMES),
        lambda body: parse_credential_request(body, max_proofs=3, accept_attestation=True),
    ),
    Target("oid4vci.verify_jwt_proof.mutated", near(PROOF, "."), _verify_proof),
    Target(
        "oid4vci.verify_jwt_proof.signed_random",
        st.tuples(HEADERS, mutated_json(PROOF_CLAIMS, ["aud", "iat", "nonce", "iss"])).map(
            _signed_proof
        ),
        _verify_proof,
    ),
    Target("dpop.verify_dpop_proof.mutated", near(DPOP, "."), _verify_dpop),
    Target(
        "dpop.verify_dpop_proof.signed_random",
        st.tuples(HEADERS, mutated_json(DPOP_CLAIMS, list(DPOP_CLAIMS))).map(_signed_dpop),
        _verify_dpop,
    ),
    Target(
        "attestation.verify_client_attestation.mutated",
        st.tuples(near(ATTESTATION, "."), st.just(POP))
        | st.tuples(st.just(ATTESTATION), near(POP, ".")),
        _verify_client,
    ),
    Target(
        "attestation.verify_client_attestation.signed_random",
        st.tuples(_provider_signed(CLIENT_ATTESTATION_TYP), st.just(POP))
        | st.tuples(
            st.just(ATTESTATION),
            mutated_json({"iss": CLIENT_ID, "aud": ISSUER, "jti": "j", "iat": NOW}).map(
                lambda claims: sign(
                    {"typ": CLIENT_ATTESTATION_POP_TYP, "alg": "ES256"}, claims, INSTANCE
                )
            ),
        ),
        _verify_client,
    ),
    Target(
        "attestation.verify_key_attestation.mutated",
        near(KEY_ATTESTATION, "."),
        _verify_key_attestation,
    ),
    Target(
        "attestation.verify_key_attestation.signed_random",
        _provider_signed(KEY_ATTESTATION_TYP),
        _verify_key_attestation,
    ),
]
