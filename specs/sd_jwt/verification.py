"""Verifying an SD-JWT or SD-JWT+KB (RFC 9901 §7.1 and §7.3), all checks, in order.

1. bound the size, split the serialization (§4 / §8);
2. verify the issuer-signed JWT with a key the caller's resolver selects (§7.1 step 2):
   allowlisted ``alg`` matching the key, the caller's explicit ``typ``, no ``crit``;
3. check ``_sd_alg`` (§4.1.1), parse every Disclosure, and process the payload (§7.1 3-5);
4. check ``exp``/``nbf``/``iat`` on the processed payload (§7.1 step 5);
5. apply the key binding policy (§7.3): required -> verify the KB-JWT with ``cnf.jwk``;
   not expected -> the serialization must end in ``~``.

Everything is a required keyword argument: there is no way to skip a check by omission.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specs.errors import JoseReason, Rejected, SdJwtReason
from specs.jose import (
    JwsAlg,
    KeyResolver,
    PublicJwk,
    check_time_claims,
    loads_strict,
    parse_compact_jws,
    verify_jws,
)
from specs.sd_jwt.disclosure import DEFAULT_HASH_ALG, HASH_ALGORITHMS, Disclosure, parse_disclosure
from specs.sd_jwt.key_binding import (
    DEFAULT_LEEWAY,
    KeyBindingPolicy,
    KeyBindingRequired,
    VerifiedKeyBinding,
    holder_key_from_cnf,
    verify_kb_jwt,
)
from specs.sd_jwt.limits import DEFAULT_LIMITS, SdJwtLimits
from specs.sd_jwt.processing import ProcessedPayload, process_payload
from specs.sd_jwt.serialization import SdJwtParts, split_compact, split_json

DEFAULT_ALGORITHMS = frozenset({JwsAlg.ES256})


@dataclass(frozen=True, slots=True)
class VerifiedSdJwt:
    """A verified SD-JWT: only values of this type reach business logic (STYLE §2)."""

    header: dict[str, Any]
    claims: dict[str, Any]
    """The processed payload: disclosed claims in place, ``_sd``/``_sd_alg`` removed."""
    issuer_key: PublicJwk
    key_binding: VerifiedKeyBinding | None
    disclosures: tuple[Disclosure, ...] = field(repr=False)
    processed: ProcessedPayload = field(repr=False)


def hash_alg_of(payload: Mapping[str, Any]) -> str:
    """``_sd_alg`` of the signed payload; absent means sha-256 (§4.1.1)."""
    hash_alg = payload.get("_sd_alg", DEFAULT_HASH_ALG)
    if not isinstance(hash_alg, str) or hash_alg not in HASH_ALGORITHMS:
        raise Rejected(SdJwtReason.SD_ALG_UNSUPPORTED)
    return hash_alg


def parse_disclosures(encoded: Sequence[str], hash_alg: str) -> list[Disclosure]:
    return [parse_disclosure(item, hash_alg=hash_alg) for item in encoded]


def verify_sd_jwt(
    token: str,
    *,
    issuer_keys: KeyResolver,
    typ: str | Collection[str],
    key_binding: KeyBindingPolicy,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
    algorithms: frozenset[JwsAlg] = DEFAULT_ALGORITHMS,
    limits: SdJwtLimits = DEFAULT_LIMITS,
) -> VerifiedSdJwt:
    """Verify a compact SD-JWT (ending in ``~``) or SD-JWT+KB."""
    parts = split_compact(token, limits=limits)
    return verify_parts(
        parts,
        issuer_keys=issuer_keys,
        typ=typ,
        key_binding=key_binding,
        now=now,
        leeway=leeway,
        algorithms=algorithms,
        limits=limits,
    )


def verify_sd_jwt_json(
    text: str,
    *,
    issuer_keys: KeyResolver,
    typ: str | Collection[str],
    key_binding: KeyBindingPolicy,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
    algorithms: frozenset[JwsAlg] = DEFAULT_ALGORITHMS,
    limits: SdJwtLimits = DEFAULT_LIMITS,
) -> VerifiedSdJwt:
    """Verify the flattened or general JWS JSON serialization (§8)."""
    if len(text) > limits.max_token_chars:
        raise Rejected(JoseReason.TOKEN_TOO_LARGE)
    parts = split_json(loads_strict(text), limits=limits)
    return verify_parts(
        parts,
        issuer_keys=issuer_keys,
        typ=typ,
        key_binding=key_binding,
        now=now,
        leeway=leeway,
        algorithms=algorithms,
        limits=limits,
    )


def verify_parts(
    parts: SdJwtParts,
    *,
    issuer_keys: KeyResolver,
    typ: str | Collection[str],
    key_binding: KeyBindingPolicy,
    now: int,
    leeway: int,
    algorithms: frozenset[JwsAlg],
    limits: SdJwtLimits,
) -> VerifiedSdJwt:
    """The shared pipeline behind both serializations."""
    if isinstance(key_binding, KeyBindingRequired) and parts.kb_jwt is None:
        raise Rejected(SdJwtReason.KEY_BINDING_MISSING)
    if not isinstance(key_binding, KeyBindingRequired) and parts.kb_jwt is not None:
        raise Rejected(SdJwtReason.KEY_BINDING_UNEXPECTED)
    header, payload, issuer_key = _verify_issuer_signature(
        parts, issuer_keys=issuer_keys, typ=typ, now=now, algorithms=algorithms, limits=limits
    )
    hash_alg = hash_alg_of(payload)
    disclosures = parse_disclosures(parts.disclosures, hash_alg)
    processed = process_payload(payload, disclosures, limits=limits)
    check_time_claims(processed.claims, now=now, leeway=leeway)
    verified_kb = None
    if isinstance(key_binding, KeyBindingRequired):
        assert parts.kb_jwt is not None
        verified_kb = verify_kb_jwt(
            parts.kb_jwt,
            holder_key=holder_key_from_cnf(processed.claims),
            policy=key_binding,
            sd_hash_input=parts.sd_hash_input,
            hash_alg=hash_alg,
            now=now,
            algorithms=algorithms,
        )
    return VerifiedSdJwt(
        header, processed.claims, issuer_key, verified_kb, tuple(disclosures), processed
    )


def _verify_issuer_signature(
    parts: SdJwtParts,
    *,
    issuer_keys: KeyResolver,
    typ: str | Collection[str],
    now: int,
    algorithms: frozenset[JwsAlg],
    limits: SdJwtLimits,
) -> tuple[dict[str, Any], dict[str, Any], PublicJwk]:
    """Verify the issuer's signature: the only one for the compact form, the first for JSON.

    In the general JSON serialization the Disclosures, the KB-JWT and ``sd_hash`` belong to
    the first signature (§8.1), so that is the one that must verify; others are not ours to
    judge.
    """
    jwt, unprotected = parts.signed_jwts[0]
    jws = parse_compact_jws(jwt, max_bytes=limits.max_token_chars)
    selection_header = jws.header
    if unprotected:  # JSON serialization only
        if unprotected.keys() & jws.header.keys():
            raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)  # RFC 7515 §7.2.1
        selection_header = {**jws.header, **unprotected}
    key = issuer_keys.resolve_key(selection_header, jws.payload, now=now)
    verified = verify_jws(jws, key=key, algorithms=algorithms, typ=typ)
    return verified.header, verified.payload, key
