"""Client Identifiers and the keys that authenticate them (OpenID4VP 1.0 §5.9).

A ``client_id`` is ``<prefix>:<original client id>`` (§5.9.1); the prefix is the text before
the first colon and says how the Wallet authenticates the Verifier (§5.9.3). We support four:

* ``redirect_uri``: the value is the Verifier's Response URI. Such requests "cannot be signed
  because there is no method for the Wallet to obtain a trusted key", so nothing here resolves
  a key for it; ``request_object`` decides whether an unsigned request is acceptable at all;
* ``x509_san_dns``: the value is a DNS name equal to a ``dNSName`` SAN of the leaf certificate
  in the ``x5c`` header, whose key signed the request, and whose chain the Wallet validates;
* ``x509_hash``: the value is base64url(SHA-256(DER of that leaf certificate));
* ``decentralized_identifier``: the value is a DID; the ``kid`` header names the key in the
  DID Document that signed the request.

A client_id without a colon refers to a pre-registered client (§5.9.2), which we do not
have; it and every other prefix (``openid_federation``, ``verifier_attestation``, and
``origin``, which §5.9.3 says a Wallet "MUST NOT accept") are ``UNKNOWN_CLIENT_ID_PREFIX``.
The full string, prefix included, identifies the client everywhere (§14.10): it is the
``aud`` of every Key Binding JWT.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from specs.errors import Oid4vpReason, Rejected
from specs.jose import (
    JwsAlg,
    KeyResolver,
    PublicJwk,
    b64url_decode,
    b64url_encode,
    public_jwk_from_key,
)
from specs.oid4vp.limits import MAX_CERTIFICATE_BYTES, MAX_URL_LENGTH, MAX_X5C_CERTIFICATES


class ClientIdPrefix(StrEnum):
    """The Client Identifier Prefixes we support (§5.9.3)."""

    REDIRECT_URI = "redirect_uri"
    X509_SAN_DNS = "x509_san_dns"
    X509_HASH = "x509_hash"
    DECENTRALIZED_IDENTIFIER = "decentralized_identifier"


@dataclass(frozen=True, slots=True)
class ClientId:
    """A parsed ``client_id``: its prefix, the original client id, and the full string."""

    prefix: ClientIdPrefix
    value: str
    full: str


_DNS_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_DNS_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]+")
_SHA256_BYTES = 32
_MAX_DNS_NAME = 253
_PREFIXES = {prefix.value: prefix for prefix in ClientIdPrefix}
_R = Oid4vpReason.MALFORMED_CLIENT_ID


def parse_client_id(text: object) -> ClientId:
    """Split a ``client_id`` at its first colon (§5.9.1) and check the value for its prefix."""
    if type(text) is not str or len(text) > MAX_URL_LENGTH:
        raise Rejected(_R)
    name, colon, value = text.partition(":")
    prefix = _PREFIXES.get(name)
    if not colon or prefix is None:
        raise Rejected(Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX)
    _check_value(prefix, value)
    return ClientId(prefix, value, text)


def format_client_id(prefix: ClientIdPrefix, value: str) -> str:
    """``<prefix>:<value>``, checked as ``parse_client_id`` would check it."""
    text = f"{ClientIdPrefix(prefix).value}:{value}"
    try:
        parse_client_id(text)
    except Rejected as exc:
        raise ValueError(f"not a valid {prefix} client id value") from exc
    return text


def x509_hash_of(certificate_der: bytes) -> str:
    """The ``x509_hash`` value of a leaf: base64url SHA-256 of its DER encoding (§5.9.3)."""
    return b64url_encode(hashlib.sha256(certificate_der).digest())


def _check_value(prefix: ClientIdPrefix, value: str) -> None:
    """What §5.9.3 says each original client id is: a URL, a DNS name, a hash, a DID."""
    if not value or not value.isascii() or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        raise Rejected(_R)
    if prefix is ClientIdPrefix.REDIRECT_URI:
        try:
            parts = urlsplit(value)
        except ValueError:
            raise Rejected(_R) from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise Rejected(_R)
        if "#" in value or "@" in parts.netloc:
            raise Rejected(_R)
    elif prefix is ClientIdPrefix.X509_SAN_DNS:
        if len(value) > _MAX_DNS_NAME or not _DNS_NAME.fullmatch(value):
            raise Rejected(_R)
    elif prefix is ClientIdPrefix.X509_HASH:
        try:
            digest = b64url_decode(value)
        except Rejected:
            raise Rejected(_R) from None
        if len(digest) != _SHA256_BYTES:
            raise Rejected(_R)
    elif not _DID.fullmatch(value):
        raise Rejected(_R)


def client_signing_key(
    client: ClientId,
    header: Mapping[str, Any],
    *,
    now: int,
    trust_roots: Sequence[x509.Certificate] | None,
    did_resolver: KeyResolver | None,
) -> PublicJwk:
    """The key that must have signed a request object of ``client`` (§5.9.3).

    The header is unverified: it is read only to find the certificate or DID URL, and that
    is then bound to the client id before its key is used. ``trust_roots`` are the anchors
    for ``x509_*`` chains. Without them an ``x509_san_dns`` client cannot be trusted (anyone
    can certify any DNS name to themselves), so it is refused; an ``x509_hash`` client is
    pinned by the hash and then needs only a certificate valid at ``now``.
    ``decentralized_identifier`` needs ``did_resolver``; without one the prefix is not
    supported here. ``redirect_uri`` has no key at all.
    """
    if client.prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER:
        return _did_key(client.value, header, now=now, did_resolver=did_resolver)
    if client.prefix is ClientIdPrefix.REDIRECT_URI:
        raise Rejected(Oid4vpReason.UNSIGNED_REQUEST)
    chain = _decode_chain(header.get("x5c"))
    leaf = chain[0]
    if client.prefix is ClientIdPrefix.X509_SAN_DNS:
        _check_dns_name(leaf, client.value)
        if trust_roots is None:
            raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
    elif x509_hash_of(leaf.public_bytes(Encoding.DER)) != client.value:
        raise Rejected(Oid4vpReason.X509_HASH_MISMATCH)
    if trust_roots is None:
        _check_validity(leaf, now)
    else:
        _verify_path(chain, trust_roots, now)
    return _leaf_key(leaf)


def _decode_chain(x5c: object) -> list[x509.Certificate]:
    """RFC 7515 §4.1.6: a non-empty array of canonical standard-base64 DER certificates."""
    if not isinstance(x5c, list) or not x5c or len(x5c) > MAX_X5C_CERTIFICATES:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
    encoded_limit = 4 * -(-MAX_CERTIFICATE_BYTES // 3)
    chain = []
    for entry in x5c:
        if type(entry) is not str or len(entry) > encoded_limit or not entry.isascii():
            raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
        try:
            der = base64.b64decode(entry, validate=True)
            if base64.b64encode(der).decode("ascii") != entry:  # one spelling per certificate
                raise ValueError
            chain.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError, x509.InvalidVersion):
            raise Rejected(Oid4vpReason.CERTIFICATE_INVALID) from None
    return chain


def _check_dns_name(leaf: x509.Certificate, dns_name: str) -> None:
    """§5.9.3: the value matches a ``dNSName`` SAN of the leaf (RFC 4343: case-insensitive)."""
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = {name.lower() for name in names.get_values_for_type(x509.DNSName)}
    except (x509.ExtensionNotFound, ValueError):
        raise Rejected(Oid4vpReason.X509_SAN_MISMATCH) from None
    if dns_name.lower() not in dns_names:
        raise Rejected(Oid4vpReason.X509_SAN_MISMATCH)


def _check_validity(leaf: x509.Certificate, now: int) -> None:
    moment = datetime.fromtimestamp(now, tz=UTC)
    if not leaf.not_valid_before_utc <= moment <= leaf.not_valid_after_utc:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)


def _verify_path(
    chain: list[x509.Certificate], roots: Sequence[x509.Certificate], now: int
) -> None:
    """Validate the chain to one of ``roots`` (§5.9.3: "MUST validate ... the trust chain").

    Certificates after the leaf are untrusted intermediates; only ``roots`` anchor. The
    WebPKI defaults stay (basic constraints, CA key usage, validity, signature algorithms)
    except two that belong to TLS: the ``clientAuth`` EKU (request signing certificates
    carry their own EKUs, if any) and a SAN on the leaf (an ``x509_hash`` leaf needs none;
    ``x509_san_dns`` checked its SAN already).
    """
    if not roots:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
    ee_policy = (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    )
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(roots)))
        .time(datetime.fromtimestamp(now, tz=UTC))
        .max_chain_depth(MAX_X5C_CERTIFICATES)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verifier.verify(chain[0], chain[1:])
    except (VerificationError, ValueError):
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID) from None


def _leaf_key(leaf: x509.Certificate) -> PublicJwk:
    """The leaf's key, which must sign ES256; a leaf that may not sign is refused."""
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    except ValueError:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID) from None
    if usage is not None and not usage.digital_signature:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
    try:
        key = public_jwk_from_key(leaf.public_key())
    except (Rejected, ValueError):
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID) from None
    if key.alg is not JwsAlg.ES256:
        raise Rejected(Oid4vpReason.CERTIFICATE_INVALID)
    return key


def _did_key(
    did: str, header: Mapping[str, Any], *, now: int, did_resolver: KeyResolver | None
) -> PublicJwk:
    """§5.9.3: the ``kid`` header is a DID URL of the client's DID; its key from resolution.

    Only absolute DID URLs (``<did>#<fragment>``) are accepted, so the key reference cannot
    point into another DID's document. The resolver looks the DID up the way it looks up an
    issuer's, as ``iss`` (the request's own ``iss`` is ignored, §5). Any failure of the
    resolver means the client's key could not be found: ``DID_KEY_MISMATCH``.
    """
    if did_resolver is None:
        raise Rejected(Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX)
    kid = header.get("kid")
    if type(kid) is not str or not kid.startswith(f"{did}#") or len(kid) == len(did) + 1:
        raise Rejected(Oid4vpReason.DID_KEY_MISMATCH)
    try:
        key = did_resolver.resolve_key(header, {"iss": did}, now=now)
    except Rejected as exc:
        raise Rejected(Oid4vpReason.DID_KEY_MISMATCH) from exc
    if key.alg is not JwsAlg.ES256:
        raise Rejected(Oid4vpReason.DID_KEY_MISMATCH)
    return key
