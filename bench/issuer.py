"""Credentials issued per second, in process and through HTTP, next to a same-run crypto ceiling.

Run ``python -m bench.issuer``; ``--quick`` for a smoke run, ``--json`` for machine-readable
output, ``--profile build`` (or ``service``) for a cProfile of one in-process path.

Workload: batches of 10 credentials (``household_assets`` by default: 13 Disclosures each,
12 of them derived predicate claims; see ``bench.issuer_workload``), ES256 throughout, the
issuer on a temporary SQLite file in the development profile.

* ceiling (per credential, ``bench.issuer_ceiling``): verify one key proof with the key
  imported from its ``jwk``, SHA-256 of the credential's Disclosures, one ES256 signature;
* issuer: its own work for a batch without the database: ``verify_proofs`` (10 proofs) +
  ``credential_payload`` + ``sign_batch`` with ready status allocations. Target: >= 0.6 of
  the ceiling;
* service: ``request_credentials``, which adds the database transaction (spend the c_nonce,
  lock the offer, allocate random status indices, record the issuance) and unsealing the
  offer's claims. No target; printed for what it costs;
* HTTP: ``uvicorn --factory issuer.serve:app_from_environment`` (one worker), whole wallet
  flows ``--concurrency`` at a time (``bench.issuer_http``).

Method (as ``bench.sd_jwt``): one process, one thread for the in-process paths; every path's
output is checked before it is timed; each is calibrated to ``--seconds`` of CPU per round;
rounds are interleaved within a group (whole / proofs / signing) with a rotating order;
rates are credentials per CPU second of this process (``time.process_time``, which counts
the SQLite driver's thread too), the median over rounds; the ratio is path / ceiling of
those medians. Wall-clock rates are printed beside them: the service call waits on SQLite's
commits, which CPU time does not see. The collector stays on; what the setup made is frozen
(``gc.freeze``) so the ``gc.collect()`` before each round does not walk every module.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.issuer_http import measure_http
from bench.issuer_inprocess import InProcess, Subject
from bench.issuer_workload import BATCH, CONFIGURATIONS, DISCLOSURES, prepared_context
from bench.rounds import add_common_arguments, compare, measure, profiled
from bench.sd_jwt import environment
from specs.jose import generate_private_key

TARGET = 0.6
"""issuer / ceiling, in process (crypto + credential building)."""
BASELINES = {"whole": "ceiling", "verify": "ceiling verify", "sign": "ceiling sign"}
LABELS = {
    "ceiling": "ceiling: 1 proof verify + hashing + 1 sign",
    "complete": "ceiling + salts and JSON (complete SD-JWT VC)",
    "build": "issuer: verify_proofs + payload + sign_batch",
    "service": "service: request_credentials (+ database)",
    "ceiling verify": "  proofs, ceiling (per proof)",
    "verify_proofs": "  proofs, verify_proofs (per proof)",
    "ceiling sign": "  signing, ceiling: hashing + 1 sign",
    "complete sign": "  signing, ceiling + salts and JSON",
    "payload + sign_batch": "  signing, credential_payload + sign_batch",
}


def summarize(subjects: list[Subject]) -> dict[str, dict[str, Any]]:
    by_name = {s.name: s for s in subjects}
    rows: dict[str, dict[str, Any]] = {}
    for subject in subjects:
        compared = compare(subject, by_name[BASELINES[subject.group]])
        rows[subject.name] = {
            "label": LABELS[subject.name].strip(),
            "per_cpu_second": compared.rate,
            "per_wall_second": compared.wall_rate,
            "ratio": compared.ratio,
            "round_ratio_range": compared.round_ratio_range,
            "target": TARGET if subject.name == "build" else None,
            "rates": subject.rates,
            "wall_rates": subject.wall_rates,
            "iterations_per_round": subject.iterations,
        }
    rows["build"]["passed"] = rows["build"]["ratio"] >= TARGET
    return rows


def print_report(report: dict[str, Any]) -> None:
    rows, http, env = report["in_process"], report["http"], report["environment"]
    print(
        f"Issuance: {report['configuration']} ({report['disclosures']} Disclosures), batches "
        f"of {BATCH}, ES256 (P-256), SQLite; Python {env['python']}, cryptography "
        f"{env['cryptography']}, {env['openssl']}, {env['cpus']} CPUs"
    )
    print(
        f"in process: one thread, CPU time; median of {report['rounds']} interleaved rounds "
        f"of ~{report['seconds']} s"
    )
    print()
    print(f"{'in process':<46}{'cred/s':>9}{'wall/s':>9}{'ratio':>7}{'(rounds)':>12}{'target':>8}")
    for name, row in rows.items():
        low, high = row["round_ratio_range"]
        target = "" if row["target"] is None else f">= {row['target']}"
        print(
            f"{LABELS[name]:<46}{row['per_cpu_second']:>9,.0f}{row['per_wall_second']:>9,.0f}"
            f"{row['ratio']:>7.2f}{f'{low:.2f}-{high:.2f}':>12}{target:>8}"
        )
    if http is not None:
        _print_http(http, rows["ceiling"]["per_cpu_second"])
    build = rows["build"]
    verdict = "PASS" if build["passed"] else "MISS"
    sign = ">=" if build["passed"] else "<"
    print()
    print(f"(ran {report['elapsed_seconds']} s)")
    print(f"{verdict}: issuer in process {build['ratio']:.3f} {sign} {TARGET} of the ceiling")


def _print_http(http: dict[str, Any], ceiling: float) -> None:
    print()
    print(
        f"through HTTP: one uvicorn worker, {http['concurrency']} concurrent wallet flows "
        f"(token, nonce, {BATCH} proofs, credential); median of {len(http['round_rates'])} "
        f"rounds of {http['flows']} flows; fsync {http['fsync_ms']:.1f} ms"
    )
    print(
        f"{'cred/s':>8}{'ratio':>7}{'per server CPU s':>18}{'ratio':>7}{'server busy':>13}"
        f"{'credential request p50':>24}{'p99':>10}"
    )
    rate, per_cpu, busy = (
        http["credentials_per_second"],
        http["credentials_per_server_cpu_second"],
        http["server_busy"],
    )
    server = (
        f"{'n/a':>18}{'n/a':>7}"
        if per_cpu is None
        else f"{per_cpu:>18,.0f}{per_cpu / ceiling:>7.2f}"
    )
    print(
        f"{rate:>8,.0f}{rate / ceiling:>7.2f}{server}"
        f"{'n/a' if busy is None else f'{busy:.0%}':>13}"
        f"{http['latency_p50_ms']:>21.1f} ms{http['latency_p99_ms']:>7.1f} ms"
    )


def profile(inprocess: InProcess, path: str, *, seconds: float) -> None:
    """cProfile of one path for about ``seconds`` (main thread only), top 25 by own time."""
    subject = next(s for s in inprocess.subjects() if s.name == path)
    profiled(subject, seconds=seconds)[1].print_stats(25)


def run_in_process(data_dir: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    now = int(time.time())
    with asyncio.Runner() as runner:
        context = runner.run(prepared_context(data_dir, clock=lambda: now))
        try:
            holder_keys = [generate_private_key() for _ in range(BATCH)]
            inprocess = InProcess(
                context, runner, configuration=args.configuration, holder_keys=holder_keys
            )
            inprocess.check()
            # Everything made so far lives as long as the run: set it aside, so the collection
            # before each round (and the collector while timing) walks only the round's objects.
            gc.freeze()
            if args.profile:
                profile(inprocess, args.profile, seconds=max(args.seconds * 5, 1.0))
                return None
            subjects = inprocess.subjects()
            measure(
                subjects,
                groups=BASELINES,
                group_of=lambda s: s.group,
                rounds=args.rounds,
                seconds=args.seconds,
                units=lambda s: s.credentials,
            )
            return summarize(subjects)
        finally:
            runner.run(context.engine.dispose())


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.issuer",
        description="Credentials issued per second, in process and over HTTP, vs a ceiling.",
    )
    add_common_arguments(parser)
    parser.add_argument("--configuration", choices=CONFIGURATIONS, default="household_assets")
    parser.add_argument("--flows", type=int, help="wallet flows per HTTP round (default 40)")
    parser.add_argument("--concurrency", type=int, default=4, help="flows in flight (default 4)")
    parser.add_argument(
        "--profile", choices=("build", "service"), help="cProfile one in-process path instead"
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 11)
    args.seconds = args.seconds or (0.1 if args.quick else 0.25)
    args.http_rounds = args.http_rounds or (2 if args.quick else 5)
    args.flows = args.flows or (8 if args.quick else 40)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as scratch:
        in_process = run_in_process(Path(scratch) / "in-process", args)
        if in_process is None:  # --profile printed its own report
            return 0
        http = None
        if not args.no_http:
            figures = asyncio.run(
                measure_http(
                    Path(scratch) / "http",
                    configuration=args.configuration,
                    rounds=args.http_rounds,
                    flows=args.flows,
                    concurrency=args.concurrency,
                )
            )
            http = {**figures.summary(), "flows": args.flows, "concurrency": args.concurrency}
    report = {
        "configuration": args.configuration,
        "disclosures": DISCLOSURES[args.configuration],
        "batch": BATCH,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "environment": environment(),
        "in_process": in_process,
        "http": http,
        "passed": in_process["build"]["passed"],
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
