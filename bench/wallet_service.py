"""The wallet service over HTTP: answers to a desk and credentials received per second.

Run ``python -m bench.wallet_service`` (``--quick`` for a smoke run, ``--json`` for machines).
The three roles run on loopback (``aanspraak.town``: issuer, desk, wallet service; SQLite; one
process, each service on its own thread and event loop), so the figures include real HTTP,
both databases' commits and the device's signing rounds.

* answer: one zorgtoeslag presentation through the wallet service, as a phone runs it: open
  the desk's link (request object fetched and verified, registry checked, query matched,
  consent preview kept sealed), approve (a slot reserved, KB-JWT inputs to the device), sign
  on the device and send (``direct_post.jwt`` to the desk, which verifies, decides and keeps
  its record), history written. Baseline: the same answer from the holder library in this
  process with the keys in hand (``wallet.presentation.PresentationClient``: same request,
  same desk, same checks on the wallet's side, no service, no device round, no sealing).
* receive: one household-income credential (batch of 1) through the wallet service (offer
  checked, tx_code, token, nonce, the device signs the key proof, the credential verified
  and stored sealed, discovery re-run for notices). Baseline: the holder library receiving
  the same offer in this process (``wallet.issuance.IssuanceClient``, nothing stored).

Each figure is the median wall time of one sequential operation over ``--count`` operations,
after ``--warmup``; rates are 1 / median. The ratio is library / service time: the share of
the library's speed the service keeps while adding accounts, sealing, slots and the device.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from aanspraak.town import Town, running_town
from bench.sd_jwt import environment
from bench.sequential import command, print_table, summary_row, timed
from runtime.fetcher import FetchPolicy
from specs.jose import JwsSigner, PrivateJwk, generate_private_key
from wallet.device_client import SimulatedDevice, WalletServiceClient
from wallet.issuance import IssuanceClient, IssuanceResult
from wallet.presentation import HeldCredential, PresentationClient

PIN = "246810"
SLOTS = 20
CREDENTIALS = (
    ("person", {"age_years": 41, "reference_date": "2026-01-01"}),
    ("health_insurance", {"insured": True, "year": 2026}),
    (
        "household_income",
        {"has_allowance_partner": False, "joint_assessed_income_cents": 3_500_000, "year": 2026},
    ),
    ("household_assets", {"joint_assets_cents": 0, "reference_date": "2026-01-01"}),
)
FAST_KDF = {"pin_kdf_memory_kib": 1024, "pin_kdf_iterations": 1, "batch_size": SLOTS}


class SlotKeys:
    """Holder keys for the library baseline: instance j of every type gets the j-th key, as
    the wallet service's slots do (the desk wants one holder per answer)."""

    def __init__(self, count: int) -> None:
        self.keys: list[PrivateJwk] = [generate_private_key() for _ in range(count)]
        self._next = 0

    def new_key(self) -> JwsSigner:
        key = self.keys[self._next % len(self.keys)]
        self._next += 1
        return key


async def _link(town: Town, officer: httpx.AsyncClient) -> str:
    started = await officer.post("/desk/transactions", json={"regulation": "zorgtoeslag"})
    if started.status_code != 201:
        raise RuntimeError(f"the desk did not start a transaction ({started.status_code})")
    return str(started.json()["link"])


