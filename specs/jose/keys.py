"""Public and private JWKs for the signature algorithms we allow (RFC 7517, RFC 7518 §6, RFC 8037).

Only two key types exist here, and each key verifies exactly one algorithm:

* ``EC`` on ``P-256`` -> ``ES256`` (the baseline, HAIP);
* ``OKP`` on ``Ed25519`` -> ``Ed25519`` (RFC 9864's fully specified name; optional).

Parsing a public key refuses private members (``d``, RSA's ``p``/``q``/...), symmetric
keys (``kty: oct``: a MAC key must never be accepted where a public key is expected, see
CVE-2022-29217), other curves, and points not on the curve. A JWK ``alg`` member, when
present, binds the key to that algorithm (RFC 7517 §4.4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from specs.errors import JoseReason, Rejected
from specs.jose.encoding import b64url_decode, b64url_encode
from specs.jose.strict_json import dumps_compact


class JwsAlg(StrEnum):
    """Signature algorithms we can produce and check. Allowlists are subsets of this."""

    ES256 = "ES256"
    ED25519 = "Ed25519"


_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_P256_COORDINATE_BYTES = 32
_P256 = ec.SECP256R1()
_ED25519_KEY_BYTES = 32

PublicKeyObject = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKeyObject = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class PublicJwk:
    """A parsed, validated public key and the one algorithm it verifies."""

    alg: JwsAlg
    key: PublicKeyObject
    members: Mapping[str, str]
    """The RFC 7638 required members only: what the key *is*, without metadata."""
    declared_alg: str | None = None
    kid: str | None = field(default=None, compare=False)

    def thumbprint(self) -> str:
        """RFC 7638 §3 JWK thumbprint with SHA-256, base64url."""
        canonical = dumps_compact(dict(sorted(self.members.items())))
        return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())

    def to_jwk(self) -> dict[str, str]:
        jwk = dict(self.members)
        if self.kid is not None:
            jwk["kid"] = self.kid
        return jwk


@runtime_checkable
class JwsSigner(Protocol):
    """Anything that can sign a JWS: a ``PrivateJwk`` in memory, or a key in an HSM or KMS.

    The key never has to leave its store: callers hand over the JWS signing input and get
    the signature back, in JWS form (RFC 7518 §3.4 for ES256: ``r || s``, 64 bytes).
    """

    @property
    def alg(self) -> JwsAlg: ...

    @property
    def public(self) -> PublicJwk: ...

    def sign(self, signing_input: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class PrivateJwk:
    """A private signing key with its public half."""

    key: PrivateKeyObject
    public: PublicJwk

    @property
    def alg(self) -> JwsAlg:
        return self.public.alg

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature over ``signing_input`` (RFC 7518 §3.4: raw ``r || s`` for ES256)."""
        from specs.jose.jws import raw_signature  # noqa: PLC0415 - jws imports keys

        return raw_signature(self, signing_input)

    def to_jwk(self) -> dict[str, str]:
        """The private JWK, ``d`` included: for files with restricted permissions only."""
        jwk = self.public.to_jwk()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            scalar = self.key.private_numbers().private_value
            jwk["d"] = b64url_encode(scalar.to_bytes(_P256_COORDINATE_BYTES, "big"))
        else:
            raw = self.key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url_encode(raw)
        return jwk


