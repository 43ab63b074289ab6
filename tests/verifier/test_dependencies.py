"""When the verifier cannot check, it does not decide (DESIGN §1 verifier/, THREATS R-08).

A status list, an issuer's metadata or the trust registry that cannot be read within its
allowed staleness is not a defect of the citizen's answer: the wallet gets the normal 200
(OpenID4VP 1.0 §8.2), and the desk a signed "undetermined: cannot verify" record that is
never eligible and carries no amount, so it can ask again later
(``tests.verifier.refusals.assert_undetermined``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.fetch_guard import FetchReason
from specs.errors import TrustReason
from tests.verifier.conftest import Desk
from tests.verifier.refusals import EXPECTED, assert_undetermined, ready

INSURER = "https://zorgverzekeraar.example"
TRUST_LIST = "trust-list.jwt"  # where conftest.make_desk writes it, under the test's tmp_path
REGISTRY_MAX_STALENESS = 300  # conftest.make_desk: FileTrustRegistry(..., 300)
STATUS_LIST_DOWN = f"status-list-{FetchReason.HTTP_STATUS.value}"
METADATA_DOWN = f"issuer-metadata-{FetchReason.HTTP_STATUS.value}"
"""The record's ``cause`` (``verifier.pipeline``) when the agency answers 503."""


async def test_status_list_down_with_nothing_cached(desk: Desk) -> None:
    desk.agencies[INSURER].status_down = True
    started = await ready(desk)
    record = await assert_undetermined(desk, started, await desk.wallet.answer(started["link"]))
    assert record["cause"] == STATUS_LIST_DOWN


async def test_status_list_down_while_the_cached_copy_is_fresh(desk: Desk) -> None:
    """The contrast: within its ``ttl`` the cached list still decides (Token Status List
    §13.7), so an outage shorter than the ``ttl`` costs nothing."""
    started = await ready(desk)
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    desk.agencies[INSURER].status_down = True
    desk.clock.advance(desk.agencies[INSURER].status_ttl - 10)
    again = await desk.start("zorgtoeslag")
    assert (await desk.wallet.answer(again["link"])).status_code == 200
    assert (await desk.result(again["transaction_id"])).json()["status"] == EXPECTED


async def test_status_list_down_after_its_ttl(desk: Desk) -> None:
    """The first answer fills the cache; past the list's ``ttl`` the cached copy is not
    used again, and with the list down the second transaction cannot be decided."""
    started = await ready(desk)
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    assert (await desk.result(started["transaction_id"])).json()["status"] == EXPECTED
    desk.agencies[INSURER].status_down = True
    desk.clock.advance(desk.agencies[INSURER].status_ttl + 1)
    again = await desk.start("zorgtoeslag")
    record = await assert_undetermined(desk, again, await desk.wallet.answer(again["link"]))
    assert record["cause"] == STATUS_LIST_DOWN


async def test_issuer_metadata_down(desk: Desk) -> None:
    """No keys to check the insurer's signature with: cannot verify, not "forged"."""
    desk.agencies[INSURER].metadata_down = True
    started = await ready(desk)
    record = await assert_undetermined(desk, started, await desk.wallet.answer(started["link"]))
    assert record["cause"] == METADATA_DOWN


@pytest.mark.parametrize("damage", ["garbage", "removed"])
async def test_trust_registry_stale(desk: Desk, tmp_path: Path, damage: str) -> None:
    """The trust list file turns unusable after the transaction started; the last good list
    serves for ``max_staleness`` seconds, after which the registry is stale (fail closed)."""
    started = await ready(desk)
    trust_list = tmp_path / TRUST_LIST
    assert trust_list.is_file()
    if damage == "garbage":
        trust_list.write_text("this is not a signed trust list")
    else:
        trust_list.unlink()
    desk.clock.advance(REGISTRY_MAX_STALENESS + 1)
    record = await assert_undetermined(desk, started, await desk.wallet.answer(started["link"]))
    assert record["cause"] == TrustReason.REGISTRY_STALE.value


async def test_trust_registry_damaged_but_within_staleness(desk: Desk, tmp_path: Path) -> None:
    """The contrast: within ``max_staleness`` the last good list still decides."""
    started = await ready(desk)
    (tmp_path / TRUST_LIST).write_text("this is not a signed trust list")
    desk.clock.advance(REGISTRY_MAX_STALENESS - 10)
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    assert (await desk.result(started["transaction_id"])).json()["status"] == EXPECTED
