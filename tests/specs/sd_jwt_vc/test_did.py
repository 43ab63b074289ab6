"""Issuer keys from ``did:jwk`` and ``did:web`` (SD-JWT VC draft -09 §3.5 kid rule)."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import JoseReason, SdJwtVcReason
from specs.jose import (
    JwsAlg,
    PrivateJwk,
    PublicJwk,
    b64url_encode,
    dumps_compact,
    generate_private_key,
    parse_compact_jws,
    sign_compact_jws,
    verify_jws,
)
from specs.sd_jwt_vc.did import (
    MAX_VERIFICATION_METHODS,
    DidDocument,
    DidResolver,
    did_jwk_document,
    did_web_document_url,
    parse_did_document,
)
from tests.support import assert_rejected

WEB_DID = "did:web:issuer.example:agency"


def _did_jwk(jwk: dict[str, Any]) -> str:
    return "did:jwk:" + b64url_encode(dumps_compact(jwk).encode("utf-8"))


def _method(fragment: str, key: PrivateJwk | None = None, did: str = WEB_DID) -> dict[str, Any]:
    return {
        "id": f"{did}#{fragment}",
        "type": "JsonWebKey2020",
        "controller": did,
        "publicKeyJwk": (key or generate_private_key()).public.to_jwk(),
    }


def _resolve(
    iss: object, header: dict[str, Any], documents: dict[str, DidDocument] | None = None
) -> PublicJwk:
    """Resolve with ``iss`` trusted when it is a string (the registry's decision, later)."""
    payload = {} if iss is None else {"iss": iss}
    trusted = frozenset({iss}) if isinstance(iss, str) else frozenset()
    return DidResolver(documents or {}, trusted).resolve_key(header, payload, now=0)


# --- did:web URL (did:web §3.2) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ],
)
def test_did_web_document_url(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:127.0.0.1",
        "did:web:localhost",
        "did:web:example.com:..:etc",
        "did:web:example.com:.",
        "did:web:example.com::alice",
        "did:web:example.com:",
        "did:web:example.com%3A99999",
        "did:web:example.com%3A",
        "did:web:example.com%2Fadmin",
        "did:web:example.com#key-1",
        "did:web:example.com?service=x",
        "did:web:",
        "did:web:exa_mple.com",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "https://example.com",
        "did:web:" + "a." * 1100 + "com",
    ],
)
def test_did_web_document_url_refuses_what_it_cannot_fetch_safely(did: str) -> None:
    assert_rejected(SdJwtVcReason.DID_UNSUPPORTED, did_web_document_url, did)


# --- did:jwk ----------------------------------------------------------------------------------


def test_did_jwk_key_verifies_a_token_with_each_kid_form() -> None:
    signer = generate_private_key()
    did = _did_jwk(signer.public.to_jwk())
    for header in ({"kid": f"{did}#0"}, {"kid": "#0"}, {}):
        token = sign_compact_jws({"iss": did}, key=signer, typ="dc+sd-jwt", extra_header=header)
        jws = parse_compact_jws(token)
        key = DidResolver({}, frozenset({did})).resolve_key(jws.header, jws.payload, now=0)
        assert key.members == signer.public.members
        verify_jws(jws, key=key, algorithms={JwsAlg.ES256}, typ="dc+sd-jwt")


def test_did_jwk_with_ed25519() -> None:
    signer = generate_private_key(JwsAlg.ED25519)
    assert _resolve(_did_jwk(signer.public.to_jwk()), {}).alg is JwsAlg.ED25519


@pytest.mark.parametrize("kid", ["#1", "did:jwk:other#0", "0", 0, ""])
def test_did_jwk_unknown_kid(kid: object) -> None:
    did = _did_jwk(generate_private_key().public.to_jwk())
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, did, {"kid": kid})


def test_did_jwk_with_private_key_material_is_invalid() -> None:
    did = _did_jwk(generate_private_key().to_jwk())
    rejected = assert_rejected(SdJwtVcReason.DID_DOCUMENT_INVALID, did_jwk_document, did)
    assert getattr(rejected.__cause__, "reason", None) is JoseReason.PRIVATE_KEY_MATERIAL


@pytest.mark.parametrize(
    "suffix",
    [
        "AB",  # non-canonical trailing bits
        b64url_encode(b"not json"),
        b64url_encode(b"[1,2]"),
        b64url_encode(b'{"kty":"EC","kty":"EC"}'),
        b64url_encode(b'{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}'),
        "eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9",
    ],
    ids=["not-base64url", "not-json", "array", "duplicate-member", "p384", "x25519-enc"],
)
def test_malformed_did_jwk_is_invalid(suffix: str) -> None:
    assert_rejected(SdJwtVcReason.DID_DOCUMENT_INVALID, _resolve, "did:jwk:" + suffix, {})


# --- did:web documents (DID Core §5) --------------------------------------------------------


def _web_document(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": WEB_DID,
        "verificationMethod": [_method("key-1"), _method("key-2")],
        "assertionMethod": ["#key-1"],
        "authentication": ["#key-2"],
        **extra,
    }


def test_did_web_assertion_key_signs_credentials() -> None:
    signer = generate_private_key()
    document = _web_document(verificationMethod=[_method("key-1", signer), _method("key-2")])
    parsed = parse_did_document(document, did=WEB_DID)
    token = sign_compact_jws(
        {"iss": WEB_DID}, key=signer, typ="dc+sd-jwt", extra_header={"kid": f"{WEB_DID}#key-1"}
    )
    jws = parse_compact_jws(token)
    key = DidResolver({WEB_DID: parsed}).resolve_key(jws.header, jws.payload, now=0)
    verify_jws(jws, key=key, algorithms={JwsAlg.ES256}, typ="dc+sd-jwt")
    for header in ({"kid": "#key-1"}, {}):
        assert _resolve(WEB_DID, header, {WEB_DID: parsed}).members == signer.public.members


