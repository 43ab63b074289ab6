"""The wallet, offline: discovery scans and presentations built per second, next to baselines.

Run ``python -m bench.wallet``; ``--quick`` for a smoke run, ``--json`` for machine-readable
output. The HTTP options of ``add_common_arguments`` are accepted and do not apply: nothing
here leaves the wallet.

* discovery: ``wallet.discovery.discover`` over every bundled regulation (the shelf accepted
  against a snapshot that anchors them all, as ``wallet.regulation_shelf`` does on the device)
  for a wallet of 10 credentials drawn from the scenario files, with the agencies from the
  same snapshot. Baseline: the core scan (``specs.rules.discovery.scan``) of the same shelf
  and wallet, so the ratio is what the citizen-facing report adds (findings, texts, agencies);
* presentation: a held SD-JWT VC (household assets with its 12 derived predicate claims,
  every claim disclosable, ES256) opened (``open_sd_jwt``) and presented (``present_sd_jwt``)
  with the claims the zorgtoeslag DCQL query asks of it ("within the limit?", never the
  amount: 3 of 14 Disclosures) and a KB-JWT carrying nonce, audience and
  ``transaction_data_hashes`` of the query's purpose (hashed per presentation, as the wallet
  does when it answers). Baseline: one ES256 signature with ``cryptography`` and no project
  code, the least a KB-JWT costs; ratio = presentations / signatures per second.

Every path's output is checked before it is timed (the report covers every discoverable
regulation; the presentation verifies with ``verify_sd_jwt_vc`` and ``KeyBindingRequired``
and carries the hashes). Method (``bench.rounds``): one process, one thread; calibrated
rounds of ``--seconds`` CPU, interleaved per group with a rotating order; units per CPU
second of this process (median over rounds); ratio = subject / baseline of the medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from aanspraak.demo_trust import build_seed
from bench.rounds import add_common_arguments, compare, measure
from bench.sd_jwt import environment
from runtime.regulations import catalogue, find
from runtime.scenarios import load_scenarios, scenario_files
from specs.jose import PrivateJwk, StaticKeyResolver, generate_private_key, parse_compact_jws
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.rules import HeldCredential, compile_dcql
from specs.rules.discovery import in_force, scan
from specs.rules.predicates import derive_predicate_claims
from specs.sd_jwt import (
    ClaimPath,
    KeyBindingRequired,
    mark_all_disclosable,
    open_sd_jwt,
    present_sd_jwt,
)
from specs.sd_jwt_vc import PLAIN_BY_DEFAULT, issue_sd_jwt_vc, verify_sd_jwt_vc
from specs.trust import TrustSnapshot
from wallet.discovery import agencies_by_vct, discover
from wallet.regulation_shelf import accept_regulations

WALLET_SIZE = 10
NOW = 1_772_323_200  # 2026-03-01T00:00:00Z
ON = dt.date(2026, 3, 1)
ASSETS = "urn:nl:belastingdienst:household-assets:1"
TAX_OFFICE = "https://belastingdienst.example"
ASSETS_CLAIMS = {"joint_assets_cents": 100_000, "reference_date": "2026-01-01"}
NONCE = "n-0S6_WzA2Mj"
AUDIENCE = "https://desk.example"
GROUPS = ("discovery", "presentation")
LABELS = {
    "scan": "baseline: specs.rules scan",
    "discover": "discover: scan + findings + agencies",
    "es256": "baseline: one ES256 signature",
    "present": "present: open + present_sd_jwt + KB-JWT",
}
BASELINE = {"discovery": "scan", "presentation": "es256"}


@dataclass
class Subject:
    """One timed path: ``run(n)`` makes ``n`` scans, presentations or signatures."""

    group: str
    name: str
    run: Callable[[int], object]
    prepare: Callable[[int], None] = lambda _iterations: None
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    wall_rates: list[float] = field(default_factory=list)


def held_credentials() -> list[HeldCredential]:
    """The first credential of each type the scenarios hold, repeated up to 10."""
    by_type: dict[str, HeldCredential] = {}
    for path in scenario_files():
        for case in load_scenarios(path).cases:
            for credential in case.credentials:
                by_type.setdefault(credential.vct, credential)
    distinct = list(by_type.values())
    return [distinct[i % len(distinct)] for i in range(WALLET_SIZE)]


def registry(held: list[HeldCredential]) -> TrustSnapshot:
    """Governance's seed (``aanspraak.demo_trust``): these issuers, every regulation anchored."""
    types: dict[str, set[str]] = {}
    for credential in held:
        types.setdefault(credential.issuer, set()).add(credential.vct)
    keys = {issuer: generate_private_key() for issuer in types}
    return build_seed(keys, types, AUDIENCE, [], catalogue()).snapshot(as_of=NOW)


