"""Key attestations (OpenID4VCI 1.0 Appendix D, HAIP 1.0 §4.5.1): every rule, fed and checked."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import pytest

from specs.attestation import (
    ISO_18045_LEVELS,
    KEY_ATTESTATION_TYP,
    KeyAttestationPolicy,
    VerifiedKeyAttestation,
    build_key_attestation,
    iso_18045_at_least,
    verify_key_attestation,
)
from specs.errors import AttestationReason, JoseReason
from specs.jose import PrivateJwk, generate_private_key
from tests.specs.attestation.provider import NOW, PROVIDER, Provider, sign
from tests.support import assert_rejected, load_json, vectors_dir

WALLET_PROVIDER = Provider()
HOLDERS = [generate_private_key() for _ in range(3)]
HIGH = "iso_18045_high"
POLICY = KeyAttestationPolicy(
    roots=WALLET_PROVIDER.roots,
    key_storage=None,
    user_authentication=None,
    max_attested_keys=5,
    leeway=30,
    required=True,
)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": PROVIDER,
        "iat": NOW - 10,
        "exp": NOW + 300,
        "attested_keys": [key.public.to_jwk() for key in HOLDERS],
        "key_storage": [HIGH],
        "user_authentication": ["iso_18045_moderate"],
        "nonce": "c-nonce-1",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _token(
    header: dict[str, Any] | None = None, key: PrivateJwk | None = None, **claims: Any
) -> str:
    return sign(
        header or WALLET_PROVIDER.header(KEY_ATTESTATION_TYP),
        _claims(**claims),
        key or WALLET_PROVIDER.signer,
    )


def _verify(token: object = None, **overrides: Any) -> VerifiedKeyAttestation:
    arguments: dict[str, Any] = {
        "policy": POLICY,
        "now": NOW,
        "require_expiry": True,
        "require_nonce": True,
    }
    arguments.update(overrides)
    return verify_key_attestation(_token() if token is None else token, **arguments)


# --- accepted ------------------------------------------------------------------------------


def test_haip_4_5_1_a_built_key_attestation_verifies_with_every_key() -> None:
    token = build_key_attestation(
        provider_key=WALLET_PROVIDER.signer,
        x5c=WALLET_PROVIDER.x5c,
        attested_keys=[key.public for key in HOLDERS],
        now=NOW,
        lifetime=300,
        nonce="c-nonce-1",
        key_storage=[HIGH],
        user_authentication=[HIGH],
        attester=PROVIDER,
    )
    verified = _verify(token, policy=replace(POLICY, key_storage=iso_18045_at_least(HIGH)))
    assert verified == VerifiedKeyAttestation(
        attested_keys=tuple(key.public for key in HOLDERS),
        issued_at=NOW,
        expires_at=NOW + 300,
        key_storage=(HIGH,),
        user_authentication=(HIGH,),
        nonce="c-nonce-1",
        attester=PROVIDER,
        status=None,
    )
    assert all(verified.attests(key.public) for key in HOLDERS)
    assert not verified.attests(generate_private_key().public)


def test_levels_and_nonce_are_optional_unless_required() -> None:
    token = _token(key_storage=None, user_authentication=None, nonce=None, exp=None, iss=None)
    verified = _verify(token, require_expiry=False, require_nonce=False)
    assert (verified.key_storage, verified.nonce, verified.expires_at) == ((), None, None)


def test_a_status_reference_is_returned_for_the_callers_check() -> None:
    status = {"status_list": {"idx": 0, "uri": "https://wallet-provider.example/status/2"}}
    assert _verify(_token(status=status)).status == status


def test_iso_18045_at_least_orders_the_appendix_d2_levels() -> None:
    assert iso_18045_at_least("iso_18045_high") == {"iso_18045_high"}
    assert iso_18045_at_least("iso_18045_basic") == set(ISO_18045_LEVELS)
    assert iso_18045_at_least("iso_18045_moderate") == {"iso_18045_high", "iso_18045_moderate"}
    with pytest.raises(ValueError, match="ISO 18045"):
        iso_18045_at_least("high")


def test_expectations_are_keyword_only_without_defaults() -> None:
    parameters = inspect.signature(verify_key_attestation).parameters
    for name in ("policy", "now", "require_expiry", "require_nonce"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is inspect.Parameter.empty, name


# --- the envelope and time claims -----------------------------------------------------------


def test_the_key_attestation_typ_is_required() -> None:
    header = WALLET_PROVIDER.header("oauth-client-attestation+jwt")
    assert_rejected(AttestationReason.KEY_ATTESTATION_TYP, _verify, _token(header))


def test_the_typ_may_carry_the_application_prefix() -> None:
    header = WALLET_PROVIDER.header("application/key-attestation+jwt")
    assert _verify(_token(header)).nonce == "c-nonce-1"


def test_only_es256_and_only_x5c() -> None:
    header = WALLET_PROVIDER.header(KEY_ATTESTATION_TYP, alg="ES512")
    assert_rejected(AttestationReason.ALG_NOT_ALLOWED, _verify, _token(header))
    header = WALLET_PROVIDER.header(KEY_ATTESTATION_TYP, x5c=None, jwk=HOLDERS[0].public.to_jwk())
    assert_rejected(AttestationReason.X5C_MISSING, _verify, _token(header))


def test_another_providers_key_attestation_is_untrusted() -> None:
    stranger = Provider()
    token = _token(stranger.header(KEY_ATTESTATION_TYP), stranger.signer)
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, token)


def test_a_forged_key_attestation_is_refused() -> None:
    token = _token(key=HOLDERS[0])
    assert_rejected(AttestationReason.BAD_SIGNATURE, _verify, token)


def test_iat_is_required() -> None:
    assert_rejected(AttestationReason.CLAIM_MISSING, _verify, _token(iat=None))


def test_exp_is_required_where_the_caller_says_so() -> None:
    token = _token(exp=None)
    assert_rejected(AttestationReason.KEY_ATTESTATION_EXPIRY_MISSING, _verify, token)


def test_time_claims() -> None:
    assert_rejected(AttestationReason.EXPIRED, _verify, _token(exp=NOW - 30))
    assert_rejected(AttestationReason.ISSUED_IN_FUTURE, _verify, _token(iat=NOW + 60))
    assert_rejected(AttestationReason.NOT_YET_VALID, _verify, _token(nbf=NOW + 60))
    assert_rejected(AttestationReason.MALFORMED_CLAIM, _verify, _token(exp=-1))


# --- attested keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [None, [], "key", {"kty": "EC"}, [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}], [7]],
    ids=["missing", "empty", "string", "object", "rsa", "number"],
)
def test_attested_keys_is_a_non_empty_array_of_public_jwks(keys: object) -> None:
    token = _token(attested_keys=keys) if keys is not None else _token(attested_keys=None)
    assert_rejected(AttestationReason.ATTESTED_KEYS_INVALID, _verify, token)


def test_more_keys_than_the_policy_allows_are_refused_before_parsing() -> None:
    token = _token(attested_keys=[{"kty": "junk"}] * 6)
    assert_rejected(AttestationReason.TOO_MANY_ATTESTED_KEYS, _verify, token)


def test_an_attested_private_key_is_refused() -> None:
    token = _token(attested_keys=[HOLDERS[0].to_jwk()])
    assert_rejected(AttestationReason.ATTESTED_KEY_PRIVATE, _verify, token)


def test_a_key_attested_twice_is_refused() -> None:
    jwk = HOLDERS[0].public.to_jwk()
    token = _token(attested_keys=[jwk, {**jwk, "kid": "again"}])
    assert_rejected(AttestationReason.ATTESTED_KEYS_REPEATED, _verify, token)


# --- levels, nonce, optional claims ---------------------------------------------------------


def test_key_storage_below_the_required_level_is_refused() -> None:
    policy = replace(POLICY, key_storage=iso_18045_at_least(HIGH))
    token = _token(key_storage=["iso_18045_moderate"])
    assert_rejected(AttestationReason.KEY_STORAGE_INSUFFICIENT, _verify, token, policy=policy)
    token = _token(key_storage=None)
    assert_rejected(AttestationReason.KEY_STORAGE_INSUFFICIENT, _verify, token, policy=policy)


def test_user_authentication_below_the_required_level_is_refused() -> None:
    policy = replace(POLICY, user_authentication=iso_18045_at_least(HIGH))
    assert_rejected(AttestationReason.USER_AUTHENTICATION_INSUFFICIENT, _verify, policy=policy)
    moderate = replace(POLICY, user_authentication=iso_18045_at_least("iso_18045_moderate"))
    assert _verify(policy=moderate).user_authentication == ("iso_18045_moderate",)


@pytest.mark.parametrize(
    "claims",
    [
        {"key_storage": []},
        {"key_storage": "iso_18045_high"},
        {"user_authentication": [1]},
        {"key_storage": ["x"] * 17},
        {"nonce": 5},
        {"certification": ["https://cert.example"]},
        {"status": []},
        {"iss": 3},
    ],
    ids=["empty", "string", "number", "too-many", "nonce", "certification", "status", "iss"],
)
def test_malformed_optional_claims(claims: dict[str, Any]) -> None:
    assert_rejected(AttestationReason.MALFORMED_CLAIM, _verify, _token(**claims))


def test_a_nonce_is_required_where_the_issuer_has_a_nonce_endpoint() -> None:
    token = _token(nonce=None)
    assert_rejected(AttestationReason.KEY_ATTESTATION_NONCE_MISSING, _verify, token)


def test_a_broken_token_keeps_its_jose_reason() -> None:
    assert_rejected(JoseReason.MALFORMED_JWS, _verify, "a.b")
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, _verify, "x" * 17_000)


def test_policy_bounds_are_checked_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="max_attested_keys"):
        replace(POLICY, max_attested_keys=0)


# --- the specification's example ----------------------------------------------------------


def test_the_spec_example_claims_pass_our_claim_rules() -> None:
    """OpenID4VCI 1.0 Appendix D.1's example, signed here by our test provider: its claims
    (``iss``, levels, one attested key) are what we accept; ``iat`` and ``exp`` keep their
    distance but move into the test certificates' validity."""
    example = load_json(
        vectors_dir("oid4vci", "inline") / "L2529_key_attestation_in_jwt_format.json"
    )
    payload = dict(example["payload"])
    payload["exp"] = NOW + payload["exp"] - payload["iat"]
    payload["iat"] = NOW
    assert example["jose_header"]["typ"] == KEY_ATTESTATION_TYP
    token = sign(WALLET_PROVIDER.header(KEY_ATTESTATION_TYP), payload, WALLET_PROVIDER.signer)
    verified = _verify(token, now=NOW + 60, require_nonce=False)
    assert verified.key_storage == ("iso_18045_moderate",)
    assert [key.to_jwk() for key in verified.attested_keys] == payload["attested_keys"]
