"""Key references: how the registry names the keys an issuer may sign with.

``specs.trust.model`` fixes the form, a 32-byte hash in base64url without padding:

* a bare signing key is named by its RFC 7638 JWK thumbprint (``PublicJwk.thumbprint``);
* a certification authority is named by the SHA-256 of the DER SubjectPublicKeyInfo of its
  root certificate (RFC 5280 §4.1.2.7), the key every ``x5c`` chain of the issuer ends in
  (HAIP §6.1.1). The hash covers the key and its algorithm, not the certificate, so a CA
  that renews its root certificate with the same key keeps its registration.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from specs.jose import b64url_encode


def certificate_key_ref(certificate: x509.Certificate) -> str:
    """The key reference of ``certificate``'s public key: SHA-256 of its SPKI, base64url."""
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return b64url_encode(hashlib.sha256(spki).digest())
