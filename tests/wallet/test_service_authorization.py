"""The wallet service's authorization code flow and refresh end to end (HAIP 1.0 §4.3,
§4.4, §4.4.1, §4.5.1): a phone starts an authorization at a running issuer, its browser
logs in (development authenticator) and comes back to the app's redirect URI, the service
redeems the code with PKCE and DPoP, the device signs the key proofs, and later a refresh
brings a fresh batch that replaces the old one, which the issuer revoked.

All over real HTTP on loopback (``aanspraak.town``), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from aanspraak.town import Town, running_town
from tests.wallet.town_fixtures import FAST_KDF, INCOME_CLAIMS, new_citizen, postgres_database
from wallet.device_client import ServiceRefused, WalletServiceClient

CONFIGURATION = "household_income"
SUBJECT = "citizen-7"
REDIRECT_URI = "https://wallet.aanspraak.example/app/issued"
INCOME = "urn:nl:belastingdienst:household-income:1"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def code_town(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    """The town with its issuer running the code flow for ``SUBJECT``."""
    data: Path = tmp_path_factory.mktemp("code-town")
    subjects = data / "subjects" / CONFIGURATION
    subjects.mkdir(parents=True)
    (subjects / f"{SUBJECT}.json").write_text(json.dumps(INCOME_CLAIMS))
    with contextlib.ExitStack() as stack:
        wallet: dict[str, Any] = {**FAST_KDF, "redirect_uri": REDIRECT_URI, "low_water": 2}
        if request.param == "postgresql":
            wallet["database_url"] = stack.enter_context(postgres_database())
        issuer = {"authenticator": "development", "subject_source_dir": data / "subjects"}
        yield stack.enter_context(
            running_town(data, wallet_overrides=wallet, issuer_overrides=issuer)
        )


async def authorized(
    phone: WalletServiceClient, town: Town, hint: str = SUBJECT
) -> tuple[str, str]:
    """Start, and the browser's round trip: the authorization id and the redirect URL."""
    started = await phone.start_authorization(
        issuer=town.issuer_url, configuration_id=CONFIGURATION, login_hint=hint
    )
    assert started["status"] == "authorization_needed"
    assert started["authorization_url"].startswith(f"{town.issuer_url}/authorize?")
    redirect = await phone.browse(started["authorization_url"])
    assert redirect.startswith(REDIRECT_URI)
    return str(started["id"]), redirect


def with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), name: value}
    return urlunsplit((*parts[:3], urlencode(query), ""))


async def test_haip_4_3_code_flow_then_haip_4_4_refresh_replaces_the_batch(
    code_town: Town,
) -> None:
    async with await new_citizen(code_town) as phone:
        stored = await phone.receive_by_authorization(
            code_town.issuer_url, CONFIGURATION, login_hint=SUBJECT, instances=2
        )
        assert stored["status"] == "stored"
        for check in ("authorization-code", "dpop"):
            assert check in stored["checks"]
        assert "client-attestation" not in stored["checks"]  # this issuer offers none
        assert "key-attestation" not in stored["checks"]  # nor asks for key attestations
        first = stored["credential"]
        assert (first["vct"], first["instances"]) == (INCOME, 2)

        advice = {a["batch_id"]: a for a in await phone.reissuance()}
        assert advice[first["id"]]["kind"] == "refresh"

        renewed = await phone.refresh(first["id"], instances=2)
        assert renewed["status"] == "stored"
        assert "refresh" in renewed["checks"]
        held = await phone.credentials()
        assert [c["id"] for c in held] == [renewed["credential"]["id"]]  # the old one is gone
        assert held[0]["unused_instances"] == 2

        with pytest.raises(ServiceRefused) as gone:  # its grant went with it
            await phone.refresh(first["id"])
        assert gone.value.status == 404
        again = await phone.refresh(renewed["credential"]["id"], instances=2)  # rotated grant
        assert [c["id"] for c in await phone.credentials()] == [again["credential"]["id"]]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("state", "not-the-state", "authorization-refused"),
        ("iss", "https://other-issuer.example", "authorization-refused"),  # RFC 9207 mix-up
    ],
)
async def test_haip_4_3_a_redirect_not_for_this_authorization_is_refused(
    code_town: Town, name: str, value: str, reason: str
) -> None:
    async with await new_citizen(code_town) as phone:
        authorization_id, redirect = await authorized(phone, code_town)
        with pytest.raises(ServiceRefused) as refused:
            await phone.finish_authorization(
                authorization_id, with_parameter(redirect, name, value)
            )
        assert (refused.value.status, refused.value.error) == (422, "refused")
        assert refused.value.description == reason
        assert value not in str(refused.value.body)
        assert await phone.credentials() == []


