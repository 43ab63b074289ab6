"""The development certificate authority (runtime.dev_ca): chains that validate, files that are
created in development only and never overwritten, and chains that must certify their key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from runtime.dev_ca import (
    MAX_CHAIN_FILE_BYTES,
    SigningIdentity,
    create_development_ca,
    load_certificate_chain,
    load_or_create_signing_identity,
    write_certificates,
)
from runtime.key_files import KeyFileError
from specs.errors import SdJwtVcReason
from specs.jose import generate_private_key
from specs.sd_jwt_vc.x5c import decode_x5c, leaf_key, verify_x5c_path
from tests.support import assert_rejected

NOW = 1_790_000_000
URI = "https://wallet.example"
DAY = 86_400


def _identity(tmp_path: Path, *, development: bool = True, now: int = NOW) -> SigningIdentity:
    return load_or_create_signing_identity(
        tmp_path / "provider.jwk",
        tmp_path / "provider.pem",
        development=development,
        subject="test provider",
        uri=URI,
        now=now,
    )


def test_a_leaf_of_the_development_ca_validates_to_its_root() -> None:
    ca = create_development_ca(name="test root", now=NOW, days=30)
    signer = generate_private_key()
    assert isinstance(signer.public.key, ec.EllipticCurvePublicKey)
    leaf = ca.issue(signer.public.key, subject="leaf", uri=URI, now=NOW, days=30)
    verified = verify_x5c_path([leaf], anchors=[ca.certificate], now=NOW + DAY)
    assert leaf_key(verified) == signer.public
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == [URI]
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert (constraints.ca, constraints.path_length) == (True, 0)


def test_the_leaf_expires_with_its_days() -> None:
    ca = create_development_ca(name="test root", now=NOW, days=365)
    signer = generate_private_key()
    assert isinstance(signer.public.key, ec.EllipticCurvePublicKey)
    leaf = ca.issue(signer.public.key, subject="leaf", uri=URI, now=NOW, days=1)
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        verify_x5c_path,
        [leaf],
        anchors=[ca.certificate],
        now=NOW + 2 * DAY,
    )


def test_development_creates_a_key_and_a_chain_once(tmp_path: Path) -> None:
    identity = _identity(tmp_path)
    assert stat.S_IMODE((tmp_path / "provider.jwk").stat().st_mode) == 0o600
    assert len(identity.chain) == 2
    assert identity.anchors == (identity.chain[1],)
    assert len(identity.x5c) == 1  # the root stays home: relying parties configure it
    chain = decode_x5c(identity.x5c, max_chain_length=5, max_cert_bytes=16_384)
    verified = verify_x5c_path(chain, anchors=identity.anchors, now=NOW + DAY)
    assert leaf_key(verified) == identity.signer.public

    again = _identity(tmp_path, now=NOW + DAY)
    assert again.signer.public == identity.signer.public
    assert again.chain == identity.chain


def test_production_never_creates_a_key_or_a_chain(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no signing key"):
        _identity(tmp_path, development=False)
    _identity(tmp_path)
    (tmp_path / "provider.pem").unlink()
    with pytest.raises(KeyFileError, match="no certificate chain"):
        _identity(tmp_path, development=False)


def test_a_chain_for_another_key_is_refused(tmp_path: Path) -> None:
    _identity(tmp_path)
    (tmp_path / "provider.jwk").unlink()
    with pytest.raises(KeyFileError, match="does not certify"):
        _identity(tmp_path)


def test_certificate_files_are_never_overwritten(tmp_path: Path) -> None:
    ca = create_development_ca(name="test root", now=NOW, days=1)
    write_certificates(tmp_path / "chain.pem", (ca.certificate,))
    with pytest.raises(FileExistsError):
        write_certificates(tmp_path / "chain.pem", (ca.certificate,))
    assert load_certificate_chain(tmp_path / "chain.pem") == (ca.certificate,)


def test_broken_chain_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.pem").write_text("not a certificate")
    with pytest.raises(KeyFileError, match="not a PEM certificate chain"):
        load_certificate_chain(tmp_path / "empty.pem")
    (tmp_path / "big.pem").write_bytes(b"-" * (MAX_CHAIN_FILE_BYTES + 1))
    with pytest.raises(KeyFileError, match="too large"):
        load_certificate_chain(tmp_path / "big.pem")
    with pytest.raises(KeyFileError, match="cannot be read"):
        load_certificate_chain(tmp_path / "missing.pem")
