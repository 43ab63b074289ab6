"""JWK parsing and JWS verification: the attacks of THREATS S-01..S-06, S-13, S-15, K-03."""

from __future__ import annotations

import json

import pytest

from specs.errors import JoseReason
from specs.jose import (
    JwsAlg,
    b64url_encode,
    check_time_claims,
    generate_private_key,
    parse_compact_jws,
    parse_private_jwk,
    parse_public_jwk,
    sign_compact_jws,
    verify_jws,
)
from tests.specs.forge import b64, sign_raw
from tests.support import assert_rejected

ES256_ONLY = frozenset({JwsAlg.ES256})
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.fixture(scope="module")
def key():  # type: ignore[no-untyped-def]
    return generate_private_key()


def _verify(token: str, key, typ: str = "kb+jwt", algorithms=ES256_ONLY):  # type: ignore[no-untyped-def]
    return verify_jws(parse_compact_jws(token), key=key.public, algorithms=algorithms, typ=typ)


# --- JWK ---------------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["d", "p", "k"])
def test_private_members_are_refused_where_a_public_key_is_expected(key, member) -> None:  # type: ignore[no-untyped-def]
    jwk = {**key.public.to_jwk(), member: "AAAA"}
    assert_rejected(JoseReason.PRIVATE_KEY_MATERIAL, parse_public_jwk, jwk)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda j: {**j, "crv": "P-384"},
        lambda j: {**j, "kty": "RSA"},
        lambda j: {"kty": "oct", "alg": "HS256"},
        lambda j: {**j, "x": j["x"][:-2]},  # 31-byte coordinate
        lambda j: {**j, "y": b64url_encode(bytes(32))},  # not on the curve
        lambda j: {**j, "x": 5},
        lambda j: {**j, "use": "enc"},
        lambda j: {**j, "kid": ["a"]},
        lambda j: "not a jwk",
    ],
)
def test_unusable_public_jwks_are_refused(key, mutate) -> None:  # type: ignore[no-untyped-def]
    assert_rejected(JoseReason.BAD_JWK, parse_public_jwk, mutate(key.public.to_jwk()))


def test_private_jwk_must_match_its_public_members(key) -> None:  # type: ignore[no-untyped-def]
    other = generate_private_key()
    mixed = {**key.to_jwk(), "d": other.to_jwk()["d"]}
    assert_rejected(JoseReason.BAD_JWK, parse_private_jwk, mixed)
    assert parse_private_jwk(key.to_jwk()).public.members == key.public.members


def test_thumbprint_matches_an_independent_implementation(key) -> None:  # type: ignore[no-untyped-def]
    jwcrypto = pytest.importorskip("jwcrypto.jwk")
    for private in (key, generate_private_key(JwsAlg.ED25519)):
        theirs = jwcrypto.JWK(**private.public.to_jwk()).thumbprint()
        assert private.public.thumbprint() == theirs


# --- compact JWS shape -----------------------------------------------------------------------


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", ".e30.", "e30..x", "e30.e30.a.b"])
def test_wrong_segment_count_or_empty_segments(token: str) -> None:
    assert_rejected(JoseReason.MALFORMED_JWS, parse_compact_jws, token)


def test_oversized_token_is_refused_before_decoding() -> None:
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, parse_compact_jws, "A" * 70_000, max_bytes=65_536)


def test_header_or_payload_that_is_not_an_object(key) -> None:  # type: ignore[no-untyped-def]
    token = sign_raw({"alg": "ES256", "typ": "kb+jwt"}, "[1, 2]", key)
    assert_rejected(JoseReason.NOT_A_JSON_OBJECT, parse_compact_jws, token)
    assert_rejected(JoseReason.NOT_A_JSON_OBJECT, parse_compact_jws, f"{b64('1')}.{b64('{}')}.")


def test_json_serialization_where_compact_is_expected(key) -> None:  # type: ignore[no-untyped-def]
    document = json.dumps({"protected": "e30", "payload": "e30", "signature": ""})
    assert_rejected(JoseReason.MALFORMED_JWS, parse_compact_jws, document)


# --- header rules ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "", "HS256", "ES384", "RS256", None])
def test_algorithms_outside_the_allowlist(key, alg) -> None:  # type: ignore[no-untyped-def]
    header = {"typ": "kb+jwt"} if alg is None else {"alg": alg, "typ": "kb+jwt"}
    token = f"{b64(json.dumps(header))}.{b64('{}')}."
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, _verify, token, key)


def test_hmac_keyed_with_the_public_key_is_refused(key) -> None:  # type: ignore[no-untyped-def]
    """CVE-2022-29217: HS256 'signed' with the issuer's public JWK text as the MAC key."""
    import hashlib
    import hmac

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'kb+jwt'}))}.{b64('{}')}"
    mac = hmac.new(json.dumps(key.public.to_jwk()).encode(), signing_input.encode(), hashlib.sha256)
    token = f"{signing_input}.{b64url_encode(mac.digest())}"
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, _verify, token, key)


