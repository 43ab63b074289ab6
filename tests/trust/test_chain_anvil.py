"""The chain backend against a real node: anvil over JSON-RPC (THREATS C-02, C-03).

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
from web3 import Web3

from specs.errors import TrustReason
from specs.trust import check_issuer, check_verifier
from tests.support import assert_rejected
from tests.trust.conftest import (
    CLAIMS,
    DESK,
    ISSUER,
    REGULATION,
    VCT,
    anchor,
    chain_now,
    issuer_entry,
    verifier_entry,
)
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, fund_from_node, load_artifact
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
    fund_from_node(node, admin.address, 10**20)
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
