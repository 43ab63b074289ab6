"""Presentations verified per second, in process and through HTTP, next to a same-run ceiling.

Run ``python -m bench.verifier``; ``--quick`` for a smoke run, ``--json`` for machine-readable
output, ``--profile pipeline`` (or ``service``) for a cProfile of one in-process path.

Workload (``bench.verifier_workload``): zorgtoeslag answered by a wallet holding four
credentials from three agencies, ES256 throughout, the desk on a SQLite file. Two cases:
``assets`` (the desk knows the other inputs, so the query needs one credential: the clean
comparison with the SD-JWT ceiling) and ``zorgtoeslag`` (four credentials per answer).

Per case, one ANSWER is timed per call; its presentations are 1 or 4:

* ceiling: ``bench.sd_jwt``'s verify ceiling (the least work one SD-JWT + KB-JWT
  verification needs: two ES256 verifies, the digests, the decoding; no project code) run
  over every presentation of the answer, so it is the ceiling PER ANSWER;
* core: ``verify_sd_jwt_vc`` with ``KeyBindingRequired`` per presentation (what
  ``bench.sd_jwt`` times as "ours"), for where the gap is;
* pipeline: ``verify_presentations`` (registry lookup, issuer keys from the cache, SD-JWT VC
  with KB, ``check_issuer``, transaction data hashes, status from the cache, DCQL re-check,
  holder binding) + ``facts_from_credentials`` + ``evaluate``. Target: >= 0.7 of the ceiling;
* + record: the above and the decision record built and signed (no database);
* service: ``receive_response`` on a prepared body, which adds the envelope (form, the
  transaction's row), unsealing the desk's facts, the record and its write transaction that
  consumes the request; ``direct_post`` (plain form) and ``direct_post.jwt`` (+ unsealing the
  response key and JWE decryption) are printed apart.

Trust (the file registry's unchanged list), issuer keys and status lists come from cache:
the caches are filled by the check before timing, and the agencies count every fetch, so a
fetch while timing would show (and fails the run). Through HTTP: ``bench.verifier_http``.

Method (as ``bench.issuer``): one process, one thread; every path's output is checked before
it is timed (each case decides ``eligible``); calibrated rounds of ``--seconds`` CPU,
interleaved per case with a rotating order; answers per CPU second of this process (median
over rounds); ratio = path / ceiling of the medians. Single-use answers (the service paths)
are made before each round, off the clock.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from aanspraak.loopback import bound_listener, url_of
from bench.rounds import add_common_arguments, compare, measure, profiled
from bench.sd_jwt import environment
from bench.sd_jwt_ceiling import Ceiling
from bench.verifier_http import measure_http
from bench.verifier_workload import (
    CASES,
    EXPECTED,
    Case,
    Prepared,
    Workload,
    prepare_answer,
    require,
)
from runtime.bearer import new_id
from specs.jose import StaticKeyResolver, parse_compact_jws
from specs.rules import Outcome, evaluate, facts_from_credentials
from specs.sd_jwt import KeyBindingRequired
from specs.sd_jwt_vc import verify_sd_jwt_vc
from verifier.app import prepare
from verifier.context import VerifierContext
from verifier.decision_record import RecordHead, decision_record, sign_record
from verifier.pipeline import verify_presentations
from verifier.responses import receive_response
from verifier.tables import decisions

TARGET = 0.7
"""pipeline / ceiling, in process."""
POOL = 16
"""Answers cycled through by the paths that consume nothing."""
MODES = ("direct_post", "direct_post.jwt")
LABELS = {
    "ceiling": "ceiling: SD-JWT + KB verify, crypto only",
    "core": "core: verify_sd_jwt_vc (+ KB)",
    "pipeline": "pipeline: verify + facts + evaluate",
    "record": "pipeline + record built and signed",
    "direct_post": "service: receive_response, direct_post",
    "direct_post.jwt": "service: receive_response, direct_post.jwt",
}


@dataclass
class Subject:
    """One timed path of one case: ``run(n)`` handles ``n`` answers."""

    case: str
    name: str
    run: Callable[[int], object]
    prepare: Callable[[int], None] = lambda _iterations: None
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    """Per round, answers / CPU seconds of this process."""
    wall_rates: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Presented:
    """One presentation of a pooled answer, with what the ceiling and the core need for it,
    looked up before the clock starts (as ``bench.sd_jwt`` builds its policy once)."""

    token: str
    ceiling: Ceiling
    issuer_keys: StaticKeyResolver
    key_binding: KeyBindingRequired


class InProcess:
    """The verifier's paths on one desk (a context per response mode, one database)."""

    def __init__(
        self, workload: Workload, runner: asyncio.Runner, contexts: dict[str, VerifierContext]
    ) -> None:
        self.workload, self.runner, self.contexts = workload, runner, contexts
        self.context = contexts["direct_post.jwt"]
        self.pools = {name: self.answers(name, "direct_post.jwt", POOL) for name in CASES}
        self.pending: dict[tuple[str, str], list[Prepared]] = {}
        now = self.context.clock()
        self.ceilings = {  # by the issuer-signed JWT each presentation starts with
            held.token.split("~", 1)[0]: (Ceiling(held.issuer.key, workload.holder, now), held)
            for held in workload.held
        }
        self.presented = {
            name: [self._presented(a) for a in pool] for name, pool in self.pools.items()
        }

    def _presented(self, prepared: Prepared) -> list[Presented]:
        expected = prepared.expectations
        policy = KeyBindingRequired(
            nonce=expected.nonce,
            audience=expected.client_id,
            max_age=self.context.settings.kb_max_age_seconds,
        )
        made = []
        for token in prepared.presentations:
            ceiling, held = self.ceilings[token.split("~", 1)[0]]
            made.append(
                Presented(token, ceiling, StaticKeyResolver(held.issuer.key.public), policy)
            )
        return made

    def answers(self, case: str, mode: str, count: int) -> list[Prepared]:
        async def make() -> list[Prepared]:
            context, chosen = self.contexts[mode], CASES[case]
            return [await prepare_answer(context, self.workload, chosen) for _ in range(count)]

        return self.runner.run(make())

    # -- what is timed, per answer ---------------------------------------------------------
    @staticmethod
    def ceiling(presented: list[Presented]) -> list[Any]:
        return [p.ceiling.verify(p.token) for p in presented]

    def core(self, presented: list[Presented]) -> list[dict[str, Any]]:
        now = self.context.clock()
        return [
            verify_sd_jwt_vc(
                p.token,
                issuer_keys=p.issuer_keys,
                key_binding=p.key_binding,
                now=now,
                allow_http=True,
            ).claims
            for p in presented
        ]

    async def decide(self, case: Case, prepared: Prepared) -> Outcome:
        verified = await verify_presentations(
            self.context, prepared.vp_token, prepared.expectations
        )
        facts = facts_from_credentials(
            prepared.compiled.regulation,
            [v.held() for v in verified],
            desk=dict(case.desk_facts) or None,
        )
        return evaluate(prepared.compiled, facts.facts)

    async def decide_and_sign(self, case: Case, prepared: Prepared) -> str:
        decision_id = new_id()
        outcome = await self.decide(case, prepared)
        head = RecordHead(
            decision_id,
            prepared.transaction_id,
            self.context.client_id,
            prepared.compiled,
            self.context.clock(),
        )
        record = decision_record(head, outcome, prepared.expectations.transaction_data)
        return sign_record(record, self.context.identity.signer)

    # -- subjects ----------------------------------------------------------------------------
    def _cycled(
        self, case: str, call: Callable[[list[Presented]], object]
    ) -> Callable[[int], None]:
        pool = self.presented[case]

        def run(iterations: int) -> None:
            for number in range(iterations):
                call(pool[number % POOL])

        return run

    def _awaited(
        self, case: str, call: Callable[[Case, Prepared], Awaitable[object]]
    ) -> Callable[[int], None]:
        pool, chosen = self.pools[case], CASES[case]

        async def loop(iterations: int) -> None:
            for number in range(iterations):
                await call(chosen, pool[number % POOL])

        return lambda iterations: self.runner.run(loop(iterations))

    def _service(self, case: str, mode: str) -> Subject:
        key, context = (case, mode), self.contexts[mode]

        def prepare_round(iterations: int) -> None:
            self.pending[key] = self.answers(case, mode, iterations)

        async def loop(answers: list[Prepared]) -> None:
            for prepared in answers:
                await receive_response(context, prepared.body)

        def run(iterations: int) -> None:
            answers, self.pending[key] = self.pending[key][:iterations], []
            self.runner.run(loop(answers))

        return Subject(case, mode, run, prepare_round)

    def subjects(self) -> list[Subject]:
        made = []
        for case in CASES:
            made += [
                Subject(case, "ceiling", self._cycled(case, self.ceiling)),
                Subject(case, "core", self._cycled(case, self.core)),
                Subject(case, "pipeline", self._awaited(case, self.decide)),
                Subject(case, "record", self._awaited(case, self.decide_and_sign)),
                *(self._service(case, mode) for mode in MODES),
            ]
        return made

    # -- checks -------------------------------------------------------------------------------
    def check(self) -> None:
        """Every path's output once; this also fills the caches (trust, keys, status)."""
        vcts = {held.vct for held in self.workload.held}
        for name, case in CASES.items():
            prepared, presented = self.pools[name][0], self.presented[name][0]
            require(len(presented) == case.presentations, f"{name}: presentations")
            outcome = self.runner.run(self.decide(case, prepared))
            require(outcome.status.value == EXPECTED, f"{name}: pipeline outcome")
            signed = self.runner.run(self.decide_and_sign(case, prepared))
            require(parse_compact_jws(signed).payload["outcome"] == EXPECTED, f"{name}: record")
            for (_, _, (_, kb_payload)), claims in zip(
                self.ceiling(presented), self.core(presented), strict=True
            ):
                require(kb_payload["nonce"] == prepared.expectations.nonce, f"{name}: ceiling")
                require(claims["vct"] in vcts, f"{name}: core")
            for mode in MODES:
                subject = self._service(name, mode)
                subject.prepare(1)
                transaction = self.pending[name, mode][0].transaction_id
                subject.run(1)
                stored = self.runner.run(self._outcome(mode, transaction))
                require(stored == EXPECTED, f"{name}: {mode} decision")

    async def _outcome(self, mode: str, transaction_id: str) -> str | None:
        async with self.contexts[mode].database.read() as connection:
            query = select(decisions.c.outcome).where(decisions.c.transaction_id == transaction_id)
            outcome: str | None = (await connection.execute(query)).scalar()
            return outcome


