"""Strict HAIP 1.0 mode: the wallet refuses every request that leaves the profile, each rule
fed the input that breaks it."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from specs.errors import Oid4vpReason
from specs.oid4vp.haip import HAIP_ENC_PREFERENCE, check_haip_request, check_haip_signer
from specs.oid4vp.jwe import select_response_key
from specs.oid4vp.request_object import AuthorizationRequest
from tests.specs.oid4vp.conftest import Pki, certificate, der
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


def _x5c(*certificates: x509.Certificate) -> list[str]:
    return [base64.b64encode(der(c)).decode("ascii") for c in certificates]


def test_haip_5_a_signer_certified_by_a_ca_passes(pki: Pki) -> None:
    check_haip_signer(_x5c(pki.leaf))


@pytest.mark.parametrize("shape", ["anchor-included", "self-signed-leaf"])
def test_haip_5_a_self_signed_certificate_in_x5c_is_refused(pki: Pki, shape: str) -> None:
    """HAIP §5: "the trust anchor MUST NOT be included", "MUST NOT be self-signed"."""
    if shape == "anchor-included":
        x5c = _x5c(pki.leaf, pki.root)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        x5c = _x5c(certificate(key, key, subject="me", issuer="me", ca=False))
    assert_rejected(Oid4vpReason.NOT_HAIP, check_haip_signer, x5c)


@pytest.mark.parametrize("x5c", [None, [], "MIIB", ["not base64!"], [42]])
def test_haip_5_a_request_object_without_a_readable_x5c_is_refused(x5c: object) -> None:
    assert_rejected(Oid4vpReason.NOT_HAIP, check_haip_signer, x5c)


def test_haip_5_a_request_whose_first_enc_is_outside_haip_still_passes_on_a_gcm_one() -> None:
    """The verifier lists CBC first, A128GCM second: the strict wallet takes A128GCM."""
    metadata = {
        "jwks": {"keys": [KEY]},
        "encrypted_response_enc_values_supported": ["A128CBC-HS256", "A128GCM"],
    }
    check_haip_request(_request(client_metadata=metadata))
    assert select_response_key(metadata, preference=HAIP_ENC_PREFERENCE)[1] == "A128GCM"


def test_haip_5_the_wallet_prefers_a256gcm_when_both_are_offered() -> None:
    """HAIP §5: "If both are supported, the Wallet SHOULD use A256GCM"."""
    metadata = {
        "jwks": {"keys": [KEY]},
        "encrypted_response_enc_values_supported": ["A128GCM", "A256GCM"],
    }
    assert select_response_key(metadata)[1] == "A128GCM"  # the verifier's order
    assert select_response_key(metadata, preference=HAIP_ENC_PREFERENCE)[1] == "A256GCM"
    with pytest.raises(ValueError, match="preference"):
        select_response_key(metadata, preference=("A192GCM",))
