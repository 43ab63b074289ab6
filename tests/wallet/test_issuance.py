"""The holder library's OpenID4VCI 1.0 client against a real issuer app (in process).

The issuer is the production app with its own database; the wallet reaches it through
``httpx.ASGITransport``. Attacks and broken issuers are a transport in between that rewrites
the issuer's answers (a man in the middle, or a compromised issuer), so every refusal is
checked against real protocol traffic: what the wallet refused, and what it did *not* send.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from issuer.app import build_app
from issuer.context import IssuerContext, build_context
from issuer.offer_admin import approve_offer, describe_offer
from issuer.offers import CreatedOffer, OfferRequest, create_offer
from runtime.fetcher import FetchPolicy, FetchReason
from specs.errors import JoseReason, Oid4vciReason, SdJwtReason, SdJwtVcReason
from specs.jose import JwsSigner, b64url_decode, generate_private_key, sign_compact_jws
from specs.oid4vci import PRE_AUTHORIZED_GRANT, offer_link_by_reference
from specs.sd_jwt_vc import VC_TYP
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, issuer_settings
from tests.support import Clock
from wallet.issuance import (
    IssuanceClient,
    IssuanceFailed,
    IssuanceLimits,
    IssuanceReason,
    IssuanceResult,
)

VCT = "urn:nl:belastingdienst:household-income:1"
Answer = tuple[int, Any]
Rewrite = Callable[[int, Any], Answer]


class Tamper(httpx.AsyncBaseTransport):
    """The issuer app behind a party that rewrites chosen JSON answers and logs requests."""

    def __init__(self, app: FastAPI, rewrites: dict[str, Rewrite] | None = None) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.rewrites = rewrites or {}
        self.seen: list[str] = []
        self.refuse: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if request.url.path in self.refuse:
            raise httpx.ConnectError("refused")
        response = await self._inner.handle_async_request(request)
        rewrite = self.rewrites.get(request.url.path)
        if rewrite is None:
            return response
        raw = await response.aread()
        status, body = rewrite(response.status_code, json.loads(raw) if raw else None)
        if isinstance(body, bytes):  # a JSON body that is not JSON
            return httpx.Response(
                status, content=body, headers={"content-type": "application/json"}
            )
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    def posted(self, path: str) -> int:
        return self.seen.count(f"POST {path}")


@dataclass
class Agency:
    app: FastAPI
    context: IssuerContext
    clock: Clock
    sleeps: list[float] = field(default_factory=list)

    async def offer(self, **changes: Any) -> CreatedOffer:
        request = OfferRequest("household_income", INCOME_CLAIMS, None, 3, False, True, None)
        return await create_offer(
            self.context,
            replace(request, **changes),
            api_key_id=None,
            allowed=frozenset(self.context.configurations.by_id),
        )

    async def notifications(self, offer: CreatedOffer) -> list[str]:
        described = await describe_offer(self.context, offer.offer_id, allowed=None)
        found: list[str] = described["notifications"]
        return found


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running_issuer(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Agency]:
    """One issuer for the module: every test makes its own offers, so none sees another's."""
    data = tmp_path_factory.mktemp("issuer")
    clock = Clock()
    settings = issuer_settings(data, f"sqlite+aiosqlite:///{data}/issuer.db")
    context = build_context(settings, clock=clock)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        yield Agency(app, context, clock)


@pytest.fixture
def agency(running_issuer: Agency) -> Agency:
    return Agency(running_issuer.app, running_issuer.context, running_issuer.clock)


class Kept:
    """The wallet's store in these tests: what reached it."""

    def __init__(self) -> None:
        self.results: list[IssuanceResult] = []

    async def __call__(self, result: IssuanceResult) -> None:
        self.results.append(result)


def wallet(
    agency: Agency,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    sleep: Callable[[float], Any] | None = None,
    **options: Any,
) -> IssuanceClient:
    async def record(seconds: float) -> None:
        agency.sleeps.append(seconds)

    return IssuanceClient(
        policy=FetchPolicy(),
        clock=agency.clock,
        transport=transport or httpx.ASGITransport(app=agency.app),
        sleep=sleep or record,
        **options,
    )


async def receive(client: IssuanceClient, offer: CreatedOffer, **options: Any) -> IssuanceResult:
    options.setdefault("tx_code", offer.tx_code)
    options.setdefault("store", Kept())
    async with client:
        return await client.receive(offer.link, **options)


