"""An issuer per test, on each database backend, reached over HTTP through its ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from issuer.api_keys import create_api_key
from issuer.app import build_app
from issuer.context import IssuerContext, build_context
from issuer.keys import create_signing_key
from issuer.settings import IssuerSettings
from runtime.sealing import load_or_create_key
from tests.issuer.attester import WalletAttester
from tests.issuer.wallet import Wallet, offer_from_link
from tests.support import Clock

ISSUER = "https://issuer.example"


@dataclass
class Issuer:
    app: FastAPI
    context: IssuerContext
    client: httpx.AsyncClient
    clock: Clock
    api_key: str
    wallet: Wallet
    attester: WalletAttester | None = None
    """The wallet provider whose root the issuer trusts, when it is configured with one."""

    def backoffice(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}

    async def offer(self, **body: Any) -> dict[str, Any]:
        body.setdefault("configuration_id", "household_income")
        body.setdefault("claims", INCOME_CLAIMS)
        response = await self.client.post(
            "/backoffice/offers", json=body, headers=self.backoffice()
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert offer_from_link(created["link"]) == created["credential_offer"]
        return created


INCOME_CLAIMS = {
    "year": 2024,
    "joint_assessed_income_cents": 2_850_000,
    "has_allowance_partner": False,
}


def issuer_settings(tmp_path: Path, database_url: str, **overrides: Any) -> IssuerSettings:
    key = tmp_path / "signing-key.jwk"
    if not key.exists():  # production profile: the operator provisions both keys
        create_signing_key(key)
        load_or_create_key(tmp_path / "storage.key")
    values: dict[str, Any] = {
        "public_url": ISSUER,
        "database_url": database_url,
        "data_dir": tmp_path,
        "signing_key_file": key,
        "status_list_size": 1024,
        **overrides,
    }
    return IssuerSettings(**values)


@asynccontextmanager
async def running_issuer(
    settings: IssuerSettings, *, attester: WalletAttester | None = None
) -> AsyncIterator[Issuer]:
    """The issuer of ``settings``, started, with a back-office API key for every configuration
    and a client that reaches it through its ASGI app; one place, so every fixture starts it
    the way production does (``lifespan``)."""
    clock = Clock()
    context = build_context(settings, clock=clock)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        created = await create_api_key(
            context, name="back office", configurations=sorted(context.configurations.by_id)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            wallet = Wallet(client, clock)
            yield Issuer(app, context, client, clock, created.secret, wallet, attester)


@pytest.fixture
async def issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    async with running_issuer(issuer_settings(tmp_path, database_url)) as started:
        yield started
