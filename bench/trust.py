"""Trust registry: cached decisions per second, RPC calls per presentation, time to effect,
and the cost of a refresh after one change against registry size.

Run ``python -m bench.trust`` (``make bench`` runs it too); ``--rpc-url URL`` also measures
against that JSON-RPC node (anvil: it deploys and seeds registries there).

* decisions: ``check_issuer`` + ``check_verifier`` against a cached snapshot of 200 issuers
  and 50 verifiers; target >= 100,000 decisions per second on one core;
* RPC calls per verified presentation in the steady state: the chain backend serves the
  cached snapshot between polls; the count comes from an instrumented provider; target 0;
* time to effect: seconds from an on-chain change to a snapshot that shows it; target one
  polling interval (in-process: on the poll clock; against a node: wall seconds from the
  change's receipt, polling every second, target <= the interval plus one refresh, 2 s);
* refresh after one change (``bench.trust_refresh``): ``eth_call`` requests and wall
  milliseconds of the event-fed refresh and of a full read at the same block, for registries
  of 10, 100 and 1,000 issuers (``--sizes``); target: the event-fed refresh makes the same
  4 calls (three counts and the one slot named) at every size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from typing import Any

from web3 import EthereumTesterProvider, Web3

from bench.trust_refresh import in_process_curve, node_curve, node_time_to_effect
from specs.jose import b64url_encode
from specs.trust import IssuerEntry, TrustSnapshot, VerifierEntry, check_issuer, check_verifier
from trust.embedded import start_in_process
from trust.settings import TrustSettings

TARGET_DECISIONS_PER_SECOND = 100_000
TARGET_EVENT_FED_CALLS = 4
"""Three counts and the one slot a removal names, whatever the registry's size."""
TARGET_NODE_SECONDS_TO_EFFECT = 2.0


def _key_ref(i: int) -> str:
    """A well-formed key reference: base64url of a 32-byte hash."""
    return b64url_encode(hashlib.sha256(str(i).encode()).digest())


def _snapshot() -> TrustSnapshot:
    issuers = {
        f"https://issuer-{i}.example": IssuerEntry(
            f"https://issuer-{i}.example",
            frozenset({f"urn:example:type:{i}", "urn:example:shared"}),
            frozenset({_key_ref(i)}),
            0,
            2**40,
            0,
        )
        for i in range(200)
    }
    verifiers = {
        f"https://desk-{i}.example": VerifierEntry(
            f"https://desk-{i}.example",
            {"kwijtschelding": frozenset({'["age_years"]', '["has_partner"]'})},
            "Invorderingswet 1990 art. 26",
            0,
            2**40,
            0,
        )
        for i in range(50)
    }
    return TrustSnapshot(issuers, verifiers, {}, 1_790_000_000, "bench")


def decisions_per_second(rounds: int, iterations: int) -> float:
    snapshot = _snapshot()
    paths = [["age_years"], ["has_partner"]]

    def one() -> None:
        check_issuer(
            snapshot,
            issuer="https://issuer-77.example",
            vct="urn:example:shared",
            key_refs=[_key_ref(77)],
            now=1_790_000_000,
        )
        check_verifier(
            snapshot,
            client_id="https://desk-7.example",
            regulation="kwijtschelding",
            claims=paths,
            now=1_790_000_000,
        )

    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(iterations):
            one()
        samples.append(2 * iterations / (time.process_time() - start))  # two decisions each
    return statistics.median(samples)


class _CountingProvider(EthereumTesterProvider):
    """The in-process chain, counting every JSON-RPC request the reader makes."""

    calls = 0

    def make_request(self, method: Any, params: Any) -> Any:
        type(self).calls += 1
        return super().make_request(method, params)


