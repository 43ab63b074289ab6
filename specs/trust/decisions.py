"""The pure trust decisions: the same answers from every backend, for wallet and desk.

* ``check_issuer``: may issuer X, with key K, attest credential type V at time t? The type
  must be listed exactly: an authorisation for a base type does not extend to a type that
  ``extends`` it, nor the other way (THREATS S-14; authorisation is per issuer x type).
* ``check_verifier``: may verifier C ask for these claims for regulation R at time t?
* ``check_anchor``: is this regulation version the one anchored for its validity date?
* ``check_fresh``: a snapshot older than the allowed staleness decides nothing (fail closed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from specs.errors import Rejected, TrustReason
from specs.jose import loads_strict
from specs.sd_jwt.claim_path import claim_path
from specs.trust.model import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry


def _in_force(entry: IssuerEntry | VerifierEntry, now: int) -> None:
    if now < entry.effective_from:
        raise Rejected(TrustReason.NOT_YET_EFFECTIVE)
    if not entry.valid_from <= now < entry.valid_until:
        raise Rejected(TrustReason.OUTSIDE_VALIDITY)


def check_fresh(snapshot: TrustSnapshot, *, now: int, max_staleness: int) -> None:
    """Fail closed when the registry could not be read recently enough (THREATS R-08)."""
    if now - snapshot.as_of > max_staleness:
        raise Rejected(TrustReason.REGISTRY_STALE)


def check_issuer(
    snapshot: TrustSnapshot, *, issuer: str, vct: str, key_refs: Sequence[str], now: int
) -> IssuerEntry:
    """Raise unless ``issuer`` is registered, in force, authorised for ``vct`` exactly, and
    one of ``key_refs`` (the key's thumbprint, or its chain's root key hash) is registered."""
    entry = snapshot.issuers.get(issuer)
    if entry is None:
        raise Rejected(TrustReason.ISSUER_NOT_REGISTERED)
    _in_force(entry, now)
    if vct not in entry.vcts:
        raise Rejected(TrustReason.VCT_NOT_AUTHORISED)
    if not entry.key_refs.intersection(key_refs):
        raise Rejected(TrustReason.KEY_NOT_REGISTERED)
    return entry


def check_verifier(
    snapshot: TrustSnapshot,
    *,
    client_id: str,
    regulation: str,
    claims: Iterable[Sequence[str | int | None]],
    now: int,
) -> VerifierEntry:
    """Raise unless the verifier may ask for every one of ``claims`` for ``regulation``."""
    entry = snapshot.verifiers.get(client_id)
    if entry is None:
        raise Rejected(TrustReason.VERIFIER_NOT_REGISTERED)
    _in_force(entry, now)
    allowed = entry.permissions.get(regulation)
    if allowed is None:
        raise Rejected(TrustReason.REGULATION_NOT_AUTHORISED)
    for path in claims:
        if claim_key(path) not in allowed:
            raise Rejected(TrustReason.CLAIM_NOT_AUTHORISED)
    return entry


def claim_key(path: Sequence[str | int | None]) -> str:
    """A claims path as the registry stores it: compact JSON (``["address","locality"]``)."""
    return json.dumps(list(path), separators=(",", ":"), ensure_ascii=False)


def canonical_claim_key(text: str) -> str:
    """Accept a stored claims path only in exactly ``claim_key``'s spelling.

    Any other spelling (spaces, escapes, a path that is not a claims path) could never match a
    request, so a registry entry holding one is malformed rather than silently useless.
    """
    try:
        elements = loads_strict(text)
        path = claim_path(elements) if isinstance(elements, list) else None
    except Rejected:
        raise Rejected(TrustReason.MALFORMED_ENTRY) from None
    if path is None or claim_key(path) != text:
        raise Rejected(TrustReason.MALFORMED_ENTRY)
    return text


def canonical_iso_date(text: str) -> str:
    """Accept a stored date only as ``date.isoformat`` writes it (the anchors' lookup key)."""
    try:
        canonical = dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise Rejected(TrustReason.MALFORMED_ENTRY) from None
    if canonical != text:
        raise Rejected(TrustReason.MALFORMED_ENTRY)
    return text


def check_anchor(
    snapshot: TrustSnapshot, *, regulation: str, valid_from: str, version: str, now: int
) -> RegulationAnchor:
    """Raise unless exactly this version of the regulation is anchored and in effect."""
    anchor = snapshot.anchors.get((regulation, valid_from))
    if anchor is None:
        raise Rejected(TrustReason.REGULATION_NOT_ANCHORED)
    if now < anchor.effective_from:
        raise Rejected(TrustReason.NOT_YET_EFFECTIVE)
    if anchor.version != version:
        raise Rejected(TrustReason.REGULATION_HASH_MISMATCH)
    return anchor
