"""The desk under each client identifier prefix it can be configured with (§5.9.3).

``x509_hash`` (the default) is what every other test uses. Here: ``x509_san_dns`` (the
certificate names the host of ``public_url``; the wallet must trust the certificate) and
``redirect_uri`` (unsigned requests, development only). The whole flow must decide the same,
and the KB-JWT's audience is each time the full identifier, prefix included.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from specs.jose import b64url_decode, loads_strict
from tests.verifier.conftest import running_desk, scenario
from tests.verifier.wallet import Tamper, TestWallet

CASE = ("zorgtoeslag", "single_income_35000")


async def test_x509_san_dns(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/san.db"
    overrides = {"client_id_prefix": "x509_san_dns", "public_url": "http://localhost:8003"}
    async with running_desk(tmp_path, url, **overrides) as desk:
        assert desk.context.client_id == "x509_san_dns:localhost"
        transport = httpx.ASGITransport(app=desk.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8003") as c:
            roots = [desk.context.identity.certificates[-1]]  # the development CA
            wallet = TestWallet(c, desk.clock, trust_roots=roots)
            desk.give(scenario(*CASE), wallet)
            started = await desk.start("zorgtoeslag")
            request = await wallet.fetch_request(started["link"])
            assert request.response_uri.startswith("http://localhost:8003/")
            response = await wallet.post(request, wallet.response_form(request, Tamper()))
            assert response.status_code == 200, response.text
        result = (await desk.result(started["transaction_id"])).json()
        assert result["status"] == "eligible"
        assert result["decision"]["record"]["iss"] == "x509_san_dns:localhost"


async def test_redirect_uri_requests_are_unsigned(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/redirect.db"
    async with running_desk(tmp_path, url, client_id_prefix="redirect_uri") as desk:
        assert desk.context.client_id == "redirect_uri:" + desk.context.response_uri
        desk.give(scenario(*CASE))
        started = await desk.start("zorgtoeslag")
        raw = (await desk.client.get(started["request_uri"])).text
        assert parse_compact_jws_header(raw)["alg"] == "none"
        response = await desk.wallet.answer(started["link"])
        assert response.status_code == 200, response.text
        assert (await desk.result(started["transaction_id"])).json()["status"] == "eligible"


def parse_compact_jws_header(token: str) -> dict[str, object]:
    header = token.split(".", 1)[0]

    loaded: dict[str, object] = loads_strict(b64url_decode(header))
    return loaded
