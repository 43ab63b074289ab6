"""Key attestations in JWT format (OpenID4VCI 1.0 Appendix D; HAIP §4.5.1).

The wallet provider vouches for keys the wallet holds: where they are stored and how the
user unlocks them. An issuer that relies on it binds credentials only to attested keys. The
JWT (D.1), after the provider's envelope (``provider_jwt``: ``typ``
``key-attestation+jwt``, ES256, ``x5c`` to the caller's roots, time claims):

* ``iat`` REQUIRED (``CLAIM_MISSING``); ``exp`` REQUIRED when the attestation rides in a
  ``jwt`` proof (D.1), so the caller says when it must be there
  (``KEY_ATTESTATION_EXPIRY_MISSING``);
* ``attested_keys`` REQUIRED, a non-empty array of public JWKs (``ATTESTED_KEYS_INVALID``),
  no more than the caller's bound (``TOO_MANY_ATTESTED_KEYS``), none private
  (``ATTESTED_KEY_PRIVATE``), none twice (``ATTESTED_KEYS_REPEATED``: one key, one
  credential);
* ``key_storage`` and ``user_authentication``, when present, non-empty arrays of strings
  (``MALFORMED_CLAIM``); when the caller requires levels (D.2, e.g. ``iso_18045_high``), the
  attestation names one of them (``KEY_STORAGE_INSUFFICIENT``,
  ``USER_AUTHENTICATION_INSUFFICIENT``); an absent claim meets no requirement;
* ``nonce``, a string, present when the caller requires it (F.1, F.3: the issuer has a Nonce
  Endpoint): ``KEY_ATTESTATION_NONCE_MISSING``; whether it is a ``c_nonce`` the issuer gave is
  the caller's check against its nonce store;
* ``status`` an object when present (returned for the caller's status check);
  ``certification`` a string when present; ``iss`` a string when present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.attestation.provider_jwt import (
    MAX_STRING_CLAIM,
    WalletProviderRoots,
    optional_object,
    optional_string,
    required_time,
    time_claim,
    verify_provider_signed,
)
from specs.errors import AttestationReason, JoseReason, Rejected
from specs.jose import JwsSigner, PublicJwk, parse_public_jwk, sign_compact_jws

KEY_ATTESTATION_TYP = "key-attestation+jwt"
ISO_18045_LEVELS = (
    "iso_18045_high",
    "iso_18045_moderate",
    "iso_18045_enhanced-basic",
    "iso_18045_basic",
)
"""Appendix D.2's attack potential resistance values, strongest first (VAN.5 to VAN.2)."""
MAX_LEVELS = 16


def iso_18045_at_least(level: str) -> frozenset[str]:
    """The D.2 values that resist at least ``level``: what to require for "``level`` or better"."""
    if level not in ISO_18045_LEVELS:
        raise ValueError("not an ISO 18045 level of OpenID4VCI Appendix D.2")
    return frozenset(ISO_18045_LEVELS[: ISO_18045_LEVELS.index(level) + 1])


@dataclass(frozen=True, slots=True)
class KeyAttestationPolicy:
    """What an issuer accepts as a key attestation.

    ``key_storage`` and ``user_authentication``: ``None`` sets no requirement; a set requires
    the attestation to name one of its values (``iso_18045_at_least`` builds one).
    ``required``: a ``jwt`` proof without a key attestation is refused (strict HAIP).
    """

    roots: WalletProviderRoots
    key_storage: frozenset[str] | None
    user_authentication: frozenset[str] | None
    max_attested_keys: int
    leeway: int
    required: bool

    def __post_init__(self) -> None:
        if self.max_attested_keys < 1 or self.leeway < 0:
            raise ValueError("max_attested_keys must be positive and leeway not negative")


@dataclass(frozen=True, slots=True)
class VerifiedKeyAttestation:
    """A key attestation that passed: the keys it vouches for, and what it says of them."""

    attested_keys: tuple[PublicJwk, ...]
    issued_at: int
    expires_at: int | None
    key_storage: tuple[str, ...]
    user_authentication: tuple[str, ...]
    nonce: str | None
    attester: str | None
    status: Mapping[str, Any] | None

    def attests(self, key: PublicJwk) -> bool:
        """Whether ``key`` is one of the attested keys (RFC 7638 thumbprints compared)."""
        thumbprint = key.thumbprint()
        return any(attested.thumbprint() == thumbprint for attested in self.attested_keys)


