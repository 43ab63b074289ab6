"""The running services the threat cases talk to, over real HTTP on loopback.

* a desk: ``tests.verifier.live`` serves ``make_desk``'s verifier under uvicorn on a free
  port; ``on_desk`` runs a case in that server's loop with a ``Desk`` whose client (the desk's
  own system) and wallet both go through the socket, so every request of a case crosses a
  real HTTP connection and the desk's real middleware;
* the town: ``aanspraak.town`` runs the issuer, the desk and the wallet service each under
  its own uvicorn (``tests.wallet.town_fixtures``), for the cases that concern all three.

Helpers that read what a service stored or answered live here too, so a case states only
its own input and outcome.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.oid4vp.request_object import AuthorizationRequest
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.sd_jwt import ClaimPath, open_sd_jwt, present_sd_jwt
from specs.sd_jwt.issuance import mark_all_disclosable
from specs.sd_jwt_vc import issue_sd_jwt_vc
from tests.threats.invariants import snapshot
from tests.verifier.agencies import PLAIN
from tests.verifier.conftest import Desk
from tests.verifier.live import LiveDesk, live_desk
from tests.verifier.refusals import eligible_case
from tests.verifier.wallet import TestWallet, new_holder_key

Case = Callable[[Desk], Awaitable[None]]
WIRE_KEYS = {"error", "error_description"}


def on_desk(live: LiveDesk, case: Case) -> None:
    """Run ``case`` in the live desk's loop, every request over the loopback socket."""

    async def run() -> None:
        async with httpx.AsyncClient(base_url=live.url, trust_env=False, timeout=20) as client:
            wallet = TestWallet(client, live.desk.clock)
            await case(dataclasses.replace(live.desk, client=client, wallet=wallet))

    live.run(run(), timeout=120)


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveDesk]:
    """A desk answered by ``direct_post.jwt`` (its default), on each database backend."""
    with live_desk(tmp_path, database_url) as running:
        yield running


@pytest.fixture
def plain_live(tmp_path: Path, database_url: str) -> Iterator[LiveDesk]:
    """A desk answered by ``direct_post``: ``state`` alone names the transaction."""
    with live_desk(tmp_path, database_url, response_mode="direct_post") as running:
        yield running


def database_url_of(desk: Desk) -> str:
    return str(desk.context.settings.database_url)


async def rows(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the desk's database (INV-4 compares two of these)."""
    return await snapshot(database_url_of(desk))


def present_without(
    wallet: TestWallet, request: AuthorizationRequest, dropped: ClaimPath
) -> dict[str, list[str]]:
    """A correct ``vp_token`` except that ``dropped`` is not disclosed (its KB-JWTs are
    valid: the presentation is exactly what a wallet that withheld the claim would send)."""
    query = parse_dcql_query(request.dcql_query)
    views = [open_sd_jwt(h.token) for h in wallet.held]
    candidates = [
        HeldForQuery(i, "dc+sd-jwt", h.vct, views[i].processed.claims)
        for i, h in enumerate(wallet.held)
    ]
    hashes = [transaction_data_hash(item) for item in request.transaction_data or ()]
    token: dict[str, list[str]] = {}
    for query_id, selections in select_credentials(query, candidates).items():
        for selection in selections:
            index = int(str(selection.ref))
            token.setdefault(query_id, []).append(
                present_sd_jwt(
                    views[index],
                    disclose=[p for p in selection.disclose if tuple(p) != tuple(dropped)],
                    holder_key=wallet.held[index].holder_key,
                    nonce=request.nonce,
                    audience=request.client_id,
                    now=wallet.clock(),
                    kb_claims={"transaction_data_hashes": hashes},
                )
            )
    return token


def wire_error_only(response: httpx.Response) -> None:
    """An error body is the two fixed members and nothing else (DESIGN §3)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    body = response.json()
    assert set(body) <= WIRE_KEYS, body
    assert "Traceback" not in response.text


CLIENT_LOGGERS = frozenset({"httpx"})
"""The request line ``httpx`` logs is the caller's: here the test's own clients. The
services fetch through ``runtime.fetcher`` on ``httpcore``, which logs no URL."""


def service_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record but the test clients' own request lines, formatted."""
    return "\n".join(
        f"{r.name} {r.getMessage()}" for r in caplog.records if r.name not in CLIENT_LOGGERS
    )


def issue_with_status_uri(desk: Desk, status_uri: str) -> None:
    """Give the desk's wallet the eligible citizen's credentials, all from their registered
    agencies, the first one naming ``status_uri`` as its status list (a value its issuer
    chose, so untrusted input to the desk's fetcher)."""
    holder = new_holder_key()
    for number, credential in enumerate(eligible_case().credentials):
        if number:
            token, _index = desk.agencies.issue(
                credential.issuer, credential.vct, credential.claims, holder=holder.public
            )
        else:
            agency = desk.agencies.add(credential.issuer)
            now = desk.clock()
            payload: dict[str, Any] = {
                **credential.claims,
                "iss": agency.issuer,
                "iat": now,
                "exp": now + 86_400,
                "status": {"status_list": {"idx": 0, "uri": status_uri}},
            }
            token = issue_sd_jwt_vc(
                mark_all_disclosable(payload, keep_plain=PLAIN),
                vct=credential.vct,
                issuer_key=agency.key,
                holder_key=holder.public,
                random_bytes=os.urandom,
                extra_header={"kid": agency.key.public.kid},
            ).token
        desk.wallet.hold(token, holder, credential.vct)
