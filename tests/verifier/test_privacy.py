"""The verifier keeps the decision, not the data: canary values never reach its storage.

Every credential here carries unique canary values: an income no other test uses (it is asked
for and decides the amount), a street name and a BSN the query does not ask for (a
misbehaving wallet discloses them anyway, so the verifier does read them before it refuses),
and holder keys. After many verifications, accepted and refused, the database file with its
WAL, the logs (every logger at DEBUG) and every HTTP body must not contain any of them, nor
the presentations themselves.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from runtime.scenarios import Scenario
from specs.rules import HeldCredential
from tests.threats.invariants import leaks
from tests.verifier.conftest import make_desk, scenario
from tests.verifier.wallet import Tamper, TestWallet

ROUNDS = 12


def _canary_case(income_cents: int, street: str, bsn: str) -> Scenario:
    base = scenario("zorgtoeslag", "single_income_35000")
    credentials = []
    for credential in base.credentials:
        claims = dict(credential.claims)
        if "joint_assessed_income_cents" in claims:
            claims["joint_assessed_income_cents"] = income_cents
        if credential.vct == "urn:nl:brp:person:1":
            claims["street_name"] = street
            claims["bsn"] = bsn
        credentials.append(HeldCredential(credential.issuer, credential.vct, claims))
    return Scenario("canary", credentials, expect={})


async def test_no_canary_reaches_database_logs_or_bodies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    database = tmp_path / "verifier.db"
    canaries: list[str] = []
    presentations: list[str] = []
    bodies: list[str] = []
    async for desk in make_desk(tmp_path, f"sqlite+aiosqlite:///{database}"):
        for round_number in range(ROUNDS):
            income = 3_000_000 + secrets.randbelow(900_000)
            street = f"Kanariestraat-{secrets.token_hex(6)}"
            bsn = f"9{secrets.randbelow(10**8):08d}"
            canaries += [str(income), street, bsn]
            wallet = TestWallet(desk.client, desk.clock)
            desk.give(_canary_case(income, street, bsn), wallet)
            canaries += [h.holder_key.public.to_jwk()["x"] for h in wallet.held[:1]]
            started = await desk.start("zorgtoeslag")
            request = await wallet.fetch_request(started["link"])
            over = round_number % 3 == 0  # every third wallet over-discloses and is refused
            tamper = Tamper(extra_paths=(("street_name",), ("bsn",))) if over else Tamper()
            vp_token = wallet.vp_token(request, tamper)
            presentations += [
                p.split("~", 1)[0].rsplit(".", 1)[1] for ps in vp_token.values() for p in ps
            ]
            response = await wallet.post(request, wallet.response_form(request, tamper))
            bodies.append(response.text)
            result = await desk.result(started["transaction_id"])
            bodies.append(result.text)
            assert result.json()["status"] == ("rejected" if over else "eligible")
        stored = await _all_rows(desk)
    files = [p for p in tmp_path.glob("verifier.db*") if p.is_file()]
    assert files
    raw = b"".join(p.read_bytes() for p in files)
    logs = caplog.text
    # ``leaks`` counts a number only where no digit touches it: an income is also a run of
    # digits inside a timestamp in microseconds, which the desk rightly stores.
    assert leaks(canaries, raw) == [], "database file"
    assert leaks(canaries, stored) == [], "database rows"
    assert leaks(canaries, logs) == [], "logs"
    assert leaks(canaries, *bodies) == [], "HTTP bodies"
    for signature in presentations:  # the issuer signatures of what was presented
        assert signature.encode() not in raw
        assert signature not in stored


async def _all_rows(desk: object) -> str:
    from tests.verifier.conftest import Desk

    assert isinstance(desk, Desk)
    metadata = MetaData()
    async with desk.context.database.read() as connection:
        await connection.run_sync(metadata.reflect)
        rows = []
        for table in metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in await connection.execute(select(table))]
    return "\n".join(rows)
