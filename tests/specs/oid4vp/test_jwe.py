"""Encrypted responses for ``direct_post.jwt`` (OpenID4VP 1.0 §8.3, §8.3.1): ECDH-ES on P-256.

Every refusal is shown with a real JWE: one made by ``joserfc`` with the forbidden parameter
(another ``alg``, another ``enc``, compression), or a real one whose header was then altered
(an off-curve ``epk``), so the rule is what stops it, not a broken encoding.
"""

from __future__ import annotations

import contextlib
import json
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwe
from joserfc.jwk import ECKey, OKPKey

from specs.errors import JoseReason, Oid4vpReason, Rejected
from specs.jose import b64url_decode, b64url_encode, dumps_compact
from specs.oid4vp import (
    ALLOWED_ENC,
    decrypt_response,
    encrypt_response,
    new_response_key,
    public_response_jwk,
    response_client_metadata,
    response_payload,
    select_response_key,
)
from tests.support import assert_rejected, load_json, vectors_dir

PAYLOAD = response_payload({"income": ["eyJ.e30.c2ln~WyJhIl0~"]}, "state-1")


@pytest.fixture(scope="module")
def key() -> dict[str, str]:
    return new_response_key(kid="tx-1")


def _raw(header: dict[str, Any], plaintext: bytes, recipient: dict[str, str]) -> str:
    """A JWE made by joserfc with whatever header we ask for (no checks of ours)."""
    registry = jwe.JWERegistry(
        algorithms=[header["alg"], header["enc"], *(["DEF"] if "zip" in header else [])]
    )
    members: dict[str, str | list[str]] = {**public_response_jwk(recipient)}
    public = ECKey.import_key(members)
    return jwe.encrypt_compact(header, plaintext, public, registry=registry)


def _with_header(token: str, **changes: Any) -> str:
    """The same JWE with its protected header changed (and so its AAD: it can no longer open)."""
    header_segment, *rest = token.split(".")
    header = json.loads(b64url_decode(header_segment))
    header.update(changes)
    header = {name: value for name, value in header.items() if value is not None}
    return ".".join([b64url_encode(dumps_compact(header).encode()), *rest])


