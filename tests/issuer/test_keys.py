"""Signing keys from files: PEM or JWK, owner-only, ES256; rotation keeps old keys published."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from issuer.context import load_keys
from issuer.keys import KeyFileError, create_signing_key, load_public_key, load_signing_key
from issuer.settings import IssuerSettings
from specs.jose import JwsAlg, generate_private_key


def _write(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def test_a_pem_key_and_its_jwk_twin_give_the_same_kid(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    from_pem = load_signing_key(_write(tmp_path / "key.pem", pem))
    assert from_pem.alg is JwsAlg.ES256
    assert from_pem.public.kid == from_pem.public.thumbprint()
    jwk = from_pem.to_jwk()
    from_jwk = load_signing_key(_write(tmp_path / "key.jwk", json.dumps(jwk).encode()))
    assert from_jwk.public.kid == from_pem.public.kid


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (b"{}", 0o600, "not a usable private key"),
        (b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", 0o600, "usable"),
        (b"{}", 0o644, "readable by others"),
        (b" " * 20_000, 0o600, "too large"),
    ],
)
def test_bad_key_files_are_refused_with_the_file_named_not_its_content(
    tmp_path: Path, content: bytes, mode: int, message: str
) -> None:
    path = _write(tmp_path / "key", content, mode)
    with pytest.raises(KeyFileError, match=message) as raised:
        load_signing_key(path)
    assert str(path) in str(raised.value)


def test_an_ed25519_key_is_refused(tmp_path: Path) -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyFileError, match="P-256"):
        load_signing_key(_write(tmp_path / "ed.pem", pem))


def test_a_missing_key_is_created_only_in_development(tmp_path: Path) -> None:
    production = IssuerSettings(public_url="https://issuer.example", data_dir=tmp_path)
    with pytest.raises(KeyFileError, match="no signing key"):
        load_keys(production)
    development = IssuerSettings(
        public_url="http://127.0.0.1:8001", data_dir=tmp_path, profile="development"
    )
    keys = load_keys(development)
    assert (tmp_path / "signing-key.jwk").stat().st_mode & 0o777 == 0o600
    assert load_keys(development).active.public == keys.active.public


def test_rotation_publishes_the_retired_keys_next_to_the_new_one(tmp_path: Path) -> None:
    old = create_signing_key(tmp_path / "old.jwk")
    retired_public = _write(
        tmp_path / "retired-public.jwk", json.dumps(generate_private_key().public.to_jwk()).encode()
    )
    settings = IssuerSettings(
        public_url="https://issuer.example",
        data_dir=tmp_path,
        signing_key_file=create_signing_key(tmp_path / "new.jwk") and tmp_path / "new.jwk",
        retired_key_files=[tmp_path / "old.jwk", retired_public],
    )
    keys = load_keys(settings)
    kids = [key.kid for key in keys.published]
    assert kids[0] == keys.active.public.kid
    assert old.public.kid in kids
    assert len(set(kids)) == 3
    assert load_public_key(retired_public).kid == kids[2]
