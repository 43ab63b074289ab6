"""The chain backend's snapshot, and the pure decisions taken on it (in-process EVM).

What governance writes on chain must come out of ``ChainTrustRegistry.snapshot`` exactly as
``specs.trust.model`` describes it, and ``specs.trust`` must then decide as THREATS R-02,
R-03, R-05, C-03 and C-07 require. Each test refreshes by moving ``now`` past the poll
interval, as time would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

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
    verifier_entry,
)
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract

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
    trust._contract.call = lambda *a, **k: calls.append(a[0])  # type: ignore[method-assign,assignment,func-returns-value]
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
