"""The demo's presentation step: the municipal desk's verifier as a service, over OpenID4VP.

Three parties talk real HTTP on loopback (development profile):

* the agencies publish their signing keys as JWT VC Issuer Metadata (SD-JWT VC §4) and their
  Status List Tokens on one small server, each under its own path; the citizen's credentials
  carry those identifiers and status references;
* the desk runs the verifier service (uvicorn, SQLite in a temporary directory): its
  operator starts a transaction for kwijtschelding through the desk API, which compiles the
  law into the minimal DCQL query and returns the ``openid4vp://`` link;
* the wallet fetches the signed request object, checks the desk in the trust registry (the
  registry contract on the in-process EVM), shows the consent preview, and answers by
  ``direct_post.jwt``; the desk verifies every presentation and keeps a signed decision
  record with its explanation, not the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aanspraak.demo_attacks import attack_desk
from aanspraak.demo_regulations import (
    DECIDED_REGULATION,
    SCAN_DATE,
    DemoFailed,
    Wallet,
    citizen_claims,
)
from aanspraak.demo_settings import GivenOnly
from aanspraak.demo_trust import Seed, SeededRegistry, build_seed
from aanspraak.loopback import LoopbackFailed, bound_listener, serving, url_of
from runtime.fetcher import FetchPolicy
from runtime.regulations import catalogue, find
from runtime.settings import Profile
from specs.errors import Rejected
from specs.jose import PrivateJwk, generate_private_key
from specs.status_list import StatusType, build_status_list_token, encode_status_list
from verifier.app import build_app
from verifier.context import build_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings
from wallet.presentation import HeldCredential, PresentationClient

STATUS_LIST_SIZE = 1_024
DESK_NAME = "gemeente Utrecht, kwijtschelding gemeentelijke belastingen"


class _DemoVerifierSettings(GivenOnly, VerifierSettings):
    """The demo's settings come from the demo alone, never from ``AANSPRAAK_VERIFIER_*``."""


def _publication_app(base: str, keys: dict[str, PrivateJwk], now: int) -> Starlette:
    """What each agency publishes: ``/.well-known/jwt-vc-issuer/<agency>`` (its identifier
    and public key) and ``/status/<agency>`` (its Status List Token, every credential valid)."""

    async def metadata(request: Request) -> Response:
        issuer = f"{base}/{request.path_params['agency']}"
        key = keys.get(issuer)
        if key is None:
            return Response(status_code=404)
        return JSONResponse({"issuer": issuer, "jwks": {"keys": [key.public.to_jwk()]}})

    async def status_list(request: Request) -> Response:
        agency = request.path_params["agency"]
        key = keys.get(f"{base}/{agency}")
        if key is None:
            return Response(status_code=404)
        token = build_status_list_token(
            key=key,
            subject_uri=f"{base}/status/{agency}",
            status_list=encode_status_list([int(StatusType.VALID)] * STATUS_LIST_SIZE, 1),
            now=now,
            ttl=300,
            exp=now + 86_400,
            issuer=f"{base}/{agency}",
            allow_http=True,
        )
        return Response(token, media_type="application/statuslist+jwt")

    return Starlette(
        routes=[
            Route("/.well-known/jwt-vc-issuer/{agency}", metadata),
            Route("/status/{agency}", status_list),
        ]
    )


def _holder_wallet(base: str, now: int) -> Wallet:
    """The citizen's credentials, issued by agencies whose identifiers live on ``base``."""
    wallet = Wallet(generate_private_key())
    for index, (issuer, vct, claims) in enumerate(citizen_claims(SCAN_DATE.year)):
        slug = issuer.removeprefix("https://").split(".", 1)[0]
        status = {"status_list": {"idx": index, "uri": f"{base}/status/{slug}"}}
        wallet.receive(f"{base}/{slug}", vct, claims, now, status=status)
    return wallet


@dataclass(frozen=True)
class Presented:
    summary: dict[str, Any]
    seed: Seed
    registry: SeededRegistry


