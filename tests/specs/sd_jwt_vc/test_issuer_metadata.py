"""JWT VC Issuer Metadata (SD-JWT VC editor's copy §4) and its key resolver."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import JoseReason, SdJwtVcReason
from specs.jose import (
    JwsAlg,
    generate_private_key,
    parse_compact_jws,
    sign_compact_jws,
    verify_jws,
)
from specs.sd_jwt_vc.issuer_metadata import (
    MAX_JWKS_KEYS,
    IssuerMetadata,
    JwtVcIssuerMetadataResolver,
    jwt_vc_issuer_metadata_url,
    parse_jwks,
    parse_jwt_vc_issuer_metadata,
)
from tests.support import assert_rejected, load_json, vectors_dir

ISSUER = "https://issuer.example/tenant/1"


def _jwk(kid: str | None = None) -> dict[str, str]:
    return generate_private_key(kid=kid).public.to_jwk()


def _metadata(*kids: str | None, issuer: str = ISSUER) -> IssuerMetadata:
    document = {"issuer": issuer, "jwks": {"keys": [_jwk(kid) for kid in kids]}}
    return parse_jwt_vc_issuer_metadata(document, expected_issuer=issuer)


def _resolve(metadata: IssuerMetadata, header: dict[str, Any], iss: object = ISSUER) -> Any:
    resolver = JwtVcIssuerMetadataResolver({metadata.issuer: metadata})
    return resolver.resolve_key(header, {"iss": iss}, now=0)


# --- the spec's examples (§4.2) ---------------------------------------------------------


def test_vector_with_inline_jwks_parses() -> None:
    folder = vectors_dir("sd_jwt_vc", "issuer_metadata")
    document = load_json(folder / "jwt_vc_issuer_metadata_jwks.json")
    metadata = parse_jwt_vc_issuer_metadata(document, expected_issuer="https://example.com")
    assert metadata.jwks_uri is None
    assert metadata.keys is not None
    assert [key.kid for key in metadata.keys] == ["doc-signer-05-25-2022", "doc-signer-06-05-2025"]
    assert all(key.alg is JwsAlg.ES256 for key in metadata.keys)


def test_vector_with_jwks_uri_parses_and_takes_the_fetched_set() -> None:
    folder = vectors_dir("sd_jwt_vc", "issuer_metadata")
    document = load_json(folder / "jwt_vc_issuer_metadata_jwks_uri.json")
    metadata = parse_jwt_vc_issuer_metadata(document, expected_issuer="https://example.com")
    assert metadata.jwks_uri == "https://jwt-vc-issuer.example.com/my_public_keys.jwks"
    assert metadata.keys is None
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, metadata, {}, metadata.issuer)
    inline = load_json(folder / "jwt_vc_issuer_metadata_jwks.json")["jwks"]
    completed = metadata.with_jwks(inline)
    assert completed.keys is not None
    assert len(completed.keys) == 2


def test_vector_credential_verifies_with_the_metadata_key_only_under_its_exact_issuer() -> None:
    """The spec's metadata says ``https://example.com``, its credentials ``.../issuer``."""
    jws = parse_compact_jws(
        (vectors_dir("sd_jwt_vc", "identity_credential_kb") / "sd_jwt_jws_part.txt")
        .read_text(encoding="utf-8")
        .strip()
    )
    folder = vectors_dir("sd_jwt_vc", "issuer_metadata")
    document = load_json(folder / "jwt_vc_issuer_metadata_jwks.json")
    as_published = parse_jwt_vc_issuer_metadata(document, expected_issuer="https://example.com")
    resolver = JwtVcIssuerMetadataResolver({as_published.issuer: as_published})
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND, resolver.resolve_key, jws.header, jws.payload, now=0
    )
    iss = jws.payload["iss"]
    adapted = parse_jwt_vc_issuer_metadata({**document, "issuer": iss}, expected_issuer=iss)
    key = JwtVcIssuerMetadataResolver({iss: adapted}).resolve_key(jws.header, jws.payload, now=0)
    assert key.kid == "doc-signer-05-25-2022"
    verify_jws(jws, key=key, algorithms={JwsAlg.ES256}, typ="dc+sd-jwt")