@dataclass(frozen=True)
class Presentation:
    """The held credential, its keys, and what the desk's query asks of it."""

    token: str
    issuer: PrivateJwk
    holder: PrivateJwk
    disclose: Sequence[ClaimPath]
    transaction_data: list[str]

    @classmethod
    def create(cls) -> Presentation:
        issuer, holder = generate_private_key(), generate_private_key()
        derived = derive_predicate_claims(ASSETS, ASSETS_CLAIMS, catalogue())
        body = {"iss": TAX_OFFICE, "iat": NOW, **ASSETS_CLAIMS}
        body.update({str(path[0]): value for path, value in derived.items()})
        issued = issue_sd_jwt_vc(
            mark_all_disclosable(body, keep_plain=PLAIN_BY_DEFAULT),
            vct=ASSETS,
            issuer_key=issuer,
            holder_key=holder.public,
            random_bytes=os.urandom,
        )
        request = compile_dcql(find("zorgtoeslag", ON))
        paths = list(dict.fromkeys(n.path for n in request.needs if n.vct == ASSETS))
        return cls(issued.token, issuer, holder, paths, request.transaction_data)

    def present(self) -> str:
        hashes_ = [transaction_data_hash(item) for item in self.transaction_data]
        return present_sd_jwt(
            open_sd_jwt(self.token),
            disclose=self.disclose,
            holder_key=self.holder,
            nonce=NONCE,
            audience=AUDIENCE,
            now=NOW,
            kb_claims={"transaction_data_hashes": hashes_},
        )

    def check(self) -> int:
        """Verify one presentation as a desk would; the number of Disclosures it sends."""
        token = self.present()
        verified = verify_sd_jwt_vc(
            token,
            issuer_keys=StaticKeyResolver(self.issuer.public),
            key_binding=KeyBindingRequired(nonce=NONCE, audience=AUDIENCE),
            now=NOW,
        )
        shown = {str(path[0]) for path in self.disclose}
        require(shown <= set(verified.claims), "presentation: a chosen claim is missing")
        kb_payload = parse_compact_jws(token.rsplit("~", 1)[1]).payload
        expected = [transaction_data_hash(item) for item in self.transaction_data]
        require(kb_payload["transaction_data_hashes"] == expected, "presentation: hashes")
        return len(token.split("~")) - 2


def require(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"bench.wallet: check failed: {what}")


def es256_baseline() -> Callable[[int], object]:
    """One ES256 signature (DER to raw r||s) over a KB-JWT-sized input, no project code."""
    key = ec.generate_private_key(ec.SECP256R1())
    data, algorithm = b"." * 400, ec.ECDSA(hashes.SHA256())

    def run(iterations: int) -> None:
        for _ in range(iterations):
            r, s = decode_dss_signature(key.sign(data, algorithm))
            _raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return run