def present_to_desk(now: int) -> Presented:
    """Run the desk and the agencies' key publication; the wallet answers; the decision."""
    with (
        TemporaryDirectory(prefix="aanspraak-demo-verifier-") as data,
        bound_listener() as agencies_socket,
        bound_listener() as desk_socket,
    ):
        agencies, desk = url_of(agencies_socket), url_of(desk_socket)
        wallet = _holder_wallet(agencies, now)
        settings = _DemoVerifierSettings(
            profile=Profile.DEVELOPMENT,
            public_url=desk,
            database_url=f"sqlite+aiosqlite:///{Path(data) / 'verifier.db'}",
            data_dir=Path(data),
            port=desk_socket.getsockname()[1],
            display_name=DESK_NAME,
            local_origins=[agencies],
            regulations=[DECIDED_REGULATION],
        )
        clock: Callable[[], int] = lambda: now  # noqa: E731 - the story's fixed time
        client_id = load_identity(settings, now=clock).client_id
        seed = build_seed(
            wallet.issuer_keys,
            wallet.issued_types(),
            client_id,
            [find(DECIDED_REGULATION)],
            catalogue(),
        )
        registry = SeededRegistry(seed)
        context = build_context(settings, trust=registry, clock=clock)
        publication = _publication_app(agencies, wallet.issuer_keys, now)
        try:
            with (
                serving(publication, agencies_socket, name="agencies"),
                serving(build_app(settings, context=context), desk_socket, name="verifier") as run,
            ):
                created = context.api_keys.create(name="desk", scope=[DECIDED_REGULATION])
                key = asyncio.run(_on(run, created))
                summary = asyncio.run(
                    _transaction(desk, agencies, key.secret, wallet, registry, now)
                )
                return Presented(summary, seed, registry)
        except LoopbackFailed as exc:
            raise DemoFailed(str(exc)) from None
        except Rejected as exc:
            raise DemoFailed(f"the presentation was refused: {exc.reason}") from None


async def _on(running: Any, work: Any) -> Any:
    return await running.call(work)


async def _transaction(  # noqa: PLR0917 - one private step of present_to_desk
    desk: str, agencies: str, api_key: str, wallet: Wallet, registry: SeededRegistry, now: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=desk, trust_env=False, timeout=10) as officer:
        response = await officer.post(
            "/desk/transactions", json={"regulation": DECIDED_REGULATION}, headers=headers
        )
        if response.status_code != 201:
            raise DemoFailed(f"the desk could not start a transaction ({response.status_code})")
        started = response.json()
        held = [
            HeldCredential(_token(view), wallet.key, view.processed.claims["vct"])
            for view in wallet.views
        ]
        policy = FetchPolicy(allow_local_origins=frozenset({desk, agencies}))
        async with PresentationClient(policy=policy, trust=registry, clock=lambda: now) as client:
            opened = await client.open(started["link"], held)
            answer = await client.respond(opened, held, consent=True)
            if answer["status_code"] != 200:
                raise DemoFailed(f"the desk refused the answer ({answer.get('error')})")
            result = (
                await officer.get(
                    f"/desk/transactions/{started['transaction_id']}", headers=headers
                )
            ).json()
            attacks = await attack_desk(
                desk, api_key, lambda: client.respond(opened, held, consent=True)
            )
    preview = opened.preview
    return {
        "desk": desk,
        "client_id": preview.verifier,
        "regulation": started["regulation"],
        "link": started["link"],
        "response_mode": opened.request.response_mode,
        "consent": {
            "verifier": preview.verifier_name,
            "regulation": preview.regulation,
            "legal_basis": preview.legal_basis,
            "shared": [[vct, list(path)] for vct, path in preview.shared],
            "withheld": [[vct, list(path)] for vct, path in preview.withheld],
        },
        "status": result["status"],
        "decision": result.get("decision", {}),
        "attacks": attacks,
    }


def _token(view: Any) -> str:
    return "~".join([view.issuer_jwt, *(d.encoded for d in view.disclosures)]) + "~"
