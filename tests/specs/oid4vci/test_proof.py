"""Key proofs of the ``jwt`` proof type (OpenID4VCI 1.0 Appendix F.1, F.4) and batch rules."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from typing import Any

import pytest

from specs.errors import JoseReason, Oid4vciReason
from specs.jose import JwsAlg, PrivateJwk, b64url_encode, generate_private_key
from specs.oid4vci import (
    PROOF_JWT_TYP,
    VerifiedProof,
    build_jwt_proof,
    check_proof_batch,
    verify_jwt_proof,
)
from tests.support import assert_rejected

ISSUER = "https://issuer.example/agency"
NOW = 1_790_000_000
HOLDER = generate_private_key()
OTHER = generate_private_key()
ED_HOLDER = generate_private_key(JwsAlg.ED25519)
ES256 = frozenset({JwsAlg.ES256})


def _verify(token: str, **overrides: Any) -> VerifiedProof:
    arguments: dict[str, Any] = {
        "audience": ISSUER,
        "now": NOW,
        "max_age": 300,
        "leeway": 30,
        "algorithms": ES256,
        "require_nonce": True,
    }
    arguments.update(overrides)
    return verify_jwt_proof(token, **arguments)


def _token(header: dict[str, Any], payload: dict[str, Any], key: PrivateJwk = HOLDER) -> str:
    """Sign exactly the header and payload given (the builder would not write bad ones)."""

    def segment(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())

    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def _header(**overrides: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"typ": PROOF_JWT_TYP, "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    header.update(overrides)
    return {name: value for name, value in header.items() if value is not None}


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"aud": ISSUER, "iat": NOW, "nonce": "n-1"}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


# --- accepted proofs --------------------------------------------------------------------


def test_built_proof_verifies() -> None:
    token = build_jwt_proof(holder_key=HOLDER, audience=ISSUER, nonce="n-1", now=NOW)
    proof = _verify(token)
    assert proof == VerifiedProof(
        holder_key=HOLDER.public, nonce="n-1", issued_at=NOW, client_id=None
    )


def test_client_id_becomes_iss() -> None:
    token = build_jwt_proof(
        holder_key=HOLDER, audience=ISSUER, nonce="n", now=NOW, client_id="wallet-1"
    )
    assert _verify(token).client_id == "wallet-1"


def test_nonce_is_optional_when_the_issuer_has_no_nonce_endpoint() -> None:
    token = build_jwt_proof(holder_key=HOLDER, audience=ISSUER, nonce=None, now=NOW)
    assert _verify(token, require_nonce=False).nonce is None
    assert_rejected(Oid4vciReason.PROOF_NONCE_MISSING, _verify, token)


def test_ed25519_proof_verifies_when_allowed() -> None:
    token = build_jwt_proof(holder_key=ED_HOLDER, audience=ISSUER, nonce="n", now=NOW)
    assert _verify(token, algorithms={JwsAlg.ED25519}).holder_key == ED_HOLDER.public
    assert_rejected(Oid4vciReason.PROOF_ALG, _verify, token)


def test_fractional_iat_is_a_numeric_date() -> None:
    token = _token(_header(), _claims(iat=NOW - 0.5))
    assert _verify(token).issued_at == NOW - 1


@pytest.mark.parametrize("age", [0, 330])
def test_iat_at_the_edges_of_the_window(age: int) -> None:
    assert _verify(_token(_header(), _claims(iat=NOW - age))).issued_at == NOW - age
    assert _verify(_token(_header(), _claims(iat=NOW + 30))).issued_at == NOW + 30


def test_expectations_are_keyword_only_without_defaults() -> None:
    """STYLE §3: no proof check can be skipped by leaving an argument out."""
    parameters = inspect.signature(verify_jwt_proof).parameters
    for name in ("audience", "now", "max_age", "leeway", "algorithms", "require_nonce"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is inspect.Parameter.empty, name


# --- header rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typ", [None, "JWT", "openid4vci-proof+JWT", "application/openid4vci-proof+jwt", 1]
)
def test_typ_must_be_exactly_the_proof_type(typ: object) -> None:
    assert_rejected(Oid4vciReason.PROOF_TYP, _verify, _token(_header(typ=typ), _claims()))


@pytest.mark.parametrize("alg", [None, "none", "HS256", "RS256", "es256", ["ES256"]])
def test_alg_must_be_on_the_allowlist(alg: object) -> None:
    assert_rejected(Oid4vciReason.PROOF_ALG, _verify, _token(_header(alg=alg), _claims()))


def test_alg_must_match_the_key() -> None:
    token = _token(_header(alg="Ed25519"), _claims(), key=HOLDER)
    assert_rejected(
        JoseReason.ALG_KEY_MISMATCH, _verify, token, algorithms={JwsAlg.ES256, JwsAlg.ED25519}
    )


@pytest.mark.parametrize(
    "extra",
    [{"jwk": None}, {"kid": "k1"}, {"x5c": ["MIIB"]}],
    ids=["none", "jwk-and-kid", "jwk-and-x5c"],
)
def test_exactly_one_key_reference(extra: dict[str, Any]) -> None:
    assert_rejected(Oid4vciReason.PROOF_KEY_REFERENCE, _verify, _token(_header(**extra), _claims()))


@pytest.mark.parametrize("reference", [{"kid": "did:example:123#key-1"}, {"x5c": ["MIIB"]}])
def test_kid_and_x5c_are_not_supported(reference: dict[str, Any]) -> None:
    token = _token(_header(jwk=None, **reference), _claims())
    assert_rejected(Oid4vciReason.PROOF_KEY_UNSUPPORTED, _verify, token)


def test_private_key_in_the_header_is_refused() -> None:
    token = _token(_header(jwk=HOLDER.to_jwk()), _claims())
    assert_rejected(Oid4vciReason.PROOF_PRIVATE_KEY, _verify, token)


def test_symmetric_key_in_the_header_is_refused() -> None:
    token = _token(_header(jwk={"kty": "oct", "k": "c2VjcmV0"}), _claims())
    assert_rejected(Oid4vciReason.PROOF_PRIVATE_KEY, _verify, token)


@pytest.mark.parametrize("jwk", ["key", {"kty": "EC", "crv": "P-384"}, {"kty": "RSA"}])
def test_unusable_jwk_is_bad_jwk(jwk: object) -> None:
    assert_rejected(JoseReason.BAD_JWK, _verify, _token(_header(jwk=jwk), _claims()))


def test_signature_must_verify_with_the_header_key() -> None:
    token = _token(_header(), _claims(), key=OTHER)
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, token)


def test_crit_is_refused() -> None:
    token = _token(_header(crit=["exp"]), _claims())
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, _verify, token)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "x" * 20_000])
def test_broken_jws_keeps_its_jose_reason(token: str) -> None:
    reason = JoseReason.TOKEN_TOO_LARGE if len(token) > 16_384 else JoseReason.MALFORMED_JWS
    assert_rejected(reason, _verify, token)


def test_token_that_is_not_a_string_is_malformed() -> None:
    assert_rejected(JoseReason.MALFORMED_JWS, _verify, b"a.b.c")


# --- claim rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aud",
    [None, "https://other.example", f"{ISSUER}/", [ISSUER], [ISSUER, "https://x.example"], 1],
)
def test_aud_must_be_the_issuer_identifier_as_a_string(aud: object) -> None:
    assert_rejected(Oid4vciReason.PROOF_AUDIENCE, _verify, _token(_header(), _claims(aud=aud)))


def test_iat_is_required() -> None:
    assert_rejected(Oid4vciReason.PROOF_IAT_MISSING, _verify, _token(_header(), _claims(iat=None)))


@pytest.mark.parametrize("iat", ["1790000000", True, -1, [NOW]])
def test_iat_must_be_a_numeric_date(iat: object) -> None:
    assert_rejected(JoseReason.BAD_TIME_CLAIM, _verify, _token(_header(), _claims(iat=iat)))


def test_iat_beyond_the_leeway_is_from_the_future() -> None:
    token = _token(_header(), _claims(iat=NOW + 31))
    assert_rejected(Oid4vciReason.PROOF_FROM_FUTURE, _verify, token)


def test_iat_older_than_max_age_is_stale() -> None:
    token = _token(_header(), _claims(iat=NOW - 331))
    assert_rejected(Oid4vciReason.PROOF_STALE, _verify, token)


def test_exp_is_honoured_when_present() -> None:
    token = _token(_header(), _claims(exp=NOW - 60))
    assert_rejected(JoseReason.EXPIRED, _verify, token)


@pytest.mark.parametrize("name", ["nonce", "iss"])
@pytest.mark.parametrize("value", [7, "", ["n"], "x" * 513])
def test_nonce_and_iss_are_strings(name: str, value: object) -> None:
    token = _token(_header(), _claims(**{name: value}))
    assert_rejected(Oid4vciReason.MALFORMED_PROOF, _verify, token, require_nonce=False)


def test_missing_nonce_is_refused_when_required() -> None:
    token = _token(_header(), _claims(nonce=None))
    assert_rejected(Oid4vciReason.PROOF_NONCE_MISSING, _verify, token)


# --- batches ----------------------------------------------------------------------------


def _proof(key: PrivateJwk, nonce: str | None) -> VerifiedProof:
    return VerifiedProof(holder_key=key.public, nonce=nonce, issued_at=NOW, client_id=None)


def test_batch_returns_the_shared_nonce() -> None:
    assert check_proof_batch([_proof(HOLDER, "n"), _proof(OTHER, "n")]) == "n"
    assert check_proof_batch([_proof(HOLDER, None)]) is None


def test_empty_batch_has_no_proof() -> None:
    assert_rejected(Oid4vciReason.PROOF_MISSING, check_proof_batch, [])


def test_batch_nonces_must_agree() -> None:
    assert_rejected(
        Oid4vciReason.PROOF_NONCES_DIFFER,
        check_proof_batch,
        [_proof(HOLDER, "n"), _proof(OTHER, "m")],
    )
    assert_rejected(
        Oid4vciReason.PROOF_NONCES_DIFFER,
        check_proof_batch,
        [_proof(HOLDER, "n"), _proof(OTHER, None)],
    )


def test_batch_keys_must_be_distinct() -> None:
    assert_rejected(
        Oid4vciReason.PROOF_KEYS_REPEATED,
        check_proof_batch,
        [_proof(HOLDER, "n"), _proof(OTHER, "n"), _proof(HOLDER, "n")],
    )


def test_batch_keys_are_compared_by_thumbprint_not_by_kid() -> None:
    renamed = PrivateJwk(HOLDER.key, replace(HOLDER.public, kid="another-name"))
    assert_rejected(
        Oid4vciReason.PROOF_KEYS_REPEATED,
        check_proof_batch,
        [_proof(HOLDER, "n"), _proof(renamed, "n")],
    )