async def refused(
    client: IssuanceClient, offer: CreatedOffer | str, **options: Any
) -> IssuanceFailed:
    kept = Kept()
    if isinstance(offer, CreatedOffer):
        options.setdefault("tx_code", offer.tx_code)
        offer = offer.link
    options.setdefault("tx_code", None)
    with pytest.raises(IssuanceFailed) as info:
        async with client:
            await client.receive(offer, store=kept, **options)
    assert kept.results == []  # nothing is kept when anything failed
    return info.value


# -- the flow ---------------------------------------------------------------------------------


async def test_a_batch_arrives_verified_each_instance_with_its_own_key(agency: Agency) -> None:
    offer = await agency.offer()
    kept = Kept()
    result = await receive(wallet(agency), offer, store=kept, batch_size=3)
    assert kept.results == [replace(result, notified=False)]
    assert result.notified is True
    assert (result.credential_issuer, result.configuration_id, result.vct) == (
        ISSUER,
        "household_income",
        VCT,
    )
    assert len(result.credentials) == 3
    for credential in result.credentials:
        assert credential.verified.issuer == ISSUER
        assert credential.verified.claims["cnf"]["jwk"] == credential.holder_key.public.to_jwk()
        assert credential.view.processed.claims["joint_assessed_income_cents"] == 2_850_000
    assert len({c.holder_key.public.thumbprint() for c in result.credentials}) == 3
    assert result.checks == (
        "offer",
        "issuer-metadata",
        "authorization-server",
        "same-origin",
        "tx-code-last",
        "dpop",
        "signature",
        "iss",
        "vct",
        "cnf",
    )
    assert await agency.notifications(offer) == ["credential_accepted"]


async def test_the_batch_is_capped_by_the_offer_and_unused_keys_are_dropped(
    agency: Agency,
) -> None:
    offer = await agency.offer(batch_size=2)
    result = await receive(wallet(agency), offer, batch_size=5)
    assert len(result.credentials) == 2  # §8.3: the issuer may issue fewer


@pytest.mark.parametrize("form", ["object", "json", "link"])
async def test_an_offer_by_value_comes_as_object_json_or_link(agency: Agency, form: str) -> None:
    offer = await agency.offer(batch_size=1)
    value: Any = {
        "object": offer.credential_offer,
        "json": json.dumps(offer.credential_offer),
        "link": offer.link,
    }[form]
    async with wallet(agency) as client:
        result = await client.receive(value, tx_code=offer.tx_code, store=Kept())
    assert result.by_reference is False
    assert len(result.credentials) == 1


async def test_an_offer_by_reference_is_fetched_through_the_safe_fetcher(agency: Agency) -> None:
    offer = await agency.offer(batch_size=1)
    transport = Tamper(agency.app)
    async with wallet(agency, transport) as client:
        result = await client.receive(offer.link_by_reference, tx_code=offer.tx_code, store=Kept())
    assert result.by_reference is True
    assert transport.seen[0] == f"GET /offers/{offer.offer_id}"


async def test_an_offer_without_tx_code_needs_none(agency: Agency) -> None:
    offer = await agency.offer(tx_code=False, batch_size=1)
    result = await receive(wallet(agency), offer, tx_code="123456")  # not sent: not asked for
    assert "tx-code-last" not in result.checks
    assert len(result.credentials) == 1


async def test_the_trust_check_runs_before_the_tx_code_is_sent(agency: Agency) -> None:
    asked: list[tuple[str, str]] = []

    class Registry:
        async def check(self, issuer: str, vct: str) -> None:
            asked.append((issuer, vct))

    offer = await agency.offer(batch_size=1)
    result = await receive(wallet(agency, trust=Registry()), offer)
    assert asked == [(ISSUER, VCT)]
    assert result.checks.index("trust") < result.checks.index("tx-code-last")


async def test_an_untrusted_issuer_never_sees_the_tx_code(agency: Agency) -> None:
    class Refuses:
        async def check(self, issuer: str, vct: str) -> None:
            raise LookupError("not registered")

    offer = await agency.offer()
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport, trust=Refuses()), offer)
    assert error.reason is IssuanceReason.ISSUER_NOT_TRUSTED
    assert transport.posted("/token") == 0


