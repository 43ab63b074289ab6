"""The wallet provider's signature on an attestation: type, ES256, ``x5c`` to the caller's roots.

Wallet attestations (OpenID4VCI 1.0 Appendix E) and key attestations (Appendix D.1) are JWTs
a wallet provider signs about a wallet instance and its keys. Whoever relies on one trusts
the provider, so the provider's key must come from a certificate chain that ends in a root
the caller configured for wallet providers; HAIP 1.0 §4.4.1 puts that certificate (and
optionally its chain) in the ``x5c`` header. The checks, in order:

* the size bound before decoding (``token-too-large``) and a strict compact JWS (the
  ``JoseReason`` of what is broken);
* ``typ`` is the kind's media type (RFC 8725 §3.11): the kind's own ``*_TYP`` reason;
* ``alg`` is ``ES256`` (HAIP §7): ``ALG_NOT_ALLOWED``; ``crit`` is refused
  (``unsupported-header``, RFC 7515 §4.1.11);
* ``x5c`` is present (``X5C_MISSING``): a ``kid`` or ``jwk`` names no key we could trust;
* the chain is bounded (``CHAIN_TOO_LARGE``) and validates to one of the roots at ``now``
  (``CHAIN_UNTRUSTED``; a root sent inside ``x5c`` or a self-signed leaf earns nothing, and
  a leaf that is itself one of the roots is refused too: a root certifies, it does not sign
  attestations), by the path validation of ``specs.sd_jwt_vc.x5c``;
* the signature verifies under the leaf key: ``BAD_SIGNATURE``;
* ``exp``, ``nbf``, ``iat`` (each when present) hold with the caller's leeway: ``EXPIRED``,
  ``NOT_YET_VALID``, ``ISSUED_IN_FUTURE``; a time claim that is not a NumericDate is
  ``MALFORMED_CLAIM``.

Which claims are required is each kind's business (``client_attestation``,
``key_attestation``); the readers at the end of this module give every kind the same
reasons for a missing or malformed claim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from specs.errors import AttestationReason, JoseReason, Rejected, SdJwtVcReason
from specs.jose import (
    JwsAlg,
    PublicJwk,
    UnverifiedJws,
    media_type_matches,
    numeric_date,
    parse_compact_jws,
    verify_signature,
)
from specs.sd_jwt_vc.x5c import (
    DEFAULT_MAX_CERT_BYTES,
    DEFAULT_MAX_CHAIN_LENGTH,
    decode_x5c,
    leaf_key,
    verify_x5c_path,
)

MAX_ATTESTATION_BYTES = 16 * 1024
"""A header with a short certificate chain (a few KiB), and a few claims or a batch of keys."""
MAX_STRING_CLAIM = 2048
"""Bound on identifiers, URLs, nonces and level names an attestation carries."""
ALGORITHM = JwsAlg.ES256


@dataclass(frozen=True, slots=True)
class WalletProviderRoots:
    """The trust anchors of the wallet providers a caller accepts, and the chain bounds.

    Only these certificates are trusted: an attestation whose ``x5c`` chain does not end in
    one of them is refused, whatever else it says.
    """

    anchors: tuple[x509.Certificate, ...]
    max_chain_length: int = DEFAULT_MAX_CHAIN_LENGTH
    max_cert_bytes: int = DEFAULT_MAX_CERT_BYTES

    def __post_init__(self) -> None:
        if not self.anchors:
            raise ValueError("WalletProviderRoots needs at least one trust anchor")
        if self.max_chain_length < 1 or self.max_cert_bytes < 1:
            raise ValueError("chain bounds must be positive")


@dataclass(frozen=True, slots=True)
class ProviderSigned:
    """An attestation JWT whose provider signature, chain and time claims passed."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    provider_key: PublicJwk


def verify_provider_signed(
    token: object,
    *,
    typ: str,
    typ_reason: AttestationReason,
    roots: WalletProviderRoots,
    now: int,
    leeway: int,
) -> ProviderSigned:
    """Check an attestation's envelope (the module's rules); its claims are the caller's."""
    jws = parse_bounded(token)
    check_envelope(jws.header, typ=typ, typ_reason=typ_reason)
    if "x5c" not in jws.header:
        raise Rejected(AttestationReason.X5C_MISSING)
    key = _chain_key(jws.header["x5c"], roots=roots, now=now)
    if key.alg is not ALGORITHM:
        raise Rejected(AttestationReason.ALG_NOT_ALLOWED)
    verify_with(jws, key=key, reason=AttestationReason.BAD_SIGNATURE)
    check_times(jws.payload, now=now, leeway=leeway)
    return ProviderSigned(jws.header, jws.payload, key)


