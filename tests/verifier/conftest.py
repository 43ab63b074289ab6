"""A verifier per test, on each database backend, with real agencies and a signed trust list.

* the agencies (``tests.verifier.agencies``) are every issuer the bundled scenarios name,
  each with its own key, metadata and status list;
* the trust registry is the ``file`` backend over a trust list signed by a governance key:
  the agencies for the types they issue, this desk for the claims every bundled regulation
  needs, every regulation anchored (the demo's seed, ``aanspraak.demo_trust.build_seed``);
* the verifier runs its real app (lifespan included) in process; the desk and the wallet
  reach it over ``httpx`` through its ASGI interface, and it reaches the agencies through
  its own ``SafeFetcher``. ``tests/verifier/test_http.py`` runs the same flow over sockets.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from aanspraak.demo_trust import build_seed
from runtime.fetcher import FetchPolicy, SafeFetcher
from runtime.regulations import catalogue
from runtime.scenarios import Scenario, load_scenarios, scenario_files
from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.trust.trust_list import build_trust_list
from tests.support import Clock
from tests.verifier.agencies import Agencies
from tests.verifier.wallet import TestWallet, new_holder_key
from trust.file_backend import FileTrustRegistry
from verifier.app import build_app
from verifier.context import VerifierContext, build_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings

DESK = "http://127.0.0.1:8003"


def all_scenarios() -> list[Scenario]:
    return [case for path in scenario_files() for case in load_scenarios(path).cases]


def scenario(regulation: str, name: str) -> Scenario:
    for path in scenario_files():
        loaded = load_scenarios(path)
        if loaded.regulation == regulation:
            for case in loaded.cases:
                if case.name == name:
                    return case
    raise KeyError(name)


def write_trust_list(
    path: Path,
    agencies: Agencies,
    client_id: str,
    governance: PrivateJwk,
    now: int,
    *,
    anchored: bool = True,
) -> None:
    types: dict[str, set[str]] = {}
    for case in all_scenarios():
        for credential in case.credentials:
            types.setdefault(credential.issuer, set()).add(credential.vct)
    seed = build_seed(agencies.keys, types, client_id, catalogue(), catalogue() if anchored else [])
    token = build_trust_list(
        seed.snapshot(as_of=now), key=governance, governance_id="governance", now=now, ttl=86_400
    )
    path.write_text(token)


@dataclass
class Desk:
    app: FastAPI
    context: VerifierContext
    client: httpx.AsyncClient
    clock: Clock
    agencies: Agencies
    api_key: str
    wallet: TestWallet
    governance: PrivateJwk | None = None
    trust_list: Path | None = None

    def republish_trust_list(self, *, anchored: bool = True) -> None:
        """Governance signs the registry again (after an agency's key changed)."""
        assert self.governance is not None
        assert self.trust_list is not None
        write_trust_list(
            self.trust_list,
            self.agencies,
            self.context.client_id,
            self.governance,
            self.clock(),
            anchored=anchored,
        )

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}

    async def start(self, regulation: str = "zorgtoeslag", **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/desk/transactions", json={"regulation": regulation, **body}, headers=self.headers()
        )
        assert response.status_code == 201, response.text
        started: dict[str, Any] = response.json()
        return started

    async def result(
        self, transaction_id: str, *, response_code: str | None = None
    ) -> httpx.Response:
        headers = self.headers()
        if response_code is not None:
            headers["Response-Code"] = response_code
        return await self.client.get(f"/desk/transactions/{transaction_id}", headers=headers)

    def give(
        self, case: Scenario, wallet: TestWallet | None = None, *, with_status: bool = True
    ) -> dict[str, int | None]:
        """Issue the scenario's credentials to the wallet, all bound to one holder key (the
        verifier refuses credentials of one answer bound to different holders)."""
        target = wallet or self.wallet
        holder = new_holder_key()
        indices: dict[str, int | None] = {}
        for credential in case.credentials:
            token, index = self.agencies.issue(
                credential.issuer,
                credential.vct,
                credential.claims,
                holder=holder.public,
                with_status=with_status,
            )
            target.hold(token, holder, credential.vct)
            indices[credential.vct] = index
        return indices


def verifier_settings(tmp_path: Path, database_url: str, **overrides: Any) -> VerifierSettings:
    values: dict[str, Any] = {
        "profile": "development",
        "public_url": DESK,
        "database_url": database_url,
        "data_dir": tmp_path / "verifier",
        "redirect_origins": ["https://desk.example"],  # where same-device tests return
        **overrides,
    }
    return VerifierSettings(**values)


async def make_desk(tmp_path: Path, database_url: str, **overrides: Any) -> AsyncIterator[Desk]:
    clock = Clock()
    agencies = Agencies(clock)
    for case in all_scenarios():
        for credential in case.credentials:
            agencies.add(credential.issuer)
    settings = verifier_settings(tmp_path, database_url, **overrides)
    governance = generate_private_key(JwsAlg.ES256)
    trust_list = tmp_path / "trust-list.jwt"
    write_trust_list(
        trust_list, agencies, load_identity(settings, now=clock).client_id, governance, clock()
    )
    registry = FileTrustRegistry(trust_list, governance.public, 300)
    fetcher = SafeFetcher(FetchPolicy(), transport=httpx.ASGITransport(app=agencies.app()))
    context = build_context(settings, trust=registry, clock=clock, fetcher=fetcher)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        created = await context.api_keys.create(name="desk", scope=sorted(context.regulations()))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=DESK) as client:
            wallet = TestWallet(client, clock)
            yield Desk(
                app,
                context,
                client,
                clock,
                agencies,
                created.secret,
                wallet,
                governance,
                trust_list,
            )


running_desk = contextlib.asynccontextmanager(make_desk)
"""``async with running_desk(tmp_path, url) as desk``: a desk outside a fixture."""


@pytest.fixture
async def desk(tmp_path: Path, database_url: str) -> AsyncIterator[Desk]:
    async for made in make_desk(tmp_path, database_url):
        yield made


@pytest.fixture
async def plain_desk(tmp_path: Path, database_url: str) -> AsyncIterator[Desk]:
    """A desk whose wallets answer by ``direct_post`` (no encryption)."""
    async for made in make_desk(tmp_path, database_url, response_mode="direct_post"):
        yield made


@pytest.fixture
async def haip_desk(tmp_path: Path, database_url: str) -> AsyncIterator[Desk]:
    """A desk in strict HAIP 1.0 mode (``AANSPRAAK_VERIFIER_HAIP``), offering ``A256GCM``."""
    async for made in make_desk(tmp_path, database_url, haip=True, response_enc="A256GCM"):
        yield made


def outcome_of(result: Mapping[str, Any]) -> str:
    return str(result["status"])
