"""Concurrent credential requests share status lists without collisions or overfilling.

On PostgreSQL the requests really run in parallel transactions (on SQLite one process
writes one at a time); both must end with every index allocated once, each list filled no
further than its fill ratio allows (plus at most one batch), and no request failing.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from issuer.tables import status_entries, status_lists
from tests.issuer.conftest import Issuer
from tests.issuer.test_credential_endpoint import _session, body_with

BATCH = 10
ROUNDS = 4
PARALLEL = 16


async def test_parallel_batches_fill_lists_once_each_and_never_fail(issuer: Issuer) -> None:
    for _ in range(ROUNDS):
        sessions = [await _session(issuer, batch_size=BATCH) for _ in range(PARALLEL)]
        bodies = [body_with(await s.proofs(BATCH)) for s in sessions]
        responses = await asyncio.gather(
            *(s.request(body) for s, body in zip(sessions, bodies, strict=True))
        )
        assert [r.status_code for r in responses] == [200] * PARALLEL, [
            r.text for r in responses if r.status_code != 200
        ]
    settings = issuer.context.settings
    limit = int(settings.status_list_size * settings.status_list_fill_ratio)
    async with issuer.context.read() as connection:
        counted = dict(
            (
                await connection.execute(
                    select(status_entries.c.list_id, func.count()).group_by(
                        status_entries.c.list_id
                    )
                )
            ).all()
        )
        lists = (await connection.execute(select(status_lists))).all()
    assert sum(counted.values()) == ROUNDS * PARALLEL * BATCH
    assert len(lists) == 2  # 640 entries: the first list closes past 512, one more opens
    for row in lists:
        assert row.allocated == counted[row.id]
        assert row.allocated < limit + BATCH
    assert [row.open for row in sorted(lists, key=lambda r: r.id)] == [False, True]
