"""Wallet presentations through HTTP for ``bench.services``: the phone's flow through the
wallet service, with the issuer and the desk as their own uvicorn servers.

Three children on loopback, each on its own fresh database: an issuer (``issuer.serve``,
one worker), a desk (``verifier.serve``, one worker, ``direct_post.jwt``) and the wallet
service (``wallet.serve``, 1 or N workers). All three are prepared in this process before
they start (``bench.services_wallet_roles``), as ``aanspraak <role> serve`` prepares once
before its workers start; the trust registry is a signed trust list (``file`` backend).

``concurrency`` phones (``SimulatedDevice``) register, unlock and receive the four
zorgtoeslag credentials with enough one-time instances for every answer they will give
(not timed). Per round the desk's system starts one transaction per answer
(``POST /desk/transactions``, not timed); then every phone answers its share, one after the
other, the phones side by side. One answer, timed from its first request to its last
response: open the desk's link (the wallet service fetches and verifies the request object,
checks the registry, matches the query, keeps the consent preview sealed), approve (an
instance reserved, the KB-JWT signing inputs to the device), the device's signatures sent
back (the service posts ``direct_post.jwt`` to the desk, which verifies, decides and keeps
its record). A unit is an answer the desk accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.services_databases import Backend, fresh_database
from bench.services_figures import ServiceLoad, require, served
from bench.services_wallet_roles import MAX_BATCH, REGULATION, Roles, Urls, prepare_roles
from issuer.offers import OfferRequest, create_offer
from wallet.device_client import SimulatedDevice, WalletServiceClient

PIN = "246810"
CREDENTIALS = (  # zorgtoeslag ``single_income_35000``: decided eligible
    ("person", {"age_years": 41, "reference_date": "2026-01-01"}),
    ("health_insurance", {"insured": True, "year": 2026}),
    (
        "household_income",
        {"has_allowance_partner": False, "joint_assessed_income_cents": 3_500_000, "year": 2026},
    ),
    ("household_assets", {"joint_assets_cents": 0, "reference_date": "2026-01-01"}),
)
WARM_UP = 2
"""Answers per phone before the clock starts: with several phones, enough to reach every
worker (the phones' connections are spread by the kernel)."""


async def _phone(setup: Roles, wallet_url: str, instances: int) -> WalletServiceClient:
    """A registered, unlocked phone holding ``instances`` one-time instances of each of the
    zorgtoeslag credentials, one batch each (offers made by the issuer's back office, in this
    process), so a phone gives at most ``MAX_BATCH`` answers."""
    phone = WalletServiceClient(wallet_url, SimulatedDevice(), timeout=120.0)
    await phone.register(PIN)
    await phone.unlock(PIN)
    allowed = frozenset(setup.issuer.configurations.by_id)
    for configuration_id, claims in CREDENTIALS:
        request = OfferRequest(configuration_id, claims, None, instances, False, True, None)
        offer = await create_offer(setup.issuer, request, api_key_id=None, allowed=allowed)
        await phone.accept_offer(
            offer.link_by_reference, tx_code=offer.tx_code, instances=instances
        )
    return phone


async def _links(desk: httpx.AsyncClient, key: str, count: int) -> list[str]:
    """``count`` transactions started by the desk's own system: their deep links."""
    links = []
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(count):
        started = await desk.post(
            "/desk/transactions", json={"regulation": REGULATION}, headers=headers
        )
        require(started.status_code == 201, f"wallet: the desk started no transaction ({started})")
        links.append(str(started.json()["link"]))
    return links


async def _answer(phone: WalletServiceClient, link: str) -> float:
    started = time.perf_counter()
    opened = await phone.open_request(link)
    sent = await phone.approve(opened["id"])
    latency = time.perf_counter() - started
    require(sent["desk"]["status_code"] == 200, "wallet: the desk refused the answer")
    return latency


async def _answers(phones: Sequence[WalletServiceClient], links: Sequence[str]) -> list[float]:
    """Phone i answers links i, i + n, i + 2n, ... one after the other; the phones at once."""

    async def one_phone(index: int) -> list[float]:
        return [await _answer(phones[index], link) for link in links[index :: len(phones)]]

    per_phone = await asyncio.gather(*(one_phone(i) for i in range(len(phones))))
    return [latency for latencies in per_phone for latency in latencies]


@contextlib.asynccontextmanager
async def _databases(backend: Backend, base: Path) -> AsyncIterator[list[str]]:
    async with (
        fresh_database(backend, base / "issuer", "issuer") as issuer,
        fresh_database(backend, base / "desk", "verifier") as desk,
        fresh_database(backend, base / "wallet", "wallet") as wallet,
    ):
        yield [issuer, desk, wallet]


async def measure_wallet(
    directory: Path,
    backend: Backend,
    *,
    workers: int,
    rounds: int,
    answers: int,
    concurrency: int,
) -> dict[str, Any]:
    """Answers per second through ``workers`` wallet-service workers; see the docstring."""
    base = directory / f"wallet-{backend.name}-{workers}"
    base.mkdir(parents=True, exist_ok=True)
    per_phone = -(-answers // concurrency)
    instances = WARM_UP + rounds * per_phone
    if instances > MAX_BATCH:
        raise SystemExit(
            f"bench.services: a phone would answer {instances} times, more than the "
            f"{MAX_BATCH} instances of one batch; give more --phones or fewer --wallet-answers"
        )
    urls = Urls.fresh()
    figures = ServiceLoad(unit="answers")
    async with _databases(backend, base) as databases:
        setup = await prepare_roles(base, urls, databases)
        try:
            async with (
                served(
                    "issuer.serve:app_from_environment",
                    name="issuer",
                    settings=setup.issuer_env,
                    data_dir=base,
                    workers=1,
                    concurrency=concurrency,
                    port=int(urls.issuer.rsplit(":", 1)[1]),
                ),
                served(
                    "verifier.serve:app_from_environment",
                    name="desk",
                    settings=setup.desk_env,
                    data_dir=base,
                    workers=1,
                    concurrency=concurrency,
                    port=int(urls.desk.rsplit(":", 1)[1]),
                ) as desk,
                served(
                    "wallet.serve:app_from_environment",
                    name="wallet",
                    settings=setup.wallet_env,
                    data_dir=base,
                    workers=workers,
                    concurrency=concurrency,
                    port=int(urls.wallet.rsplit(":", 1)[1]),
                ) as wallet,
            ):
                phones = [await _phone(setup, urls.wallet, instances) for _ in range(concurrency)]
                try:
                    links = await _links(desk.client, setup.desk_key, WARM_UP * concurrency)
                    await _answers(phones, links)
                    for _ in range(rounds):
                        links = await _links(desk.client, setup.desk_key, per_phone * concurrency)
                        work = _answers(phones, links)
                        await figures.round(
                            wallet.process.pid, work, lambda done: (len(done), done)
                        )
                    figures.peak_rss_bytes = wallet.peak_rss()
                finally:
                    for phone in phones:
                        await phone.__aexit__(None, None, None)
        finally:
            await setup.issuer.engine.dispose()
    return figures.summary()
