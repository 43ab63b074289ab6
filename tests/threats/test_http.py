# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Threat catalogue, HTTP API and outbound fetching (H-01..H-13).

The inbound cases run against the three services of the town (``aanspraak.town``): the
issuer, the desk and the wallet service, each under its own uvicorn on a loopback socket, so
body limits, chunked bodies and slow clients meet the real server and the real middleware.
The outbound cases run the safe fetcher (``runtime.fetcher``) against small servers on
loopback (``tests.runtime.test_fetcher``) and each service's fetchers through its own API.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest

from aanspraak.town import Town, running_town
from runtime.fetch_guard import FetchReason
from runtime.fetcher import FetchPolicy, SafeFetcher
from runtime.slow_clients import ReadDeadline
from specs.errors import Oid4vpReason
from tests.runtime.test_fetcher import (
    JSON,
    Flood,
    Server,
    local,
    redirect,
    refused,
    reply,
    serve,  # noqa: F401 - fixture, by name
)
from tests.threats.invariants import bounded_memory, canary, leaks, no_server_error
from tests.threats.services import (
    issue_with_status_uri,
    live,  # noqa: F401 - fixture, by name
    on_desk,
    service_logs,
    wire_error_only,
)
from tests.verifier.conftest import Desk
from tests.verifier.live import LiveDesk
from tests.verifier.refusals import assert_still_open, assert_wire_error, eligible_case, ready
from tests.verifier.wallet import Tamper
from tests.wallet.town_fixtures import (
    FAST_KDF,
    INCOME_CLAIMS,
    new_citizen,
    town,  # noqa: F401 - fixture, by name
)

MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
READ_TIMEOUT = 20.0
"""Generous: a guard against a hang, never a measurement."""


def _roles(town: Town) -> dict[str, tuple[str, str, int]]:
    """Per service: its URL, an endpoint that takes a body, and its body cap."""
    return {
        "issuer": (town.issuer_url, "/token", town.issuer.settings.max_request_bytes),
        "verifier": (town.desk_url, "/wallet/response", town.desk.settings.max_request_bytes),
        "wallet": (town.wallet_url, "/v1/accounts", town.wallet.settings.max_request_bytes),
    }


ROLES = ["issuer", "verifier", "wallet"]


