"""What grows with the number of citizens: database bytes and rows per citizen, per role.

Run ``python -m bench.footprint`` (``--quick`` for a smoke run, ``--json`` for machines).

The three roles on loopback (``aanspraak.town``, SQLite, as ``bench.wallet_service``). Each
citizen does what a zorgtoeslag applicant does: registers a phone with the wallet service,
receives the four statements the regulation needs (person, health insurance, household
income, household assets) in batches of ``--batch`` instances each (one instance per
presentation, so a desk cannot link two of them), and answers ``--answers`` desk requests.

The databases are measured after ``--citizens`` citizens and again after twice as many, so
what every deployment has anyway (schema, keys, the first status list, the registry) cancels
out: per citizen = (bytes at 2N - bytes at N) / N. Bytes are SQLite pages in use per table
and index (the ``dbstat`` table), rows are ``COUNT(*)`` per table. The status list a
citizen's credentials sit in is counted once per list, not per citizen: its token is printed
separately (size on the wire, which a CDN serves, RFC Token Status List §4).

PostgreSQL stores the same rows; its per-row overhead (a 23-byte tuple header and alignment)
makes its figures somewhat larger than SQLite's, the proportions stay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aanspraak.town import Town, running_town
from bench.sd_jwt import environment
from bench.wallet_service import CREDENTIALS, FAST_KDF, PIN
from specs.jose import parse_compact_jws
from wallet.device_client import SimulatedDevice, WalletServiceClient

ROLES = {
    "issuer": "issuer/issuer.db",
    "verifier": "verifier/verifier.db",
    "wallet": "wallet/wallet.db",
}


@dataclass(frozen=True)
class Measured:
    """One database at one moment: bytes in use and rows, per table (indexes by their name)."""

    bytes_by_object: dict[str, int]
    rows_by_table: dict[str, int]

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_object.values())


def measure_database(path: Path) -> Measured:
    """Pages in use per table and index, rows per table; read-only, the WAL included."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        sizes = dict(
            connection.execute(
                "SELECT name, SUM(pgsize - unused) FROM dbstat GROUP BY name"
            ).fetchall()
        )
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {
            table: int(connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
            for table in tables
        }
    return Measured({str(k): int(v) for k, v in sizes.items()}, rows)


async def _citizen(town: Town, officer: httpx.AsyncClient, *, batch: int, answers: int) -> None:
    phone = WalletServiceClient(town.wallet_url, SimulatedDevice())
    try:
        await phone.register(PIN)
        await phone.unlock(PIN)
        for configuration_id, claims in CREDENTIALS:
            offer = await town.offer(configuration_id, dict(claims), batch_size=batch)
            await phone.accept_offer(
                offer.link_by_reference, tx_code=offer.tx_code, instances=batch
            )
        for _ in range(answers):
            started = await officer.post("/desk/transactions", json={"regulation": "zorgtoeslag"})
            if started.status_code != 201:
                raise SystemExit(f"bench.footprint: the desk did not start ({started.status_code})")
            opened = await phone.open_request(str(started.json()["link"]))
            sent = await phone.approve(opened["id"])
            if sent["desk"]["status_code"] != 200:
                raise SystemExit("bench.footprint: the desk refused an answer; not measured")
    finally:
        await phone.__aexit__(None, None, None)


async def _status_list_bytes(town: Town, data: Path) -> list[int]:
    """The wire size of each status list token the issuer has published (``/status/{id}``)."""
    with sqlite3.connect(f"file:{data / ROLES['issuer']}?mode=ro", uri=True) as connection:
        ids = [int(row[0]) for row in connection.execute("SELECT id FROM status_lists")]
    sizes = []
    async with httpx.AsyncClient(base_url=town.issuer_url, trust_env=False) as client:
        for list_id in ids:
            response = await client.get(f"/status/{list_id}")
            if response.status_code != 200:
                raise SystemExit(f"bench.footprint: status list {list_id}: {response.status_code}")
            parse_compact_jws(response.text)  # a token, not an error page
            sizes.append(len(response.content))
    return sizes


async def _run(town: Town, data: Path, citizens: int, batch: int, answers: int) -> dict[str, Any]:
    key = await town.desk_key(["zorgtoeslag"])
    async with httpx.AsyncClient(
        base_url=town.desk_url, headers={"Authorization": f"Bearer {key}"}, trust_env=False
    ) as officer:
        snapshots: list[dict[str, Measured]] = []
        for _ in range(2):
            for _ in range(citizens):
                await _citizen(town, officer, batch=batch, answers=answers)
            snapshots.append({role: measure_database(data / path) for role, path in ROLES.items()})
        status_bytes = await _status_list_bytes(town, data)
    first, second = snapshots
    roles: dict[str, Any] = {}
    for role in ROLES:
        before, after = first[role], second[role]
        objects = {
            name: (after.bytes_by_object.get(name, 0) - before.bytes_by_object.get(name, 0))
            / citizens
            for name in after.bytes_by_object
        }
        rows = {
            table: (after.rows_by_table[table] - before.rows_by_table.get(table, 0)) / citizens
            for table in after.rows_by_table
        }
        roles[role] = {
            "bytes_per_citizen": (after.total_bytes - before.total_bytes) / citizens,
            "bytes_at_start": before.total_bytes,
            "objects_per_citizen": {k: v for k, v in sorted(objects.items()) if v > 0},
            "rows_per_citizen": {k: v for k, v in sorted(rows.items()) if v > 0},
        }
    return {"roles": roles, "status_list_token_bytes": status_bytes}


def run(citizens: int, batch: int, answers: int) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="aanspraak-bench-footprint-") as folder,
        running_town(
            Path(folder),
            wallet_overrides={**FAST_KDF, "batch_size": batch},
            issuer_overrides={"max_batch_size": batch},
        ) as town,
    ):
        measured = asyncio.run(_run(town, Path(folder), citizens, batch, answers))
    return {
        "citizens": citizens,
        "batch": batch,
        "answers": answers,
        "environment": environment(),
        **measured,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"Bytes and rows per citizen (SQLite; {report['citizens']} citizens, then "
        f"{report['citizens']} more): 4 statements x {report['batch']} instances, "
        f"{report['answers']} desk answers each"
    )
    print()
    print(f"{'role':<10}{'bytes/citizen':>15}{'at start':>12}  largest objects (bytes/citizen)")
    for role, figures in report["roles"].items():
        largest = sorted(figures["objects_per_citizen"].items(), key=lambda kv: -kv[1])[:4]
        described = ", ".join(f"{name} {value:,.0f}" for name, value in largest)
        print(
            f"{role:<10}{figures['bytes_per_citizen']:>15,.0f}"
            f"{figures['bytes_at_start']:>12,}  {described}"
        )
    print()
    print("rows per citizen:")
    for role, figures in report["roles"].items():
        rows = ", ".join(f"{t} {n:g}" for t, n in figures["rows_per_citizen"].items())
        print(f"  {role:<9} {rows}")
    print()
    sizes = ", ".join(f"{size:,}" for size in report["status_list_token_bytes"])
    print(f"status list tokens on the wire (bytes, one per list, shared by every holder): {sizes}")
    total = sum(figures["bytes_per_citizen"] for figures in report["roles"].values())
    print(f"(ran {report['elapsed_seconds']} s)")
    print(f"bytes per citizen, all roles: {total:,.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.footprint", description="Database bytes and rows per citizen."
    )
    parser.add_argument("--quick", action="store_true", help="2 + 2 citizens, batch 2")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--citizens", type=int, help="citizens per step (default 10)")
    parser.add_argument("--batch", type=int, help="instances per statement (default 10)")
    parser.add_argument("--answers", type=int, default=2, help="desk answers per citizen")
    args = parser.parse_args(argv)
    citizens = args.citizens or (2 if args.quick else 10)
    batch = args.batch or (2 if args.quick else 10)
    report = run(citizens, batch, args.answers)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