# --- where to fetch (§4.1) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iss", "url"),
    [
        ("https://example.com", "https://example.com/.well-known/jwt-vc-issuer"),
        (
            "https://example.com/tenant/1234",
            "https://example.com/.well-known/jwt-vc-issuer/tenant/1234",
        ),
        ("https://example.com/tenant/", "https://example.com/.well-known/jwt-vc-issuer/tenant"),
        ("https://example.com:8443", "https://example.com:8443/.well-known/jwt-vc-issuer"),
    ],
)
def test_metadata_url_inserts_the_well_known_segment(iss: str, url: str) -> None:
    assert jwt_vc_issuer_metadata_url(iss) == url


@pytest.mark.parametrize(
    "iss",
    [
        "http://example.com",
        "https://example.com/?q=1",
        "https://example.com/#f",
        "did:web:x.y",
        "https://user@example.com",
        "https://example.com:99999",
        "https:///path",
        "https://exa mple.com",
    ],
)
def test_metadata_url_refuses_what_is_not_an_https_issuer(iss: str) -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, jwt_vc_issuer_metadata_url, iss)


# --- parsing (§4.2, §4.3) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fetched_for",
    [
        "https://issuer.example/tenant/1/",
        "HTTPS://issuer.example/tenant/1",
        "https://issuer.example/tenant",
        "https://Issuer.example/tenant/1",
    ],
)
def test_issuer_must_be_identical_to_the_iss_it_was_fetched_for(fetched_for: str) -> None:
    document = {"issuer": ISSUER, "jwks": {"keys": [_jwk("k")]}}
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_MISMATCH,
        parse_jwt_vc_issuer_metadata,
        document,
        expected_issuer=fetched_for,
    )


@pytest.mark.parametrize(
    "document",
    [
        [],
        {},
        {"issuer": 1, "jwks": {"keys": []}},
        {"issuer": ISSUER},
        {"issuer": ISSUER, "jwks": {"keys": []}, "jwks_uri": "https://issuer.example/jwks"},
        {"issuer": ISSUER, "jwks_uri": "http://issuer.example/jwks"},
        {"issuer": ISSUER, "jwks_uri": 5},
        {"issuer": ISSUER, "jwks": []},
        {"issuer": ISSUER, "jwks": {"keys": {}}},
        {"issuer": ISSUER, "jwks": {"keys": ["not a jwk"]}},
    ],
)
def test_malformed_documents_are_refused(document: object) -> None:
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID,
        parse_jwt_vc_issuer_metadata,
        document,
        expected_issuer=ISSUER,
    )


def test_an_issuer_that_is_not_an_https_url_is_refused() -> None:
    document = {"issuer": "did:web:issuer.example", "jwks": {"keys": [_jwk()]}}
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID,
        parse_jwt_vc_issuer_metadata,
        document,
        expected_issuer="did:web:issuer.example",
    )


def test_http_issuers_only_in_the_development_profile() -> None:
    """DESIGN §4: plain HTTP on loopback is the development profile's, never the default."""
    issuer = "http://127.0.0.1:8001"
    document = {"issuer": issuer, "jwks": {"keys": [_jwk()]}}
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID,
        parse_jwt_vc_issuer_metadata,
        document,
        expected_issuer=issuer,
    )
    parsed = parse_jwt_vc_issuer_metadata(document, expected_issuer=issuer, allow_http=True)
    assert parsed.issuer == issuer
    assert len(parsed.keys or ()) == 1


def test_published_private_key_material_refuses_the_whole_set() -> None:
    private_jwk = generate_private_key(kid="leak").to_jwk()
    rejected = assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID, parse_jwks, {"keys": [_jwk("ok"), private_jwk]}
    )
    assert getattr(rejected.__cause__, "reason", None) is JoseReason.PRIVATE_KEY_MATERIAL


