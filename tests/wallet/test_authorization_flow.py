"""The holder library's authorization code flow against a real issuer (HAIP 1.0 §4, §4.3,
§4.4, §4.4.1, §4.5.1): PAR with PKCE, the browser's visit, the redirect's ``state`` and
``iss`` (RFC 9207), DPoP-bound tokens with a wallet attestation, attested key proofs, and
refresh with rotation.

The issuer is the production app (development authenticator, file subject source) reached
in process; the browser is an HTTP client that follows the issuer's redirect to the
wallet's redirect URI, which is never fetched: its URL is what the app would receive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from runtime.dev_ca import write_certificates
from runtime.fetcher import FetchPolicy
from runtime.settings import Profile
from specs.errors import OAuthReason
from specs.jose import PrivateJwk, generate_private_key, parse_compact_jws
from tests.issuer.code_flow import CONFIGURATION, REDIRECT_URI, SUBJECT, code_flow_issuer
from tests.issuer.conftest import ISSUER, Issuer
from tests.support import START
from wallet.attestations import WalletProvider, wallet_provider_from_settings
from wallet.issuance import (
    IssuanceClient,
    IssuanceFailed,
    IssuanceReason,
    IssuanceResult,
    StartedAuthorization,
)
from wallet.settings import WalletSettings

CLIENT_ID = "https://wallet.example/client"


class Browser(httpx.AsyncBaseTransport):
    """The issuer app behind a transport that counts what the wallet POSTs and can rewrite
    the token endpoint's answer."""

    def __init__(self, issuer: Issuer) -> None:
        self._inner = httpx.ASGITransport(app=issuer.app)
        self.posted: list[str] = []
        self.token_answer: dict[str, Any] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posted.append(request.url.path)
        response = await self._inner.handle_async_request(request)
        if request.url.path == "/token" and self.token_answer is not None:
            return httpx.Response(200, json=self.token_answer)
        return response


@pytest.fixture
def provider(tmp_path: Path) -> WalletProvider:
    settings = WalletSettings(
        profile=Profile.DEVELOPMENT,
        public_url="http://127.0.0.1:8002",
        data_dir=tmp_path / "wallet",
    )
    return wallet_provider_from_settings(settings, now=START)


def trusting(tmp_path: Path, provider: WalletProvider) -> dict[str, Any]:
    """Issuer settings that trust ``provider``'s root for wallet and key attestations."""
    roots = tmp_path / "wallet-provider-roots.pem"
    write_certificates(roots, provider.identity.anchors)
    return {"wallet_provider_roots_file": roots}


@pytest.fixture
async def issuer(
    tmp_path: Path, database_url: str, provider: WalletProvider
) -> AsyncIterator[Issuer]:
    """Outside strict mode, trusting the wallet provider: attestations optional, checked."""
    async with code_flow_issuer(tmp_path, database_url, **trusting(tmp_path, provider)) as running:
        yield running


def holder_keys(count: int) -> list[PrivateJwk]:
    return [generate_private_key() for _ in range(count)]


class Kept:
    def __init__(self) -> None:
        self.results: list[IssuanceResult] = []

    async def __call__(self, result: IssuanceResult) -> None:
        self.results.append(result)


def client(
    issuer: Issuer, browser: Browser, provider: WalletProvider | None = None
) -> IssuanceClient:
    return IssuanceClient(
        policy=FetchPolicy(), clock=issuer.clock, transport=browser, provider=provider
    )


async def start(wallet: IssuanceClient, *, login_hint: str = SUBJECT) -> StartedAuthorization:
    return await wallet.start_authorization(
        issuer=ISSUER,
        configuration_id=CONFIGURATION,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        login_hint=login_hint,
    )


async def visit(issuer: Issuer, authorization_url: str) -> str:
    """The browser at the authorization endpoint: where the issuer sends it back to."""
    response = await issuer.client.get(authorization_url)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return location


def with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), name: value}
    return urlunsplit((*parts[:3], urlencode(query), ""))


async def authorized(
    issuer: Issuer, wallet: IssuanceClient, **options: Any
) -> tuple[StartedAuthorization, str]:
    started = await start(wallet, **options)
    return started, await visit(issuer, started.authorization_url)


