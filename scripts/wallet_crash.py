"""Crash consistency of the wallet service: SIGKILL while it stores or presents, restart, check.

Run from the repository root::

    python -m scripts.wallet_crash [--kills 200] [--database-url URL] [--seed N]
                                   [--cut-share 0.3]

The wallet service runs as a real uvicorn process (``tests/threats/service_process.py``),
with an issuer (``tests/issuer/server.py``) and a desk's verifier
(``tests/verifier/desk_process.py``) as real processes beside it on loopback, all three
reading one signed trust list. One citizen's phone (``wallet.device_client``, with a device
that logs every key-binding JWT it signs) alternates between two flows:

* *receive*: the agency's back office makes an offer of 1-3 one-time instances (a canary
  income); the phone accepts it and sends its key proofs; the service fetches the batch,
  verifies and stores it. The process is killed 0-30 ms after the proofs were posted, or
  aimed at the last stretch before the answer (while it stores); the phone posts the same
  signatures again after the restart (and signs anew when the issuer wants a fresh nonce);
* *present*: the desk starts a transaction, the phone opens it, approves (instances reserved)
  and sends the device's signatures (the answer posted to the desk). The process is killed
  during the approval or the sending; the phone repeats the step that got no answer.

With ``--cut-share`` (PostgreSQL) that share of the kill points cuts the service's database
connections instead (``pg_terminate_backend``); it answers 503 and the phone repeats.

After the flows the service is restarted, a batch of 20 arrives and 20 presentations follow
(each must be sent and decided); then the wallet's tables are opened with the account's vault
key through the wallet's own code, and ``scripts.wallet_crash_invariants`` lists what must
hold (batches all or nothing, D-01; no instance presented twice, D-02). The desk's database
is checked too: one decision per transaction, nothing half-written.

A flow whose step committed while its answer was lost, and whose repeat is refused, is
counted as *stranded* (by step and wire error); it breaks no invariant.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from aanspraak.demo_settings import GivenOnly
from aanspraak.town import FixedRegistry
from issuer.tables import offers, status_entries
from runtime.database import create_engine
from scripts.crash_command import AIMED, REPEAT_KILL, WINDOW, core_main
from scripts.desk_crash import stored_bytes
from scripts.desk_crash_invariants import answer_violations
from scripts.desk_crash_invariants import read_tables as read_desk
from scripts.wallet_crash_invariants import (
    Run,
    check_invariants,
    lost_instances,
    read_wallet,
)
from specs.jose import b64url_decode, parse_public_jwk
from tests.issuer.server import IssuerServer, running_issuer
from tests.threats.service_process import (
    ServiceProcess,
    TrustFile,
    cut_connections,
    harness_engine,
    is_postgresql,
)
from tests.verifier.desk_process import (
    DESK_FACTS,
    INCOME_VCT,
    REGULATION,
    DeskProcess,
    new_desk,
    publish_registry,
    ready_desk,
)
from wallet.context import build_context
from wallet.device_auth import Session
from wallet.device_client import SimulatedDevice, WalletServiceClient
from wallet.settings import WalletSettings
from wallet.tables import batches, instances, records
from wallet.vault import Vault

SETTLE = 0.2
MAX_ATTEMPTS = 6
PIN = "482916"
FINAL_PRESENTATIONS = 20
FINAL_BATCH = 20
FLOWS = ("receive", "present")
WALLET_SETTINGS = {
    "pin_kdf_memory_kib": "64",  # a cheap PIN check: the run unlocks once, the checker too
    "pin_kdf_iterations": "1",
    "pin_backoff_seconds": "0",
    "batch_size": str(FINAL_BATCH),
    "session_ttl_seconds": "86400",  # one session lasts the whole run
}
ISSUER_SETTINGS = {"max_batch_size": str(FINAL_BATCH), "status_list_size": "1024"}

Send = Callable[[], Awaitable[httpx.Response]]


class _WalletSettings(GivenOnly, WalletSettings):
    """The checker's settings from the process's values alone."""


class RecordingDevice(SimulatedDevice):
    """The phone's secure hardware, which also notes each key-binding JWT it signs (key,
    nonce): nothing reaches a desk without it, so this is every presentation made."""

    def __init__(self) -> None:
        super().__init__()
        self.signed: list[tuple[str, str]] = []

    def sign(self, requests: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        for request in requests:
            signing_input = b64url_decode(request["signing_input"]).decode()
            header, payload = (json.loads(b64url_decode(p)) for p in signing_input.split("."))
            if header.get("typ") == "kb+jwt":
                self.signed.append((request["key_id"], str(payload["nonce"])))
        return super().sign(requests)


@dataclass(frozen=True, slots=True)
class Kill:
    aimed: bool
    cut: bool


@dataclass
class Figures:
    kills: Counter[str] = field(default_factory=Counter)
    cuts: Counter[str] = field(default_factory=Counter)
    interrupted: int = 0
    answer_lost: Counter[str] = field(default_factory=Counter)
    flows: Counter[str] = field(default_factory=Counter)
    completed: Counter[str] = field(default_factory=Counter)
    retried_flows: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    stranded: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    """Repeats answered 409 with Retry-After: a send killed mid-post still held the step."""
    lost_instances: int = 0
    final_presentations: int = 0
    answer_ms: dict[str, list[float]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(self.kills.values()) + sum(self.cuts.values())

    def lines(self) -> list[str]:
        def named(counter: Counter[str]) -> str:
            return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "-"

        medians = ", ".join(
            f"{step} {statistics.median(times):.1f} ms"
            for step, times in sorted(self.answer_ms.items())
        )
        return [
            f"kill points:          {self.points} (SIGKILL: {named(self.kills)}; "
            f"connections cut: {named(self.cuts)})",
            f"  without an answer:  {self.interrupted}, of which after the step committed: "
            f"{sum(self.answer_lost.values())} ({named(self.answer_lost)})",
            f"  kill moment:        0-{WINDOW * 1000:.0f} ms after sending, or aimed just before "
            f"the answer; median answer: {medians}",
            f"flows attempted:      {sum(self.flows.values())} ({named(self.flows)})",
            f"flows completed:      {sum(self.completed.values())} ({named(self.completed)})",
            f"flows retried:        {self.retried_flows} ({named(self.retries)} step repeats)",
            f"  waited for a hold:  {sum(self.held.values())} ({named(self.held)}: a send "
            "killed mid-post held its step until its lease lapsed)",
            f"flows stranded:       {sum(self.stranded.values())} ({named(self.stranded)})",
            f"slots lost:           {self.lost_instances} (holder keys reserved, never shown)",
            f"after the run:        {self.final_presentations} presentations sent and decided, "
            "on distinct instances",
            f"invariant violations: {len(self.violations)}",
            *(f"  {violation}" for violation in self.violations),
            f"wall time:            {self.seconds:.1f} s",
        ]


def _held_for(answer: httpx.Response) -> float | None:
    """Seconds to wait when the wallet service says the step is held (409, Retry-After)."""
    held = answer.headers.get("retry-after")
    if answer.status_code != 409 or held is None:
        return None
    return float(held)


@dataclass
class Citizen:
    """One phone answering desks and accepting offers while its wallet service is killed."""

    wallet: ServiceProcess
    issuer: IssuerServer
    issuer_key: str
    desk: DeskProcess
    phone: WalletServiceClient
    device: RecordingDevice
    client: httpx.AsyncClient
    engine: AsyncEngine
    rng: random.Random
    figures: Figures
    run: Run
    cut_share: float = 0.0
    flows: tuple[str, ...] = FLOWS
    """The flows whose steps are killed; receiving also runs unkilled to refill."""
    unused: int = 0  # instances received and not yet reserved, as the phone counts them
    retried: bool = False

    def _kill(self) -> Kill:
        return Kill(aimed=self.rng.random() < AIMED, cut=self.rng.random() < self.cut_share)

    async def count_unused(self) -> None:
        """What the service has left to present (a crash may have cost a reservation)."""
        held = await self.phone.credentials()
        self.unused = sum(int(batch["unused_instances"]) for batch in held)

    def _kills(self) -> list[Kill]:
        kills = [self._kill()]
        while self.rng.random() < REPEAT_KILL and len(kills) < MAX_ATTEMPTS - 2:
            kills.append(self._kill())
        return kills

    def _delay(self, step: str, aimed: bool) -> float:
        answers = self.figures.answer_ms.get(step, [])
        if not aimed or len(answers) < 3:
            return self.rng.uniform(0, WINDOW)
        return self.rng.choice(answers) / 1000 * self.rng.uniform(0.6, 1.0)

    async def progress(self) -> tuple[int, ...]:
        """What the service committed: a kill's effect shows here."""
        async with self.engine.connect() as connection:
            counted = [
                await connection.scalar(select(func.count()).select_from(batches)),
                await connection.scalar(
                    select(func.count()).where(instances.c.used_at.is_not(None))
                ),
                await connection.scalar(select(func.count()).select_from(records)),
            ]
        return tuple(int(n or 0) for n in counted)

    async def _interrupt(self, step: str, kill: Kill, delay: float) -> None:
        await asyncio.sleep(delay)
        if kill.cut:
            await cut_connections(self.wallet.database_url)
            self.figures.cuts[step] += 1
        else:
            self.wallet.kill()
            self.figures.kills[step] += 1

    async def _attempt(self, step: str, send: Send, kill: Kill | None) -> httpx.Response | None:
        before = await self.progress() if kill is not None else ()
        interrupt = None
        if kill is not None:
            if step in {"approve", "send"}:
                self.run.presentation_kills += 1
            interrupt = asyncio.create_task(
                self._interrupt(step, kill, self._delay(step, kill.aimed))
            )
        sent = time.perf_counter()
        try:
            answered: httpx.Response | None = await send()
        except httpx.TransportError:
            answered = None
        taken = (time.perf_counter() - sent) * 1000
        if interrupt is not None:
            await interrupt
            if kill is not None and not kill.cut:
                await self.wallet.start()
        if answered is not None and answered.status_code == 503:
            await asyncio.sleep(SETTLE)  # the designed outage answer: repeat later
            answered = None
        if answered is None:
            self.figures.interrupted += 1
            self.figures.answer_lost[step] += await self.progress() != before
        else:
            self.figures.answer_ms.setdefault(step, []).append(taken)
        return answered

    async def step(self, step: str, send: Send, kills: list[Kill]) -> httpx.Response:
        """The step until it has an answer; ``kills`` interrupt its first attempts."""
        for attempt in range(MAX_ATTEMPTS):
            kill = kills[attempt] if attempt < len(kills) else None
            answered = await self._attempt(step, send, kill)
            held = None if answered is None else _held_for(answered)
            if held is not None:  # a send killed mid-post still holds the step: wait it out
                self.figures.held[step] += 1
                await asyncio.sleep(held + SETTLE)
            elif answered is not None:
                return answered
            self.figures.retries[step] += 1
            self.retried = True
        raise RuntimeError(f"{step}: no answer after {MAX_ATTEMPTS} attempts")

    def _post(self, path: str, body: Any = None) -> Send:
        return lambda: self.phone.call("POST", path, json=body)

    def _strand(self, kind: str, step: str, answer: httpx.Response) -> None:
        error = answer.json().get("error") if answer.content else None
        self.figures.stranded[f"{kind} {step}: {error or answer.status_code}"] += 1

    async def receive(self, batch: int, *, kills: list[Kill]) -> None:
        """An offer accepted; the key proofs' post is where the service fetches and stores."""
        income = 3_000_000 + self.rng.randrange(900_000)
        self.run.canaries.append(str(income))
        claims = {"year": 2026, "joint_assessed_income_cents": income}
        created = await self.issuer.create_offer(
            self.client,
            self.issuer_key,
            claims={**claims, "has_allowance_partner": False},
            batch_size=batch,
        )
        keys = self.device.new_holder_keys(batch)
        body = {"offer": created["link_by_reference"], "tx_code": created["tx_code"], "keys": keys}
        begun = await self.phone.call("POST", "/v1/issuances", json=body)
        assert begun.status_code == 201, begun.text
        answer = begun.json()
        path = f"/v1/issuances/{answer['id']}/signatures"
        while True:
            signatures = {"signatures": self.device.sign(answer["signing_requests"])}
            response = await self.step("store", self._post(path, signatures), kills)
            kills = []
            if response.status_code == 200 and response.json()["status"] == "signatures_needed":
                answer = response.json()  # the issuer wanted a fresh nonce: sign again
                continue
            break
        if response.status_code == 200:
            self.run.stored.append(response.json()["credential"]["id"])
            self.unused += response.json()["credential"]["instances"]
            self.figures.completed["receive"] += 1
        elif response.status_code == 404:  # stored before the kill: the step is over
            self.figures.stranded["receive store: stored, answer lost"] += 1
            self.unused += batch
        else:
            self._strand("receive", "store", response)

    async def present(self, *, kills: dict[str, list[Kill]]) -> bool:
        """A desk answered: open, approve (reserve), send (the device's signatures)."""
        started = await self.client.post(
            f"{self.desk.url}/desk/transactions",
            json={"regulation": REGULATION, "facts": DESK_FACTS},
            headers=self.desk.headers(),
        )
        assert started.status_code == 201, started.text
        opened = await self.phone.call(
            "POST", "/v1/presentations", json={"link": started.json()["link"]}
        )
        if opened.status_code != 201:  # every slot burned (a slot may hold several instances)
            assert opened.json()["error"] == "no_matching_credential", opened.text
            declined = await self.phone.call(
                "POST", f"/v1/presentations/{opened.json()['presentation']}/decline"
            )
            assert declined.status_code == 200, declined.text
            self.figures.flows["present: nothing left, declined"] += 1
            self.unused = 0
            return False
        base = f"/v1/presentations/{opened.json()['id']}"
        self.unused -= 1
        approved = await self.step(
            "approve", self._post(f"{base}/approve"), kills.get("approve", [])
        )
        if approved.status_code != 200:
            self._strand("present", "approve", approved)
            declined = await self.phone.call("POST", f"{base}/decline")
            assert declined.status_code == 200, declined.text
            return False
        signatures = {"signatures": self.device.sign(approved.json()["signing_requests"])}
        sent = await self.step(
            "send", self._post(f"{base}/signatures", signatures), kills.get("send", [])
        )
        if sent.status_code == 200:
            self.figures.completed["present"] += 1
            return bool(sent.json()["desk"].get("status_code") == 200)
        if sent.status_code == 404:  # sent and logged before the kill
            self.figures.stranded["present send: sent, answer lost"] += 1
        else:
            self._strand("present", "send", sent)
        return False

    async def run_flow(self) -> None:
        self.retried = False
        await self.count_unused()
        presenting = "present" in self.flows and self.unused >= 1
        if presenting and ("receive" not in self.flows or self.rng.random() < 0.5):
            self.figures.flows["present"] += 1
            step = self.rng.choice(["approve", "send"])
            await self.present(kills={step: self._kills()})
        else:
            self.figures.flows["receive"] += 1
            kills = self._kills() if "receive" in self.flows else []
            await self.receive(self.rng.randint(1, 3), kills=kills)
        self.figures.retried_flows += self.retried


