"""The two SD-JWT serializations (RFC 9901 §4 compact, §8 JWS JSON) split into parts.

Compact: ``<Issuer-signed JWT>~<D1>~...~<Dn>~[<KB-JWT>]``. Every component between the
JWT and the last ``~`` must be a non-empty Disclosure; the part after the last ``~`` is the
KB-JWT or empty. A token without ``~`` is a bare JWT, not an SD-JWT (THREATS P-01).

JSON (§8.1): ``disclosures`` and ``kb_jwt`` travel in the unprotected header (of the first
signature, in the general serialization). The KB-JWT's ``sd_hash`` is then computed over
the compact serialization rebuilt from it (§8.1, last paragraph).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import JoseReason, Rejected, SdJwtReason
from specs.sd_jwt.limits import SdJwtLimits

_JSON_ONLY_MEMBERS = frozenset({"disclosures", "kb_jwt"})


@dataclass(frozen=True, slots=True)
class SdJwtParts:
    """The pieces of an SD-JWT, before anything is decoded."""

    signed_jwts: tuple[tuple[str, Mapping[str, Any]], ...]
    """Compact issuer-signed JWT per signature, with that signature's unprotected header."""
    disclosures: tuple[str, ...]
    kb_jwt: str | None
    sd_hash_input: str
    """``<JWT>~<D1>~...~<Dn>~``: the string ``sd_hash`` covers (§4.3.1)."""


def split_compact(token: str, *, limits: SdJwtLimits) -> SdJwtParts:
    """Split a compact SD-JWT or SD-JWT+KB without decoding anything."""
    if len(token) > limits.max_token_chars:
        raise Rejected(JoseReason.TOKEN_TOO_LARGE)
    if not token.isascii() or "~" not in token:
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if token.count("~") - 1 > limits.max_disclosures:
        raise Rejected(SdJwtReason.TOO_MANY_DISCLOSURES)
    components = token.split("~")
    jwt, disclosures, last = components[0], components[1:-1], components[-1]
    if not jwt or "" in disclosures or "." in token[len(jwt) : len(token) - len(last)]:
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    sd_hash_input = token[: len(token) - len(last)]
    return SdJwtParts(((jwt, {}),), tuple(disclosures), last or None, sd_hash_input)


def split_json(document: object, *, limits: SdJwtLimits) -> SdJwtParts:
    """Split a flattened or general JWS JSON serialization of an SD-JWT (§8)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("payload"), str):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    entries = _signature_entries(document)
    signed = [
        _signed_jwt(document["payload"], entry, first=position == 0)
        for position, entry in enumerate(entries)
    ]
    first_header = entries[0].get("header", {})
    disclosures = first_header.get("disclosures", [])
    kb_jwt = first_header.get("kb_jwt")
    if not isinstance(disclosures, list) or not all(isinstance(d, str) and d for d in disclosures):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if len(disclosures) > limits.max_disclosures:
        raise Rejected(SdJwtReason.TOO_MANY_DISCLOSURES)
    if kb_jwt is not None and (not isinstance(kb_jwt, str) or not kb_jwt):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    sd_hash_input = "~".join([signed[0][0], *disclosures]) + "~"
    return SdJwtParts(tuple(signed), tuple(disclosures), kb_jwt, sd_hash_input)


def _signature_entries(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """RFC 7515 §7.2.1 (general) or §7.2.2 (flattened): never both at once."""
    if "signatures" not in document:
        return [document]
    entries = document["signatures"]
    if "signature" in document or "protected" in document:
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if not isinstance(entries, list) or not entries:
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if not all(isinstance(entry, Mapping) for entry in entries):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    return entries


def _signed_jwt(payload: str, entry: Mapping[str, Any], *, first: bool) -> tuple[str, Any]:
    protected, signature = entry.get("protected"), entry.get("signature")
    header = entry.get("header", {})
    if not isinstance(protected, str) or not isinstance(signature, str):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if not isinstance(header, Mapping):
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    if not first and _JSON_ONLY_MEMBERS & header.keys():
        raise Rejected(SdJwtReason.MALFORMED_SERIALIZATION)
    unprotected = {k: v for k, v in header.items() if k not in _JSON_ONLY_MEMBERS}
    return f"{protected}.{payload}.{signature}", unprotected
