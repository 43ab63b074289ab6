"""SD-JWT VC issue, present and verify: op/s next to a same-run crypto ceiling and ``sd-jwt``.

Run ``python -m bench.sd_jwt`` (``make bench``); ``--quick`` for fewer, shorter rounds,
``--json`` for machine-readable output, ``--profile verify`` for a cProfile of our side.

Workload: an SD-JWT VC (``dc+sd-jwt``; ``vct``, ``iss``, ``iat``, ``exp`` and ``cnf.jwk``
plain) with 12 Disclosures: ``given_name``, ``family_name``, ``birthdate``, ``email``,
``phone_number`` (5); ``address`` (1), itself an object with disclosable ``street_address``,
``locality``, ``postal_code``, ``country`` (4); ``nationalities``, a plain array whose two
elements ``"NL"`` and ``"DE"`` are disclosable (2). No decoys. The holder presents 3 claims,
``given_name``, ``address.locality`` and ``nationalities.0``, which sends 4 Disclosures
(``address`` comes along as the parent of ``locality``), plus a KB-JWT. All keys are P-256,
all signatures ES256.

Ours: ``issue`` is ``issue_sd_jwt_vc`` with ``os.urandom``; ``present`` is ``open_sd_jwt`` +
``present_sd_jwt`` on the stored issued token; ``verify`` is ``verify_sd_jwt_vc`` with
``KeyBindingRequired`` and a ``StaticKeyResolver`` for the issuer key.

Ceilings: the least work each operation needs, written directly with ``cryptography``,
``hashlib``, ``base64`` and ``json`` (no project code, no checks beyond the cryptographic
ones; "json encode" is one prebuilt compact ``JSONEncoder``), and producing real output that
our own code accepts (checked before timing):

* issue = per Disclosure (12): 16 random bytes of salt, json encode, base64url, SHA-256
  (+ base64url of the digest); json encode + base64url of header and payload; 1 ES256 sign.
* present = split on ``~``; base64url-decode + ``json.loads`` of the issuer payload and of all
  12 Disclosures, and SHA-256 of each (without its digest a holder cannot tell where a
  Disclosure sits: ``["salt", "NL"]`` does not say which array it belongs to); the selection
  itself is hard-coded; SHA-256 ``sd_hash``; json encode + base64url of the KB-JWT header
  and payload; 1 ES256 sign.
* verify = split on ``~``; base64url-decode + ``json.loads`` of the issuer JWT's header and
  payload; ES256 verify (raw r||s to DER) with a pre-loaded key; per presented Disclosure (4):
  SHA-256 + base64url-decode + ``json.loads``; import the holder key from ``cnf.jwk``
  (``from_encoded_point``); decode the KB-JWT header and payload; ES256 verify; SHA-256 for
  ``sd_hash``. It does not rebuild the claims (RFC 9901 §7.1 processing).

Reference: PyPI ``sd-jwt`` 0.10.4 (``SDJWTIssuer``, ``SDJWTHolder``, ``SDJWTVerifier``,
jwcrypto keys made from the same key pairs). Closest equivalents: ``typ`` comes from
``extra_header_parameters``; its holder takes the KB-JWT ``iat`` from ``time()``; its
verifier checks less (no ``typ``, no ``exp``/``iat``, no KB-JWT freshness, no unreferenced
Disclosures, lenient base64 and JSON), so it does less work than ours.

JavaScript reference: ``@sd-jwt/sd-jwt-vc`` 0.19.0 in node (``bench.sd_jwt_js``), the same
workload, its own calibrated rounds in one node process after the Python rounds; ``n/a``
without node or ``interop/js/node_modules``.

Targets: ours / ceiling per operation (``TARGETS``), and verify at >= 2x the Python
reference's op/s (``REFERENCE_SPEEDUP_TARGET``).

Inputs are shared: all three present the same token (ours) and verify the same presentation
(ours); each issues its own. Method: one process, one thread. Each implementation is
calibrated to ``--seconds`` of CPU per round; rounds are interleaved (ours, ceiling, reference,
in an order that rotates each round) so drift hits all three alike; op/s is iterations per CPU
second of this process (``time.process_time``: one core, not disturbed by other processes on a
shared machine; wall-clock rates are in ``--json``), the median over rounds; the ratio is
ours / ceiling of those medians, with the range of per-round ratios shown.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import cryptography
from cryptography.hazmat.backends.openssl import backend as openssl_backend

from bench.sd_jwt_ceiling import Ceiling
from bench.sd_jwt_js import JsRates, measure_js, unavailable_reason
from bench.sd_jwt_reference import Reference
from bench.sd_jwt_validation import validate
from bench.sd_jwt_workload import (
    DISCLOSED_PATHS,
    DISCLOSURES_ISSUED,
    DISCLOSURES_SENT,
    OPERATIONS,
    TARGETS,
    Ours,
)
from specs.jose import generate_private_key
from specs.sd_jwt_vc import VC_TYP

REFERENCE_SPEEDUP_TARGET = 2.0
"""Verify: our op/s over the Python reference's, at least this."""