def _decrypt(token: Any, key: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return decrypt_response(token, private_jwk=key, **kwargs)


# --- the spec's example ---------------------------------------------------------------------


def test_spec_encrypted_response_decrypts_with_the_spec_key() -> None:
    inline = vectors_dir("oid4vp", "inline")
    token = load_json(inline / "L1382_encrypted_responses.json")["response"]
    private = load_json(inline / "L1394_encrypted_responses.json")
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == load_json(inline / "L1405_encrypted_responses.json")
    assert _decrypt(token, private) == load_json(inline / "L1421_encrypted_responses.json")


def test_spec_client_metadata_selects_the_p256_key() -> None:
    request = load_json(vectors_dir("oid4vp", "inline") / "L1330_encrypted_responses.json")
    recipient, enc = select_response_key(request["client_metadata"])
    assert recipient["kid"] == "ac"
    assert enc == "A128GCM"
    private = load_json(vectors_dir("oid4vp", "inline") / "L1394_encrypted_responses.json")
    token = encrypt_response(PAYLOAD, recipient=recipient, enc=enc)
    assert _decrypt(token, private) == PAYLOAD


def test_spec_mdoc_example_key_is_a_usable_recipient() -> None:
    recipient = load_json(vectors_dir("oid4vp", "inline") / "L2926_invocation_via_redirects.json")
    token = encrypt_response(PAYLOAD, recipient=recipient, enc="A256GCM")
    assert json.loads(b64url_decode(token.split(".")[0]))["kid"] == "1"


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("enc", ALLOWED_ENC)
def test_round_trip_for_every_allowed_enc(key: dict[str, str], enc: str) -> None:
    metadata = response_client_metadata(public_response_jwk(key), enc_values=[enc])
    recipient, chosen = select_response_key(metadata)
    assert chosen == enc
    token = encrypt_response(PAYLOAD, recipient=recipient, enc=chosen)
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["alg"] == "ECDH-ES"
    assert header["enc"] == enc
    assert header["kid"] == "tx-1"
    assert token.split(".")[1] == ""
    assert _decrypt(token, key) == PAYLOAD


def test_new_keys_have_a_thumbprint_kid_and_are_for_encryption() -> None:
    key = new_response_key()
    assert key["use"] == "enc"
    assert key["alg"] == "ECDH-ES"
    assert len(b64url_decode(key["kid"])) == 32
    assert new_response_key()["kid"] != key["kid"]
    assert "d" not in public_response_jwk(key)


def test_client_metadata_has_the_shape_of_section_5_1(key: dict[str, str]) -> None:
    public = public_response_jwk(key)
    assert response_client_metadata(public) == {
        "jwks": {"keys": [public]},
        "encrypted_response_enc_values_supported": list(ALLOWED_ENC),
        "vp_formats_supported": {
            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
        },
    }
    with pytest.raises(ValueError, match="public key"):
        response_client_metadata(key)
    with pytest.raises(ValueError, match="ALLOWED_ENC"):
        response_client_metadata(public, enc_values=["A192GCM"])


def test_a_header_without_kid_still_decrypts(key: dict[str, str]) -> None:
    token = _raw({"alg": "ECDH-ES", "enc": "A128GCM"}, dumps_compact(PAYLOAD).encode(), key)
    assert _decrypt(token, key) == PAYLOAD


# --- the Wallet's choice of key -------------------------------------------------------------


def test_selection_skips_keys_we_cannot_use(key: dict[str, str]) -> None:
    good = public_response_jwk(key)
    signing = {**good, "kid": "sig", "use": "sig"}
    no_alg = {name: value for name, value in good.items() if name != "alg"}
    x25519 = {**OKPKey.generate_key("X25519").as_dict(private=False), "alg": "ECDH-ES", "kid": "x"}
    metadata = {"jwks": {"keys": [signing, no_alg, x25519, "junk", good]}}
    assert select_response_key(metadata) == (good, "A128GCM")  # §5.1 default enc


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({}, Oid4vpReason.MALFORMED_REQUEST_OBJECT),
        ({"jwks": []}, Oid4vpReason.MALFORMED_REQUEST_OBJECT),
        ({"jwks": {"keys": {}}}, Oid4vpReason.MALFORMED_REQUEST_OBJECT),
        ({"jwks": {"keys": []}}, Oid4vpReason.JWE_KEY_MISMATCH),
        ("ENC", Oid4vpReason.MALFORMED_REQUEST_OBJECT),
        ("A192", Oid4vpReason.JWE_ENC),
    ],
)
def test_selection_refusals(key: dict[str, str], metadata: Any, reason: Oid4vpReason) -> None:
    keys = {"keys": [public_response_jwk(key)]}
    if metadata == "ENC":
        metadata = {"jwks": keys, "encrypted_response_enc_values_supported": []}
    elif metadata == "A192":
        metadata = {"jwks": keys, "encrypted_response_enc_values_supported": ["A192GCM"]}
    assert_rejected(reason, select_response_key, metadata)


def test_encryption_refuses_keys_and_algorithms_outside_the_profile(key: dict[str, str]) -> None:
    public = public_response_jwk(key)
    encrypt = encrypt_response
    assert_rejected(Oid4vpReason.JWE_ENC, encrypt, PAYLOAD, recipient=public, enc="A192GCM")
    assert_rejected(JoseReason.PRIVATE_KEY_MATERIAL, encrypt, PAYLOAD, recipient=key, enc="A128GCM")
    wrong_alg = {**public, "alg": "ECDH-ES+A128KW"}
    assert_rejected(Oid4vpReason.JWE_ALG, encrypt, PAYLOAD, recipient=wrong_alg, enc="A128GCM")
    signing = {**public, "use": "sig"}
    assert_rejected(JoseReason.BAD_JWK, encrypt, PAYLOAD, recipient=signing, enc="A128GCM")
    p384 = {**ECKey.generate_key("P-384").as_dict(private=False), "alg": "ECDH-ES"}
    assert_rejected(JoseReason.BAD_JWK, encrypt, PAYLOAD, recipient=p384, enc="A128GCM")


# --- decryption refusals --------------------------------------------------------------------


