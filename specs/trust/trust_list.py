"""The signed trust list: the registry as one JWS, for deployments without a chain.

DESIGN §1 trust/: backends behind one Protocol, ``chain`` and ``file`` ("a signed JSON trust
list, for deployments without a chain"). This module is the pure half of ``file``: it turns
a ``TrustSnapshot`` into a compact JWS signed by the governance key, and a token back into a
snapshot. Reading the file, caching and staleness live in ``trust/file_backend.py``.

The token is a JWS of ``typ`` ``aanspraak-trust-list+jwt``, ``ES256`` only, whose payload
mirrors ``specs.trust.model`` member for member::

    {"iss": "<governance id>", "iat": 1790000000, "exp": 1790604800,
     "issuers":   [{"issuer", "vcts": [...], "key_refs": [...],
                    "valid_from", "valid_until", "effective_from"}],
     "verifiers": [{"client_id", "permissions": {"<regulation>": ['["a","b"]', ...]},
                    "legal_basis", "valid_from", "valid_until", "effective_from"}],
     "anchors":   [{"regulation", "version": "sha256:<hex>", "valid_from": "YYYY-MM-DD",
                    "effective_from"}]}

``verify_trust_list`` checks, in this order: size and shape (``parse_compact_jws``); header
and signature under the governance key only, with an explicit ``typ`` (``verify_jws``,
RFC 8725 §3.11); ``iat`` and ``exp`` present as integers (``bad-time-claim``), then
``check_time_claims`` (``expired``, ``issued-in-future``); then every entry.

Entries are all-or-nothing: one malformed entry (a wrong type, an unknown member, a key
reference that is not 32 bytes of canonical base64url, ``valid_until <= valid_from``, a claim
path that is not in ``claim_key`` form, a duplicate identifier) rejects the whole list with
``registry-entry-malformed``. Ignoring an entry we cannot read could silently drop a removal or
a restriction, and two entries for one identifier are the ambiguity THREATS R-06 refuses.
Unknown members are refused for the same reason: a field this code does not understand may
narrow what an entry allows. The list is governance's own output, so a malformed entry is a
governance error that must be seen, and the file backend fails closed on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from specs.errors import JoseReason, Rejected, TrustReason
from specs.jose import (
    JwsAlg,
    JwsSigner,
    KeyResolver,
    PublicJwk,
    b64url_decode,
    check_time_claims,
    parse_compact_jws,
    sign_compact_jws,
    verify_jws,
)
from specs.trust.decisions import canonical_claim_key, canonical_iso_date
from specs.trust.model import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry

TRUST_LIST_TYP = "aanspraak-trust-list+jwt"
"""Explicit type, so no other JWT our keys sign can pass as a trust list (RFC 8725 §3.11)."""

TRUST_LIST_ALGORITHMS: frozenset[JwsAlg] = frozenset({JwsAlg.ES256})
"""The baseline algorithm only (DESIGN §4); a governance key is an ES256 key."""

DEFAULT_MAX_TRUST_LIST_BYTES = 1024 * 1024
"""About three thousand issuer entries; a list larger than this is refused before decoding."""

KEY_REF_BYTES = 32
"""A key reference is a SHA-256 value: an RFC 7638 thumbprint or an SPKI hash (model.py)."""

_PAYLOAD_MEMBERS = frozenset({"iss", "iat", "exp", "issuers", "verifiers", "anchors"})
_ISSUER_MEMBERS = frozenset(
    {"issuer", "vcts", "key_refs", "valid_from", "valid_until", "effective_from"}
)
_VERIFIER_MEMBERS = frozenset(
    {"client_id", "permissions", "legal_basis", "valid_from", "valid_until", "effective_from"}
)
_ANCHOR_MEMBERS = frozenset({"regulation", "version", "valid_from", "effective_from"})
_VERSION = re.compile(r"sha256:[0-9a-f]{64}")  # specs/rules/loader.py: regulation_version
_T = TypeVar("_T")


def _malformed() -> Rejected:
    return Rejected(TrustReason.MALFORMED_ENTRY)


def _object(value: object, members: frozenset[str]) -> Mapping[str, Any]:
    """A JSON object with exactly ``members``: none missing, none we do not understand."""
    if not isinstance(value, dict) or value.keys() != members:
        raise _malformed()
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _malformed()
    return value


def _seconds(value: object) -> int:
    if type(value) is not int or value < 0:
        raise _malformed()
    return value


def _texts(value: object, check: Callable[[object], str] = _text) -> frozenset[str]:
    """A JSON array of distinct strings: one spelling per list, so duplicates are refused."""
    if not isinstance(value, list):
        raise _malformed()
    items = frozenset(check(item) for item in value)
    if len(items) != len(value):
        raise _malformed()
    return items


def _key_ref(value: object) -> str:
    """32 bytes of canonical base64url: anything else could never match a computed hash."""
    text = _text(value)
    try:
        raw = b64url_decode(text)
    except Rejected:
        raise _malformed() from None
    if len(raw) != KEY_REF_BYTES:
        raise _malformed()
    return text


def _claim(value: object) -> str:
    return canonical_claim_key(_text(value))


def _window(entry: Mapping[str, Any]) -> tuple[int, int, int]:
    valid_from, valid_until = _seconds(entry["valid_from"]), _seconds(entry["valid_until"])
    if valid_until <= valid_from:
        raise _malformed()
    return valid_from, valid_until, _seconds(entry["effective_from"])


def _issuer(value: object) -> IssuerEntry:
    entry = _object(value, _ISSUER_MEMBERS)
    vcts, key_refs = _texts(entry["vcts"]), _texts(entry["key_refs"], _key_ref)
    return IssuerEntry(_text(entry["issuer"]), vcts, key_refs, *_window(entry))


def _verifier(value: object) -> VerifierEntry:
    entry = _object(value, _VERIFIER_MEMBERS)
    permissions = entry["permissions"]
    if not isinstance(permissions, dict):
        raise _malformed()
    allowed = {
        _text(regulation): _texts(claims, _claim) for regulation, claims in permissions.items()
    }
    return VerifierEntry(
        _text(entry["client_id"]), allowed, _text(entry["legal_basis"]), *_window(entry)
    )


def _iso_date(value: object) -> str:
    return canonical_iso_date(_text(value))


def _anchor(value: object) -> RegulationAnchor:
    entry = _object(value, _ANCHOR_MEMBERS)
    version = _text(entry["version"])
    if not _VERSION.fullmatch(version):
        raise _malformed()
    return RegulationAnchor(
        _text(entry["regulation"]),
        version,
        _iso_date(entry["valid_from"]),
        _seconds(entry["effective_from"]),
    )


def _index(value: object, parse: Callable[[object], _T], key: Callable[[_T], Any]) -> dict[Any, _T]:
    """Parse every entry and key it by its identifier; a second entry for one key is refused."""
    if not isinstance(value, list):
        raise _malformed()
    index: dict[Any, _T] = {}
    for item in value:
        entry = parse(item)
        if index.setdefault(key(entry), entry) is not entry:
            raise _malformed()
    return index


def _time_claim(claims: Mapping[str, Any], name: str) -> int:
    """``iat`` and ``exp`` are required whole seconds: a list without ``exp`` never expires."""
    value = claims.get(name)
    if type(value) is not int or value < 0:
        raise Rejected(JoseReason.BAD_TIME_CLAIM)
    return value


def _snapshot_from_claims(claims: Mapping[str, Any]) -> TrustSnapshot:
    """The snapshot a verified payload describes; ``as_of`` is the signing time ``iat``."""
    if claims.keys() != _PAYLOAD_MEMBERS:
        raise _malformed()
    governance = _text(claims["iss"])
    return TrustSnapshot(
        issuers=_index(claims["issuers"], _issuer, lambda e: e.issuer),
        verifiers=_index(claims["verifiers"], _verifier, lambda e: e.client_id),
        anchors=_index(claims["anchors"], _anchor, lambda a: (a.regulation, a.valid_from)),
        as_of=_time_claim(claims, "iat"),
        source=f"trust-list:{governance}",
    )


@dataclass(frozen=True, slots=True)
class VerifiedTrustList:
    """A trust list whose signature, type, times and every entry passed."""

    snapshot: TrustSnapshot
    governance_id: str
    expires_at: int
    """``exp``: a cache of this list must not be used from this time on (leeway aside)."""
    key: PublicJwk


def verify_signed_trust_list(
    token: str,
    *,
    governance_keys: PublicJwk | KeyResolver,
    now: int,
    max_bytes: int = DEFAULT_MAX_TRUST_LIST_BYTES,
    leeway: int = 0,
) -> VerifiedTrustList:
    """Verify a signed trust list (DESIGN §1 ``file``) and keep what a cache needs.

    ``governance_keys`` is the governance key, or a resolver choosing among governance keys
    the caller already trusts (during a rotation); a key named in the header is never used.
    ``now`` is required: a list is only good until its ``exp``. ``leeway`` (default none)
    tolerates a signing machine whose clock runs ahead. The order of the checks and their
    reasons are in the module docstring.
    """
    jws = parse_compact_jws(token, max_bytes=max_bytes)
    key = (
        governance_keys
        if isinstance(governance_keys, PublicJwk)
        else governance_keys.resolve_key(jws.header, jws.payload, now=now)
    )
    claims = verify_jws(jws, key=key, algorithms=TRUST_LIST_ALGORITHMS, typ=TRUST_LIST_TYP).payload
    _time_claim(claims, "iat")
    expires_at = _time_claim(claims, "exp")
    check_time_claims(claims, now=now, leeway=leeway)
    snapshot = _snapshot_from_claims(claims)
    return VerifiedTrustList(snapshot, claims["iss"], expires_at, key)


def verify_trust_list(
    token: str,
    *,
    governance_keys: PublicJwk | KeyResolver,
    now: int,
    max_bytes: int = DEFAULT_MAX_TRUST_LIST_BYTES,
    leeway: int = 0,
) -> TrustSnapshot:
    """``verify_signed_trust_list``, keeping only the registry (``as_of`` is ``iat``)."""
    return verify_signed_trust_list(
        token, governance_keys=governance_keys, now=now, max_bytes=max_bytes, leeway=leeway
    ).snapshot


def _members(entry: IssuerEntry | VerifierEntry | RegulationAnchor) -> dict[str, Any]:
    """An entry's fields by name, shallow (``asdict`` would deep-copy any ``Mapping``)."""
    return {field.name: getattr(entry, field.name) for field in fields(entry)}


