"""Crash consistency of the issuer: SIGKILL at random moments of issuance, restart, check.

Run from the repository root::

    python -m scripts.issuer_crash [--kills 200] [--database-url URL] [--seed N]
                                   [--drop-share 0.5] [--tls] [--status-share 0.3]
                                   [--rotate-every 10] [--cut-share 0.3]

A real uvicorn process serves the issuer on loopback (``tests/issuer/server.py``; http, or
https with ``--tls``). A wallet runs pre-authorized flows against it, one after the other (a
quarter of them deferred, approved by the back office in between); in each flow the process
is killed (SIGKILL) a random 0-30 ms after a token, credential, deferred or notification
request was sent, or, for half the kills, in the last stretch before that step's answer
usually comes, where the server commits: before, inside or after the server's transaction,
or while it writes the answer. The process is restarted on the same port and database, and
the wallet repeats what it got no answer to, as a wallet would: the token request with the
same code, the credential request with the same access token, keys and a fresh c_nonce, the
deferred request with the same transaction id, the notification unchanged. Sometimes the
repeat is killed too. With ``--drop-share`` that share of the kill points drops the wallet's
connection instead (its app killed, its network gone) while the issuer keeps running.

Revocation: after ``--status-share`` of the flows the back office changes the batch's status
(revokes it, suspends it, or suspends and reinstates it), and that request is a kill point
too; the back office repeats it until it is answered. Once answered, the next published
list must show the change (THREATS F-06) and no list token may be older than one fetched
before it. Key rotation: every ``--rotate-every`` flows, the next restart after a kill brings
the issuer up with a new signing key and the old one retired, as an operator's rolling
restart does (``docs/issuer.md``); every credential held must still verify at the end.
Connection cuts (PostgreSQL only): ``--cut-share`` of the kill points terminate the issuer's
database connections instead of the process; the issuer must answer 503 (repeat later) or
finish the request, never an unplanned 500.

Then the database is read directly (SQLAlchemy on the same URL) and must show what
``issuer/issuance.py`` promises, in the words of ``scripts.issuer_crash_invariants``:

* no two credentials the wallet holds share a status index; each one's entry exists, belongs
  to its offer and to the offer's one live (not superseded) issuance, and is VALID; the live
  issuance's entries are exactly the credentials held;
* every superseded issuance has only INVALID entries, every issuance as many entries as it
  says, every list an ``allocated`` count equal to its entries and no more than its fill
  ratio allows (plus the one batch that closed it);
* an offer has at most one access token and one live issuance; an ``offered`` offer has
  neither; an ``issued`` or ``delivered`` one has its issuance;
* claims are held only by offers not yet delivered and not expired, by an issued one only
  for the redelivery window; no offer is ``delivered`` without its claims while the wallet
  never got its credentials (*lost*); an offer whose batch the wallet accepted (its
  notification) is ``delivered``;
* the published status lists (fetched and verified) say what the table says, per entry;
* every credential the wallet holds verifies against the keys the issuer publishes now;
* no answer was a 5xx other than the designed 503.

A flow the wallet cannot finish, because the server committed a step whose answer was lost
and refuses the repeat, is counted as *stranded* (by step and wire error): it breaks no
invariant, but the citizen needs a new offer.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from issuer.keys import create_signing_key
from issuer.tables import deferred, issuances, offers
from scripts.crash_command import AIMED, REPEAT_KILL, WINDOW, crash_parser, run_command
from scripts.issuer_crash_invariants import FlowRecord, check_invariants
from specs.errors import Rejected
from specs.jose import JwsAlg
from specs.status_list import StatusType, verify_status_list_token
from tests.issuer.server import IssuerServer, issuer_keys, running_issuer
from tests.issuer.wallet import PRE_AUTHORIZED, Wallet, holder_key, proof_jwt, public_jwk

SETTLE = 0.2  # after its connection dropped, the wallet waits this long before trying again
MAX_ATTEMPTS = 5
CONFIGURATION = "household_income"
CLAIMS = {"year": 2024, "joint_assessed_income_cents": 2_850_000, "has_allowance_partner": False}
#: Smaller lists than the default, so a long run fills some and opens new ones.
OVERRIDES = {"status_list_size": "1024"}


Build = Callable[[], Awaitable[httpx.Request]]


@dataclass(frozen=True, slots=True)
class Kill:
    """How one attempt is interrupted: ``drop`` the wallet's connection instead of killing the
    issuer, or ``cut`` the issuer's database connections; ``aimed`` at the step's usual answer
    time instead of anywhere in the window."""

    aimed: bool
    drop: bool
    cut: bool = False


@dataclass
class Figures:
    """What a run did and found; :meth:`lines` prints it."""

    kills: Counter[str] = field(default_factory=Counter)
    drops: Counter[str] = field(default_factory=Counter)  # the wallet's connection dropped
    cuts: Counter[str] = field(default_factory=Counter)  # the database connections cut
    unavailable: Counter[str] = field(default_factory=Counter)  # 503 answers, repeated
    status_changes: int = 0  # acknowledged by the issuer
    rotations: int = 0
    interrupted: int = 0  # kills that left the wallet without an answer
    answer_lost: Counter[str] = field(default_factory=Counter)  # ... after the step committed
    flows: int = 0
    completed: int = 0
    retried_flows: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    stranded: Counter[str] = field(default_factory=Counter)
    answer_ms: dict[str, list[float]] = field(default_factory=dict)  # attempts not killed
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(self.kills.values()) + sum(self.drops.values()) + sum(self.cuts.values())

    def count(self, record: FlowRecord) -> FlowRecord:
        """Adds a finished flow to the figures."""
        self.flows += 1
        self.completed += record.notified
        self.retried_flows += record.retried
        if record.stranded is not None:
            self.stranded[record.stranded] += 1
        return record

    def lines(self) -> list[str]:
        def named(counter: Counter[str]) -> str:
            return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "-"

        return [
            f"kill points:          {self.points} (SIGKILL: {named(self.kills)}; "
            f"wallet dropped: {named(self.drops)}; database cut: {named(self.cuts)})",
            f"  answered 503:       {sum(self.unavailable.values())} "
            f"({named(self.unavailable)}), each repeated",
            f"  without an answer:  {self.interrupted}, of which after the step committed: "
            f"{sum(self.answer_lost.values())} ({named(self.answer_lost)})",
            f"  kill moment:        0-{WINDOW * 1000:.0f} ms after sending, or aimed just before "
            "the answer; median answer: "
            + ", ".join(
                f"{step} {statistics.median(times):.1f} ms"
                for step, times in sorted(self.answer_ms.items())
            ),
            f"flows attempted:      {self.flows}",
            f"flows completed:      {self.completed}",
            f"flows retried:        {self.retried_flows} ({named(self.retries)} step repeats)",
            f"flows stranded:       {sum(self.stranded.values())} ({named(self.stranded)})",
            f"status changes:       {self.status_changes} acknowledged, each seen in the next "
            "published list",
            f"key rotations:        {self.rotations}",
            f"invariant violations: {len(self.violations)}",
            *(f"  {violation}" for violation in self.violations),
            f"wall time:            {self.seconds:.1f} s",
        ]


@dataclass
class CrashWallet:
    """A wallet that keeps going through kills of the issuer it talks to."""

    server: IssuerServer
    api_key: str
    rng: random.Random
    client: httpx.AsyncClient
    figures: Figures
    engine: AsyncEngine
    drop_share: float = 0.0
    cut_share: float = 0.0
    rotate_every: int = 0
    current: FlowRecord | None = None
    rotate_due: bool = False
    list_issued_at: dict[str, int] = field(default_factory=dict)

    def _delay(self, step: str, aimed: bool) -> float:
        """Uniform in the window, or aimed at the last stretch before an answer usually comes
        (one of the step's answer times so far), where the server commits and writes it."""
        answers = self.figures.answer_ms.get(step, [])
        if not aimed or len(answers) < 3:
            return self.rng.uniform(0, WINDOW)
        return self.rng.choice(answers) / 1000 * self.rng.uniform(0.6, 1.0)

    async def _attempt(self, step: str, build: Build, kill: Kill | None) -> httpx.Response | None:
        """One try of a step, interrupted by ``kill`` if given."""
        request = await build()
        if kill is None:
            sent = time.perf_counter()
            response = await self.client.send(request)
            taken = (time.perf_counter() - sent) * 1000
            self.figures.answer_ms.setdefault(step, []).append(taken)
            return response
        before = await self.progress()
        delay = self._delay(step, kill.aimed)
        if kill.drop:
            answered = await self._dropped(step, request, delay)
        elif kill.cut:
            answered = await self._cut(step, request, delay)
        else:
            answered = await self._killed(step, request, delay)
        if answered is None:
            self.figures.interrupted += 1
            self.figures.answer_lost[step] += await self.progress() != before
        return answered

    async def _killed(
        self, step: str, request: httpx.Request, delay: float
    ) -> httpx.Response | None:
        """SIGKILL ``delay`` seconds after sending, whatever the issuer is doing; restart."""

        async def kill_later() -> None:
            await asyncio.sleep(delay)
            self.server.kill()
            self.figures.kills[step] += 1

        killer = asyncio.create_task(kill_later())
        try:
            answered: httpx.Response | None = await self.client.send(request)
        except httpx.TransportError:
            answered = None
        await killer
        if self.rotate_due:
            self._rotate_signing_key()
        await self.server.start()
        return answered

    def _rotate_signing_key(self) -> None:
        """The restart brings a new signing key; the old one stays published as retired."""
        overrides = self.server.overrides
        data_dir = self.server.data_dir
        old = overrides.get("signing_key_file", str(data_dir / "signing-key.jwk"))
        retired = [*json.loads(overrides.get("retired_key_files", "[]")), old]
        new = data_dir / f"signing-key-{self.figures.rotations + 1}.jwk"
        create_signing_key(new)
        overrides["signing_key_file"] = str(new)
        overrides["retired_key_files"] = json.dumps(retired)
        self.figures.rotations += 1
        self.rotate_due = False

    async def _cut(self, step: str, request: httpx.Request, delay: float) -> httpx.Response | None:
        """The issuer's database connections are terminated ``delay`` seconds after sending
        (PostgreSQL); the process lives on and must answer 503 or finish the request."""

        async def cut_later() -> None:
            await asyncio.sleep(delay)
            async with self.engine.connect() as connection:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            self.figures.cuts[step] += 1

        cutter = asyncio.create_task(cut_later())
        try:
            answered: httpx.Response | None = await self.client.send(request)
        except httpx.TransportError:
            answered = None
        await cutter
        return answered

    async def _dropped(
        self, step: str, request: httpx.Request, delay: float
    ) -> httpx.Response | None:
        """The wallet's connection drops ``delay`` seconds after sending (app killed, network
        lost); the issuer keeps running. The wallet tries again a moment later."""
        try:
            return await asyncio.wait_for(self.client.send(request), delay)
        except TimeoutError:
            self.figures.drops[step] += 1
            await asyncio.sleep(SETTLE)
            return None

    async def progress(self) -> tuple[object, ...]:
        """What the issuer committed for the current offer: a kill's effect shows here."""
        assert self.current is not None
        offer_id = self.current.offer_id
        async with self.engine.connect() as connection:
            state = await connection.scalar(select(offers.c.state).where(offers.c.id == offer_id))
            rows = await connection.execute(
                select(issuances.c.id, issuances.c.event).where(issuances.c.offer_id == offer_id)
            )
            pending = await connection.execute(
                select(deferred.c.digest).where(deferred.c.offer_id == offer_id)
            )
            return (state, sorted(map(tuple, rows)), sorted(pending.scalars()))

    async def step(self, step: str, build: Build, kills: list[Kill]) -> httpx.Response:
        """The step until it has an answer: each element of ``kills`` kills one attempt."""
        for attempt in range(MAX_ATTEMPTS):
            kill = kills[attempt] if attempt < len(kills) else None
            response = await self._attempt(step, build, kill)
            if response is not None and response.status_code == 503:
                self.figures.unavailable[step] += 1  # designed: repeat after Retry-After
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                response = None
            elif response is not None and response.status_code >= 500:
                self.figures.violations.append(f"{step}: unplanned {response.status_code}")
            if response is not None:
                return response
            self.figures.retries[step] += 1
            if self.current is not None:
                self.current.retried = True
        raise RuntimeError(f"{step}: no answer after {MAX_ATTEMPTS} attempts")

    def _kill(self) -> Kill:
        drop = self.rng.random() < self.drop_share
        cut = not drop and self.rng.random() < self.cut_share
        return Kill(aimed=self.rng.random() < AIMED, drop=drop, cut=cut)

    def _plan(self, steps: list[str]) -> dict[str, list[Kill]]:
        """One step of the flow is interrupted, its repeat sometimes too."""
        chosen = self.rng.choice(steps)
        kills = [self._kill()]
        while self.rng.random() < REPEAT_KILL and len(kills) < MAX_ATTEMPTS - 1:
            kills.append(self._kill())
        return {chosen: kills}

    async def _offer(self, *, batch: int, deferred: bool) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.server.url}/backoffice/offers",
            json={
                "configuration_id": CONFIGURATION,
                "claims": CLAIMS,
                "batch_size": batch,
                "deferred": deferred,
            },
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def _post(self, path: str, **kwargs: Any) -> Build:
        async def build() -> httpx.Request:
            return self.client.build_request("POST", f"{self.server.url}{path}", **kwargs)

        return build

    def _credential(self, access_token: str, keys: list[ec.EllipticCurvePrivateKey]) -> Build:
        """A credential request with a fresh c_nonce per attempt (§7.2: single use)."""

        async def build() -> httpx.Request:
            nonce = (await self.client.post(f"{self.server.url}/nonce")).json()["c_nonce"]
            now = int(time.time())
            proofs = [proof_jwt(k, audience=self.server.url, nonce=nonce, iat=now) for k in keys]
            return self.client.build_request(
                "POST",
                f"{self.server.url}/credential",
                json={"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}},
                headers=_bearer(access_token),
            )

        return build

    async def run_flow(self, *, deferred: bool, change_status: bool = False) -> FlowRecord:
        """Offer, token, credential (deferred: approval and deferred request), notification;
        with ``change_status`` then a status change by the back office."""
        batch = self.rng.randint(1, 3)
        created = await self._offer(batch=batch, deferred=deferred)
        record = FlowRecord(created["offer_id"], batch=batch, deferred=deferred)
        self.current = record
        steps = ["token", "credential", "notification"] + (["deferred"] if deferred else [])
        steps += ["status"] if change_status else []
        plan = self._plan(steps)
        grant = created["credential_offer"]["grants"][PRE_AUTHORIZED]
        form = {
            "grant_type": PRE_AUTHORIZED,
            "pre-authorized_code": grant["pre-authorized_code"],
            "tx_code": created["tx_code"],
        }
        answer = await self.step("token", self._post("/token", data=form), plan.get("token", []))
        if answer.status_code != 200:
            return record.strand("token", answer)
        access_token = answer.json()["access_token"]
        keys = [holder_key() for _ in range(batch)]
        answer = await self.step(
            "credential", self._credential(access_token, keys), plan.get("credential", [])
        )
        if deferred:
            answer = await self._deferred(record, access_token, answer, plan.get("deferred", []))
        if answer.status_code != 200:
            return record.strand("deferred" if deferred else "credential", answer)
        await self._keep(record, answer, keys)
        notification = {"notification_id": answer.json()["notification_id"]}
        body = {**notification, "event": "credential_accepted"}
        build = self._post("/notification", json=body, headers=_bearer(access_token))
        answer = await self.step("notification", build, plan.get("notification", []))
        assert answer.status_code == 204, answer.text
        record.notified = True
        if change_status:
            await self._change_status(record, plan.get("status", []))
        return record

    async def _change_status(self, record: FlowRecord, kills: list[Kill]) -> None:
        """Revoke, suspend, or suspend and reinstate; each change confirmed, then published."""
        changes = self.rng.choice([["revoked"], ["suspended"], ["suspended", "valid"]])
        for number, change in enumerate(changes):
            build = self._post(
                f"/backoffice/offers/{record.offer_id}/status",
                json={"status": change},
                headers=_bearer(self.api_key),
            )
            answer = await self.step("status", build, kills if number == 0 else [])
            assert answer.status_code == 200, answer.text
            record.expected = _STATUS_OF[change]
            self.figures.status_changes += 1
            await self._check_published(record)

    async def _check_published(self, record: FlowRecord) -> None:
        """An acknowledged change is in the next list fetched (F-06); tokens never go back."""
        resolver = await issuer_keys(self.client, self.server.url)
        now = int(time.time())
        for reference in record.held:
            response = await self.client.get(reference.uri)
            published = verify_status_list_token(
                response.text,
                key=resolver,
                expected_uri=reference.uri,
                now=now,
                leeway=60,
                algorithms={JwsAlg.ES256},
                max_age=3_600,
            )
            if published.status_of(reference) != record.expected:
                self.figures.violations.append(
                    f"offer {record.offer_id[:8]}: confirmed {record.expected.name} not published"
                )
            previous = self.list_issued_at.get(reference.uri, 0)
            if published.issued_at < previous:
                self.figures.violations.append(f"{reference.uri}: a list token older than before")
            self.list_issued_at[reference.uri] = max(previous, published.issued_at)

    async def _deferred(
        self, record: FlowRecord, access_token: str, answer: httpx.Response, kills: list[Kill]
    ) -> httpx.Response:
        """§9: the back office approves, then the wallet fetches with its transaction id."""
        assert answer.status_code == 202, answer.text
        approval = await self.client.post(
            f"{self.server.url}/backoffice/offers/{record.offer_id}/approve",
            json={},
            headers=_bearer(self.api_key),
        )
        assert approval.status_code == 204, approval.text
        body = {"transaction_id": answer.json()["transaction_id"]}
        build = self._post("/deferred_credential", json=body, headers=_bearer(access_token))
        return await self.step("deferred", build, kills)

    async def _keep(
        self, record: FlowRecord, answer: httpx.Response, keys: list[ec.EllipticCurvePrivateKey]
    ) -> None:
        """Verify before keeping (the test wallet's checks), one holder key per credential."""
        tokens = [item["credential"] for item in answer.json()["credentials"]]
        wallet = Wallet(self.client, lambda: int(time.time()), allow_http=not self.server.tls)
        verified = await wallet.verify(self.server.url, tokens)
        assert len(verified) == len(keys)
        for credential, key in zip(verified, keys, strict=True):
            assert credential.claims["cnf"]["jwk"] == public_jwk(key)
            assert credential.status is not None
            record.held.append(credential.status)
        record.tokens.extend(tokens)


_STATUS_OF = {
    "valid": StatusType.VALID,
    "revoked": StatusType.INVALID,
    "suspended": StatusType.SUSPENDED,
}


async def held_credentials_verify(
    client: httpx.AsyncClient, server: IssuerServer, records: list[FlowRecord]
) -> list[str]:
    """Every credential held verifies with the keys published now, rotations or not."""
    wallet = Wallet(client, lambda: int(time.time()), allow_http=not server.tls)
    found = []
    for record in records:
        try:
            await wallet.verify(server.url, record.tokens)
        except Rejected as refusal:
            found.append(f"offer {record.offer_id[:8]}: held credential refused: {refusal.reason}")
    return found


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run_crashes(
    data_dir: Path,
    database_url: str,
    *,
    kills: int,
    seed: int,
    deferred_share: float = 0.25,
    drop_share: float = 0.0,
    tls: bool = False,
    status_share: float = 0.0,
    rotate_every: int = 0,
    cut_share: float = 0.0,
) -> Figures:
    """Flows until ``kills`` kill points were hit; then the invariants are checked.

    ``drop_share`` of the kill points drop the wallet's connection instead of killing the
    issuer, ``cut_share`` cut its database connections (PostgreSQL only); ``status_share`` of
    the flows end with a status change; every ``rotate_every`` flows the signing key is
    rotated at the next restart (module docstring); ``tls`` serves https instead of http.
    """
    if cut_share and not database_url.startswith("postgresql"):
        raise ValueError("connection cuts need a PostgreSQL database")
    figures = Figures()
    started = time.monotonic()
    rng = random.Random(seed)
    # The harness's own view of the issuer's database: no pooled connection to be cut.
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with (
            running_issuer(data_dir, database_url, tls=tls, overrides=OVERRIDES) as (server, key),
            httpx.AsyncClient(
                verify=server.client_tls(),
                limits=httpx.Limits(max_keepalive_connections=0),  # no connection outlives a kill
                timeout=30,
            ) as client,
        ):
            wallet = CrashWallet(
                server, key, rng, client, figures, engine, drop_share, cut_share, rotate_every
            )
            records = []
            while figures.points < kills:
                if rotate_every and figures.flows and figures.flows % rotate_every == 0:
                    wallet.rotate_due = True
                record = await wallet.run_flow(
                    deferred=rng.random() < deferred_share,
                    change_status=rng.random() < status_share,
                )
                records.append(figures.count(record))
            figures.violations += await check_invariants(
                engine, records, client=client, issuer=server.url, now=int(time.time())
            )
            figures.violations += await held_credentials_verify(client, server, records)
    finally:
        await engine.dispose()
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = crash_parser(__doc__.split("\n", 1)[0], seed=20261128)
    parser.add_argument(
        "--drop-share",
        type=float,
        default=0.0,
        help="share of kill points that drop the wallet's connection instead (0-1)",
    )
    parser.add_argument("--tls", action="store_true", help="serve https instead of http")
    parser.add_argument(
        "--status-share",
        type=float,
        default=0.3,
        help="share of flows that end with a revocation, suspension or reinstatement (0-1)",
    )
    parser.add_argument(
        "--rotate-every", type=int, default=10, help="rotate the signing key every N flows"
    )
    arguments = parser.parse_args(argv)
    return run_command(
        arguments,
        name="issuer",
        run=lambda data_dir, url: run_crashes(
            data_dir,
            url,
            kills=arguments.kills,
            seed=arguments.seed,
            drop_share=arguments.drop_share,
            tls=arguments.tls,
            status_share=arguments.status_share,
            rotate_every=arguments.rotate_every,
            cut_share=arguments.cut_share,
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