@dataclass
class Subject:
    """One implementation of one operation, and its op/s per round."""

    operation: str
    implementation: str
    run: Callable[[], object]
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    """Per round, iterations / CPU seconds of this process."""
    wall_rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def subjects_for(
    ours: Ours, ceiling: Ceiling, reference: Reference | None, token: str, presentation: str
) -> list[Subject]:
    implementations: list[tuple[str, Ours | Ceiling | Reference]] = [
        ("ours", ours),
        ("ceiling", ceiling),
    ]
    if reference is not None:
        implementations.append(("sd-jwt", reference))
    subjects: list[Subject] = []
    for name, impl in implementations:
        subjects += [
            Subject("issue", name, impl.issue),
            Subject("present", name, partial(impl.present, token)),
            Subject("verify", name, partial(impl.verify, presentation)),
        ]
    return subjects


def _time(run: Callable[[], object], iterations: int) -> tuple[float, float]:
    """CPU and wall seconds for ``iterations`` calls.

    CPU time is what op/s "on one core" means, and it does not count the time another
    process on a shared machine takes the core away; wall time is kept for the JSON report.
    """
    gc.collect()  # start each round from the same heap state; GC stays on while timing
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(iterations):
        run()
    return time.process_time() - cpu, time.perf_counter() - wall


def _iterations_for(run: Callable[[], object], seconds: float) -> int:
    """Calls that take about ``seconds`` of CPU; doubles as warm-up."""
    iterations = 1
    while (elapsed := _time(run, iterations)[0]) < min(0.05, seconds / 2):
        iterations *= 2
    return max(1, round(iterations * seconds / elapsed))


def measure(subjects: list[Subject], *, rounds: int, seconds: float) -> None:
    """Calibrate each subject to ``seconds`` per round, then run interleaved rounds."""
    for subject in subjects:
        subject.iterations = _iterations_for(subject.run, seconds)
    for round_number in range(rounds):
        for operation in OPERATIONS:
            group = [s for s in subjects if s.operation == operation]
            shift = round_number % len(group)  # who goes first rotates
            for subject in group[shift:] + group[:shift]:
                cpu, wall = _time(subject.run, subject.iterations)
                subject.rates.append(subject.iterations / cpu)
                subject.wall_rates.append(subject.iterations / wall)


def summarize(subjects: list[Subject], js: JsRates | None = None) -> dict[str, dict[str, Any]]:
    by_key = {(s.operation, s.implementation): s for s in subjects}
    rows: dict[str, dict[str, Any]] = {}
    for operation, target in TARGETS.items():
        ours, ceiling = by_key[operation, "ours"], by_key[operation, "ceiling"]
        reference = by_key.get((operation, "sd-jwt"))
        per_round = [o / c for o, c in zip(ours.rates, ceiling.rates, strict=True)]
        ratio = ours.median / ceiling.median
        rows[operation] = {
            "ours_ops": ours.median,
            "ceiling_ops": ceiling.median,
            "ratio": ratio,
            "round_ratio_range": [min(per_round), max(per_round)],
            "target": target,
            "passed": ratio >= target,
            "reference_ops": reference.median if reference else None,
            "reference_ratio": reference.median / ceiling.median if reference else None,
            "speedup_over_reference": ours.median / reference.median if reference else None,
            "js_ops": js.median(operation) if js else None,
            "js_ratio": js.median(operation) / ceiling.median if js else None,
            "speedup_over_js": ours.median / js.median(operation) if js else None,
            "rates": {s.implementation: s.rates for s in (ours, ceiling, reference) if s},
            "wall_rates": {s.implementation: s.wall_rates for s in (ours, ceiling, reference) if s},
            "iterations_per_round": {
                s.implementation: s.iterations for s in (ours, ceiling, reference) if s
            },
        }
    return rows


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "cryptography": cryptography.__version__,
        "openssl": openssl_backend.openssl_version_text(),
        "cpus": os.cpu_count(),
        "threads": 1,
    }


