"""Key attestations in key proofs (OpenID4VCI 1.0 F.1 ``key_attestation``, F.3 ``attestation``
proof type, §8.2 ``proofs``; HAIP 1.0 §4.5.1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from specs.attestation import KEY_ATTESTATION_TYP, KeyAttestationPolicy, build_key_attestation
from specs.errors import AttestationReason, JoseReason, Oid4vciReason
from specs.jose import JwsAlg, PrivateJwk, generate_private_key, parse_compact_jws
from specs.oid4vci import parse_credential_request
from specs.oid4vci.proof import (
    VerifiedProof,
    build_jwt_proof,
    check_proof_batch,
    verify_attestation_proof,
    verify_jwt_proof,
)
from tests.specs.attestation.provider import NOW, PROVIDER, Provider, sign
from tests.support import assert_rejected

ISSUER = "https://issuer.example/agency"
NONCE = "c-nonce-1"
WALLET_PROVIDER = Provider()
HOLDERS = [generate_private_key() for _ in range(3)]
POLICY = KeyAttestationPolicy(
    roots=WALLET_PROVIDER.roots,
    key_storage=None,
    user_authentication=None,
    max_attested_keys=10,
    leeway=30,
    required=True,
)


def _attestation(
    keys: list[PrivateJwk] = HOLDERS, *, nonce: str | None = NONCE, lifetime: int = 300
) -> str:
    return build_key_attestation(
        provider_key=WALLET_PROVIDER.signer,
        x5c=WALLET_PROVIDER.x5c,
        attested_keys=[key.public for key in keys],
        now=NOW,
        lifetime=lifetime,
        nonce=nonce,
        key_storage=["iso_18045_high"],
        user_authentication=[],
        attester=PROVIDER,
    )


def _proof(
    holder: PrivateJwk = HOLDERS[0], *, key_attestation: str | None = None, nonce: str = NONCE
) -> str:
    return build_jwt_proof(
        holder_key=holder,
        audience=ISSUER,
        nonce=nonce,
        now=NOW,
        key_attestation=_attestation() if key_attestation is None else key_attestation,
    )


def _verify(token: str, **overrides: Any) -> VerifiedProof:
    arguments: dict[str, Any] = {
        "audience": ISSUER,
        "now": NOW,
        "max_age": 300,
        "leeway": 30,
        "algorithms": frozenset({JwsAlg.ES256}),
        "require_nonce": True,
        "key_attestation": POLICY,
    }
    arguments.update(overrides)
    return verify_jwt_proof(token, **arguments)


# --- the jwt proof type with key_attestation (F.1) ------------------------------------------


def test_haip_4_5_1_a_jwt_proof_with_key_attestation_is_attested() -> None:
    attestation = _attestation()
    token = _proof(key_attestation=attestation)
    assert parse_compact_jws(token).header["key_attestation"] == attestation
    proof = _verify(token)
    assert proof.holder_key == HOLDERS[0].public
    assert proof.key_attestation is not None
    assert proof.key_attestation.attested_keys == tuple(key.public for key in HOLDERS)
    assert proof.key_attestation.key_storage == ("iso_18045_high",)


def test_haip_4_5_1_a_batch_shares_one_key_attestation() -> None:
    attestation = _attestation()
    proofs = [_verify(_proof(key, key_attestation=attestation)) for key in HOLDERS]
    assert check_proof_batch(proofs) == NONCE
    assert all(proof.key_attestation == proofs[0].key_attestation for proof in proofs)


def test_without_a_policy_the_header_is_not_read_and_nothing_counts_as_attested() -> None:
    assert _verify(_proof(), key_attestation=None).key_attestation is None
    assert _verify(_proof(key_attestation="not a jwt"), key_attestation=None).nonce == NONCE


def test_a_policy_that_requires_attestation_refuses_a_bare_proof() -> None:
    bare = build_jwt_proof(holder_key=HOLDERS[0], audience=ISSUER, nonce=NONCE, now=NOW)
    assert_rejected(AttestationReason.KEY_ATTESTATION_MISSING, _verify, bare)
    optional = replace(POLICY, required=False)
    assert _verify(bare, key_attestation=optional).key_attestation is None


def test_the_proof_key_must_be_one_of_the_attested_keys() -> None:
    token = _proof(generate_private_key())
    assert_rejected(AttestationReason.KEY_NOT_ATTESTED, _verify, token)


def test_the_key_attestation_answers_the_same_c_nonce_as_the_proof() -> None:
    token = _proof(key_attestation=_attestation(nonce="an-older-nonce"))
    assert_rejected(AttestationReason.KEY_ATTESTATION_NONCE_MISMATCH, _verify, token)
    token = _proof(key_attestation=_attestation(nonce=None))
    assert_rejected(AttestationReason.KEY_ATTESTATION_NONCE_MISSING, _verify, token)


def test_a_key_attestation_in_a_jwt_proof_must_expire() -> None:
    """Appendix D.1: ``exp`` MUST be present when used with the ``jwt`` proof type."""
    claims = {
        "iat": NOW,
        "attested_keys": [HOLDERS[0].public.to_jwk()],
        "nonce": NONCE,
    }
    attestation = sign(WALLET_PROVIDER.header(KEY_ATTESTATION_TYP), claims, WALLET_PROVIDER.signer)
    token = _proof(key_attestation=attestation)
    assert_rejected(AttestationReason.KEY_ATTESTATION_EXPIRY_MISSING, _verify, token)


def test_a_key_attestation_from_an_unknown_provider_is_refused() -> None:
    stranger = Provider()
    claims = {
        "iat": NOW,
        "exp": NOW + 60,
        "attested_keys": [HOLDERS[0].public.to_jwk()],
        "nonce": NONCE,
    }
    attestation = sign(stranger.header(KEY_ATTESTATION_TYP), claims, stranger.signer)
    token = _proof(key_attestation=attestation)
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, token)


def test_a_key_attestation_header_that_is_not_a_jwt_is_malformed() -> None:
    header = {
        "typ": "openid4vci-proof+jwt",
        "alg": "ES256",
        "jwk": HOLDERS[0].public.to_jwk(),
        "key_attestation": {"attested_keys": []},
    }
    token = sign(header, {"aud": ISSUER, "iat": NOW, "nonce": NONCE}, HOLDERS[0])
    assert_rejected(JoseReason.MALFORMED_JWS, _verify, token)


# --- the attestation proof type (F.3) -------------------------------------------------------


def test_haip_4_5_1_the_attestation_proof_type_stands_for_one_proof_per_key() -> None:
    proofs = verify_attestation_proof(
        _attestation(), policy=POLICY, now=NOW, require_nonce=True, max_keys=3
    )
    assert [proof.holder_key for proof in proofs] == [key.public for key in HOLDERS]
    assert check_proof_batch(proofs) == NONCE
    assert all(proof.key_attestation is not None for proof in proofs)


def test_the_attestation_proof_type_carries_the_c_nonce() -> None:
    assert_rejected(
        AttestationReason.KEY_ATTESTATION_NONCE_MISSING,
        verify_attestation_proof,
        _attestation(nonce=None),
        policy=POLICY,
        now=NOW,
        require_nonce=True,
        max_keys=3,
    )


def test_more_attested_keys_than_the_batch_allows_are_too_many_proofs() -> None:
    assert_rejected(
        Oid4vciReason.TOO_MANY_PROOFS,
        verify_attestation_proof,
        _attestation(),
        policy=POLICY,
        now=NOW,
        require_nonce=True,
        max_keys=2,
    )


# --- the Credential Request's proofs (§8.2) -------------------------------------------------


def _request(proofs: object) -> dict[str, Any]:
    return {"credential_configuration_id": "income", "proofs": proofs}


def test_the_attestation_proof_type_is_read_when_the_issuer_accepts_it() -> None:
    token = _attestation()
    request = parse_credential_request(
        _request({"attestation": [token]}), max_proofs=3, accept_attestation=True
    )
    assert (request.attestation_proof, request.jwt_proofs) == (token, ())
    jwt_request = parse_credential_request(
        _request({"jwt": [_proof()]}), max_proofs=3, accept_attestation=True
    )
    assert jwt_request.attestation_proof is None


def test_the_attestation_proof_type_is_refused_unless_accepted() -> None:
    assert_rejected(
        Oid4vciReason.UNSUPPORTED_PROOF_TYPE,
        parse_credential_request,
        _request({"attestation": [_attestation()]}),
        max_proofs=3,
    )


@pytest.mark.parametrize(
    "items", [[], ["a", "b"], "a.b.c", [""], [7]], ids=["empty", "two", "string", "blank", "number"]
)
def test_the_attestation_proof_type_is_an_array_of_exactly_one_jwt(items: object) -> None:
    assert_rejected(
        Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST,
        parse_credential_request,
        _request({"attestation": items}),
        max_proofs=3,
        accept_attestation=True,
    )