async def _issuer_keys(client: httpx.AsyncClient, issuer: str) -> list[str]:
    response = await client.get(f"{issuer}/.well-known/jwt-vc-issuer")
    response.raise_for_status()
    return [parse_public_jwk(jwk).thumbprint() for jwk in response.json()["jwks"]["keys"]]


async def _issuer_view(issuer: IssuerServer, run: Run) -> None:
    """Which offer each status entry belongs to, and which offers were accepted."""
    engine = create_engine(issuer.database_url)
    try:
        async with engine.connect() as connection:
            entries = await connection.execute(
                select(status_entries.c.list_id, status_entries.c.idx, status_entries.c.offer_id)
            )
            run.offers_of = {(row.list_id, row.idx): row.offer_id for row in entries}
            delivered = await connection.execute(
                select(offers.c.id).where(offers.c.state == "delivered")
            )
            run.delivered = set(delivered.scalars())
    finally:
        await engine.dispose()


async def _opened_wallet(citizen: Citizen) -> list[Any]:
    """The wallet's tables opened with the account's vault key, by the wallet's own code
    (the session token the phone holds carries it, sealed under the service's key)."""
    settings = _WalletSettings(**citizen.wallet.values())  # type: ignore[arg-type]
    context = build_context(settings, trust=FixedRegistry(None))
    try:
        assert citizen.phone.session_token is not None
        opened = context.sessions.open(citizen.phone.session_token, now=int(time.time()))
        vault = Vault(opened.vault_key, opened.account_id)
        session = Session(opened.account_id, vault, opened.device_thumbprint)
        return await read_wallet(citizen.engine, session, citizen.issuer.url)
    finally:
        await context.database.engine.dispose()