async def _exchange(url: str, raw: bytes, *, body_chunks: Iterable[bytes] = ()) -> bytes:
    """Send ``raw`` (a request head, maybe part of a body), then ``body_chunks`` until the
    server answers; return what it answered before it closed (a reset after its answer,
    for the body it never read, is expected)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    answer = bytearray()

    async def read() -> None:
        try:
            while chunk := await reader.read(65_536):
                answer.extend(chunk)
        except ConnectionError:
            pass

    reading = asyncio.create_task(read())
    try:
        writer.write(raw)
        await writer.drain()
        for chunk in body_chunks:
            if b"\r\n\r\n" in answer or reading.done():
                break  # answered: the server stopped reading
            writer.write(chunk)
            try:
                await writer.drain()
            except ConnectionError:
                break
            await asyncio.sleep(0.005)
        await asyncio.wait_for(reading, READ_TIMEOUT)
        return bytes(answer)
    finally:
        reading.cancel()
        writer.close()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


# H-01: bodies over each service's cap.


@pytest.mark.parametrize("role", ROLES)
async def test_H_01_declared_length_over_the_cap_is_413_before_the_body(
    town: Town, role: str
) -> None:
    """No byte of the body is sent: the 413 proves nothing waited for it or parsed it."""
    url, path, cap = _roles(town)[role]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Content-Type: {FORM}\r\nContent-Length: {cap + 1}\r\n\r\n"
    )
    answer = await _exchange(url, head.encode())
    assert _status(answer) == 413, answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "invalid_request"


@pytest.mark.parametrize("role", ROLES)
async def test_H_01_chunked_body_over_the_cap_is_cut(town: Town, role: str) -> None:
    """No Content-Length and no end: the body never ends, so an answer at all shows the
    server stopped reading once the cap was crossed."""
    url, path, cap = _roles(town)[role]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"a=" + b"b" * 65_534
    frames = (
        f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(cap // len(chunk) + 4)
    )
    with bounded_memory(32 * MIB):
        answer = await _exchange(url, head.encode(), body_chunks=frames)
    assert _status(answer) == 413, answer[:200]


# H-02: forms built to exhaust a parser.


def _post_head(url: str, path: str, media_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Content-Type: {media_type}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def test_H_02_hundred_thousand_fields_are_refused(town: Town) -> None:
    """Over the issuer's cap (413 on the declared length); under the desk's, where the form
    reader counts fields before it decodes any (``specs.oid4vp.limits``)."""
    many = "&".join(f"f{i}=1" for i in range(100_000)).encode()
    with bounded_memory(32 * MIB):
        issuer = await _exchange(
            town.issuer_url, _post_head(town.issuer_url, "/token", FORM, len(many)) + many
        )
        desk = await _exchange(
            town.desk_url, _post_head(town.desk_url, "/wallet/response", FORM, len(many)) + many
        )
    assert _status(issuer) == 413
    assert _status(desk) == 413 if len(many) > town.desk.settings.max_request_bytes else 400
    if _status(desk) == 400:
        described = json.loads(desk.split(b"\r\n\r\n", 1)[1])["error_description"]
        assert described == Oid4vpReason.MALFORMED_RESPONSE.value


async def test_H_02_a_fifty_megabyte_field_and_ten_thousand_part_headers(town: Town) -> None:
    boundary = "b0undary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n'
        for i in range(10_000)
    )
    multipart = (parts + f"--{boundary}--\r\n").encode()
    media_type = f"multipart/form-data; boundary={boundary}"
    for url, path, cap in _roles(town).values():
        assert _status(await _exchange(url, _post_head(url, path, FORM, 50 * MIB))) == 413
        with bounded_memory(32 * MIB):
            answer = await _exchange(
                url, _post_head(url, path, media_type, len(multipart)) + multipart
            )
        expected = {413} if len(multipart) > cap else {400, 401, 415}
        assert _status(answer) in expected, (path, answer[:200])


# H-03: the wrong media type or charset.


async def test_H_03_json_to_form_endpoints_and_form_to_json_endpoints(town: Town) -> None:
    key = await town.desk_key(["zorgtoeslag"])
    async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
        token = await client.post(f"{town.issuer_url}/token", json={"grant_type": "x"})
        response = await client.post(f"{town.desk_url}/wallet/response", json={"state": "x"})
        desk = await client.post(
            f"{town.desk_url}/desk/transactions",
            content="regulation=zorgtoeslag",
            headers={"Content-Type": FORM, "Authorization": f"Bearer {key}"},
        )
    for answer in (token, response, desk):
        wire_error_only(answer)
    assert (token.status_code, token.json()["error"]) == (400, "invalid_request")
    assert response.json()["error_description"] == Oid4vpReason.MALFORMED_RESPONSE.value
    assert (desk.status_code, desk.json()["error"]) == (400, "invalid_request")


async def test_H_03_utf16_and_latin1_bodies_are_refused(town: Town) -> None:
    key = await town.desk_key(["zorgtoeslag"])
    body = json.dumps({"regulation": "zorgtoeslag"})
    async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
        utf16 = await client.post(
            f"{town.desk_url}/desk/transactions",
            content=body.encode("utf-16"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        latin1 = await client.post(
            f"{town.issuer_url}/token",
            content="grant_type=x&tx_code=\u00e9".encode("latin-1"),
            headers={"Content-Type": f"{FORM}; charset=latin-1"},
        )
        latin1_desk = await client.post(
            f"{town.desk_url}/wallet/response",
            content="state=\u00e9".encode("latin-1"),
            headers={"Content-Type": f"{FORM}; charset=latin-1"},
        )
    for answer in (utf16, latin1, latin1_desk):
        wire_error_only(answer)
        assert answer.status_code in {400, 415}
    assert latin1_desk.json()["error_description"] == Oid4vpReason.MALFORMED_RESPONSE.value


# H-04: slow clients.


async def test_H_04_slow_clients_do_not_hold_up_the_others(town: Town) -> None:
    """Twenty connections that send half a request head and stop: every service still
    answers everyone else."""
    slow = []
    for url, _path, _cap in _roles(town).values():
        for _ in range(20):
            parts = urlsplit(url)
            _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Le")
            await writer.drain()
            slow.append(writer)
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
            for url, _path, _cap in _roles(town).values():
                assert (await client.get(f"{url}/livez")).status_code == 200
    finally:
        for writer in slow:
            writer.close()


async def _closed_by_server(url: str, head: bytes, trickle: bytes, *, within: float) -> bool:
    """Send ``head``, then one byte of ``trickle`` every 0.2 s: does the server hang up
    (EOF or reset) before ``within`` seconds, without answering?"""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(head)
    await writer.drain()
    try:
        async with asyncio.timeout(within):
            for byte in trickle:
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    answered = await asyncio.wait_for(reader.read(1), 0.2)
                except TimeoutError:
                    continue
                return answered == b""  # EOF: closed without an answer
            return False
    except ConnectionError:  # reset by the server
        return True
    except TimeoutError:  # still open when the patience ran out
        return False
    finally:
        writer.close()


FORM = "application/x-www-form-urlencoded"


async def test_H_04_a_slow_request_head_or_body_is_timed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every service closes a connection whose request head, or body, trickles in past the
    read deadline (``runtime.slow_clients``; 30 s in service, 1 s here), and answers a
    prompt client meanwhile."""
    monkeypatch.setattr(ReadDeadline, "read_deadline_seconds", 1.0)
    with running_town(tmp_path, wallet_overrides=FAST_KDF) as town:
        for url, path, _cap in _roles(town).values():
            slow_head = await _closed_by_server(
                url, f"POST {path} HTTP/1.1".encode(), b"\r\nX-Slow: 1" * 20, within=10
            )
            assert slow_head, url
            head = (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n"
                f"Content-Type: {'application/json' if url == town.wallet_url else FORM}\r\n\r\n"
            ).encode()
            slow_body = await _closed_by_server(url, head, b"a" * 200, within=10)
            assert slow_body, url
            async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
                assert (await client.get(f"{url}/livez")).status_code == 200