async def test_a_stale_nonce_is_replaced_once(agency: Agency) -> None:
    calls = iter([True, False])

    def stale_once(status: int, body: Any) -> Answer:
        return status, {"c_nonce": "stale"} if next(calls) else body

    transport = Tamper(agency.app, {"/nonce": stale_once})
    offer = await agency.offer(batch_size=1)
    result = await receive(wallet(agency, transport), offer)
    assert len(result.credentials) == 1
    assert transport.posted("/nonce") == transport.posted("/credential") == 2


# -- deferred issuance (§9) -------------------------------------------------------------------


async def test_a_deferred_credential_is_polled_until_the_back_office_approves(
    agency: Agency,
) -> None:
    offer = await agency.offer(deferred=True, batch_size=2)

    async def approve_on_second_wait(seconds: float) -> None:
        agency.sleeps.append(seconds)
        if len(agency.sleeps) == 2:
            await approve_offer(agency.context, offer.offer_id, claims=None, allowed=None)

    result = await receive(wallet(agency, sleep=approve_on_second_wait), offer, batch_size=2)
    assert len(result.credentials) == 2
    assert result.deferred_polls == 2  # one "still pending" 202, then the credentials
    assert agency.sleeps == [5, 5]  # the issuer's interval, honoured before every poll
    assert result.notified is True


async def test_a_pending_answer_in_the_pre_final_form_is_followed(agency: Agency) -> None:
    """Drafts before 1.0 answered "still pending" with 400 ``issuance_pending``; the issuer
    here answers 202 (§9.2 of the final text), so the older form is made by the transport."""
    offer = await agency.offer(deferred=True, batch_size=1)
    transaction: list[str] = []

    def remember(status: int, body: Any) -> Answer:
        transaction.append(body["transaction_id"])
        return status, body

    def as_error(status: int, body: Any) -> Answer:
        if status == 202:
            assert body["transaction_id"] == transaction[0]
            return 400, {"error": "issuance_pending", "interval": 7}
        return status, body

    async def approve_on_second_wait(seconds: float) -> None:
        agency.sleeps.append(seconds)
        if len(agency.sleeps) == 2:
            await approve_offer(agency.context, offer.offer_id, claims=None, allowed=None)

    transport = Tamper(agency.app, {"/credential": remember, "/deferred_credential": as_error})
    result = await receive(wallet(agency, transport, sleep=approve_on_second_wait), offer)
    assert agency.sleeps == [5, 7]
    assert len(result.credentials) == 1


async def test_a_changed_transaction_id_is_refused(agency: Agency) -> None:
    offer = await agency.offer(deferred=True)
    transport = Tamper(
        agency.app,
        {"/deferred_credential": lambda s, b: (202, {"transaction_id": "other", "interval": 1})},
    )
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (
        IssuanceReason.RESPONSE_REFUSED,
        "transaction-id-changed",
    )


@pytest.mark.parametrize(
    ("limits", "cause", "sleeps"),
    [
        (IssuanceLimits(deferred_polls=2), "polls-exhausted", [5, 5]),
        (IssuanceLimits(max_deferred_interval=4), "interval-too-long", []),
    ],
)
async def test_deferred_waiting_is_bounded(
    agency: Agency, limits: IssuanceLimits, cause: str, sleeps: list[float]
) -> None:
    offer = await agency.offer(deferred=True)
    error = await refused(wallet(agency, limits=limits), offer)
    assert (error.reason, error.cause) == (IssuanceReason.DEFERRED_NOT_READY, cause)
    assert agency.sleeps == sleeps


# -- refused before any secret is sent (§12.2.4, §13.5, RFC 8414 §3.3) -------------------------


async def test_metadata_of_another_issuer_is_refused_before_the_token_endpoint(
    agency: Agency,
) -> None:
    def other_issuer(status: int, body: Any) -> Answer:
        return status, {**body, "credential_issuer": ISSUER + "/"}

    offer = await agency.offer(batch_size=1)
    transport = Tamper(agency.app, {"/.well-known/openid-credential-issuer": other_issuer})
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (
        IssuanceReason.METADATA_REFUSED,
        Oid4vciReason.ISSUER_MISMATCH,
    )
    assert transport.posted("/token") == 0
    result = await receive(wallet(agency), offer)  # the code and tx_code are still unspent
    assert len(result.credentials) == 1


