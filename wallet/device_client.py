"""A client of the wallet service, as a mobile app would be, with a simulated device.

``SimulatedDevice`` stands in for the phone's secure hardware: it holds the device key (the
account's identity) and one fresh holder key per one-time instance, and signs what the
service asks it to sign. It never hands out a private key. A real app does the same with
the platform's keystore; this one serves the demo, the tests and integrators who want a
reference for the API (``docs/wallet.md``).

``WalletServiceClient`` signs every request with a DPoP proof (RFC 9449 §4.2) and, once
unlocked, sends the session token as ``Authorization: DPoP``; issuance and presentation
run their two signing rounds (``wallet.device_signing``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

import httpx

from specs.dpop import build_dpop_proof, new_jti
from specs.jose import (
    PrivateJwk,
    b64url_decode,
    b64url_encode,
    generate_private_key,
    parse_public_jwk,
)


class ServiceRefused(Exception):
    """The wallet service answered with an error: ``status`` and its ``error`` code."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.error = str(body.get("error", "unknown"))
        self.description = str(body.get("error_description", ""))
        self.body = dict(body)
        super().__init__(f"{status} {self.error}: {self.description}")


class SimulatedDevice:
    """The keys of one phone, in memory (secure hardware in a real app)."""

    def __init__(self) -> None:
        self.device_key = generate_private_key()
        self._holder_keys: dict[str, PrivateJwk] = {}
        self._instance_keys: dict[str, PrivateJwk] = {}

    def new_holder_keys(self, count: int) -> list[dict[str, str]]:
        """Fresh ES256 keys for one-time instances; their public JWKs."""
        keys = [generate_private_key() for _ in range(count)]
        for key in keys:
            self._holder_keys[key.public.thumbprint()] = key
        return [key.public.to_jwk() for key in keys]

    def new_instance_key(self) -> dict[str, str]:
        """A fresh client instance key for one issuance: the ``cnf`` of its wallet attestation,
        which signs the attestation's PoP (HAIP §4.4.1: nothing shared across issuances)."""
        key = generate_private_key()
        self._instance_keys[key.public.thumbprint()] = key
        return key.public.to_jwk()

    def sign(self, requests: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        """Sign each ``signing_input`` with the key named by ``key_id`` (JWS raw signature)."""
        signatures = []
        for request in requests:
            key_id = request["key_id"]
            key = self._holder_keys.get(key_id) or self._instance_keys.get(key_id)
            if key is None:
                raise KeyError("the service asked for a key this device does not hold")
            signature = key.sign(b64url_decode(request["signing_input"]))
            signatures.append({"key_id": request["key_id"], "signature": b64url_encode(signature)})
        return signatures

    def forget(self, key_ids: Sequence[str]) -> None:
        """Delete keys whose credentials are gone."""
        for key_id in key_ids:
            self._holder_keys.pop(key_id, None)
            self._instance_keys.pop(key_id, None)

    @property
    def holder_key_count(self) -> int:
        return len(self._holder_keys)


class WalletServiceClient:
    """The wallet service's API for one device (``async with``)."""

    def __init__(
        self,
        base_url: str,
        device: SimulatedDevice,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.device = device
        self.session_token: str | None = None
        self._http = httpx.AsyncClient(transport=transport, trust_env=False, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self._http.aclose()

    async def call(
        self, method: str, path: str, *, json: Any = None, session: bool = True
    ) -> httpx.Response:
        """One request with a fresh device proof; the raw response."""
        url = self.base_url + path
        token = self.session_token if session else None
        proof = build_dpop_proof(
            key=self.device.device_key,
            method=method,
            url=url,
            now=_now(),
            jti=new_jti(os.urandom),
            access_token=token,
        )
        headers = {"DPoP": proof}
        if token is not None:
            headers["Authorization"] = f"DPoP {token}"
        return await self._http.request(method, url, json=json, headers=headers)

    async def _json(
        self, method: str, path: str, *, json: Any = None, session: bool = True
    ) -> dict[str, Any]:
        response = await self.call(method, path, json=json, session=session)
        body: dict[str, Any] = response.json() if response.content else {}
        if response.status_code >= 400:
            raise ServiceRefused(response.status_code, body)
        return body

    async def register(self, pin: str) -> str:
        return str(
            (await self._json("POST", "/v1/accounts", json={"pin": pin}, session=False))["account"]
        )

    async def unlock(self, pin: str) -> None:
        body = await self._json("POST", "/v1/sessions", json={"pin": pin}, session=False)
        self.session_token = str(body["session_token"])

    async def accept_offer(
        self, offer: str, *, tx_code: str | None, instances: int = 3
    ) -> dict[str, Any]:
        """Accept an offer: send fresh public keys, sign the key proofs, get the result."""
        keys = self.device.new_holder_keys(instances)
        body = {"offer": offer, "tx_code": tx_code, "keys": keys}
        return await self._complete(await self._json("POST", "/v1/issuances", json=body), keys)

    async def start_authorization(
        self,
        *,
        issuer: str | None = None,
        configuration_id: str | None = None,
        offer: str | Mapping[str, Any] | None = None,
        login_hint: str | None = None,
    ) -> dict[str, Any]:
        """The authorization code flow (HAIP §4.3): the service pushes the request; the
        answer's ``authorization_url`` is for the browser."""
        body: dict[str, Any] = {"issuer": issuer, "configuration_id": configuration_id}
        if offer is not None:
            body = {"offer": offer}
        body["login_hint"] = login_hint
        return await self._json("POST", "/v1/authorizations", json=body)

    async def browse(self, authorization_url: str) -> str:
        """The browser's part: follow the issuer until it sends us to a redirect URI outside
        it (the app's claimed link), and return that URL. A login page stops it: only the
        development authenticator with a login hint redirects at once."""
        url = authorization_url
        async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as browser:
            for _ in range(5):
                response = await browser.get(url)
                location = response.headers.get("location")
                if response.status_code not in (302, 303) or location is None:
                    raise ServiceRefused(response.status_code, {"error": "no_redirect"})
                url = str(response.url.join(location))
                if not url.startswith(authorization_url.split("/authorize", 1)[0]):
                    return url
        raise ServiceRefused(508, {"error": "too_many_redirects"})

    async def finish_authorization(
        self, authorization_id: str, redirect_url: str, *, instances: int = 3
    ) -> dict[str, Any]:
        """Hand over the redirect, then sign the key proofs: the credential is stored."""
        keys = self.device.new_holder_keys(instances)
        body = {"redirect_url": redirect_url, "keys": keys}
        answer = await self._json(
            "POST", f"/v1/authorizations/{authorization_id}/redirect", json=body
        )
        return await self._complete(answer, keys)

    async def receive_by_authorization(
        self,
        issuer: str,
        configuration_id: str,
        *,
        login_hint: str | None = None,
        instances: int = 3,
    ) -> dict[str, Any]:
        """The whole code flow: start, the browser, the redirect, the key proofs."""
        started = await self.start_authorization(
            issuer=issuer, configuration_id=configuration_id, login_hint=login_hint
        )
        redirect = await self.browse(started["authorization_url"])
        return await self.finish_authorization(started["id"], redirect, instances=instances)

    async def refresh(self, batch_id: str, *, instances: int = 3) -> dict[str, Any]:
        """A fresh batch for a credential with a refresh grant; it replaces the old one."""
        keys = self.device.new_holder_keys(instances)
        answer = await self._json(
            "POST", f"/v1/credentials/{batch_id}/refresh", json={"keys": keys}
        )
        return await self._complete(answer, keys)

    async def _complete(
        self, answer: dict[str, Any], keys: Sequence[Mapping[str, str]]
    ) -> dict[str, Any]:
        issuance_id = answer["id"]
        while answer["status"] == "signatures_needed":
            signatures = self.device.sign(answer["signing_requests"])
            answer = await self._json(
                "POST", f"/v1/issuances/{issuance_id}/signatures", json={"signatures": signatures}
            )
        used = set(answer["credential"]["key_ids"])
        self.device.forget([k for k in _thumbprints(keys) if k not in used])
        return answer

    async def credentials(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/v1/credentials"))["credentials"])

    async def discovery(self) -> dict[str, Any]:
        return await self._json("GET", "/v1/discovery")

    async def notices(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/v1/notices"))["notices"])

    async def open_request(self, link: str) -> dict[str, Any]:
        """A desk's request: the consent preview (nothing is sent yet)."""
        return await self._json("POST", "/v1/presentations", json={"link": link})

    async def approve(self, presentation_id: str) -> dict[str, Any]:
        """Consent: the device signs the KB-JWTs and the service posts the answer."""
        answer = await self._json("POST", f"/v1/presentations/{presentation_id}/approve")
        signatures = self.device.sign(answer["signing_requests"])
        return await self._json(
            "POST",
            f"/v1/presentations/{presentation_id}/signatures",
            json={"signatures": signatures},
        )

    async def decline(self, presentation_id: str) -> dict[str, Any]:
        return await self._json("POST", f"/v1/presentations/{presentation_id}/decline")

    async def history(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/v1/history"))["history"])

    async def reissuance(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/v1/reissuance"))["advice"])

    async def delete_credential(self, batch_id: str) -> list[str]:
        key_ids = list(
            (await self._json("DELETE", f"/v1/credentials/{batch_id}"))["deleted_key_ids"]
        )
        self.device.forget(key_ids)
        return key_ids

    async def export(self, passphrase: str) -> str:
        return str(
            (await self._json("POST", "/v1/export", json={"passphrase": passphrase}))["backup"]
        )

    async def restore(self, backup: str, passphrase: str) -> dict[str, Any]:
        return await self._json(
            "POST", "/v1/import", json={"backup": backup, "passphrase": passphrase}
        )

    async def delete_account(self) -> None:
        response = await self.call("DELETE", "/v1/account")
        if response.status_code != 204:
            raise ServiceRefused(response.status_code, response.json())
        self.session_token = None


def _thumbprints(jwks: Sequence[Mapping[str, str]]) -> list[str]:
    return [parse_public_jwk(jwk).thumbprint() for jwk in jwks]


def _now() -> int:
    return int(time.time())
