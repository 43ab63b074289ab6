"""The ``chain`` trust backend: the TrustRegistry contract read through web3 (DESIGN §1 trust/).

``ChainTrustRegistry.snapshot(now=...)`` serves a cached ``TrustSnapshot`` and refreshes it at
most once per ``poll_interval``, so a presentation never waits on the node in the steady state.
A refresh reads only state the operator has pinned and that cannot be undone:

1. ``eth_chainId`` must be the configured chain, else ``registry-wrong-chain`` (THREATS C-02).
2. It reads block ``latest - confirmations`` (THREATS C-03); every call names that block number.
3. The keccak256 of the code at the registry address, at that block, must be the pinned code
   hash; no code or other code is ``registry-wrong-code`` (THREATS R-04, C-06). So is a
   registry deployed fewer than ``confirmations`` blocks ago: it has no code at that block yet.
4. The same block hash as last time: nothing can have changed. Otherwise, when the block last
   read is still canonical, one ``eth_getLogs`` lists the contract's events since. None: the
   content is kept and only the block moves on. Only known events of the registry: the
   contract's counts and the slots the events name are read at the new block and applied to
   the cached records (``trust.events``: every slot write emits an event naming the slot's
   identifier, and the counts must agree with the events, so the result is exactly what a
   full read gives; a full read serves as the reference in the tests). A reorganisation, a
   gap of more than ``MAX_LOG_RANGE`` blocks, a log that is not a known event in the ABI's
   shape, more than ``trust.events.MAX_EVENTS`` logs, counts that disagree with the events,
   or as many slots to read as a full read: the whole registry is read again at that block.
   Slots read again pass the same decoding and ``assemble`` as a full read, so a malformed
   entry is dropped alike.
5. After reading, the block's hash is checked again: a read that straddled a reorganisation
   is discarded, never mixed.

``as_of`` is the timestamp of the block read. Malformed entries are dropped whole and named
in ``malformed`` (``trust.records`` explains why). Failures fail closed (THREATS R-08, C-01):
a refresh that fails for any reason (node down, timeout, oversized or garbled answer) leaves
the last good snapshot in service for ``max_staleness`` seconds after it was last confirmed,
marked ``(cached)`` in its ``source``; then ``registry-stale``. With no good snapshot yet:
``registry-unavailable``. A wrong chain or wrong code is raised at once, cache or not: it is a
misconfiguration or an attack, for an operator to see, not an outage to ride out. A failed
refresh is retried after ``poll_interval``, not on every call, and while one thread refreshes
the others are served from the cache instead of queueing behind a slow node.

With ``quorum_rpc_urls`` every read above is asked of every node and used only when all
agree (``trust.quorum``, THREATS C-04); a disagreement is a failed refresh. Reading only the
slots that changed never serves a value the nodes did not agree on: every record in the cache
was agreed at the read that put it there, and a node that lies later about a slot nobody
changed has its lie ignored, not used.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.providers import JSONBaseProvider

from specs.errors import Rejected, TrustReason
from specs.trust import TrustSnapshot
from trust.contract import MAX_ENTRIES, TrustRegistryContract, load_artifact
from trust.events import KINDS, Changes, Counts, SlotRecords, read_changes
from trust.quorum import QuorumProvider
from trust.records import assemble
from trust.rpc import BoundedHTTPProvider
from trust.settings import TrustSettings

if TYPE_CHECKING:
    from trust.registry import TrustRegistry

logger = logging.getLogger(__name__)

MAX_LOG_RANGE = 2_000
"""Blocks one ``eth_getLogs`` may span; nodes cap ranges, and past this a full read is cheaper."""
_LOUD = frozenset({TrustReason.WRONG_CHAIN, TrustReason.WRONG_CODE})


@dataclass(frozen=True, slots=True)
class _Read:
    """A snapshot and the block it was read at; ``confirmed_at``: when a refresh last
    confirmed it is the current state (staleness counts from here)."""

    snapshot: TrustSnapshot
    block_number: int
    block_hash: bytes
    confirmed_at: int
    malformed: tuple[str, ...]
    records: SlotRecords


@dataclass(frozen=True, slots=True)
class _Block:
    """The block a refresh reads (``latest - confirmations``), and when (``now``)."""

    number: int
    hash: bytes
    timestamp: int
    read_at: int


@dataclass(frozen=True, slots=True)
class _State:
    good: _Read | None
    attempted_at: int
    error: TrustReason | None


class ChainTrustRegistry:
    """``TrustRegistry`` over a deployed TrustRegistry contract; see the module docstring."""

    def __init__(
        self,
        w3: Web3,
        *,
        address: str,
        chain_id: int,
        code_hash: str,
        confirmations: int,
        max_staleness_seconds: int,
        poll_interval_seconds: int,
    ) -> None:
        if not 0 <= poll_interval_seconds < max_staleness_seconds or confirmations < 0:
            raise ValueError("need 0 <= poll interval < max staleness, confirmations >= 0")
        self._w3 = Web3(w3.provider, middleware=[])  # reads only: no signing, no ENS, no retries
        self._address: ChecksumAddress = to_checksum_address(address)
        self._contract = TrustRegistryContract(self._w3, self._address)
        self._chain_id = chain_id
        self._code_hash = bytes.fromhex(code_hash.removeprefix("0x"))
        self._confirmations = confirmations
        self._max_staleness = max_staleness_seconds
        self._poll_interval = poll_interval_seconds
        self._state: _State | None = None
        self._lock = threading.Lock()
        self.last_error: TrustReason | None = None
        """Why the last refresh failed (``None`` after a success): for health checks."""

    @classmethod
    def from_settings(
        cls, settings: TrustSettings, *, w3: Web3 | None = None
    ) -> ChainTrustRegistry:
        """A reader of a remote node (``rpc_url``), or of the in-process chain ``w3`` that
        the caller deployed to (``trust.embedded``). The code hash defaults to the artifact's."""
        if settings.rpc_url is not None:
            nodes = [
                BoundedHTTPProvider(url, timeout=settings.rpc_timeout_seconds)
                for url in (settings.rpc_url, *settings.quorum_rpc_urls)
            ]
            provider: JSONBaseProvider = QuorumProvider(nodes) if len(nodes) > 1 else nodes[0]
            w3 = Web3(provider, middleware=[])
        if w3 is None or settings.contract_address is None:
            raise ValueError("an in-process registry needs the chain it was deployed to")
        return cls(
            w3,
            address=settings.contract_address,
            chain_id=settings.chain_id if settings.chain_id is not None else w3.eth.chain_id,
            code_hash=settings.code_hash or load_artifact().runtime_code_hash,
            confirmations=settings.confirmations,
            max_staleness_seconds=settings.max_staleness_seconds,
            poll_interval_seconds=settings.poll_interval_seconds,
        )

    @property
    def malformed(self) -> tuple[str, ...]:
        """Slots dropped from the snapshot in service (``issuer[3]``, ...): governance errors."""
        state = self._state
        return state.good.malformed if state is not None and state.good is not None else ()

    def snapshot(self, *, now: int) -> TrustSnapshot:
        """The registry at the confirmed block, refreshed when older than the poll interval."""
        state = self._state
        due = state is None or now - state.attempted_at >= self._poll_interval
        # Wait for a refresh in progress only when there is nothing to serve meanwhile.
        if due and self._lock.acquire(blocking=state is None or state.good is None):
            try:
                state = self._state
                if state is None or now - state.attempted_at >= self._poll_interval:
                    state = self._attempt(state, now)
                    self._state = state
            finally:
                self._lock.release()
        assert state is not None  # set by the first call, under the lock
        return self._serve(state, now)

    def _serve(self, state: _State, now: int) -> TrustSnapshot:
        if state.error in _LOUD:
            raise Rejected(state.error)
        good = state.good
        if good is None:
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)
        if now - good.confirmed_at > self._max_staleness:
            raise Rejected(TrustReason.REGISTRY_STALE)
        if state.error is not None:
            return dataclasses.replace(good.snapshot, source=f"{good.snapshot.source} (cached)")
        return good.snapshot

    def _attempt(self, state: _State | None, now: int) -> _State:
        """One refresh; whatever goes wrong becomes a reason, never an escaping exception."""
        previous = state.good if state is not None else None
        try:
            good = self._refresh(previous, now)
        except Rejected as exc:
            error = TrustReason(exc.reason)
            detail = None
        except Exception as exc:  # the fail-closed boundary: RPC, transport, decoding, node bugs
            error, detail = TrustReason.REGISTRY_UNAVAILABLE, exc
        else:
            if previous is None or good.malformed != previous.malformed:
                self._report_malformed(good.malformed)
            self.last_error = None
            return _State(good, now, None)
        if error != self.last_error:  # once when it appears, not on every retry
            logger.warning(
                "trust registry %s not refreshed: %s%s",
                self._address,
                error.value,
                f" ({type(detail).__name__}: {detail})" if detail is not None else "",
            )
        self.last_error = error
        return _State(previous, now, error)

    def _report_malformed(self, malformed: tuple[str, ...]) -> None:
        if malformed:
            logger.warning(
                "trust registry %s: entries dropped as malformed: %s",
                self._address,
                ", ".join(malformed),
            )

    def _refresh(self, previous: _Read | None, now: int) -> _Read:
        eth = self._w3.eth
        if eth.chain_id != self._chain_id:
            raise Rejected(TrustReason.WRONG_CHAIN)
        number = eth.block_number - self._confirmations
        if number < 0:
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)  # fewer blocks than confirmations
        if previous is not None and number < previous.block_number:
            # Never back to a block before the one already read: a node (or one of a quorum)
            # reporting an old head would bring back an issuer removed since (THREATS C-03).
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)
        header = eth.get_block(number)
        block = _Block(number, bytes(header["hash"]), int(header["timestamp"]), now)
        if previous is not None and block.hash == previous.block_hash:
            return dataclasses.replace(previous, confirmed_at=now)
        if keccak(bytes(eth.get_code(self._address, block_identifier=number))) != self._code_hash:
            raise Rejected(TrustReason.WRONG_CODE)
        read = self._read(previous, block)
        if bytes(eth.get_block(number)["hash"]) != block.hash:
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)  # reorganised while reading
        return read

    def _changes_since(self, previous: _Read, number: int) -> Changes | None:
        """What the events between the block last read and ``number`` (a later block) say
        changed, or ``None`` when only a full read can tell."""
        first = previous.block_number + 1
        if not 0 < number - previous.block_number <= MAX_LOG_RANGE:
            return None  # the chain went back (reorganisation) or too far to scan
        eth = self._w3.eth
        if bytes(eth.get_block(previous.block_number)["hash"]) != previous.block_hash:
            return None  # the block we read is no longer canonical
        logs = eth.get_logs({"address": self._address, "fromBlock": first, "toBlock": number})
        return read_changes(logs, address=self._address, first=first, last=number)

    def _read(self, previous: _Read | None, block: _Block) -> _Read:
        """The registry at ``block``: ``previous`` moved on, or with its events applied, or
        everything read again (module docstring, step 4)."""
        changes = self._changes_since(previous, block.number) if previous is not None else None
        if previous is not None and changes is not None and changes.events == 0:
            return self._moved(previous, block)
        counts = self._counts(block.number)
        if previous is not None and changes is not None:
            applied = self._apply(previous, changes, counts, block)
            if applied is not None:
                return applied
        return self._read_all(counts, block)

    def _moved(self, previous: _Read, block: _Block) -> _Read:
        """``previous`` confirmed at ``block``: no event since, so nothing changed."""
        snapshot = dataclasses.replace(
            previous.snapshot, as_of=block.timestamp, source=self._source(block.number)
        )
        return dataclasses.replace(
            previous,
            snapshot=snapshot,
            block_number=block.number,
            block_hash=block.hash,
            confirmed_at=block.read_at,
        )

    def _apply(
        self, previous: _Read, changes: Changes, counts: Counts, block: _Block
    ) -> _Read | None:
        """``previous`` with ``changes`` applied at ``block``, or ``None`` when a full read is
        needed (the events and counts disagree) or no dearer."""
        needed = previous.records.reads_needed(changes, counts)
        if needed is None or needed >= sum(counts):
            return None
        records = previous.records.apply(
            changes,
            counts,
            lambda kind, index: self._contract.record(kind, index, block=block.number),
        )
        return None if records is None else self._assemble(records, block)

    def _counts(self, number: int) -> Counts:
        counts = self._contract.counts(block=number)
        if any(count > MAX_ENTRIES for count in counts):
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)  # not what the pinned code returns
        return counts

    def _read_all(self, counts: Counts, block: _Block) -> _Read:
        records = SlotRecords.of(
            {
                kind: [
                    self._contract.record(kind, index, block=block.number) for index in range(count)
                ]
                for kind, count in zip(KINDS, counts, strict=True)
            }
        )
        return self._assemble(records, block)

    def _assemble(self, records: SlotRecords, block: _Block) -> _Read:
        snapshot, malformed = assemble(
            *(records.records[kind] for kind in KINDS),
            as_of=block.timestamp,
            source=self._source(block.number),
        )
        return _Read(snapshot, block.number, block.hash, block.read_at, malformed, records)

    def _source(self, number: int) -> str:
        return f"chain:{self._chain_id}:{self._address}@{number}"


if TYPE_CHECKING:  # mypy proves the class implements the Protocol
    _IMPLEMENTS: type[TrustRegistry] = ChainTrustRegistry