# H-05: validation errors never repeat the input.


async def test_H_05_validation_errors_echo_nothing(
    town: Town, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret = "eyJ" + canary("vp-token")
    key = await town.desk_key(["zorgtoeslag"])
    answers = []
    async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
        answers.append(
            await client.post(
                f"{town.desk_url}/desk/transactions",
                json={"regulation": ["zorgtoeslag"], "vp_token": secret, "facts": secret},
                headers={"Authorization": f"Bearer {key}"},
            )
        )
        answers.append(
            await client.post(
                f"{town.issuer_url}/credential",
                json={"proofs": {"jwt": [secret]}, "credential_configuration_id": [secret]},
                headers={"Authorization": f"Bearer {secret}"},
            )
        )
    async with await new_citizen(town) as phone:
        answers.append(await phone.call("POST", "/v1/presentations", json={"link": [secret]}))
        answers.append(await phone.call("POST", "/v1/presentations", json={"vp_token": secret}))
    for answer in answers:
        no_server_error(answer)
        wire_error_only(answer)
    assert leaks([secret], *(a.text for a in answers), service_logs(caplog)) == []


# H-06: a short smoke over every route (the long fuzzing run is its own suite).


def _routes(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, operations in document["paths"].items():
        for method in operations:
            if method in {"get", "post", "put", "delete", "patch"}:
                yield method.upper(), path.replace("{", "").replace("}", "")


@pytest.mark.parametrize("role", ROLES)
async def test_H_06_every_route_with_an_empty_and_a_garbage_body(town: Town, role: str) -> None:
    url, _path, _cap = _roles(town)[role]
    garbage = os.urandom(512)
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=READ_TIMEOUT) as client:
        document = await client.get("/openapi.json")
        assert document.status_code == 200, document.text[:200]
        routes = sorted(_routes(document.json()))
        assert routes
        for method, path in routes:
            for body, media_type in ((b"", JSON), (garbage, JSON), (garbage, FORM)):
                answer = await client.request(
                    method, path, content=body, headers={"Content-Type": media_type}
                )
                no_server_error(answer)


# H-07: floods.


async def test_H_07_token_and_nonce_floods_get_429_with_bounded_memory(tmp_path: Path) -> None:
    overrides = {"rate_limit_per_minute": 60, "rate_limit_burst": 5}
    with running_town(tmp_path, wallet_overrides=FAST_KDF, issuer_overrides=overrides) as town:
        async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
            for path in ("/nonce", "/token"):
                with bounded_memory(32 * MIB):
                    answers = [
                        await client.post(town.issuer_url + path, data={"grant_type": "x"})
                        for _ in range(40)
                    ]
                for answer in answers:
                    no_server_error(answer)
                limited = [a for a in answers if a.status_code == 429]
                assert len(limited) >= 30, path
                assert all("retry-after" in a.headers for a in limited)
                assert limited[0].json()["error"] == "try_later"


async def test_H_07_desk_result_and_wallet_endpoints_are_throttled(tmp_path: Path) -> None:
    """The desk's result endpoint and response endpoint, and the wallet service's API, each
    answer a flooding address with 429 before any work; health stays unlimited."""
    overrides = {"rate_limit_per_minute": 60, "rate_limit_burst": 5}
    with running_town(
        tmp_path, wallet_overrides={**FAST_KDF, **overrides}, desk_overrides=overrides
    ) as town:
        async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
            floods = {
                "desk result": (town.desk_url + "/desk/transactions/" + "A" * 43, "GET"),
                "desk response": (town.desk_url + "/wallet/response", "POST"),
                "wallet service": (town.wallet_url + "/v1/accounts", "POST"),
            }
            for name, (url, method) in floods.items():
                with bounded_memory(32 * MIB):
                    answers = [await client.request(method, url) for _ in range(40)]
                for answer in answers:
                    no_server_error(answer)
                limited = [a for a in answers if a.status_code == 429]
                assert len(limited) >= 30, name
                assert all("retry-after" in a.headers for a in limited)
                assert limited[0].json()["error"] == "try_later"
            for base in (town.desk_url, town.wallet_url):
                assert (await client.get(base + "/livez")).status_code == 200


# H-08: where the wallet is sent back comes from the desk's configuration only.


def test_H_08_redirect_uri_is_only_ever_a_configured_one(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        for uri in ("https://evil.example/return", "https://desk.example@evil.example/"):
            response = await desk.client.post(
                "/desk/transactions",
                json={"regulation": "zorgtoeslag", "redirect_uri": uri},
                headers=desk.headers(),
            )
            no_server_error(response)
            assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
        desk.give(eligible_case())
        started = await desk.start("zorgtoeslag", redirect_uri="https://desk.example/return")

        def smuggle(form: dict[str, str]) -> dict[str, str]:
            return {**form, "redirect_uri": "https://evil.example/"}

        answered = await desk.wallet.answer(started["link"], Tamper(rewrite_form=smuggle))
        no_server_error(answered)
        back = answered.json().get("redirect_uri", "")
        if answered.status_code == 200:
            assert back.startswith("https://desk.example/return#response_code=")
        else:  # an unknown parameter may also be refused outright
            assert_wire_error(answered, Oid4vpReason.MALFORMED_RESPONSE)
        assert "evil" not in answered.text

    on_desk(live, case)


# H-09: cross-origin reads; what is internal.


async def test_H_09_no_service_grants_cross_origin_reads(town: Town) -> None:
    key = await town.desk_key(["zorgtoeslag"])
    evil = {"Origin": "https://evil.example"}
    async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
        for url, path in (
            (town.desk_url, "/desk/transactions/" + "0" * 32),
            (town.desk_url, "/desk/regulations"),
            (town.issuer_url, "/.well-known/openid-credential-issuer"),
            (town.wallet_url, "/v1/credentials"),
        ):
            read = await client.get(url + path, headers={**evil, "Authorization": f"Bearer {key}"})
            preflight = await client.options(
                url + path, headers={**evil, "Access-Control-Request-Method": "GET"}
            )
            for answer in (read, preflight):
                no_server_error(answer)
                assert "access-control-allow-origin" not in answer.headers, path
                assert "access-control-allow-credentials" not in answer.headers, path
            assert preflight.status_code == 405
        backoffice = await client.get(f"{town.issuer_url}/backoffice/offers", headers=evil)
        assert backoffice.status_code in {401, 405}
        desk = await client.get(f"{town.desk_url}/desk/regulations", headers=evil)
        assert desk.status_code == 401


def test_H_09_the_guides_keep_metrics_and_back_office_internal() -> None:
    """One port serves every route; which are internal is the operator's partition, and the
    guides say it for every service."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    for guide, internal in (
        ("issuer.md", ("/backoffice", "/metrics")),
        ("verifier.md", ("/metrics",)),
        ("wallet.md", ("/metrics",)),
    ):
        text = (docs / guide).read_text()
        for path in internal:
            assert path in text, (guide, path)


# H-10: a parameter twice in one form.


@pytest.mark.parametrize("parameter", ["state", "vp_token", "response"])
def test_H_10_a_response_parameter_twice_is_malformed(live: LiveDesk, parameter: str) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request = await desk.wallet.fetch_request(started["link"])
        form = desk.wallet.response_form(request, Tamper(plain_post=parameter != "response"))
        value = form.get(parameter, "x")
        body = urlencode(form) + "&" + urlencode({parameter: value})
        response = await desk.client.post(
            request.response_uri, content=body, headers={"Content-Type": FORM}
        )
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.DUPLICATE_PARAMETER)
        await assert_still_open(desk, started)

    on_desk(live, case)


async def test_H_10_a_token_request_parameter_twice_is_malformed(town: Town) -> None:
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
    grant = offer.credential_offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    code = grant["pre-authorized_code"]
    form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code"),
        ("pre-authorized_code", code),
        ("pre-authorized_code", code),
        ("tx_code", offer.tx_code or ""),
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=READ_TIMEOUT) as client:
        answer = await client.post(
            f"{town.issuer_url}/token",
            content="&".join(f"{k}={quote(v, safe='')}" for k, v in form),
            headers={"Content-Type": FORM},
        )
        no_server_error(answer)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
        wire_error_only(answer)
        once = await client.post(
            f"{town.issuer_url}/token", data=dict(form[:2] + form[3:]), headers={}
        )
        assert once.status_code == 200, once.text  # the code was not spent by the refusal


# H-11, H-12: outbound URLs from untrusted input.

SCHEMES = {
    "http://example.com/x": FetchReason.NOT_HTTPS,
    "file:///etc/passwd": FetchReason.NOT_HTTPS,
    "gopher://example.com/_x": FetchReason.NOT_HTTPS,
    "https://a@example.com/": FetchReason.BAD_URL,
}


@pytest.mark.parametrize("url", sorted(SCHEMES))
async def test_H_11_schemes_and_userinfo_are_refused_by_get_and_post(url: str) -> None:
    async with SafeFetcher(FetchPolicy()) as fetcher:
        await refused(SCHEMES[url], fetcher.get(url, accept=JSON))
        await refused(SCHEMES[url], fetcher.post_form(url, {"a": "b"}))


INTERNAL = [
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://2130706433/",
    "https://0x7f.1/",
]


async def _rebinding(host: str, port: int) -> list[str]:
    """A name that resolves to loopback when the connection is made (DNS rebinding)."""
    del host, port
    return ["127.0.0.1"]


@pytest.mark.parametrize("url", INTERNAL)
async def test_H_12_internal_addresses_are_refused_by_get_and_post(url: str) -> None:
    async with SafeFetcher(FetchPolicy(timeout=2.0)) as fetcher:
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.post_form(url, {"a": "b"}))


async def test_H_12_dns_rebinding_is_checked_at_connect_time() -> None:
    async with SafeFetcher(FetchPolicy(timeout=2.0), resolver=_rebinding) as fetcher:
        url = "https://public.example/status"
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.post_form(url, {"a": "b"}))


async def test_H_12_a_redirect_to_an_internal_address_is_refused_at_the_hop(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(redirect("https://169.254.169.254/latest/meta-data/"))
    async with local(server, max_redirects=3) as fetcher:
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(server.url(), accept=JSON))
    assert len(server.heads) == 1


@pytest.mark.parametrize("target", ["https://169.254.169.254/x", "https://10.0.0.1/x"])
async def test_H_12_the_wallet_services_fetchers_refuse_internal_addresses(
    town: Town, target: str
) -> None:
    """``credential_offer_uri`` (issuance) and ``request_uri`` (presentation)."""
    offer = "openid-credential-offer://?" + urlencode({"credential_offer_uri": target})
    link = "openid4vp://?" + urlencode({"client_id": town.desk.client_id, "request_uri": target})
    async with await new_citizen(town) as phone:
        issuance = await phone.call(
            "POST", "/v1/issuances", json={"offer": offer, "keys": phone.device.new_holder_keys(1)}
        )
        presentation = await phone.call("POST", "/v1/presentations", json={"link": link})
    for answer in (issuance, presentation):
        no_server_error(answer)
        wire_error_only(answer)
        assert answer.status_code == 422, answer.text
    assert issuance.json()["error_description"] == "fetch-refused"
    assert presentation.json()["error_description"] == Oid4vpReason.MALFORMED_REQUEST_OBJECT.value


def test_H_12_the_desks_status_fetch_refuses_an_internal_status_uri(live: LiveDesk) -> None:
    """A registered agency's credential whose status list ``uri`` points inside: the desk
    does not fetch it, and cannot verify (never eligible)."""

    async def case(desk: Desk) -> None:
        issue_with_status_uri(desk, "https://169.254.169.254/status/1")
        started = await desk.start("zorgtoeslag")
        response = await desk.wallet.answer(started["link"])
        no_server_error(response)
        result = (await desk.result(started["transaction_id"])).json()
        assert result["status"] in {"undetermined", "rejected"}, result

    on_desk(live, case)


# H-13: outbound answers that never end or inflate.


async def test_H_13_a_gigabyte_announced_or_streamed_is_cut_at_the_cap(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    flood = Flood(total=1024 * MIB)
    streaming = await serve(flood)
    announced = await serve(reply(body=b"{}", headers=[("Content-Type", JSON)]))
    async with local(streaming, announced, max_bytes=256 * 1024) as fetcher:
        with bounded_memory(32 * MIB):
            await refused(FetchReason.TOO_LARGE, fetcher.get(streaming.url(), accept=JSON))
    assert flood.sent < flood.total


async def test_H_13_a_gzip_bomb_is_never_inflated(serve: Callable[..., Awaitable[Server]]) -> None:
    import gzip

    bomb = gzip.compress(bytes(64 * MIB), compresslevel=9)
    server = await serve(
        reply(body=bomb, headers=[("Content-Type", JSON), ("Content-Encoding", "gzip")])
    )
    async with local(server, max_bytes=256 * 1024) as fetcher:
        with bounded_memory(32 * MIB):
            await refused(FetchReason.BAD_CONTENT_TYPE, fetcher.get(server.url(), accept=JSON))


async def test_H_13_a_never_ending_trickle_hits_the_deadline(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def trickle(writer: asyncio.StreamWriter, _head: bytes) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    server = await serve(trickle)
    async with local(server, timeout=0.5) as fetcher:
        await refused(FetchReason.TIMEOUT, fetcher.get(server.url(), accept=JSON))