def parse_bounded(token: object, *, max_bytes: int = MAX_ATTESTATION_BYTES) -> UnverifiedJws:
    """A compact JWS, bounded before anything is decoded."""
    if not isinstance(token, str):
        raise Rejected(JoseReason.MALFORMED_JWS)
    return parse_compact_jws(token, max_bytes=max_bytes)


def check_envelope(header: Mapping[str, Any], *, typ: str, typ_reason: AttestationReason) -> None:
    """``typ`` of the kind, ``alg`` ES256 and no ``crit``: the header rules both kinds share."""
    if not media_type_matches(header.get("typ"), typ):
        raise Rejected(typ_reason)
    if header.get("alg") != ALGORITHM.value:
        raise Rejected(AttestationReason.ALG_NOT_ALLOWED)
    if "crit" in header or "b64" in header:
        raise Rejected(JoseReason.UNSUPPORTED_HEADER)


def verify_with(jws: UnverifiedJws, *, key: PublicJwk, reason: AttestationReason) -> None:
    """The signature under ``key``, or ``reason``: each JWT kind names its own signer."""
    try:
        verify_signature(jws, key=key, alg=ALGORITHM)
    except Rejected:
        raise Rejected(reason) from None


def _chain_key(x5c: object, *, roots: WalletProviderRoots, now: int) -> PublicJwk:
    try:
        certificates = decode_x5c(
            x5c, max_chain_length=roots.max_chain_length, max_cert_bytes=roots.max_cert_bytes
        )
        verified = verify_x5c_path(
            certificates, anchors=roots.anchors, now=now, max_chain_length=roots.max_chain_length
        )
    except Rejected as refused:
        if refused.reason is SdJwtVcReason.X5C_CHAIN_TOO_LARGE:
            raise Rejected(AttestationReason.CHAIN_TOO_LARGE) from None
        raise Rejected(AttestationReason.CHAIN_UNTRUSTED) from None
    if len(verified.chain) < 2:  # the leaf is an anchor itself: configured, never certified
        raise Rejected(AttestationReason.CHAIN_UNTRUSTED)
    try:
        return leaf_key(verified)
    except Rejected:
        raise Rejected(AttestationReason.CHAIN_UNTRUSTED) from None


def check_times(claims: Mapping[str, Any], *, now: int, leeway: int) -> None:
    """``exp`` (exclusive), ``nbf`` and ``iat``, each when present (RFC 7519 §4.1.4-6)."""
    exp, nbf, iat = (time_claim(claims, name) for name in ("exp", "nbf", "iat"))
    if exp is not None and now >= exp + leeway:
        raise Rejected(AttestationReason.EXPIRED)
    if nbf is not None and now + leeway < nbf:
        raise Rejected(AttestationReason.NOT_YET_VALID)
    if iat is not None and iat > now + leeway:
        raise Rejected(AttestationReason.ISSUED_IN_FUTURE)


def time_claim(claims: Mapping[str, Any], name: str) -> int | None:
    """A NumericDate claim, whole seconds, ``None`` when absent."""
    try:
        value = numeric_date(claims, name)
    except Rejected:
        raise Rejected(AttestationReason.MALFORMED_CLAIM) from None
    return None if value is None else math.floor(value)


def required_time(claims: Mapping[str, Any], name: str) -> int:
    value = time_claim(claims, name)
    if value is None:
        raise Rejected(AttestationReason.CLAIM_MISSING)
    return value


def optional_string(claims: Mapping[str, Any], name: str) -> str | None:
    """A non-empty bounded string claim, ``None`` when absent."""
    if name not in claims:
        return None
    value = claims[name]
    if type(value) is not str or not value or len(value) > MAX_STRING_CLAIM:
        raise Rejected(AttestationReason.MALFORMED_CLAIM)
    return value


def required_string(claims: Mapping[str, Any], name: str) -> str:
    value = optional_string(claims, name)
    if value is None:
        raise Rejected(AttestationReason.CLAIM_MISSING)
    return value


def optional_object(claims: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """A JSON object claim (``status``), ``None`` when absent."""
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, Mapping):
        raise Rejected(AttestationReason.MALFORMED_CLAIM)
    return value