async def test_haip_4_3_par_pkce_dpop_and_attestations_end_in_a_verified_batch(
    issuer: Issuer, provider: WalletProvider
) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser, provider) as wallet:
        started, redirect = await authorized(issuer, wallet)
        url = urlsplit(started.authorization_url)
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/authorize"
        assert {name for name, _ in parse_qsl(url.query)} == {"client_id", "request_uri"}
        assert dict(parse_qsl(url.query))["client_id"] == provider.client_id  # HAIP §4.3
        assert browser.posted == ["/par"]
        assert "code_verifier" not in repr(started.pending)

        redeemed = await wallet.finish_authorization(started.pending, redirect)
        assert browser.posted[0] == "/par"  # PAR first, then the token request
        assert "/token" in browser.posted
        assert redeemed.dpop_key is not None
        assert redeemed.refresh_token is not None
        assert redeemed.access_token not in repr(redeemed)
        keys = holder_keys(2)
        kept = Kept()
        result = await wallet.receive_redeemed(redeemed, keys, store=kept)
    assert len(result.credentials) == 2
    assert kept.results
    assert result.notified
    for check in ("authorization-code", "dpop", "client-attestation"):
        assert check in result.checks
    assert "key-attestation" not in result.checks  # not asked for outside strict mode
    assert result.grant is not None
    assert result.grant.refresh_token == redeemed.refresh_token


async def test_haip_4_authorization_from_an_offer_sends_its_issuer_state(
    issuer: Issuer,
) -> None:
    made = await issuer.client.post(  # the issuer refuses an issuer_state it did not offer
        "/backoffice/offers",
        json={"configuration_id": CONFIGURATION, "grant": "authorization_code"},
        headers=issuer.backoffice(),
    )
    offer = made.json()["credential_offer"]
    assert "issuer_state" in offer["grants"]["authorization_code"]
    browser = Browser(issuer)
    async with client(issuer, browser) as wallet:
        started = await wallet.start_authorization(
            offer=offer, client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, login_hint=SUBJECT
        )
        redeemed = await wallet.finish_authorization(
            started.pending, await visit(issuer, started.authorization_url)
        )
        result = await wallet.receive_redeemed(redeemed, holder_keys(1), store=Kept())
    assert started.pending.client_id == CLIENT_ID  # no provider: the given client_id
    assert "client-attestation" not in result.checks
    assert result.credentials[0].verified.claims["vct"] == redeemed.vct


async def test_haip_4_4_refresh_rotates_the_token_and_brings_a_fresh_batch(
    issuer: Issuer, provider: WalletProvider
) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser, provider) as wallet:
        started, redirect = await authorized(issuer, wallet)
        redeemed = await wallet.finish_authorization(started.pending, redirect)
        first = await wallet.receive_redeemed(redeemed, holder_keys(1), store=Kept())
        assert first.grant is not None
        issuer.clock.advance(5)
        renewed = await wallet.refresh(first.grant)
        assert renewed.refresh_token != first.grant.refresh_token
        assert renewed.dpop_key == first.grant.dpop_key  # the same key binds the new tokens
        second = await wallet.receive_redeemed(renewed, holder_keys(1), store=Kept())
        assert "refresh" in second.checks
        assert second.credentials[0].token != first.credentials[0].token

        with pytest.raises(IssuanceFailed) as reused:  # the spent token, once more
            await wallet.refresh(first.grant)
        assert (reused.value.reason, reused.value.cause) == (
            IssuanceReason.REFRESH_REFUSED,
            "invalid_grant",
        )
        assert second.grant is not None
        with pytest.raises(IssuanceFailed) as ended:  # reuse ended the whole grant
            await wallet.refresh(second.grant)
        assert ended.value.reason is IssuanceReason.REFRESH_REFUSED


@pytest.mark.parametrize(
    ("name", "value", "cause"),
    [
        ("state", "someone-elses-state", OAuthReason.STATE_MISMATCH),
        ("iss", "https://other-issuer.example", OAuthReason.ISSUER_MISMATCH),  # RFC 9207
    ],
)
async def test_haip_4_3_a_redirect_not_for_this_request_is_refused_before_the_token_request(
    issuer: Issuer, name: str, value: str, cause: OAuthReason
) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser) as wallet:
        started, redirect = await authorized(issuer, wallet)
        with pytest.raises(IssuanceFailed) as refused:
            await wallet.finish_authorization(
                started.pending, with_parameter(redirect, name, value)
            )
    assert (refused.value.reason, refused.value.cause) == (
        IssuanceReason.AUTHORIZATION_REFUSED,
        cause.value,
    )
    assert browser.posted == ["/par"]  # the code never went anywhere


