"""Discovery for an account of the service: "Did you know you are entitled to ...?".

The regulations are the published files the registry anchors (``regulation_shelf``); the
facts are the claims of the account's own credentials, opened with its vault key inside the
request that the citizen's device signed. Nothing is sent anywhere and nothing but the
reduced outcomes (regulation, status, amount: ``discovery.RememberedOutcome``) is kept,
sealed, to tell the next scan what changed; a change becomes a sealed "Note: ..." notice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from specs.rules import HeldCredential
from wallet import records
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.discovery import (
    DiscoveryReport,
    agencies_by_vct,
    discover,
)
from wallet.notices import (
    notices_between,
    remembered_as_dict,
    remembered_from_dict,
)
from wallet.regulation_shelf import load_shelf


def scan(context: WalletContext, held: list[HeldCredential]) -> DiscoveryReport:
    """Every anchored, discoverable regulation in force today against ``held``."""
    now = context.clock()
    snapshot = context.snapshot(now=now)
    shelf = load_shelf(snapshot, now=now)
    return discover(
        shelf.accepted,
        held,
        on=dt.datetime.fromtimestamp(now, dt.UTC).date(),
        agencies=agencies_by_vct(snapshot, now=now),
    )


async def remember(
    connection: AsyncConnection, session: Session, report: DiscoveryReport, *, now: int
) -> list[dict[str, Any]]:
    """Keep ``report``'s outcomes; notices for what changed since the last kept scan."""
    kept = await records.load(connection, session, records.OUTCOMES, now=now)
    new_notices: list[dict[str, Any]] = []
    if kept:
        before = remembered_from_dict(kept[0][1]["outcomes"])
        for notice in notices_between(before, report):
            payload = {**notice.as_dict(), "at": now}
            payload["id"] = await records.add(connection, session, records.NOTICE, payload)
            new_notices.append(payload)
    await records.remove(connection, session, records.OUTCOMES)
    await records.add(
        connection, session, records.OUTCOMES, {"outcomes": remembered_as_dict(report.remember())}
    )
    return new_notices
