"""The issuer's crash and outage cases: I-11, F-04, F-06 and D-06.

The kills come from ``scripts/issuer_crash.py`` (a real uvicorn process, SIGKILL, restart on
the same database); the outages from the database itself: on SQLite another writer holds the
file's lock past the issuer's busy timeout, on PostgreSQL the database turns read-only or the
issuer's connections are terminated. A storage outage is the one designed 5xx (INV-2): 503
``temporarily_unavailable`` with ``Retry-After``, nothing written, the request repeatable.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from issuer.context import build_context
from issuer.reseal import SEALED_COLUMNS
from issuer.tables import offers
from runtime.sealing import load_or_create_key
from scripts.issuer_crash import Figures, run_crashes
from tests.issuer.conftest import INCOME_CLAIMS, issuer_settings
from tests.issuer.server import IssuerServer, running_issuer
from tests.issuer.test_storage_key_rotation import (
    make_offers,
    rotated,
    sealed_values,
)
from tests.issuer.test_token_endpoint import token_form
from tests.threats.invariants import canary, leaks, no_server_error, snapshot

SEED = 20261129
GUARD_SECONDS = 240  # a hung process fails the case instead of the run; nothing is timed


def _accounted(figures: Figures) -> None:
    assert figures.violations == [], "\n".join(figures.lines())
    assert figures.flows == figures.completed + sum(figures.stranded.values())
    assert set(figures.stranded) <= {"token: invalid_grant"}, "\n".join(figures.lines())


async def test_I_11_issuer_killed_around_signing_never_allocates_an_index_twice(
    tmp_path: Path, database_url: str
) -> None:
    """Kills before, inside and after the credential step's commit; the wallet retries.
    The checker proves: no status index twice, every held credential valid and verifying."""
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await run_crashes(tmp_path, database_url, kills=4, seed=SEED)
    assert figures.points >= 4
    _accounted(figures)


async def test_F_06_acknowledged_status_changes_are_published_through_kills_and_rotation(
    tmp_path: Path, database_url: str
) -> None:
    """Every flow ends with a revocation, suspension or reinstatement that may be killed;
    each acknowledged change is in the next list fetched, list tokens never go back in time,
    and the key is rotated at restarts: every credential held still verifies."""
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await run_crashes(
            tmp_path, database_url, kills=4, seed=SEED + 1, status_share=1.0, rotate_every=2
        )
    _accounted(figures)
    assert figures.status_changes >= figures.completed >= 3
    assert figures.rotations >= 1


@asynccontextmanager
async def storage_outage(database_url: str) -> AsyncIterator[None]:
    """While inside, the issuer's database takes no writes.

    SQLite: another connection holds the write lock (the issuer waits its busy timeout, then
    gives up). PostgreSQL: the database is made read-only and its sessions are ended, so the
    issuer's next connection starts read-only.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    admin = create_async_engine(url.set(database="postgres"), poolclass=NullPool)
    name = url.database

    async def read_only(on: bool) -> None:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            setting = "on" if on else "off"
            await connection.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {setting}')
            )
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    try:
        await read_only(True)
        yield
    finally:
        await read_only(False)
        await admin.dispose()


def _unavailable(response: httpx.Response) -> None:
    no_server_error(response, planned_503=True)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert int(response.headers["retry-after"]) >= 1


async def test_F_04_database_down_during_the_token_request_leaves_the_code_redeemable(
    tmp_path: Path, database_url: str
) -> None:
    """The token request meets a database that takes no writes: 503, and the code is not
    spent, so the same request succeeds once the database is back (retry-safe)."""
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await server.create_offer(client, key)
        before = await snapshot(database_url)
        async with storage_outage(database_url):
            _unavailable(
                await client.post(
                    f"{server.url}/token", data=token_form(created, created["tx_code"])
                )
            )
        assert await snapshot(database_url) == before
        answer = await client.post(
            f"{server.url}/token", data=token_form(created, created["tx_code"])
        )
        assert answer.status_code == 200, answer.text
        again = await client.post(
            f"{server.url}/token", data=token_form(created, created["tx_code"])
        )
        assert again.json()["error"] == "invalid_grant"


async def test_D_06_a_read_only_database_answers_503_and_writes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    """Back office and protocol writes during the outage: 503 each, no row changed; reads
    that need no write (metadata, a status list) keep working."""
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await server.create_offer(client, key)
        token = await client.post(
            f"{server.url}/token", data=token_form(created, created["tx_code"])
        )
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {key}"}
        before = await snapshot(database_url)
        async with storage_outage(database_url):
            offer = await client.post(
                f"{server.url}/backoffice/offers",
                json={"configuration_id": "household_income", "claims": INCOME_CLAIMS},
                headers=bearer,
            )
            _unavailable(offer)
            revoke = await client.post(
                f"{server.url}/backoffice/offers/{created['offer_id']}/status",
                json={"status": "revoked"},
                headers=bearer,
            )
            _unavailable(revoke)
            metadata = await client.get(f"{server.url}/.well-known/openid-credential-issuer")
            assert metadata.status_code == 200
        assert await snapshot(database_url) == before