async def test_haip_4_3_access_denied_by_the_issuer_ends_the_authorization(
    issuer: Issuer,
) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser) as wallet:
        started, redirect = await authorized(issuer, wallet, login_hint="nobody-known")
        assert dict(parse_qsl(urlsplit(redirect).query))["error"] == "access_denied"
        with pytest.raises(IssuanceFailed) as refused:
            await wallet.finish_authorization(started.pending, redirect)
    assert (refused.value.reason, refused.value.cause) == (
        IssuanceReason.AUTHORIZATION_REFUSED,
        OAuthReason.AUTHORIZATION_RESPONSE_ERROR.value,
    )
    assert browser.posted == ["/par"]


async def test_haip_4_3_a_replayed_redirect_gets_no_second_set_of_tokens(
    issuer: Issuer,
) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser) as wallet:
        started, redirect = await authorized(issuer, wallet)
        await wallet.finish_authorization(started.pending, redirect)
        with pytest.raises(IssuanceFailed) as replayed:
            await wallet.finish_authorization(started.pending, redirect)
    assert (replayed.value.reason, replayed.value.cause) == (
        IssuanceReason.ISSUER_ERROR,
        "invalid_grant",
    )


async def test_haip_4_a_bearer_token_for_a_dpop_request_is_refused(issuer: Issuer) -> None:
    browser = Browser(issuer)
    async with client(issuer, browser) as wallet:
        started, redirect = await authorized(issuer, wallet)
        browser.token_answer = {"access_token": "t", "token_type": "Bearer"}
        with pytest.raises(IssuanceFailed) as refused:
            await wallet.finish_authorization(started.pending, redirect)
    assert (refused.value.reason, refused.value.cause) == (
        IssuanceReason.UNSUPPORTED,
        "token-type",
    )


async def test_haip_4_4_1_strict_issuer_takes_the_wallet_and_key_attestations(
    tmp_path: Path, database_url: str, provider: WalletProvider
) -> None:
    strict = {"haip": True, "development_ca": True, **trusting(tmp_path, provider)}
    async with (
        code_flow_issuer(tmp_path, database_url, **strict) as haip,
        client(haip, Browser(haip), provider) as wallet,
    ):
        started, redirect = await authorized(haip, wallet)
        redeemed = await wallet.finish_authorization(started.pending, redirect)
        result = await wallet.receive_redeemed(redeemed, holder_keys(2), store=Kept())
        assert result.grant is not None
        renewed = await wallet.refresh(result.grant)
        again_keys = holder_keys(1)
        again = await wallet.receive_redeemed(renewed, again_keys, store=Kept())
        again_redeemed = wallet.attest_keys(renewed, [k.public for k in again_keys])
    assert len(result.credentials) == 2
    assert len(again.credentials) == 1
    assert {"client-attestation", "key-attestation", "dpop"} <= set(again.checks)
    proof = wallet.proofs(again_redeemed, again_keys)[0]
    assert "key_attestation" in parse_compact_jws(proof).header  # HAIP §4.5.1


async def test_haip_4_4_1_strict_issuer_refuses_a_wallet_without_attestation(
    tmp_path: Path, database_url: str, provider: WalletProvider
) -> None:
    strict = {"haip": True, "development_ca": True, **trusting(tmp_path, provider)}
    async with code_flow_issuer(tmp_path, database_url, **strict) as haip:
        with pytest.raises(IssuanceFailed) as refused:
            async with client(haip, Browser(haip)) as wallet:
                await start(wallet)
    assert (refused.value.reason, refused.value.cause) == (
        IssuanceReason.ISSUER_ERROR,
        "invalid_client",
    )


async def test_haip_4_3_an_issuer_without_the_code_flow_is_refused_before_par(
    tmp_path: Path, database_url: str
) -> None:
    async with code_flow_issuer(tmp_path, database_url, authenticator="none") as plain:
        browser = Browser(plain)
        with pytest.raises(IssuanceFailed) as refused:
            async with client(plain, browser) as wallet:
                await start(wallet)
    assert (refused.value.reason, refused.value.cause) == (
        IssuanceReason.AUTHORIZATION_SERVER_REFUSED,
        "authorization-code-grant-unsupported",
    )
    assert browser.posted == []
