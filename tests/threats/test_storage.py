# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Threat catalogue, storage and privacy at rest (D-03, D-04, D-07..D-11).

The desk cases run a verifier over real HTTP (``tests.threats.services``) and then read its
database the way someone with a copy of it would: every row, and for SQLite the files with
their WAL. The wallet cases run the wallet service of the town (``aanspraak.town``) with a
simulated phone that holds the keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from aanspraak.town import Town
from runtime.fetcher import FetchPolicy, SafeFetcher
from runtime.scenarios import Scenario
from specs.errors import Oid4vpReason
from specs.jose import b64url_decode
from specs.rules import HeldCredential
from tests.threats.invariants import canary, leaks, no_server_error
from tests.threats.services import live, on_desk, rows, service_logs  # noqa: F401
from tests.verifier.conftest import Desk
from tests.verifier.refusals import EXPECTED, assert_wire_error, eligible_case
from tests.verifier.wallet import Tamper, TestWallet
from tests.wallet.test_service_flow import _expire, _rows_of
from tests.wallet.town_fixtures import (
    INCOME_CLAIMS,
    new_citizen,
    receive,
    receive_scenario,
    town,  # noqa: F401 - fixture, by name
    zorgtoeslag,
)
from trust.file_backend import FileTrustRegistry
from verifier.app import build_app
from verifier.context import build_context
from wallet.app import SWEEP_SECONDS, sweep
from wallet.device_client import ServiceRefused
from wallet.tables import metadata as wallet_metadata

INCOME = "urn:nl:belastingdienst:household-income:1"
PERSON = "urn:nl:brp:person:1"
ROUNDS = 24
"""Verifications for D-07: enough to fill every table many times over, quick on one core."""


# D-03: a batch of 20, 20 answers at once.


async def test_D_03_twenty_concurrent_answers_use_twenty_distinct_instances(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=20)
        links = [await desk_link_only(town) for _ in range(20)]
        shown: list[str] = []

        async def answer(link: str) -> str:
            try:
                opened = await phone.open_request(link)
                approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
                shown.extend({r["key_id"] for r in approved["signing_requests"]})
                sent = await phone._json(
                    "POST",
                    f"/v1/presentations/{opened['id']}/signatures",
                    json={"signatures": phone.device.sign(approved["signing_requests"])},
                )
            except ServiceRefused as refused:
                return refused.error
            return "sent" if sent["desk"]["status_code"] == 200 else "desk-refused"

        outcomes = await asyncio.gather(*(answer(link) for link in links))
        assert outcomes.count("sent") == 20, outcomes
        assert len(shown) == len(set(shown)) == 20  # no instance (holder key) twice
        assert all(c["unused_instances"] == 0 for c in await phone.credentials())
        again = await desk_link_only(town)
        with pytest.raises(ServiceRefused) as none_left:
            await phone.open_request(again)
        assert none_left.value.error == "no_matching_credential"


async def desk_link_only(town: Town) -> str:
    from tests.wallet.town_fixtures import desk_link

    link, _transaction_id, _key = await desk_link(town)
    return link


# D-04: consumed answers survive a restart of the desk.


async def test_D_04_an_answer_consumed_before_a_restart_is_refused_after_it(
    tmp_path: Path, database_url: str
) -> None:
    """A second verifier process on the same database and data directory (a restart, or a
    second worker): what the first consumed stays consumed; what was open stays answerable."""
    from tests.verifier.conftest import running_desk

    async with running_desk(tmp_path, database_url, response_mode="direct_post") as desk:
        desk.give(eligible_case())
        answered = await desk.start("zorgtoeslag")
        request = await desk.wallet.fetch_request(answered["link"])
        form = desk.wallet.response_form(request, Tamper())
        assert (await desk.wallet.post(request, form)).status_code == 200
        still_open = await desk.start("zorgtoeslag")
        open_request = await desk.wallet.fetch_request(still_open["link"])
        open_form = desk.wallet.response_form(open_request, Tamper())

        settings = desk.context.settings
        assert desk.trust_list is not None
        assert desk.governance is not None
        fetcher = SafeFetcher(FetchPolicy(), transport=httpx.ASGITransport(app=desk.agencies.app()))
        registry = FileTrustRegistry(desk.trust_list, desk.governance.public, 300)
        context = build_context(settings, trust=registry, clock=desk.clock, fetcher=fetcher)
        restarted = build_app(settings, context=context)
        async with restarted.router.lifespan_context(restarted):
            transport = httpx.ASGITransport(app=restarted)
            async with httpx.AsyncClient(transport=transport, base_url=desk.client.base_url) as c:
                wallet = TestWallet(c, desk.clock)
                before = await rows(desk)
                replayed = await wallet.post(request, form)
                no_server_error(replayed)
                assert_wire_error(replayed, Oid4vpReason.ALREADY_ANSWERED)
                assert await rows(desk) == before
                late = await wallet.post(open_request, open_form)
                assert late.status_code == 200, late.text
                headers = desk.headers()
                result = await c.get(
                    f"/desk/transactions/{still_open['transaction_id']}", headers=headers
                )
                assert result.json()["status"] == EXPECTED