def _metadata(change: Callable[[dict[str, Any]], None]) -> dict[str, Rewrite]:
    def rewrite(status: int, body: Any) -> Answer:
        change(body)
        return status, body

    return {"/.well-known/openid-credential-issuer": rewrite}


def _configuration(body: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = body["credential_configurations_supported"]["household_income"]
    return entry


@pytest.mark.parametrize(
    ("change", "reason", "cause"),
    [
        (
            lambda b: b.update(credential_endpoint="https://elsewhere.example/credential"),
            IssuanceReason.FOREIGN_ENDPOINT,
            None,
        ),
        (
            lambda b: b.update(notification_endpoint="https://issuer.example:8443/notification"),
            IssuanceReason.FOREIGN_ENDPOINT,
            None,
        ),
        (
            lambda b: b.update(credential_endpoint="http://issuer.example/credential"),
            IssuanceReason.METADATA_REFUSED,
            Oid4vciReason.MALFORMED_METADATA,
        ),
        (
            lambda b: b.update(
                credential_response_encryption={
                    "alg_values_supported": ["ECDH-ES"],
                    "enc_values_supported": ["A128GCM"],
                    "encryption_required": True,
                }
            ),
            IssuanceReason.UNSUPPORTED,
            "encryption-required",
        ),
        (
            lambda b: _configuration(b).update(format="jwt_vc_json"),
            IssuanceReason.UNSUPPORTED,
            "credential-format",
        ),
        (
            lambda b: _configuration(b).update(cryptographic_binding_methods_supported=["did"]),
            IssuanceReason.UNSUPPORTED,
            "key-binding-method",
        ),
        (
            lambda b: _configuration(b).update(
                proof_types_supported={"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}}
            ),
            IssuanceReason.UNSUPPORTED,
            "proof-type",
        ),
        (
            lambda b: b["credential_configurations_supported"].pop("household_income"),
            IssuanceReason.CONFIGURATION_UNKNOWN,
            None,
        ),
    ],
)
async def test_issuer_metadata_the_wallet_cannot_use_stops_the_flow_before_the_token(
    agency: Agency,
    change: Callable[[dict[str, Any]], None],
    reason: IssuanceReason,
    cause: str | None,
) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app, _metadata(change))
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (reason, cause)
    assert transport.posted("/token") == 0


def _server(change: Callable[[dict[str, Any]], None]) -> dict[str, Rewrite]:
    def rewrite(status: int, body: Any) -> Answer:
        change(body)
        return status, body

    return {"/.well-known/oauth-authorization-server": rewrite}


@pytest.mark.parametrize(
    ("change", "reason", "cause"),
    [
        (
            lambda b: b.update(issuer="https://issuer.example/as"),
            IssuanceReason.AUTHORIZATION_SERVER_REFUSED,
            "issuer-not-identical",
        ),
        (
            lambda b: b.pop("grant_types_supported"),
            IssuanceReason.AUTHORIZATION_SERVER_REFUSED,
            "pre-authorized-grant-unsupported",
        ),
        (
            lambda b: b.update({"pre-authorized_grant_anonymous_access_supported": False}),
            IssuanceReason.AUTHORIZATION_SERVER_REFUSED,
            "anonymous-access-unsupported",
        ),
        (
            lambda b: b.update(token_endpoint="token"),
            IssuanceReason.AUTHORIZATION_SERVER_REFUSED,
            Oid4vciReason.MALFORMED_METADATA,
        ),
        (
            lambda b: b.update(token_endpoint="https://phish.example/token"),
            IssuanceReason.FOREIGN_ENDPOINT,
            None,
        ),
    ],
)
async def test_an_authorization_server_the_wallet_cannot_use_never_sees_the_tx_code(
    agency: Agency,
    change: Callable[[dict[str, Any]], None],
    reason: IssuanceReason,
    cause: str | None,
) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app, _server(change))
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (reason, cause)
    assert transport.posted("/token") == 0