def subjects() -> tuple[list[Subject], dict[str, Any]]:
    """The four paths, each checked once; and what the report says about the workload."""
    held = held_credentials()
    snapshot = registry(held)
    shelf = accept_regulations(catalogue(), snapshot, now=NOW)
    require(not shelf.refused, "shelf: a bundled regulation was refused")
    regulations, agencies = shelf.accepted, agencies_by_vct(snapshot, now=NOW)
    discoverable = [c for c in in_force(regulations, ON) if c.regulation.discoverable]
    report = discover(regulations, held, on=ON, agencies=agencies)
    require(len(report.findings()) == len(discoverable), "discovery: a regulation is missing")
    require(len(scan(regulations, held, on=ON)) == len(discoverable), "scan")
    presentation = Presentation.create()
    sent = presentation.check()

    def repeat(call: Callable[[], object]) -> Callable[[int], None]:
        def run(iterations: int) -> None:
            for _ in range(iterations):
                call()

        return run

    made = [
        Subject("discovery", "scan", repeat(lambda: scan(regulations, held, on=ON))),
        Subject(
            "discovery",
            "discover",
            repeat(lambda: discover(regulations, held, on=ON, agencies=agencies)),
        ),
        Subject("presentation", "es256", es256_baseline()),
        Subject("presentation", "present", repeat(presentation.present)),
    ]
    workload = {
        "wallet": len(held),
        "regulations": len(regulations),
        "discoverable": len(discoverable),
        "claims_presented": len(presentation.disclose),
        "disclosures_sent": sent,
        "disclosures_held": len(open_sd_jwt(presentation.token).disclosures),
    }
    return made, workload


def summarize(measured: list[Subject]) -> dict[str, dict[str, dict[str, Any]]]:
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for subject in measured:
        baseline = next(s for s in measured if s.name == BASELINE[subject.group])
        compared = compare(subject, baseline)
        groups.setdefault(subject.group, {})[subject.name] = {
            "label": LABELS[subject.name],
            "per_cpu_second": compared.rate,
            "per_wall_second": compared.wall_rate,
            "ratio": compared.ratio,
            "round_ratio_range": compared.round_ratio_range,
            "rates": subject.rates,
            "wall_rates": subject.wall_rates,
            "iterations_per_round": subject.iterations,
        }
    return groups


def print_report(report: dict[str, Any]) -> None:
    env, work = report["environment"], report["workload"]
    print(
        f"Wallet, offline: Python {env['python']}, cryptography {env['cryptography']}, "
        f"{env['openssl']}, {env['cpus']} CPUs; one thread, CPU time; median of "
        f"{report['rounds']} interleaved rounds of ~{report['seconds']} s"
    )
    headings = {
        "discovery": (
            f"discovery: {work['regulations']} regulations on the shelf "
            f"({work['discoverable']} discoverable) x {work['wallet']} credentials",
            "scans/s",
        ),
        "presentation": (
            f"presentation: household assets, {work['disclosures_sent']} of "
            f"{work['disclosures_held']} Disclosures + KB-JWT (transaction_data_hashes), ES256",
            "ops/s",
        ),
    }
    for group, rows in report["groups"].items():
        heading, unit = headings[group]
        print()
        print(heading)
        print(f"{'':<42}{unit:>12}{'wall/s':>12}{'ratio':>7}{'(rounds)':>12}")
        for row in rows.values():
            low, high = row["round_ratio_range"]
            print(
                f"{row['label']:<42}{row['per_cpu_second']:>12,.0f}"
                f"{row['per_wall_second']:>12,.0f}{row['ratio']:>7.2f}"
                f"{f'{low:.2f}-{high:.2f}':>12}"
            )
    print()
    print(f"(ran {report['elapsed_seconds']} s)")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.wallet",
        description="Wallet discovery scans and presentations per second, vs same-run baselines.",
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 11)
    args.seconds = args.seconds or (0.1 if args.quick else 0.25)
    return args


def measure_wallet(args: argparse.Namespace) -> dict[str, Any]:
    """Check, calibrate, measure; the report ``main`` prints."""
    started = time.perf_counter()
    made, workload = subjects()
    measure(
        made, groups=GROUPS, group_of=lambda s: s.group, rounds=args.rounds, seconds=args.seconds
    )
    return {
        "rounds": args.rounds,
        "seconds": args.seconds,
        "environment": environment(),
        "workload": workload,
        "groups": summarize(made),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    report = measure_wallet(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
