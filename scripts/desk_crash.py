"""Crash consistency of the verifier: SIGKILL while it decides a presentation, restart, check.

Run from the repository root::

    python -m scripts.desk_crash [--kills 200] [--database-url URL] [--seed N]
                                 [--cut-share 0.3]

A real uvicorn process serves a desk's verifier on loopback (``tests/verifier/desk_process.py``;
its registry a signed trust list file). An agency on loopback (``tests/verifier/agencies.py``)
publishes its key (JWT VC Issuer Metadata, fetched by the verifier over loopback), and
issues each flow a household income statement with a
fresh canary income. A standard-following test wallet (``tests/verifier/wallet.py``) answers
one transaction per flow by ``direct_post.jwt``; a fifth of the wallets send a wrong nonce,
so their presentation is refused. In each flow the process is killed (SIGKILL) a random 0-30
ms after the response was posted, or, for half the kills, in the last stretch before the
answer usually comes, where the verifier commits its decision. It is restarted on the same
port and database, and the wallet posts the very same response again, as a wallet whose
connection broke does; sometimes the repeat is killed too. With ``--cut-share`` (PostgreSQL)
that share of the kill points cuts the verifier's database connections instead
(``pg_terminate_backend``) while the process lives on; it answers 503 and the wallet repeats.

After the flows the verifier is restarted once more, every response is posted again (it must
be refused as already answered: the nonce stays consumed, THREATS D-04), the desk reads each
result, and the database is read directly; ``scripts.desk_crash_invariants`` lists what must
hold (one decision per transaction, no half-written answer, nothing acknowledged then lost,
no claim value at rest).

A flow whose wallet never heard what became of its answer (the decision committed, the answer
lost, the repeat refused as already answered) is counted as *answered before the kill*: it
breaks nothing, the desk has the decision; a same-device wallet would not get its redirect.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from collections import Counter
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from aanspraak.loopback import bound_listener, serving, url_of
from scripts.crash_command import AIMED, REPEAT_KILL, WINDOW, core_main
from scripts.desk_crash_invariants import (
    ALREADY_ANSWERED,
    FlowRecord,
    check_invariants,
    read_tables,
)
from tests.threats.service_process import (
    TrustFile,
    cut_connections,
    database_files,
    harness_engine,
    is_postgresql,
)
from tests.verifier.agencies import Agencies
from tests.verifier.desk_process import (
    DESK_FACTS,
    INCOME_VCT,
    REGULATION,
    DeskProcess,
    new_desk,
    publish_registry,
    ready_desk,
)
from tests.verifier.wallet import Tamper, TestWallet, new_holder_key
from verifier.tables import transactions

TAMPERED = 0.2  # share of wallets whose presentation is refused (a wrong nonce)
SETTLE = 0.2  # after a 503 or a dropped answer, the wallet waits this long
MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Kill:
    """How one attempt is interrupted: ``cut`` the database connections instead of killing
    the process; ``aimed`` at the usual answer time instead of anywhere in the window."""

    aimed: bool
    cut: bool


@dataclass
class Figures:
    """What a run did and found; :meth:`lines` prints it."""

    kills: int = 0
    cuts: int = 0
    interrupted: int = 0  # kill points that left the wallet without an answer
    answer_lost: int = 0  # ... after the decision was committed
    flows: int = 0
    completed: int = 0  # the wallet heard the outcome of its presentation
    answered_before: int = 0  # it heard only "already answered": committed, answer lost
    retried_flows: int = 0
    retries: int = 0
    stranded: Counter[str] = field(default_factory=Counter)
    replays_refused: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    answer_ms: list[float] = field(default_factory=list)  # posts not interrupted
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return self.kills + self.cuts

    def count(self, record: FlowRecord) -> FlowRecord:
        self.flows += 1
        self.retried_flows += record.retried
        if record.stranded is not None:
            self.stranded[record.stranded] += 1
        elif record.acknowledged is not None:
            self.completed += 1
        else:
            self.answered_before += 1
        return record

    def lines(self) -> list[str]:
        median = statistics.median(self.answer_ms) if self.answer_ms else 0.0
        stranded = ", ".join(f"{k} {v}" for k, v in sorted(self.stranded.items())) or "-"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "-"
        return [
            f"kill points:          {self.points} (SIGKILL {self.kills}; "
            f"connections cut {self.cuts})",
            f"  without an answer:  {self.interrupted}, of which after the decision committed: "
            f"{self.answer_lost}",
            f"  kill moment:        0-{WINDOW * 1000:.0f} ms after posting, or aimed just before "
            f"the answer; median answer: {median:.1f} ms",
            f"flows attempted:      {self.flows} (final states: {outcomes})",
            f"flows completed:      {self.completed}",
            f"answered before kill: {self.answered_before} (committed, answer lost, the repeat "
            "refused as already answered)",
            f"flows retried:        {self.retried_flows} ({self.retries} repeated posts)",
            f"flows stranded:       {sum(self.stranded.values())} ({stranded})",
            f"replays refused:      {self.replays_refused} (after a restart, D-04)",
            f"invariant violations: {len(self.violations)}",
            *(f"  {violation}" for violation in self.violations),
            f"wall time:            {self.seconds:.1f} s",
        ]


@dataclass
class CrashWallet:
    """Wallets answering one desk whose verifier keeps being killed."""

    desk: DeskProcess
    agencies: Agencies
    issuer: str
    rng: random.Random
    client: httpx.AsyncClient
    figures: Figures
    engine: AsyncEngine
    cut_share: float = 0.0
    canaries: list[str] = field(default_factory=list)
    forms: dict[str, dict[str, str]] = field(default_factory=dict)
    response_uri: str = ""

    def _delay(self, aimed: bool) -> float:
        answers = self.figures.answer_ms
        if not aimed or len(answers) < 3:
            return self.rng.uniform(0, WINDOW)
        return self.rng.choice(answers) / 1000 * self.rng.uniform(0.6, 1.0)

    def _kill(self) -> Kill:
        return Kill(aimed=self.rng.random() < AIMED, cut=self.rng.random() < self.cut_share)

    async def _status(self, transaction_id: str) -> str | None:
        async with self.engine.connect() as connection:
            status: str | None = await connection.scalar(
                select(transactions.c.status).where(transactions.c.id == transaction_id)
            )
            return status

    async def _post(self, form: dict[str, str]) -> httpx.Response:
        return await self.client.post(self.response_uri, data=form)

    async def _attempt(
        self, record: FlowRecord, form: dict[str, str], kill: Kill | None
    ) -> httpx.Response | None:
        """One post of ``form``, interrupted by ``kill`` if given; None: no usable answer."""
        before = await self._status(record.transaction_id)
        interrupt = None
        if kill is not None:
            record.killed += 1
            delay = self._delay(kill.aimed)
            interrupt = asyncio.create_task(self._interrupt(kill, delay))
        sent = time.perf_counter()
        try:
            answered: httpx.Response | None = await self._post(form)
        except httpx.TransportError:
            answered = None
        taken = (time.perf_counter() - sent) * 1000
        if interrupt is not None:
            await interrupt
            if kill is not None and not kill.cut:
                await self.desk.process.start()
        if answered is not None and answered.status_code == 503:
            await asyncio.sleep(SETTLE)  # the designed outage answer: repeat later
            answered = None
        if answered is None:
            record.retried = True
            self.figures.interrupted += 1
            self.figures.answer_lost += await self._status(record.transaction_id) != before
        else:
            self.figures.answer_ms.append(taken)  # the answer came before any interruption
        return answered

    async def _interrupt(self, kill: Kill, delay: float) -> None:
        """SIGKILL the verifier, or cut its database connections, ``delay`` s from now."""
        await asyncio.sleep(delay)
        if kill.cut:
            await cut_connections(self.desk.process.database_url)
            self.figures.cuts += 1
        else:
            self.desk.process.kill()
            self.figures.kills += 1

    async def run_flow(self) -> FlowRecord:
        """Start a transaction, answer it through kills, until the wallet has an answer."""
        started = await self.client.post(
            f"{self.desk.url}/desk/transactions",
            json={"regulation": REGULATION, "facts": DESK_FACTS},
            headers=self.desk.headers(),
        )
        assert started.status_code == 201, started.text
        record = FlowRecord(started.json()["transaction_id"], self.rng.random() < TAMPERED)
        wallet = TestWallet(self.client, lambda: int(time.time()))
        self._give(wallet)
        request = await wallet.fetch_request(started.json()["link"])
        self.response_uri = request.response_uri
        tamper = Tamper(nonce="not-the-nonce-of-this-request") if record.tampered else Tamper()
        form = wallet.response_form(request, tamper)
        self.forms[record.transaction_id] = form
        kills = [self._kill()]
        while self.rng.random() < REPEAT_KILL and len(kills) < MAX_ATTEMPTS - 2:
            kills.append(self._kill())
        for attempt in range(MAX_ATTEMPTS):
            kill = kills[attempt] if attempt < len(kills) else None
            if attempt:
                self.figures.retries += 1
            answered = await self._attempt(record, form, kill)
            if answered is not None:
                record.answers.append((answered.status_code, _description(answered)))
                return record
        record.stranded = "response: no answer"
        return record

    def _give(self, wallet: TestWallet) -> None:
        """A household income statement with a canary income only this flow uses."""
        income = 3_000_000 + self.rng.randrange(900_000)
        holder = new_holder_key()
        claims = {"year": 2026, "joint_assessed_income_cents": income}
        token, _ = self.agencies.issue(
            self.issuer,
            INCOME_VCT,
            {**claims, "has_allowance_partner": False},
            holder=holder.public,
            with_status=False,  # its list would be on http; the desk here does not ask
        )
        wallet.hold(token, holder, INCOME_VCT)
        signature = token.split("~", 1)[0].rsplit(".", 1)[1]
        self.canaries += [str(income), signature, str(holder.public.to_jwk()["x"])]

    async def replay_and_read(self, records: list[FlowRecord]) -> None:
        """After a restart: every response again (refused: D-04), and the desk's reads."""
        for record in records:
            replayed = await self._post(self.forms[record.transaction_id])
            record.replay = (replayed.status_code, _description(replayed))
            self.figures.replays_refused += record.replay == (400, ALREADY_ANSWERED)
            result = await self.client.get(
                f"{self.desk.url}/desk/transactions/{record.transaction_id}",
                headers=self.desk.headers(),
            )
            assert result.status_code == 200, result.text
            record.result = result.json()
            self.figures.outcomes[str(record.result.get("status"))] += 1


