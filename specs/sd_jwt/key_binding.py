"""Key Binding JWTs (RFC 9901 §4.3 creation, §7.3 verification).

Whether a KB-JWT is required is the verifier's policy, passed in as ``KeyBindingRequired``
or ``NoKeyBinding``; it is never inferred from whether the holder sent one (§7.3, THREATS
K-01, K-11). The holder's key comes only from the credential's ``cnf.jwk`` (RFC 7800 §3.2):
never from the KB-JWT's own header, never from a URL (``jku``, ``kid``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Rejected, SdJwtReason
from specs.jose import (
    JwsAlg,
    JwsSigner,
    PublicJwk,
    check_header,
    constant_time_equals,
    numeric_date,
    parse_compact_jws,
    parse_public_jwk,
    sign_compact_jws,
    verify_signature,
)
from specs.sd_jwt.disclosure import digest_of

KB_JWT_TYP = "kb+jwt"
DEFAULT_MAX_AGE = 300
DEFAULT_LEEWAY = 60
MAX_KB_JWT_CHARS = 8 * 1024


@dataclass(frozen=True, slots=True)
class KeyBindingRequired:
    """The verifier requires proof of possession bound to this nonce and audience.

    ``max_age`` bounds how old the KB-JWT's ``iat`` may be; ``leeway`` how far in the future.
    """

    nonce: str
    audience: str
    max_age: int = DEFAULT_MAX_AGE
    leeway: int = DEFAULT_LEEWAY

    def __post_init__(self) -> None:
        # A programming error, not bad input: an empty expectation would match an empty claim.
        if not (isinstance(self.nonce, str) and self.nonce):
            raise ValueError("KeyBindingRequired.nonce must be a non-empty string")
        if not (isinstance(self.audience, str) and self.audience):
            raise ValueError("KeyBindingRequired.audience must be a non-empty string")


@dataclass(frozen=True, slots=True)
class NoKeyBinding:
    """The verifier expects a plain SD-JWT; a KB-JWT that is sent anyway is refused (§4)."""


KeyBindingPolicy = KeyBindingRequired | NoKeyBinding


@dataclass(frozen=True, slots=True)
class VerifiedKeyBinding:
    holder_key: PublicJwk
    nonce: str
    audience: str
    issued_at: float
    claims: dict[str, Any]
    """The whole KB-JWT payload, e.g. for ``transaction_data_hashes`` (OpenID4VP B.3.5)."""


def sd_hash_of(sd_hash_input: str, hash_alg: str) -> str:
    """§4.3.1: hash over the US-ASCII bytes of ``<JWT>~<D1>~...~<Dn>~``.

    The same construction as a Disclosure digest (§4.2.3), over a different string.
    """
    return digest_of(sd_hash_input, hash_alg)


def holder_key_from_cnf(claims: Mapping[str, Any]) -> PublicJwk:
    """The holder's public key from ``cnf.jwk`` (RFC 7800 §3.2); nothing else is accepted."""
    cnf = claims.get("cnf")
    if cnf is None:
        raise Rejected(SdJwtReason.HOLDER_KEY_MISSING)
    if not isinstance(cnf, Mapping) or "jwk" not in cnf:
        raise Rejected(SdJwtReason.HOLDER_KEY_UNSUPPORTED)
    try:
        return parse_public_jwk(cnf["jwk"])
    except Rejected:
        raise Rejected(SdJwtReason.HOLDER_KEY_UNSUPPORTED) from None


def build_kb_jwt(
    *,
    sd_hash_input: str,
    hash_alg: str,
    holder_key: JwsSigner,
    nonce: str,
    audience: str,
    now: int,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """Sign a KB-JWT over the presentation (§4.3): ``iat``, ``aud``, ``nonce``, ``sd_hash``."""
    claims: dict[str, Any] = dict(extra_claims or {})
    claims.update(iat=now, aud=audience, nonce=nonce, sd_hash=sd_hash_of(sd_hash_input, hash_alg))
    return sign_compact_jws(claims, key=holder_key, typ=KB_JWT_TYP)


def verify_kb_jwt(
    kb_jwt: str,
    *,
    holder_key: PublicJwk,
    policy: KeyBindingRequired,
    sd_hash_input: str,
    hash_alg: str,
    now: int,
    algorithms: frozenset[JwsAlg],
) -> VerifiedKeyBinding:
    """§7.3 steps 5.1-5.5: typ, signature by the ``cnf`` key, claims, freshness, sd_hash."""
    jws = parse_compact_jws(kb_jwt, max_bytes=MAX_KB_JWT_CHARS)
    alg = check_header(jws.header, key=holder_key, algorithms=algorithms, typ=KB_JWT_TYP)
    verify_signature(jws, key=holder_key, alg=alg)
    claims = jws.payload
    for name in ("iat", "nonce", "aud", "sd_hash"):
        if name not in claims:
            raise Rejected(SdJwtReason.KB_CLAIM_MISSING)
    issued_at = numeric_date(claims, "iat")
    assert issued_at is not None
    nonce, audience = claims["nonce"], claims["aud"]
    if not isinstance(nonce, str) or not constant_time_equals(nonce, policy.nonce):
        raise Rejected(SdJwtReason.KB_NONCE_MISMATCH)
    # A single string is required: an array that contains us is an audience for others too.
    if not isinstance(audience, str) or audience != policy.audience:
        raise Rejected(SdJwtReason.KB_AUDIENCE_MISMATCH)
    if not now - policy.max_age <= issued_at <= now + policy.leeway:
        raise Rejected(SdJwtReason.KB_IAT_OUT_OF_WINDOW)
    sd_hash = claims["sd_hash"]
    if not isinstance(sd_hash, str) or not constant_time_equals(
        sd_hash, sd_hash_of(sd_hash_input, hash_alg)
    ):
        raise Rejected(SdJwtReason.KB_SD_HASH_MISMATCH)
    return VerifiedKeyBinding(holder_key, nonce, audience, issued_at, claims)
