"""The issuer's certificate chain (HAIP §6.1, §6.1.1): ``x5c`` on every credential and Status
List Token, checked at start, or made by a development CA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import ValidationError

from issuer.certificates import CertificateChainError, CertifiedSigner, anchor_key_ref
from issuer.context import load_keys
from issuer.keys import load_signing_key
from runtime.settings import Profile
from specs.jose import JwsAlg
from specs.sd_jwt_vc import AnchoredX5cResolver, verify_anchored_chain
from specs.status_list import StatusReference, verify_status_list_token
from specs.trust import certificate_key_ref
from tests.ca import Ca, new_ca
from tests.issuer.conftest import ISSUER, Issuer, issuer_settings, running_issuer
from tests.support import START


def _write_chain(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certificates))
    return path


def _signing_key(tmp_path: Path) -> ec.EllipticCurvePrivateKey:
    issuer_settings(tmp_path, "sqlite+aiosqlite:///:memory:")  # creates the key files
    key = load_signing_key(tmp_path / "signing-key.jwk").key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


@pytest.fixture
def ca() -> Ca:
    return new_ca(START)


@pytest.fixture
async def certified_issuer(tmp_path: Path, database_url: str, ca: Ca) -> AsyncIterator[Issuer]:
    leaf = ca.leaf(_signing_key(tmp_path), ISSUER)
    chain = _write_chain(tmp_path / "chain.pem", leaf, ca.root)
    settings = issuer_settings(tmp_path, database_url, certificate_chain_file=chain)
    async with running_issuer(settings) as issuer:
        yield issuer


async def test_haip_6_1_1_credentials_carry_x5c_to_the_registered_ca(
    certified_issuer: Issuer, ca: Ca
) -> None:
    created = await certified_issuer.offer(batch_size=2)
    wallet = certified_issuer.wallet
    received = await wallet.receive(created["credential_offer"], created["tx_code"], batch=2)
    for credential in received.credentials:  # kid still resolves through the metadata
        header = credential.sd_jwt.header
        assert header["kid"] == certified_issuer.context.keys.active.public.kid
        anchored = verify_anchored_chain(
            header["x5c"],
            issuer=ISSUER,
            registered_key_refs={ca.key_ref},
            roots=(),
            now=certified_issuer.clock(),
        )
        assert anchored.key.thumbprint() == credential.sd_jwt.issuer_key.thumbprint()
        assert anchored.key_ref == ca.key_ref


async def test_haip_6_1_status_list_tokens_carry_x5c_to_the_registered_ca(
    certified_issuer: Issuer, ca: Ca
) -> None:
    created = await certified_issuer.offer()
    received = await certified_issuer.wallet.receive(
        created["credential_offer"], created["tx_code"]
    )
    status = received.credentials[0].claims["status"]["status_list"]
    response = await certified_issuer.client.get(status["uri"])
    assert response.status_code == 200
    resolver = AnchoredX5cResolver(issuer=ISSUER, registered_key_refs={ca.key_ref})
    verified = verify_status_list_token(
        response.text,
        key=resolver,
        expected_uri=status["uri"],
        now=certified_issuer.clock(),
        leeway=0,
        algorithms=frozenset({JwsAlg.ES256}),
        max_age=3_600,
    )
    assert verified.status_of(StatusReference(idx=status["idx"], uri=status["uri"])) == 0
    assert resolver.chain is not None
    assert resolver.chain.key_ref == ca.key_ref


def test_haip_6_1_1_the_chain_must_certify_the_signing_key(tmp_path: Path, ca: Ca) -> None:
    _signing_key(tmp_path)
    other = ca.leaf(ec.generate_private_key(ec.SECP256R1()), ISSUER)
    chain = _write_chain(tmp_path / "chain.pem", other, ca.root)
    settings = issuer_settings(tmp_path, "sqlite://", certificate_chain_file=chain)
    with pytest.raises(CertificateChainError, match="does not certify the signing key"):
        load_keys(settings)


def test_a_chain_out_of_order_stops_the_start(tmp_path: Path, ca: Ca) -> None:
    leaf = ca.leaf(_signing_key(tmp_path), ISSUER)
    unrelated = new_ca(START).root
    chain = _write_chain(tmp_path / "chain.pem", leaf, unrelated)
    settings = issuer_settings(tmp_path, "sqlite://", certificate_chain_file=chain)
    with pytest.raises(CertificateChainError, match="out of order"):
        load_keys(settings)


def test_a_chain_file_that_is_not_pem_or_too_long_stops_the_start(tmp_path: Path, ca: Ca) -> None:
    _signing_key(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    settings = issuer_settings(tmp_path, "sqlite://", certificate_chain_file=garbage)
    with pytest.raises(CertificateChainError, match="not a PEM certificate chain"):
        load_keys(settings)
    long_chain = _write_chain(tmp_path / "long.pem", *[ca.root] * 6)
    settings = issuer_settings(tmp_path, "sqlite://", certificate_chain_file=long_chain)
    with pytest.raises(CertificateChainError, match="1 to 5 certificates"):
        load_keys(settings)
    missing = issuer_settings(tmp_path, "sqlite://", certificate_chain_file=tmp_path / "none")
    with pytest.raises(CertificateChainError, match="cannot be read"):
        load_keys(missing)


def test_without_a_chain_the_signer_has_no_x5c(tmp_path: Path) -> None:
    keys = load_keys(issuer_settings(tmp_path, "sqlite://"))
    assert not isinstance(keys.active, CertifiedSigner)
    assert anchor_key_ref(keys.active) is None


def test_haip_6_1_1_a_development_ca_certifies_the_signing_key(tmp_path: Path) -> None:
    url = "http://127.0.0.1:8001"
    settings = issuer_settings(
        tmp_path, "sqlite://", profile=Profile.DEVELOPMENT, public_url=url, development_ca=True
    )
    keys = load_keys(settings, clock=lambda: START)
    signer = keys.active
    assert isinstance(signer, CertifiedSigner)
    root = x509.load_pem_x509_certificate((tmp_path / "development-ca.pem").read_bytes())
    assert anchor_key_ref(signer) == certificate_key_ref(root)
    anchored = verify_anchored_chain(
        signer.x5c, issuer=url, registered_key_refs={certificate_key_ref(root)}, roots=(), now=START
    )
    assert anchored.key.thumbprint() == signer.public.thumbprint()
    san = signer.certificates[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [url]
    assert [str(a) for a in san.value.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    again = load_keys(settings, clock=lambda: START + 86_400)
    assert isinstance(again.active, CertifiedSigner)
    assert again.active.certificates == signer.certificates  # reused while it still fits
    moved = settings.model_copy(update={"public_url": "http://localhost:8002"})
    renewed = load_keys(moved, clock=lambda: START)
    assert isinstance(renewed.active, CertifiedSigner)
    assert renewed.active.certificates[1] == root  # same CA, a new leaf for the new URL
    leaf_san = renewed.active.certificates[0].extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert leaf_san.value.get_values_for_type(x509.DNSName) == ["localhost"]


def test_development_ca_is_development_only_and_not_with_a_chain_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="development profile only"):
        issuer_settings(tmp_path, "sqlite://", development_ca=True)
    with pytest.raises(ValidationError, match="not both"):
        issuer_settings(
            tmp_path,
            "sqlite://",
            profile=Profile.DEVELOPMENT,
            development_ca=True,
            certificate_chain_file=tmp_path / "chain.pem",
        )