def summarize(subjects: list[Subject]) -> dict[str, dict[str, dict[str, Any]]]:
    cases: dict[str, dict[str, dict[str, Any]]] = {}
    for subject in subjects:
        ceiling = next(s for s in subjects if s.case == subject.case and s.name == "ceiling")
        compared = compare(subject, ceiling)
        target = TARGET if subject.name == "pipeline" else None
        cases.setdefault(subject.case, {})[subject.name] = {
            "label": LABELS[subject.name],
            "answers_per_cpu_second": compared.rate,
            "presentations_per_cpu_second": compared.rate * CASES[subject.case].presentations,
            "answers_per_wall_second": compared.wall_rate,
            "ratio": compared.ratio,
            "round_ratio_range": compared.round_ratio_range,
            "target": target,
            "met": None if target is None else compared.ratio >= target,
            "rates": subject.rates,
            "wall_rates": subject.wall_rates,
            "iterations_per_round": subject.iterations,
        }
    return cases


def print_report(report: dict[str, Any]) -> None:
    env = report["environment"]
    print(
        f"Verification: {report['regulation']} answers, ES256 (P-256), SQLite; Python "
        f"{env['python']}, cryptography {env['cryptography']}, {env['openssl']}, "
        f"{env['cpus']} CPUs"
    )
    print(
        f"in process: one thread, CPU time; median of {report['rounds']} interleaved rounds of "
        f"~{report['seconds']} s; trust, issuer keys and status lists from cache "
        f"({report['fetches_while_timing']} fetches while timing)"
    )
    for name, rows in report["in_process"].items():
        case = CASES[name]
        print()
        print(
            f"{name}: {case.label}; the ceiling is {case.presentations} x (SD-JWT + KB verify) "
            "per answer"
        )
        print(
            f"{'in process':<44}{'answers/s':>10}{'pres./s':>9}{'wall/s':>9}{'ratio':>7}"
            f"{'(rounds)':>12}{'target':>8}"
        )
        for row in rows.values():
            low, high = row["round_ratio_range"]
            target = "" if row["target"] is None else f">= {row['target']}"
            print(
                f"{row['label']:<44}{row['answers_per_cpu_second']:>10,.0f}"
                f"{row['presentations_per_cpu_second']:>9,.0f}"
                f"{row['answers_per_wall_second']:>9,.0f}{row['ratio']:>7.2f}"
                f"{f'{low:.2f}-{high:.2f}':>12}{target:>8}"
            )
    if report["http"] is not None:
        _print_http(report["http"], report["in_process"])
    print()
    print(f"(ran {report['elapsed_seconds']} s)")
    verdicts = [
        f"{name} ({CASES[name].presentations} credential"
        f"{'s' if CASES[name].presentations > 1 else ''}) {rows['pipeline']['ratio']:.3f} "
        f"{'met' if rows['pipeline']['met'] else 'missed'}"
        for name, rows in report["in_process"].items()
    ]
    print(
        f"{'MET' if report['met'] else 'MISSED'}: pipeline in process, target >= {TARGET} of "
        "the ceiling: " + ", ".join(verdicts)
    )


