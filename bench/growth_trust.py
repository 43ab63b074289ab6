"""Trust decisions and registry reads against the registry's size: ``bench.growth``'s curves
4 and 5.

4. ``trust_cached``: one ``check_issuer`` + ``check_verifier`` pair (what a presentation and
   a request cost the desk) against a ``TrustSnapshot`` of N issuers and N verifiers, built
   directly (as ``bench.trust``): the cached state every backend serves between polls. The
   pairs cycle through 64 entries drawn at random, so one hot entry does not stand for the
   registry. Expected flat: two dictionary lookups and set tests.
5. ``chain_read``: one full read of the registry contract, a fresh ``ChainTrustRegistry``
   taking its first snapshot (chain id, head, block, code hash, the three counts, one
   ``eth_call`` per entry, the block again), against N issuers seeded with the contract's
   batch call (``TrustRegistryContract.add_issuers``, 16 per transaction). On the
   in-process EVM (``trust.embedded.start_in_process``) by default, times in CPU seconds of
   this process (the EVM runs in it); with ``--rpc-url`` against a node such as anvil, in
   wall seconds (the node's work is in another process). The JSON-RPC calls of each read
   are counted by the provider. Expected linear: a full read is one call per entry, which
   is why the verifier reads in full only at start and on change (``trust.chain``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from web3 import EthereumTesterProvider, HTTPProvider, Web3

from bench.growth_measure import Curve, Subject, points_from, time_subjects
from bench.verifier_workload import require
from specs.jose import b64url_encode
from specs.trust import IssuerEntry, TrustSnapshot, VerifierEntry, check_issuer, check_verifier
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, fund_from_node, load_artifact
from trust.embedded import start_in_process
from trust.settings import TrustSettings

REGISTRY_SIZES = (10, 100, 1_000, 10_000, 100_000)
CHAIN_SIZES = (10, 30, 100, 300, 1_000)
PICKS = 64
NOW = 1_790_000_000
REGULATION = "kwijtschelding"
CLAIMS = (("age_years",), ("has_partner",))
PERMISSIONS = frozenset({'["age_years"]', '["has_partner"]'})


def key_ref(i: int) -> str:
    """A well-formed key reference: base64url of a 32-byte hash."""
    return b64url_encode(hashlib.sha256(str(i).encode()).digest())


def issuer_entry(i: int) -> IssuerEntry:
    issuer = f"https://issuer-{i}.example"
    vcts = frozenset({f"urn:example:type:{i}", "urn:example:shared"})
    return IssuerEntry(issuer, vcts, frozenset({key_ref(i)}), 0, 2**40, 0)


def verifier_entry(i: int) -> VerifierEntry:
    legal_basis = "Invorderingswet 1990 art. 26"
    return VerifierEntry(
        f"https://desk-{i}.example", {REGULATION: PERMISSIONS}, legal_basis, 0, 2**40, 0
    )


def registry_snapshot(size: int) -> TrustSnapshot:
    issuers = {entry.issuer: entry for entry in map(issuer_entry, range(size))}
    verifiers = {entry.client_id: entry for entry in map(verifier_entry, range(size))}
    return TrustSnapshot(issuers, verifiers, {}, NOW, "bench")


def trust_cached_curve(sizes: Sequence[int], *, rounds: int, seconds: float) -> Curve:
    subjects = []
    for size in sizes:
        snapshot = registry_snapshot(size)
        drawn = random.Random(size).choices(range(size), k=PICKS)
        picks = [
            (f"https://issuer-{i}.example", [key_ref(i)], f"https://desk-{i}.example")
            for i in drawn
        ]
        for issuer, refs, desk in picks:  # every pick is a positive decision
            require(
                check_issuer(
                    snapshot, issuer=issuer, vct="urn:example:shared", key_refs=refs, now=NOW
                ).issuer
                == issuer,
                "issuer",
            )
            require(
                check_verifier(
                    snapshot, client_id=desk, regulation=REGULATION, claims=CLAIMS, now=NOW
                ).client_id
                == desk,
                "verifier",
            )

        def run(
            iterations: int, snapshot: TrustSnapshot = snapshot, picks: list[Any] = picks
        ) -> None:
            for n in range(iterations):
                issuer, refs, desk = picks[n % PICKS]
                check_issuer(
                    snapshot, issuer=issuer, vct="urn:example:shared", key_refs=refs, now=NOW
                )
                check_verifier(
                    snapshot, client_id=desk, regulation=REGULATION, claims=CLAIMS, now=NOW
                )

        subjects.append(Subject(size, run))
    times = time_subjects(subjects, rounds=rounds, seconds=seconds)
    return Curve(
        "trust_cached",
        "Cached trust decisions (check_issuer + check_verifier) against registry size",
        "entries",
        "cpu",
        points_from(sizes, times),
        ["N issuers and N verifiers in the snapshot; one pair of decisions per operation"],
    )


class _CountingTester(EthereumTesterProvider):
    """The in-process chain, counting every JSON-RPC request the reader sends.

    ``eth_accounts`` is left out: eth-tester's own middleware asks for it (three times per
    ``eth_call``, to fill a default ``from``) through the same ``make_request``; the reader
    never sends it, and a node over HTTP never sees it."""

    calls = 0

    def make_request(self, method: Any, params: Any) -> Any:
        if method != "eth_accounts":
            self.calls += 1
        return super().make_request(method, params)


class _CountingHttp(HTTPProvider):
    """A node over HTTP, counting every JSON-RPC request."""

    calls = 0

    def make_request(self, method: Any, params: Any) -> Any:
        self.calls += 1
        return super().make_request(method, params)


@contextmanager
def registry_chain(rpc_url: str | None) -> Iterator[tuple[TrustRegistryContract, Any]]:
    """A freshly deployed registry and the counting provider it is reached through.

    On a node, the exclusive lock of ``tests/trust/test_chain_anvil.py`` is held meanwhile:
    a test there rewinds the node's whole chain (``evm_revert``)."""
    if rpc_url is None:
        provider: Any = _CountingTester()
        settings = TrustSettings(poll_interval_seconds=15, max_staleness_seconds=300)
        _reader, writer = start_in_process(settings, admin_key=os.urandom(32), w3=Web3(provider))
        yield writer, provider
        return
    name = hashlib.sha256(rpc_url.encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"aanspraak-chain-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        provider = _CountingHttp(rpc_url, request_kwargs={"timeout": 30})
        w3 = Web3(provider)
        from eth_account import Account

        admin = Account.create()
        fund_from_node(w3, admin.address, 10**20)
        yield deploy(w3, signer=admin), provider


def fresh_read(writer: TrustRegistryContract, chain_id: int) -> TrustSnapshot:
    reader = ChainTrustRegistry(
        writer.w3,
        address=writer.address,
        chain_id=chain_id,
        code_hash=load_artifact().runtime_code_hash,
        confirmations=0,
        max_staleness_seconds=300,
        poll_interval_seconds=15,
    )
    return reader.snapshot(now=int(time.time()) + 60)


def chain_read_curve(
    sizes: Sequence[int], *, rounds: int, seconds: float, rpc_url: str | None = None
) -> Curve:
    """Seed up to each size in turn and time full reads there (sizes are not interleaved:
    the chain only grows)."""
    clock = "cpu" if rpc_url is None else "wall"
    times: list[float] = []
    calls: list[float] = []
    with registry_chain(rpc_url) as (writer, provider):
        chain_id, seeded = writer.w3.eth.chain_id, 0
        for size in sizes:
            writer.add_issuers(issuer_entry(i) for i in range(seeded, size))
            seeded = size
            before = provider.calls
            snapshot = fresh_read(writer, chain_id)
            calls.append(float(provider.calls - before))
            require(len(snapshot.issuers) == size, f"{size} issuers read")
            subject = Subject(size, lambda n: [fresh_read(writer, chain_id) for _ in range(n)])
            times += time_subjects([subject], rounds=rounds, seconds=seconds, clock=clock)
    where = "in-process EVM (py-evm)" if rpc_url is None else f"node at {rpc_url}"
    return Curve(
        "chain_read",
        "Full on-chain registry read against registry size",
        "entries",
        clock,
        points_from(sizes, times),
        [
            f"{where}; seeded with addIssuers; a fresh ChainTrustRegistry per read",
            "JSON-RPC calls per full read: " + ", ".join(f"{c:.0f}" for c in calls),
        ],
        {"rpc_calls_per_read": calls},
    )