@pytest.mark.parametrize(
    ("link", "cause"),
    [
        ("openid-credential-offer://?credential_offer=%7B%7D", Oid4vciReason.MALFORMED_OFFER),
        ("{]", JoseReason.BAD_JSON),
        ("{" + " " * 9000 + "}", Oid4vciReason.OFFER_TOO_LARGE),
        (
            '{"credential_issuer": "https://issuer.example",'
            ' "credential_configuration_ids": ["household_income"],'
            ' "grants": {"authorization_code": {}}}',
            "no-pre-authorized-grant",
        ),
    ],
)
async def test_a_broken_offer_is_refused(agency: Agency, link: str, cause: str) -> None:
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport), link)
    assert (error.reason, error.cause) == (IssuanceReason.OFFER_REFUSED, cause)
    assert transport.seen == []


async def test_a_configuration_the_offer_does_not_hold_is_not_asked_for(agency: Agency) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport), offer, configuration_id="person")
    assert error.reason is IssuanceReason.CONFIGURATION_UNKNOWN
    assert transport.seen == []


async def test_an_authorization_server_on_another_origin_is_refused(agency: Agency) -> None:
    """The tx_code would go to a host the wallet never checked as the issuer's (same origin)."""
    elsewhere = "https://auth.example"

    def server(status: int, body: Any) -> Answer:
        return status, {**body, "issuer": elsewhere, "token_endpoint": f"{elsewhere}/token"}

    rewrites = _metadata(lambda b: b.update(authorization_servers=[elsewhere]))
    rewrites["/.well-known/oauth-authorization-server"] = server
    transport = Tamper(agency.app, rewrites)
    error = await refused(wallet(agency, transport), await agency.offer())
    assert error.reason is IssuanceReason.FOREIGN_ENDPOINT
    assert transport.posted("/token") == 0


async def test_an_offer_uri_into_the_local_network_is_not_fetched(agency: Agency) -> None:
    transport = Tamper(agency.app)
    link = offer_link_by_reference("https://10.0.0.1/offers/1")
    error = await refused(wallet(agency, transport), link)
    assert (error.reason, error.cause) == (
        IssuanceReason.FETCH_REFUSED,
        FetchReason.FORBIDDEN_ADDRESS,
    )
    assert transport.seen == []


@pytest.mark.parametrize(
    ("tx_code", "reason"),
    [
        (None, IssuanceReason.TX_CODE_REQUIRED),
        ("12a456", IssuanceReason.TX_CODE_INVALID),
        ("1234567", IssuanceReason.TX_CODE_INVALID),
    ],
)
async def test_a_missing_or_ill_formed_tx_code_is_not_sent(
    agency: Agency, tx_code: str | None, reason: IssuanceReason
) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport), offer, tx_code=tx_code)
    assert error.reason is reason
    assert transport.posted("/token") == 0


async def test_a_wrong_tx_code_is_the_issuers_invalid_grant(agency: Agency) -> None:
    offer = await agency.offer()
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    error = await refused(wallet(agency), offer, tx_code=wrong)
    assert (error.reason, error.cause) == (IssuanceReason.ISSUER_ERROR, "invalid_grant")


# -- credentials that fail verification: nothing is kept (§8.3, §11.1) ------------------------


def _reissue(agency: Agency, change: Callable[[dict[str, Any]], None]) -> Rewrite:
    """Re-sign each credential with the issuer's real key after ``change`` to its payload."""
    signer: JwsSigner = agency.context.keys.active

    def rewrite(status: int, body: Any) -> Answer:
        for item in body["credentials"]:
            jwt, rest = item["credential"].split("~", 1)
            header, payload, _ = jwt.split(".")
            claims = json.loads(b64url_decode(payload))
            change(claims)
            kid = json.loads(b64url_decode(header))["kid"]
            signed = sign_compact_jws(claims, key=signer, typ=VC_TYP, extra_header={"kid": kid})
            item["credential"] = f"{signed}~{rest}"
        return status, body

    return rewrite


def _break_signature(status: int, body: Any) -> Answer:
    jwt, rest = body["credentials"][0]["credential"].split("~", 1)
    head, signature = jwt.rsplit(".", 1)
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    body["credentials"][0]["credential"] = f"{head}.{flipped}~{rest}"
    return status, body


def _other_holder(claims: dict[str, Any]) -> None:
    claims["cnf"] = {"jwk": generate_private_key().public.to_jwk()}


