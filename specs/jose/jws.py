"""Compact JWS: the only place that creates or checks signatures (RFC 7515, RFC 7519).

Two steps, so that nothing unverified reaches business logic:

``parse_compact_jws`` checks shape only (size first, then exactly three segments, strict
base64url, strict JSON objects) and returns an ``UnverifiedJws``. Its header may be read to
pick a key (``kid``, ``x5c``, ``iss``), nothing more.

``verify_jws`` checks the header against the caller's rules (algorithm allowlist, the
algorithm matches the key, explicit ``typ``, no ``crit`` we do not understand) and the
signature, and returns a ``VerifiedJws``. Keys are never taken from the header (``jwk``,
``jku``, ``x5u`` are ignored; RFC 8725 §3.10): the caller passes the key.

Signing and EdDSA verification are delegated to PyJWT's algorithm objects (which wrap
``cryptography``); the parsing around them is ours because PyJWT's parser is lax about base64
and duplicate JSON members, and because this keeps a verification at one signature's cost.
ES256 verification, two per presentation on the desk's hot path, calls ``cryptography``
directly (``_verify_es256``): it is PyJWT's conversion without its per-call allocations.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from specs.errors import JoseReason, Rejected
from specs.jose.encoding import b64url_decode, b64url_encode
from specs.jose.keys import JwsAlg, JwsSigner, PrivateJwk, PublicJwk
from specs.jose.strict_json import dumps_compact, loads_strict

DEFAULT_MAX_TOKEN_BYTES = 64 * 1024
_ES256 = ECAlgorithm(ECAlgorithm.SHA256)
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_P256_SIGNATURE_BYTES = 64
_ED25519 = OKPAlgorithm()
_SEGMENT_COUNT = 3
_KNOWN_ALGS = frozenset(alg.value for alg in JwsAlg)


class UnverifiedJws(NamedTuple):
    """Shape-checked, not yet trusted. Read the header only to choose a key."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


class VerifiedJws(NamedTuple):
    """A JWS whose signature verified under the caller's key and rules."""

    header: dict[str, Any]
    payload: dict[str, Any]
    key: PublicJwk


def _decode_object(segment: str) -> dict[str, Any]:
    value = loads_strict(b64url_decode(segment))
    if not isinstance(value, dict):
        raise Rejected(JoseReason.NOT_A_JSON_OBJECT)
    return value