async def test_haip_4_3_access_denied_at_the_issuer_is_refused(code_town: Town) -> None:
    async with await new_citizen(code_town) as phone:
        authorization_id, redirect = await authorized(phone, code_town, hint="unknown-person")
        assert "error=access_denied" in redirect
        with pytest.raises(ServiceRefused) as refused:
            await phone.finish_authorization(authorization_id, redirect)
        assert (refused.value.status, refused.value.description) == (422, "authorization-refused")


async def test_haip_4_3_a_replayed_redirect_finds_nothing(code_town: Town) -> None:
    async with await new_citizen(code_town) as phone:
        authorization_id, redirect = await authorized(phone, code_town)
        stored = await phone.finish_authorization(authorization_id, redirect, instances=1)
        assert stored["status"] == "stored"
        with pytest.raises(ServiceRefused) as replayed:
            await phone.finish_authorization(authorization_id, redirect, instances=1)
        assert replayed.value.status == 404
        assert len(await phone.credentials()) == 1


async def test_the_code_flow_needs_a_redirect_uri_and_an_issuer(code_town: Town) -> None:
    async with await new_citizen(code_town) as phone:
        with pytest.raises(ServiceRefused) as half:
            await phone.start_authorization(issuer=code_town.issuer_url)
        assert (half.value.status, half.value.error) == (400, "invalid_request")
        with pytest.raises(ServiceRefused) as unknown:
            await phone.finish_authorization("0" * 32, REDIRECT_URI)
        assert unknown.value.status == 404


async def _outcomes(*calls: Any) -> list[Any]:
    """Run ``calls`` at once; each result, or the ``ServiceRefused`` it raised."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ServiceRefused):
            raise result
    return list(results)


async def test_haip_4_3_two_redirects_posted_at_once_redeem_the_code_once(
    code_town: Town,
) -> None:
    """A double tap in the app: one redirect redeems the code, the other finds nothing (404).
    Were both sent on, the issuer would take the second for a replay and end the grant."""
    async with await new_citizen(code_town) as phone:
        authorization_id, redirect = await authorized(phone, code_town)
        results = await _outcomes(
            phone.finish_authorization(authorization_id, redirect, instances=1),
            phone.finish_authorization(authorization_id, redirect, instances=1),
        )
        stored = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, ServiceRefused)]
        assert len(stored) == 1
        assert [r.status for r in refused] == [404]
        batch = stored[0]["credential"]["id"]
        renewed = await phone.refresh(batch, instances=1)  # the grant is alive
        assert renewed["status"] == "stored"


async def test_haip_4_4_two_refreshes_at_once_send_the_refresh_token_once(
    code_town: Town,
) -> None:
    """A refresh token is spent by its first use and a second use ends the whole grant at the
    issuer, so of two refreshes of one batch at once only one reaches it (404 for the other),
    and the grant it rotates to keeps working."""
    async with await new_citizen(code_town) as phone:
        first = await phone.receive_by_authorization(
            code_town.issuer_url, CONFIGURATION, login_hint=SUBJECT, instances=1
        )
        batch = first["credential"]["id"]
        results = await _outcomes(
            phone.refresh(batch, instances=1), phone.refresh(batch, instances=1)
        )
        stored = [r for r in results if isinstance(r, dict)]
        assert len(stored) == 1
        assert [r.status for r in results if isinstance(r, ServiceRefused)] == [404]
        again = await phone.refresh(stored[0]["credential"]["id"], instances=1)
        assert again["status"] == "stored"