@pytest.mark.parametrize(
    ("name", "reason", "cause"),
    [
        ("signature", IssuanceReason.CREDENTIAL_REFUSED, JoseReason.BAD_SIGNATURE),
        ("cnf", IssuanceReason.KEY_BINDING_MISMATCH, "not-a-proof-key"),
        ("no-cnf", IssuanceReason.KEY_BINDING_MISMATCH, SdJwtReason.HOLDER_KEY_MISSING),
        ("vct", IssuanceReason.TYPE_MISMATCH, None),
        ("iss", IssuanceReason.CREDENTIAL_REFUSED, SdJwtVcReason.ISSUER_KEY_NOT_FOUND),
        ("duplicate", IssuanceReason.KEY_BINDING_MISMATCH, "more-credentials-than-proofs"),
        ("empty", IssuanceReason.RESPONSE_REFUSED, Oid4vciReason.MALFORMED_CREDENTIAL_RESPONSE),
    ],
)
async def test_a_tampered_credential_keeps_the_whole_batch_out(
    agency: Agency, name: str, reason: IssuanceReason, cause: str | None
) -> None:
    rewrites: dict[str, Rewrite] = {
        "signature": _break_signature,
        "cnf": _reissue(agency, _other_holder),
        "no-cnf": _reissue(agency, lambda c: c.pop("cnf")),
        "vct": _reissue(agency, lambda c: c.update(vct="urn:nl:brp:person:1")),
        "iss": _reissue(agency, lambda c: c.update(iss="https://other.example")),
        "duplicate": lambda s, b: (s, {**b, "credentials": b["credentials"] * 2}),
        "empty": lambda s, b: (s, {**b, "credentials": []}),
    }
    offer = await agency.offer(batch_size=2)
    transport = Tamper(agency.app, {"/credential": rewrites[name]})
    error = await refused(wallet(agency, transport), offer, batch_size=2)
    assert (error.reason, error.cause) == (reason, cause)
    if name != "empty":  # the issuer hears of the failure (§11.1)
        assert await agency.notifications(offer) == ["credential_failure"]


async def test_a_store_that_fails_reports_credential_failure(agency: Agency) -> None:
    async def full_disk(result: IssuanceResult) -> None:
        raise OSError("no space left")

    offer = await agency.offer(batch_size=1)
    with pytest.raises(OSError, match="no space left"):
        await receive(wallet(agency), offer, store=full_disk)
    assert await agency.notifications(offer) == ["credential_failure"]


async def test_a_store_that_meets_a_storage_outage_tells_the_issuer_nothing(
    agency: Agency, tmp_path: Path
) -> None:
    """A locked database is ours and passing: a credential_failure would end the issuer's
    redelivery (§11) and strand the citizen, so the wallet says nothing; the phone repeats
    the step, and the issuer still holds the batch for it (THREATS D-01)."""
    database = tmp_path / "wallet.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("CREATE TABLE batches (id TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", connect_args={"timeout": 0.1})

    async def locked(result: IssuanceResult) -> None:
        async with engine.begin() as connection:
            await connection.execute(sqlalchemy.text("INSERT INTO batches VALUES ('b')"))

    offer = await agency.offer(batch_size=1)
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError):
            await receive(wallet(agency), offer, store=locked)
    finally:
        holder.close()
        await engine.dispose()
    assert await agency.notifications(offer) == []


async def test_issuer_keys_behind_a_jwks_uri_are_fetched_too(agency: Agency) -> None:
    keys: list[Any] = []

    def by_reference(status: int, body: Any) -> Answer:
        keys.append(body["jwks"])
        return status, {"issuer": body["issuer"], "jwks_uri": f"{ISSUER}/jwks.json"}

    rewrites: dict[str, Rewrite] = {
        "/.well-known/jwt-vc-issuer": by_reference,
        "/jwks.json": lambda status, body: (200, keys[0]),  # the app itself has no such route
    }
    transport = Tamper(agency.app, rewrites)
    result = await receive(wallet(agency, transport), await agency.offer(batch_size=1))
    assert len(result.credentials) == 1
    assert "GET /jwks.json" in transport.seen


async def test_a_notification_the_issuer_refuses_does_not_undo_the_store(agency: Agency) -> None:
    def refuse(status: int, body: Any) -> Answer:
        return 400, {"error": "invalid_notification_id"}

    kept = Kept()
    transport = Tamper(agency.app, {"/notification": refuse})
    result = await receive(wallet(agency, transport), await agency.offer(), store=kept)
    assert result.notified is False
    assert len(kept.results) == 1


