"""The chain backend's snapshot, and the pure decisions taken on it (in-process EVM).

What governance writes on chain must come out of ``ChainTrustRegistry.snapshot`` exactly as
``specs.trust.model`` describes it, and ``specs.trust`` must then decide as THREATS R-02,
R-03, R-05, C-03 and C-07 require. Each test refreshes by moving ``now`` past the poll
interval, as time would.

A refresh after a change is fed by the registry's events (``trust.events``): for every kind of
change it must give exactly what a new reader's full read gives, for a number of ``eth_call``
that does not grow with the registry (counted by the provider); logs that are not the
registry's known events, too many of them, a gap or a reorganisation mean a full read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from specs.errors import TrustReason
from specs.jose import generate_private_key
from specs.trust import (
    check_anchor,
    check_issuer,
    check_verifier,
    claim_key,
)
from tests.support import assert_rejected
from tests.trust.conftest import (
    CLAIMS,
    DESK,
    ISSUER,
    REGULATION,
    VALID_FROM_DATE,
    VCT,
    anchor,
    chain_now,
    issuer_entry,
    key_ref,
    verifier_entry,
)
from tests.trust.test_records import _raw_add_issuer as add_issuer_not_utf8
from trust import chain as chain_module
from trust import events
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, load_artifact

Reader = Callable[..., ChainTrustRegistry]
POLL = 10


def test_the_snapshot_is_what_governance_wrote(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    issuer, desk, law = issuer_entry(now=now), verifier_entry(now=now), anchor()
    registry.seed(issuers=[issuer], verifiers=[desk], anchors=[law])
    block = chain.eth.get_block("latest")
    written, now = now, block["timestamp"]
    snapshot = reader().snapshot(now=now)
    # The contract sets effective_from: the block time that added it (no delay here).
    effective = snapshot.issuers[ISSUER].effective_from
    assert written <= effective <= now
    assert snapshot.issuers == {ISSUER: replace(issuer, effective_from=effective)}
    assert snapshot.verifiers[DESK] == replace(
        desk, effective_from=snapshot.verifiers[DESK].effective_from
    )
    assert dict(snapshot.verifiers[DESK].permissions) == dict(desk.permissions)
    assert snapshot.verifiers[DESK].legal_basis == desk.legal_basis
    assert snapshot.anchors[(REGULATION, VALID_FROM_DATE)].version == law.version
    assert snapshot.as_of == block["timestamp"]
    assert snapshot.source == f"chain:{chain.eth.chain_id}:{registry.address}@{block['number']}"
    check_issuer(snapshot, issuer=ISSUER, vct=VCT, key_refs=list(issuer.key_refs), now=now)
    check_verifier(snapshot, client_id=DESK, regulation=REGULATION, claims=CLAIMS, now=now)
    check_anchor(
        snapshot, regulation=REGULATION, valid_from=VALID_FROM_DATE, version=law.version, now=now
    )


def test_an_issuer_removed_after_issuance_is_not_registered(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    entry = issuer_entry(now=now)
    registry.add_issuer(entry)
    now = chain_now(chain)
    trust = reader()
    keys = list(entry.key_refs)
    check_issuer(trust.snapshot(now=now), issuer=ISSUER, vct=VCT, key_refs=keys, now=now)
    registry.remove_issuer(ISSUER)  # credentials it already issued stop counting
    later = now + POLL
    snapshot = trust.snapshot(now=later)
    assert_rejected(
        TrustReason.ISSUER_NOT_REGISTERED,
        check_issuer,
        snapshot,
        issuer=ISSUER,
        vct=VCT,
        key_refs=keys,
        now=later,
    )


def test_key_rotation_old_key_until_valid_until_compromised_key_at_once(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    old, new = (generate_private_key().public.thumbprint() for _ in range(2))
    entry = issuer_entry(now=now, key_refs={old, new}, valid_until=now + 1000)
    registry.add_issuer(entry)
    trust = reader()
    snapshot = trust.snapshot(now=now)
    for key in (old, new):  # both listed, both good within the entry's validity
        check_issuer(snapshot, issuer=ISSUER, vct=VCT, key_refs=[key], now=now + 999)
    assert_rejected(
        TrustReason.OUTSIDE_VALIDITY,
        check_issuer,
        snapshot,
        issuer=ISSUER,
        vct=VCT,
        key_refs=[old],
        now=now + 1000,
    )
    registry.remove_issuer_key(ISSUER, old)  # compromised: no delay, no waiting for expiry
    later = now + POLL
    snapshot = trust.snapshot(now=later)
    assert_rejected(
        TrustReason.KEY_NOT_REGISTERED,
        check_issuer,
        snapshot,
        issuer=ISSUER,
        vct=VCT,
        key_refs=[old],
        now=later,
    )
    check_issuer(snapshot, issuer=ISSUER, vct=VCT, key_refs=[new], now=later)


def test_a_type_is_authorised_exactly_not_by_extension(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    entry = issuer_entry(now=now)
    registry.add_issuer(entry)
    now = chain_now(chain)
    snapshot = reader().snapshot(now=now)
    for vct in ("https://credentials.example/pid", VCT + "/extended", VCT.upper()):
        assert_rejected(
            TrustReason.VCT_NOT_AUTHORISED,  # R-05; S-14: `extends` grants nothing
            check_issuer,
            snapshot,
            issuer=ISSUER,
            vct=vct,
            key_refs=list(entry.key_refs),
            now=now,
        )


def test_a_verifier_asks_only_within_its_registration(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    registry.add_verifier(verifier_entry(now=now))
    now = chain_now(chain)
    trust = reader()
    snapshot = trust.snapshot(now=now)
    ask = {"client_id": DESK, "now": now}
    check_verifier(snapshot, regulation=REGULATION, claims=CLAIMS[:1], **ask)  # type: ignore[arg-type]
    assert_rejected(
        TrustReason.CLAIM_NOT_AUTHORISED,
        check_verifier,
        snapshot,
        regulation=REGULATION,
        claims=[*CLAIMS, ("bsn",)],
        **ask,
    )
    assert_rejected(
        TrustReason.REGULATION_NOT_AUTHORISED,
        check_verifier,
        snapshot,
        regulation="huurtoeslag",
        claims=CLAIMS,
        **ask,
    )
    registry.remove_verifier(DESK)
    later = now + POLL
    assert_rejected(
        TrustReason.VERIFIER_NOT_REGISTERED,
        check_verifier,
        trust.snapshot(now=later),
        client_id=DESK,
        regulation=REGULATION,
        claims=CLAIMS,
        now=later,
    )


def test_additions_are_not_trusted_before_they_take_effect(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    registry.set_addition_delay(3600)  # C-07: the timelock
    now = chain_now(chain)
    entry = issuer_entry(now=now)
    registry.add_issuer(entry)
    registry.anchor_regulation(anchor())
    snapshot = reader().snapshot(now=now)
    effective = snapshot.issuers[ISSUER].effective_from
    assert effective >= now + 3600
    issuer = {"issuer": ISSUER, "vct": VCT, "key_refs": list(entry.key_refs)}
    assert_rejected(
        TrustReason.NOT_YET_EFFECTIVE, check_issuer, snapshot, now=effective - 1, **issuer
    )
    check_issuer(snapshot, now=effective, **issuer)  # type: ignore[arg-type]
    assert_rejected(
        TrustReason.NOT_YET_EFFECTIVE,
        check_anchor,
        snapshot,
        regulation=REGULATION,
        valid_from=VALID_FROM_DATE,
        version=anchor().version,
        now=effective - 1,
    )


def test_anchors_decide_the_regulation_version(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    registry.anchor_regulation(anchor("ab"))
    now = chain_now(chain)
    trust = reader()
    lookup = {"regulation": REGULATION, "valid_from": VALID_FROM_DATE}
    check_anchor(trust.snapshot(now=now), version=anchor("ab").version, now=now, **lookup)
    assert_rejected(
        TrustReason.REGULATION_HASH_MISMATCH,
        check_anchor,
        trust.snapshot(now=now),
        version=anchor("cd").version,
        now=now,
        **lookup,
    )
    registry.remove_regulation_anchor(REGULATION, VALID_FROM_DATE)
    later = now + POLL
    assert_rejected(
        TrustReason.REGULATION_NOT_ANCHORED,
        check_anchor,
        trust.snapshot(now=later),
        version=anchor("ab").version,
        now=later,
        **lookup,
    )


def test_changes_need_confirmations(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    now = chain_now(chain)
    trust = reader(confirmations=2)
    chain.provider.ethereum_tester.mine_blocks(2)  # type: ignore[attr-defined]
    assert trust.snapshot(now=now).issuers == {}
    registry.add_issuer(issuer_entry(now=now))
    tester = chain.provider.ethereum_tester  # type: ignore[attr-defined]
    for step in (1, 2):
        assert ISSUER not in trust.snapshot(now=now + step * POLL).issuers
        tester.mine_blocks(1)
    assert ISSUER in trust.snapshot(now=now + 3 * POLL).issuers


def test_a_change_reorganised_away_is_not_trusted(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    """C-03 on the in-process chain; the anvil test does the same against a node."""
    tester = chain.provider.ethereum_tester  # type: ignore[attr-defined]
    now = chain_now(chain)
    trust = reader()
    assert trust.snapshot(now=now).issuers == {}
    before = tester.take_snapshot()
    registry.add_issuer(issuer_entry(now=now))
    assert ISSUER in trust.snapshot(now=now + POLL).issuers
    tester.revert_to_snapshot(before)
    tester.mine_blocks(3)  # the other fork grows past the one we read
    assert trust.snapshot(now=now + 2 * POLL).issuers == {}


def test_no_rpc_between_polls_and_no_full_read_without_events(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    funded: Callable[[], LocalAccount],
) -> None:
    now = chain_now(chain)
    registry.add_issuer(issuer_entry(now=now))
    trust = reader()
    first = trust.snapshot(now=now)
    calls: list[str] = []
    trust._contract.call = lambda *a, **k: calls.append(a[0])  # type: ignore[method-assign,assignment]
    assert trust.snapshot(now=now + POLL - 1) is first  # cached: not a single call
    funded()  # a block without registry events
    moved = trust.snapshot(now=now + POLL)
    assert calls == []  # refreshed from the block and logs alone
    assert moved.issuers == first.issuers
    assert moved.as_of > first.as_of


@pytest.mark.parametrize("confirmations", [0, 1])
def test_a_new_reader_of_a_busy_registry_reads_everything(
    chain: Web3, registry: TrustRegistryContract, reader: Reader, confirmations: int
) -> None:
    now = chain_now(chain)
    registry.add_issuers([issuer_entry(f"https://issuer-{i}.example", now=now) for i in range(20)])
    registry.add_verifier(verifier_entry(now=now, claims={claim_key(["a", 0, None])}))
    chain.provider.ethereum_tester.mine_blocks(confirmations)  # type: ignore[attr-defined]
    snapshot = reader(confirmations=confirmations).snapshot(now=now)
    assert len(snapshot.issuers) == 20
    assert snapshot.verifiers[DESK].permissions == {REGULATION: {'["a",0,null]'}}


# --- refreshes fed by events (trust.events) ------------------------------------------------

NEW_ISSUER = "https://gemeente.example"
OTHER_DESK = "https://uwv.example/desk"
OTHER_KEY = key_ref("rotated")
ANYONE = to_checksum_address("0x" + "44" * 20)
FULL_READ = -1
"""In an expected call count: as many ``eth_call`` as reading every slot."""


class Counting(EthereumTesterProvider):
    """The test's chain, counting the JSON-RPC methods a reader asks for; ``tamper``
    rewrites the answers to ``eth_getLogs`` (a node that lies about events)."""

    def __init__(self, chain: Web3) -> None:
        super().__init__(chain.provider.ethereum_tester)  # type: ignore[attr-defined]
        self.methods: list[str] = []
        self.tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.methods.append(method)
        response = super().make_request(method, params)
        if method == "eth_getLogs" and self.tamper is not None:
            logs = self.tamper([dict(log) for log in response["result"]])
            response = {**response, "result": logs}
        return response

    def eth_calls(self) -> int:
        """``eth_call`` requests since the last time this was asked."""
        calls = self.methods.count("eth_call")
        self.methods.clear()
        return calls


def full_read_calls(registry: TrustRegistryContract) -> int:
    """What reading everything costs: three counts and one call per slot."""
    block = registry.w3.eth.block_number
    return 3 + sum(registry.counts(block=block))


def assert_as_full_read(trust: ChainTrustRegistry, reader: Reader, now: int) -> None:
    """``trust``'s refreshed snapshot is exactly what a new reader reads at that block."""
    fresh = reader()
    assert trust.snapshot(now=now) == fresh.snapshot(now=now)
    assert trust.malformed == fresh.malformed


