"""Inline X.509 issuer keys (SD-JWT VC editor's copy §2.5, RFC 7515 §4.1.6).

Every certificate is generated here at test time; no key or certificate is committed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from specs.errors import SdJwtVcReason
from specs.jose import (
    JwsAlg,
    PublicJwk,
    b64url_encode,
    parse_compact_jws,
    parse_private_jwk,
    sign_compact_jws,
    verify_jws,
)
from specs.sd_jwt_vc.x5c import X5cResolver
from tests.conftest import FIXED_NOW
from tests.pki import PrivateKey, certificate, key_usage
from tests.support import assert_rejected

NOW = datetime.fromtimestamp(FIXED_NOW, tz=UTC)
ISS = "https://issuer.example/agency"
SAN = [x509.UniformResourceIdentifier(ISS), x509.DNSName("issuer.example")]


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    key: PrivateKey,
    subject: str,
    signer: PrivateKey,
    issuer: str,
    *,
    ca: bool,
    san: list[x509.GeneralName] | None = None,
    not_before: datetime = NOW - timedelta(days=1),
    not_after: datetime = NOW + timedelta(days=30),
    usage: x509.KeyUsage | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    return certificate(
        key,
        signer,
        subject=subject,
        issuer=issuer,
        ca=ca,
        san=san,
        not_before=not_before,
        not_after=not_after,
        usage=usage,
        eku=eku,
    )


@dataclass
class Pki:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate

    def leaf(self, key: PrivateKey | None = None, **kwargs: Any) -> x509.Certificate:
        kwargs.setdefault("san", SAN)
        return _cert(
            key or _key(), "issuer", self.intermediate_key, "intermediate", ca=False, **kwargs
        )


def _new_pki(name: str = "root") -> Pki:
    root_key, intermediate_key = _key(), _key()
    root = _cert(root_key, name, root_key, name, ca=True)
    intermediate = _cert(intermediate_key, "intermediate", root_key, name, ca=True)
    return Pki(root_key, root, intermediate_key, intermediate)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return _new_pki()


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _resolve(
    pki: Pki, chain: list[x509.Certificate], *, iss: object = ISS, **limits: int
) -> PublicJwk:
    resolver = X5cResolver([pki.root], **limits)
    header = {"alg": "ES256", "x5c": [_b64(cert) for cert in chain]}
    return resolver.resolve_key(header, {"iss": iss}, now=FIXED_NOW)


# --- accepted -------------------------------------------------------------------------------


def test_leaf_key_from_a_chain_to_the_anchor_verifies_the_token(pki: Pki) -> None:
    leaf_key = _key()
    leaf = pki.leaf(leaf_key)
    header = {"x5c": [_b64(leaf), _b64(pki.intermediate)]}
    numbers = leaf_key.private_numbers()
    private_jwk = parse_private_jwk(
        {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.public_numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.public_numbers.y.to_bytes(32, "big")),
            "d": b64url_encode(numbers.private_value.to_bytes(32, "big")),
        }
    )
    token = sign_compact_jws({"iss": ISS}, key=private_jwk, typ="dc+sd-jwt", extra_header=header)
    jws = parse_compact_jws(token)
    key = X5cResolver([pki.root]).resolve_key(jws.header, jws.payload, now=FIXED_NOW)
    assert key.members == private_jwk.public.members
    verify_jws(jws, key=key, algorithms={JwsAlg.ES256}, typ="dc+sd-jwt")


def test_leaf_signed_by_the_anchor_directly(pki: Pki) -> None:
    leaf = _cert(_key(), "issuer", pki.root_key, "root", ca=False, san=SAN)
    assert _resolve(pki, [leaf]).alg is JwsAlg.ES256


def test_the_anchor_itself_in_x5c_is_tolerated_but_never_needed(pki: Pki) -> None:
    assert _resolve(pki, [pki.leaf(), pki.intermediate, pki.root]).alg is JwsAlg.ES256


def test_ed25519_leaf(pki: Pki) -> None:
    assert _resolve(
        pki, [pki.leaf(ed25519.Ed25519PrivateKey.generate()), pki.intermediate]
    ).alg is (JwsAlg.ED25519)


def test_document_signer_ekus_are_accepted(pki: Pki) -> None:
    mdl_ds = x509.ObjectIdentifier("1.0.18013.5.1.2")
    intermediate = _cert(
        pki.intermediate_key, "intermediate", pki.root_key, "root", ca=True, eku=[mdl_ds]
    )
    assert _resolve(pki, [pki.leaf(eku=[mdl_ds]), intermediate])


@pytest.mark.parametrize(
    "san",
    [
        [x509.UniformResourceIdentifier(ISS)],
        [x509.DNSName("issuer.example")],
        [x509.DNSName("ISSUER.example")],
    ],
)
def test_iss_matches_a_uri_san_or_its_host_a_dns_san(pki: Pki, san: list[x509.GeneralName]) -> None:
    assert _resolve(pki, [pki.leaf(san=san), pki.intermediate])


# --- rejected: trust path -------------------------------------------------------------------


def test_self_signed_leaf_is_refused(pki: Pki) -> None:
    key = _key()
    leaf = _cert(key, "issuer", key, "issuer", ca=False, san=SAN)
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf])


def test_chain_to_an_unknown_root_is_refused(pki: Pki) -> None:
    other = _new_pki("other root")
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [other.leaf(), other.intermediate]
    )


def test_a_root_supplied_in_x5c_earns_no_trust(pki: Pki) -> None:
    other = _new_pki("root")  # same name as the anchor, different key
    chain = [other.leaf(), other.intermediate, other.root]
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, chain)


def test_missing_intermediate_is_refused(pki: Pki) -> None:
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [pki.leaf()])


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (NOW - timedelta(days=30), NOW - timedelta(seconds=1)),
        (NOW + timedelta(seconds=1), NOW + timedelta(days=30)),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_leaf_outside_its_validity_is_refused(
    pki: Pki, not_before: datetime, not_after: datetime
) -> None:
    leaf = pki.leaf(not_before=not_before, not_after=not_after)
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate])


def test_validity_is_judged_at_the_callers_now_not_the_system_clock(pki: Pki) -> None:
    header = {"x5c": [_b64(pki.leaf()), _b64(pki.intermediate)]}
    resolver = X5cResolver([pki.root])
    assert resolver.resolve_key(header, {"iss": ISS}, now=FIXED_NOW)
    later = FIXED_NOW + 60 * 86_400
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID, resolver.resolve_key, header, {"iss": ISS}, now=later
    )


def test_expired_intermediate_is_refused(pki: Pki) -> None:
    expired = _cert(
        pki.intermediate_key,
        "intermediate",
        pki.root_key,
        "root",
        ca=True,
        not_before=NOW - timedelta(days=30),
        not_after=NOW - timedelta(days=1),
    )
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [pki.leaf(), expired])


def test_ca_certificate_as_leaf_is_refused(pki: Pki) -> None:
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [pki.intermediate])


def test_leaf_without_digital_signature_usage_is_refused(pki: Pki) -> None:
    leaf = pki.leaf(usage=key_usage(ca=False, digital_signature=False))
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate])


def test_leaf_without_san_is_refused(pki: Pki) -> None:
    leaf = pki.leaf(san=None)
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate])


def test_p384_leaf_key_is_refused(pki: Pki) -> None:
    leaf = pki.leaf(ec.generate_private_key(ec.SECP384R1()))
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate])


# --- rejected: binding to iss ---------------------------------------------------------------


@pytest.mark.parametrize(
    "iss", [ISS + "/", "https://issuer.example/other", "https://ISSUER.example/agency", "did:x:y"]
)
def test_uri_san_matches_exactly(pki: Pki, iss: str) -> None:
    leaf = pki.leaf(san=[x509.UniformResourceIdentifier(ISS)])
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate], iss=iss
    )


@pytest.mark.parametrize(
    "iss",
    [
        "https://issuer.example.evil/agency",
        "https://evil.issuer.example/agency",
        "http://issuer.example/agency",
        "issuer.example",
        "https://[::1",
    ],
)
def test_dns_san_matches_the_host_of_an_https_iss_only(pki: Pki, iss: str) -> None:
    leaf = pki.leaf(san=[x509.DNSName("issuer.example")])
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate], iss=iss
    )


def test_wildcard_dns_san_is_not_expanded(pki: Pki) -> None:
    leaf = pki.leaf(san=[x509.DNSName("*.example")])
    assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve, pki, [leaf, pki.intermediate])


@pytest.mark.parametrize("payload", [{}, {"iss": 7}])
def test_without_a_string_iss_there_is_nothing_to_bind(pki: Pki, payload: dict[str, Any]) -> None:
    header = {"x5c": [_b64(pki.leaf()), _b64(pki.intermediate)]}
    resolver = X5cResolver([pki.root])
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND, resolver.resolve_key, header, payload, now=FIXED_NOW
    )


def test_without_x5c_there_is_no_key(pki: Pki) -> None:
    resolver = X5cResolver([pki.root])
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND,
        resolver.resolve_key,
        {"kid": "k"},
        {"iss": ISS},
        now=FIXED_NOW,
    )


# --- rejected: shape and size ---------------------------------------------------------------


def _resolve_raw(pki: Pki, x5c: object, **limits: int) -> PublicJwk:
    return X5cResolver([pki.root], **limits).resolve_key({"x5c": x5c}, {"iss": ISS}, now=FIXED_NOW)


def test_chain_longer_than_the_limit_is_too_large_before_parsing(pki: Pki) -> None:
    garbage = ["not even base64!"] * 6
    assert_rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE, _resolve_raw, pki, garbage)


def test_oversized_certificate_is_too_large_before_decoding(pki: Pki) -> None:
    huge = "A" * (2 * 1024 * 1024)
    assert_rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE, _resolve_raw, pki, [huge])


def test_certificate_over_the_byte_limit_is_too_large(pki: Pki) -> None:
    leaf = _b64(pki.leaf())
    size = len(base64.b64decode(leaf))
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_TOO_LARGE, _resolve_raw, pki, [leaf], max_cert_bytes=size - 1
    )


def test_a_long_but_valid_chain_fits_a_raised_limit_only(pki: Pki) -> None:
    chain = [pki.leaf(), pki.intermediate, pki.root]
    assert _resolve(pki, chain, max_chain_length=3)
    assert_rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE, _resolve, pki, chain, max_chain_length=2)


def _malformed_entries(leaf: str) -> list[object]:
    url_safe = leaf.replace("+", "-").replace("/", "_")
    return [
        "x5c is a string",
        [],
        [7],
        [leaf.rstrip("=") if leaf.endswith("=") else leaf + "="],
        [leaf[:40] + "\n" + leaf[40:]],
        [url_safe] if url_safe != leaf else ["@@@@"],
        [base64.b64encode(b"\x30\x03\x02\x01\x01").decode()],
        ["é" + leaf],
    ]


def test_malformed_x5c_is_refused(pki: Pki) -> None:
    for x5c in _malformed_entries(_b64(pki.leaf())):
        assert_rejected(SdJwtVcReason.X5C_CHAIN_INVALID, _resolve_raw, pki, x5c)


def test_a_resolver_needs_an_anchor() -> None:
    with pytest.raises(ValueError, match="trust anchor"):
        X5cResolver([])
