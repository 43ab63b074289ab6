"""DPoP proofs (RFC 9449 §4.2, §4.3): every check of §4.3 refuses its bad input by name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.dpop import (
    MAX_PROOF_BYTES,
    access_token_hash,
    build_dpop_proof,
    new_jti,
    normalize_htu,
    verify_dpop_proof,
)
from specs.errors import DpopReason
from specs.jose import JwsAlg, PrivateJwk, b64url_encode, generate_private_key
from tests.specs.forge import b64, sign_raw
from tests.support import assert_rejected

NOW = 1_790_000_000
URL = "https://wallet.example/session"
JTI = "e1j3V_bKic8-LAEB"
TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"


@pytest.fixture(scope="module")
def key() -> PrivateJwk:
    return generate_private_key()


def _claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a good proof; an override of ``None`` leaves the claim out."""
    claims: dict[str, Any] = {"jti": JTI, "htm": "POST", "htu": URL, "iat": NOW}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _header(key: PrivateJwk, **overrides: Any) -> dict[str, Any]:
    """The header of a good proof; an override of ``None`` leaves the member out."""
    header: dict[str, Any] = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public.to_jwk()}
    header.update(overrides)
    return {name: value for name, value in header.items() if value is not None}


def _forged(key: PrivateJwk, header: dict[str, Any] | None = None, **claims: Any) -> str:
    return sign_raw(header or _header(key), _claims(**claims), key)


def _compact(header: str, payload: str, signature: str = "AA") -> str:
    return f"{b64(header)}.{b64(payload)}.{signature}"


def _verify(proof: Any, **kwargs: Any) -> Any:
    expected: dict[str, Any] = {"method": "POST", "url": URL, "now": NOW}
    expected.update(kwargs)
    return verify_dpop_proof(proof, **expected)


# --- positive -----------------------------------------------------------------------------


def test_a_built_proof_verifies_and_names_its_key(key: PrivateJwk) -> None:
    proof = build_dpop_proof(key=key, method="POST", url=URL, now=NOW, jti=JTI)
    verified = _verify(proof)
    assert verified.public_key.members == key.public.members
    assert verified.thumbprint == key.public.thumbprint()
    assert (verified.jti, verified.iat) == (JTI, NOW)


def test_built_proof_has_the_header_and_claims_of_section_4_2(key: PrivateJwk) -> None:
    from specs.jose import parse_compact_jws

    proof = build_dpop_proof(
        key=key,
        method="GET",
        url=URL + "?page=2#top",
        now=NOW,
        jti=JTI,
        access_token=TOKEN,
        nonce="n-1",
    )
    jws = parse_compact_jws(proof)
    assert jws.header == {"alg": "ES256", "typ": "dpop+jwt", "jwk": key.public.to_jwk()}
    assert jws.payload == {
        "jti": JTI,
        "htm": "GET",
        "htu": URL,
        "iat": NOW,
        "ath": access_token_hash(TOKEN),
        "nonce": "n-1",
    }
    _verify(proof, method="GET", access_token=TOKEN, nonce="n-1")


def test_ath_is_the_base64url_sha256_of_the_token_ascii() -> None:
    expected = b64url_encode(hashlib.sha256(TOKEN.encode("ascii")).digest())
    assert access_token_hash(TOKEN) == expected
    with pytest.raises(ValueError, match="ASCII"):
        access_token_hash("tøken")


def test_new_jti_is_128_bits_of_the_callers_randomness(
    random_bytes: Callable[[int], bytes],
) -> None:
    jti = new_jti(random_bytes)
    assert len(jti) == 22
    assert new_jti(bytes) == b64url_encode(bytes(16))


