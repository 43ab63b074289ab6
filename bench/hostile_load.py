"""Legitimate verifications under attack: part two of ``bench.hostile``.

One verifier process (``bench.hostile_rig``). Prepared ``direct_post.jwt`` answers are
posted ``concurrency`` at a time, first in quiet, then while a load generator keeps
``in_flight`` hostile requests open against the same server. The generator is a separate
process (``python -m bench.hostile_load <url> <in_flight> <kid>``), so its client work does
not run on the legitimate client's event loop; it runs until its standard input closes and
then prints its status counts as JSON. Its mix, in turn:

* an oversized body (576 kB with ``Content-Length``; the server answers 413 and closes);
* five segments that are not a JWE;
* a well-formed ``direct_post`` for a state that does not exist;
* a broken form (bad percent escapes, a repeated parameter);
* a PBES2 JWE naming an open transaction's key (refused on its header).

Printed: p50 and p99 of the legitimate posts in quiet and under attack, their ratio (target
<= 3), and the hostile requests' status counts (no 5xx but a designed 503). Client, load
generator and server share the machine's cores, so the ratio also says how much CPU the
attack takes from the server; that is the point of measuring on one machine.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx

from bench.hostile_inputs import (
    broken_form,
    garbage_jwe_form,
    jwe_form,
    pbes2_jwe,
    unknown_state_form,
)
from bench.hostile_rig import FORM, RESPONSE_PATH, Verifier
from bench.http_load import bounded, percentiles
from bench.verifier_workload import Prepared, require

TARGET_RATIO = 3.0
OVERSIZED = b"vp_token=" + b"a" * (576 * 1024)


def hostile_body(number: int, kid: str) -> tuple[bytes, str]:
    """The ``number``-th request of the mix: its body and content type."""
    kind = number % 5
    if kind == 0:
        return OVERSIZED, FORM
    if kind == 1:
        return garbage_jwe_form(number), FORM
    if kind == 2:
        return unknown_state_form(number), FORM
    if kind == 3:
        return broken_form(number), FORM
    return jwe_form(pbes2_jwe(kid, 10**9)), FORM


async def attack(url: str, in_flight: int, kid: str, stop: asyncio.Event) -> Counter[str]:
    """``in_flight`` workers posting the mix until ``stop``; status counts (``closed`` when
    the server hung up before an answer could be read, as it may after a 413)."""
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker(first: int) -> None:
            number = first
            while not stop.is_set():
                body, content_type = hostile_body(number, kid)
                try:
                    response = await client.post(
                        RESPONSE_PATH, content=body, headers={"Content-Type": content_type}
                    )
                    statuses[str(response.status_code)] += 1
                except httpx.TransportError:
                    statuses["closed"] += 1
                number += in_flight

        await asyncio.gather(*(worker(first) for first in range(in_flight)))
    return statuses


async def _attacker_main(url: str, in_flight: int, kid: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running = asyncio.ensure_future(attack(url, in_flight, kid, stop))
    print("ready", flush=True)
    await reader.read()  # until the parent closes our standard input
    stop.set()
    print(json.dumps(dict(await running)), flush=True)


async def _post_all(
    client: httpx.AsyncClient, answers: Sequence[Prepared], concurrency: int
) -> list[float]:
    async def one(prepared: Prepared) -> float:
        started = time.perf_counter()
        response = await client.post(
            RESPONSE_PATH, content=prepared.body, headers={"Content-Type": FORM}
        )
        latency = time.perf_counter() - started
        require(response.status_code == 200, f"load: legitimate answer got {response.status_code}")
        return latency

    return await bounded(answers, one, concurrency)


async def measure_load(
    verifier: Verifier, *, answers: int, concurrency: int, in_flight: int
) -> dict[str, Any]:
    """Quiet, then under attack: ``answers`` legitimate posts each (see the docstring)."""
    quiet_batch = [verifier.answer() for _ in range(answers)]
    attacked_batch = [verifier.answer() for _ in range(answers)]
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=verifier.url, timeout=120, limits=limits) as client:
        quiet = await _post_all(client, quiet_batch, concurrency)
        attacker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.hostile_load",
            verifier.url,
            str(in_flight),
            verifier.kid,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert attacker.stdin is not None
        assert attacker.stdout is not None
        require((await attacker.stdout.readline()).strip() == b"ready", "load: attacker start")
        attacking = time.perf_counter()
        await asyncio.sleep(1.0)  # let it reach its full in-flight count
        attacked = await _post_all(client, attacked_batch, concurrency)
        attacker.stdin.close()
        elapsed = time.perf_counter() - attacking  # the attacker's whole run
        hostile = json.loads((await attacker.stdout.read()).decode("ascii") or "{}")
        await attacker.wait()
    quiet_p50, quiet_p99 = percentiles(quiet)
    attacked_p50, attacked_p99 = percentiles(attacked)
    server_errors = {s: n for s, n in hostile.items() if s.isdigit() and int(s) >= 500}
    return {
        "answers": answers,
        "concurrency": concurrency,
        "in_flight": in_flight,
        "quiet_p50_ms": quiet_p50 * 1000,
        "quiet_p99_ms": quiet_p99 * 1000,
        "attacked_p50_ms": attacked_p50 * 1000,
        "attacked_p99_ms": attacked_p99 * 1000,
        "ratio": attacked_p99 / quiet_p99,
        "target": TARGET_RATIO,
        "met": attacked_p99 / quiet_p99 <= TARGET_RATIO and not server_errors,
        "hostile_statuses": hostile,
        "hostile_sent": sum(hostile.values()),
        "hostile_per_second": sum(hostile.values()) / elapsed if elapsed else 0.0,
        "server_errors": server_errors,
    }


if __name__ == "__main__":
    asyncio.run(_attacker_main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