def assert_fell_back_to_a_full_read(
    trust: ChainTrustRegistry,
    reader: Reader,
    counting: Counting,
    registry: TrustRegistryContract,
    now: int,
) -> None:
    """The refresh read the whole registry again (as many calls as a first read), and its
    snapshot is what a new reader reads."""
    assert_as_full_read(trust, reader, now)
    assert counting.eth_calls() == full_read_calls(registry)


@pytest.fixture
def seeded(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> tuple[ChainTrustRegistry, Counting, int]:
    """A registry of a few entries of each kind, read once through a counting provider."""
    now = chain_now(chain)
    others = [issuer_entry(f"https://issuer-{i}.example", now=now) for i in range(4)]
    registry.seed(
        issuers=[issuer_entry(now=now, key_refs={key_ref(ISSUER), OTHER_KEY}), *others],
        verifiers=[verifier_entry(now=now)],
        anchors=[anchor()],
    )
    counting = Counting(chain)
    trust = reader(w3=Web3(counting))
    now = chain_now(chain)
    trust.snapshot(now=now)
    counting.eth_calls()
    return trust, counting, now


def _readd(registry: TrustRegistryContract, now: int) -> None:
    registry.remove_issuer(ISSUER)
    registry.add_issuer(issuer_entry(now=now, vcts={VCT, VCT + "/v2"}))


def _admin_removed(registry: TrustRegistryContract, _now: int) -> None:
    registry.add_admin(ANYONE)
    registry.remove_admin(ANYONE)


CHANGES: dict[str, tuple[Callable[[TrustRegistryContract, int], object], int]] = {
    # change -> (what governance does, eth_calls of the refresh: three counts + slots named)
    "issuer added": (lambda r, now: r.add_issuer(issuer_entry(NEW_ISSUER, now=now)), 4),
    "issuer removed": (lambda r, _: r.remove_issuer(ISSUER), 4),
    "issuer removed and added again": (_readd, 4),
    "issuer key removed": (lambda r, _: r.remove_issuer_key(ISSUER, OTHER_KEY), 4),
    "verifier added": (lambda r, now: r.add_verifier(verifier_entry(OTHER_DESK, now=now)), 4),
    "verifier removed": (lambda r, _: r.remove_verifier(DESK), 4),
    "regulation anchored": (lambda r, _: r.anchor_regulation(anchor("cd", "2027-01-01")), 4),
    "regulation removed": (lambda r, _: r.remove_regulation_anchor(REGULATION, VALID_FROM_DATE), 4),
    "admin added": (lambda r, _: r.add_admin(ANYONE), 3),
    "admin removed": (_admin_removed, 3),
    "addition delay set": (lambda r, _: r.set_addition_delay(60), 3),
    "ownership transfer started": (lambda r, _: r.transfer_ownership(ANYONE), 3),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_is_applied_from_its_events_exactly_as_a_full_read(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
    change: str,
) -> None:
    trust, counting, now = seeded
    write, calls = CHANGES[change]
    write(registry, now)
    assert_as_full_read(trust, reader, now + POLL)
    assert counting.eth_calls() == calls  # the counts and the slots named, nothing else


def test_ownership_handed_over_is_applied_from_its_events(
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
    funded: Callable[[], LocalAccount],
) -> None:
    trust, counting, now = seeded
    successor = funded()
    registry.transfer_ownership(successor.address)
    registry.with_signer(successor).accept_ownership()
    assert_as_full_read(trust, reader, now + POLL)
    assert counting.eth_calls() == 3


def test_the_calls_for_one_change_do_not_grow_with_the_registry(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
) -> None:
    trust, counting, now = seeded
    registry.remove_issuer("https://issuer-0.example")
    assert_as_full_read(trust, reader, now + POLL)
    small = counting.eth_calls()
    registry.add_issuers([issuer_entry(f"https://more-{i}.example", now=now) for i in range(40)])
    assert_as_full_read(trust, reader, now + 2 * POLL)
    assert counting.eth_calls() == 3 + 40  # the new slots, not the old ones
    registry.remove_issuer("https://issuer-1.example")
    assert_as_full_read(trust, reader, now + 3 * POLL)
    assert counting.eth_calls() == small == 4


def test_several_changes_between_polls_are_applied_together(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
) -> None:
    trust, counting, now = seeded
    registry.add_issuer(issuer_entry(NEW_ISSUER, now=now))
    registry.remove_issuer(NEW_ISSUER)  # added and gone again: a new slot, inactive
    registry.remove_issuer_key(ISSUER, OTHER_KEY)
    registry.remove_verifier(DESK)
    registry.add_verifier(verifier_entry(now=now, claims={claim_key(["income"])}))
    registry.set_addition_delay(30)
    assert_as_full_read(trust, reader, now + POLL)
    assert counting.eth_calls() == 3 + 3  # issuer slots 0 and 5, verifier slot 0
    assert NEW_ISSUER not in trust.snapshot(now=now + POLL).issuers


def test_a_malformed_entry_added_later_is_dropped_as_a_full_read_drops_it(
    chain: Web3,
    registry: TrustRegistryContract,
    admin: LocalAccount,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
) -> None:
    trust, counting, now = seeded
    add_issuer_not_utf8(chain, registry, admin)
    assert_as_full_read(trust, reader, now + POLL)
    assert counting.eth_calls() == 4
    assert trust.malformed == ("issuer[5]",)


def _unknown_topic(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**logs[0], "topics": ["0x" + "11" * 32, *logs[0]["topics"][1:]]}, *logs[1:]]


def _garbled_data(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**logs[0], "data": "0x" + "ff" * 40}, *logs[1:]]