# D-07: a copy of the desk's database after many verifications.


def _canary_case(income: int, street: str) -> Scenario:
    credentials = []
    for credential in eligible_case().credentials:
        claims = dict(credential.claims)
        if "joint_assessed_income_cents" in claims:
            claims["joint_assessed_income_cents"] = income
        if credential.vct == PERSON:
            claims["street_name"] = street
        credentials.append(HeldCredential(credential.issuer, credential.vct, claims))
    return Scenario("canary", credentials, expect={})


def _what_a_presentation_carries(vp_token: dict[str, list[str]]) -> list[str]:
    """Every part a stored copy could betray: the whole presentation, the issuer JWT and its
    signature, each Disclosure and its salt, the KB-JWT and the holder's ``cnf`` key."""
    found: list[str] = []
    for presentation in (p for ps in vp_token.values() for p in ps):
        issuer_jwt, *disclosures = presentation.split("~")
        kb_jwt = disclosures.pop() if disclosures else ""
        found += [presentation, issuer_jwt, issuer_jwt.rsplit(".", 1)[1]]
        for disclosure in filter(None, disclosures):
            found += [disclosure, json.loads(b64url_decode(disclosure))[0]]
        if kb_jwt:
            found.append(kb_jwt.rsplit(".", 1)[1])
        payload = json.loads(b64url_decode(issuer_jwt.split(".")[1]))
        found.append(payload["cnf"]["jwk"]["x"])
    return found


def test_D_07_the_desks_database_keeps_decisions_not_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path}/desk.db"
    secrets_seen: list[str] = []
    canaries: list[str] = []

    async def case(desk: Desk) -> None:
        for round_number in range(ROUNDS):
            income = 3_000_000 + round_number * 7_919 + 13
            street = canary("street")
            canaries.extend([str(income), street])
            wallet = TestWallet(desk.client, desk.clock)
            desk.give(_canary_case(income, street), wallet)
            started = await desk.start("zorgtoeslag")
            request = await wallet.fetch_request(started["link"])
            over = round_number % 4 == 0  # some wallets over-disclose the street: refused
            tamper = Tamper(extra_paths=(("street_name",),)) if over else Tamper()
            vp_token = wallet.vp_token(request, tamper)
            secrets_seen.extend(_what_a_presentation_carries(vp_token))
            answered = await wallet.post(request, wallet.response_form(request, tamper))
            no_server_error(answered)
            result = (await desk.result(started["transaction_id"])).json()
            assert result["status"] == ("rejected" if over else "eligible")
        stored = await rows(desk)
        assert len(stored["decisions"]) == ROUNDS - len(range(0, ROUNDS, 4))
        text = repr(stored)
        assert "~" not in "".join(str(v) for r in stored["transactions"] for v in r)
        assert leaks(canaries, text) == []
        assert leaks(secrets_seen, text) == []

    from tests.verifier.live import live_desk

    with live_desk(tmp_path, url) as running:
        on_desk(running, case)
    database = tmp_path / "desk.db"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(FULL)")
    files = b"".join(p.read_bytes() for p in tmp_path.glob("desk.db*"))
    assert files
    assert leaks(canaries, files) == []
    assert leaks(secrets_seen, files) == []
    assert leaks(canaries, service_logs(caplog)) == []


# D-08: a full flow with canary claims; logs, metrics, answers.


