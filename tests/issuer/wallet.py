"""A small wallet that follows OpenID4VCI 1.0, written for the tests.

It builds its proofs with PyJWT and reads the wire format directly, so the issuer is
checked against an independent reading of the spec rather than against its own helpers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from specs.sd_jwt import NoKeyBinding
from specs.sd_jwt_vc import VerifiedSdJwtVc, parse_jwt_vc_issuer_metadata, verify_sd_jwt_vc
from specs.sd_jwt_vc.issuer_metadata import JwtVcIssuerMetadataResolver

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def holder_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    jwk: dict[str, str] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)  # type: ignore[assignment]
    return {name: jwk[name] for name in ("kty", "crv", "x", "y")}


def proof_jwt(
    key: ec.EllipticCurvePrivateKey,
    *,
    audience: str,
    nonce: str | None,
    iat: int,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    """Appendix F.1 proof: typ openid4vci-proof+jwt, the holder key as ``jwk``."""
    payload: dict[str, Any] = {"aud": audience, "iat": iat}
    if nonce is not None:
        payload["nonce"] = nonce
    payload.update(claims or {})
    headers = {"typ": "openid4vci-proof+jwt", "jwk": public_jwk(key), **(header or {})}
    return jwt.encode(payload, key, algorithm="ES256", headers=headers)


def offer_from_link(link: str) -> dict[str, Any]:
    query = parse_qs(urlsplit(link).query)
    offer: dict[str, Any] = json.loads(query["credential_offer"][0])
    return offer


@dataclass
class Wallet:
    client: httpx.AsyncClient
    clock: Callable[[], int]
    keys: list[ec.EllipticCurvePrivateKey] = field(default_factory=list)
    allow_http: bool = False  # an issuer on http://127.0.0.1 (development profile only)

    async def issuer_metadata(self, issuer: str) -> dict[str, Any]:
        response = await self.client.get(f"{issuer}/.well-known/openid-credential-issuer")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        assert document["credential_issuer"] == issuer  # OID4VCI 1.0 §12.2.4
        return document

    async def token(self, offer: dict[str, Any], tx_code: str | None) -> httpx.Response:
        grant = offer["grants"][PRE_AUTHORIZED]
        form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": grant["pre-authorized_code"]}
        if tx_code is not None:
            form["tx_code"] = tx_code
        server = await self.client.get(
            f"{offer['credential_issuer']}/.well-known/oauth-authorization-server"
        )
        return await self.client.post(server.json()["token_endpoint"], data=form)

    async def nonce(self, metadata: dict[str, Any]) -> str:
        response = await self.client.post(metadata["nonce_endpoint"])
        assert response.headers["cache-control"] == "no-store"
        value: str = response.json()["c_nonce"]
        return value

    async def credential_request(
        self, metadata: dict[str, Any], access_token: str, body: dict[str, Any]
    ) -> httpx.Response:
        return await self.client.post(
            metadata["credential_endpoint"],
            json=body,
            headers={"Authorization": f"Bearer {access_token}"},
        )

    async def receive(
        self, offer: dict[str, Any], tx_code: str | None, *, batch: int = 1
    ) -> Received:
        """The whole pre-authorized flow; every credential verified before it is kept."""
        issuer = offer["credential_issuer"]
        metadata = await self.issuer_metadata(issuer)
        token = await self.token(offer, tx_code)
        assert token.status_code == 200, token.text
        access_token = token.json()["access_token"]
        nonce = await self.nonce(metadata)
        keys = [holder_key() for _ in range(batch)]
        proofs = [proof_jwt(key, audience=issuer, nonce=nonce, iat=self.clock()) for key in keys]
        configuration_id = offer["credential_configuration_ids"][0]
        response = await self.credential_request(
            metadata,
            access_token,
            {"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        tokens = [item["credential"] for item in body["credentials"]]
        verified = await self.verify(issuer, tokens)
        for credential, key in zip(verified, keys, strict=False):
            assert credential.claims["cnf"]["jwk"] == public_jwk(key)
        self.keys.extend(keys)
        return Received(tokens, verified, access_token, body.get("notification_id"), metadata)

    async def verify(self, issuer: str, tokens: list[str]) -> list[VerifiedSdJwtVc]:
        response = await self.client.get(f"{issuer}/.well-known/jwt-vc-issuer")
        issuer_metadata = parse_jwt_vc_issuer_metadata(
            response.json(), expected_issuer=issuer, allow_http=self.allow_http
        )
        resolver = JwtVcIssuerMetadataResolver({issuer: issuer_metadata})
        return [
            verify_sd_jwt_vc(
                token,
                issuer_keys=resolver,
                key_binding=NoKeyBinding(),
                now=self.clock(),
                allow_http=self.allow_http,
            )
            for token in tokens
        ]


@dataclass
class Received:
    tokens: list[str]
    credentials: list[VerifiedSdJwtVc]
    access_token: str
    notification_id: str | None
    metadata: dict[str, Any]
