"""Agencies for the verifier's tests: real keys, real credentials, real metadata and lists.

One ASGI app answers for every agency host (by the ``Host`` header): its JWT VC Issuer
Metadata (SD-JWT VC §4) and its Status List Token (Token Status List §5), signed with the
agency's key. A test sets statuses, takes an agency's status list or metadata down (503),
and issues credentials for the claims of a scenario, each bound to a holder key and with a
status index. The verifier reaches it through its own ``SafeFetcher`` (HTTPS URL checks and
size limits apply; only the socket is replaced by the in-process transport).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.regulations import catalogue
from specs.jose import JwsAlg, PrivateJwk, PublicJwk, generate_private_key, public_jwk_from_key
from specs.rules.predicates import derive_predicate_claims
from specs.sd_jwt.issuance import mark_all_disclosable
from specs.sd_jwt_vc import issue_sd_jwt_vc
from specs.status_list import StatusType, build_status_list_token, encode_status_list

STATUS_LIST_SIZE = 1_024
PLAIN = frozenset({"iss", "vct", "cnf", "status", "iat", "exp", "nbf"})


@dataclass
class Agency:
    issuer: str
    key: PrivateJwk
    statuses: list[int] = field(default_factory=lambda: [int(StatusType.VALID)] * STATUS_LIST_SIZE)
    next_index: int = 0
    metadata_down: bool = False
    status_down: bool = False
    status_ttl: int = 300

    @property
    def status_uri(self) -> str:
        return f"{self.issuer}/status/1"


def new_agency_key() -> PrivateJwk:
    key = generate_private_key(JwsAlg.ES256)
    return PrivateJwk(key.key, public_jwk_from_key(key.public.key, kid=key.public.thumbprint()))


@dataclass
class Agencies:
    """Every agency of a test, by issuer identifier; ``clock`` dates their lists."""

    clock: Any
    by_host: dict[str, Agency] = field(default_factory=dict)

    def add(self, issuer: str) -> Agency:
        host = urlsplit(issuer).hostname or ""
        if host not in self.by_host:
            self.by_host[host] = Agency(issuer, new_agency_key())
        return self.by_host[host]

    def __getitem__(self, issuer: str) -> Agency:
        return self.by_host[urlsplit(issuer).hostname or ""]

    @property
    def keys(self) -> dict[str, PrivateJwk]:
        return {agency.issuer: agency.key for agency in self.by_host.values()}

    def issue(
        self,
        issuer: str,
        vct: str,
        claims: Mapping[str, Any],
        *,
        holder: PublicJwk,
        with_status: bool = True,
    ) -> tuple[str, int | None]:
        """An SD-JWT VC with every claim disclosable and the derived predicate claims the
        regulations define for ``vct`` (as ``issuer.credentials`` adds them); returns it and
        its status index."""
        agency = self.add(issuer)
        now = self.clock()
        payload: dict[str, Any] = {**claims, "iss": issuer, "iat": now, "exp": now + 365 * 86_400}
        for path, answer in derive_predicate_claims(vct, claims, catalogue()).items():
            payload[str(path[0])] = answer  # as the issuer service adds them
        index = None
        if with_status:
            index, agency.next_index = agency.next_index, agency.next_index + 1
            payload["status"] = {"status_list": {"idx": index, "uri": agency.status_uri}}
        issued = issue_sd_jwt_vc(
            mark_all_disclosable(payload, keep_plain=PLAIN),
            vct=vct,
            issuer_key=agency.key,
            holder_key=holder,
            random_bytes=os.urandom,
            extra_header={"kid": agency.key.public.kid},  # SD-JWT VC §4.3: picks the key
        )
        return issued.token, index

    def app(self) -> Starlette:
        async def metadata(request: Request) -> Response:
            agency = self.by_host.get(request.url.hostname or "")
            if agency is None:
                return Response(status_code=404)
            if agency.metadata_down:
                return Response(status_code=503)
            jwks = {"keys": [agency.key.public.to_jwk()]}
            return JSONResponse({"issuer": agency.issuer, "jwks": jwks})

        async def status_list(request: Request) -> Response:
            agency = self.by_host.get(request.url.hostname or "")
            if agency is None:
                return Response(status_code=404)
            if agency.status_down:
                return Response(status_code=503)
            now = self.clock()
            token = build_status_list_token(
                key=agency.key,
                subject_uri=agency.status_uri,
                status_list=encode_status_list(agency.statuses, 2),
                now=now,
                ttl=agency.status_ttl,
                exp=now + 86_400,
                issuer=agency.issuer,
                extra_header={"kid": agency.key.public.kid},
            )
            return Response(token, media_type="application/statuslist+jwt")

        return Starlette(
            routes=[
                Route("/.well-known/jwt-vc-issuer", metadata),
                Route("/status/1", status_list),
            ]
        )
