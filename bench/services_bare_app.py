"""The baseline of ``bench.services``'s OID4VP rows: a bare FastAPI app whose POST endpoint
only verifies one SD-JWT VC + KB-JWT and answers 200, and a second that only reads the body
(the HTTP floor) (measured by
``bench.services_bare``; this module imports only what the app needs, so its workers' memory
is the app's).

Served by the same ``bench.serve_factory`` (uvicorn, same workers, same read deadline) and
posted to by the same bounded client as the desk, with the presentations of the desk's own
prepared answers (the ``assets`` case: one SD-JWT VC, 2 of 13 Disclosures, a KB-JWT). The
verification is ``specs.sd_jwt_vc.verify_sd_jwt_vc`` with the issuing agency's key given
(``StaticKeyResolver``) and ``KeyBindingRequired`` on the answer's nonce and the desk's
client identifier: every check of RFC 9901 §7 and SD-JWT VC §3 that the core makes. It does
none of the rest of the response-to-decision path: no form rules of OpenID4VP §8.2, no
transaction (state, single use), no JWE, no trust registry, issuer metadata or status list,
no DCQL re-check, no rules, no decision record, no database. The nonce comes in the body,
since the bare app keeps no transactions to look it up in.

``BENCH_SERVICES_BARE_ISSUER_JWK`` (the agency's public JWK, JSON) and
``BENCH_SERVICES_BARE_AUDIENCE`` (the desk's ``client_id``) configure it; they are the
benchmark's own, not a service setting.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response

from specs.errors import Rejected
from specs.jose import StaticKeyResolver, parse_public_jwk
from specs.sd_jwt import KeyBindingRequired
from specs.sd_jwt_vc import verify_sd_jwt_vc

ISSUER_JWK = "BENCH_SERVICES_BARE_ISSUER_JWK"
AUDIENCE = "BENCH_SERVICES_BARE_AUDIENCE"
VERIFY_PATH = "/verify"
EMPTY_PATH = "/empty"
MAX_BODY = 64 * 1024
KB_MAX_AGE = 3_600
"""As the desk's ``KB_MAX_AGE_SECONDS`` in this benchmark: answers are prepared ahead."""


def build_app(*, issuer_jwk: Mapping[str, object], audience: str) -> FastAPI:
    resolver = StaticKeyResolver(parse_public_jwk(issuer_jwk))
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/readyz")
    async def ready() -> Response:
        return Response(status_code=200)

    @app.post(EMPTY_PATH)
    async def empty(request: Request) -> Response:
        """The HTTP floor: the body read, nothing verified."""
        await request.body()
        return Response(status_code=200)

    @app.post(VERIFY_PATH)
    async def verify(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            form = parse_qs(body.decode("ascii"), strict_parsing=True, max_num_fields=2)
            (token,), (nonce,) = form["vp_token"], form["nonce"]
            verify_sd_jwt_vc(
                token,
                issuer_keys=resolver,
                key_binding=KeyBindingRequired(nonce, audience, max_age=KB_MAX_AGE),
                now=int(time.time()),
                allow_http=True,  # the agencies' status list URI is on loopback
            )
        except (Rejected, ValueError, KeyError):
            return Response(status_code=400)
        return Response(status_code=200)

    return app


def app_from_environment() -> FastAPI:
    """What each uvicorn worker builds (``bench.serve_factory``)."""
    return build_app(issuer_jwk=json.loads(os.environ[ISSUER_JWK]), audience=os.environ[AUDIENCE])
