"""The holder library's OpenID4VP responder against a running desk (in process, over ASGI).

It checks the request object, then the desk in the registry, before the citizen is asked;
shows what will and will not be shared; signs only the desk's purpose; posts the answer or,
without consent, ``access_denied``.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from runtime.fetcher import FetchPolicy
from specs.errors import Oid4vpReason, Rejected, TrustReason
from specs.jose import parse_compact_jws
from specs.oid4vp.request_object import AuthorizationRequest
from specs.oid4vp.transaction_data import encode_transaction_data
from specs.trust import TrustSnapshot
from tests.verifier.conftest import DESK, Desk, scenario
from wallet.presentation import HeldCredential, PresentationClient, _purpose

CASE = ("zorgtoeslag", "single_income_35000")


def _client(desk: Desk, trust: object | None = None, *, haip: bool = False) -> PresentationClient:
    return PresentationClient(
        policy=FetchPolicy(allow_local_origins=frozenset({DESK})),
        trust=trust or desk.context.trust,  # type: ignore[arg-type]
        clock=desk.clock,
        transport=httpx.ASGITransport(app=desk.app),
        haip=haip,
    )


def _held(desk: Desk) -> list[HeldCredential]:
    desk.give(scenario(*CASE))
    return [HeldCredential(h.token, h.holder_key, h.vct) for h in desk.wallet.held]


async def test_preview_then_answer_decides(desk: Desk) -> None:
    held = _held(desk)
    started = await desk.start("zorgtoeslag")
    async with _client(desk) as wallet:
        opened = await wallet.open(started["link"], held)
        preview = opened.preview
        assert preview.verifier == desk.context.client_id
        assert preview.verifier_name == "aanspraak desk"
        assert preview.regulation == "zorgtoeslag"
        assert preview.legal_basis["id"].startswith("BWBR")
        shared = {path for _vct, path in preview.shared}
        assert ("joint_assessed_income_cents",) in shared
        assert not shared & {path for _vct, path in preview.withheld}
        reply = await wallet.respond(opened, held, consent=True)
    assert reply == {"status_code": 200}
    assert (await desk.result(started["transaction_id"])).json()["status"] == "eligible"


async def test_without_consent_nothing_is_shared(desk: Desk) -> None:
    held = _held(desk)
    started = await desk.start("zorgtoeslag")
    async with _client(desk) as wallet:
        opened = await wallet.open(started["link"], held)
        reply = await wallet.respond(opened, held, consent=False)
    assert reply["status_code"] == 200
    result = (await desk.result(started["transaction_id"])).json()
    assert (result["status"], result["reason"]) == ("declined", "access_denied")


class _Unregistered:
    """The desk's registry with the desk removed: the wallet must refuse to answer it."""

    def __init__(self, inner: object, client_id: str) -> None:
        self._inner, self._client_id = inner, client_id

    def snapshot(self, *, now: int) -> TrustSnapshot:
        full: TrustSnapshot = self._inner.snapshot(now=now)  # type: ignore[attr-defined]
        verifiers = {k: v for k, v in full.verifiers.items() if k != self._client_id}
        return dataclasses.replace(full, verifiers=verifiers)


async def test_a_desk_the_registry_does_not_list_is_refused_before_matching(desk: Desk) -> None:
    held = _held(desk)
    started = await desk.start("zorgtoeslag")
    registry = _Unregistered(desk.context.trust, desk.context.client_id)
    async with _client(desk, registry) as wallet:
        with pytest.raises(Rejected) as refused:
            await wallet.open(started["link"], held)
    assert refused.value.reason is TrustReason.VERIFIER_NOT_REGISTERED


def _request(transaction_data: tuple[str, ...]) -> AuthorizationRequest:
    return AuthorizationRequest(
        client_id="x509_hash:abc",
        response_uri="https://desk.example/wallet/response",
        response_mode="direct_post",
        nonce="n",
        state="s",
        dcql_query={},
        transaction_data=transaction_data,
    )


def test_only_the_desk_purpose_is_signed() -> None:
    purpose = encode_transaction_data(
        {"type": "aanspraak_regulation_purpose", "credential_ids": ["c0"], "regulation": "r"}
    )
    payment = encode_transaction_data({"type": "payment", "credential_ids": ["c0"]})
    assert _purpose(_request((purpose,)), ["c0"])["regulation"] == "r"
    for data in ((), (payment,), (purpose, payment), (purpose, purpose)):
        with pytest.raises(Rejected) as refused:
            _purpose(_request(data), ["c0"])
        assert refused.value.reason is Oid4vpReason.MALFORMED_TRANSACTION_DATA


async def test_a_desk_that_invites_a_post_gets_the_wallet_nonce_back(desk: Desk) -> None:
    """§5.10.1: with ``request_uri_method=post`` the wallet POSTs its metadata and a fresh
    ``wallet_nonce``; the request object must carry that nonce, or it is refused."""
    held = _held(desk)
    started = await desk.start("zorgtoeslag")
    assert "request_uri_method=post" in started["link"]
    async with _client(desk) as wallet:
        fetched = await wallet.fetch_request(started["link"])
        assert fetched.wallet_nonce
        assert wallet.examine(fetched, held).request.nonce
        replayed = dataclasses.replace(fetched, wallet_nonce="another-session")
        with pytest.raises(Rejected) as refused:
            wallet.examine(replayed, held)
    assert refused.value.reason is Oid4vpReason.WALLET_NONCE_MISMATCH


async def test_haip_5_strict_wallet_answers_a_haip_desk(haip_desk: Desk) -> None:
    """HAIP §5 end to end: x509_hash without the trust anchor in x5c, direct_post.jwt with
    ECDH-ES; the wallet takes A256GCM (its HAIP preference) and the desk decides."""
    held = _held(haip_desk)
    started = await haip_desk.start("zorgtoeslag")
    async with _client(haip_desk, haip=True) as wallet:
        fetched = await wallet.fetch_request(started["link"])
        header = parse_compact_jws(fetched.request_object).header
        assert len(header["x5c"]) == 1  # the leaf; the development CA stays home
        opened = wallet.examine(fetched, held)
        assert await wallet.respond(opened, held, consent=True) == {"status_code": 200}
    result = (await haip_desk.result(started["transaction_id"])).json()
    assert result["status"] == "eligible"


async def test_haip_5_strict_wallet_refuses_a_trust_anchor_in_x5c(desk: Desk) -> None:
    """A desk outside strict mode sends its development CA along; a strict wallet refuses."""
    held = _held(desk)
    started = await desk.start("zorgtoeslag")
    async with _client(desk) as lenient:
        fetched = await lenient.fetch_request(started["link"])
        assert len(parse_compact_jws(fetched.request_object).header["x5c"]) == 2
    async with _client(desk, haip=True) as wallet:
        with pytest.raises(Rejected) as refused:
            await wallet.open(started["link"], held)
    assert refused.value.reason is Oid4vpReason.NOT_HAIP


async def test_strict_haip_mode_refuses_an_unencrypted_answer(plain_desk: Desk) -> None:
    held = _held(plain_desk)
    started = await plain_desk.start("zorgtoeslag")
    async with _client(plain_desk) as lenient:
        assert (await lenient.open(started["link"], held)).request.response_mode == "direct_post"
    async with _client(plain_desk, haip=True) as wallet:
        with pytest.raises(Rejected) as refused:
            await wallet.open(started["link"], held)
    assert refused.value.reason is Oid4vpReason.NOT_HAIP
