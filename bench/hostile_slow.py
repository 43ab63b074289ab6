"""H-04 in ``bench.hostile``: slow clients against a real uvicorn, and a legitimate wallet
answering meanwhile.

``connections`` sockets each start a request and then send one byte a second: either the
header section (slowloris) or, after complete headers announcing 1,000 bytes, the body.
The figure is how long the server keeps such a connection: until it closes it, or until
``hold`` seconds, when the bench gives up (then the connection was never closed: a
finding, since every slow client holds a socket and a task for as long as it likes).
During the hold, prepared answers are posted one after the other; their latency says
whether other clients were affected.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from bench.hostile_measure import Row, high_water_growth, reset_high_water
from bench.hostile_rig import FORM, RESPONSE_PATH, Verifier
from runtime.slow_clients import READ_DEADLINE_SECONDS

BYTE_INTERVAL = 1.0


async def _slow_client(verifier: Verifier, *, body: bool, hold: float) -> float | None:
    """Seconds until the server closed the connection; None if it was still open at ``hold``."""
    host, port = verifier.address
    reader, writer = await asyncio.open_connection(host, port)
    started = time.perf_counter()
    head = f"POST {RESPONSE_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if body:
        head += f"Content-Type: {FORM}\r\nContent-Length: 1000\r\n\r\n"
    else:
        head += "X-Slow: "
    closed = asyncio.ensure_future(reader.read(65536))
    try:
        writer.write(head.encode("ascii"))
        while time.perf_counter() - started < hold:
            await asyncio.wait([closed], timeout=BYTE_INTERVAL)
            if closed.done():
                return time.perf_counter() - started
            writer.write(b"a")
            try:
                await writer.drain()
            except ConnectionError:
                return time.perf_counter() - started
        return None
    finally:
        closed.cancel()
        writer.close()


async def _legitimate(verifier: Verifier, until: float, latencies: list[float]) -> Counter[int]:
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(base_url=verifier.url, timeout=60) as client:
        while time.perf_counter() < until and verifier.answers:
            answer = verifier.answer()
            started = time.perf_counter()
            response = await client.post(
                RESPONSE_PATH, content=answer.body, headers={"Content-Type": FORM}
            )
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1
            await asyncio.sleep(0.5)
    return statuses


async def slow_rows(verifier: Verifier, *, connections: int, hold: float) -> list[Row]:
    rows = []
    for body in (False, True):
        what = "body" if body else "headers"
        row = Row("H-04", f"{connections} clients sending {what} at 1 byte/s")
        legitimate = Row("H-04", f"legitimate answers meanwhile ({what})")
        base = reset_high_water(verifier.pid)
        until = time.perf_counter() + hold
        slow = asyncio.gather(
            *(_slow_client(verifier, body=body, hold=hold) for _ in range(connections))
        )
        kept, statuses = await asyncio.gather(slow, _legitimate(verifier, until, legitimate.times))
        row.rss_growth = high_water_growth(verifier.pid, base)
        closed = [seconds for seconds in kept if seconds is not None]
        if len(closed) == len(kept):
            row.times = closed
            row.outcome = "closed by the server"
            row.deadline = READ_DEADLINE_SECONDS  # designed: runtime.slow_clients
        else:
            row.times = [hold]
            row.outcome = f"{len(kept) - len(closed)}/{len(kept)} still open at {hold:.0f} s"
        legitimate.outcome = ", ".join(f"{s} x{n}" for s, n in sorted(statuses.items()))
        rows += [row, legitimate]
    return rows