async def test_a_deferral_without_a_deferred_endpoint_is_refused(agency: Agency) -> None:
    offer = await agency.offer(deferred=True)
    transport = Tamper(agency.app, _metadata(lambda b: b.pop("deferred_credential_endpoint")))
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (IssuanceReason.RESPONSE_REFUSED, "no-deferred-endpoint")


async def test_a_development_issuer_on_loopback_http_issues(tmp_path: Path) -> None:
    """DESIGN §4: with the one local origin configured, plain HTTP on loopback works."""
    origin = "http://127.0.0.1:8001"
    settings = issuer_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/dev.db", public_url=origin, profile="development"
    )
    clock = Clock()
    context = build_context(settings, clock=clock)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        dev = Agency(app, context, clock)
        offer = await dev.offer(batch_size=1)
        client = IssuanceClient(
            policy=FetchPolicy(allow_local_origins=frozenset({origin})),
            clock=clock,
            transport=httpx.ASGITransport(app=app),
        )
        result = await receive(client, offer)
    assert result.credential_issuer == origin
    status = result.credentials[0].verified.status
    assert status is not None
    assert status.uri.startswith(f"{origin}/status/")


async def test_an_http_issuer_is_refused_without_a_local_origin(agency: Agency) -> None:
    offer = {
        "credential_issuer": "http://127.0.0.1:8001",
        "credential_configuration_ids": ["household_income"],
        "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "code"}},
    }
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport), json.dumps(offer))
    assert (error.reason, error.cause) == (
        IssuanceReason.OFFER_REFUSED,
        Oid4vciReason.MALFORMED_OFFER,
    )
    assert transport.seen == []


# -- broken answers and networks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "answer", "reason", "cause"),
    [
        ("/token", (200, {"access_token": "t"}), IssuanceReason.UNSUPPORTED, "token-type"),
        (
            "/token",
            (200, {"token_type": "Bearer"}),
            IssuanceReason.RESPONSE_REFUSED,
            "token-response",
        ),
        (
            "/token",
            (200, {"access_token": "t", "token_type": "DPoP", "authorization_details": []}),
            IssuanceReason.UNSUPPORTED,
            "credential-identifiers",
        ),
        ("/token", (302, None), IssuanceReason.ISSUER_ERROR, "http-302"),
        ("/token", (400, {"error": "Bad Thing!"}), IssuanceReason.ISSUER_ERROR, "unknown"),
        ("/nonce", (200, {"nonce": "n"}), IssuanceReason.RESPONSE_REFUSED, "nonce-response"),
        (
            "/nonce",
            (503, {"error": "temporarily_unavailable"}),
            IssuanceReason.ISSUER_ERROR,
            "temporarily_unavailable",
        ),
        (
            "/credential",
            (202, {"credentials": [{"credential": "x"}]}),
            IssuanceReason.RESPONSE_REFUSED,
            "status-mismatch",
        ),
    ],
)
async def test_an_answer_that_is_not_the_protocols_is_refused(
    agency: Agency, path: str, answer: Answer, reason: IssuanceReason, cause: str
) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app, {path: lambda status, body: answer})
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (reason, cause)


async def test_an_oversized_answer_is_cut_off(agency: Agency) -> None:
    offer = await agency.offer()
    limits = IssuanceLimits(max_response_bytes=64)
    error = await refused(wallet(agency, limits=limits), offer)
    assert (error.reason, error.cause) == (IssuanceReason.RESPONSE_REFUSED, "too-large")


async def test_an_unreachable_endpoint_is_reported_without_detail(agency: Agency) -> None:
    offer = await agency.offer()
    transport = Tamper(agency.app)
    transport.refuse.add("/token")
    error = await refused(wallet(agency, transport), offer)
    assert (error.reason, error.cause) == (IssuanceReason.ISSUER_UNREACHABLE, "ConnectError")
    assert str(error) == "issuer-unreachable (ConnectError)"


async def test_a_batch_below_one_is_a_programming_error(agency: Agency) -> None:
    offer = await agency.offer()
    async with wallet(agency) as client:
        with pytest.raises(ValueError, match="batch_size"):
            await client.receive(offer.link, tx_code=offer.tx_code, store=Kept(), batch_size=0)
