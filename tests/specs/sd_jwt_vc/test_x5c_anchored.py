"""x5c chains anchored in the trust registry (HAIP §6.1, §6.1.1): the registry, not the
chain, says which root an issuer's chains may end in."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from specs.errors import SdJwtVcReason, TrustReason
from specs.jose import JwsAlg, b64url_encode
from specs.sd_jwt_vc import AnchoredX5cResolver, verify_anchored_chain, x5c_key_refs
from specs.status_list import (
    VerifiedStatusList,
    build_status_list_token,
    encode_status_list,
    status_list_token_header,
    verify_status_list_token,
)
from specs.trust import certificate_key_ref
from tests.ca import Ca, new_ca, signing_key, x5c
from tests.conftest import FIXED_NOW
from tests.support import assert_rejected

ISS = "https://issuer.example"


@pytest.fixture
def ca() -> Ca:
    return new_ca(FIXED_NOW)


def test_certificate_key_ref_is_the_sha256_of_the_spki(ca: Ca) -> None:
    spki = ca.root.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert certificate_key_ref(ca.root) == b64url_encode(hashlib.sha256(spki).digest())


def test_haip_6_1_1_chain_to_a_registered_root_gives_the_leaf_key_and_root_ref(ca: Ca) -> None:
    key = signing_key()
    anchored = verify_anchored_chain(
        ca.chain(key, ISS), issuer=ISS, registered_key_refs={ca.key_ref}, roots=(), now=FIXED_NOW
    )
    assert anchored.key.thumbprint() == key.public.thumbprint()
    assert anchored.key_ref == ca.key_ref
    assert anchored.certificates[-1] == ca.root


def test_haip_6_1_1_a_root_the_registry_does_not_list_is_refused(ca: Ca) -> None:
    other = new_ca(FIXED_NOW)
    assert_rejected(
        TrustReason.X5C_ROOT_NOT_REGISTERED,
        verify_anchored_chain,
        ca.chain(signing_key(), ISS),
        issuer=ISS,
        registered_key_refs={other.key_ref},
        roots=(),
        now=FIXED_NOW,
    )


def test_a_chain_without_its_root_needs_a_configured_registered_root(ca: Ca) -> None:
    key = signing_key()
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)
    leaf_only = x5c(ca.leaf(key.key, ISS))
    assert_rejected(
        TrustReason.X5C_ROOT_NOT_REGISTERED,
        verify_anchored_chain,
        leaf_only,
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )
    anchored = verify_anchored_chain(
        leaf_only, issuer=ISS, registered_key_refs={ca.key_ref}, roots=[ca.root], now=FIXED_NOW
    )
    assert anchored.key_ref == ca.key_ref
    assert_rejected(  # a configured root counts only when the registry lists it
        TrustReason.X5C_ROOT_NOT_REGISTERED,
        verify_anchored_chain,
        leaf_only,
        issuer=ISS,
        registered_key_refs=set(),
        roots=[ca.root],
        now=FIXED_NOW,
    )


def test_a_self_signed_leaf_is_no_root_even_when_its_key_is_registered(ca: Ca) -> None:
    assert_rejected(
        TrustReason.X5C_ROOT_NOT_REGISTERED,
        verify_anchored_chain,
        x5c(ca.root),
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )


def test_a_leaf_another_ca_signed_does_not_chain_to_the_registered_root(ca: Ca) -> None:
    other = new_ca(FIXED_NOW)
    key = signing_key()
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        verify_anchored_chain,
        x5c(other.leaf(key.key, ISS), ca.root),
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )


def test_the_leaf_must_name_the_issuer(ca: Ca) -> None:
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        verify_anchored_chain,
        ca.chain(signing_key(), "https://other.example"),
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )


def test_an_expired_leaf_is_refused(ca: Ca) -> None:
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        verify_anchored_chain,
        ca.chain(signing_key(), ISS),
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW + 60 * 86_400,
    )


def test_bounds_come_before_decoding(ca: Ca) -> None:
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_TOO_LARGE,
        verify_anchored_chain,
        ca.chain(signing_key(), ISS) * 3,
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        verify_anchored_chain,
        "not an array",
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        roots=(),
        now=FIXED_NOW,
    )


def test_x5c_key_refs_without_x5c_is_the_thumbprint() -> None:
    key = signing_key()
    refs = x5c_key_refs({}, key=key.public, issuer=ISS, registered_key_refs=(), now=FIXED_NOW)
    assert refs == [key.public.thumbprint()]


def test_haip_6_1_1_x5c_key_refs_is_the_root_ref_when_the_leaf_certifies_the_key(ca: Ca) -> None:
    key = signing_key()
    header = {"x5c": ca.chain(key, ISS)}
    refs = x5c_key_refs(
        header, key=key.public, issuer=ISS, registered_key_refs={ca.key_ref}, now=FIXED_NOW
    )
    assert refs == [ca.key_ref]
    assert_rejected(  # the chain certifies another key than the one that signed
        SdJwtVcReason.X5C_CHAIN_INVALID,
        x5c_key_refs,
        header,
        key=signing_key().public,
        issuer=ISS,
        registered_key_refs={ca.key_ref},
        now=FIXED_NOW,
    )


def test_the_resolver_needs_x5c() -> None:
    resolver = AnchoredX5cResolver(issuer=ISS, registered_key_refs=set())
    assert_rejected(
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND, resolver.resolve_key, {"kid": "k"}, {}, now=FIXED_NOW
    )
    assert resolver.chain is None


def test_haip_6_1_a_status_list_token_verifies_by_its_anchored_x5c(ca: Ca) -> None:
    key = signing_key()
    uri = "https://issuer.example/status/1"
    token = build_status_list_token(
        key=key,
        subject_uri=uri,
        status_list=dict(encode_status_list([0] * 16, 2)),
        now=FIXED_NOW,
        ttl=300,
        exp=FIXED_NOW + 3_600,
        issuer=ISS,
        extra_header={"x5c": ca.chain(key, ISS)},
    )
    assert "x5c" in status_list_token_header(token)

    def verify(resolver: AnchoredX5cResolver) -> VerifiedStatusList:
        return verify_status_list_token(
            token,
            key=resolver,
            expected_uri=uri,
            now=FIXED_NOW,
            leeway=0,
            algorithms=frozenset({JwsAlg.ES256}),
            max_age=3_600,
        )

    resolver = AnchoredX5cResolver(issuer=ISS, registered_key_refs={ca.key_ref})
    assert verify(resolver).key.thumbprint() == key.public.thumbprint()
    assert resolver.chain is not None
    assert resolver.chain.key_ref == ca.key_ref
    unregistered = AnchoredX5cResolver(issuer=ISS, registered_key_refs=set())
    assert_rejected(TrustReason.X5C_ROOT_NOT_REGISTERED, verify, unregistered)
