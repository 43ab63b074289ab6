"""The chain backend's refresh after one change, against registry size: event-fed vs full read.

Part of ``python -m bench.trust``. For each registry size (issuers seeded with the batch call
``add_issuers``, plus one verifier and one anchor) a reader of the deployed contract reads it
once; then, ``rounds`` times, governance removes one issuer and the reader refreshes (the
events since the last read name one slot: ``trust.events``), and a new reader reads the same
block whole (what every refresh did before). Both are timed in wall time, because the node
may be another process, and their ``eth_call`` requests are counted by the provider. Each
event-fed snapshot is checked to equal the full read's, so the figure is of a correct refresh.

On the in-process EVM by default; with ``--rpc-url`` also against that node (anvil), where
the time from a change being mined to a reader polling once a second seeing it is measured
too (wall clock, the change's receipt to the snapshot without the issuer).
"""

from __future__ import annotations

import functools
import hashlib
import statistics
import time
from collections.abc import Callable
from typing import Any

from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from specs.jose import b64url_encode
from specs.trust import IssuerEntry, RegulationAnchor, VerifierEntry
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, load_artifact, new_dev_admin
from trust.rpc import BoundedHTTPProvider

YEAR = 365 * 24 * 3600
POLL = 10


class _Counter:
    """``eth_call`` requests made through a provider since the last ``take``."""

    def __init__(self) -> None:
        self.eth_calls = 0

    def count(self, method: str) -> None:
        self.eth_calls += method == "eth_call"

    def take(self) -> int:
        calls, self.eth_calls = self.eth_calls, 0
        return calls


class CountingTester(EthereumTesterProvider):
    """A new in-process chain that counts its ``eth_call`` requests."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = _Counter()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.counter.count(method)
        return super().make_request(method, params)


class CountingNode(BoundedHTTPProvider):
    """A JSON-RPC node that counts its ``eth_call`` requests."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=30)
        self.counter = _Counter()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.counter.count(method)
        return super().make_request(method, params)


def _issuer(i: int, now: int) -> IssuerEntry:
    name = f"https://issuer-{i}.example"
    key = b64url_encode(hashlib.sha256(name.encode()).digest())
    return IssuerEntry(
        name, frozenset({"urn:example:income"}), frozenset({key}), now - YEAR, now + YEAR, 0
    )


def _deployed(w3: Web3, size: int) -> TrustRegistryContract:
    """A registry of ``size`` issuers, one verifier and one anchor, by an admin of its own."""
    key = hashlib.sha256(f"bench.trust/{size}".encode()).digest()
    # 10 ether pays for the seeding many times over; a shared node's funds last longer.
    writer = deploy(w3, signer=new_dev_admin(w3, private_key=key, wei=10**19))
    now = int(w3.eth.get_block("latest")["timestamp"])
    desk = VerifierEntry(
        "https://desk.example",
        {"kwijtschelding": frozenset({'["age_years"]'})},
        "Invorderingswet 1990 art. 26",
        now - YEAR,
        now + YEAR,
        0,
    )
    law = RegulationAnchor("kwijtschelding", "sha256:" + "ab" * 32, "2026-01-01", 0)
    writer.seed(issuers=[_issuer(i, now) for i in range(size)], verifiers=[desk], anchors=[law])
    return writer


def _reader(w3: Web3, writer: TrustRegistryContract, poll: int) -> ChainTrustRegistry:
    return ChainTrustRegistry(
        w3,
        address=writer.address,
        chain_id=w3.eth.chain_id,
        code_hash=load_artifact().runtime_code_hash,
        confirmations=0,
        max_staleness_seconds=10**9,
        poll_interval_seconds=poll,
    )


def _timed(read: Callable[[], object]) -> float:
    start = time.perf_counter()
    read()
    return time.perf_counter() - start


def refresh_row(w3: Web3, counter: _Counter, size: int, rounds: int) -> dict[str, float]:
    """Median calls and milliseconds of a refresh after one removal, both ways."""
    writer = _deployed(w3, size)
    reader = _reader(w3, writer, POLL)
    start = int(time.time())
    reader.snapshot(now=start)
    fed_ms, fed_calls, full_ms, full_calls = [], [], [], []
    for step in range(1, rounds + 1):
        writer.remove_issuer(f"https://issuer-{step - 1}.example")
        now = start + step * POLL
        counter.take()
        fed_ms.append(_timed(functools.partial(reader.snapshot, now=now)) * 1000)
        fed_calls.append(counter.take())
        fresh = _reader(w3, writer, POLL)
        full_ms.append(_timed(functools.partial(fresh.snapshot, now=now)) * 1000)
        full_calls.append(counter.take())
        if reader.snapshot(now=now) != fresh.snapshot(now=now):
            raise AssertionError("the event-fed snapshot differs from the full read")
    fed, full = statistics.median(fed_ms), statistics.median(full_ms)
    return {
        "entries": float(size),
        "event_fed_calls": statistics.median(fed_calls),
        "event_fed_ms": fed,
        "full_read_calls": statistics.median(full_calls),
        "full_read_ms": full,
        "speedup": full / fed,
    }


def in_process_curve(sizes: list[int], rounds: int) -> list[dict[str, float]]:
    """One new in-process chain per size (its state grows with every write)."""
    rows = []
    for size in sizes:
        provider = CountingTester()
        rows.append(refresh_row(Web3(provider), provider.counter, size, rounds))
    return rows


def node_curve(url: str, sizes: list[int], rounds: int) -> list[dict[str, float]]:
    provider = CountingNode(url)
    return [refresh_row(Web3(provider), provider.counter, size, rounds) for size in sizes]


def node_time_to_effect(url: str, rounds: int, poll: int = 1) -> dict[str, float]:
    """Wall seconds from a removal's receipt to a reader (polling every ``poll`` s) that no
    longer lists the issuer."""
    w3 = Web3(BoundedHTTPProvider(url, timeout=30))
    writer = _deployed(w3, rounds)
    reader = _reader(w3, writer, poll)
    reader.snapshot(now=int(time.time()))
    seconds = []
    for step in range(rounds):
        issuer = f"https://issuer-{step}.example"
        writer.remove_issuer(issuer)
        mined = time.perf_counter()
        while issuer in reader.snapshot(now=int(time.time())).issuers:
            if time.perf_counter() - mined > 10 * poll:
                raise AssertionError("a removal was not seen within ten poll intervals")
            time.sleep(0.005)
        seconds.append(time.perf_counter() - mined)
    return {
        "poll_interval_seconds": float(poll),
        "median_seconds": statistics.median(seconds),
        "max_seconds": max(seconds),
    }
