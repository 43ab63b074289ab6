"""The registry's events, applied to the slots they name: a refresh that reads only what changed.

The contract keeps every entry in a numbered slot, found by the keccak256 of its identifier
(``_issuer_slot``...), and every write to a slot emits an event whose first topic is that
same hash (``TrustRegistry.vy``: ``IssuerAdded``, ``IssuerRemoved``, ``IssuerKeyRemoved``,
``VerifierAdded``, ``VerifierRemoved``, ``RegulationAnchored``, ``RegulationRemoved``). Its
other events (``AdminAdded``, ``AdminRemoved``, ``OwnershipTransferStarted``,
``OwnershipTransferred``, ``AdditionDelaySet``) change no entry. The contract has no view by
identifier, only by slot (``issuerAt``...), so ``SlotRecords`` keeps the raw record of every
slot from the last read and the hash of each slot's identifier: an event then names the slot
to read again, and a hash never seen is a slot appended since, past the old count.

``read_changes`` accepts a range of logs only when every one is a known event of this
registry in the exact shape of the ABI (topic count, data that decodes with strings read as
bytes, the identifier in the data hashing to the topic); ``SlotRecords.apply`` accepts the
result only when it is consistent with the contract's counts at the block read:

* no count went down, and each count grew by exactly the number of identifiers the events
  name that no slot held before (a slot is appended only by an addition of a new identifier);
* every slot read again still holds the identifier its event named, and the appended slots
  hold exactly the new identifiers.

Anything else returns ``None`` and the caller reads the whole registry, so the result is
always what a full read at that block gives: the slots not named cannot have changed
(every slot write emits an event naming it), the named ones are read at the same block, and
the snapshot is assembled from all the slots' records by the same ``trust.records.assemble``
(dropping malformed and ambiguous entries exactly as a full read does). The logs are trusted
as much as before, when "no event, no change" kept the whole snapshot: with a quorum they
are compared across nodes (``trust.quorum``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from trust.contract import load_artifact

MAX_EVENTS = 256
"""Logs one refresh applies; past this a full read is about as cheap and simpler."""

KINDS = ("issuer", "verifier", "anchor")
_KIND_OF_EVENT = {
    "IssuerAdded": "issuer",
    "IssuerRemoved": "issuer",
    "IssuerKeyRemoved": "issuer",
    "VerifierAdded": "verifier",
    "VerifierRemoved": "verifier",
    "RegulationAnchored": "anchor",
    "RegulationRemoved": "anchor",
}
_GOVERNANCE_EVENTS = frozenset(
    {
        "AdminAdded",
        "AdminRemoved",
        "OwnershipTransferStarted",
        "OwnershipTransferred",
        "AdditionDelaySet",
    }
)
_IDENTITY_FIELDS = {"issuer": 1, "verifier": 1, "anchor": 2}
"""Leading fields that identify an entry, in its record and in its events' data."""

Record = tuple[Any, ...]
Counts = tuple[int, int, int]


def identity_hash(kind: str, fields: Sequence[Any]) -> bytes:
    """The contract's key of an entry: keccak256 of the identifier, or for an anchor of
    ``abi_encode(regulation, valid_from)`` (strings and bytes encode alike)."""
    if kind == "anchor":
        return keccak(abi_encode(["bytes", "bytes"], list(fields[:2])))
    return keccak(fields[0])


@dataclass(frozen=True, slots=True)
class _EventShape:
    kind: str | None  # None: a governance event, no entry
    topics: int
    data_types: tuple[str, ...]


def _shapes() -> dict[bytes, _EventShape]:
    shapes: dict[bytes, _EventShape] = {}
    for item in load_artifact().abi:
        if item["type"] != "event":
            continue
        name, inputs = item["name"], item["inputs"]
        if name not in _KIND_OF_EVENT and name not in _GOVERNANCE_EVENTS:
            continue  # an event this reader does not know how to apply: never matched
        signature = f"{name}({','.join(i['type'] for i in inputs)})"
        shapes[keccak(text=signature)] = _EventShape(
            _KIND_OF_EVENT.get(name),
            1 + sum(1 for i in inputs if i["indexed"]),
            tuple(
                "bytes" if i["type"] == "string" else i["type"] for i in inputs if not i["indexed"]
            ),
        )
    return shapes


_SHAPES = _shapes()


@dataclass(frozen=True, slots=True)
class Changes:
    """What a range of logs says: per kind, the identifier hashes of the entries written."""

    named: Mapping[str, frozenset[bytes]]
    events: int


def _hex_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return bytes(value)  # web3's HexBytes: compared and hashed as plain bytes
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            return None
    return None