def trust_list_claims(
    snapshot: TrustSnapshot, *, governance_id: str, now: int, ttl: int
) -> dict[str, Any]:
    """The payload ``build_trust_list`` signs, sorted so that equal registries sign alike.

    The model's field names are the wire members, so a field added to the model without a
    matching change to the parser fails ``build_trust_list``'s self-check loudly. Public so
    that tests and tools can start from a valid payload and change one member.
    """
    if type(ttl) is not int or ttl <= 0:
        raise Rejected(JoseReason.BAD_TIME_CLAIM)
    issuers = [
        _members(e) | {"vcts": sorted(e.vcts), "key_refs": sorted(e.key_refs)}
        for _, e in sorted(snapshot.issuers.items())
    ]
    verifiers = [
        _members(v) | {"permissions": {r: sorted(c) for r, c in sorted(v.permissions.items())}}
        for _, v in sorted(snapshot.verifiers.items())
    ]
    anchors = [_members(a) for _, a in sorted(snapshot.anchors.items())]
    return {
        "iss": governance_id,
        "iat": now,
        "exp": now + ttl,
        "issuers": issuers,
        "verifiers": verifiers,
        "anchors": anchors,
    }


def build_trust_list(
    snapshot: TrustSnapshot,
    *,
    key: JwsSigner,
    governance_id: str,
    now: int,
    ttl: int,
) -> str:
    """Sign ``snapshot`` as a trust list valid from ``now`` for ``ttl`` seconds.

    ``ttl`` has no default: how long a list may be replayed after a key is removed (THREATS
    R-03) is governance's decision, written down at every signing. The payload is parsed
    back before signing, so a snapshot the verifier would refuse (``registry-entry-
    malformed``; a ``ttl`` that is not a positive integer: ``bad-time-claim``) is refused
    here and never signed; the snapshot's keys must be its entries' identifiers.
    """
    claims = trust_list_claims(snapshot, governance_id=governance_id, now=now, ttl=ttl)
    parsed = _snapshot_from_claims(claims)
    if (parsed.issuers, parsed.verifiers, parsed.anchors) != (
        dict(snapshot.issuers),
        dict(snapshot.verifiers),
        dict(snapshot.anchors),
    ):  # an entry filed under another identifier than its own
        raise _malformed()
    if key.alg not in TRUST_LIST_ALGORITHMS:
        raise Rejected(JoseReason.ALG_NOT_ALLOWED)
    return sign_compact_jws(claims, key=key, typ=TRUST_LIST_TYP)
