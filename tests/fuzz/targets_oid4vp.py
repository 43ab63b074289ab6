"""Fuzz targets for OpenID4VP 1.0: DCQL (parse, then match against a held credential),
request objects (signed by a certified verifier, then mutated or re-signed with random
claims), the ``openid4vp://`` link and the Request URI POST, the ``direct_post`` form and
``vp_token``, ``direct_post.jwt`` responses (JWE), ``transaction_data`` and client ids.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from runtime.regulations import catalogue
from specs.jose import b64url_encode, dumps_compact
from specs.oid4vp import (
    REQUEST_OBJECT_TYP,
    AuthorizationRequest,
    authorization_request_link,
    build_request_object,
    decode_transaction_data,
    decrypt_response,
    encode_transaction_data,
    encrypt_response,
    new_response_key,
    parse_authorization_request_link,
    parse_client_id,
    parse_direct_post_form,
    parse_request_uri_post,
    parse_vp_token,
    public_response_jwk,
    response_payload,
    select_response_key,
    verify_request_object,
)
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.rules import compile_dcql
from tests.fuzz.harness import Target
from tests.fuzz.mutations import json_values, mutated_json, near, near_bytes
from tests.specs.forge import sign_raw
from tests.specs.oid4vp.conftest import DNS_NAME, NOW, RESPONSE_URI, der, new_pki

# --- DCQL -----------------------------------------------------------------------------------

DCQL_NAMES = [
    "credentials",
    "credential_sets",
    "id",
    "format",
    "meta",
    "vct_values",
    "claims",
    "path",
    "values",
    "claim_sets",
    "options",
    "required",
    "multiple",
    "trusted_authorities",
    "type",
    "require_cryptographic_holder_binding",
]
RICH_QUERY: dict[str, Any] = {
    "credentials": [
        {
            "id": "income",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:test:income"]},
            "trusted_authorities": [{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],
            "claims": [
                {"id": "a", "path": ["income", "amount"], "values": [1, "x", True]},
                {"id": "b", "path": ["children", None, "age"]},
                {"id": "c", "path": ["nationalities", 0]},
            ],
            "claim_sets": [["a", "b"], ["c"]],
            "multiple": True,
        },
        {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:test:pid"]}},
    ],
    "credential_sets": [{"options": [["income"], ["income", "pid"]], "required": False}],
}
QUERIES = [RICH_QUERY, *(compile_dcql(c).query for c in catalogue())]
HELD = [
    HeldForQuery(
        ref=0,
        format="dc+sd-jwt",
        vct="urn:test:income",
        claims={
            "income": {"amount": 1},
            "children": [{"age": 3}, {"age": "x"}, 7],
            "nationalities": ["NL"],
        },
    ),
    HeldForQuery(ref=1, format="dc+sd-jwt", vct="urn:test:pid", claims={"given_name": "Jan"}),
]
DCQL = st.one_of(
    st.sampled_from(QUERIES).flatmap(lambda query: mutated_json(query, DCQL_NAMES)),
    json_values(DCQL_NAMES),
)


def _parse_and_select(value: Any) -> object:
    """A query that parses is also matched against credentials (the wallet's next step)."""
    return select_credentials(parse_dcql_query(value), HELD)


# --- request objects ------------------------------------------------------------------------

PKI = new_pki()
CLIENT_ID = f"x509_san_dns:{DNS_NAME}"
X5C = [base64.b64encode(der(PKI.leaf)).decode("ascii")]
PURPOSE = encode_transaction_data({"type": "aanspraak-purpose", "credential_ids": ["income"]})
REQUEST = AuthorizationRequest(
    client_id=CLIENT_ID,
    response_uri=RESPONSE_URI,
    response_mode="direct_post.jwt",
    nonce="n-0S6_WzA2Mj",
    state="eyJhb.6-sVA",
    dcql_query=RICH_QUERY,
    client_metadata={"vp_formats_supported": {"dc+sd-jwt": {}}},
    transaction_data=(PURPOSE,),
    verifier_info=[{"format": "registration", "data": "eyJ...", "credential_ids": ["income"]}],
)
REQUEST_OBJECT = build_request_object(
    REQUEST, signer=PKI.signer, now=NOW, lifetime=300, x5c=[der(PKI.leaf)]
)
REQUEST_CLAIMS = REQUEST.to_claims(NOW, 300)
REQUEST_NAMES = [*REQUEST_CLAIMS, "redirect_uri", "wallet_nonce", "scope", "jwks", *DCQL_NAMES]


def _verify_request(token: str) -> object:
    return verify_request_object(
        token,
        expected_client_id=CLIENT_ID,
        now=NOW,
        allow_unsigned=False,
        trust_roots=[PKI.root],
    )


def _signed_request(claims: Any) -> str:
    return sign_raw({"alg": "ES256", "typ": REQUEST_OBJECT_TYP, "x5c": X5C}, claims, PKI.signer)


LINK = authorization_request_link(
    client_id=CLIENT_ID,
    request_uri="https://verifier.example/request/abc",
    request_uri_method="post",
)

# --- responses ------------------------------------------------------------------------------

RESPONSE_KEY = new_response_key(kid="tx-1")
PAYLOAD = response_payload({"income": ["eyJ.e30.c2ln~WyJhIl0~"]}, "state-1")
JWE = encrypt_response(PAYLOAD, recipient=public_response_jwk(RESPONSE_KEY), enc="A128GCM")
FORM = urlencode({"vp_token": dumps_compact({"income": ["eyJ.e30.c2ln~"]}), "state": "s"})
CLIENT_METADATA = {
    "jwks": {"keys": [public_response_jwk(RESPONSE_KEY)]},
    "encrypted_response_enc_values_supported": ["A128GCM", "A256GCM"],
}


def _encrypted(payload: Any) -> str:
    """A well-formed JWE to our key around any JSON, so the payload checks are reached."""
    return encrypt_response(
        {"": payload} if not isinstance(payload, dict) else payload,
        recipient=public_response_jwk(RESPONSE_KEY),
        enc="A256GCM",
    )


def _decrypt(token: Any) -> object:
    return decrypt_response(token, private_jwk=RESPONSE_KEY)


TARGETS = [
    Target("oid4vp.dcql.parse_and_select", DCQL, _parse_and_select),
    Target("oid4vp.verify_request_object.mutated", near(REQUEST_OBJECT, "."), _verify_request),
    Target(
        "oid4vp.verify_request_object.signed_random",
        mutated_json(REQUEST_CLAIMS, REQUEST_NAMES).map(_signed_request),
        _verify_request,
    ),
    Target(
        "oid4vp.parse_authorization_request_link",
        near(LINK, separators="&=?"),
        parse_authorization_request_link,
    ),
    Target(
        "oid4vp.parse_request_uri_post",
        near_bytes(urlencode({"wallet_nonce": "n", "wallet_metadata": "{}"}).encode()),
        parse_request_uri_post,
    ),
    Target(
        "oid4vp.parse_direct_post_form",
        near_bytes(FORM.encode()),
        lambda body: parse_direct_post_form(body, max_bytes=64 * 1024),
    ),
    Target(
        "oid4vp.parse_vp_token",
        mutated_json({"income": ["eyJ.e30.c2ln~"], "pid": ["a~", "b~"]}) | json_values(),
        parse_vp_token,
    ),
    Target("oid4vp.decrypt_response.mutated", near(JWE, separators="."), _decrypt),
    Target(
        "oid4vp.decrypt_response.random_payload",
        mutated_json(PAYLOAD, ["vp_token", "state", "error"]).map(_encrypted),
        _decrypt,
    ),
    Target(
        "oid4vp.select_response_key",
        mutated_json(
            CLIENT_METADATA, ["jwks", "keys", "kty", "crv", "x", "y", "use", "alg"]
        ).filter(
            lambda metadata: isinstance(metadata, dict)  # the request object's parser saw to it
        ),
        select_response_key,
    ),
    Target(
        "oid4vp.decode_transaction_data",
        near(PURPOSE, separators="A")
        | mutated_json({"type": "t", "credential_ids": ["income"]}).map(
            lambda value: b64url_encode(dumps_compact(value).encode())
        ),
        lambda text: decode_transaction_data(text, credential_ids={"income", "pid"}),
    ),
    Target(
        "oid4vp.parse_client_id",
        near(CLIENT_ID, separators=":") | json_values(max_leaves=3),
        parse_client_id,
    ),
]
