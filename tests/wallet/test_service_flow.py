"""The wallet service end to end: a phone receives credentials from a running issuer, finds
out what it is entitled to, answers a running desk with only the claims the regulation
needs, and keeps a history; all over real HTTP on loopback (``aanspraak.town``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from aanspraak.town import Town
from issuer.offer_admin import CredentialStatus, change_status
from tests.wallet.town_fixtures import (
    desk_link,
    desk_result,
    issuable,
    new_citizen,
    receive,
    receive_scenario,
    zorgtoeslag,
)
from wallet.app import sweep
from wallet.device_client import ServiceRefused, WalletServiceClient
from wallet.tables import batches, instances, metadata, records

INCOME = "urn:nl:belastingdienst:household-income:1"


async def test_receive_discover_present_and_remember(town: Town) -> None:
    case = zorgtoeslag("single_income_35000")
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, case)
        held = await phone.credentials()
        assert len(held) == 4
        assert all(c["unused_instances"] == 3 for c in held)
        assert {c["issuer"] for c in held} == {town.issuer_url}

        found = await phone.discovery()
        entitled = {f["regulation"]: f for f in found["entitled"]}
        assert entitled["zorgtoeslag"]["amount_cents"] == case.expect["amount_cents"]
        assert entitled["zorgtoeslag"]["message"].startswith("Did you know you are entitled")

        link, transaction_id, key = await desk_link(town)
        opened = await phone.open_request(link)
        preview = opened["preview"]
        assert preview["regulation"] == "zorgtoeslag"
        assert preview["verifier"] == town.desk.client_id
        assert preview["legal_basis"]["id"].startswith("BWBR")
        shared = {tuple(item["claim"]) for item in preview["shared"]}
        assert ("joint_assessed_income_cents",) in shared
        assert not shared & {tuple(item["claim"]) for item in preview["not_shared"]}

        sent = await phone.approve(opened["id"])
        assert sent["status"] == "sent"
        assert sent["desk"]["status_code"] == 200, (
            await desk_result(town, transaction_id, key)
        ).get("reason")
        result = await desk_result(town, transaction_id, key)
        assert result["status"] == "eligible"
        assert result["decision"]["record"]["amount_cents"] == case.expect["amount_cents"]

        history = await phone.history()
        assert len(history) == 1
        entry = history[0]
        assert (entry["outcome"], entry["regulation"]) == ("shared", "zorgtoeslag")
        assert entry["verifier"] == town.desk.client_id
        assert {tuple(i["claim"]) for i in entry["shared"]} == shared
        assert "3500000" not in str(history)  # names of claims, never their values

        after = {c["vct"]: c["unused_instances"] for c in await phone.credentials()}
        presented = {item["vct"] for item in preview["shared"]}
        assert all(after[vct] == 2 for vct in presented)
        assert all(after[vct] == 3 for vct in after if vct not in presented)


async def test_a_new_income_statement_that_flips_zorgtoeslag_becomes_a_notice(town: Town) -> None:
    too_high = zorgtoeslag("single_beyond_the_near_miss_margin_is_not_eligible")
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, too_high, instances=1)
        before = await phone.discovery()
        assert "zorgtoeslag" in {f["regulation"] for f in before["not_entitled"]}
        earlier = len(await phone.notices())  # unknown -> not eligible as credentials came

        lower = next(c for c in zorgtoeslag("single_income_35000").credentials if c.vct == INCOME)
        stored = await receive(town, phone, INCOME, dict(lower.claims), instances=1)
        notes = stored["notices"]
        assert [n["regulation"] for n in notes] == ["zorgtoeslag"]
        assert (notes[0]["before"]["status"], notes[0]["after"]["status"]) == (
            "not_eligible",
            "eligible",
        )
        assert notes[0]["message"].startswith("Note: this change affects")
        kept = await phone.notices()
        assert len(kept) == earlier + 1
        assert kept[-1]["id"] == notes[0]["id"]
        after = await phone.discovery()
        assert "zorgtoeslag" in {f["regulation"] for f in after["entitled"]}
        # The newer statement took the older one's slot (same second or not): the desk gets it.
        link, transaction_id, key = await desk_link(town)
        opened = await phone.open_request(link)
        await phone.approve(opened["id"])
        assert (await desk_result(town, transaction_id, key))["status"] == "eligible"


async def test_declining_tells_the_desk_and_keeps_the_instances(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        link, transaction_id, key = await desk_link(town)
        opened = await phone.open_request(link)
        declined = await phone.decline(opened["id"])
        assert declined["status"] == "declined"
        result = await desk_result(town, transaction_id, key)
        assert (result["status"], result["reason"]) == ("declined", "access_denied")
        assert all(c["unused_instances"] == 1 for c in await phone.credentials())
        history = await phone.history()
        assert [(h["outcome"], h["shared"]) for h in history] == [("declined", [])]


@pytest.mark.parametrize("instances", [20, 3], ids=["batch-of-20", "batch-of-3"])
async def test_a_one_time_instance_is_never_presented_twice_under_20_concurrent_answers(
    town: Town, instances: int
) -> None:
    """THREATS D-03: with a batch of 20, all 20 answers go out, each with its own instance
    and key; with a batch of 3, exactly 3 do and the rest find nothing left."""
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=instances)
        links = [await desk_link(town) for _ in range(20)]
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

        outcomes = await asyncio.gather(*(answer(link) for link, _id, _key in links))
        assert outcomes.count("sent") == instances
        assert set(outcomes) <= {"sent", "no_matching_credential", "conflict"}
        assert len(shown) == len(set(shown)) == instances  # no holder key shown twice
        decided = [await desk_result(town, tid, key) for _link, tid, key in links]
        assert sum(r["status"] == "eligible" for r in decided) == instances
        assert all(c["unused_instances"] == 0 for c in await phone.credentials())


async def _send(phone: WalletServiceClient, presentation_id: str, signatures: object) -> str:
    """Post the device's signatures: ``sent``, ``desk-<status>``, or the service's error."""
    try:
        sent = await phone._json(
            "POST",
            f"/v1/presentations/{presentation_id}/signatures",
            json={"signatures": signatures},
        )
    except ServiceRefused as refused:
        return refused.error
    status = sent["desk"]["status_code"]
    return "sent" if status == 200 else f"desk-{status}"


async def test_signatures_posted_three_times_at_once_are_sent_once_and_logged_once(
    town: Town,
) -> None:
    """A double tap, or a repeat that reached another worker: one post claims the step and
    reaches the desk, the others are refused, and the history gets one line."""
    async with await new_citizen(town) as phone:
        answer = await _approved_answer(town, phone)
        outcomes = await asyncio.gather(
            *(_send(phone, answer.id, answer.signatures) for _ in "abc")
        )
        assert outcomes.count("sent") == 1, outcomes
        # A loser read the step before the winner claimed it (conflict), after the winner
        # ended it (not_found), or in between, and then the desk refused the repeat.
        assert set(outcomes) <= {"sent", "conflict", "not_found", "desk-400"}, outcomes
        history = await phone.history()
        assert [(h["outcome"], h["desk_status"]) for h in history] == [("shared", 200)]
        assert all(c["unused_instances"] == 0 for c in await phone.credentials())
    assert (await answer.desk_result())["status"] == "eligible"


async def test_a_decline_racing_the_signatures_never_gives_back_a_key_that_was_shown(
    town: Town,
) -> None:
    """Decline and send of one approved answer, at once, eight times over. A send that
    claimed the step keeps its slot burned, and a decline meanwhile is refused; a decline
    that claimed the step first stops the send before anything is posted and gives the slot
    back. Each answer leaves one line in the history."""
    rounds = 8
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=rounds)
        claimed = 0
        for _ in range(rounds):
            link, _transaction_id, _key = await desk_link(town)
            opened = await phone.open_request(link)
            approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
            signatures = phone.device.sign(approved["signing_requests"])

            async def decline(presentation_id: str = opened["id"]) -> str:
                try:
                    return str((await phone.decline(presentation_id))["status"])
                except ServiceRefused as refused:
                    return refused.error

            sent, declined = await asyncio.gather(_send(phone, opened["id"], signatures), decline())
            # Whichever claimed the step first wins; the other is refused (409), or finds
            # the step ended (404). The desk never hears both.
            assert sent in {"sent", "conflict", "not_found"}, sent
            assert declined in {"declined", "conflict", "not_found"}, declined
            assert (sent == "sent") != (declined == "declined"), (sent, declined)
            claimed += sent == "sent"  # posted: its key was shown
        history = await phone.history()
        assert len(history) == rounds
        unused = {c["unused_instances"] for c in await phone.credentials()}
        assert unused == {rounds - claimed}


async def test_while_an_answer_is_being_sent_a_repeat_or_a_decline_is_refused(
    town: Town,
) -> None:
    """The send holds its step until the desk has answered (the desk is kept busy by
    holding its database's write lock): a repeat or a decline meanwhile is ``409
    conflict``; then the send completes, once, and the history has its line."""
    desk_file = _desk_database_file(town)
    async with await new_citizen(town) as phone:
        answer = await _approved_answer(town, phone)
        with _kept_busy(desk_file):
            sending = asyncio.create_task(_send(phone, answer.id, answer.signatures))
            await _until_claimed(town, answer)
            repeat = await phone.call(
                "POST",
                f"/v1/presentations/{answer.id}/signatures",
                json={"signatures": answer.signatures},
            )
            assert (repeat.status_code, repeat.json()["error"]) == (409, "conflict")
            lease = math.ceil(town.wallet.fetch_policy.timeout) + 10  # until the hold lapses
            assert 0 < int(repeat.headers["retry-after"]) <= lease
            with pytest.raises(ServiceRefused) as refused:
                await phone.decline(answer.id)
            assert (refused.value.status, refused.value.error) == (409, "conflict")
            assert not sending.done()
        assert await sending == "sent"
        history = await phone.history()
        assert [(h["outcome"], h["desk_status"]) for h in history] == [("shared", 200)]
    assert (await answer.desk_result())["status"] == "eligible"


async def test_once_a_decline_has_claimed_the_answer_no_send_starts(town: Town) -> None:
    """A decline claims the step before it tells the desk, so signatures posted while the
    desk hears ``access_denied`` (kept busy as above) are refused and never posted: the desk
    hears only no, the slot comes back, and the history has the one line."""
    desk_file = _desk_database_file(town)
    async with await new_citizen(town) as phone:
        answer = await _approved_answer(town, phone)
        with _kept_busy(desk_file):
            declining = asyncio.create_task(phone.decline(answer.id))
            await _until_claimed(town, answer)
            assert await _send(phone, answer.id, answer.signatures) == "conflict"
            assert not declining.done()
        assert (await declining)["status"] == "declined"
        assert [h["outcome"] for h in await phone.history()] == ["declined"]
        assert all(c["unused_instances"] == 1 for c in await phone.credentials())
    result = await answer.desk_result()
    assert (result["status"], result["reason"]) == ("declined", "access_denied")


def _desk_database_file(town: Town) -> str:
    url = town.desk.settings.database_url
    if not url.startswith("sqlite"):
        pytest.skip("keeps the desk busy by holding its SQLite write lock")
    return url.split("///", 1)[1]


@contextlib.contextmanager
def _kept_busy(database_file: str) -> Iterator[None]:
    """The desk's database write lock held, as another process would: its answers wait."""
    blocker = sqlite3.connect(database_file, isolation_level=None, timeout=30)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


@dataclass(frozen=True)
class _Approved:
    """An approved answer to a fresh desk request, signed by the device, not yet sent."""

    town: Town
    id: str
    signatures: list[dict[str, str]]
    transaction_id: str
    key: str
    sealed: bytes | None
    """The step's sealed bytes after the approve: a send or decline that claims it changes them."""

    async def desk_result(self) -> dict[str, Any]:
        return await desk_result(self.town, self.transaction_id, self.key)


async def _approved_answer(town: Town, phone: WalletServiceClient) -> _Approved:
    await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
    link, transaction_id, key = await desk_link(town)
    opened = await phone.open_request(link)
    approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
    signatures = phone.device.sign(approved["signing_requests"])
    sealed = await town.runs["wallet"].call(_sealed_step(town, opened["id"]))
    return _Approved(town, opened["id"], signatures, transaction_id, key, sealed)


async def _until_claimed(town: Town, answer: _Approved) -> None:
    """Until a send or a decline has claimed the step: its sealed bytes changed."""
    for _ in range(3000):
        if await town.runs["wallet"].call(_sealed_step(town, answer.id)) != answer.sealed:
            return
        await asyncio.sleep(0.01)
    pytest.fail("the step was never claimed")


async def _sealed_step(town: Town, presentation_id: str) -> bytes | None:
    async with town.wallet.database.read() as connection:
        found = await connection.scalar(
            select(records.c.sealed).where(records.c.id == presentation_id)
        )
    return None if found is None else bytes(found)


async def test_a_dump_of_the_wallet_database_holds_no_claim_value(town: Town) -> None:
    canary_income = 3_512_347
    income = {
        "has_allowance_partner": False,
        "joint_assessed_income_cents": canary_income,
        "year": 2026,
    }
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, income)
        await phone.discovery()
        backup = await phone.export("correct horse battery staple")
    rows = await town.runs["wallet"].call(_every_row(town))
    dumps = [rows.encode()]
    url = town.wallet.settings.database_url
    if url.startswith("sqlite"):  # the files too: free pages and the WAL keep old bytes
        database = Path(url.split("///", 1)[1])
        with sqlite3.connect(database) as connection:
            connection.execute("PRAGMA wal_checkpoint(FULL)")
        dumps.append(b"".join(p.read_bytes() for p in database.parent.glob("wallet.db*")))
    for dump in dumps:
        assert dump, "nothing was dumped"
        for needle in (
            str(canary_income),
            INCOME,
            "joint_assessed_income_cents",
            "household-income",
        ):
            assert needle.encode() not in dump, needle
    assert str(canary_income).encode() not in backup.encode()