async def _final_presentations(citizen: Citizen, count: int) -> int:
    """A fresh batch of 20, then ``count`` presentations: each sent and decided."""
    await citizen.receive(FINAL_BATCH, kills=[])
    done = 0
    for _ in range(count):
        done += await citizen.present(kills={})
    return done


async def run_crashes(
    data_dir: Path,
    database_url: str,
    *,
    kills: int,
    seed: int,
    cut_share: float = 0.0,
    flows: tuple[str, ...] = FLOWS,
    final: int = FINAL_PRESENTATIONS,
) -> Figures:
    """Flows until ``kills`` kill points were hit in ``flows``; then ``final`` presentations,
    and the invariants are checked."""
    if cut_share and not is_postgresql(database_url):
        raise ValueError("cutting database connections needs PostgreSQL")
    figures, run = Figures(), Run()
    started = time.monotonic()
    rng = random.Random(seed)
    trust = TrustFile(data_dir / "trust")
    engine = harness_engine(database_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                limits=httpx.Limits(max_keepalive_connections=0), timeout=30, trust_env=False
            )
        )
        issuer, issuer_key = await stack.enter_async_context(
            running_issuer(
                data_dir / "issuer",
                f"sqlite+aiosqlite:///{data_dir}/issuer.db",
                overrides=ISSUER_SETTINGS,
            )
        )
        desk_db = f"sqlite+aiosqlite:///{data_dir}/verifier.db"
        desk_process, client_id = new_desk(
            data_dir / "verifier", desk_db, trust, local_origins=[issuer.url]
        )
        publish_registry(
            trust, client_id, {issuer.url: (await _issuer_keys(client, issuer.url), [INCOME_VCT])}
        )
        stack.callback(desk_process.stop)
        desk = await ready_desk(desk_process, client_id)
        wallet = ServiceProcess(
            "wallet",
            data_dir / "wallet",
            database_url,
            trust,
            settings={**WALLET_SETTINGS, "local_origins": f"{issuer.url},{desk.url}"},
        )
        stack.callback(wallet.stop)
        await wallet.start()
        device = RecordingDevice()
        phone = await stack.enter_async_context(WalletServiceClient(wallet.url, device, timeout=30))
        await phone.register(PIN)
        await phone.unlock(PIN)
        citizen = Citizen(
            wallet, issuer, issuer_key, desk, phone, device, client, engine, rng, figures, run,
            cut_share, flows,
        )  # fmt: skip
        while figures.points < kills:
            await citizen.run_flow()
        await wallet.restart()
        during = Counter(figures.completed)
        figures.final_presentations = await _final_presentations(citizen, final)
        figures.completed = during
        if figures.final_presentations != final:
            figures.violations.append(
                f"after the run only {figures.final_presentations} presentations were decided"
            )
        run.signed = list(device.signed)
        await _issuer_view(issuer, run)
        opened = await _opened_wallet(citizen)
        figures.lost_instances = lost_instances(opened, run)
        stored = await stored_bytes(engine, database_url)
        figures.violations += check_invariants(opened, run, stored=stored)
        desk_engine = create_engine(desk_db)
        try:
            figures.violations += answer_violations(await read_desk(desk_engine))
        finally:
            await desk_engine.dispose()
        figures.violations += [f"wallet log: {line}" for line in wallet.unhandled()]
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, doc=__doc__, name="wallet", harness=run_crashes)


if __name__ == "__main__":
    sys.exit(main())