def _print_http(http: dict[str, Any], in_process: dict[str, dict[str, Any]]) -> None:
    print()
    print(
        f"through HTTP: one uvicorn worker (verifier.serve), direct_post.jwt, "
        f"{http['concurrency']} posts in flight; median of {http['rounds']} rounds of "
        f"{http['answers']} answers per case; fsync {http['fsync_ms']:.1f} ms"
    )
    print(
        f"{'case':<14}{'answers/s':>10}{'ratio':>7}{'per server CPU s':>18}{'ratio':>7}"
        f"{'server busy':>13}{'p50':>11}{'p99':>11}"
    )
    for name, figures in http["cases"].items():
        ceiling = in_process[name]["ceiling"]["answers_per_cpu_second"]
        rate, per_cpu, busy = (
            figures["answers_per_second"],
            figures["answers_per_server_cpu_second"],
            figures["server_busy"],
        )
        server = (
            f"{'n/a':>18}{'n/a':>7}"
            if per_cpu is None
            else f"{per_cpu:>18,.0f}{per_cpu / ceiling:>7.2f}"
        )
        print(
            f"{name:<14}{rate:>10,.0f}{rate / ceiling:>7.2f}{server}"
            f"{'n/a' if busy is None else f'{busy:.0%}':>13}"
            f"{figures['latency_p50_ms']:>8.1f} ms{figures['latency_p99_ms']:>8.1f} ms"
        )