def test_algorithm_must_match_the_key(key) -> None:  # type: ignore[no-untyped-def]
    ed = generate_private_key(JwsAlg.ED25519)
    token = sign_compact_jws({}, key=key, typ="kb+jwt")
    both = frozenset(JwsAlg)
    assert_rejected(JoseReason.ALG_KEY_MISMATCH, _verify, token, ed, "kb+jwt", both)
    bound = parse_public_jwk({**key.public.to_jwk(), "alg": "Ed25519"})
    assert_rejected(
        JoseReason.ALG_KEY_MISMATCH,
        verify_jws,
        parse_compact_jws(token),
        key=bound,
        algorithms=both,
        typ="kb+jwt",
    )


@pytest.mark.parametrize("typ", [None, "JWT", "kb+jwt+x", "dc+sd-jwt", "statuslist+jwt"])
def test_typ_must_be_the_expected_one(key, typ) -> None:  # type: ignore[no-untyped-def]
    header = {"alg": "ES256"} if typ is None else {"alg": "ES256", "typ": typ}
    assert_rejected(JoseReason.TYP_MISMATCH, _verify, sign_raw(header, "{}", key), key)


@pytest.mark.parametrize("typ", ["KB+JWT", "application/kb+jwt", "Application/KB+jwt"])
def test_typ_compares_as_a_media_type(key, typ) -> None:  # type: ignore[no-untyped-def]
    """RFC 7515 §4.1.9: case-insensitive, and ``application/`` may be omitted."""
    assert _verify(sign_raw({"alg": "ES256", "typ": typ}, "{}", key), key).payload == {}


@pytest.mark.parametrize(
    "extra", [{"crit": ["foo"]}, {"crit": ["b64"], "b64": False}, {"crit": []}, {"b64": False}]
)
def test_crit_and_unencoded_payloads_are_refused(key, extra) -> None:  # type: ignore[no-untyped-def]
    token = sign_raw({"alg": "ES256", "typ": "kb+jwt", **extra}, "{}", key)
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, _verify, token, key)


def test_keys_in_the_header_are_never_used(key) -> None:  # type: ignore[no-untyped-def]
    attacker = generate_private_key()
    header = {"alg": "ES256", "typ": "kb+jwt", "jwk": attacker.public.to_jwk(), "jku": "https://x"}
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, sign_raw(header, "{}", attacker), key)


# --- signatures --------------------------------------------------------------------------


def _with_signature(token: str, signature: bytes) -> str:
    return token.rsplit(".", 1)[0] + "." + b64url_encode(signature)


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        bytes(64),
        bytes(63),
        bytes(65),
        P256_ORDER.to_bytes(32, "big") * 2,
        (1).to_bytes(32, "big") + P256_ORDER.to_bytes(32, "big"),
        bytes.fromhex("3006020101020101"),  # DER instead of raw r||s
    ],
)
def test_malformed_or_degenerate_signatures(key, signature) -> None:  # type: ignore[no-untyped-def]
    token = sign_compact_jws({"a": 1}, key=key, typ="kb+jwt")
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, _with_signature(token, signature), key)


def test_signature_over_other_content(key) -> None:  # type: ignore[no-untyped-def]
    token = sign_compact_jws({"a": 1}, key=key, typ="kb+jwt")
    header, _, signature = token.split(".")
    other_payload = b64('{"a":2}')
    tampered = f"{header}.{other_payload}.{signature}"
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, tampered, key)
    ed = generate_private_key(JwsAlg.ED25519)
    ed_token = sign_compact_jws({"a": 1}, key=ed, typ="kb+jwt")
    forged = _with_signature(ed_token, bytes(64))
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, forged, ed, "kb+jwt", frozenset(JwsAlg))
    assert _verify(ed_token, ed, "kb+jwt", frozenset(JwsAlg)).payload == {"a": 1}


# --- time claims ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999", True, -1, None, [1], {"t": 1}])
def test_time_claims_must_be_numeric_dates(value) -> None:  # type: ignore[no-untyped-def]
    assert_rejected(JoseReason.BAD_TIME_CLAIM, check_time_claims, {"exp": value}, now=1, leeway=0)


def test_expiry_is_exclusive_and_leeway_is_exact() -> None:
    check_time_claims({"exp": 101}, now=100, leeway=0)
    assert_rejected(JoseReason.EXPIRED, check_time_claims, {"exp": 100}, now=100, leeway=0)
    check_time_claims({"exp": 100}, now=104, leeway=5)
    assert_rejected(JoseReason.EXPIRED, check_time_claims, {"exp": 100}, now=105, leeway=5)


def test_not_yet_valid_and_issued_in_future() -> None:
    assert_rejected(JoseReason.NOT_YET_VALID, check_time_claims, {"nbf": 200}, now=100, leeway=60)
    check_time_claims({"nbf": 160}, now=100, leeway=60)
    assert_rejected(
        JoseReason.ISSUED_IN_FUTURE, check_time_claims, {"iat": 161}, now=100, leeway=60
    )
    check_time_claims({"iat": 160.5 - 0.5}, now=100, leeway=60)
