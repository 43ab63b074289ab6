"""The report of ``bench.services``: header, one table per part, memory, verdicts."""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import version
from typing import Any

from bench.services_desk import CASE

TARGET = 0.5
"""OID4VP response to decision >= this share of the bare SD-JWT VC + KB-JWT verifier."""
METHOD = (
    "method: each service a uvicorn child (bench.serve_factory: h11 with the services' read "
    "deadline, no access log)\non a fresh database per run; one httpx.AsyncClient keeps "
    "--concurrency requests in flight on one\nevent loop, on the same cores; a checked "
    "warm-up, then timed rounds; rate = median over rounds of\nunits / wall s; p50/p99 of "
    "every timed request (queueing included); busy = server tree CPU s / wall s;\npeak RSS = "
    "sum of VmHWM over the server's processes (supervisor + workers) after the load"
)
PACKAGES = ("uvicorn", "fastapi", "httpx", "sqlalchemy", "aiosqlite", "asyncpg", "cryptography")


def environment(database_note: str | None) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "python": sys.version.split()[0],
        "packages": {name: version(name) for name in PACKAGES},
        "postgresql": database_note,
    }


def _share(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def ratios(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each desk run's answers/s over the bare verifications/s with the same workers (the
    target's ratio), and the same per CPU second of the servers' process trees: what each
    answer costs the server against one verification, whoever else takes the cores."""
    bare = {row["workers"]: row for row in runs["bare"]}
    return [
        {
            "backend": row["backend"],
            "workers": row["workers"],
            "mode": row["mode"],
            "ratio": row["per_second"] / bare[row["workers"]]["per_second"],
            "cpu_ratio": _share(
                row["per_server_cpu_second"], bare[row["workers"]]["per_server_cpu_second"]
            ),
        }
        for row in runs["oid4vp"]
        if row["workers"] in bare and bare[row["workers"]]["per_second"]
    ]


def verdicts(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row | {"pass": row["ratio"] >= TARGET} for row in ratios(runs)]


def _figure(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _busy(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _table(title: str, rows: list[dict[str, Any]], keys: tuple[str, ...], unit: str) -> None:
    if not rows:
        return
    print(title)
    heads = [key if key != "mode" else "response mode" for key in keys]
    print(
        "".join(f"{head:<16}" for head in heads)
        + f"{unit + '/s':>15}{'p50 ms':>9}{'p99 ms':>9}{'per CPU s':>11}{'busy':>7}"
        f"{'RSS MiB':>9}"
    )
    for row in rows:
        print(
            "".join(f"{row[key]!s:<16}" for key in keys)
            + f"{_figure(row['per_second']):>15}{_figure(row['latency_p50_ms']):>9}"
            f"{_figure(row['latency_p99_ms']):>9}{_figure(row['per_server_cpu_second']):>11}"
            f"{_busy(row['server_busy']):>7}{_figure(row['peak_rss_mib']):>9}"
        )
    print()


def _memory(runs: dict[str, list[dict[str, Any]]]) -> None:
    lines: dict[str, dict[int, float | None]] = {}
    for part, label in (("issuance", "issuer"), ("oid4vp", "desk"), ("wallet", "wallet service")):
        for row in runs[part]:
            name = f"{label} {row.get('mode', '')}".strip() + f", {row['backend']}"
            lines.setdefault(name, {})[row["workers"]] = row["peak_rss_mib"]
    for row in runs["bare"]:
        lines.setdefault("bare verifier", {})[row["workers"]] = row["peak_rss_mib"]
    if not lines:
        return
    workers = sorted({w for by_workers in lines.values() for w in by_workers})
    print("memory: peak RSS under the load above, MiB, summed over the server's processes")
    print(f"{'service':<36}" + "".join(f"{f'{w} worker(s)':>14}" for w in workers))
    for name, by_workers in lines.items():
        print(f"{name:<36}" + "".join(f"{_figure(by_workers.get(w)):>14}" for w in workers))
    print()


def print_report(report: dict[str, Any]) -> None:
    env, counts, runs = report["environment"], report["counts"], report["runs"]
    packages = ", ".join(f"{name} {v}" for name, v in env["packages"].items())
    print(
        f"services through HTTP on loopback: {env['cpus']} CPUs ({env['machine']}), "
        f"Python {env['python']}; {packages}"
    )
    if env["postgresql"]:
        print(env["postgresql"])
    print(METHOD)
    print(
        f"counts: rounds {counts['rounds']}; per round {counts['flows']} issuance flows, "
        f"{counts['answers']} desk answers, {counts['wallet_answers']} wallet answers; "
        f"{counts['concurrency']} in flight, {counts['phones']} phones"
    )
    print()
    _table(
        "issuance: pre-authorized flows (token, nonce, credential with 10 key proofs), "
        "household_assets;\nunit = credential, latency = the credential request",
        runs["issuance"],
        ("backend", "workers"),
        "credentials",
    )
    _table(
        f"OID4VP response to decision: prepared answers to the response_uri; {CASE.label};\n"
        "unit = answer decided (eligible, stored)",
        runs["oid4vp"],
        ("backend", "workers", "mode"),
        "answers",
    )
    _table(
        "bare baseline: FastAPI POST that only verifies the answer's SD-JWT VC + KB-JWT "
        "(specs, static key);\nunit = verification (= one assets answer's presentation)",
        runs["bare"],
        ("workers",),
        "verifications",
    )
    for row in runs["bare"]:
        print(
            f"HTTP floor, {row['workers']} worker(s): the same posts to an endpoint that only "
            f"reads the body: {_figure(row['http_floor_per_second'])}/s, p50 "
            f"{_figure(row['http_floor_latency_p50_ms'])} ms, "
            f"{_figure(row['http_floor_per_server_cpu_second'])} per server CPU s"
        )
    if runs["bare"]:
        print()
    _table(
        "wallet presentation through the wallet service (open the desk's link, approve, the "
        "device signs,\nsend; zorgtoeslag, 4 credentials, direct_post.jwt; issuer and desk "
        "1 worker each); unit = answer",
        runs["wallet"],
        ("backend", "workers"),
        "answers",
    )
    _memory(runs)
    for row in report["verdicts"]:
        verdict = "PASS" if row["pass"] else "MISS"
        print(
            f"{verdict}: OID4VP response to decision / bare verification, {row['backend']}, "
            f"{row['workers']} worker(s), {row['mode']}: {row['ratio']:.2f} "
            f"(target >= {TARGET}); per server CPU s {_figure(row['cpu_ratio'], 2)}"
        )
    print(f"\n(ran {report['elapsed_seconds']} s)")
