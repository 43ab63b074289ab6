"""The same-device flow through the wallet service (HAIP §5.1, OpenID4VP 1.0 §8.2, §13.3).

The desk started the transaction for the browser on the citizen's phone and gave a
``redirect_uri``. After the wallet's answer the desk tells the wallet where to send the
citizen, with a fresh ``response_code``; the wallet service hands that on to the app, which
opens it in the browser. The desk releases the result only with that code: a redirect that is
not followed, or that lands in another session (another transaction's code), reads nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from aanspraak.town import Town
from tests.wallet.town_fixtures import desk_link, desk_result, new_citizen, receive_scenario
from tests.wallet.town_fixtures import zorgtoeslag as scenario_of
from wallet.device_client import WalletServiceClient


async def _answer(
    town: Town, phone: WalletServiceClient, redirect_uri: str
) -> tuple[str, str, str]:
    """The phone answers a same-device request; the desk's redirect, transaction id and key."""
    link, transaction_id, key = await desk_link(town, redirect_uri=redirect_uri)
    opened = await phone.open_request(link)
    sent = await phone.approve(opened["id"])
    assert sent["status"] == "sent"
    assert sent["desk"]["status_code"] == 200
    return str(sent["desk"]["redirect_uri"]), transaction_id, key


def _code(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).fragment)["response_code"][0]


async def test_haip_5_1_the_result_is_released_only_to_the_session_the_redirect_reaches(
    town: Town,
) -> None:
    page = f"{town.desk_url}/desk/page"
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, scenario_of("single_income_35000"))
        redirect, transaction_id, key = await _answer(town, phone, page)
        assert redirect.startswith(page + "#response_code=")

        # The app follows the redirect: the browser loads the desk's page, whose script reads
        # the code from the fragment (never sent to a server, so never in an access log).
        async with httpx.AsyncClient(trust_env=False) as browser:
            landed = await browser.get(redirect)
        assert landed.status_code == 200
        assert "text/html" in landed.headers["content-type"]

        not_followed = await desk_result(town, transaction_id, key)
        assert not_followed["http_status"] == 403
        assert not_followed["error"] == "forbidden"

        other_redirect, other_id, other_key = await _answer(town, phone, page)
        other_code = _code(other_redirect)
        elsewhere = await desk_result(town, transaction_id, key, response_code=other_code)
        assert elsewhere["http_status"] == 403
        assert "decision" not in elsewhere

        followed = await desk_result(town, transaction_id, key, response_code=_code(redirect))
        assert followed["http_status"] == 200
        assert followed["status"] == "eligible"
        other = await desk_result(town, other_id, other_key, response_code=other_code)
        assert other["status"] == "eligible"