def parse_compact_jws(token: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> UnverifiedJws:
    """Split and decode a compact JWS (RFC 7515 §7.1) without trusting it.

    The size check comes before any decoding so an oversized token costs nothing
    (THREATS P-21).
    """
    if len(token) > max_bytes:
        raise Rejected(JoseReason.TOKEN_TOO_LARGE)
    if not token.isascii():
        raise Rejected(JoseReason.MALFORMED_JWS)
    parts = token.split(".")
    if len(parts) != _SEGMENT_COUNT or not parts[0] or not parts[1]:
        raise Rejected(JoseReason.MALFORMED_JWS)
    header_segment, payload_segment, signature_segment = parts
    header = _decode_object(header_segment)
    payload = _decode_object(payload_segment)
    signature = b64url_decode(signature_segment)
    signing_input = token[: len(token) - len(signature_segment) - 1].encode("ascii")
    return UnverifiedJws(header, payload, signing_input, signature)


def media_type_matches(actual: object, expected: str) -> bool:
    """RFC 7515 §4.1.9: compare case-insensitively; ``application/`` may be omitted."""
    if not isinstance(actual, str):
        return False
    normalized = actual.lower()
    if normalized.startswith("application/"):
        normalized = normalized[len("application/") :]
    return normalized == expected.lower()


def check_header(
    header: Mapping[str, Any],
    *,
    key: PublicJwk,
    algorithms: Collection[JwsAlg],
    typ: str | Collection[str],
) -> JwsAlg:
    """The header rules every JWT kind shares; returns the algorithm to verify with."""
    alg = header.get("alg")
    # A JSON array or object is unhashable: test the type before the set lookup.
    if not isinstance(alg, str) or alg not in _KNOWN_ALGS or alg not in algorithms:
        raise Rejected(JoseReason.ALG_NOT_ALLOWED)
    checked_alg = JwsAlg(alg)
    if checked_alg is not key.alg or (
        key.declared_alg is not None and key.declared_alg != checked_alg
    ):
        raise Rejected(JoseReason.ALG_KEY_MISMATCH)
    allowed_types = (typ,) if isinstance(typ, str) else typ
    if not any(media_type_matches(header.get("typ"), t) for t in allowed_types):
        raise Rejected(JoseReason.TYP_MISMATCH)
    # RFC 7515 §4.1.11: a recipient MUST reject a crit extension it does not understand;
    # we understand none, and b64=false (RFC 7797) is never acceptable for a JWT.
    if "crit" in header or "b64" in header:
        raise Rejected(JoseReason.UNSUPPORTED_HEADER)
    return checked_alg


def verify_signature(jws: UnverifiedJws, *, key: PublicJwk, alg: JwsAlg) -> None:
    """Raise ``bad-signature`` unless the signature verifies (wrong length included)."""
    if alg is JwsAlg.ES256:
        valid = _verify_es256(jws.signing_input, key.key, jws.signature)  # type: ignore[arg-type]
    else:
        valid = _ED25519.verify(jws.signing_input, key.key, jws.signature)  # type: ignore[arg-type]
    if not valid:
        raise Rejected(JoseReason.BAD_SIGNATURE)


def _verify_es256(signing_input: bytes, key: ec.EllipticCurvePublicKey, signature: bytes) -> bool:
    """RFC 7518 §3.4: the signature is R || S, 32 octets each, big-endian; anything else fails.

    ``key`` is P-256: ``PublicJwk`` only carries ``ES256`` for a P-256 key.
    """
    if len(signature) != _P256_SIGNATURE_BYTES:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, signing_input, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def verify_jws(
    jws: UnverifiedJws,
    *,
    key: PublicJwk,
    algorithms: Collection[JwsAlg],
    typ: str | Collection[str],
) -> VerifiedJws:
    """Check header rules, then the signature. Every argument is required."""
    alg = check_header(jws.header, key=key, algorithms=algorithms, typ=typ)
    verify_signature(jws, key=key, alg=alg)
    return VerifiedJws(jws.header, jws.payload, key)


def sign_compact_jws(
    payload: Mapping[str, Any],
    *,
    key: JwsSigner,
    typ: str,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Create a compact JWS with ``alg`` from the key and an explicit ``typ``.

    ``key`` is any ``JwsSigner``: an in-memory ``PrivateJwk`` or a hardware-backed signer.
    """
    header: dict[str, Any] = {"alg": key.alg.value, "typ": typ}
    if extra_header:
        header.update(extra_header)
    header_segment = b64url_encode(dumps_compact(header).encode("utf-8"))
    payload_segment = b64url_encode(dumps_compact(payload).encode("utf-8"))
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    signature = key.sign(signing_input)
    return f"{header_segment}.{payload_segment}.{b64url_encode(signature)}"


def raw_signature(key: PrivateJwk, signing_input: bytes) -> bytes:
    """Sign with an in-memory key; the JWS form of the signature (RFC 7518 §3.4, RFC 8037)."""
    if key.alg is JwsAlg.ES256:
        return _ES256.sign(signing_input, key.key)  # type: ignore[arg-type]
    return _ED25519.sign(signing_input, key.key)  # type: ignore[arg-type]


def constant_time_equals(left: str, right: str) -> bool:
    """Compare two strings exactly, without leaking where they differ.

    UTF-8 with ``surrogatepass`` is injective, so distinct strings never compare equal.
    """
    return hmac.compare_digest(
        left.encode("utf-8", "surrogatepass"), right.encode("utf-8", "surrogatepass")
    )
