"""An agency rotates its signing key: the desk learns the new key from the agency's metadata.

The desk caches an issuer's keys (``issuer_metadata_ttl_seconds``). A credential naming a
``kid`` the cached metadata lacks makes the desk fetch the metadata again, but at most once
a minute per issuer: an answer with an invented ``kid`` cannot turn every request into a
fetch. Before that minute the answer is refused (``issuer-key-not-found``); after it, the
new key is found, and the registry (which governance updated) vouches for it.
"""

from __future__ import annotations

from specs.errors import SdJwtVcReason
from tests.verifier.agencies import new_agency_key
from tests.verifier.conftest import Desk, scenario
from tests.verifier.refusals import assert_consumed, assert_wire_error
from tests.verifier.wallet import TestWallet
from verifier.pipeline import KEY_REFRESH_SECONDS

CASE = ("zorgtoeslag", "single_income_35000")
TAX_OFFICE = "https://belastingdienst.example"


async def _answer(desk: Desk) -> tuple[dict[str, str], int]:
    wallet = TestWallet(desk.client, desk.clock)
    desk.give(scenario(*CASE), wallet)
    started = await desk.start("zorgtoeslag")
    response = await wallet.answer(started["link"])
    return started, response.status_code


async def test_a_new_issuer_key_is_fetched_once_the_cached_copy_is_a_minute_old(
    desk: Desk,
) -> None:
    _started, status = await _answer(desk)  # the desk caches the tax office's metadata now
    assert status == 200
    desk.agencies[TAX_OFFICE].key = new_agency_key()
    desk.clock.advance(10)
    desk.republish_trust_list()

    soon, status = await _answer(desk)
    assert status == 400
    await assert_consumed(desk, soon, SdJwtVcReason.ISSUER_KEY_NOT_FOUND)

    desk.clock.advance(KEY_REFRESH_SECONDS)
    later, status = await _answer(desk)
    assert status == 200
    assert (await desk.result(later["transaction_id"])).json()["status"] == "eligible"


async def test_an_invented_kid_does_not_refetch_within_the_minute(desk: Desk) -> None:
    _started, status = await _answer(desk)
    assert status == 200
    desk.agencies[TAX_OFFICE].metadata_down = True  # a refetch would now fail the request
    desk.agencies[TAX_OFFICE].key = new_agency_key()  # credentials carry an unknown kid
    started = await desk.start("zorgtoeslag")
    wallet = TestWallet(desk.client, desk.clock)
    desk.give(scenario(*CASE), wallet)
    response = await wallet.answer(started["link"])
    assert_wire_error(response, SdJwtVcReason.ISSUER_KEY_NOT_FOUND)  # no fetch was attempted
