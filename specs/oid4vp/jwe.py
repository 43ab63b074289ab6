"""Encrypted Authorization Responses for ``direct_post.jwt`` (OpenID4VP 1.0 §8.3, §8.3.1).

The Verifier puts a fresh public key in ``client_metadata.jwks`` with the content encryption
algorithms it accepts in ``encrypted_response_enc_values_supported`` (§5.1); the Wallet
encrypts the response parameters to it as an unsigned JWT in a compact JWE (§8.3) and POSTs it
as ``response``. We allow one key agreement, ``ECDH-ES`` (direct, RFC 7518 §4.6) on P-256
(HAIP), and three content encryption algorithms, ``ALLOWED_ENC``.

``decrypt_response`` checks the envelope itself before ``joserfc`` sees it, because a JWE
header is attacker-chosen and each of these has broken a JOSE library, in this order: the
size; five segments, the first a strict JSON object (the protected header); no ``crit`` (we
understand no extension); ``alg`` exactly ``ECDH-ES``; an allowed ``enc``; no ``zip``
(compression before encryption leaks, and decompression is a bomb); the ``kid`` of our key;
an ``epk`` that is a P-256 point on the curve (the invalid-curve attack recovers the private
key from answers to off-curve points); an empty encrypted key (direct agreement has none) and
strict base64url IV, ciphertext and tag. Only then does ``joserfc`` derive the key and
decrypt; the plaintext must be a strict JSON object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from specs.errors import JoseReason, Oid4vpReason, Rejected
from specs.jose import JwsAlg, b64url_decode, b64url_encode, dumps_compact, loads_strict
from specs.jose import parse_public_jwk as _parse_public_jwk
from specs.oid4vp.limits import MAX_RESPONSE_BYTES

ALG = "ECDH-ES"
ALLOWED_ENC = ("A128GCM", "A256GCM", "A128CBC-HS256")
DEFAULT_ENC = "A128GCM"
"""§5.1: without ``encrypted_response_enc_values_supported`` the Wallet uses ``A128GCM``."""
_P256_BYTES = 32
_SEGMENTS = 5


def new_response_key(kid: str | None = None) -> dict[str, str]:
    """A fresh private P-256 JWK for one request's responses (§5.1 ``jwks``: ephemeral keys).

    Every key in ``jwks`` needs a ``kid`` (§5.1); without one given, the RFC 7638 thumbprint.
    """
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.private_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.public_numbers.x.to_bytes(_P256_BYTES, "big")),
        "y": b64url_encode(numbers.public_numbers.y.to_bytes(_P256_BYTES, "big")),
    }
    thumbprint = hashlib.sha256(dumps_compact(members).encode("ascii")).digest()
    return {
        **members,
        "d": b64url_encode(numbers.private_value.to_bytes(_P256_BYTES, "big")),
        "kid": kid if kid is not None else b64url_encode(thumbprint),
        "use": "enc",
        "alg": ALG,
    }


def public_response_jwk(private_jwk: Mapping[str, str]) -> dict[str, str]:
    """The public half of a response key, for ``client_metadata.jwks``."""
    return {name: value for name, value in private_jwk.items() if name != "d"}


def response_client_metadata(
    public_jwk: Mapping[str, str], *, enc_values: Collection[str] = ALLOWED_ENC
) -> dict[str, Any]:
    """The ``client_metadata`` of a ``direct_post.jwt`` request for ``dc+sd-jwt`` (§5.1, B.3.4)."""
    if "d" in public_jwk or "kid" not in public_jwk:
        raise ValueError("client_metadata takes the public key, with its kid (§5.1)")
    if not enc_values or not set(enc_values) <= set(ALLOWED_ENC):
        raise ValueError("enc values must be a non-empty subset of ALLOWED_ENC")
    return {
        "jwks": {"keys": [dict(public_jwk)]},
        "encrypted_response_enc_values_supported": list(enc_values),
        "vp_formats_supported": {
            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
        },
    }


def select_response_key(
    client_metadata: Mapping[str, Any], *, preference: Sequence[str] | None = None
) -> tuple[dict[str, Any], str]:
    """The Wallet's choice (§8.3): the first usable key in ``jwks`` and a usable ``enc``.

    A usable key is an EC P-256 key with ``alg`` ``ECDH-ES`` (§8.3: "The ``alg`` parameter
    MUST be present") whose ``use`` is absent or ``enc``: none is ``JWE_KEY_MISMATCH``. The
    ``enc`` is the Verifier's first listed value we allow (default ``A128GCM``), or, with a
    ``preference`` (the wallet's own order, e.g. HAIP's "SHOULD use ``A256GCM``"), the first
    of ``preference`` the Verifier offers: none is ``JWE_ENC``. Metadata of the wrong shape
    is ``MALFORMED_REQUEST_OBJECT``.
    """
    malformed = Oid4vpReason.MALFORMED_REQUEST_OBJECT
    jwks = client_metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise Rejected(malformed)
    usable = [key for key in keys if isinstance(key, dict) and _usable_recipient(key)]
    if not usable:
        raise Rejected(Oid4vpReason.JWE_KEY_MISMATCH)
    offered = client_metadata.get("encrypted_response_enc_values_supported", [DEFAULT_ENC])
    if not isinstance(offered, list) or not offered:
        raise Rejected(malformed)
    if preference is not None:
        if not set(preference) <= set(ALLOWED_ENC):
            raise ValueError("a preference names only ALLOWED_ENC values")
        offered = [enc for enc in preference if enc in offered]
    for enc in offered:
        if enc in ALLOWED_ENC:
            return usable[0], enc
    raise Rejected(Oid4vpReason.JWE_ENC)


def _usable_recipient(jwk: Mapping[str, Any]) -> bool:
    try:
        _recipient_key(jwk)
    except Rejected:
        return False
    return True


def _recipient_key(jwk: Mapping[str, Any]) -> ECKey:
    """A Verifier's public encryption key: P-256, ``alg`` ``ECDH-ES``, ``use`` enc or absent."""
    if jwk.get("alg") != ALG:
        raise Rejected(Oid4vpReason.JWE_ALG)
    if jwk.get("use", "enc") != "enc":
        raise Rejected(JoseReason.BAD_JWK)
    members = {name: jwk.get(name) for name in ("kty", "crv", "x", "y")}
    key = _parse_public_jwk(members)  # on-curve check, no private members
    if key.alg is not JwsAlg.ES256:
        raise Rejected(JoseReason.BAD_JWK)
    return ECKey.import_key(dict(key.members))


def encrypt_response(payload: Mapping[str, Any], *, recipient: Mapping[str, Any], enc: str) -> str:
    """The Wallet's compact JWE of the response parameters (§8.3), with the key's ``kid``."""
    if enc not in ALLOWED_ENC:
        raise Rejected(Oid4vpReason.JWE_ENC)
    if "d" in recipient:
        raise Rejected(JoseReason.PRIVATE_KEY_MATERIAL)
    key = _recipient_key(recipient)
    header: dict[str, Any] = {"alg": ALG, "enc": enc}
    if isinstance(recipient.get("kid"), str):
        header["kid"] = recipient["kid"]
    registry = jwe.JWERegistry(algorithms=[ALG, enc])
    plaintext = dumps_compact(dict(payload)).encode("utf-8")
    return jwe.encrypt_compact(header, plaintext, key, registry=registry)


def decrypt_response(
    token: object,
    *,
    private_jwk: Mapping[str, str],
    allowed_enc: Collection[str] = ALLOWED_ENC,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> dict[str, Any]:
    """Check and decrypt a ``response`` JWE (§8.3.1); the module docstring lists the rules."""
    key = _private_key(private_jwk)
    if not isinstance(token, str):
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    if len(token) > max_bytes:
        raise Rejected(Oid4vpReason.JWE_TOO_LARGE)
    header = _protected_header(token)
    enc = _check_header(header, private_jwk, allowed_enc)
    _check_segments(token)
    registry = jwe.JWERegistry(algorithms=[ALG, enc], strict_check_header=False)
    registry.max_ciphertext_length = max_bytes
    registry.max_protected_header_length = max_bytes
    try:
        plaintext = jwe.decrypt_compact(token, key, registry=registry).plaintext
    except (JoseError, ValueError, TypeError):
        raise Rejected(Oid4vpReason.JWE_DECRYPTION_FAILED) from None
    try:
        payload = loads_strict(plaintext or b"")
    except Rejected:
        raise Rejected(Oid4vpReason.MALFORMED_RESPONSE) from None
    if not isinstance(payload, dict):
        raise Rejected(Oid4vpReason.MALFORMED_RESPONSE)
    return payload


def _private_key(private_jwk: Mapping[str, str]) -> ECKey:
    """Our own key (configuration, not input): a P-256 private JWK, or a programming error."""
    if (
        private_jwk.get("kty") != "EC"
        or private_jwk.get("crv") != "P-256"
        or "d" not in private_jwk
    ):
        raise ValueError("the response key is a private EC P-256 JWK")
    return ECKey.import_key(dict(private_jwk))


def _protected_header(token: str) -> dict[str, Any]:
    """Five segments, the first a strict base64url JSON object: the header, not yet trusted."""
    if not token.isascii():
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    parts = token.split(".")
    if len(parts) != _SEGMENTS or not parts[0]:
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    try:
        header = loads_strict(b64url_decode(parts[0]))
    except Rejected:
        raise Rejected(Oid4vpReason.MALFORMED_JWE) from None
    if not isinstance(header, dict):
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    return header


def _check_segments(token: str) -> None:
    """RFC 7516 §7.1 with direct key agreement (RFC 7518 §4.6): the encrypted key is empty;
    IV, ciphertext and tag are present and strict base64url."""
    _, encrypted_key, *rest = token.split(".")
    if encrypted_key or not all(rest):
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    try:
        for segment in rest:
            b64url_decode(segment)
    except Rejected:
        raise Rejected(Oid4vpReason.MALFORMED_JWE) from None


def _check_header(
    header: Mapping[str, Any], private_jwk: Mapping[str, str], allowed_enc: Collection[str]
) -> str:
    """The header rules, in the order of the module docstring; returns the ``enc``."""
    if "crit" in header:
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    if header.get("alg") != ALG:
        raise Rejected(Oid4vpReason.JWE_ALG)
    enc = header.get("enc")
    if type(enc) is not str or enc not in ALLOWED_ENC or enc not in allowed_enc:
        raise Rejected(Oid4vpReason.JWE_ENC)
    if "zip" in header:
        raise Rejected(Oid4vpReason.JWE_ZIP)
    if "kid" in header and header["kid"] != private_jwk.get("kid"):
        raise Rejected(Oid4vpReason.JWE_KEY_MISMATCH)
    for name in ("apu", "apv"):
        value = header.get(name)
        if name in header and (type(value) is not str or not _is_b64url(value)):
            raise Rejected(Oid4vpReason.MALFORMED_JWE)
    _check_epk(header.get("epk"))
    return enc


def _check_epk(epk: object) -> None:
    """RFC 7518 §4.6.1.1 ``epk``: a public EC P-256 key whose point is on the curve."""
    if not isinstance(epk, dict) or epk.get("kty") != "EC" or epk.get("crv") != "P-256":
        raise Rejected(Oid4vpReason.JWE_EPK_INVALID)
    try:
        _parse_public_jwk(epk)  # 32-byte coordinates, a point on P-256, no "d"
    except Rejected:
        raise Rejected(Oid4vpReason.JWE_EPK_INVALID) from None


def _is_b64url(value: str) -> bool:
    try:
        b64url_decode(value)
    except Rejected:
        return False
    return True


def response_key_id(token: str, *, max_bytes: int) -> str | None:
    """The ``kid`` of a JWE's protected header, ``None`` without one: the verifier's lookup of
    which key (and so which transaction) a response is for (§8.3).

    Only a lookup key: ``decrypt_response`` checks the whole header again before using it.
    """
    if len(token) > max_bytes:
        raise Rejected(Oid4vpReason.JWE_TOO_LARGE)
    if token.count(".") != _SEGMENTS - 1:
        raise Rejected(Oid4vpReason.MALFORMED_JWE)
    try:
        header = loads_strict(b64url_decode(token.split(".", 1)[0]))
    except Rejected:
        raise Rejected(Oid4vpReason.MALFORMED_JWE) from None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None