def build_key_attestation(
    *,
    provider_key: JwsSigner,
    x5c: Sequence[str],
    attested_keys: Sequence[PublicJwk],
    now: int,
    lifetime: int,
    nonce: str | None,
    key_storage: Sequence[str],
    user_authentication: Sequence[str],
    attester: str | None = None,
) -> str:
    """A key attestation (D.1) over ``attested_keys``, valid ``lifetime`` seconds.

    Empty ``key_storage`` or ``user_authentication`` leave the claim out (D.1: when present,
    non-empty); ``exp`` is always set, so the attestation also serves in a ``jwt`` proof.
    """
    if not attested_keys or lifetime < 1:
        raise ValueError("a key attestation needs keys and a positive lifetime")
    claims: dict[str, Any] = {
        "iat": now,
        "exp": now + lifetime,
        "attested_keys": [key.to_jwk() for key in attested_keys],
    }
    optional = {
        "iss": attester,
        "nonce": nonce,
        "key_storage": list(key_storage) or None,
        "user_authentication": list(user_authentication) or None,
    }
    claims.update({name: value for name, value in optional.items() if value is not None})
    return sign_compact_jws(
        claims, key=provider_key, typ=KEY_ATTESTATION_TYP, extra_header={"x5c": list(x5c)}
    )


def verify_key_attestation(
    token: object,
    *,
    policy: KeyAttestationPolicy,
    now: int,
    require_expiry: bool,
    require_nonce: bool,
) -> VerifiedKeyAttestation:
    """Verify a key attestation (the module's rules) under ``policy`` at ``now``."""
    signed = verify_provider_signed(
        token,
        typ=KEY_ATTESTATION_TYP,
        typ_reason=AttestationReason.KEY_ATTESTATION_TYP,
        roots=policy.roots,
        now=now,
        leeway=policy.leeway,
    )
    claims = signed.claims
    issued_at = required_time(claims, "iat")
    expires_at = time_claim(claims, "exp")
    if require_expiry and expires_at is None:
        raise Rejected(AttestationReason.KEY_ATTESTATION_EXPIRY_MISSING)
    keys = _attested_keys(claims.get("attested_keys"), limit=policy.max_attested_keys)
    key_storage = _levels(claims, "key_storage")
    user_authentication = _levels(claims, "user_authentication")
    _require_level(key_storage, policy.key_storage, AttestationReason.KEY_STORAGE_INSUFFICIENT)
    _require_level(
        user_authentication,
        policy.user_authentication,
        AttestationReason.USER_AUTHENTICATION_INSUFFICIENT,
    )
    nonce = optional_string(claims, "nonce")
    if require_nonce and nonce is None:
        raise Rejected(AttestationReason.KEY_ATTESTATION_NONCE_MISSING)
    optional_string(claims, "certification")
    return VerifiedKeyAttestation(
        attested_keys=keys,
        issued_at=issued_at,
        expires_at=expires_at,
        key_storage=key_storage,
        user_authentication=user_authentication,
        nonce=nonce,
        attester=optional_string(claims, "iss"),
        status=optional_object(claims, "status"),
    )


def _attested_keys(value: object, *, limit: int) -> tuple[PublicJwk, ...]:
    if not isinstance(value, list) or not value:
        raise Rejected(AttestationReason.ATTESTED_KEYS_INVALID)
    if len(value) > limit:  # before any key is parsed
        raise Rejected(AttestationReason.TOO_MANY_ATTESTED_KEYS)
    keys = tuple(_attested_key(item) for item in value)
    if len({key.thumbprint() for key in keys}) != len(keys):
        raise Rejected(AttestationReason.ATTESTED_KEYS_REPEATED)
    return keys


def _attested_key(jwk: object) -> PublicJwk:
    try:
        return parse_public_jwk(jwk)
    except Rejected as refused:
        if refused.reason is JoseReason.PRIVATE_KEY_MATERIAL:
            raise Rejected(AttestationReason.ATTESTED_KEY_PRIVATE) from None
        raise Rejected(AttestationReason.ATTESTED_KEYS_INVALID) from None


def _levels(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """D.1: when present, a non-empty array of case-sensitive strings."""
    if name not in claims:
        return ()
    value = claims[name]
    if not isinstance(value, list) or not value or len(value) > MAX_LEVELS:
        raise Rejected(AttestationReason.MALFORMED_CLAIM)
    if not all(type(item) is str and 0 < len(item) <= MAX_STRING_CLAIM for item in value):
        raise Rejected(AttestationReason.MALFORMED_CLAIM)
    return tuple(value)


def _require_level(
    levels: tuple[str, ...], accepted: frozenset[str] | None, reason: AttestationReason
) -> None:
    if accepted is not None and accepted.isdisjoint(levels):
        raise Rejected(reason)
