"""The chain backend against a real node: anvil over JSON-RPC (THREATS C-02, C-03, C-04).

Also the refresh fed by events (``trust.events``) against a separate node: after each kind
of change the reader's snapshot is what a new reader reads, for a few ``eth_call`` that do
not grow with the registry; a reorganisation (``evm_snapshot``/``evm_revert``) or a gap
means a full read; a quorum of two connections agrees on the same.

Runs only when ``TEST_CHAIN_RPC_URL`` names a node (``.ci/run`` starts anvil and sets it);
skipped otherwise. The tests take an exclusive lock on the node for their duration: the
reorganisation test rewinds the whole chain (``evm_revert``), which must not undo what a test
in another pytest-xdist worker is writing at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.types import RPCEndpoint, RPCResponse

from specs.errors import TrustReason
from specs.trust import check_issuer, check_verifier
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
from trust import chain as chain_module
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, fund_from_node, load_artifact
from trust.quorum import QuorumProvider
from trust.rpc import BoundedHTTPProvider
from trust.settings import TrustSettings

URL = os.environ.get("TEST_CHAIN_RPC_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="TEST_CHAIN_RPC_URL is not set (anvil)")
POLL = 10


@pytest.fixture
def node() -> Iterator[Web3]:
    name = hashlib.sha256(URL.encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"aanspraak-chain-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Web3(BoundedHTTPProvider(URL, timeout=10))


@pytest.fixture
def deployed(node: Web3, new_account: Callable[[], LocalAccount]) -> TrustRegistryContract:
    admin = new_account()
    fund_from_node(node, admin.address, 10**19)  # ample: a shared node's funds last
    return deploy(node, signer=admin)


def reader(node: Web3, registry: TrustRegistryContract, **overrides: Any) -> ChainTrustRegistry:
    settings: dict[str, Any] = {
        "rpc_url": URL,
        "chain_id": node.eth.chain_id,
        "contract_address": registry.address,
        "poll_interval_seconds": POLL,
    }
    return ChainTrustRegistry.from_settings(TrustSettings(**(settings | overrides)))


def rpc(node: Web3, method: str, *params: Any) -> Any:
    response = node.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def test_deploy_seed_and_read_through_the_node(node: Web3, deployed: TrustRegistryContract) -> None:
    code = node.eth.get_code(deployed.address)
    assert "0x" + Web3.keccak(code).hex() == load_artifact().runtime_code_hash  # as compiled
    now = chain_now(node)
    issuers = [issuer_entry(f"https://issuer-{i}.example", now=now) for i in range(20)]
    deployed.seed(
        issuers=[issuer_entry(now=now), *issuers],
        verifiers=[verifier_entry(now=now)],
        anchors=[anchor()],
    )
    now = chain_now(node)
    snapshot = reader(node, deployed).snapshot(now=now)
    assert len(snapshot.issuers) == 21
    assert snapshot.as_of == now
    key_refs = list(issuer_entry(now=now).key_refs)
    check_issuer(snapshot, issuer=ISSUER, vct=VCT, key_refs=key_refs, now=now)
    check_verifier(snapshot, client_id=DESK, regulation=REGULATION, claims=CLAIMS, now=now)
    wrong = reader(node, deployed, chain_id=node.eth.chain_id + 1)
    assert_rejected(TrustReason.WRONG_CHAIN, wrong.snapshot, now=now)


def test_a_change_reorganised_away_is_not_trusted(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    for _ in range(2):
        rpc(node, "evm_mine")  # the deployment itself confirmed
    now = chain_now(node)
    latest, confirmed = reader(node, deployed), reader(node, deployed, confirmations=2)
    assert latest.snapshot(now=now).issuers == {}
    checkpoint = rpc(node, "evm_snapshot")
    deployed.add_issuer(issuer_entry(now=now))
    assert ISSUER in latest.snapshot(now=now + POLL).issuers  # at `latest`: seen ...
    assert ISSUER not in confirmed.snapshot(now=now + POLL).issuers  # ... not yet confirmed
    assert rpc(node, "evm_revert", checkpoint) is True  # the block is reorganised away
    for _ in range(3):
        rpc(node, "evm_mine")  # and the other fork grows longer
    assert latest.snapshot(now=now + 2 * POLL).issuers == {}
    assert confirmed.snapshot(now=now + 2 * POLL).issuers == {}  # it never saw it at all


# --- refreshes fed by events ------------------------------------------------------------------


class Counting(BoundedHTTPProvider):
    """The node, counting the ``eth_call`` requests a reader makes."""

    def __init__(self) -> None:
        super().__init__(URL, timeout=10)
        self.calls = 0

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.calls += method == "eth_call"
        return super().make_request(method, params)

    def eth_calls(self) -> int:
        calls, self.calls = self.calls, 0
        return calls


def counted(
    node: Web3, registry: TrustRegistryContract, provider: Any = None
) -> tuple[ChainTrustRegistry, Counting]:
    """A reader of ``registry`` through a counting connection (or ``provider`` over it)."""
    counting = Counting()
    trust = ChainTrustRegistry(
        Web3(provider or counting),
        address=registry.address,
        chain_id=node.eth.chain_id,
        code_hash=load_artifact().runtime_code_hash,
        confirmations=0,
        max_staleness_seconds=300,
        poll_interval_seconds=POLL,
    )
    return trust, counting


def same_as_a_full_read(
    trust: ChainTrustRegistry, node: Web3, registry: TrustRegistryContract, now: int
) -> None:
    fresh = reader(node, registry)
    assert trust.snapshot(now=now) == fresh.snapshot(now=now)
    assert trust.malformed == fresh.malformed


def full_read_calls(node: Web3, registry: TrustRegistryContract) -> int:
    return 3 + sum(registry.counts(block=node.eth.block_number))


def seed(registry: TrustRegistryContract, now: int, issuers: int) -> None:
    registry.seed(
        issuers=[
            issuer_entry(now=now, key_refs={key_ref(ISSUER), key_ref("rotated")}),
            *(issuer_entry(f"https://issuer-{i}.example", now=now) for i in range(issuers)),
        ],
        verifiers=[verifier_entry(now=now)],
        anchors=[anchor()],
    )


def test_each_change_is_applied_from_its_events_for_a_few_calls(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    now = chain_now(node)
    seed(deployed, now, issuers=10)
    trust, counting = counted(node, deployed)
    trust.snapshot(now=now)
    assert counting.eth_calls() == full_read_calls(node, deployed)
    anyone = to_checksum_address("0x" + "44" * 20)
    changes: list[tuple[Callable[[], object], int]] = [
        (lambda: deployed.add_issuer(issuer_entry("https://gemeente.example", now=now)), 4),
        (lambda: deployed.remove_issuer_key(ISSUER, key_ref("rotated")), 4),
        (lambda: deployed.remove_issuer(ISSUER), 4),
        (lambda: deployed.add_issuer(issuer_entry(now=now)), 4),  # the same slot again
        (lambda: deployed.add_verifier(verifier_entry("https://uwv.example", now=now)), 4),
        (lambda: deployed.remove_verifier(DESK), 4),
        (lambda: deployed.anchor_regulation(anchor("cd", "2027-01-01")), 4),
        (lambda: deployed.remove_regulation_anchor(REGULATION, VALID_FROM_DATE), 4),
        (lambda: deployed.add_admin(anyone), 3),
        (lambda: deployed.remove_admin(anyone), 3),
        (lambda: deployed.set_addition_delay(60), 3),
        (lambda: deployed.transfer_ownership(anyone), 3),
    ]
    for step, (change, calls) in enumerate(changes, start=1):
        change()
        same_as_a_full_read(trust, node, deployed, now + step * POLL)
        assert counting.eth_calls() == calls, step


def test_the_calls_for_one_change_do_not_grow_with_the_registry(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    now = chain_now(node)
    seed(deployed, now, issuers=10)
    trust, counting = counted(node, deployed)
    trust.snapshot(now=now)
    counting.eth_calls()
    deployed.remove_issuer("https://issuer-0.example")
    same_as_a_full_read(trust, node, deployed, now + POLL)
    small = counting.eth_calls()
    deployed.add_issuers([issuer_entry(f"https://more-{i}.example", now=now) for i in range(90)])
    same_as_a_full_read(trust, node, deployed, now + 2 * POLL)
    assert counting.eth_calls() == 3 + 90  # the new slots, not the old ones
    deployed.remove_issuer("https://issuer-1.example")
    same_as_a_full_read(trust, node, deployed, now + 3 * POLL)
    assert counting.eth_calls() == small == 4


def test_a_reorganisation_means_a_full_read_of_the_fork_that_won(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    """C-03: the lost fork added one issuer, the winning fork another at the same height;
    the records cached from the lost fork are not carried over."""
    now = chain_now(node)
    seed(deployed, now, issuers=3)
    trust, counting = counted(node, deployed)
    trust.snapshot(now=now)
    checkpoint = rpc(node, "evm_snapshot")
    deployed.add_issuer(issuer_entry("https://lost.example", now=now))
    assert "https://lost.example" in trust.snapshot(now=now + POLL).issuers
    assert rpc(node, "evm_revert", checkpoint) is True
    deployed.add_issuer(issuer_entry("https://won.example", now=now))
    rpc(node, "evm_mine")
    counting.eth_calls()
    same_as_a_full_read(trust, node, deployed, now + 2 * POLL)
    assert counting.eth_calls() == full_read_calls(node, deployed)
    assert "https://lost.example" not in trust.snapshot(now=now + 2 * POLL).issuers


def test_a_gap_beyond_the_log_range_means_a_full_read(
    node: Web3, deployed: TrustRegistryContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = chain_now(node)
    seed(deployed, now, issuers=3)
    trust, counting = counted(node, deployed)
    trust.snapshot(now=now)
    counting.eth_calls()
    monkeypatch.setattr(chain_module, "MAX_LOG_RANGE", 2)
    deployed.remove_issuer(ISSUER)
    for _ in range(2):
        rpc(node, "evm_mine")
    same_as_a_full_read(trust, node, deployed, now + POLL)
    assert counting.eth_calls() == full_read_calls(node, deployed)


def test_a_quorum_applies_the_events_both_nodes_agree_on(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    now = chain_now(node)
    seed(deployed, now, issuers=3)
    first, second = Counting(), Counting()
    trust, _ = counted(node, deployed, QuorumProvider([first, second]))
    trust.snapshot(now=now)
    first.eth_calls(), second.eth_calls()
    deployed.remove_issuer(ISSUER)
    deployed.add_verifier(verifier_entry("https://uwv.example", now=now))
    same_as_a_full_read(trust, node, deployed, now + POLL)
    assert first.eth_calls() == second.eth_calls() == 3 + 2


def test_an_entry_written_again_in_a_later_second_than_estimated_is_written(
    node: Web3, deployed: TrustRegistryContract
) -> None:
    """Re-adding an issuer rewrites its ``effective_from``: estimated in the second it was
    stored (a no-op write, cheap) and mined in a later one (a real write), the node's exact
    estimate used to run out of gas. ``transact`` adds a margin."""
    now = chain_now(node)
    added = deployed.add_issuer(issuer_entry(now=now))
    deployed.remove_issuer(ISSUER)
    stored_at = int(node.eth.get_block(added["blockNumber"])["timestamp"])
    latest = int(node.eth.get_block("latest")["timestamp"])
    rpc(node, "evm_setNextBlockTimestamp", max(stored_at, latest) + 2)
    receipt = deployed.add_issuer(issuer_entry(now=now))
    assert receipt["status"] == 1
    assert ISSUER in reader(node, deployed).snapshot(now=chain_now(node)).issuers
