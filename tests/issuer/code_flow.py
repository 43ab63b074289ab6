"""An issuer with the authorization code flow on, and a client that drives it over HTTP.

The issuer runs the development authenticator and the file subject source; the client is a
wallet's OAuth side: PAR, the browser's visit to /authorize, the token request with PKCE and
DPoP (answering ``use_dpop_nonce`` once, as RFC 9449 §8 expects), and credential requests.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from specs.dpop import build_dpop_proof, new_jti
from specs.jose import PrivateJwk, generate_private_key
from specs.oauth import code_challenge, parse_authorization_response
from tests.issuer.attester import WalletAttester, public_of
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, Issuer, issuer_settings, running_issuer
from tests.issuer.wallet import PRE_AUTHORIZED, holder_key, proof_jwt

CLIENT_ID = "https://wallet.example/client"
REDIRECT_URI = "https://wallet.example/callback"
SUBJECT = "citizen-1"
CONFIGURATION = "household_income"


def write_subject(directory: Path, subject: str, claims: dict[str, Any]) -> None:
    folder = directory / CONFIGURATION
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{subject}.json").write_text(json.dumps(claims))


@asynccontextmanager
async def code_flow_issuer(
    tmp_path: Path,
    database_url: str,
    *,
    attester: WalletAttester | None = None,
    **overrides: Any,
) -> AsyncIterator[Issuer]:
    """An issuer (development profile) whose citizens log in with the development
    authenticator and whose claims come from ``<tmp_path>/subjects``; with ``attester``, it
    trusts that wallet provider's root (``wallet_provider_roots_file``)."""
    subjects = tmp_path / "subjects"
    write_subject(subjects, SUBJECT, INCOME_CLAIMS)
    values: dict[str, Any] = {
        "profile": "development",
        "authenticator": "development",
        "subject_source_dir": subjects,
    }
    if attester is not None:
        values["wallet_provider_roots_file"] = attester.write_roots(tmp_path / "wallet-roots.pem")
    values.update(overrides)
    settings = issuer_settings(tmp_path, database_url, **values)
    async with running_issuer(settings, attester=attester) as issuer:
        yield issuer


@pytest.fixture
async def code_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    async with code_flow_issuer(tmp_path, database_url) as issuer:
        yield issuer


@pytest.fixture
async def attested_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """Outside strict mode, trusting a wallet provider: attestations optional, checked."""
    async with code_flow_issuer(tmp_path, database_url, attester=WalletAttester()) as issuer:
        yield issuer


@pytest.fixture
async def haip_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """Strict HAIP mode: a development CA for ``x5c``, a wallet provider's root trusted."""
    async with code_flow_issuer(
        tmp_path, database_url, attester=WalletAttester(), haip=True, development_ca=True
    ) as issuer:
        yield issuer


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    token_type: str
    body: dict[str, Any]