def _other_identifier(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**logs[0], "topics": [logs[0]["topics"][0], "0x" + "22" * 32]}, *logs[1:]]


def _another_contract(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**logs[0], "address": "0x" + "33" * 20}, *logs[1:]]


def _one_hidden(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return logs[1:]  # the counts then disagree with the events


@pytest.mark.parametrize(
    "tamper", [_unknown_topic, _garbled_data, _other_identifier, _another_contract, _one_hidden]
)
def test_logs_that_are_not_the_registrys_known_events_mean_a_full_read(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
    tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> None:
    trust, counting, now = seeded
    registry.add_issuer(issuer_entry(NEW_ISSUER, now=now))
    registry.add_verifier(verifier_entry(OTHER_DESK, now=now))
    counting.tamper = tamper
    assert_fell_back_to_a_full_read(trust, reader, counting, registry, now + POLL)
    assert {NEW_ISSUER, ISSUER} <= set(trust.snapshot(now=now + POLL).issuers)


def test_more_events_than_the_cap_mean_a_full_read(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trust, counting, now = seeded
    monkeypatch.setattr(events, "MAX_EVENTS", 1)
    registry.add_issuer(issuer_entry(NEW_ISSUER, now=now))
    registry.remove_verifier(DESK)
    assert_fell_back_to_a_full_read(trust, reader, counting, registry, now + POLL)


def test_a_gap_beyond_the_log_range_means_a_full_read(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trust, counting, now = seeded
    monkeypatch.setattr(chain_module, "MAX_LOG_RANGE", 2)
    registry.remove_issuer(ISSUER)
    chain.provider.ethereum_tester.mine_blocks(2)  # type: ignore[attr-defined]
    assert_fell_back_to_a_full_read(trust, reader, counting, registry, now + POLL)
    assert "eth_getLogs" not in counting.methods


def test_a_reorganisation_means_a_full_read_of_the_other_fork(
    chain: Web3,
    registry: TrustRegistryContract,
    reader: Reader,
    seeded: tuple[ChainTrustRegistry, Counting, int],
) -> None:
    """C-03: the fork that won has another change at the same height; the cached records
    of the lost fork are not carried over."""
    trust, counting, now = seeded
    tester = chain.provider.ethereum_tester  # type: ignore[attr-defined]
    fork = tester.take_snapshot()
    registry.add_issuer(issuer_entry(NEW_ISSUER, now=now))
    assert NEW_ISSUER in trust.snapshot(now=now + POLL).issuers
    counting.eth_calls()
    tester.revert_to_snapshot(fork)
    registry.add_issuer(issuer_entry("https://svb.example", now=now))
    tester.mine_blocks(1)
    assert_fell_back_to_a_full_read(trust, reader, counting, registry, now + 2 * POLL)
    assert NEW_ISSUER not in trust.snapshot(now=now + 2 * POLL).issuers


def test_every_event_of_the_contract_is_classified() -> None:
    """A new event in the contract must be classified (entry or governance) before the
    reader applies it; until then it is unknown and every refresh with it reads everything."""
    names = {item["name"] for item in load_artifact().abi if item["type"] == "event"}
    assert names == set(events._KIND_OF_EVENT) | events._GOVERNANCE_EVENTS
    assert len(events._SHAPES) == len(names)


def test_two_slots_with_one_identifier_are_only_ever_read_whole() -> None:
    """R-06: impossible with the pinned code (one slot per identifier hash), so a node that
    answers so is not patched slot by slot."""
    record = (ISSUER.encode(), [VCT.encode()], [bytes(range(32))], 0, 10, 0, True)
    records = events.SlotRecords.of({"issuer": [record, record], "verifier": [], "anchor": []})
    named = events.identity_hash("issuer", record)
    changes = events.Changes(
        {"issuer": frozenset({named}), "verifier": frozenset(), "anchor": frozenset()}, 1
    )
    assert records.slot_of["issuer"] is None
    assert records.reads_needed(changes, (2, 0, 0)) is None
    assert records.apply(changes, (2, 0, 0), lambda kind, index: record) is None