def test_size_is_checked_first(key: dict[str, str]) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    reason = Oid4vpReason.JWE_TOO_LARGE
    assert_rejected(reason, _decrypt, token, key, max_bytes=len(token) - 1)
    assert_rejected(reason, _decrypt, "x" * 300_000, key)


@pytest.mark.parametrize(
    "token",
    [
        None,
        b"eyJ",
        "a.b.c",
        "a.b.c.d.e.f",
        "é.b.c.d.e",
        ".b.c.d.e",
        "!!.b.c.d.e",
        b64url_encode(b"[1]") + "....",
        b64url_encode(b'{"alg":"ECDH-ES","alg":"ECDH-ES"}') + "....",
    ],
)
def test_malformed_envelopes_are_refused(key: dict[str, str], token: Any) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_JWE, _decrypt, token, key)


def test_key_wrapping_algorithms_are_refused(key: dict[str, str]) -> None:
    header = {"alg": "ECDH-ES+A128KW", "enc": "A128GCM", "kid": "tx-1"}
    token = _raw(header, dumps_compact(PAYLOAD).encode(), key)
    assert token.split(".")[1]  # a wrapped key: not direct agreement
    assert_rejected(Oid4vpReason.JWE_ALG, _decrypt, token, key)


@pytest.mark.parametrize("alg", [None, "RSA-OAEP", "dir", "ecdh-es", 7])
def test_alg_must_be_exactly_ecdh_es(key: dict[str, str], alg: Any) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    assert_rejected(Oid4vpReason.JWE_ALG, _decrypt, _with_header(token, alg=alg), key)


def test_other_content_encryption_is_refused(key: dict[str, str]) -> None:
    token = _raw({"alg": "ECDH-ES", "enc": "A192GCM", "kid": "tx-1"}, b"{}", key)
    assert_rejected(Oid4vpReason.JWE_ENC, _decrypt, token, key)
    allowed = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A256GCM")
    reason = Oid4vpReason.JWE_ENC
    assert_rejected(reason, _decrypt, allowed, key, allowed_enc=("A128GCM",))
    assert_rejected(reason, _decrypt, _with_header(allowed, enc=None), key)


def test_compression_is_refused(key: dict[str, str]) -> None:
    header = {"alg": "ECDH-ES", "enc": "A128GCM", "zip": "DEF", "kid": "tx-1"}
    token = _raw(header, dumps_compact(PAYLOAD).encode(), key)
    assert_rejected(Oid4vpReason.JWE_ZIP, _decrypt, token, key)


def test_a_jwe_for_another_key_id_is_refused(key: dict[str, str]) -> None:
    other = new_response_key(kid="tx-2")
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(other), enc="A128GCM")
    assert_rejected(Oid4vpReason.JWE_KEY_MISMATCH, _decrypt, token, key)
    assert_rejected(Oid4vpReason.JWE_KEY_MISMATCH, _decrypt, _with_header(token, kid=7), key)


def test_a_jwe_for_another_key_with_our_kid_does_not_decrypt(key: dict[str, str]) -> None:
    other = new_response_key(kid="tx-1")
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(other), enc="A128GCM")
    assert_rejected(Oid4vpReason.JWE_DECRYPTION_FAILED, _decrypt, token, key)


def test_tampering_is_detected(key: dict[str, str]) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    header, empty, iv, ciphertext, tag = token.split(".")
    flipped = b64url_encode(
        bytes([b64url_decode(ciphertext)[0] ^ 1]) + b64url_decode(ciphertext)[1:]
    )
    reason = Oid4vpReason.JWE_DECRYPTION_FAILED
    assert_rejected(reason, _decrypt, ".".join([header, empty, iv, flipped, tag]), key)
    assert_rejected(reason, _decrypt, _with_header(token, cty="JWT"), key)  # the AAD changed
    short_iv = b64url_encode(b"\x00" * 4)
    assert_rejected(reason, _decrypt, ".".join([header, empty, short_iv, ciphertext, tag]), key)


