"""Transaction data: what the End-User authorises, bound into the Key Binding JWT.

OpenID4VP 1.0 §5.1 ``transaction_data``: a non-empty array of strings, each the base64url
encoding of a JSON object with a string ``type`` and a non-empty ``credential_ids`` array
naming Credential Queries of the request's DCQL query. §8.4: the Wallet includes a
representation of each item in the presentation; Appendix B.3.3.1 profiles this for SD-JWT VC:
the KB-JWT carries ``transaction_data_hashes``, the hashes of the strings *as received*
("base64url decoding is not performed before hashing"), and ``transaction_data_hashes_alg``
when the request named algorithms (``sha-256`` otherwise, and the only one we support).

The verifier binds the purpose of its request (regulation, version, legal basis) this way, so
the citizen's signature covers what they agreed to (DESIGN §1 verifier/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from specs.errors import Oid4vpReason, Rejected
from specs.jose import b64url_decode, b64url_encode, dumps_compact, loads_strict
from specs.oid4vp.limits import (
    MAX_IDENTIFIER_LENGTH,
    MAX_TRANSACTION_DATA_CHARS,
    MAX_TRANSACTION_DATA_ITEMS,
)

HASH_ALG = "sha-256"
"""The IANA "Hash Name String" of the one hash we compute (B.3.3.1 default, mandatory)."""
_R = Oid4vpReason.MALFORMED_TRANSACTION_DATA
_HASHES = "transaction_data_hashes"
_HASHES_ALG = "transaction_data_hashes_alg"


def encode_transaction_data(obj: Mapping[str, Any]) -> str:
    """One ``transaction_data`` string: base64url of the compact JSON of ``obj`` (§5.1)."""
    if type(obj.get("type")) is not str or not obj.get("credential_ids"):
        raise ValueError("transaction data needs a type and credential_ids (§5.1)")
    return b64url_encode(dumps_compact(dict(obj)).encode("utf-8"))


def decode_transaction_data(text: object, *, credential_ids: Collection[str]) -> dict[str, Any]:
    """Decode and check one ``transaction_data`` string (§5.1; B.3.3.1 for the hash alg).

    ``type`` is a non-empty string; ``credential_ids`` a non-empty array of distinct strings,
    each the ``id`` of a Credential Query of the request (``credential_ids`` here). When
    ``transaction_data_hashes_alg`` is present it is a non-empty array of strings that must
    offer ``sha-256``, the only hash we compute. Whether the ``type`` is one the caller
    understands is the caller's decision (§5.1: an unrecognised type is an error).
    """
    if type(text) is not str or not text or len(text) > MAX_TRANSACTION_DATA_CHARS:
        raise Rejected(_R)
    try:
        obj = loads_strict(b64url_decode(text))
    except Rejected:
        raise Rejected(_R) from None
    if not isinstance(obj, dict):
        raise Rejected(_R)
    kind = obj.get("type")
    if type(kind) is not str or not kind or len(kind) > MAX_IDENTIFIER_LENGTH:
        raise Rejected(_R)
    ids = _string_array(obj.get("credential_ids"))
    if len(set(ids)) != len(ids) or not set(ids) <= set(credential_ids):
        raise Rejected(_R)
    if _HASHES_ALG in obj and HASH_ALG not in _string_array(obj[_HASHES_ALG]):
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_ALG)
    return obj


def _string_array(value: object) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_TRANSACTION_DATA_ITEMS:
        raise Rejected(_R)
    if not all(type(item) is str and 0 < len(item) <= MAX_IDENTIFIER_LENGTH for item in value):
        raise Rejected(_R)
    return value


def transaction_data_hash(text: str, alg: str = HASH_ALG) -> str:
    """base64url(hash(ASCII bytes of the string as sent)), B.3.3.1; only ``sha-256``."""
    if alg != HASH_ALG:
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_ALG)
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise Rejected(_R) from None
    return b64url_encode(hashlib.sha256(raw).digest())


def check_transaction_data_hashes(
    kb_payload: Mapping[str, Any], transaction_data: Sequence[str]
) -> None:
    """The KB-JWT answers exactly the transaction data it was asked to authorise (B.3.3.1).

    ``transaction_data`` are the strings of the request that this presentation must
    authorise (those whose ``credential_ids`` name its Credential Query). With none, the
    KB-JWT must carry no hashes either. Otherwise ``transaction_data_hashes`` is required
    (``TRANSACTION_DATA_HASHES_MISSING``) and must hold the hash of every item and nothing
    else, in any order (``TRANSACTION_DATA_HASH_MISMATCH``); ``transaction_data_hashes_alg``,
    when present, is ``sha-256`` (``TRANSACTION_DATA_HASH_ALG``).
    """
    if isinstance(transaction_data, str):
        raise TypeError("transaction_data is a sequence of strings, not one string")
    if _HASHES_ALG in kb_payload and kb_payload[_HASHES_ALG] != HASH_ALG:
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_ALG)
    if not transaction_data:
        if _HASHES in kb_payload:
            raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH)
        return
    if _HASHES not in kb_payload:
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING)
    hashes = kb_payload[_HASHES]
    if not isinstance(hashes, list) or not all(type(item) is str for item in hashes):
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH)
    expected = sorted(transaction_data_hash(item) for item in transaction_data)
    if sorted(hashes) != expected:
        raise Rejected(Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH)
