# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Chain (RPC) cases C-01..C-07: the registry read from a node over JSON-RPC, the node at fault.

Every case reads through the production path (``TrustSettings`` -> ``ChainTrustRegistry`` ->
``BoundedHTTPProvider``, and ``QuorumProvider`` with ``quorum_rpc_urls``) from an in-process
chain served on loopback (``tests.threats.chain_node``), or from the misbehaving nodes of
``tests.trust.test_chain_failures``. A node that cannot be believed is TRUST_UNAVAILABLE
(``registry-unavailable``, ``registry-stale``, ``registry-wrong-chain``, ``registry-wrong-code``),
never "no entries" and never an exception from web3, requests or the ABI decoder.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3

from specs.errors import FAMILY_OF, Family, TrustReason
from specs.trust import check_issuer
from tests.threats.chain_node import (  # noqa: F401 - fixtures
    POLL,
    ChainNode,
    admin_key,
    deployed_chain,
    honest,
    node,
    read,
    served,
)
from tests.threats.invariants import bounded_memory, rejected
from tests.trust.conftest import ISSUER, VCT, chain_now, issuer_entry, key_ref
from tests.trust.test_chain_failures import node as misbehaving_node  # noqa: F401
from tests.trust.test_chain_failures import remote
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract
from trust.settings import TrustSettings

ATTACKER = "https://attacker.example"


def _unavailable(reason: object) -> None:
    assert FAMILY_OF[reason] is Family.TRUST_UNAVAILABLE  # type: ignore[index]


def trusted(registry: ChainTrustRegistry, now: int, issuer: str = ISSUER) -> None:
    snapshot = registry.snapshot(now=now)
    entry = snapshot.issuers[issuer]
    check_issuer(snapshot, issuer=issuer, vct=VCT, key_refs=list(entry.key_refs), now=now)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- C-01: the node is down, silent, or speaks no TLS ------------------------------------


def test_C_01_connection_refused_is_unavailable(honest: tuple[Web3, TrustRegistryContract]) -> None:
    chain, writer = honest
    registry = read(f"http://127.0.0.1:{_closed_port()}", writer, chain)
    reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE
    _unavailable(reason)


def test_C_01_a_node_that_never_answers_is_unavailable(
    honest: tuple[Web3, TrustRegistryContract],
) -> None:
    chain, writer = honest
    with socket.socket() as silent:  # accepts (backlog), never reads or writes
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        registry = read(f"http://127.0.0.1:{silent.getsockname()[1]}", writer, chain)
        reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE


