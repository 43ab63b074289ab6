"""The three roles as services over real sockets: an agency's issuer, the wallet, the desk.

The agency runs the issuer service (uvicorn on loopback) and issues the citizen's four
zorgtoeslag credentials over OpenID4VCI, all bound to one holder key slot; the desk runs the
verifier service (uvicorn on loopback) and reads the agency's metadata and Status List Token
over HTTP through its safe fetcher (the agency's origin is its one local exception, DESIGN
§4); the wallet is the holder library's OpenID4VP responder. Revocation at the agency reaches
the desk through the status list: at once for a list it has not cached, and for a cached one
once the list's ttl has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aanspraak.demo_issuance import loopback_issuer
from aanspraak.demo_trust import build_seed
from aanspraak.loopback import bound_listener, serving, url_of
from issuer.offer_admin import CredentialStatus, change_status
from issuer.offers import OfferRequest
from runtime.fetcher import FetchPolicy
from runtime.regulations import catalogue
from runtime.settings import Profile
from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.trust.trust_list import build_trust_list
from tests.support import START, Clock
from tests.verifier.conftest import scenario
from trust.file_backend import FileTrustRegistry
from verifier.app import build_app
from verifier.context import build_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings
from wallet.issuance import IssuanceClient, IssuanceResult
from wallet.presentation import HeldCredential, PresentationClient

#: The agency computes the zorgtoeslag asset predicates itself from the amount (derived claims
#: are never accepted from a back office).
RAW_ASSETS = {"joint_assets_cents": 100_000, "reference_date": "2026-01-01"}
CONFIGURATIONS = {
    "urn:nl:brp:person:1": "person",
    "urn:nl:zorgverzekeraar:health-insurance:1": "health_insurance",
    "urn:nl:belastingdienst:household-income:1": "household_income",
    "urn:nl:belastingdienst:household-assets:1": "household_assets",
}


class SameKeySlot:
    """One key for every credential of this slot (OID4VCI ``HolderKeys``): the verifier
    accepts credentials of one answer only when they are bound to one holder key."""

    def __init__(self) -> None:
        self.key = generate_private_key()

    def new_key(self) -> PrivateJwk:
        return self.key


@dataclass
class Roles:
    clock: Clock
    issuer_url: str
    desk_url: str
    api_key: str
    offers: dict[str, str]
    held: list[HeldCredential]
    registry: FileTrustRegistry
    revoke: Any


@contextlib.contextmanager
def roles(tmp_path: Path) -> Iterator[Roles]:
    clock = Clock(START)
    case = scenario("zorgtoeslag", "single_income_35000")
    with loopback_issuer(tmp_path / "issuer", display_name="agency", clock=clock) as agency:
        slot = SameKeySlot()
        offers: dict[str, str] = {}
        held: list[HeldCredential] = []
        for credential in case.credentials:
            configuration = CONFIGURATIONS[credential.vct]
            claims = RAW_ASSETS if configuration == "household_assets" else credential.claims
            request = OfferRequest(configuration, dict(claims), None, 1, False, True, None)
            created = asyncio.run(agency.create_offer(request))
            offers[credential.vct] = created.offer_id
            result = asyncio.run(
                _receive(agency.url, created.link_by_reference, created.tx_code, slot, clock)
            )
            received = result.credentials[0]
            held.append(HeldCredential(received.token, slot.key, result.vct))
        governance = generate_private_key(JwsAlg.ES256)
        with bound_listener() as listener:
            desk_url = url_of(listener)
            settings = VerifierSettings(
                profile=Profile.DEVELOPMENT,
                public_url=desk_url,
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'verifier.db'}",
                data_dir=tmp_path / "verifier",
                local_origins=[agency.url],
            )
            client_id = load_identity(settings, now=clock).client_id
            seed = build_seed(
                {agency.url: agency.context.keys.active},  # type: ignore[dict-item]
                {agency.url: set(CONFIGURATIONS)},
                client_id,
                catalogue(),
                catalogue(),
            )
            trust_list = tmp_path / "trust-list.jwt"
            trust_list.write_text(
                build_trust_list(
                    seed.snapshot(as_of=clock()),
                    key=governance,
                    governance_id="g",
                    now=clock(),
                    ttl=86_400,
                )
            )
            registry = FileTrustRegistry(trust_list, governance.public, 300)
            context = build_context(settings, trust=registry, clock=clock)
            with serving(build_app(settings, context=context), listener, name="verifier") as run:
                desk_key = asyncio.run(
                    run.call(context.api_keys.create(name="desk", scope=["zorgtoeslag"]))
                )

                def revoke(vct: str) -> None:
                    work = change_status(
                        agency.context, offers[vct], CredentialStatus.REVOKED, allowed=None
                    )
                    assert asyncio.run(agency_call(agency, work)) >= 1

                yield Roles(
                    clock, agency.url, desk_url, desk_key.secret, offers, held, registry, revoke
                )


async def agency_call(agency: Any, work: Any) -> Any:
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, agency.loop))


async def _receive(
    issuer: str, link: str, tx_code: str | None, slot: SameKeySlot, clock: Clock
) -> IssuanceResult:
    async def store(result: IssuanceResult) -> None:
        del result

    client = IssuanceClient(
        policy=FetchPolicy(allow_local_origins=frozenset({issuer})), clock=clock, keys=slot
    )
    async with client:
        return await client.receive(link, tx_code=tx_code, store=store, batch_size=1)


async def _ask_and_answer(roles: Roles) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {roles.api_key}"}
    async with httpx.AsyncClient(base_url=roles.desk_url, trust_env=False) as officer:
        started = (
            await officer.post(
                "/desk/transactions", json={"regulation": "zorgtoeslag"}, headers=headers
            )
        ).json()
        policy = FetchPolicy(allow_local_origins=frozenset({roles.desk_url}))
        async with PresentationClient(
            policy=policy, trust=roles.registry, clock=roles.clock
        ) as wallet:
            opened = await wallet.open(started["link"], roles.held)
            answer = await wallet.respond(opened, roles.held, consent=True)
        result = (
            await officer.get(f"/desk/transactions/{started['transaction_id']}", headers=headers)
        ).json()
    return {"answer": answer, "result": result}


def test_issued_over_openid4vci_presented_over_openid4vp_revoked_through_the_status_list(
    tmp_path: Path,
) -> None:
    with roles(tmp_path) as running:
        first = asyncio.run(_ask_and_answer(running))
        assert first["answer"]["status_code"] == 200
        assert first["result"]["status"] == "eligible"
        assert first["result"]["decision"]["record"]["amount_cents"] == 82_800

        running.revoke("urn:nl:belastingdienst:household-income:1")
        cached = asyncio.run(_ask_and_answer(running))
        assert cached["result"]["status"] == "eligible"  # the desk's copy is within its ttl

        running.clock.advance(301)  # past the agency's status list ttl (300 s)
        revoked = asyncio.run(_ask_and_answer(running))
        assert revoked["answer"]["status_code"] == 400
        assert revoked["answer"]["error"] == "invalid_request"
        assert revoked["result"] == {
            **revoked["result"],
            "status": "rejected",
            "reason": "credential-revoked",
        }
