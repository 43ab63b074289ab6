"""Strict HAIP 1.0 mode: the wallet refuses every request that leaves the profile, each rule
fed the input that breaks it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from specs.errors import Oid4vpReason
from specs.oid4vp.haip import check_haip_request
from specs.oid4vp.request_object import AuthorizationRequest
from tests.support import assert_rejected

KEY = {
    "kty": "EC",
    "crv": "P-256",
    "alg": "ECDH-ES",
    "use": "enc",
    "kid": "k",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
QUERY = {
    "credentials": [
        {
            "id": "c0",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:x"]},
            "claims": [{"path": ["a"]}],
        }
    ]
}


def _request(**changes: Any) -> AuthorizationRequest:
    request = AuthorizationRequest(
        client_id="x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
        response_uri="https://desk.example/response",
        response_mode="direct_post.jwt",
        nonce="n",
        state="s",
        dcql_query=QUERY,
        client_metadata={
            "jwks": {"keys": [KEY]},
            "encrypted_response_enc_values_supported": ["A128GCM"],
        },
    )
    return dataclasses.replace(request, **changes)


def test_a_haip_request_passes() -> None:
    check_haip_request(_request())
    check_haip_request(
        _request(
            client_metadata={
                "jwks": {"keys": [KEY]},
                "encrypted_response_enc_values_supported": ["A256GCM"],
            }
        )
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "x509_san_dns:desk.example"},
        {"client_id": "redirect_uri:https://desk.example/response"},
        {"client_id": "decentralized_identifier:did:web:desk.example"},
        {"response_mode": "direct_post"},
        {"response_type": "vp_token id_token"},
        {"client_metadata": None},
        {"client_metadata": {"jwks": {"keys": []}}},
        {
            "client_metadata": {
                "jwks": {"keys": [KEY]},
                "encrypted_response_enc_values_supported": ["A128CBC-HS256"],
            }
        },
        {
            "dcql_query": {
                "credentials": [{"id": "m", "format": "mso_mdoc", "meta": {"doctype_value": "x"}}]
            }
        },
    ],
    ids=[
        "x509_san_dns",
        "redirect_uri",
        "did",
        "direct_post",
        "response-type",
        "no-metadata",
        "no-key",
        "cbc",
        "mdoc",
    ],
)
def test_a_request_outside_haip_is_refused(changes: dict[str, Any]) -> None:
    assert_rejected(Oid4vpReason.NOT_HAIP, check_haip_request, _request(**changes))