def chain_figures(poll_interval: int) -> dict[str, float]:
    """RPC calls per presentation between polls, and seconds until a change is seen."""
    w3 = Web3(_CountingProvider())
    settings = TrustSettings(poll_interval_seconds=poll_interval, max_staleness_seconds=300)
    reader, writer = start_in_process(settings, admin_key=bytes(range(1, 33)), w3=w3)
    snapshot = _snapshot()
    writer.seed(issuers=list(snapshot.issuers.values())[:20])
    start = int(time.time()) + 60
    reader.snapshot(now=start)  # the first read fills the cache
    _CountingProvider.calls = 0
    presentations = 1_000
    for i in range(presentations):
        trusted = reader.snapshot(now=start + i % poll_interval)
        check_issuer(
            trusted,
            issuer="https://issuer-7.example",
            vct="urn:example:shared",
            key_refs=[_key_ref(7)],
            now=start,
        )
    per_presentation = _CountingProvider.calls / presentations
    writer.remove_issuer("https://issuer-7.example")
    changed_at = start  # right after a refresh: the worst case
    seen_after = None
    for delay in range(0, 3 * poll_interval + 1):
        if "https://issuer-7.example" not in reader.snapshot(now=changed_at + delay).issuers:
            seen_after = delay
            break
    return {
        "rpc_calls_per_presentation": per_presentation,
        "seconds_to_effect": float("inf") if seen_after is None else float(seen_after),
        "poll_interval_seconds": float(poll_interval),
    }


def _print_curve(title: str, rows: list[dict[str, float]]) -> None:
    print(f"  refresh after one change, {title}")
    print("    issuers   event-fed calls      ms   full read calls       ms   speedup")
    for row in rows:
        print(
            f"    {row['entries']:7.0f}   {row['event_fed_calls']:15.0f} {row['event_fed_ms']:7.1f}"
            f"   {row['full_read_calls']:15.0f} {row['full_read_ms']:8.1f}"
            f"   {row['speedup']:6.1f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trust", description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rpc-url", help="also measure against this JSON-RPC node (anvil)")
    parser.add_argument("--sizes", help="registry sizes, comma-separated (default 10,100,1000)")
    parser.add_argument("--rounds", type=int, help="changes per size (default 5, quick 2)")
    args = parser.parse_args(argv)
    rounds, iterations = (3, 5_000) if args.quick else (9, 50_000)
    sizes = [int(size) for size in (args.sizes or "10,100,1000").split(",")]
    changes = args.rounds or (2 if args.quick else 5)
    if not 1 <= changes <= min(sizes):
        parser.error("--rounds removes one issuer each: between 1 and the smallest size")
    rate = decisions_per_second(rounds, iterations)
    chain = chain_figures(poll_interval=15)
    curves = {"in-process EVM": in_process_curve(sizes, changes)}
    node_effect = None
    if args.rpc_url:
        curves["JSON-RPC node"] = node_curve(args.rpc_url, sizes, changes)
        node_effect = node_time_to_effect(args.rpc_url, changes)
    result: dict[str, object] = {"decisions_per_second": round(rate), **chain}
    result["refresh_after_one_change"] = curves
    if node_effect is not None:
        result["node_time_to_effect"] = node_effect
    result["pass"] = (
        rate >= TARGET_DECISIONS_PER_SECOND
        and chain["rpc_calls_per_presentation"] == 0
        and chain["seconds_to_effect"] <= chain["poll_interval_seconds"]
        and all(
            row["event_fed_calls"] == TARGET_EVENT_FED_CALLS
            for rows in curves.values()
            for row in rows
        )
        and (node_effect is None or node_effect["max_seconds"] <= TARGET_NODE_SECONDS_TO_EFFECT)
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("trust registry, one thread, CPU time")
    print(f"  cached decisions   {rate:12,.0f} /s   (target >= {TARGET_DECISIONS_PER_SECOND:,})")
    print(
        f"  RPC calls per presentation (steady state)  {chain['rpc_calls_per_presentation']:.3f}"
        "   (target 0)"
    )
    print(
        f"  seconds from a change to its effect        {chain['seconds_to_effect']:.0f}"
        f"   (target <= one poll interval, {chain['poll_interval_seconds']:.0f} s)"
    )
    print("trust registry refresh, wall time, medians (target: event-fed calls 4 at every size)")
    for title, rows in curves.items():
        _print_curve(title, rows)
    if node_effect is not None:
        print(
            f"  JSON-RPC node: seconds from a change's receipt to its effect, polling every "
            f"{node_effect['poll_interval_seconds']:.0f} s: median "
            f"{node_effect['median_seconds']:.2f}, max {node_effect['max_seconds']:.2f}"
            f"   (target <= {TARGET_NODE_SECONDS_TO_EFFECT:.0f})"
        )
    print("PASS" if result["pass"] else "MISS", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