def _description(response: httpx.Response) -> str | None:
    if response.status_code < 400 or not response.content:
        return None
    try:
        return str(response.json().get("error_description"))
    except ValueError:
        return None


async def stored_bytes(engine: AsyncEngine, database_url: str) -> bytes:
    """Everything at rest: the SQLite files (with -wal and -journal), and every row dumped."""
    blobs = [path.read_bytes() for path in database_files(database_url)]
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            blobs.append(repr([tuple(row) for row in rows]).encode())
    return b"\n".join(blobs)


async def run_crashes(
    data_dir: Path, database_url: str, *, kills: int, seed: int, cut_share: float = 0.0
) -> Figures:
    """Flows until ``kills`` kill points were hit; then the invariants are checked."""
    if cut_share and not is_postgresql(database_url):
        raise ValueError("cutting database connections needs PostgreSQL")
    figures = Figures()
    started = time.monotonic()
    rng = random.Random(seed)
    agencies = Agencies(lambda: int(time.time()))
    trust = TrustFile(data_dir / "trust")
    engine = harness_engine(database_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        sync = stack.enter_context(ExitStack())
        listener = sync.enter_context(bound_listener())
        issuer = url_of(listener)
        agency = agencies.add(issuer)
        sync.enter_context(serving(agencies.app(), listener, name="agency"))
        process, client_id = new_desk(
            data_dir / "verifier", database_url, trust, local_origins=[issuer]
        )
        publish_registry(
            trust, client_id, {issuer: ([agency.key.public.thumbprint()], [INCOME_VCT])}
        )
        stack.callback(process.stop)
        desk = await ready_desk(process, client_id)
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                limits=httpx.Limits(max_keepalive_connections=0),  # none outlives a kill
                timeout=30,
                trust_env=False,
            )
        )
        wallet = CrashWallet(desk, agencies, issuer, rng, client, figures, engine, cut_share)
        records = []
        while figures.points < kills:
            records.append(figures.count(await wallet.run_flow()))
        await process.restart()  # what follows happens after a restart, whatever came last
        await wallet.replay_and_read(records)
        tables = await read_tables(engine)
        stored = await stored_bytes(engine, database_url)
        figures.violations = check_invariants(
            tables, records, canaries=wallet.canaries, stored=stored
        )
        figures.violations += [f"verifier log: {line}" for line in process.unhandled()]
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, doc=__doc__, name="verifier", harness=run_crashes)


if __name__ == "__main__":
    sys.exit(main())