async def test_D_06_connections_cut_mid_request_answer_503_or_finish(
    tmp_path: Path, database_url: str
) -> None:
    """PostgreSQL: the issuer's connections are terminated while it works; every answer is
    the request's own or a 503 the wallet repeats, and no invariant breaks."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a server-side connection cut needs PostgreSQL; SQLite has no connection")
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await run_crashes(
            tmp_path, database_url, kills=6, seed=SEED + 2, cut_share=1.0, status_share=0.5
        )
    _accounted(figures)
    assert sum(figures.cuts.values()) >= 6


def test_the_server_is_a_process_the_harness_can_kill(tmp_path: Path) -> None:
    """The harness's server is the uvicorn child the module docstring says it is."""
    server = IssuerServer(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/issuer.db")
    assert not server.alive
    assert "PROFILE" in " ".join(server.environment())


async def _changed(database_url: str, before: dict[str, bytes]) -> int:
    """How many sealed claims differ from ``before`` (each reseal commit changes some)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(offers.c.id, offers.c.sealed_claims))
            return sum(before.get(offer_id) != value for offer_id, value in rows)
    finally:
        await engine.dispose()


async def test_D_05_a_reseal_killed_mid_pass_loses_nothing_and_keeps_no_plaintext(
    tmp_path: Path, database_url: str
) -> None:
    """Storage key rotation (docs/issuer.md): ``aanspraak issuer reseal`` is SIGKILLed after
    some of its batches committed, again and again; every value opens under the rotating
    keys after each kill, a last run finishes, then the new key alone opens everything, and
    no claim is in the database files (with WAL) in the clear."""
    marker = canary("gemeente")
    count = 150
    before = build_context(issuer_settings(tmp_path, database_url))
    await make_offers(before, count, marker)
    await before.engine.dispose()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AANSPRAAK_ISSUER_")},
        "AANSPRAAK_ISSUER_PUBLIC_URL": "https://issuer.example",
        "AANSPRAAK_ISSUER_DATABASE_URL": database_url,
        "AANSPRAAK_ISSUER_DATA_DIR": str(tmp_path),
        "AANSPRAAK_ISSUER_SIGNING_KEY_FILE": str(tmp_path / "signing-key.jwk"),
        "AANSPRAAK_ISSUER_STORAGE_KEY_FILE": str(tmp_path / "storage-new.key"),
        "AANSPRAAK_ISSUER_RETIRED_STORAGE_KEY_FILES": json.dumps([str(tmp_path / "storage.key")]),
    }
    load_or_create_key(tmp_path / "storage-new.key")
    command = [sys.executable, "-m", "aanspraak", "issuer", "reseal", "--batch", "5"]
    kills = 0
    async with asyncio.timeout(GUARD_SECONDS):
        for _ in range(3):
            start = await _values(database_url)
            process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
            while process.poll() is None and await _changed(database_url, start) == 0:
                await asyncio.sleep(0.005)
            if process.poll() is None:  # some batches are in, others not: kill now
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
            rotating = rotated(tmp_path, database_url)
            try:
                assert len(await sealed_values(rotating)) == 2 * count
                for name, offer_id, value in await sealed_values(rotating):
                    column = next(s for s in SEALED_COLUMNS if s.column.name == name)
                    rotating.sealer.open(value, context=column.context_of(offer_id))
            finally:
                await rotating.engine.dispose()
        finished = subprocess.run(command, env=environment, capture_output=True, check=True)
    assert kills >= 1
    assert json.loads(finished.stdout)["changed_meanwhile"] == dict.fromkeys(
        [s.column.name for s in SEALED_COLUMNS], 0
    )
    done = rotated(tmp_path, database_url, retired=False)
    try:
        claims = []
        for name, offer_id, value in await sealed_values(done):
            column = next(s for s in SEALED_COLUMNS if s.column.name == name)
            opened = done.sealer.open(value, context=column.context_of(offer_id))
            if name == "sealed_claims":
                claims.append(json.loads(opened)["municipality"])
    finally:
        await done.engine.dispose()
    assert sorted(claims) == [f"{marker}-{number:04d}" for number in range(count)]
    files = [p.read_bytes() for p in tmp_path.iterdir() if ".db" in p.name]
    assert leaks([marker], *files) == []


async def _values(database_url: str) -> dict[str, bytes]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(offers.c.id, offers.c.sealed_claims))
            return {str(offer_id): bytes(value) for offer_id, value in rows}
    finally:
        await engine.dispose()
