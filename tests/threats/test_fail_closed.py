"""A running desk with a dependency down: "cannot verify", never eligible, and it recovers.

The desk is the verifier service on a real loopback socket (``tests.verifier.live``); the
desk's API is called over HTTP, and the wallet answers over HTTP. Two dependencies go down
and come back while the same desk process keeps running:

* a status list endpoint (the agency answers 503, as ``tests.verifier.agencies`` allows);
* the trust registry's chain node: the desk reads the registry contract through JSON-RPC
  (``ChainTrustRegistry`` from ``TrustSettings``, as ``verifier.serve`` builds it) from a node
  on loopback that is stopped (connection refused) and started again on the same port.

While a dependency is down (and no cached copy may serve), an answer is "undetermined" with
its cause, the wallet is told 200 (OpenID4VP 1.0 §8.2: the answer was received), and a new
transaction is the designed 503 with ``Retry-After`` when the registry itself is unreadable.
Nothing is ever "eligible" then, and nothing is a 500. Once the dependency is back, the next
presentation is decided again, with no restart. An undetermined answer is recorded (the
documented state change: the request is spent and the desk keeps the "cannot verify" record);
the refused start changes nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.fetch_guard import FetchReason
from specs.errors import TrustReason
from specs.trust import TrustSnapshot
from tests.threats.chain_node import ChainNode, deployed_chain, served
from tests.threats.invariants import no_server_error, snapshot
from tests.trust.conftest import YEAR, chain_now
from tests.verifier.live import LiveDesk, live_desk
from tests.verifier.refusals import EXPECTED, eligible_case
from trust.backend import registry_from_settings
from trust.contract import TrustRegistryContract
from trust.settings import TrustSettings

INSURER = "https://zorgverzekeraar.example"
POLL = 10
STALENESS = 60


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveDesk]:
    with live_desk(tmp_path) as serving:
        serving.give(eligible_case())
        yield serving


def start(live: LiveDesk) -> httpx.Response:
    return httpx.post(
        f"{live.url}/desk/transactions",
        json={"regulation": "zorgtoeslag"},
        headers=live.desk.headers(),
        timeout=30,
    )


def present(live: LiveDesk, started: dict[str, Any]) -> dict[str, Any]:
    """The wallet answers over HTTP; the desk's result, read over HTTP."""
    answered = live.run(live.wallet.answer(started["link"]))
    no_server_error(answered)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {}
    result = httpx.get(
        f"{live.url}/desk/transactions/{started['transaction_id']}",
        headers=live.desk.headers(),
        timeout=30,
    )
    no_server_error(result)
    assert result.status_code == 200, result.text
    body: dict[str, Any] = result.json()
    return body


def started_transaction(live: LiveDesk) -> dict[str, Any]:
    response = start(live)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_cannot_verify(result: dict[str, Any], cause: str) -> None:
    assert result["status"] == "undetermined"
    record = result["decision"]["record"]
    assert record["outcome"] == "undetermined"
    assert record["cause"] == cause
    assert record["amount_cents"] is None


def test_status_list_down_then_back(live: LiveDesk) -> None:
    agency = live.desk.agencies[INSURER]
    assert present(live, started_transaction(live))["status"] == EXPECTED  # fills the cache
    agency.status_down = True
    live.desk.clock.advance(agency.status_ttl + 1)  # the cached copy is past its ttl
    for _ in range(2):  # and stays "cannot verify" for as long as the list is down
        result = present(live, started_transaction(live))
        assert_cannot_verify(result, f"status-list-{FetchReason.HTTP_STATUS.value}")
    agency.status_down = False  # back: the same desk decides again
    assert present(live, started_transaction(live))["status"] == EXPECTED


def _registry_of(snapshot: TrustSnapshot, chain_time: int, now: int) -> dict[str, Any]:
    """The desk's registry as governance would write it on chain, valid around both the
    desk's clock and the chain's block time (eth-tester blocks follow the wall clock)."""
    start, end = min(now, chain_time) - YEAR, max(now, chain_time) + YEAR
    return {
        "issuers": [
            dataclasses.replace(e, valid_from=start, valid_until=end)
            for e in snapshot.issuers.values()
        ],
        "verifiers": [
            dataclasses.replace(v, valid_from=start, valid_until=end)
            for v in snapshot.verifiers.values()
        ],
        "anchors": list(snapshot.anchors.values()),
    }


@pytest.fixture
def chain_desk(live: LiveDesk) -> Iterator[tuple[LiveDesk, ChainNode]]:
    """``live`` reading its registry from a chain node instead of the trust list file."""
    key = hashlib.sha256(b"fail-closed governance").digest()
    chain, writer = deployed_chain(key)
    now = live.desk.clock()
    current = live.desk.context.trust.snapshot(now=now)
    writer.seed(**_registry_of(current, chain_now(chain), now))
    with served(chain) as node:
        live.desk.context.trust = _reader(node, chain.eth.chain_id, writer)
        yield live, node


def _reader(node: ChainNode, chain_id: int, writer: TrustRegistryContract) -> Any:
    settings = TrustSettings(
        rpc_url=node.url,
        chain_id=chain_id,
        contract_address=writer.address,
        poll_interval_seconds=POLL,
        max_staleness_seconds=STALENESS,
        rpc_timeout_seconds=1,
    )
    return registry_from_settings(settings)


def test_chain_node_down_then_back(chain_desk: tuple[LiveDesk, ChainNode]) -> None:
    live, node = chain_desk
    assert present(live, started_transaction(live))["status"] == EXPECTED  # read from chain
    pending = started_transaction(live)
    node.stop()
    live.desk.clock.advance(POLL)  # a refresh fails; the last snapshot is within staleness
    assert present(live, started_transaction(live))["status"] == EXPECTED
    live.desk.clock.advance(STALENESS)  # now past it: fail closed
    assert_cannot_verify(present(live, pending), TrustReason.REGISTRY_STALE.value)
    before = asyncio.run(snapshot(live.desk.context.settings.database_url))
    refused = start(live)  # a new question cannot even be asked: the designed 503
    assert asyncio.run(snapshot(live.desk.context.settings.database_url)) == before
    no_server_error(refused, planned_503=True)
    assert refused.status_code == 503
    assert refused.json()["error"] == "temporarily_unavailable"
    node.start()  # the same port: the desk process is not restarted
    live.desk.clock.advance(POLL)
    assert present(live, started_transaction(live))["status"] == EXPECTED