def test_off_curve_and_foreign_ephemeral_keys_are_refused(key: dict[str, str]) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    epk = json.loads(b64url_decode(token.split(".")[0]))["epk"]
    y = bytearray(b64url_decode(epk["y"]))
    y[-1] ^= 1  # the point (x, y') is not on P-256
    off_curve = {**epk, "y": b64url_encode(bytes(y))}
    reason = Oid4vpReason.JWE_EPK_INVALID
    assert_rejected(reason, _decrypt, _with_header(token, epk=off_curve), key)
    x25519 = OKPKey.generate_key("X25519").as_dict(private=False)
    for bad in (
        None,
        "key",
        {**epk, "crv": "P-384"},
        {**epk, "kty": "OKP"},
        x25519,
        {**epk, "d": key["d"]},
        {**epk, "x": epk["x"][:-2]},
    ):
        assert_rejected(reason, _decrypt, _with_header(token, epk=bad), key)


def test_crit_and_bad_agreement_info_are_malformed(key: dict[str, str]) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    reason = Oid4vpReason.MALFORMED_JWE
    assert_rejected(reason, _decrypt, _with_header(token, crit=["exp"]), key)
    assert_rejected(reason, _decrypt, _with_header(token, apu="not base64!"), key)
    assert_rejected(reason, _decrypt, _with_header(token, apv=7), key)


def test_segments_must_fit_direct_key_agreement(key: dict[str, str]) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    header, _, iv, ciphertext, tag = token.split(".")
    reason = Oid4vpReason.MALFORMED_JWE
    assert_rejected(reason, _decrypt, ".".join([header, "AAAA", iv, ciphertext, tag]), key)
    assert_rejected(reason, _decrypt, ".".join([header, "", "", ciphertext, tag]), key)
    assert_rejected(reason, _decrypt, ".".join([header, "", iv, ciphertext + "=", tag]), key)


@pytest.mark.parametrize("plaintext", [b"[1]", b"not json", b'{"a":1,"a":2}', b"\xff"])
def test_the_plaintext_must_be_a_strict_json_object(key: dict[str, str], plaintext: bytes) -> None:
    token = _raw({"alg": "ECDH-ES", "enc": "A128GCM", "kid": "tx-1"}, plaintext, key)
    assert_rejected(Oid4vpReason.MALFORMED_RESPONSE, _decrypt, token, key)


def test_our_own_key_must_be_a_private_p256_key(key: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="private"):
        _decrypt("a.b.c.d.e", public_response_jwk(key))


# --- nothing but Rejected --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "-_.=", max_size=300))
def test_random_tokens_only_reject(key: dict[str, str], token: str) -> None:
    with contextlib.suppress(Rejected):
        _decrypt(token, key)


_VALUES = (
    st.none()
    | st.integers()
    | st.text(max_size=10)
    | st.sampled_from(["ECDH-ES", "A128GCM", "A256GCM", "A128CBC-HS256", "tx-1", "DEF"])
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["alg", "enc", "kid", "zip", "crit", "apu", "apv", "epk", "cty"]), _VALUES
    )
)
def test_random_headers_on_a_real_jwe_only_reject(
    key: dict[str, str], changes: dict[str, Any]
) -> None:
    token = encrypt_response(PAYLOAD, recipient=public_response_jwk(key), enc="A128GCM")
    with contextlib.suppress(Rejected):
        _decrypt(_with_header(token, **changes), key)


def test_response_key_id_reads_only_the_kid_and_refuses_what_is_no_jwe() -> None:
    from specs.oid4vp.jwe import response_key_id

    key = new_response_key(kid="k-1")
    token = encrypt_response(
        {"vp_token": {"a": ["x"]}}, recipient=public_response_jwk(key), enc="A128GCM"
    )
    assert response_key_id(token, max_bytes=10_000) == "k-1"
    header, rest = token.split(".", 1)
    bare = b64url_encode(dumps_compact({"alg": "ECDH-ES", "enc": "A128GCM"}).encode())
    assert response_key_id(f"{bare}.{rest}", max_bytes=10_000) is None
    for bad, limit, reason in (
        (token, 10, Oid4vpReason.JWE_TOO_LARGE),
        ("a.b.c", 10_000, Oid4vpReason.MALFORMED_JWE),
        ("!!.b.c.d.e", 10_000, Oid4vpReason.MALFORMED_JWE),
    ):
        with pytest.raises(Rejected) as caught:
            response_key_id(bad, max_bytes=limit)
        assert caught.value.reason is reason
    del header