def _member(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise Rejected(JoseReason.BAD_JWK)
    raw = b64url_decode(value, reason=JoseReason.BAD_JWK)
    if len(raw) != size:
        raise Rejected(JoseReason.BAD_JWK)
    return raw


def _optional_str(jwk: Mapping[str, Any], name: str) -> str | None:
    value = jwk.get(name)
    if value is not None and type(value) is not str:
        raise Rejected(JoseReason.BAD_JWK)
    return value


def parse_public_jwk(jwk: object) -> PublicJwk:
    """Validate a public JWK; private or symmetric material is refused, never ignored."""
    if not isinstance(jwk, Mapping):
        raise Rejected(JoseReason.BAD_JWK)
    if not _PRIVATE_MEMBERS.isdisjoint(jwk):
        raise Rejected(JoseReason.PRIVATE_KEY_MATERIAL)
    return _parse_public(jwk)


def _parse_public(jwk: Mapping[str, Any]) -> PublicJwk:
    kty, crv = jwk.get("kty"), jwk.get("crv")
    declared_alg, kid = _optional_str(jwk, "alg"), _optional_str(jwk, "kid")
    if jwk.get("use", "sig") != "sig":
        raise Rejected(JoseReason.BAD_JWK)
    if kty == "EC" and crv == "P-256":
        x = _member(jwk, "x", _P256_COORDINATE_BYTES)
        y = _member(jwk, "y", _P256_COORDINATE_BYTES)
        try:
            key: PublicKeyObject = ec.EllipticCurvePublicKey.from_encoded_point(
                _P256, b"\x04" + x + y
            )
        except ValueError:  # not on the curve
            raise Rejected(JoseReason.BAD_JWK) from None
        members = {"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
        return PublicJwk(JwsAlg.ES256, key, members, declared_alg, kid)
    if kty == "OKP" and crv == "Ed25519":
        x = _member(jwk, "x", _ED25519_KEY_BYTES)
        try:
            key = ed25519.Ed25519PublicKey.from_public_bytes(x)
        except ValueError:
            raise Rejected(JoseReason.BAD_JWK) from None
        members = {"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}
        return PublicJwk(JwsAlg.ED25519, key, members, declared_alg, kid)
    raise Rejected(JoseReason.BAD_JWK)


def parse_private_jwk(jwk: object) -> PrivateJwk:
    """Load a private JWK and check that ``d`` belongs to the public members given."""
    if not isinstance(jwk, Mapping) or not isinstance(jwk.get("d"), str):
        raise Rejected(JoseReason.BAD_JWK)
    public_members = {k: v for k, v in jwk.items() if k not in _PRIVATE_MEMBERS}
    public = _parse_public(public_members)
    if public.alg is JwsAlg.ES256:
        d = int.from_bytes(_member(jwk, "d", _P256_COORDINATE_BYTES), "big")
        try:
            private: PrivateKeyObject = ec.derive_private_key(d, ec.SECP256R1())
        except ValueError:
            raise Rejected(JoseReason.BAD_JWK) from None
    else:
        private = ed25519.Ed25519PrivateKey.from_private_bytes(
            _member(jwk, "d", _ED25519_KEY_BYTES)
        )
    if _public_jwk_of(private, kid=None).members != public.members:
        raise Rejected(JoseReason.BAD_JWK)
    return PrivateJwk(private, public)


def public_jwk_from_key(key: object, *, kid: str | None = None) -> PublicJwk:
    """A loaded public key (e.g. a certificate's) as a ``PublicJwk``, or ``bad-jwk``.

    Only P-256 and Ed25519 keys qualify; anything else is refused like an unusable JWK.
    """
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        members = {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url_encode(numbers.x.to_bytes(_P256_COORDINATE_BYTES, "big")),
            "y": b64url_encode(numbers.y.to_bytes(_P256_COORDINATE_BYTES, "big")),
        }
        return PublicJwk(JwsAlg.ES256, key, members, None, kid)
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(raw)}
        return PublicJwk(JwsAlg.ED25519, key, members, None, kid)
    raise Rejected(JoseReason.BAD_JWK)


def _public_jwk_of(private: PrivateKeyObject, *, kid: str | None) -> PublicJwk:
    return public_jwk_from_key(private.public_key(), kid=kid)


def generate_private_key(alg: JwsAlg = JwsAlg.ES256, *, kid: str | None = None) -> PrivateJwk:
    """A fresh key from the operating system's CSPRNG (through ``cryptography``).

    Key generation and ECDSA nonces are the only randomness the core does not take as a
    parameter: both must come from a CSPRNG, and ``cryptography`` offers no seam for it.
    """
    private: PrivateKeyObject
    if alg is JwsAlg.ES256:
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    return PrivateJwk(private, _public_jwk_of(private, kid=kid))