async def _every_row(town: Town) -> str:
    """Every row of every table of the wallet service, as text (what a dump would show)."""
    async with town.wallet.database.read() as connection:
        rows = [
            row
            for table in metadata.sorted_tables
            for row in (await connection.execute(select(table))).all()
        ]
    return "\n".join(repr(tuple(row)) for row in rows)


async def test_a_revoked_income_statement_stops_counting_and_becomes_a_notice(town: Town) -> None:
    case = zorgtoeslag("single_income_35000")
    async with await new_citizen(town) as phone:
        for credential in case.credentials:
            if credential.vct != INCOME:
                await receive(
                    town, phone, credential.vct, issuable(dict(credential.claims)), instances=1
                )
        income = next(c for c in case.credentials if c.vct == INCOME)
        offer = await town.offer("household_income", dict(income.claims), batch_size=1)
        await phone.accept_offer(offer.link_by_reference, tx_code=offer.tx_code, instances=1)
        assert "zorgtoeslag" in {f["regulation"] for f in (await phone.discovery())["entitled"]}
        checked = (await phone.call("POST", "/v1/credentials/status")).json()
        assert set(checked["statuses"].values()) == {"valid"}
        assert checked["new_notices"] == []

        await town.runs["issuer"].call(
            change_status(town.issuer, offer.offer_id, CredentialStatus.REVOKED, allowed=None)
        )
        checked = (await phone.call("POST", "/v1/credentials/status")).json()
        [(batch_id, change)] = checked["changed"].items()
        assert change == {"before": "valid", "after": "revoked"}
        held = {c["id"]: c for c in await phone.credentials()}
        assert held[batch_id]["vct"] == INCOME
        [note] = checked["new_notices"]
        assert (note["regulation"], note["before"]["status"]) == ("zorgtoeslag", "eligible")
        after = await phone.discovery()
        assert "zorgtoeslag" not in {f["regulation"] for f in after["entitled"]}
        link, _tid, _key = await desk_link(town)
        opened = await phone.open_request(link)  # income is optional in zorgtoeslag's query:
        shared = {item["vct"] for item in opened["preview"]["shared"]}
        assert INCOME not in shared  # the revoked statement does not answer a desk
        assert shared


async def test_expired_credentials_are_purged_with_their_instances(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive(
            town,
            phone,
            INCOME,
            {"has_allowance_partner": False, "joint_assessed_income_cents": 1, "year": 2026},
            instances=2,
        )
        [credential] = await phone.credentials()
        await town.runs["wallet"].call(_expire(town, credential["id"]))
        assert await phone.credentials() == []  # not shown once expired
        await town.runs["wallet"].call(sweep(town.wallet))
        left = await town.runs["wallet"].call(_rows_of(town, credential["id"]))
    assert left == (0, 0)


async def _expire(town: Town, batch_id: str) -> None:
    async with town.wallet.database.write() as connection:
        await connection.execute(
            update(batches).where(batches.c.id == batch_id).values(expires_at=1)
        )


async def _rows_of(town: Town, batch_id: str) -> tuple[int, int]:
    async with town.wallet.database.read() as connection:
        kept = (await connection.execute(select(batches).where(batches.c.id == batch_id))).all()
        instances_left = (
            await connection.execute(select(instances).where(instances.c.batch_id == batch_id))
        ).all()
    return len(kept), len(instances_left)
