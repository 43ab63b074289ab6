"""Inline X.509 certificates: the issuer key from the ``x5c`` header, validated to our roots.

SD-JWT VC (editor's copy) §2.5, "Inline X.509 Certificates": the recipient uses the key of
the end-entity certificate in ``x5c`` and validates the chain. RFC 7515 §4.1.6 fixes the
encoding: a JSON array of *standard* base64 (padded, not base64url) DER certificates, the
signing certificate first, each next one certifying the previous.

Rules here, each a rejection:

* bounds first (THREATS S-09): more than ``max_chain_length`` entries, or an entry larger
  than ``max_cert_bytes``, is ``x5c-chain-too-large`` before anything is decoded or parsed;
* trust comes only from the configured anchors: ``x5c`` entries after the leaf are untrusted
  intermediates, so a root supplied inside ``x5c`` (or a self-signed leaf) earns nothing;
* path validation with ``cryptography.x509.verification`` at the caller's ``now``;
* binding to ``iss``: the ``iss`` claim must equal a ``uniformResourceIdentifier`` SAN of the
  leaf, or the host of an HTTPS ``iss`` must equal a ``dNSName`` SAN (see ``_check_iss``);
* the leaf key must be P-256 or Ed25519, and becomes a ``jose.PublicJwk``.

Why the client verifier: ``build_server_verifier`` checks a TLS server identity (a DNS name
or IP address, ``serverAuth`` EKU) and cannot express a URI issuer. The client verifier
checks the path, validity, basic constraints and key usage of CAs, and that the leaf has a
SAN, and returns the SAN entries, which we match against ``iss`` ourselves. Its EKU rule
(``clientAuth``) does not apply to credential signing, so EKUs are left to ecosystem
policy (document-signer certificates and their CAs carry their own EKUs).

``decode_x5c``, ``verify_x5c_path`` and ``bound_leaf_key`` are the three steps of
``X5cResolver``, shared with ``x5c_anchored`` (roots chosen by the trust registry).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.verification import (
    ClientVerifier,
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
    VerifiedClient,
)

from specs.errors import Rejected, SdJwtVcReason
from specs.jose import PublicJwk, public_jwk_from_key

DEFAULT_MAX_CHAIN_LENGTH = 5
DEFAULT_MAX_CERT_BYTES = 16 * 1024


class X5cResolver:
    """``KeyResolver`` for Issuer-signed JWTs that carry their certificate chain in ``x5c``.

    ``trust_anchors`` are the only roots; a chain that does not end in one is rejected.
    """

    __slots__ = ("_anchors", "_max_cert_bytes", "_max_chain_length")

    def __init__(
        self,
        trust_anchors: Sequence[x509.Certificate],
        *,
        max_chain_length: int = DEFAULT_MAX_CHAIN_LENGTH,
        max_cert_bytes: int = DEFAULT_MAX_CERT_BYTES,
    ) -> None:
        if not trust_anchors:
            raise ValueError("X5cResolver needs at least one trust anchor")
        self._anchors = Store(list(trust_anchors))
        self._max_chain_length = max_chain_length
        self._max_cert_bytes = max_cert_bytes

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        iss = payload.get("iss")
        if "x5c" not in header or not isinstance(iss, str):
            # §2.2.2.3 lets x5c convey the issuer instead of iss; our trust decisions are
            # keyed by iss, so a token without it has no issuer we could bind the key to.
            raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
        certificates = decode_x5c(
            header["x5c"],
            max_chain_length=self._max_chain_length,
            max_cert_bytes=self._max_cert_bytes,
        )
        verified = _verify_path(
            certificates, self._anchors, now=now, max_chain_length=self._max_chain_length
        )
        return bound_leaf_key(verified, iss=iss)


def decode_x5c(
    x5c: object, *, max_chain_length: int, max_cert_bytes: int
) -> list[x509.Certificate]:
    """RFC 7515 §4.1.6: non-empty array of canonical padded base64 DER certificates.

    The bounds are checked before anything is decoded (THREATS S-09).
    """
    if not isinstance(x5c, list) or not x5c:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)
    if len(x5c) > max_chain_length:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE)
    encoded_limit = 4 * -(-max_cert_bytes // 3)
    if any(isinstance(entry, str) and len(entry) > encoded_limit for entry in x5c):
        raise Rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE)
    return [_decode_certificate(entry, max_cert_bytes) for entry in x5c]


def verify_x5c_path(
    certificates: Sequence[x509.Certificate],
    *,
    anchors: Sequence[x509.Certificate],
    now: int,
    max_chain_length: int = DEFAULT_MAX_CHAIN_LENGTH,
) -> VerifiedClient:
    """Path validation of ``certificates`` (leaf first) to one of ``anchors`` at ``now``.

    Only ``anchors`` are trusted; the certificates after the leaf are untrusted
    intermediates. ``chain`` of the result runs from the leaf to the anchor used.
    """
    if not anchors:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)
    return _verify_path(
        list(certificates), Store(list(anchors)), now=now, max_chain_length=max_chain_length
    )


def bound_leaf_key(verified: VerifiedClient, *, iss: str) -> PublicJwk:
    """The leaf key of a validated path, once the leaf is bound to ``iss`` and may sign."""
    _check_iss(iss, verified.subjects or [])
    leaf = verified.chain[0]
    _check_key_usage(leaf)
    return _leaf_jwk(leaf)


def leaf_key(verified: VerifiedClient) -> PublicJwk:
    """The leaf key of a validated path that may sign, with no ``iss`` to bind it to.

    For JWTs whose signer is known by its chain alone: a wallet provider's attestations
    (OpenID4VCI Appendices D and E, HAIP §4.4.1) are trusted because the chain ends in a
    root the caller configured for wallet providers, not because of a name in the token.
    """
    leaf = verified.chain[0]
    _check_key_usage(leaf)
    return _leaf_jwk(leaf)


def _verify_path(
    certificates: list[x509.Certificate], anchors: Store, *, now: int, max_chain_length: int
) -> VerifiedClient:
    leaf, *intermediates = certificates
    try:
        return _verifier(anchors, now, max_chain_length).verify(leaf, intermediates)
    except (VerificationError, ValueError):
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID) from None


def _verifier(anchors: Store, now: int, max_chain_length: int) -> ClientVerifier:
    # The default client policy demands the clientAuth EKU of every certificate that
    # carries an EKU extension; issuer certificates are not TLS clients (document-signer
    # PKIs use their own EKUs), so EKU is left to ecosystem policy. Every other WebPKI
    # default (basic constraints, CA key usage, SAN present, validity, signature
    # algorithms) stays.
    def any_eku(policy: ExtensionPolicy) -> ExtensionPolicy:
        return policy.may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)

    return (
        PolicyBuilder()
        .store(anchors)
        .time(datetime.fromtimestamp(now, tz=UTC))
        .max_chain_depth(max_chain_length)
        .extension_policies(
            ca_policy=any_eku(ExtensionPolicy.webpki_defaults_ca()),
            ee_policy=any_eku(ExtensionPolicy.webpki_defaults_ee()),
        )
        .build_client_verifier()
    )


def _decode_certificate(entry: object, max_bytes: int) -> x509.Certificate:
    if not isinstance(entry, str) or not entry.isascii():
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)
    try:
        der = base64.b64decode(entry, validate=True)
    except binascii.Error:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID) from None
    if len(der) > max_bytes:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_TOO_LARGE)
    if base64.b64encode(der).decode("ascii") != entry:  # one spelling per certificate
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)
    try:
        return x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion):  # InvalidVersion is no ValueError
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID) from None


def _check_iss(iss: str, subjects: list[x509.GeneralName]) -> None:
    """Bind the leaf to ``iss`` through its Subject Alternative Names.

    The rule is SD-JWT VC draft -09 §3.5 ("ensure that the ``iss`` value matches a
    ``uniformResourceIdentifier`` SAN entry of the end-entity certificate or that the domain
    name in the ``iss`` value matches the ``dNSName`` SAN entry"). The editor's copy §2.5
    says instead that "the Issuer ... is the subject of the end-entity certificate"; we keep
    the -09 check because our trust decisions are keyed by ``iss`` and a certificate for
    one issuer must not sign credentials that name another (THREATS S-10). URIs compare
    exactly; DNS names compare case-insensitively (RFC 4343) and wildcards are not expanded.
    """
    uris = {name.value for name in subjects if isinstance(name, x509.UniformResourceIdentifier)}
    if iss in uris:
        return
    dns_names = {name.value.lower() for name in subjects if isinstance(name, x509.DNSName)}
    try:
        parts = urlsplit(iss)
    except ValueError:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID) from None
    if parts.scheme == "https" and parts.hostname and parts.hostname in dns_names:
        return
    raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)


def _check_key_usage(leaf: x509.Certificate) -> None:
    """A leaf whose KeyUsage is present must allow ``digitalSignature`` (RFC 5280 §4.2.1.3)."""
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.digital_signature:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)


def _leaf_jwk(leaf: x509.Certificate) -> PublicJwk:
    """The leaf key as a JWK; a key type we do not verify with makes the chain unusable."""
    try:
        return public_jwk_from_key(leaf.public_key())
    except Rejected:
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID) from None
