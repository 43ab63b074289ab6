"""The [DoS] cases of ``bench.hostile`` that go to a running service over HTTP.

The verifier (P-21, V-11, H-01, H-02, H-04, H-07's result endpoint) and the issuer (I-17,
H-07's token endpoint) run as uvicorn processes (``bench.hostile_rig``). Each request is
timed from the client, from sending to the full answer; the memory figure is the growth of
the SERVER's RSS high-water mark over the case (``bench.hostile_measure``): growth above what
the server already held, which is what a long-running service pays.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from bench.hostile_inputs import (
    MIB,
    deflate_jwe,
    form_prefix,
    jwe_form,
    many_fields,
    multipart_headers,
    pbes2_jwe,
)
from bench.hostile_measure import Row, high_water_growth, reset_high_water
from bench.hostile_rig import (
    FORM,
    RESPONSE_PATH,
    Service,
    Verifier,
    post_chunked,
    post_declared,
)
from specs.jose import JwsAlg, generate_private_key

MAX_BODY = 512 * 1024
"""The verifier's ``max_request_bytes`` default (``verifier.settings``)."""


def wire_outcome(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", "")
    except ValueError:
        error = ""
    return f"{response.status_code} {error}".strip()


async def over_http(
    row: Row, service: Service, call: Callable[[], Awaitable[str]], *, repetitions: int
) -> Row:
    """``repetitions`` timed calls, each giving its outcome; the server's peak over them."""
    base = reset_high_water(service.pid)
    outcomes = set()
    for _ in range(repetitions):
        started = time.perf_counter()
        outcomes.add(await call())
        row.times.append(time.perf_counter() - started)
    row.rss_growth = high_water_growth(service.pid, base)
    row.outcome = " / ".join(sorted(outcomes))
    return row


async def verifier_rows(verifier: Verifier, *, repetitions: int) -> list[Row]:
    key = generate_private_key(JwsAlg.ES256)
    prefix = form_prefix(key)
    over_limit = b"vp_token=" + b"a" * (MAX_BODY + 64 * 1024)
    multipart, multipart_type = multipart_headers(10_000)
    fields = many_fields(100_000)
    pbes2 = jwe_form(pbes2_jwe(verifier.kid, 10**9))
    deflate = jwe_form(deflate_jwe(verifier.kid, 1024, max_chars=MAX_BODY - 1024))

    def declared(size: int, head: bytes = prefix) -> Callable[[], Awaitable[str]]:
        async def call() -> str:
            answer = await post_declared(verifier, RESPONSE_PATH, declared=size, prefix=head)
            return answer.outcome

        return call

    def posted(body: bytes, content_type: str = FORM) -> Callable[[], Awaitable[str]]:
        """The whole body on a raw socket: a server that refuses while it is still being
        sent may close early, and its answer is still read."""

        async def call() -> str:
            answer = await post_declared(
                verifier,
                RESPONSE_PATH,
                declared=len(body),
                prefix=body,
                content_type=content_type,
            )
            return answer.outcome

        return call

    sent: list[int] = []

    async def chunked() -> str:
        answer = await post_chunked(verifier, RESPONSE_PATH, limit=64 * MIB)
        sent.append(answer.sent)
        return answer.outcome

    cases: list[tuple[str, str, Callable[[], Awaitable[str]]]] = [
        ("P-21", "POST declaring 10 MB (600 B sent)", declared(10 * MIB)),
        ("P-21", "POST declaring 1 MB (600 B sent)", declared(MIB)),
        ("P-21", "POST declaring 500 MB (600 B sent)", declared(500 * MIB)),
        ("V-11", "JWE, PBES2 p2c = 10^9", posted(pbes2)),
        ("V-11", "JWE, zip DEF of 1 GiB (cut to the cap)", posted(deflate)),
        ("H-01", "576 kB body with Content-Length", declared(len(over_limit), over_limit)),
        ("H-01", "chunked body, no Content-Length", chunked),
        ("H-02", "urlencoded, 100,000 fields (790 kB)", posted(fields)),
        ("H-02", "one 50 MB field (declared)", declared(50 * MIB, b"vp_token=" + b"a" * 500)),
        ("H-02", "multipart, 10,000 part headers", posted(multipart, multipart_type)),
    ]
    rows = []
    for case, label, call in cases:
        row = await over_http(Row(case, label), verifier, call, repetitions=repetitions)
        if call is chunked:
            row.note = f"sent <= {max(sent) / MIB:.1f} MiB before the answer"
        rows.append(row)
    return rows


async def flood(
    service: Service,
    row: Row,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    count: int,
    concurrency: int = 16,
) -> Row:
    """``count`` requests from one client address, ``concurrency`` in flight: latencies,
    status counts, requests per second, and the server's peak over the flood."""
    statuses: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)

    async with httpx.AsyncClient(base_url=service.url, timeout=60, limits=limits) as client:

        async def one(number: int) -> None:
            async with gate:
                started = time.perf_counter()
                response = await request(client, number)
                row.times.append(time.perf_counter() - started)
                statuses[str(response.status_code)] += 1

        base = reset_high_water(service.pid)
        started = time.perf_counter()
        await asyncio.gather(*(one(number) for number in range(count)))
        elapsed = time.perf_counter() - started
        row.rss_growth = high_water_growth(service.pid, base)
    row.outcome = ", ".join(f"{status} x{n}" for status, n in sorted(statuses.items()))
    row.note = f"{count / elapsed:,.0f} requests/s"
    return row


async def result_flood(verifier: Verifier, *, count: int) -> Row:
    """H-07 at the desk: its result endpoint polled as fast as one client can, with a valid
    API key and a transaction started by another key (404, the isolation check included).
    The verifier has no rate limiter (only the issuer has one): no 429 is expected here."""
    headers = {"Authorization": f"Bearer {verifier.desk_key}"}
    path = f"/desk/transactions/{verifier.transaction_id}"

    async def request(client: httpx.AsyncClient, number: int) -> httpx.Response:
        del number
        return await client.get(path, headers=headers)

    return await flood(
        verifier,
        Row("H-07", f"result endpoint, {count:,} polls (no limiter)"),
        request,
        count=count,
    )


async def nonce_flood(issuer: Service, *, count: int, limited: bool) -> Row:
    """I-17: the nonce endpoint from one address; with and without the rate limiter."""

    async def request(client: httpx.AsyncClient, number: int) -> httpx.Response:
        del number
        return await client.post("/nonce")

    label = f"nonce endpoint, {count:,} requests" + (" (limit 600/min)" if limited else "")
    return await flood(issuer, Row("I-17", label), request, count=count)


async def token_flood(issuer: Service, *, count: int) -> Row:
    """H-07 at the issuer: the token endpoint with guessed pre-authorized codes."""

    async def request(client: httpx.AsyncClient, number: int) -> httpx.Response:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": f"guess-{number}",
            "tx_code": "123456",
        }
        return await client.post("/token", data=form)

    row = Row("H-07", f"token endpoint, {count:,} guesses (limit 600/min)")
    return await flood(issuer, row, request, count=count)
