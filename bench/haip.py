"""What strict HAIP 1.0 mode costs: the same phone operations in a town of plain roles and in
a town where every role is strict (``aanspraak.town(haip=True)``), measured in one run.

Run ``python -m bench.haip`` (``--quick`` for a smoke run, ``--json`` for machines).

* receive: one household-income credential (batch of 1) through the wallet service. Plain:
  the agency's offer with a pre-authorized code and tx_code, Bearer token. Strict: the
  authorization code flow (PAR with PKCE and a wallet attestation, the browser's round trip
  through the development authenticator, the token request with DPoP and the attestation,
  a key attestation in the proof, ``x5c`` chains anchored in a configured root).
* answer: one zorgtoeslag presentation through the wallet service. Plain: the default desk.
  Strict: ``x509_hash`` without the anchor, ``A256GCM``, ``trusted_authorities`` checked on
  both sides, the issuers' chains validated to the configured roots.

Each figure is the median wall time of one sequential operation over ``--count`` operations
after ``--warmup``; the ratio is plain / strict time (1.0: strict mode costs nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from aanspraak.town import Town, running_town
from bench.sd_jwt import environment
from bench.sequential import command, print_table, summary_row, timed
from bench.wallet_service import CREDENTIALS, FAST_KDF, SLOTS, _link, _phones

INCOME = dict(CREDENTIALS[2][1])


async def _measure(town: Town, *, strict: bool, count: int, warmup: int) -> dict[str, list[float]]:
    key = await town.desk_key(["zorgtoeslag"])
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=town.desk_url, headers=headers, trust_env=False
    ) as officer:
        phones = await _phones(town, count + warmup)
        answers = iter([(p, i) for p in phones for i in range(SLOTS)])
        phone = phones[0]
        if strict:
            town.register_subject("household_income", "bench-citizen", INCOME)

        async def receive() -> None:
            if strict:
                await phone.receive_by_authorization(
                    town.issuer_url, "household_income", login_hint="bench-citizen", instances=1
                )
                return
            offer = await town.offer("household_income", INCOME, batch_size=1)
            await phone.accept_offer(offer.link_by_reference, tx_code=offer.tx_code, instances=1)

        async def answer() -> None:
            answering, _slot = next(answers)
            opened = await answering.open_request(await _link(town, officer))
            sent = await answering.approve(opened["id"])
            if sent["desk"]["status_code"] != 200:
                raise RuntimeError("the desk refused the answer")

        figures = {
            "receive": await timed(receive, count, warmup),
            "answer": await timed(answer, count, warmup),
        }
        for each in phones:
            await each.__aexit__(None, None, None)
    return figures


def _run_town(*, strict: bool, count: int, warmup: int) -> dict[str, list[float]]:
    with contextlib.ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aanspraak-haip-")))
        town = stack.enter_context(
            running_town(
                data,
                haip=strict,
                wallet_overrides=FAST_KDF,
                issuer_overrides={"max_batch_size": SLOTS},
            )
        )
        return asyncio.run(_measure(town, strict=strict, count=count, warmup=warmup))


def run(count: int, warmup: int) -> dict[str, Any]:
    started = time.perf_counter()
    plain = _run_town(strict=False, count=count, warmup=warmup)
    strict = _run_town(strict=True, count=count, warmup=warmup)
    figures: dict[str, dict[str, float]] = {}
    for kind in ("receive", "answer"):
        baseline, haip = summary_row(plain[kind]), summary_row(strict[kind])
        haip["ratio_to_plain"] = round(baseline["p50_ms"] / haip["p50_ms"], 2)
        figures[f"{kind}: plain"] = baseline
        figures[f"{kind}: strict HAIP"] = haip
    return {
        "count": count,
        "warmup": warmup,
        "environment": environment(),
        "figures": figures,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


def print_report(report: dict[str, Any]) -> None:
    print_table(
        report,
        title="Strict HAIP mode vs plain roles, through the wallet service (loopback, SQLite)",
        ratio_key="ratio_to_plain",
        width=28,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return command(
        argv,
        prog="python -m bench.haip",
        description="The wallet service's receive and answer, plain roles vs strict HAIP.",
        default_count=30,
        run=run,
        print_report=print_report,
    )


if __name__ == "__main__":
    sys.exit(main())
