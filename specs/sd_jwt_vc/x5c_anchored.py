"""Issuer keys from ``x5c`` chains whose root the trust registry anchors (HAIP §6.1.1).

HAIP §6.1.1 makes X.509 key resolution mandatory for every role: an SD-JWT VC carries the
issuer's certificate and its trust chain in ``x5c``, and HAIP §6.1 asks the same of the
Status List Token. Who may be a root is the registry's decision, not the chain's: an
issuer's entry lists, next to JWK thumbprints, the SHA-256 of the SubjectPublicKeyInfo of
each root its chains may end in (``specs.trust.certificate_key_ref``).

The trust anchors of one verification are therefore

* the chain's last certificate, when the chain has more than one, that certificate is
  self-signed, and its key reference is registered for this issuer: a root sent inside
  ``x5c`` is used only because the registry names its key;
* and the ``roots`` the caller configured (a chain may leave its root out, RFC 5280 lets
  the relying party hold it); the root a path ends in must be registered all the same.

Then the usual rules of ``specs.sd_jwt_vc.x5c`` apply: bounds, path validation at ``now``,
the leaf bound to the issuer through its SAN, a signing key usage, a P-256 or Ed25519 key.
A chain with no registered anchor is ``x5c-root-not-registered``; one that does not
validate is ``x5c-chain-invalid``. The key reference of the root the path ended in is
returned for ``check_issuer``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from specs.errors import Rejected, SdJwtVcReason, TrustReason
from specs.jose import PublicJwk
from specs.sd_jwt_vc.x5c import (
    DEFAULT_MAX_CERT_BYTES,
    DEFAULT_MAX_CHAIN_LENGTH,
    bound_leaf_key,
    decode_x5c,
    verify_x5c_path,
)
from specs.trust.key_refs import certificate_key_ref


@dataclass(frozen=True, slots=True)
class AnchoredChain:
    """A validated ``x5c`` chain: the leaf key, and the registered root it ends in."""

    key: PublicJwk
    key_ref: str
    """``certificate_key_ref`` of the root the path ended in (registered for the issuer)."""
    certificates: tuple[x509.Certificate, ...]
    """The validated path, leaf first, the root last."""


def verify_anchored_chain(
    x5c: object,
    *,
    issuer: str,
    registered_key_refs: Collection[str],
    roots: Sequence[x509.Certificate],
    now: int,
    max_chain_length: int = DEFAULT_MAX_CHAIN_LENGTH,
    max_cert_bytes: int = DEFAULT_MAX_CERT_BYTES,
) -> AnchoredChain:
    """Validate ``x5c`` for ``issuer`` against the roots the registry lists for it."""
    certificates = decode_x5c(x5c, max_chain_length=max_chain_length, max_cert_bytes=max_cert_bytes)
    anchors = [root for root in roots if certificate_key_ref(root) in registered_key_refs]
    last = certificates[-1]
    if (
        len(certificates) > 1
        and _self_signed(last)
        and certificate_key_ref(last) in registered_key_refs
    ):
        anchors.append(last)
    if not anchors:
        raise Rejected(TrustReason.X5C_ROOT_NOT_REGISTERED)
    verified = verify_x5c_path(
        certificates, anchors=anchors, now=now, max_chain_length=max_chain_length
    )
    key = bound_leaf_key(verified, iss=issuer)
    path = tuple(verified.chain)
    return AnchoredChain(key, certificate_key_ref(path[-1]), path)


def _self_signed(certificate: x509.Certificate) -> bool:
    """Issued by itself: same name, and its signature verifies under its own key."""
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def x5c_key_refs(
    header: Mapping[str, Any],
    *,
    key: PublicJwk,
    issuer: str,
    registered_key_refs: Collection[str],
    now: int,
    roots: Sequence[x509.Certificate] = (),
) -> list[str]:
    """The key references ``check_issuer`` decides on, for a JWS verified with ``key``.

    Without ``x5c`` that is the key's thumbprint. With ``x5c`` the chain must be anchored
    in a registered root (``verify_anchored_chain``; ``roots`` for chains that leave it
    out) and its leaf must certify ``key`` itself: a chain that vouches for some other key
    says nothing about this signature.
    """
    if "x5c" not in header:
        return [key.thumbprint()]
    anchored = verify_anchored_chain(
        header["x5c"],
        issuer=issuer,
        registered_key_refs=registered_key_refs,
        roots=roots,
        now=now,
    )
    if anchored.key.thumbprint() != key.thumbprint():
        raise Rejected(SdJwtVcReason.X5C_CHAIN_INVALID)
    return [anchored.key_ref]


class AnchoredX5cResolver:
    """``KeyResolver`` for one issuer's JWS carrying ``x5c`` (credentials, status lists).

    The chain is bound to ``issuer`` (the credential's ``iss``), whatever the payload
    says: a Status List Token names no issuer of its own that the registry could vouch
    for. After a successful ``resolve_key``, ``chain`` holds the validated chain.
    """

    __slots__ = ("_issuer", "_registered", "_roots", "chain")

    def __init__(
        self,
        *,
        issuer: str,
        registered_key_refs: Collection[str],
        roots: Sequence[x509.Certificate] = (),
    ) -> None:
        self._issuer = issuer
        self._registered = frozenset(registered_key_refs)
        self._roots = tuple(roots)
        self.chain: AnchoredChain | None = None

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        if "x5c" not in header:
            raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
        self.chain = verify_anchored_chain(
            header["x5c"],
            issuer=self._issuer,
            registered_key_refs=self._registered,
            roots=self._roots,
            now=now,
        )
        return self.chain.key
