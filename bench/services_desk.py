"""OID4VP response to decision through HTTP for ``bench.services``: prepared answers posted
to the desk's ``response_uri``, in ``direct_post`` or ``direct_post.jwt`` (OpenID4VP 1.0
§8.2, §8.3).

The desk of ``bench.verifier_http`` (``bench.verifier_workload``: the agencies on their
loopback origin, the ``file`` trust registry, the desk's own identity) on a fresh database,
served by ``verifier.serve`` under uvicorn with 1 or N workers and the response mode set by
``AANSPRAAK_VERIFIER_RESPONSE_MODE``. The case is ``assets``: one credential per answer, so
one answer holds exactly one SD-JWT VC + KB-JWT, the unit of the bare baseline
(``bench.services_bare``). The transactions are started and answered before the server
starts (answers are single use), with library calls on its database.

A warm-up of ``2 x concurrency x workers`` answers fills the caches (trust, issuer metadata,
status lists) of the workers it reaches; the agencies count what the desk fetched while
timing, printed rather than refused: with several workers the kernel, not the benchmark,
decides which worker takes a connection, so a worker may first be reached while timed.
Afterwards every posted answer must be stored as an ``eligible`` decision, or the run fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.http_load import free_port
from bench.services_databases import Backend, fresh_database
from bench.services_figures import ServiceLoad, served
from bench.services_figures import require as require_path
from bench.verifier_http import post_answers, stored_outcomes
from bench.verifier_workload import CASES, EXPECTED, Prepared, Workload, prepare_answer
from verifier.app import prepare
from verifier.settings import VerifierSettings

CASE = CASES["assets"]
RESPONSE_PATH = "/wallet/response"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MODES = ("direct_post", "direct_post.jwt")


def desk_settings(
    workload: Workload, public_url: str, *, database_url: str, mode: str
) -> VerifierSettings:
    """The desk's settings as its server reads them, on ``database_url``."""
    settings = workload.settings(public_url, mode=mode)
    return settings.model_copy(update={"database_url": database_url})


async def _prepared(workload: Workload, settings: VerifierSettings, count: int) -> list[Prepared]:
    """``count`` answered transactions on the desk's database (migrated here)."""
    context = workload.context(settings)
    try:
        await prepare(context)
        return [await prepare_answer(context, workload, CASE) for _ in range(count)]
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()


async def measure_desk(
    workload: Workload,
    directory: Path,
    backend: Backend,
    *,
    mode: str,
    workers: int,
    rounds: int,
    answers: int,
    concurrency: int,
) -> tuple[dict[str, Any], list[Prepared]]:
    """Answers per second through ``workers`` desk workers in ``mode``; the summary and the
    timed answers (their presentations feed the bare baseline)."""
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    warm_up = 2 * concurrency * workers
    figures = ServiceLoad(unit="answers")
    name = f"desk-{mode.replace('.', '-')}-{backend.name}-{workers}"
    async with fresh_database(backend, directory / name, "verifier") as url:
        settings = desk_settings(workload, public_url, database_url=url, mode=mode)
        prepared = await _prepared(workload, settings, warm_up + rounds * answers)
        environment = workload.environment(public_url, mode=mode)
        environment["AANSPRAAK_VERIFIER_DATABASE_URL"] = url
        async with served(
            "verifier.serve:app_from_environment",
            name=name,
            settings=environment,
            data_dir=workload.data_dir,
            workers=workers,
            concurrency=concurrency,
            port=port,
        ) as server:
            await post_answers(server.client, prepared[:warm_up], concurrency)
            fetched = workload.agencies.fetches
            for number in range(rounds):
                batch = prepared[warm_up + number * answers : warm_up + (number + 1) * answers]
                work = post_answers(server.client, batch, concurrency)
                await figures.round(server.process.pid, work, lambda done: (len(done), done))
            fetched_while_timing = workload.agencies.fetches - fetched
            figures.peak_rss_bytes = server.peak_rss()
        stored = await stored_outcomes(workload, settings)
    require_path(stored == {EXPECTED: len(prepared)}, "desk: every answer decided eligible")
    summary = figures.summary() | {"agency_fetches_while_timing": fetched_while_timing}
    return summary, prepared[warm_up:]
