"""Disclosures (RFC 9901 §4.2): building, parsing and digesting them.

A Disclosure is base64url(JSON array): ``[salt, name, value]`` for an object property
(§4.2.1) or ``[salt, value]`` for an array element (§4.2.2). Its digest is taken over the
base64url *string* as sent (§4.2.3), never over a re-encoding, so two encodings of the same
claim have different digests; that is why base64url decoding is strict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

from specs.errors import JoseReason, Rejected, SdJwtReason
from specs.jose import b64url_decode, b64url_encode, dumps_compact, loads_strict
from specs.jose.strict_json import encode_json_string

HashFunction = Callable[[bytes], Any]
#: IANA "Named Information Hash Algorithm" names we accept for ``_sd_alg`` (§4.1.1).
#: The names are case-sensitive; truncated variants (``sha-256-32``) are not secure (§10.9).
HASH_ALGORITHMS: dict[str, HashFunction] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
DEFAULT_HASH_ALG = "sha-256"
SALT_BYTES = 16  # 128 bits, RFC 9901 §9.3
RESERVED_CLAIM_NAMES = frozenset({"_sd", "...", "_sd_alg"})
_OBJECT_PROPERTY_ARITY = 3
_ARRAY_ELEMENT_ARITY = 2


class Disclosure(NamedTuple):
    """One parsed Disclosure; ``name`` is ``None`` for an array element.

    A NamedTuple rather than a frozen dataclass: equally immutable, and built in C, which
    matters at a dozen Disclosures per presentation.
    """

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str


def digest_of(encoded: str, hash_alg: str = DEFAULT_HASH_ALG) -> str:
    """§4.2.3: base64url(hash(ASCII(disclosure string)))."""
    return b64url_encode(HASH_ALGORITHMS[hash_alg](encoded.encode("ascii")).digest())


def parse_disclosure(encoded: str, *, hash_alg: str) -> Disclosure:
    """Decode and check one Disclosure; the caller checks where it is referenced from."""
    raw = b64url_decode(encoded)
    try:
        decoded = loads_strict(raw)
    except Rejected as exc:
        if exc.reason is JoseReason.BAD_JSON:
            raise Rejected(SdJwtReason.DISCLOSURE_NOT_ARRAY) from None
        raise
    if not isinstance(decoded, list):
        raise Rejected(SdJwtReason.DISCLOSURE_NOT_ARRAY)
    if len(decoded) == _OBJECT_PROPERTY_ARITY:
        salt, name, value = decoded
        if not isinstance(name, str):
            raise Rejected(SdJwtReason.DISCLOSURE_BAD_CLAIM_NAME)
        if name in RESERVED_CLAIM_NAMES:
            raise Rejected(SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME)
    elif len(decoded) == _ARRAY_ELEMENT_ARITY:
        salt, value = decoded
        name = None
    else:
        raise Rejected(SdJwtReason.DISCLOSURE_WRONG_ARITY)
    if not isinstance(salt, str) or not salt:
        raise Rejected(SdJwtReason.DISCLOSURE_BAD_SALT)
    return Disclosure(encoded, salt, name, value, digest_of(encoded, hash_alg))


def _array_text(salt: str, name: str | None, value: Any) -> str:
    """``dumps_compact([salt, name, value])``, written out for the common leaf values.

    Most Disclosures carry a string, integer, boolean or null; building their JSON text
    directly saves an encoder per Disclosure. Anything else (objects, arrays, floats) goes
    through ``dumps_compact``; the output is byte-for-byte the same either way.
    """
    kind = type(value)
    if kind is str:
        text = encode_json_string(value)
    elif kind is bool:
        text = "true" if value else "false"
    elif kind is int:
        text = int.__repr__(value)
    elif value is None:
        text = "null"
    else:
        array = [salt, value] if name is None else [salt, name, value]
        return dumps_compact(array)
    head = encode_json_string(salt)
    if name is None:
        return f"[{head},{text}]"
    return f"[{head},{encode_json_string(name)},{text}]"


def build_disclosure(salt: str, name: str | None, value: Any, *, hash_alg: str) -> Disclosure:
    """Encode a Disclosure as compact UTF-8 JSON (§4.2.1 allows any valid JSON encoding)."""
    encoded = b64url_encode(_array_text(salt, name, value).encode("utf-8"))
    return Disclosure(encoded, salt, name, value, digest_of(encoded, hash_alg))


def new_salt(random_bytes: Callable[[int], bytes]) -> str:
    """A 128-bit salt from the caller's CSPRNG, base64url-encoded (§4.2.1, §9.3)."""
    return b64url_encode(random_bytes(SALT_BYTES))
