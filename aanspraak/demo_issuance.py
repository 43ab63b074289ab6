"""The demo's issuance step: an agency's issuer as a service, the wallet over OpenID4VCI 1.0.

The Belastingdienst runs the real issuer service (uvicorn, development profile, SQLite in a
temporary directory) on a free ``127.0.0.1`` port, in a background thread. Its back office
makes an offer for this year's household income with the library call the back-office API
uses (``issuer.offers.create_offer``) and sends the tx_code to the citizen by letter. The
wallet follows the by-reference link (what a QR code carries), checks the issuer and its
authorization server, sends the tx_code, and receives a batch of one-time credentials over
real HTTP, each verified before anything is kept.

Only the development profile allows plain HTTP, and the wallet's safe fetcher reaches
loopback only at the one origin it is configured with (DESIGN §4).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from rich.console import Console

from aanspraak.demo_regulations import ATTESTED_INCOME_CENTS, SCAN_DATE, DemoFailed
from aanspraak.demo_settings import GivenOnly
from aanspraak.loopback import LoopbackFailed, bound_listener, serving, url_of
from issuer.app import build_app
from issuer.context import IssuerContext, build_context
from issuer.offers import CreatedOffer, OfferRequest, create_offer
from issuer.settings import IssuerSettings
from runtime.fetcher import FetchPolicy
from runtime.settings import Profile
from wallet.issuance import CHECKS, IssuanceClient, IssuanceFailed, IssuanceResult

AGENCY = "Belastingdienst"
CONFIGURATION = "household_income"
BATCH_SIZE = 3


class _DemoIssuerSettings(GivenOnly, IssuerSettings):
    """The demo's settings come from the demo alone: no ``AANSPRAAK_ISSUER_*`` variable of
    the machine it runs on (a production key file, a webhook) may leak into it."""


@dataclass(frozen=True)
class LoopbackIssuer:
    """A running issuer service and what its back office can do in-process."""

    url: str
    context: IssuerContext
    loop: asyncio.AbstractEventLoop

    async def create_offer(self, request: OfferRequest) -> CreatedOffer:
        """The back office's call, run on the service's own event loop (its database)."""
        allowed = frozenset(self.context.configurations.by_id)
        work = create_offer(self.context, request, api_key_id=None, allowed=allowed)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))


@contextlib.contextmanager
def loopback_issuer(
    data_dir: Path, *, display_name: str, clock: Callable[[], int]
) -> Iterator[LoopbackIssuer]:
    """Start the issuer on a free ``127.0.0.1`` port; stop it and wait for it on exit."""
    with bound_listener() as listener:
        port = listener.getsockname()[1]
        settings = _DemoIssuerSettings(
            profile=Profile.DEVELOPMENT,
            public_url=url_of(listener),
            database_url=f"sqlite+aiosqlite:///{data_dir / 'issuer.db'}",
            data_dir=data_dir,
            port=port,
            display_name=display_name,
        )
        context = build_context(settings, clock=clock)
        try:
            with serving(build_app(settings, context=context), listener, name="issuer") as run:
                yield LoopbackIssuer(settings.public_url, context, run.loop)
        except LoopbackFailed:
            raise DemoFailed("the issuer service did not start") from None


class KnownIssuers:
    """The wallet's own list of agencies it accepts, until the trust registry is wired in."""

    def __init__(self, allowed: dict[str, set[str]]) -> None:
        self._allowed = allowed

    async def check(self, issuer: str, vct: str) -> None:
        if vct not in self._allowed.get(issuer, set()):
            raise LookupError("issuer not known for this credential type")


async def _offer_and_receive(agency: LoopbackIssuer, now: int) -> IssuanceResult:
    claims = {
        "year": SCAN_DATE.year,
        "joint_assessed_income_cents": ATTESTED_INCOME_CENTS,
        "has_allowance_partner": False,
    }
    request = OfferRequest(CONFIGURATION, claims, None, BATCH_SIZE, False, True, None)
    created = await agency.create_offer(request)
    vct = agency.context.configurations.get(CONFIGURATION).vct
    kept: list[IssuanceResult] = []

    async def store(result: IssuanceResult) -> None:
        kept.append(result)

    client = IssuanceClient(
        policy=FetchPolicy(allow_local_origins=frozenset({agency.url})),
        clock=lambda: now,
        trust=KnownIssuers({agency.url: {vct}}),
    )
    async with client:
        # The tx_code travels by letter, not with the link: the citizen types it in.
        return await client.receive(
            created.link_by_reference, tx_code=created.tx_code, store=store, batch_size=BATCH_SIZE
        )


def receive_income_statement(now: int) -> IssuanceResult:
    """Run the agency's service, make the offer, and let the wallet receive it over HTTP."""
    with (
        TemporaryDirectory(prefix="aanspraak-demo-issuer-") as data,
        loopback_issuer(Path(data), display_name=AGENCY, clock=lambda: now) as agency,
    ):
        try:
            return asyncio.run(_offer_and_receive(agency, now))
        except IssuanceFailed as exc:
            raise DemoFailed(f"the wallet refused the issuance: {exc}") from None


def issuance_summary(result: IssuanceResult) -> dict[str, Any]:
    """The report's ``issuance`` section: what happened, never a code, token or claim."""
    return {
        "issuer": result.credential_issuer,
        "agency": AGENCY,
        "profile": "development (plain http on 127.0.0.1 only)",
        "configuration": result.configuration_id,
        "vct": result.vct,
        "offer": "by reference (credential_offer_uri)" if result.by_reference else "by value",
        "batch_size": BATCH_SIZE,
        "credentials_received": len(result.credentials),
        "distinct_holder_keys": len({c.holder_key.public.thumbprint() for c in result.credentials}),
        "tx_code": "sent out of band",
        "notification": "credential_accepted" if result.notified else "not acknowledged",
        "checks": list(result.checks),
    }


def render_issuance(issuance: dict[str, Any], console: Console) -> None:
    console.rule("OpenID4VCI: the agency's issuer as a service on loopback")
    console.print(
        f"{issuance['agency']} at {issuance['issuer']} offered {issuance['configuration']} "
        f"{issuance['offer']}; tx_code {issuance['tx_code']}."
    )
    console.print(
        f"The wallet received {issuance['credentials_received']} one-time credentials "
        f"({issuance['distinct_holder_keys']} distinct holder keys); issuer notified: "
        f"{issuance['notification']}. Checked:"
    )
    for check in issuance["checks"]:
        console.print(f"  [green]ok[/green] {CHECKS[check]}")
