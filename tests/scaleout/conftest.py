"""Scale-out fixtures: every role as ``serve --workers 2`` processes sharing one PostgreSQL
database per role (``tests.scaleout.deployment``), started once per test session.

Everything here needs ``TEST_DATABASE_URL``: without it every test skips with the
PostgreSQL skip message, which CI refuses (``.ci/run``), so there they always run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aanspraak.loopback import bound_listener, serving, url_of
from tests.issuer.server import free_port
from tests.scaleout.deployment import Deployment, plan_deployment, start, stop
from tests.scaleout.roles import (
    PreparedDesk,
    PreparedIssuer,
    prepare_desk,
    prepare_issuer,
    prepare_wallet,
    publish_registry,
)
from tests.threats.service_process import TrustFile
from tests.verifier.agencies import Agencies
from tests.verifier.desk_process import INCOME_VCT
from tests.wallet.town_fixtures import FAST_KDF, postgres_database

ISSUER_SETTINGS = {
    "status_list_size": "1024",  # a small list: quick to create at the first issuance
    "max_batch_size": "10",
    # The outbox is filled in the same transaction as each change; nobody listens here, so
    # the events stay in the table for the tests to count.
    "webhook_url": f"http://127.0.0.1:{free_port()}/events",
    "webhook_secret": "scale-out-webhook-secret-0123456789",
}
WALLET_SETTINGS = {name: str(value) for name, value in FAST_KDF.items()} | {"batch_size": "10"}


class _BackOffice:
    """A scaled-out role with a back office: its public URL and its API key's header."""

    deployment: Deployment
    prepared: PreparedIssuer | PreparedDesk

    @property
    def url(self) -> str:
        return self.deployment.public_url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.prepared.api_key}"}


@dataclass
class Issuers(_BackOffice):
    deployment: Deployment
    prepared: PreparedIssuer


@dataclass
class Desks(_BackOffice):
    deployment: Deployment
    prepared: PreparedDesk
    agencies: Agencies
    agency: str
    """The loopback agency whose income statements the desk trusts."""


@dataclass
class World:
    """Every role scaled out: the issuer's, the desk's and the wallet service's processes."""

    issuers: Issuers
    desks: Desks
    wallets: Deployment


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Two processes of two workers per role, each role on a fresh database of its own.

    Built once per test session (per xdist worker): starting six services is most of the
    cost. The desk trusts the real issuer and a loopback agency (``tests.verifier.agencies``)
    whose credentials the desk tests present; the wallet service may reach both the issuer
    and the desk on plain loopback HTTP (development profile, ``local_origins``)."""
    directory = tmp_path_factory.mktemp("world")
    trust = TrustFile(directory / "trust")
    agencies = Agencies(lambda: int(time.time()))
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(bound_listener())
        agency_url = url_of(listener)
        agency = agencies.add(agency_url)
        stack.enter_context(serving(agencies.app(), listener, name="agency"))
        issuer = plan_deployment(
            "issuer",
            directory / "issuer",
            stack.enter_context(postgres_database()),
            trust,
            settings=ISSUER_SETTINGS,
        )
        desk = plan_deployment(
            "verifier",
            directory / "verifier",
            stack.enter_context(postgres_database()),
            trust,
            # The loopback agency's status list would be on plain http, which a credential's
            # status reference may not name (SD-JWT VC §3.2.2.2): its credentials have none,
            # and the desk accepts that. The issuer's credentials have one, and it is checked.
            settings={
                "local_origins": f"{agency_url},{issuer.public_url}",
                "require_status": "false",
            },
        )
        wallets = plan_deployment(
            "wallet",
            directory / "wallet",
            stack.enter_context(postgres_database()),
            trust,
            settings={"local_origins": f"{issuer.public_url},{desk.public_url}", **WALLET_SETTINGS},
        )
        prepared_issuer = asyncio.run(prepare_issuer(issuer.values))
        prepared_desk = asyncio.run(prepare_desk(desk.values))
        asyncio.run(prepare_wallet(wallets.values))
        publish_registry(
            trust,
            issuers={
                issuer.public_url: (prepared_issuer.key_thumbprints, prepared_issuer.vcts),
                agency_url: ([agency.key.public.thumbprint()], [INCOME_VCT]),
            },
            desk=prepared_desk.client_id,
        )
        stack.callback(stop, issuer, desk, wallets)
        asyncio.run(start(issuer, desk, wallets))
        yield World(
            Issuers(issuer, prepared_issuer),
            Desks(desk, prepared_desk, agencies, agency_url),
            wallets,
        )


@pytest.fixture(scope="session")
def issuers(world: World) -> Issuers:
    return world.issuers


@pytest.fixture(scope="session")
def desks(world: World) -> Desks:
    return world.desks