@dataclass
class CodeClient:
    """A wallet's OAuth client: one DPoP key, the last ``DPoP-Nonce`` the issuer gave.

    When the issuer trusts a wallet provider (``Issuer.attester``) and ``attest`` is on, every
    PAR and token request carries a wallet attestation with a fresh PoP, and every key proof a
    key attestation of the batch's keys (HAIP §4.4.1, §4.5.1).
    """

    issuer: Issuer
    key: PrivateJwk = field(default_factory=generate_private_key)
    nonce: str | None = None
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    attest: bool = True
    provider: WalletAttester | None = None
    """Another wallet provider or client than the issuer's own ``attester``."""

    @property
    def http(self) -> httpx.AsyncClient:
        return self.issuer.client

    @property
    def attester(self) -> WalletAttester | None:
        return (self.provider or self.issuer.attester) if self.attest else None

    def client_headers(self) -> dict[str, str]:
        """The wallet attestation and a PoP made for this one request, when attesting."""
        if self.attester is None:
            return {}
        return self.attester.headers(audience=ISSUER, now=self.issuer.clock())

    def proof(
        self,
        method: str,
        path: str,
        *,
        access_token: str | None = None,
        key: PrivateJwk | None = None,
        nonce: str | None = None,
        jti: str | None = None,
    ) -> str:
        return build_dpop_proof(
            key=key or self.key,
            method=method,
            url=ISSUER + path,
            now=self.issuer.clock(),
            jti=jti or new_jti(os.urandom),
            access_token=access_token,
            nonce=nonce if nonce is not None else self.nonce,
        )

    def par_form(self, **overrides: str | None) -> dict[str, str]:
        form: dict[str, str | None] = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": CONFIGURATION,
            "code_challenge": code_challenge(self.verifier),
            "code_challenge_method": "S256",
            "state": "state-1",
            "login_hint": SUBJECT,
            **overrides,
        }
        return {name: value for name, value in form.items() if value is not None}

    async def par(self, **overrides: str | None) -> httpx.Response:
        return await self.http.post(
            "/par", data=self.par_form(**overrides), headers=self.client_headers()
        )

    async def request_uri(self, **overrides: str | None) -> str:
        response = await self.par(**overrides)
        assert response.status_code == 201, response.text
        value: str = response.json()["request_uri"]
        return value

    async def authorize(self, request_uri: str, client_id: str = CLIENT_ID) -> httpx.Response:
        return await self.http.get(
            "/authorize", params={"client_id": client_id, "request_uri": request_uri}
        )

    async def code(self, **overrides: str | None) -> str:
        """PAR, then the browser at /authorize; the code from the redirect, ``iss`` checked."""
        response = await self.authorize(await self.request_uri(**overrides))
        assert response.status_code == 303, response.text
        state = self.par_form(**overrides).get("state")
        return parse_authorization_response(
            response.headers["location"], issuer=ISSUER, state=state
        )

    def code_form(self, code: str, **overrides: str | None) -> dict[str, str]:
        form: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "code_verifier": self.verifier,
            **overrides,
        }
        return {name: value for name, value in form.items() if value is not None}

    async def token_request(
        self, form: dict[str, str], *, dpop: bool = True, **proof: Any
    ) -> httpx.Response:
        """One token request; with ``dpop``, a proof with the nonce the client holds."""
        headers = {"DPoP": self.proof("POST", "/token", **proof)} if dpop else {}
        headers.update(self.client_headers())
        response = await self.http.post("/token", data=form, headers=headers)
        self._remember_nonce(response)
        return response

    async def token(self, form: dict[str, str], *, dpop: bool = True) -> httpx.Response:
        """A token request that answers ``use_dpop_nonce`` once with the given nonce."""
        response = await self.token_request(form, dpop=dpop)
        if response.status_code == 400 and response.json()["error"] == "use_dpop_nonce":
            response = await self.token_request(form, dpop=dpop)
        return response

    async def tokens(self) -> Tokens:
        """The whole way from PAR to DPoP-bound tokens."""
        response = await self.token(self.code_form(await self.code()))
        assert response.status_code == 200, response.text
        return _tokens(response)

    async def refresh(self, refresh_token: str, **proof: Any) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        response = await self.token_request(form, **proof)
        if response.status_code == 400 and response.json()["error"] == "use_dpop_nonce":
            response = await self.token_request(form, **proof)
        return response

    async def resource(
        self,
        path: str,
        access_token: str,
        body: dict[str, Any],
        *,
        scheme: str = "DPoP",
        **proof: Any,
    ) -> httpx.Response:
        headers = {"Authorization": f"{scheme} {access_token}"}
        if scheme == "DPoP":
            headers["DPoP"] = self.proof("POST", path, access_token=access_token, **proof)
        response = await self.http.post(path, json=body, headers=headers)
        self._remember_nonce(response)
        return response

    async def credential_body(self, batch: int = 1) -> dict[str, Any]:
        c_nonce = await self.issuer.wallet.nonce({"nonce_endpoint": f"{ISSUER}/nonce"})
        keys, now = [holder_key() for _ in range(batch)], self.issuer.clock()
        header: dict[str, Any] = {}
        if self.attester is not None:
            attested = [public_of(key) for key in keys]
            header["key_attestation"] = self.attester.key_attestation(
                attested, nonce=c_nonce, now=now
            )
        proofs = [
            proof_jwt(key, audience=ISSUER, nonce=c_nonce, iat=now, header=header) for key in keys
        ]
        return {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}}

    async def credentials(
        self, access_token: str, batch: int = 1, *, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A credential request (``body``, or proofs for a new batch), answering
        ``use_dpop_nonce`` once (RFC 9449 §9)."""
        body = body if body is not None else await self.credential_body(batch)
        response = await self.resource("/credential", access_token, body)
        if response.status_code == 401 and response.json()["error"] == "use_dpop_nonce":
            response = await self.resource("/credential", access_token, body)
        return response

    def _remember_nonce(self, response: httpx.Response) -> None:
        if "dpop-nonce" in response.headers:
            self.nonce = response.headers["dpop-nonce"]


def attester_of(issuer: Issuer) -> WalletAttester:
    """The wallet provider the issuer was started trusting (``attested_issuer``, ...)."""
    assert issuer.attester is not None
    return issuer.attester


def pre_authorized_form(created: dict[str, Any]) -> dict[str, str]:
    """The token request form for an offer made by the back office (pre-authorized grant)."""
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    return {
        "grant_type": PRE_AUTHORIZED,
        "pre-authorized_code": code,
        "tx_code": created["tx_code"],
    }


def _tokens(response: httpx.Response) -> Tokens:
    body: dict[str, Any] = response.json()
    return Tokens(body["access_token"], body.get("refresh_token"), body["token_type"], body)


def tokens_of(response: httpx.Response) -> Tokens:
    assert response.status_code == 200, response.text
    return _tokens(response)


def assert_error(response: httpx.Response, status: int, code: str, *secrets: str) -> None:
    """The wire error, its fixed shape, and none of the request's secrets echoed."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert set(body) <= {"error", "error_description"}
    for secret in secrets:
        assert secret not in response.text
