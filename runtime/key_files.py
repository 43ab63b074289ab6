"""Signing keys in files, behind the ``JwsSigner`` protocol (DESIGN §2: keys).

A service only ever calls ``signer.sign(signing_input)``, so a PKCS#11 HSM or a KMS can
stand in for the file-backed key. Keys are ES256 (HAIP baseline), in PEM (PKCS#8 or SEC1) or
JWK files readable by their owner only. The ``kid`` is the RFC 7638 thumbprint, which is
also what the trust registry anchors.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.errors import Rejected
from specs.jose import (
    JwsAlg,
    PrivateJwk,
    PublicJwk,
    generate_private_key,
    parse_private_jwk,
    parse_public_jwk,
    public_jwk_from_key,
)

MAX_KEY_FILE_BYTES = 16 * 1024


class KeyFileError(Exception):
    """A key file is missing, unreadable, too open, or not an ES256 key. The message names
    the file, never its content."""


def with_thumbprint_kid(key: PrivateJwk) -> PrivateJwk:
    """The same key with ``kid`` set to its RFC 7638 thumbprint."""
    public = public_jwk_from_key(key.public.key, kid=key.public.thumbprint())
    return PrivateJwk(key.key, public)


def load_signing_key(path: Path) -> PrivateJwk:
    """An ES256 private key from a PEM (PKCS#8 or SEC1) or JWK file with owner-only access."""
    raw = _read_private_file(path)
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            loaded = serialization.load_pem_private_key(raw, password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise KeyFileError(f"{path}: not an EC P-256 private key")
            key = PrivateJwk(loaded, public_jwk_from_key(loaded.public_key()))
        else:
            key = parse_private_jwk(json.loads(raw))
    except (ValueError, Rejected, UnicodeDecodeError) as error:
        raise KeyFileError(f"{path}: not a usable private key") from error
    if key.alg is not JwsAlg.ES256:
        raise KeyFileError(f"{path}: signing keys are ES256 (P-256) only")
    return with_thumbprint_kid(key)


def load_public_key(path: Path) -> PublicJwk:
    """A retired key: its public half from a JWK (private members are dropped) or PEM file."""
    try:
        return _load_public_key(path)
    except KeyFileError:
        raise
    except (OSError, ValueError, Rejected) as error:
        raise KeyFileError(f"{path}: not a usable key") from error


def _load_public_key(path: Path) -> PublicJwk:
    raw = path.read_bytes()[: MAX_KEY_FILE_BYTES + 1]
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path}: too large for a key file")
    if raw.lstrip().startswith(b"-----BEGIN PUBLIC KEY"):
        public = public_jwk_from_key(serialization.load_pem_public_key(raw))
        return public_jwk_from_key(public.key, kid=public.thumbprint())
    if raw.lstrip().startswith(b"-----BEGIN"):
        return load_signing_key(path).public
    try:
        document = json.loads(raw)
        if isinstance(document, dict) and "d" in document:
            return with_thumbprint_kid(parse_private_jwk(document)).public
        public = parse_public_jwk(document)
    except (ValueError, Rejected) as error:
        raise KeyFileError(f"{path}: not a usable key") from error
    return public_jwk_from_key(public.key, kid=public.thumbprint())


def load_or_create_signing_key(
    path: Path, *, development: bool, provisioning: str = "provision one"
) -> PrivateJwk:
    """The key of ``path``; in development, created first when the file is missing.

    Production never creates one: a missing key is an operator's mistake, reported as a
    ``KeyFileError`` naming the file and ``provisioning`` (how to provide it).
    """
    if not path.exists():
        if not development:
            raise KeyFileError(f"{path}: no signing key ({provisioning})")
        with contextlib.suppress(FileExistsError):  # another worker created it first
            create_signing_key(path)
    return load_signing_key(path)


def create_signing_key(path: Path) -> PrivateJwk:
    """Generate an ES256 key into a new owner-only JWK file (development profile only)."""
    key = with_thumbprint_kid(generate_private_key(JwsAlg.ES256))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(key.to_jwk(), handle)
    return key


def _read_private_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise KeyFileError(f"{path}: cannot be read") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: readable by others; chmod 600 it")
    raw = path.read_bytes()[: MAX_KEY_FILE_BYTES + 1]
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path}: too large for a key file")
    return raw