def test_C_01_a_tls_failure_is_unavailable(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    registry = read(node.url.replace("http://", "https://"), writer, chain)  # no TLS there
    assert rejected(lambda: registry.snapshot(now=chain_now(chain))) == (
        TrustReason.REGISTRY_UNAVAILABLE
    )


def test_C_01_callers_are_served_from_the_cache_while_one_waits_on_a_slow_node(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    """No worker exhaustion: one refresh at a time; the rest keep the cached snapshot."""
    chain, writer = honest
    registry = read(node.url, writer, chain, rpc_timeout_seconds=10)
    now = chain_now(chain)
    first = registry.snapshot(now=now)
    gate, asked = threading.Event(), threading.Event()

    def slow(_method: str, _params: list[Any]) -> None:
        asked.set()
        gate.wait(10)  # a generous guard, released by the test below

    node.lie = slow
    refreshing = threading.Thread(target=registry.snapshot, kwargs={"now": now + POLL})
    refreshing.start()
    try:
        assert asked.wait(10)
        assert registry.snapshot(now=now + POLL + 1) is first  # not queued behind the node
        assert not gate.is_set()  # answered while the refresh was still waiting
    finally:
        gate.set()
        refreshing.join(10)


# --- C-02: another chain ------------------------------------------------------------------


def test_C_02_a_node_reporting_another_chain_id_is_refused(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    registry = read(node.url, writer, chain)
    now = chain_now(chain)
    trusted(registry, now)
    node.lie = lambda method, _params: 1 if method == "eth_chainId" else None
    reason = rejected(lambda: registry.snapshot(now=now + POLL))  # the cache does not hide it
    assert reason == TrustReason.WRONG_CHAIN
    _unavailable(reason)


# --- C-03: only confirmed state -----------------------------------------------------------


def test_C_03_a_change_reorganised_away_is_not_trusted(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    tester = chain.provider.ethereum_tester  # type: ignore[attr-defined]
    registry = read(node.url, writer, chain)
    now = chain_now(chain)
    assert ATTACKER not in registry.snapshot(now=now).issuers
    before = tester.take_snapshot()
    writer.add_issuer(issuer_entry(ATTACKER, now=now))  # included at latest ...
    assert ATTACKER in registry.snapshot(now=now + POLL).issuers
    tester.revert_to_snapshot(before)  # ... then reorganised out
    tester.mine_blocks(3)
    assert ATTACKER not in registry.snapshot(now=now + 2 * POLL).issuers


def test_C_03_a_change_needs_its_confirmations(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    tester = chain.provider.ethereum_tester  # type: ignore[attr-defined]
    tester.mine_blocks(2)
    registry = read(node.url, writer, chain, confirmations=2)
    now = chain_now(chain)
    writer.add_issuer(issuer_entry(ATTACKER, now=now))
    for step in (1, 2):
        assert ATTACKER not in registry.snapshot(now=now + step * POLL).issuers
        tester.mine_blocks(1)
    assert ATTACKER in registry.snapshot(now=now + 3 * POLL).issuers


# --- C-04: one of two nodes lies ----------------------------------------------------------


@pytest.fixture
def forged(admin_key: bytes) -> Web3:
    """The liar's registry: the same contract address, and the attacker registered too."""
    chain, writer = deployed_chain(admin_key)
    # A minute back: this chain is made after the honest one, and its clock may be a second
    # ahead of the honest chain's time the entries are judged at.
    now = chain_now(chain) - 60
    writer.add_issuers([issuer_entry(now=now), issuer_entry(ATTACKER, now=now)])
    return chain


@pytest.fixture
def liar(honest: tuple[Web3, TrustRegistryContract], forged: Web3) -> Iterator[ChainNode]:
    """The honest chain for blocks, code and logs; the forged registry for every call."""
    forged_call = forged.provider.request_func(forged, forged.middleware_onion)

    def lie(method: str, params: list[Any]) -> Any:
        if method == "eth_call":
            return forged_call(method, [params[0], "latest"])["result"]
        return None

    with served(honest[0], lie=lie) as lying:
        yield lying


def test_C_04_the_lie_alone_would_be_believed(
    honest: tuple[Web3, TrustRegistryContract], liar: ChainNode, forged: Web3
) -> None:
    """The control: block, code and chain all check out; only the calls lie.

    The forged entry is in force from the forged chain's block time, which may be a second
    after the honest chain's: it is judged at the later of the two."""
    chain, writer = honest
    now = max(chain_now(chain), chain_now(forged))
    trusted(read(liar.url, writer, chain), now, ATTACKER)


@pytest.mark.parametrize("liar_first", [False, True])
def test_C_04_nodes_that_disagree_are_unavailable(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode, liar: ChainNode, liar_first: bool
) -> None:
    chain, writer = honest
    first, second = (liar, node) if liar_first else (node, liar)
    registry = read(first.url, writer, chain, quorum_rpc_urls=[second.url])
    reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE
    _unavailable(reason)


def test_C_04_nodes_that_agree_are_trusted(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    with served(chain) as other:
        registry = read(node.url, writer, chain, quorum_rpc_urls=[other.url])
        now = chain_now(chain)
        trusted(registry, now)
        assert node.requests > 0
        assert other.requests == node.requests  # every read was asked of both
        snapshot = registry.snapshot(now=now)
    attacker = {"issuer": ATTACKER, "vct": VCT, "key_refs": [key_ref(ATTACKER)], "now": now}
    reason = rejected(lambda: check_issuer(snapshot, **attacker))  # type: ignore[arg-type]
    assert reason == TrustReason.ISSUER_NOT_REGISTERED  # what neither says stays refused


def test_C_04_a_node_turning_liar_is_caught_at_the_next_refresh(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode, liar: ChainNode
) -> None:
    """Both honest at first; then the second lies. The last agreed snapshot serves within
    the staleness (marked cached, the attacker absent), then the registry fails closed."""
    chain, writer = honest
    lie = liar.lie
    liar.lie = None
    registry = read(node.url, writer, chain, quorum_rpc_urls=[liar.url], max_staleness_seconds=60)
    now = chain_now(chain)
    trusted(registry, now)
    writer.add_issuer(issuer_entry("https://gemeente.example", now=now))  # an event: full read
    liar.lie = lie
    cached = registry.snapshot(now=now + POLL)
    assert cached.source.endswith("(cached)")
    assert ATTACKER not in cached.issuers
    assert rejected(lambda: registry.snapshot(now=now + 61)) == TrustReason.REGISTRY_STALE


def test_C_04_a_node_reporting_an_older_head_does_not_pull_the_read_back(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    """The registry reads at the highest head; the node that claims an older one must answer
    for that block like the others (here it has it: its head was a lie, not lateness)."""
    chain, writer = honest
    head = chain.eth.block_number
    writer.add_issuer(issuer_entry(ATTACKER, now=chain_now(chain)))  # in block head + 1
    with served(chain, lie=lambda m, _p: hex(head) if m == "eth_blockNumber" else None) as late:
        registry = read(node.url, writer, chain, quorum_rpc_urls=[late.url])
        snapshot = registry.snapshot(now=chain_now(chain))
    assert ATTACKER in snapshot.issuers
    assert snapshot.source.endswith(f"@{head + 1}")


def test_C_04_an_old_head_cannot_bring_back_a_removed_issuer(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    """One node of the quorum reports the head from before a removal: the read stays at the
    newest block, where the issuer is gone."""
    chain, writer = honest
    before_removal = chain.eth.block_number
    writer.remove_issuer(ISSUER)
    old_head = lambda m, _p: hex(before_removal) if m == "eth_blockNumber" else None  # noqa: E731
    with served(chain, lie=old_head) as liar:
        registry = read(node.url, writer, chain, quorum_rpc_urls=[liar.url])
        snapshot = registry.snapshot(now=chain_now(chain))
    assert ISSUER not in snapshot.issuers


def test_C_04_heads_far_apart_are_unavailable(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    far = lambda m, _p: hex(chain.eth.block_number + 100) if m == "eth_blockNumber" else None  # noqa: E731
    with served(chain, lie=far) as ahead:
        registry = read(node.url, writer, chain, quorum_rpc_urls=[ahead.url])
        _unavailable(rejected(lambda: registry.snapshot(now=chain_now(chain))))


def test_C_03_the_registry_never_reads_a_block_before_the_one_it_read(
    honest: tuple[Web3, TrustRegistryContract],
) -> None:
    """A single node that turns to report an old head after a removal: the refresh fails
    (the last read serves within its staleness, marked cached), the issuer stays removed."""
    chain, writer = honest
    before_removal = chain.eth.block_number
    writer.remove_issuer(ISSUER)
    state = {"lie": False}

    def lie(method: str, _params: Any) -> Any:
        return hex(before_removal) if method == "eth_blockNumber" and state["lie"] else None

    with served(chain, lie=lie) as single:
        registry = read(single.url, writer, chain)
        now = chain_now(chain)
        assert ISSUER not in registry.snapshot(now=now).issuers
        state["lie"] = True
        snapshot = registry.snapshot(now=now + POLL)
    assert ISSUER not in snapshot.issuers
    assert snapshot.source.endswith("(cached)")


def test_C_07_a_block_timestamp_from_the_future_is_refused_by_the_quorum(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    """Trust is decided at max(now, as_of), and as_of is the block's time: a node that moves
    it two hours ahead would put an entry behind its timelock in force. A single node is
    trusted for everything it says (its calls too); in a quorum, its block differs from the
    others' in the timestamp, though the hash is the true one."""
    chain, writer = honest
    writer.set_addition_delay(3600)
    writer.add_issuer(issuer_entry(ATTACKER, now=chain_now(chain)))
    real = chain.provider.request_func(chain, chain.middleware_onion)

    def ahead(method: str, params: Any) -> Any:
        if method != "eth_getBlockByNumber":
            return None
        block = dict(real(method, params)["result"])
        block["timestamp"] = int(block["timestamp"]) + 7200
        return block

    with served(chain, lie=ahead) as forger:
        quorum = read(forger.url, writer, chain, quorum_rpc_urls=[node.url])
        _unavailable(rejected(lambda: quorum.snapshot(now=chain_now(chain))))


def test_C_04_a_node_on_another_fork_is_unavailable(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode, admin_key: bytes
) -> None:
    """Same contract, same entries, other blocks: the block hashes differ."""
    chain, writer = honest
    other, other_writer = deployed_chain(admin_key)
    other_writer.add_issuer(issuer_entry(now=chain_now(chain)))
    with served(other) as fork:
        registry = read(node.url, writer, chain, quorum_rpc_urls=[fork.url])
        reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE


def test_C_04_a_quorum_node_down_is_unavailable(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    down = f"http://127.0.0.1:{_closed_port()}"
    registry = read(node.url, writer, chain, quorum_rpc_urls=[down])
    reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE


def test_C_04_the_quorum_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = {"chain_id": 1, "contract_address": "0x" + "11" * 20}
    monkeypatch.setenv("AANSPRAAK_TRUST_RPC_URL", "http://127.0.0.1:8545")
    monkeypatch.setenv("AANSPRAAK_TRUST_QUORUM_RPC_URLS", "https://a.example, https://b.example")
    settings = TrustSettings(**pinned)  # type: ignore[arg-type]
    assert settings.quorum_rpc_urls == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("AANSPRAAK_TRUST_QUORUM_RPC_URLS")
    assert TrustSettings(**pinned).quorum_rpc_urls == []  # type: ignore[arg-type]
    refusals = {
        "http(s)": {"quorum_rpc_urls": ["file:///etc/passwd"]},
        "differ": {"quorum_rpc_urls": ["http://127.0.0.1:8545"]},
        "at most": {"quorum_rpc_urls": [f"https://n{i}.example" for i in range(8)]},
    }
    for message, values in refusals.items():
        with pytest.raises(ValueError, match=message):
            TrustSettings(**pinned, **values)  # type: ignore[arg-type]
    monkeypatch.delenv("AANSPRAAK_TRUST_RPC_URL")
    with pytest.raises(ValueError, match="needs rpc_url"):
        TrustSettings(quorum_rpc_urls=["https://a.example"])


# --- C-05: a node that floods or drips ----------------------------------------------------


def test_C_05_a_100_mb_answer_is_cut_at_the_size_cap(misbehaving_node: str) -> None:
    registry = remote(f"{misbehaving_node}/huge", rpc_timeout_seconds=10)
    with bounded_memory(32 * 2**20):
        reason = rejected(lambda: registry.snapshot(now=1_790_000_000))
    assert reason == TrustReason.REGISTRY_UNAVAILABLE


def test_C_05_a_dripping_node_hits_the_deadline(misbehaving_node: str) -> None:
    registry = remote(f"{misbehaving_node}/drip")
    assert rejected(lambda: registry.snapshot(now=1_790_000_000)) == (
        TrustReason.REGISTRY_UNAVAILABLE
    )


# --- C-06: no code, or an empty answer ----------------------------------------------------


def test_C_06_an_address_without_code_is_refused_not_empty(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, _writer = honest
    registry = ChainTrustRegistry.from_settings(
        TrustSettings(
            rpc_url=node.url, chain_id=chain.eth.chain_id, contract_address="0x" + "22" * 20
        )
    )
    reason = rejected(lambda: registry.snapshot(now=chain_now(chain)))
    assert reason == TrustReason.WRONG_CODE
    _unavailable(reason)


def test_C_06_an_empty_call_answer_is_unavailable_not_false(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    """``eth_call`` answering ``0x`` (web3's BadFunctionCallOutput) while the code checks
    out: not "no issuers", not an exception."""
    chain, writer = honest
    node.lie = lambda method, _params: "0x" if method == "eth_call" else None
    registry = read(node.url, writer, chain)
    assert rejected(lambda: registry.snapshot(now=chain_now(chain))) == (
        TrustReason.REGISTRY_UNAVAILABLE
    )


# --- C-07: the timelock -------------------------------------------------------------------


def test_C_07_an_issuer_added_with_a_delay_is_not_trusted_until_effective(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    writer.set_addition_delay(3600)
    now = chain_now(chain)
    entry = issuer_entry(ATTACKER, now=now)
    writer.add_issuer(entry)
    snapshot = read(node.url, writer, chain).snapshot(now=now)
    effective = snapshot.issuers[ATTACKER].effective_from
    assert effective >= now + 3600
    check = {"issuer": ATTACKER, "vct": VCT, "key_refs": list(entry.key_refs)}
    assert rejected(lambda: check_issuer(snapshot, now=effective - 1, **check)) == (  # type: ignore[arg-type]
        TrustReason.NOT_YET_EFFECTIVE
    )
    check_issuer(snapshot, now=effective, **check)  # type: ignore[arg-type]