def test_symmetric_keys_refuse_the_whole_set() -> None:
    oct_key = {"kty": "oct", "k": "c2VjcmV0", "kid": "mac"}
    assert_rejected(SdJwtVcReason.ISSUER_METADATA_INVALID, parse_jwks, {"keys": [oct_key]})


def test_keys_we_cannot_use_are_ignored_as_rfc7517_section5_recommends() -> None:
    rsa = {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"}
    encryption = {**_jwk("enc"), "use": "enc"}
    keys = parse_jwks({"keys": [rsa, encryption, _jwk("sig")]})
    assert [key.kid for key in keys] == ["sig"]


def test_duplicate_kids_are_ambiguous() -> None:
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID, parse_jwks, {"keys": [_jwk("a"), _jwk("a")]}
    )


def test_key_count_is_bounded() -> None:
    jwk = _jwk()
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_INVALID, parse_jwks, {"keys": [jwk] * (MAX_JWKS_KEYS + 1)}
    )


def test_with_jwks_on_inline_metadata_is_refused() -> None:
    metadata = _metadata("a")
    assert_rejected(SdJwtVcReason.ISSUER_METADATA_INVALID, metadata.with_jwks, {"keys": []})


def test_unknown_members_are_ignored() -> None:
    document = {"issuer": ISSUER, "jwks": {"keys": [_jwk()]}, "x-extension": {"a": 1}}
    assert parse_jwt_vc_issuer_metadata(document, expected_issuer=ISSUER).keys


# --- key selection --------------------------------------------------------------------------


def test_kid_selects_among_several_keys() -> None:
    metadata = _metadata("a", "b")
    assert _resolve(metadata, {"kid": "b"}).kid == "b"


def test_single_key_needs_no_kid() -> None:
    metadata = _metadata(None)
    assert metadata.keys is not None
    assert _resolve(metadata, {}) == metadata.keys[0]


def test_several_keys_without_kid_is_not_a_choice() -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, _metadata("a", "b"), {})


@pytest.mark.parametrize("kid", ["c", "", 1, None, "../../etc/passwd", "x" * 10_000])
def test_unknown_kid_is_not_found(kid: object) -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, _metadata("a"), {"kid": kid})


@pytest.mark.parametrize(
    "iss", [None, 5, ["https://issuer.example/tenant/1"], ISSUER + "/", ISSUER.upper(), ISSUER[:-1]]
)
def test_iss_must_be_a_string_matching_exactly(iss: object) -> None:
    assert_rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND, _resolve, _metadata("a"), {"kid": "a"}, iss)


def test_missing_iss_is_not_found() -> None:
    resolver = JwtVcIssuerMetadataResolver({ISSUER: _metadata("a")})
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND, resolver.resolve_key, {"kid": "a"}, {}, now=0
    )


def test_metadata_filed_under_another_issuer_lends_no_keys() -> None:
    other = _metadata("a", issuer="https://other.example")
    resolver = JwtVcIssuerMetadataResolver({ISSUER: other})
    assert_rejected(
        SdJwtVcReason.ISSUER_METADATA_MISMATCH,
        resolver.resolve_key,
        {"kid": "a"},
        {"iss": ISSUER},
        now=0,
    )


def test_a_token_signed_by_an_unpublished_key_fails_at_the_signature() -> None:
    metadata = _metadata("a")
    intruder = generate_private_key(kid="a")
    token = sign_compact_jws(
        {"iss": ISSUER}, key=intruder, typ="dc+sd-jwt", extra_header={"kid": "a"}
    )
    jws = parse_compact_jws(token)
    key = _resolve(metadata, jws.header)
    assert_rejected(
        JoseReason.BAD_SIGNATURE,
        verify_jws,
        jws,
        key=key,
        algorithms={JwsAlg.ES256},
        typ="dc+sd-jwt",
    )