async def test_D_08_no_claim_value_code_or_token_reaches_logs_or_metrics(
    town: Town, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    income = 3_600_000 + 271_828
    claims = {**INCOME_CLAIMS, "joint_assessed_income_cents": income}
    offer = await town.offer("household_income", claims, batch_size=1)
    grant = offer.credential_offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    secrets_out = [grant["pre-authorized_code"], str(offer.tx_code)]
    async with await new_citizen(town) as phone:
        stored = await phone.accept_offer(
            offer.link_by_reference, tx_code=offer.tx_code, instances=1
        )
        assert stored["status"] == "stored"
        for credential in zorgtoeslag("single_income_35000").credentials:
            if credential.vct != INCOME:
                from tests.wallet.town_fixtures import issuable

                await receive(
                    town, phone, credential.vct, issuable(dict(credential.claims)), instances=1
                )
        from tests.wallet.town_fixtures import desk_link, desk_result

        link, transaction_id, key = await desk_link(town, redirect_uri=None)
        opened = await phone.open_request(link)
        await phone.approve(opened["id"])
        decided = await desk_result(town, transaction_id, key)
        assert decided["status"] == "eligible"
        secrets_out += [str(phone.session_token), key]
    async with httpx.AsyncClient(trust_env=False) as client:
        metrics = [
            (await client.get(f"{url}/metrics")).text
            for url in (town.issuer_url, town.desk_url, town.wallet_url)
        ]
    logs = service_logs(caplog)
    assert leaks([str(income)], logs, *metrics) == []
    assert leaks(secrets_out, logs, *metrics) == []
    assert "?" not in "".join(line for m in metrics for line in m.splitlines() if 'route="' in line)


def test_D_08_access_logs_are_off_where_paths_carry_handles() -> None:
    """``aanspraak <role> serve`` runs uvicorn without its access log (paths hold request
    ids and offer ids; query strings could hold codes); the town serves the same way."""
    import inspect

    from aanspraak import cli_serve, loopback

    assert "access_log=False" in inspect.getsource(cli_serve.serve_role)
    assert "service_config(app)" in inspect.getsource(loopback.serving)
    assert loopback.service_config(lambda *_: None).access_log is False  # type: ignore[arg-type]


# D-09: a deleted credential is gone, with its keys.


async def test_D_09_a_deleted_credential_cannot_be_presented_and_leaves_no_row(
    town: Town,
) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        held = await phone.credentials()
        income = next(c for c in held if c["vct"] == INCOME)
        freed = []
        for credential in held:
            freed += await phone.delete_credential(credential["id"])
        assert sorted(freed) == sorted({k for c in held for k in c["key_ids"]})
        assert await phone.credentials() == []
        left = await town.runs["wallet"].call(_rows_of(town, income["id"]))
        assert left == (0, 0)
        link = await desk_link_only(town)
        with pytest.raises(ServiceRefused) as refused:
            await phone.open_request(link)
        assert refused.value.error == "no_matching_credential"
        dump = await town.runs["wallet"].call(_dump(town))
        assert not [k for k in freed if k in dump]


async def _dump(town: Town) -> str:
    async with town.wallet.database.read() as connection:
        found = [
            repr(tuple(row))
            for table in wallet_metadata.sorted_tables
            for row in (await connection.execute(select(table))).all()
        ]
    return "\n".join(found)


# D-10: expired credentials are purged by the sweeper, every SWEEP_SECONDS.


async def test_D_10_an_expired_credential_is_purged_within_one_sweep(town: Town) -> None:
    assert SWEEP_SECONDS <= 60  # the defined period (wallet.app, docs/wallet.md)
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=2)
        [credential] = await phone.credentials()
        await town.runs["wallet"].call(_expire(town, credential["id"]))
        assert await phone.credentials() == []
        await town.runs["wallet"].call(sweep(town.wallet))
        assert await town.runs["wallet"].call(_rows_of(town, credential["id"])) == (0, 0)


# D-11: holder private keys never reach the service.


async def test_D_11_no_private_key_is_stored_and_signing_needs_the_unlocked_device(
    town: Town,
) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        device = phone.device
        keys = [device.device_key, *device._holder_keys.values(), *device._instance_keys.values()]
        private = [key.to_jwk()["d"] for key in keys]
        dump = await town.runs["wallet"].call(_dump(town))
        url = town.wallet.settings.database_url
        files = b""  # on PostgreSQL the dump is what there is to read
        if url.startswith("sqlite"):
            database = Path(url.split("///", 1)[1])
            files = b"".join(p.read_bytes() for p in database.parent.glob("wallet.db*"))
        assert private
        for d in private:
            assert d not in dump
            assert d.encode() not in files
            assert b64url_decode(d) not in files
        link = await desk_link_only(town)
        phone.session_token = None  # a locked app: no session
        locked = await phone.call("POST", "/v1/presentations", json={"link": link})
        assert (locked.status_code, locked.json()["error"]) == (401, "invalid_token")
