"""Fuzz targets for SD-JWT (RFC 9901), its Disclosures and KB-JWT, and SD-JWT VC.

Each target starts from a real token made here (fresh keys, fixed time) and breaks it, or
signs random content with the key the verifier trusts, so the rules after the signature
check (Disclosure processing, Key Binding, the VC's registered claims) see hostile input.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

from specs.jose import StaticKeyResolver, b64url_encode, dumps_compact, generate_private_key
from specs.sd_jwt import (
    DEFAULT_ALGORITHMS,
    DecoyPolicy,
    KeyBindingRequired,
    NoKeyBinding,
    issue_sd_jwt,
    mark_all_disclosable,
    open_sd_jwt,
    parse_claim_path,
    parse_disclosure,
    present_sd_jwt,
    sd_hash_of,
    verify_kb_jwt,
    verify_sd_jwt,
    verify_sd_jwt_json,
)
from specs.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from tests.fuzz.harness import Target
from tests.fuzz.mutations import SCALARS, json_values, mutated_json, near
from tests.specs.forge import digest, disclosure, sign_raw
from tests.specs.forge import sd_jwt as forged_sd_jwt

NOW = 1_790_000_000
ISSUER = generate_private_key()
HOLDER = generate_private_key()
KEYS = StaticKeyResolver(ISSUER.public)
POLICY = KeyBindingRequired(nonce="nonce-123", audience="https://desk.example")
TYP = "example+sd-jwt"
VCT = "https://credentials.example/household_income"
CLAIMS = {
    "given_name": "Jan",
    "address": {"street": "Oudegracht 1", "locality": "Utrecht"},
    "nationalities": ["NL", "DE"],
}
PAYLOAD_NAMES = ["_sd", "...", "_sd_alg", "cnf", "jwk", "iat", "exp", "nbf", "iss", "vct"]


def _presentation() -> str:
    issued = issue_sd_jwt(
        {**mark_all_disclosable(CLAIMS, keep_plain=frozenset()), "cnf": _cnf()},
        issuer_key=ISSUER,
        typ=TYP,
        random_bytes=os.urandom,
        decoys=DecoyPolicy(1, 1),
    )
    return present_sd_jwt(
        open_sd_jwt(issued.token),
        disclose=[("address", "locality"), ("nationalities", 1)],
        holder_key=HOLDER,
        nonce=POLICY.nonce,
        audience=POLICY.audience,
        now=NOW,
    )


def _cnf() -> dict[str, Any]:
    return {"jwk": HOLDER.public.to_jwk()}


PRESENTATION = _presentation()
SD_HASH_INPUT = PRESENTATION[: PRESENTATION.rindex("~") + 1]
KB_JWT = PRESENTATION[PRESENTATION.rindex("~") + 1 :]


def _json_serialization() -> dict[str, Any]:
    """The flattened JWS JSON form (§8.1) of the presentation."""
    jwt, *disclosures, kb = PRESENTATION.split("~")
    protected, payload, signature = jwt.split(".")
    return {
        "protected": protected,
        "payload": payload,
        "signature": signature,
        "header": {"disclosures": disclosures, "kb_jwt": kb},
    }


JSON_SERIALIZATION = _json_serialization()


def _verify(token: str) -> object:
    return verify_sd_jwt(token, issuer_keys=KEYS, typ=TYP, key_binding=POLICY, now=NOW)


def _verify_json(document: Any) -> object:
    text = document if isinstance(document, str) else dumps_compact(document)
    return verify_sd_jwt_json(text, issuer_keys=KEYS, typ=TYP, key_binding=POLICY, now=NOW)


# --- Disclosures ------------------------------------------------------------------------------

DISCLOSURE_ARRAYS = st.one_of(
    st.tuples(st.text(max_size=8), st.text(max_size=8), json_values(max_leaves=4)).map(list),
    st.tuples(st.text(max_size=8), json_values(max_leaves=4)).map(list),
    st.lists(json_values(PAYLOAD_NAMES, max_leaves=4), max_size=4),
    json_values(PAYLOAD_NAMES, max_leaves=4),
)
ENCODED_DISCLOSURES = st.one_of(
    DISCLOSURE_ARRAYS.map(lambda array: b64url_encode(dumps_compact(array).encode())),
    near(disclosure("c2FsdA", "given_name", "Jan"), separators="A"),
    st.binary(max_size=80).map(b64url_encode),
)


# --- issuer-signed payloads with forged Disclosures -------------------------------------------


@st.composite
def _forged(draw: st.DrawFn) -> str:
    """A correctly signed SD-JWT whose payload and Disclosures are random but point at each
    other: ``_sd`` arrays and ``...`` elements hold the digests of the Disclosures sent."""
    arrays = draw(st.lists(DISCLOSURE_ARRAYS, max_size=6))
    encoded = [disclosure(*a) if isinstance(a, list) else disclosure(a) for a in arrays]
    digests = [digest(e) for e in encoded] or ["bm8tZGlzY2xvc3VyZQ"]
    leaf = SCALARS | st.sampled_from(digests)
    tree = st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children | st.builds(lambda d: {"...": d}, st.sampled_from(digests))),
            st.dictionaries(st.sampled_from(PAYLOAD_NAMES) | st.text(max_size=4), children),
            st.builds(
                lambda sd, rest: {"_sd": sd, **rest},
                st.lists(st.sampled_from(digests), max_size=4),
                st.dictionaries(st.text(max_size=4), children, max_size=3),
            ),
        ),
        max_leaves=8,
    )
    payload = draw(
        st.builds(
            lambda sd, rest: {"_sd": sd, **rest},
            st.lists(st.sampled_from(digests), max_size=4),
            st.dictionaries(st.sampled_from(PAYLOAD_NAMES) | st.text(max_size=4), tree),
        )
    )
    sent = draw(st.lists(st.sampled_from(encoded), max_size=8)) if encoded else []
    return forged_sd_jwt(payload, sent, ISSUER, typ=TYP)


# --- KB-JWT ---------------------------------------------------------------------------------

KB_HEADERS = st.dictionaries(
    st.sampled_from(["typ", "alg", "jwk", "kid", "crit", "x5c"]),
    st.sampled_from(["kb+jwt", "ES256", "none"]) | json_values(max_leaves=4),
)
KB_CLAIMS = st.dictionaries(
    st.sampled_from(["iat", "aud", "nonce", "sd_hash", "exp", "nbf", "transaction_data_hashes"]),
    st.sampled_from([NOW, POLICY.nonce, POLICY.audience, sd_hash_of(SD_HASH_INPUT, "sha-256")])
    | st.integers(NOW - 1000, NOW + 1000)
    | json_values(max_leaves=4),
)


def _signed_kb(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return sign_raw({"alg": "ES256", "typ": "kb+jwt", **header}, claims, HOLDER)


def _verify_kb(token: str) -> object:
    return verify_kb_jwt(
        token,
        holder_key=HOLDER.public,
        policy=POLICY,
        sd_hash_input=SD_HASH_INPUT,
        hash_alg="sha-256",
        now=NOW,
        algorithms=DEFAULT_ALGORITHMS,
    )


# --- SD-JWT VC ------------------------------------------------------------------------------

VC = issue_sd_jwt_vc(
    mark_all_disclosable(CLAIMS, keep_plain=frozenset()),
    vct=VCT,
    issuer_key=ISSUER,
    random_bytes=os.urandom,
    holder_key=HOLDER.public,
).token
VC_PAYLOAD = {
    "iss": "https://issuer.example",
    "vct": VCT,
    "iat": NOW - 10,
    "exp": NOW + 1000,
    "cnf": _cnf(),
    "status": {"status_list": {"idx": 3, "uri": "https://issuer.example/status/1"}},
    "given_name": "Jan",
}
VC_NAMES = [*PAYLOAD_NAMES, "status", "status_list", "idx", "uri", "vct#integrity", "sub"]


def _signed_vc(payload: Any) -> str:
    return forged_sd_jwt(payload, [], ISSUER, typ="dc+sd-jwt")


def _verify_vc(token: str) -> object:
    return verify_sd_jwt_vc(token, issuer_keys=KEYS, key_binding=NoKeyBinding(), now=NOW)


TARGETS = [
    Target("sd_jwt.verify_sd_jwt.mutated", near(PRESENTATION), _verify),
    Target(
        "sd_jwt.verify_sd_jwt.forged_disclosures",
        _forged(),
        lambda token: verify_sd_jwt(
            token, issuer_keys=KEYS, typ=TYP, key_binding=NoKeyBinding(), now=NOW
        ),
    ),
    Target(
        "sd_jwt.parse_disclosure",
        ENCODED_DISCLOSURES,
        lambda encoded: parse_disclosure(encoded, hash_alg="sha-256"),
    ),
    Target(
        "sd_jwt.verify_sd_jwt_json",
        mutated_json(JSON_SERIALIZATION, ["disclosures", "kb_jwt", "signatures", "header"])
        | near(dumps_compact(JSON_SERIALIZATION), separators=',"'),
        _verify_json,
    ),
    Target("sd_jwt.verify_kb_jwt.mutated", near(KB_JWT, separators="."), _verify_kb),
    Target(
        "sd_jwt.verify_kb_jwt.signed_random",
        st.builds(_signed_kb, KB_HEADERS, KB_CLAIMS),
        _verify_kb,
    ),
    Target(
        "sd_jwt.parse_claim_path",
        st.text(max_size=40) | json_values(max_leaves=6).map(dumps_compact),
        parse_claim_path,
    ),
    Target("sd_jwt_vc.verify_sd_jwt_vc.mutated", near(VC), _verify_vc),
    Target(
        "sd_jwt_vc.verify_sd_jwt_vc.signed_random",
        mutated_json(VC_PAYLOAD, VC_NAMES).map(_signed_vc),
        _verify_vc,
    ),
]