def _topics(log: Mapping[str, Any], address: str, first: int, last: int) -> list[bytes] | None:
    """The 32-byte topics of a live log of ``address`` in blocks ``first..last``."""
    if str(log.get("address", "")).lower() != address.lower() or log.get("removed", False):
        return None
    number = log.get("blockNumber")
    if not isinstance(number, int) or not first <= number <= last:
        return None
    topics = [_hex_bytes(topic) for topic in log.get("topics", ())]
    if not topics or any(topic is None or len(topic) != 32 for topic in topics):
        return None
    return [topic for topic in topics if topic is not None]


def _entry_hash(
    log: Mapping[str, Any], address: str, first: int, last: int
) -> tuple[str | None, bytes] | None:
    """``(kind, hash)`` of one log (kind ``None``: governance), or ``None`` if it is not
    exactly a known event of the registry at ``address`` within ``first..last``."""
    topics = _topics(log, address, first, last)
    shape = _SHAPES.get(topics[0]) if topics is not None else None
    data = _hex_bytes(log.get("data", b""))
    if topics is None or shape is None or len(topics) != shape.topics or data is None:
        return None
    try:
        fields = abi_decode(list(shape.data_types), data, strict=True)
    except DecodingError:  # not what the pinned contract emits
        return None
    if shape.kind is None:
        return None, b""
    if identity_hash(shape.kind, fields[: _IDENTITY_FIELDS[shape.kind]]) != topics[1]:
        return None
    return shape.kind, topics[1]


def read_changes(
    logs: Sequence[Mapping[str, Any]], *, address: str, first: int, last: int
) -> Changes | None:
    """The entries the logs of blocks ``first..last`` name, or ``None``: read everything."""
    if len(logs) > MAX_EVENTS:
        return None
    named: dict[str, set[bytes]] = {kind: set() for kind in KINDS}
    for log in logs:
        found = _entry_hash(log, address, first, last)
        if found is None:
            return None
        kind, identifier_hash = found
        if kind is not None:
            named[kind].add(identifier_hash)
    return Changes({kind: frozenset(hashes) for kind, hashes in named.items()}, len(logs))


ReadSlot = Callable[[str, int], Record]
"""``(kind, index)`` -> the raw record of that slot at the block being read."""


@dataclass(frozen=True, slots=True)
class SlotRecords:
    """The raw record of every slot of each kind, and which slot holds which identifier.

    ``slot_of`` is ``None`` for a kind where two slots hash alike (impossible with the
    pinned code; a lying node): such a kind is only ever read whole.
    """

    records: Mapping[str, tuple[Record, ...]]
    slot_of: Mapping[str, Mapping[bytes, int] | None]

    @classmethod
    def of(cls, records: Mapping[str, Sequence[Record]]) -> SlotRecords:
        slot_of: dict[str, Mapping[bytes, int] | None] = {}
        for kind in KINDS:
            index = {identity_hash(kind, record): slot for slot, record in enumerate(records[kind])}
            slot_of[kind] = index if len(index) == len(records[kind]) else None
        return cls({kind: tuple(records[kind]) for kind in KINDS}, slot_of)

    def reads_needed(self, changes: Changes, counts: Counts) -> int | None:
        """How many slots ``apply`` would read, or ``None`` if the changes cannot be
        applied (a count went down, a kind without an index, counts and events disagree)."""
        total = 0
        for kind, count in zip(KINDS, counts, strict=True):
            named, held, index = changes.named[kind], len(self.records[kind]), self.slot_of[kind]
            if not named and count == held:
                continue
            if index is None or count < held:
                return None
            new = sum(1 for identifier_hash in named if identifier_hash not in index)
            if count - held != new:
                return None
            total += len(named)
        return total

    def apply(self, changes: Changes, counts: Counts, read: ReadSlot) -> SlotRecords | None:
        """The records at the new block: named slots read again, new slots appended; or
        ``None`` when what was read does not match what the events named."""
        if self.reads_needed(changes, counts) is None:
            return None
        records: dict[str, tuple[Record, ...]] = dict(self.records)
        slot_of: dict[str, Mapping[bytes, int] | None] = dict(self.slot_of)
        for kind, count in zip(KINDS, counts, strict=True):
            named = changes.named[kind]
            if not named:
                continue
            index = self.slot_of[kind]
            assert index is not None  # reads_needed refused otherwise
            held = list(self.records[kind])
            for identifier_hash in named:
                slot = index.get(identifier_hash)
                if slot is not None:
                    held[slot] = read(kind, slot)
                    if identity_hash(kind, held[slot]) != identifier_hash:
                        return None
            appended = [read(kind, slot) for slot in range(len(held), count)]
            new_hashes = {identity_hash(kind, record) for record in appended}
            if len(new_hashes) != len(appended) or new_hashes != named - index.keys():
                return None
            extended = dict(index)
            extended.update(
                (identity_hash(kind, record), len(held) + offset)
                for offset, record in enumerate(appended)
            )
            records[kind] = (*held, *appended)
            slot_of[kind] = extended
        return SlotRecords(records, slot_of)
