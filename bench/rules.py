"""Rules engine: one evaluation with trace, and a wallet scan of every regulation.

Run ``python -m bench.rules`` (``make bench`` runs it after the SD-JWT benchmark).

* evaluation: each bundled regulation evaluated with the facts of its first eligible
  scenario (facts collected from the credentials, then ``evaluate`` with the full trace);
  median µs per evaluation, target < 100 µs on one core;
* scan: the wallet's offline scan (``specs.rules.discovery.scan``) of every discoverable
  regulation against a wallet of 10 credentials (drawn from the scenario files); median ms
  per scan, target < 10 ms.

Figures are CPU time of this process (``time.process_time``), median of 9 rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable

from runtime.regulations import catalogue, find
from runtime.scenarios import load_scenarios, scenario_files
from specs.rules import HeldCredential, Status, evaluate, facts_from_credentials
from specs.rules.discovery import scan

WALLET_SIZE = 10
EVALUATION_TARGET_US = 100.0
SCAN_TARGET_MS = 10.0


def _median_seconds(run: Callable[[], object], *, rounds: int, seconds: float) -> float:
    run()
    iterations = 1
    while True:
        start = time.process_time()
        for _ in range(iterations):
            run()
        if time.process_time() - start > seconds / 4 or iterations > 1_000_000:
            break
        iterations *= 2
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(iterations):
            run()
        samples.append((time.process_time() - start) / iterations)
    return statistics.median(samples)


def _wallet() -> list[HeldCredential]:
    wallet: dict[str, HeldCredential] = {}
    for path in scenario_files():
        for case in load_scenarios(path).cases:
            for credential in case.credentials:
                wallet.setdefault(credential.vct, credential)
    held = list(wallet.values())
    while held and len(held) < WALLET_SIZE:  # pad with copies of other issuers' statements
        held.append(held[len(held) % len(wallet)])
    return held[:WALLET_SIZE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="3 short rounds")
    args = parser.parse_args(argv)
    rounds, seconds = (3, 0.05) if args.quick else (9, 0.2)
    rows = {}
    for path in scenario_files():
        scenarios = load_scenarios(path)
        compiled = find(scenarios.regulation, dt.date.fromisoformat(scenarios.valid_from))
        case = next(c for c in scenarios.cases if c.expect.get("status") == Status.ELIGIBLE)

        def run(compiled=compiled, case=case) -> object:  # type: ignore[no-untyped-def]
            facts = facts_from_credentials(
                compiled.regulation, case.credentials, self_declared=case.self_declared
            )
            return evaluate(compiled, facts.facts)

        rows[scenarios.regulation] = _median_seconds(run, rounds=rounds, seconds=seconds) * 1e6
    wallet = _wallet()
    on = max(c.regulation.valid_from for c in catalogue())
    scan_ms = (
        _median_seconds(lambda: scan(catalogue(), wallet, on=on), rounds=rounds, seconds=seconds)
        * 1e3
    )
    worst = max(rows.values(), default=0.0)
    verdict = {
        "evaluation": worst < EVALUATION_TARGET_US,
        "scan": scan_ms < SCAN_TARGET_MS,
    }
    if args.json:
        print(
            json.dumps(
                {
                    "evaluation_us": rows,
                    "scan_ms": scan_ms,
                    "wallet": len(wallet),
                    "regulations": len(catalogue()),
                    "pass": verdict,
                },
                indent=2,
            )
        )
        return 0
    print("rules engine, one thread, CPU time, median of", rounds, "rounds")
    for regulation, micros in rows.items():
        print(
            f"  evaluate {regulation:<28} {micros:8.1f} µs   (target < {EVALUATION_TARGET_US:.0f})"
        )
    print(
        f"  scan {len(catalogue())} regulations x {len(wallet)} credentials  {scan_ms:8.2f} ms"
        f"   (target < {SCAN_TARGET_MS:.0f})"
    )
    print("PASS" if all(verdict.values()) else "MISS", verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
