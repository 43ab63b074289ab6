"""Trusted Authorities Queries (OpenID4VP 1.0 §6.1.1): which authorities may vouch for an issuer.

A Credential Query may carry ``trusted_authorities``: objects of a ``type`` and non-empty
string ``values``. §6.1 says every credential returned SHOULD match at least one of them,
and that a verifier checks issuer trust regardless (we do: ``specs.trust``). HAIP §5 makes
the ``aki`` type mandatory; it is the only one matched here:

* ``aki`` (§6.1.1.1): a value is the base64url KeyIdentifier of an
  AuthorityKeyIdentifier (RFC 5280 §4.2.1.1); it matches when a certificate of the
  credential's ``x5c`` chain carries that identifier. A root (self-signed) names its own key
  by its SubjectKeyIdentifier (RFC 5280 §4.2.1.2) and often carries no AKI, so a
  self-signed certificate's SKI counts as well: a chain that includes its root matches the
  root's identifier either way.
* ``etsi_tl`` and ``openid_federation`` (§6.1.1.2, §6.1.1.3), and types other
  specifications define, are parsed and kept but never satisfied: we cannot evaluate a
  trusted list or a federation, and answering a verifier with a credential it has said it
  would not accept would disclose claims for nothing (DESIGN §5). A credential therefore
  matches ``trusted_authorities`` when one ``aki`` entry names one of its chain's key
  identifiers; a query naming only other types cannot be answered.

Both sides read the chain the same way: the wallet from the credential it holds, the
verifier from the chain it validated (``specs.sd_jwt_vc.x5c_anchored``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography import x509

from specs.errors import Rejected
from specs.jose import b64url_encode
from specs.oid4vp.dcql import TrustedAuthoritiesQuery
from specs.sd_jwt_vc.x5c import DEFAULT_MAX_CERT_BYTES, DEFAULT_MAX_CHAIN_LENGTH, decode_x5c

AKI = "aki"
"""§6.1.1.1: authority key identifiers of the certificates in the credential's chain."""


def chain_key_identifiers(certificates: Iterable[x509.Certificate]) -> frozenset[str]:
    """The base64url key identifiers an ``aki`` value can name in ``certificates``.

    Each certificate's AuthorityKeyIdentifier ``keyIdentifier``, and the
    SubjectKeyIdentifier of a certificate that is its own issuer (a root).
    """
    found: set[bytes] = set()
    for certificate in certificates:
        extensions = certificate.extensions
        try:
            authority = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        except x509.ExtensionNotFound:
            authority = None
        if authority is not None and authority.key_identifier:
            found.add(authority.key_identifier)
        if certificate.issuer == certificate.subject:
            with contextlib.suppress(x509.ExtensionNotFound):
                found.add(
                    extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
                )
    return frozenset(b64url_encode(identifier) for identifier in found)


def x5c_key_identifiers(header: Mapping[str, Any]) -> frozenset[str]:
    """``chain_key_identifiers`` of a JOSE header's ``x5c``; empty without a usable one.

    For the wallet's matching only: the holder checked the chain when the credential
    arrived, and a credential without a readable chain simply matches no ``aki`` entry.
    """
    if "x5c" not in header:
        return frozenset()
    try:
        certificates = decode_x5c(
            header["x5c"],
            max_chain_length=DEFAULT_MAX_CHAIN_LENGTH,
            max_cert_bytes=DEFAULT_MAX_CERT_BYTES,
        )
    except Rejected:
        return frozenset()
    return chain_key_identifiers(certificates)


def satisfies_trusted_authorities(
    authorities: Sequence[TrustedAuthoritiesQuery], key_identifiers: frozenset[str]
) -> bool:
    """True when ``authorities`` is empty (nothing asked) or one ``aki`` entry names one of
    ``key_identifiers``; other types never match (module docstring)."""
    if not authorities:
        return True
    return any(
        authority.type == AKI and not key_identifiers.isdisjoint(authority.values)
        for authority in authorities
    )


__all__ = [
    "AKI",
    "chain_key_identifiers",
    "satisfies_trusted_authorities",
    "x5c_key_identifiers",
]