def print_table(rows: dict[str, dict[str, Any]], meta: dict[str, Any]) -> None:
    env = meta["environment"]
    print(
        f"SD-JWT VC, {DISCLOSURES_ISSUED} Disclosures issued; present "
        f"{len(DISCLOSED_PATHS)} claims = {DISCLOSURES_SENT} Disclosures + KB-JWT; ES256 (P-256)"
    )
    print(
        f"one thread, CPU time; median of {meta['rounds']} interleaved rounds of "
        f"~{meta['seconds']} s; "
        f"Python {env['python']}, cryptography {env['cryptography']}, {env['openssl']}"
    )
    print()
    print(
        f"{'operation':<10}{'ours op/s':>11}{'ceiling op/s':>14}{'ratio':>7}"
        f"{'(rounds)':>13}{'target':>8}{'sd-jwt op/s':>13}{'ratio':>7}{'ours/it':>9}"
        f"{'@sd-jwt op/s':>14}{'ratio':>7}{'ours/it':>9}"
    )
    for operation, row in rows.items():
        low, high = row["round_ratio_range"]
        reference = _figure(row["reference_ops"], ",.0f")
        reference_ratio = _figure(row["reference_ratio"], ".2f")
        speedup = _figure(row["speedup_over_reference"], ".2f", "x")
        js, js_ratio = _figure(row["js_ops"], ",.0f"), _figure(row["js_ratio"], ".2f")
        js_speedup = _figure(row["speedup_over_js"], ".2f", "x")
        print(
            f"{operation:<10}{row['ours_ops']:>11,.0f}{row['ceiling_ops']:>14,.0f}"
            f"{row['ratio']:>7.2f}{f'{low:.2f}-{high:.2f}':>13}{'>= ' + str(row['target']):>8}"
            f"{reference:>13}{reference_ratio:>7}{speedup:>9}{js:>14}{js_ratio:>7}{js_speedup:>9}"
        )
    print()
    if meta.get("js_unavailable"):
        print(f"@sd-jwt/sd-jwt-vc: n/a ({meta['js_unavailable']})")
    elif meta.get("js_version"):
        print(
            f"@sd-jwt/sd-jwt-vc {meta['js_version']}: node {meta['node']}, its own "
            f"{meta['rounds']} rounds after the Python ones, CPU time of the node process"
        )
    verdicts = [
        f"{operation} {'PASS' if row['passed'] else 'MISS'} "
        f"({row['ratio']:.3f} {'>=' if row['passed'] else '<'} {row['target']})"
        for operation, row in rows.items()
    ]
    speedup = rows["verify"]["speedup_over_reference"]
    if speedup is not None:
        met = speedup >= REFERENCE_SPEEDUP_TARGET
        verdicts.append(
            f"verify vs sd-jwt {'PASS' if met else 'MISS'} "
            f"({speedup:.2f}x {'>=' if met else '<'} {REFERENCE_SPEEDUP_TARGET}x)"
        )
    print(f"(ran {meta['elapsed_seconds']} s)")
    print(f"{'PASS' if meta['passed'] else 'MISS'}: " + ", ".join(verdicts))


def _figure(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _node_version() -> str:
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        return "n/a"
    completed = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return completed.stdout.strip()


def profile(run: Callable[[], object], *, seconds: float) -> None:
    """cProfile of ``run`` for about ``seconds``, top 25 functions by own time."""
    iterations = _iterations_for(run, seconds)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        run()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sd_jwt",
        description="SD-JWT VC issue/present/verify op/s against same-run ceilings and sd-jwt.",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 11, quick 3)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per round (default 0.25)")
    parser.add_argument(
        "--no-js", action="store_true", help="skip the @sd-jwt/sd-jwt-vc (node) reference"
    )
    parser.add_argument(
        "--profile", choices=OPERATIONS, help="print a cProfile of our side of one operation"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 11)
    seconds = args.seconds or (0.1 if args.quick else 0.25)

    started = time.perf_counter()
    now = int(time.time())
    issuer, holder = generate_private_key(), generate_private_key()
    ours, ceiling = Ours(issuer, holder, now), Ceiling(issuer, holder, now)
    try:
        reference: Reference | None = Reference(issuer, holder, now)
    except ImportError:  # the dev extra is not installed: report n/a
        reference = None
    token, presentation = validate(ours, ceiling, reference, holder, now)

    if args.profile:
        runs: dict[str, Callable[[], object]] = {
            "issue": ours.issue,
            "present": partial(ours.present, token),
            "verify": partial(ours.verify, presentation),
        }
        profile(runs[args.profile], seconds=max(seconds * 5, 1.0))
        return 0

    subjects = subjects_for(ours, ceiling, reference, token, presentation)
    measure(subjects, rounds=rounds, seconds=seconds)
    js_unavailable = "--no-js" if args.no_js else unavailable_reason()
    js = None
    if js_unavailable is None:
        js = measure_js(
            ours,
            issuer,
            holder,
            now=now,
            token=token,
            presentation=presentation,
            disclosed=ours.verify(presentation),
            seconds=seconds,
            rounds=rounds,
        )
    rows = summarize(subjects, js)
    speedup = rows["verify"]["speedup_over_reference"]
    meta = {
        "workload": {
            "typ": VC_TYP,
            "disclosures_issued": DISCLOSURES_ISSUED,
            "disclosed_paths": [list(path) for path in DISCLOSED_PATHS],
            "disclosures_sent": DISCLOSURES_SENT,
            "token_chars": len(token),
            "presentation_chars": len(presentation),
        },
        "rounds": rounds,
        "seconds": seconds,
        "environment": environment(),
        "passed": all(row["passed"] for row in rows.values())
        and (speedup is None or speedup >= REFERENCE_SPEEDUP_TARGET),
        "js_version": js.version if js else None,
        "js_unavailable": js_unavailable,
        "node": _node_version() if js else None,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps({**meta, "operations": rows}, indent=2))
    else:
        print_table(rows, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