@pytest.mark.parametrize(
    ("claimed", "request_url"),
    [
        ("https://wallet.example/session?x=1", URL),  # query ignored (§4.3 point 9)
        ("https://wallet.example/session#frag", URL + "?y=2"),
        ("HTTPS://Wallet.EXAMPLE:443/session", URL),  # scheme and host case, default port
        ("https://wallet.example:/session", URL),  # empty port
        ("https://wallet.example/a/../session", URL),  # dot segments
        ("https://wallet.example/%73ession", URL),  # unreserved percent-encoding
        ("http://wallet.example:80", "http://wallet.example/"),  # empty path
        ("https://wallet.example/a%2fb", "https://wallet.example/a%2Fb"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_htu_is_compared_after_rfc3986_normalisation(
    key: PrivateJwk, claimed: str, request_url: str
) -> None:
    _verify(_forged(key, htu=claimed), url=request_url)


def test_iat_may_be_anywhere_in_the_window(key: PrivateJwk) -> None:
    assert _verify(_forged(key, iat=NOW - 60)).iat == NOW - 60
    assert _verify(_forged(key, iat=NOW + 5)).iat == NOW + 5
    assert _verify(_forged(key, iat=NOW + 0.5)).iat == NOW


def test_unrequested_ath_and_nonce_are_allowed_when_well_formed(key: PrivateJwk) -> None:
    _verify(_forged(key, ath=access_token_hash(TOKEN), nonce="n"))


_URLS = st.builds(
    "{}://{}{}/{}{}".format,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[A-Za-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,3}", fullmatch=True),
    st.one_of(st.just(""), st.integers(1, 65535).map(":{}".format)),
    st.lists(st.from_regex(r"[A-Za-z0-9\-_~.]{1,10}", fullmatch=True), max_size=5).map("/".join),
    st.from_regex(r"(\?[a-z0-9=&]{0,20})?(#[a-z]{0,5})?", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "get", "M-SEARCH"]), url=_URLS)
def test_round_trip_for_any_method_and_url(key: PrivateJwk, method: str, url: str) -> None:
    proof = build_dpop_proof(key=key, method=method, url=url, now=NOW, jti=JTI)
    assert _verify(proof, method=method, url=url).thumbprint == key.public.thumbprint()
    normalized = normalize_htu(url)
    assert normalized is not None
    assert normalize_htu(normalized) == normalized
    _verify(proof, method=method, url=normalized)
    other = "PUT" if method != "PUT" else "GET"
    assert_rejected(DpopReason.HTM_MISMATCH, _verify, proof, method=other, url=url)


# --- §4.3 points 2-7: the JWS itself ------------------------------------------------------


def test_an_oversized_proof_is_refused_before_parsing(key: PrivateJwk) -> None:
    assert_rejected(DpopReason.PROOF_TOO_LARGE, _verify, "a" * (MAX_PROOF_BYTES + 1))
    padded = _forged(key, padding="x" * MAX_PROOF_BYTES)
    assert_rejected(DpopReason.PROOF_TOO_LARGE, _verify, padded)


@pytest.mark.parametrize(
    "proof",
    [
        None,
        b"a.b.c",
        "",
        "only.two",
        "a.b.c.d",
        _compact("{}", "{}", "!!"),
        _compact("[1]", "{}"),
        _compact('{"typ":1,"typ":2}', "{}"),
        _compact("{}", '{"iat":NaN}'),
        _compact("{}", "not json"),
        "é.é.é",
    ],
)
def test_malformed_proofs_are_refused(proof: Any) -> None:
    assert_rejected(DpopReason.MALFORMED_PROOF, _verify, proof)


@pytest.mark.parametrize("typ", [None, "jwt", "DPOP+JWT", "application/dpop+jwt", ["dpop+jwt"]])
def test_typ_must_be_exactly_dpop_jwt(key: PrivateJwk, typ: Any) -> None:
    assert_rejected(DpopReason.TYP_MISMATCH, _verify, _forged(key, _header(key, typ=typ)))


@pytest.mark.parametrize("alg", [None, "none", "HS256", "RS256", "Ed25519", "ES384", ["ES256"]])
def test_only_es256_is_allowed(key: PrivateJwk, alg: Any) -> None:
    proof = _compact(json.dumps(_header(key, alg=alg)), json.dumps(_claims()), "")
    assert_rejected(DpopReason.ALG_NOT_ALLOWED, _verify, proof)


def test_the_jwk_header_is_required(key: PrivateJwk) -> None:
    header = _header(key, kid="device-key")
    header.pop("jwk")
    assert_rejected(DpopReason.JWK_MISSING, _verify, _forged(key, header))


@pytest.mark.parametrize("member", ["d", "k", "p"])
def test_a_private_key_in_the_jwk_header_is_refused(key: PrivateJwk, member: str) -> None:
    jwk = key.to_jwk() if member == "d" else {**key.public.to_jwk(), member: "AAAA"}
    assert_rejected(DpopReason.JWK_PRIVATE, _verify, _forged(key, _header(key, jwk=jwk)))


@pytest.mark.parametrize(
    "jwk",
    [
        "not a key",
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": b64url_encode(bytes(32)), "y": b64url_encode(bytes(32))},
        generate_private_key(JwsAlg.ED25519).public.to_jwk(),  # a key that cannot do ES256
        {**generate_private_key().public.to_jwk(), "alg": "Ed25519"},
    ],
)
def test_unusable_jwks_are_refused(key: PrivateJwk, jwk: Any) -> None:
    assert_rejected(DpopReason.JWK_INVALID, _verify, _forged(key, _header(key, jwk=jwk)))


def test_crit_headers_are_not_understood(key: PrivateJwk) -> None:
    header = _header(key, crit=["exp"])
    assert_rejected(DpopReason.MALFORMED_PROOF, _verify, _forged(key, header))


def test_the_signature_must_be_by_the_jwk_key(key: PrivateJwk) -> None:
    other = generate_private_key()
    forged = sign_raw(_header(other), _claims(), key)  # other's jwk, key's signature
    assert_rejected(DpopReason.BAD_SIGNATURE, _verify, forged)
    head, payload, _ = _forged(key).split(".")
    assert_rejected(DpopReason.BAD_SIGNATURE, _verify, f"{head}.{payload}.")
    signature = _forged(key).split(".")[2]
    tampered = f"{head}.{b64(json.dumps(_claims(jti='another')))}.{signature}"
    assert_rejected(DpopReason.BAD_SIGNATURE, _verify, tampered)


# --- §4.2 claims, §4.3 points 8-12 --------------------------------------------------------


@pytest.mark.parametrize("missing", ["jti", "htm", "htu", "iat"])
def test_every_required_claim_must_be_present(key: PrivateJwk, missing: str) -> None:
    claims = _claims()
    del claims[missing]
    assert_rejected(DpopReason.CLAIM_MISSING, _verify, sign_raw(_header(key), claims, key))


@pytest.mark.parametrize(
    "claims",
    [
        {"htm": ["POST"]},
        {"htu": 7},
        {"htu": "wallet.example/session"},
        {"htu": "ftp://wallet.example/session"},
        {"htu": "https://user@wallet.example/session"},
        {"htu": "https://wallet.example/se ssion"},
        {"htu": "https://wallet.example:99999/session"},
        {"htu": "https://wallet.example/%zz"},
        {"htu": "https://" + "a" * 3000 + "/"},
        {"iat": "1790000000"},
        {"iat": True},
        {"iat": -1},
        {"ath": 5},
        {"ath": ""},
        {"nonce": ["n"]},
    ],
)
def test_claims_of_the_wrong_type_are_refused(key: PrivateJwk, claims: dict[str, Any]) -> None:
    assert_rejected(DpopReason.BAD_CLAIM, _verify, _forged(key, **claims))


@pytest.mark.parametrize("jti", ["", "x" * 129, 12345, ["a"]])
def test_jti_is_a_string_of_1_to_128_characters(key: PrivateJwk, jti: Any) -> None:
    claims = {**_claims(), "jti": jti}
    assert_rejected(DpopReason.BAD_JTI, _verify, sign_raw(_header(key), claims, key))


@pytest.mark.parametrize("htm", ["post", "GET", "POST "])
def test_htm_must_equal_the_method_case_sensitively(key: PrivateJwk, htm: str) -> None:
    assert_rejected(DpopReason.HTM_MISMATCH, _verify, _forged(key, htm=htm))


@pytest.mark.parametrize(
    "htu",
    [
        "http://wallet.example/session",
        "https://wallet.example:8443/session",
        "https://issuer.example/session",
        "https://wallet.example/Session",
        "https://wallet.example/session/",
        "https://wallet.example/",
    ],
)
def test_htu_must_name_the_request_uri(key: PrivateJwk, htu: str) -> None:
    assert_rejected(DpopReason.HTU_MISMATCH, _verify, _forged(key, htu=htu))


def test_iat_outside_the_window_is_refused(key: PrivateJwk) -> None:
    assert_rejected(DpopReason.IAT_TOO_OLD, _verify, _forged(key, iat=NOW - 61))
    assert_rejected(DpopReason.IAT_TOO_OLD, _verify, _forged(key, iat=NOW - 11), max_age=10)
    assert_rejected(DpopReason.IAT_IN_FUTURE, _verify, _forged(key, iat=NOW + 6))
    assert_rejected(DpopReason.IAT_IN_FUTURE, _verify, _forged(key, iat=NOW + 1), max_skew=0)


def test_ath_is_required_and_bound_to_the_access_token(key: PrivateJwk) -> None:
    assert_rejected(DpopReason.ATH_MISSING, _verify, _forged(key), access_token=TOKEN)
    other = access_token_hash("another-token")
    proof = _forged(key, ath=other)
    assert_rejected(DpopReason.ATH_MISMATCH, _verify, proof, access_token=TOKEN)
    assert_rejected(DpopReason.ATH_MISMATCH, _verify, proof, access_token="tøken")
    _verify(_forged(key, ath=access_token_hash(TOKEN)), access_token=TOKEN)


def test_nonce_is_required_and_equal_when_the_server_gave_one(key: PrivateJwk) -> None:
    assert_rejected(DpopReason.NONCE_MISSING, _verify, _forged(key), nonce="server-nonce")
    proof = _forged(key, nonce="other-nonce")
    assert_rejected(DpopReason.NONCE_MISMATCH, _verify, proof, nonce="server-nonce")
    _verify(_forged(key, nonce="server-nonce"), nonce="server-nonce")


# --- the caller's own arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "PO ST"}, "method"),
        ({"method": ""}, "method"),
        ({"url": "/relative"}, "htu"),
        ({"url": "ftp://wallet.example/"}, "htu"),
        ({"jti": ""}, "jti"),
        ({"jti": "x" * 129}, "jti"),
        ({"access_token": "tøken"}, "access token"),
        ({"nonce": ""}, "nonce"),
    ],
)
def test_building_refuses_arguments_no_server_would_accept(
    key: PrivateJwk, kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"method": "POST", "url": URL, "now": NOW, "jti": JTI}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        build_dpop_proof(key=key, **arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"url": "not a url"}, "url"), ({"max_age": -1}, "max_age"), ({"max_skew": -1}, "max_skew")],
)
def test_verifying_refuses_a_bad_configuration(
    key: PrivateJwk, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _verify(_forged(key), **kwargs)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("http://example.com:8080/a/./b/../c?q#f", "http://example.com:8080/a/c"),
        ("https://example.com/%7euser/%41%2f", "https://example.com/~user/A%2F"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://[2001:DB8::1]/", "https://[2001:db8::1]/"),
        ("https://example.com:0443/", "https://example.com/"),
    ],
)
def test_normalize_htu(url: str, normalized: str) -> None:
    assert normalize_htu(url) == normalized


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1/",
        "https://[::1]x/",
        "https://a:b:c/",
        "https:///path",
        "https://exa mple/",
        "https://example.com/\n",
        "https://exämple/",
        "mailto:someone@example.com",
    ],
)
def test_normalize_htu_refuses_what_is_no_http_uri(url: str) -> None:
    assert normalize_htu(url) is None
