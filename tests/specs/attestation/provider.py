"""A wallet provider for the attestation tests: a root, an intermediate, a leaf key.

Certificates are generated at test time (``tests.pki``); nothing is committed. ``sign`` signs
exactly the header and payload it is given, so a test can write what a builder never would.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.attestation import WalletProviderRoots
from specs.jose import PrivateJwk, b64url_encode, generate_private_key
from tests.pki import certificate

NOW = 1_790_000_000
PROVIDER = "https://wallet-provider.example"
CLIENT_ID = "https://wallet.example/solution"
ISSUER = "https://issuer.example/agency"
_AT = datetime.fromtimestamp(NOW, tz=UTC)


def b64_der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def sign(header: dict[str, Any], payload: dict[str, Any], key: PrivateJwk) -> str:
    """A compact JWS over exactly ``header`` and ``payload``."""

    def segment(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())

    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


@dataclass
class Provider:
    """A provider key certified under ``root`` through one intermediate."""

    signer: PrivateJwk = field(default_factory=generate_private_key)

    def __post_init__(self) -> None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        intermediate_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert(root_key, root_key, "root", "root", ca=True)
        self.intermediate = _cert(intermediate_key, root_key, "intermediate", "root", ca=True)
        leaf_key = self.signer.key
        assert isinstance(leaf_key, ec.EllipticCurvePrivateKey)
        self.leaf = _cert(leaf_key, intermediate_key, "provider", "intermediate", ca=False)

    @property
    def x5c(self) -> list[str]:
        return [b64_der(self.leaf), b64_der(self.intermediate)]

    @property
    def roots(self) -> WalletProviderRoots:
        return WalletProviderRoots((self.root,))

    def header(self, typ: str, **overrides: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"typ": typ, "alg": "ES256", "x5c": self.x5c}
        header.update(overrides)
        return {name: value for name, value in header.items() if value is not None}


def _cert(
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    subject: str,
    issuer: str,
    *,
    ca: bool,
) -> x509.Certificate:
    san: list[x509.GeneralName] | None = None if ca else [x509.UniformResourceIdentifier(PROVIDER)]
    return certificate(
        key,
        signer,
        subject=subject,
        issuer=issuer,
        ca=ca,
        not_before=_AT - timedelta(days=1),
        not_after=_AT + timedelta(days=30),
        san=san,
    )
