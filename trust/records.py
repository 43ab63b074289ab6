"""Registry records, as the contract returns them, to ``specs.trust`` model entries.

A record is the raw struct of one slot (strings still bytes, see ``trust.contract``). The
``parse_*`` functions apply the same rules as the signed trust list (``specs.trust.
trust_list``), so both backends mean the same by an entry: UTF-8 text, no empty identifier,
``valid_until > valid_from``, distinct values in every list, 32-byte non-zero key references
(base64url in the model), claim paths exactly in ``claim_key`` form, anchors on canonical
ISO dates with a non-zero SHA-256 digest. Anything else raises
``Rejected(TrustReason.MALFORMED_ENTRY)``.

What a malformed entry does differs from the file backend, on purpose. A trust list is one
signed document in which an unreadable entry might have been a restriction, so the whole
list is refused. On chain every entry is self-contained (one slot per identifier, fixed ABI,
pinned code): a removal or a narrowing is a change to that slot, never another entry. So
``assemble`` drops a malformed entry whole (never a part of it: an entry is used as written
or not at all) and keeps the rest. Dropping can only narrow trust: the dropped issuer is
not registered (THREATS R-07: ISSUER_UNTRUSTED, and no parser exception escapes), while one
bad write by one admin cannot take every other issuer down. Two active slots that decode to
one identifier (impossible with the pinned code; a lying node) are both dropped (R-06).
The dropped slots are reported so that operators see the governance error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from specs.errors import Rejected, TrustReason
from specs.jose import b64url_encode
from specs.trust import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry
from specs.trust.decisions import canonical_claim_key, canonical_iso_date

_ZERO = bytes(32)
_T = TypeVar("_T")
_K = TypeVar("_K")


def _malformed() -> Rejected:
    return Rejected(TrustReason.MALFORMED_ENTRY)


def _text(value: object) -> str:
    if not isinstance(value, bytes) or not value:
        raise _malformed()
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed() from None


def _distinct(values: Sequence[_T]) -> frozenset[_T]:
    items = frozenset(values)
    if len(items) != len(values):
        raise _malformed()
    return items


def _key_ref(value: object) -> str:
    if not isinstance(value, bytes) or len(value) != 32 or value == _ZERO:
        raise _malformed()
    return b64url_encode(value)


def _claim(value: object) -> str:
    return canonical_claim_key(_text(value))


def _window(valid_from: int, valid_until: int) -> tuple[int, int]:
    if valid_until <= valid_from:
        raise _malformed()
    return valid_from, valid_until


def _iso_date(value: object) -> str:
    return canonical_iso_date(_text(value))


def parse_issuer(record: Sequence[Any]) -> IssuerEntry:
    """``(identifier, vcts, key_refs, valid_from, valid_until, effective_from, active)``."""
    identifier, vcts, key_refs, valid_from, valid_until, effective_from, _active = record
    return IssuerEntry(
        _text(identifier),
        _distinct([_text(vct) for vct in vcts]),
        _distinct([_key_ref(key_ref) for key_ref in key_refs]),
        *_window(valid_from, valid_until),
        effective_from,
    )


def parse_verifier(record: Sequence[Any]) -> VerifierEntry:
    """``(client_id, [(regulation, [claim])], legal_basis, valid_from, valid_until,
    effective_from, active)``."""
    client_id, permissions, legal_basis, valid_from, valid_until, effective_from, _ = record
    allowed: dict[str, frozenset[str]] = {}
    for regulation, claims in permissions:
        name = _text(regulation)
        if name in allowed:
            raise _malformed()
        allowed[name] = _distinct([_claim(claim) for claim in claims])
    return VerifierEntry(
        _text(client_id),
        allowed,
        _text(legal_basis),
        *_window(valid_from, valid_until),
        effective_from,
    )


def parse_anchor(record: Sequence[Any]) -> RegulationAnchor:
    """``(regulation, valid_from, content_hash, effective_from, active)``."""
    regulation, valid_from, content_hash, effective_from, _active = record
    if not isinstance(content_hash, bytes) or len(content_hash) != 32 or content_hash == _ZERO:
        raise _malformed()
    return RegulationAnchor(
        _text(regulation), "sha256:" + content_hash.hex(), _iso_date(valid_from), effective_from
    )


def _index(
    kind: str,
    records: Iterable[Sequence[Any]],
    parse: Callable[[Sequence[Any]], _T],
    key: Callable[[_T], _K],
    malformed: list[str],
) -> dict[_K, _T]:
    """Active records parsed and keyed; malformed and ambiguous slots dropped and named."""
    found: dict[_K, _T] = {}
    slots: dict[_K, int] = {}
    ambiguous: set[_K] = set()
    for slot, record in enumerate(records):
        if not record[-1]:  # removed: its content no longer matters
            continue
        try:
            entry = parse(record)
        except Rejected:
            malformed.append(f"{kind}[{slot}]")
            continue
        name = key(entry)
        if name in found:
            ambiguous.add(name)
            malformed.append(f"{kind}[{slot}]")
            malformed.append(f"{kind}[{slots[name]}]")
        found[name], slots[name] = entry, slot
    return {name: entry for name, entry in found.items() if name not in ambiguous}


def assemble(
    issuers: Iterable[Sequence[Any]],
    verifiers: Iterable[Sequence[Any]],
    anchors: Iterable[Sequence[Any]],
    *,
    as_of: int,
    source: str,
) -> tuple[TrustSnapshot, tuple[str, ...]]:
    """The snapshot of every usable active entry, and the slots that were dropped."""
    malformed: list[str] = []
    snapshot = TrustSnapshot(
        issuers=_index("issuer", issuers, parse_issuer, lambda e: e.issuer, malformed),
        verifiers=_index("verifier", verifiers, parse_verifier, lambda e: e.client_id, malformed),
        anchors=_index(
            "anchor", anchors, parse_anchor, lambda a: (a.regulation, a.valid_from), malformed
        ),
        as_of=as_of,
        source=source,
    )
    return snapshot, tuple(malformed)