def profile(inprocess: InProcess, case: str, path: str, *, seconds: float) -> None:
    """cProfile of one path for about ``seconds`` (main thread only), top 25 by own time."""
    name = "direct_post.jwt" if path == "service" else path
    subject = next(s for s in inprocess.subjects() if (s.case, s.name) == (case, name))
    iterations, stats = profiled(subject, seconds=seconds)
    print(f"{iterations} answers, case {case}, path {name}")
    stats.print_stats(25)


DESK_URL = "http://127.0.0.1:8003"
"""The in-process desk's ``public_url``: nothing listens there, nothing is posted to it."""


def run_in_process(
    workload: Workload, args: argparse.Namespace
) -> dict[str, dict[str, dict[str, Any]]] | None:
    with asyncio.Runner() as runner:
        contexts = {
            mode: workload.context(workload.settings(DESK_URL, mode=mode)) for mode in MODES
        }
        try:
            runner.run(prepare(contexts["direct_post.jwt"]))  # one database for both
            inprocess = InProcess(workload, runner, contexts)
            inprocess.check()
            fetches = workload.agencies.fetches
            # Everything made so far lives as long as the run: set it aside, so the collection
            # before each round (and the collector while timing) walks only the round's objects.
            gc.freeze()
            if args.profile:
                seconds = max(args.seconds * 5, 1.0)
                profile(inprocess, args.case, args.profile, seconds=seconds)
                return None
            subjects = inprocess.subjects()
            measure(
                subjects,
                groups=CASES,
                group_of=lambda s: s.case,
                rounds=args.rounds,
                seconds=args.seconds,
            )
            require(workload.agencies.fetches == fetches, "a cache was refilled while timing")
            return summarize(subjects)
        finally:
            for context in contexts.values():
                runner.run(context.fetcher.aclose())
                runner.run(context.database.engine.dispose())


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.verifier",
        description="Presentations verified per second, in process and over HTTP, vs a ceiling.",
    )
    add_common_arguments(parser)
    parser.add_argument("--answers", type=int, help="answers per case per HTTP round (200)")
    parser.add_argument("--concurrency", type=int, default=4, help="posts in flight (default 4)")
    parser.add_argument(
        "--profile", choices=("pipeline", "service"), help="cProfile one in-process path instead"
    )
    parser.add_argument("--case", choices=tuple(CASES), default="assets", help="for --profile")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 11)
    args.seconds = args.seconds or (0.1 if args.quick else 0.25)
    args.http_rounds = args.http_rounds or (2 if args.quick else 5)
    args.answers = args.answers or (10 if args.quick else 200)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-verifier-") as scratch,
        bound_listener() as listener,  # the agencies' origin; served only for the HTTP run
    ):
        workload = Workload.create(Path(scratch), url_of(listener))
        in_process = run_in_process(workload, args)
        if in_process is None:  # --profile printed its own report
            return 0
        http = None
        if not args.no_http:
            http = measure_http(
                workload,
                listener,
                rounds=args.http_rounds,
                answers=args.answers,
                concurrency=args.concurrency,
            )
    report = {
        "regulation": "zorgtoeslag",
        "cases": {
            n: {"label": c.label, "presentations": c.presentations} for n, c in CASES.items()
        },
        "rounds": args.rounds,
        "seconds": args.seconds,
        "environment": environment(),
        "fetches_while_timing": 0,  # run_in_process refuses a run with any
        "in_process": in_process,
        "http": http,
        "target": TARGET,
        "met": all(rows["pipeline"]["met"] for rows in in_process.values()),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