async def _phones(town: Town, needed: int) -> list[WalletServiceClient]:
    """Phones holding ``SLOTS`` slots each of the zorgtoeslag credentials."""
    phones = []
    for _ in range(-(-needed // SLOTS)):
        phone = WalletServiceClient(town.wallet_url, SimulatedDevice())
        await phone.register(PIN)
        await phone.unlock(PIN)
        for configuration_id, claims in CREDENTIALS:
            offer = await town.offer(configuration_id, claims, batch_size=SLOTS)
            await phone.accept_offer(
                offer.link_by_reference, tx_code=offer.tx_code, instances=SLOTS
            )
        phones.append(phone)
    return phones


async def _library_slots(
    town: Town, policy: FetchPolicy, needed: int
) -> list[list[HeldCredential]]:
    """The same credentials received by the library, grouped per holder key."""
    groups: list[list[HeldCredential]] = []
    for _ in range(-(-needed // SLOTS)):
        keys = SlotKeys(SLOTS)
        kept: list[IssuanceResult] = []
        store = _keeper(kept)
        async with IssuanceClient(policy=policy, clock=_now, keys=keys, trust=None) as client:
            for configuration_id, claims in CREDENTIALS:
                offer = await town.offer(configuration_id, claims, batch_size=SLOTS)
                await client.receive(
                    offer.link_by_reference, tx_code=offer.tx_code, store=store, batch_size=SLOTS
                )
        for key in keys.keys:
            groups.append(
                [
                    HeldCredential(c.token, c.holder_key, result.vct)
                    for result in kept
                    for c in result.credentials
                    if c.holder_key is key
                ]
            )
    return groups


def _keeper(kept: list[IssuanceResult]) -> Callable[[IssuanceResult], Awaitable[None]]:
    async def store(result: IssuanceResult) -> None:
        kept.append(result)

    return store


def _now() -> int:
    return int(time.time())


async def _measure(town: Town, count: int, warmup: int) -> dict[str, list[float]]:
    needed = count + warmup
    policy = FetchPolicy(allow_local_origins=frozenset({town.issuer_url, town.desk_url}))
    key = await town.desk_key(["zorgtoeslag"])
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=town.desk_url, headers=headers, trust_env=False
    ) as officer:
        phones = await _phones(town, needed)
        answers = iter([(p, i) for p in phones for i in range(SLOTS)])

        async def service_answer() -> None:
            phone, _slot = next(answers)
            opened = await phone.open_request(await _link(town, officer))
            sent = await phone.approve(opened["id"])
            if sent["desk"]["status_code"] != 200:
                raise RuntimeError("the desk refused the service's answer")

        library_held = iter(await _library_slots(town, policy, needed))

        async def library_answer() -> None:
            held = next(library_held)
            async with PresentationClient(policy=policy, trust=town.wallet.trust, clock=_now) as c:
                opened = await c.open(await _link(town, officer), held)
                reply = await c.respond(opened, held, consent=True)
            if reply["status_code"] != 200:
                raise RuntimeError("the desk refused the library's answer")

        phone = phones[0]

        async def service_receive() -> None:
            offer = await town.offer("household_income", dict(CREDENTIALS[2][1]), batch_size=1)
            await phone.accept_offer(offer.link_by_reference, tx_code=offer.tx_code, instances=1)

        async def library_receive() -> None:
            offer = await town.offer("household_income", dict(CREDENTIALS[2][1]), batch_size=1)

            async def store(_result: IssuanceResult) -> None:
                return None

            async with IssuanceClient(policy=policy, clock=_now) as client:
                await client.receive(offer.link_by_reference, tx_code=offer.tx_code, store=store)

        figures = {
            "answer: library": await timed(library_answer, count, warmup),
            "answer: service": await timed(service_answer, count, warmup),
            "receive: library": await timed(library_receive, count, warmup),
            "receive: service": await timed(service_receive, count, warmup),
        }
        for each in phones:
            await each.__aexit__(None, None, None)
    return figures


def summarize(figures: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    summary = {name: summary_row(times) for name, times in figures.items()}
    for kind in ("answer", "receive"):
        library, service = summary[f"{kind}: library"], summary[f"{kind}: service"]
        service["ratio_to_library"] = round(library["p50_ms"] / service["p50_ms"], 2)
    return summary


def print_report(report: dict[str, Any]) -> None:
    print_table(
        report,
        title="Wallet service over HTTP (loopback, SQLite)",
        ratio_key="ratio_to_library",
        width=38,
    )


def run(count: int, warmup: int) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="aanspraak-bench-wallet-") as data,
        running_town(
            Path(data),
            wallet_overrides=FAST_KDF,
            issuer_overrides={"max_batch_size": SLOTS},
        ) as town,
    ):
        figures = asyncio.run(_measure(town, count, warmup))
    return {
        "count": count,
        "warmup": warmup,
        "environment": environment(),
        "figures": summarize(figures),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    return command(
        argv,
        prog="python -m bench.wallet_service",
        description="Answers and receipts through the wallet service, vs the holder library.",
        default_count=40,
        run=run,
        print_report=print_report,
    )


if __name__ == "__main__":
    sys.exit(main())