def test_only_assertion_methods_are_issuer_keys() -> None:
    parsed = parse_did_document(_web_document(), did=WEB_DID)
    assert list(parsed.assertion_keys) == [f"{WEB_DID}#key-1"]
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, WEB_DID, {"kid": "#key-2"}, {WEB_DID: parsed}
    )


def test_embedded_and_absolute_assertion_methods() -> None:
    embedded = _method("embedded")
    document = _web_document(assertionMethod=[f"{WEB_DID}#key-1", embedded])
    parsed = parse_did_document(document, did=WEB_DID)
    assert sorted(parsed.assertion_keys) == [f"{WEB_DID}#embedded", f"{WEB_DID}#key-1"]
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, WEB_DID, {}, {WEB_DID: parsed})


def test_methods_of_other_dids_and_without_jwk_are_skipped() -> None:
    foreign = _method("k", did="did:web:other.example")
    multibase = {"id": "#mb", "type": "Multikey", "controller": WEB_DID, "publicKeyMultibase": "z6"}
    document = _web_document(
        verificationMethod=[_method("key-1"), foreign, multibase],
        assertionMethod=["#key-1", "did:web:other.example#k", "#mb"],
    )
    parsed = parse_did_document(document, did=WEB_DID)
    assert list(parsed.assertion_keys) == [f"{WEB_DID}#key-1"]
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND,
        _resolve,
        WEB_DID,
        {"kid": "did:web:other.example#k"},
        {WEB_DID: parsed},
    )


def _bad_documents() -> list[object]:
    method = _method("key-1")
    return [
        [],
        {"id": "did:web:other.example"},
        _web_document(id=WEB_DID.upper()),
        _web_document(verificationMethod={"id": "#k"}),
        _web_document(verificationMethod=["#key-1"]),
        _web_document(verificationMethod=[{**method, "id": 5}]),
        _web_document(verificationMethod=[{k: v for k, v in method.items() if k != "type"}]),
        _web_document(verificationMethod=[{k: v for k, v in method.items() if k != "controller"}]),
        _web_document(verificationMethod=[method, {**method, "id": "#key-1"}]),
        _web_document(verificationMethod=[{**method, "publicKeyJwk": {"kty": "EC"}}]),
        _web_document(verificationMethod=[{**method, "publicKeyJwk": {"kty": "oct", "k": "AA"}}]),
        _web_document(assertionMethod=["#missing"]),
        _web_document(assertionMethod="#key-1"),
        _web_document(assertionMethod=[7]),
        _web_document(verificationMethod=[method] * (MAX_VERIFICATION_METHODS + 1)),
    ]


def test_malformed_did_documents_are_invalid() -> None:
    for document in _bad_documents():
        assert_rejected(
            SdJwtVcReason.DID_DOCUMENT_INVALID, parse_did_document, document, did=WEB_DID
        )


def test_private_key_in_a_did_document_is_invalid() -> None:
    leaked = {**_method("key-1"), "publicKeyJwk": generate_private_key().to_jwk()}
    assert_rejected(
        SdJwtVcReason.DID_DOCUMENT_INVALID,
        parse_did_document,
        _web_document(verificationMethod=[leaked]),
        did=WEB_DID,
    )


# --- the resolver -----------------------------------------------------------------------------


@pytest.mark.parametrize("iss", [None, 5, "https://issuer.example", "did"])
def test_iss_that_is_not_a_did_has_no_key(iss: object) -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, iss, {})


@pytest.mark.parametrize(
    "iss",
    [
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:ebsi:zvHWX359A3CvfJnCYaAiAde",
        "did:web:127.0.0.1",
        "did:",
        "did:WEB:issuer.example",
        "did:jwk:!!!",
    ],
)
def test_other_methods_and_unreadable_dids_are_unsupported(iss: str) -> None:
    assert_rejected(SdJwtVcReason.DID_UNSUPPORTED, _resolve, iss, {})


def test_did_web_without_a_fetched_document_has_no_key() -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, WEB_DID, {"kid": "#key-1"})


def test_kid_of_another_did_is_refused_even_if_the_fragment_exists() -> None:
    parsed = parse_did_document(_web_document(), did=WEB_DID)
    other = "did:web:issuer.example:other"
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND,
        _resolve,
        WEB_DID,
        {"kid": f"{other}#key-1"},
        {WEB_DID: parsed},
    )


def test_a_document_filed_under_another_did_lends_no_keys() -> None:
    other = "did:web:other.example"
    document = {
        "id": other,
        "verificationMethod": [_method("k", did=other)],
        "assertionMethod": ["#k"],
    }
    parsed = parse_did_document(document, did=other)
    assert_rejected(
        SdJwtVcReason.DID_DOCUMENT_INVALID, _resolve, WEB_DID, {"kid": "#k"}, {WEB_DID: parsed}
    )


def test_an_untrusted_did_jwk_resolves_to_nothing() -> None:
    """Anyone can mint a did:jwk for their own key; it counts only when trusted by name."""
    attacker = generate_private_key()
    did = _did_jwk(attacker.public.to_jwk())
    token = sign_compact_jws({"iss": did}, key=attacker, typ="dc+sd-jwt")
    jws = parse_compact_jws(token)
    someone_else = _did_jwk(generate_private_key().public.to_jwk())
    for resolver in (DidResolver({}), DidResolver({}, frozenset({someone_else}))):
        assert_rejected(
            SdJwtVcReason.ISSUER_KEY_NOT_FOUND, resolver.resolve_key, jws.header, jws.payload, now=0
        )
