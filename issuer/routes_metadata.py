"""What the issuer publishes: metadata, keys, Type Metadata, offers by reference, status lists.

* ``/.well-known/openid-credential-issuer``: Credential Issuer Metadata (OID4VCI 1.0 §12.2);
  each configuration's ``proof_types_supported`` says what the credential endpoint accepts:
  ``jwt``, with ``key_attestations_required`` in strict HAIP mode, and ``attestation`` when
  wallet-provider roots are configured (HAIP §4.5.1; ``issuer.wallet_providers``);
* ``/.well-known/oauth-authorization-server``: the issuer is its own authorization server
  (RFC 8414; OID4VCI 1.0 §12.3; ``issuer.oauth_metadata``); every credential configuration
  has its ``scope`` in the issuer metadata (HAIP 1.0 §4.1);
* ``/.well-known/jwt-vc-issuer``: JWT VC Issuer Metadata, the keys that verify credentials
  (SD-JWT VC §4): the signing key and the retired keys of a rotation;
* ``/type-metadata/{configuration}``: SD-JWT VC Type Metadata (§5) of each ``vct``;
* ``/offers/{id}``: the credential offer behind a ``credential_offer_uri`` (§4.1.3), served
  only until it is redeemed;
* ``/status/{id}``: Token Status List tokens, ``application/statuslist+jwt`` (§8.1), cacheable
  by anyone for ``ttl`` seconds since they are the same for every citizen.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from issuer.configurations import UnknownConfiguration
from issuer.dependencies import Context
from issuer.oauth_metadata import authorization_server_metadata as as_metadata_document
from issuer.status_lists import MEDIA_TYPE, StatusListTokens
from issuer.tables import offers
from issuer.wallet_providers import proof_types_supported
from runtime.wire import NotFound
from specs.oid4vci import build_issuer_metadata

router = APIRouter(tags=["Metadata"])
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}

ListId = Annotated[int, Path(ge=0, le=2**31 - 1)]
"""The ``status_lists.id`` column is a 32-bit ``Integer``: a larger id would overflow the
database driver (SQLite's and PostgreSQL's alike) instead of finding nothing."""


@router.get("/.well-known/openid-credential-issuer", summary="Credential Issuer Metadata")
async def issuer_metadata(context: Context) -> JSONResponse:
    document = build_issuer_metadata(
        credential_issuer=context.issuer_id,
        credential_endpoint=context.url("/credential"),
        nonce_endpoint=context.url("/nonce"),
        deferred_credential_endpoint=context.url("/deferred_credential"),
        notification_endpoint=context.url("/notification"),
        # §12.2.4: a batch_size is 2 or more; an issuer of one instance per offer has no
        # batch issuance to advertise.
        batch_size=max_batch if (max_batch := context.settings.max_batch_size) >= 2 else None,
        configurations=[c.as_metadata() for c in context.configurations.by_id.values()],
        display=[{"name": context.settings.display_name}],
    )
    proof_types = proof_types_supported(context.key_attestation, context.settings)
    for entry in document["credential_configurations_supported"].values():
        entry["proof_types_supported"] = proof_types  # HAIP §4.5.1 (issuer.wallet_providers)
    return JSONResponse(document, headers=PUBLIC_CACHE)


@router.get("/.well-known/oauth-authorization-server", summary="Authorization Server Metadata")
async def authorization_server_metadata(context: Context) -> JSONResponse:
    return JSONResponse(as_metadata_document(context), headers=PUBLIC_CACHE)


@router.get("/.well-known/jwt-vc-issuer", summary="JWT VC Issuer Metadata (signing keys)")
async def jwt_vc_issuer(context: Context) -> JSONResponse:
    keys = [key.to_jwk() for key in context.keys.published]
    return JSONResponse({"issuer": context.issuer_id, "jwks": {"keys": keys}}, headers=PUBLIC_CACHE)


@router.get("/type-metadata/{configuration_id}", summary="SD-JWT VC Type Metadata")
async def type_metadata(configuration_id: str, context: Context) -> JSONResponse:
    try:
        configuration = context.configurations.get(configuration_id)
    except UnknownConfiguration:
        raise NotFound("no such credential type") from None
    return JSONResponse(configuration.type.document, headers=PUBLIC_CACHE)


@router.get("/offers/{offer_id}", summary="Credential offer by reference (OID4VCI 1.0 §4.1.3)")
async def offer_by_reference(offer_id: str, context: Context) -> JSONResponse:
    async with context.read() as connection:
        row = (
            await connection.execute(
                select(offers.c.sealed_offer, offers.c.state, offers.c.expires_at).where(
                    offers.c.id == offer_id
                )
            )
        ).first()
    if (
        row is None
        or row.sealed_offer is None
        or row.state != "offered"
        or row.expires_at <= context.clock()
    ):
        raise NotFound("no such offer")
    document = json.loads(
        context.sealer.open(row.sealed_offer, context=b"offer:" + offer_id.encode())
    )
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.get(
    "/status/{list_id}",
    summary="Token Status List (application/statuslist+jwt)",
    response_class=Response,
)
async def status_list(list_id: ListId, request: Request, context: Context) -> Response:
    tokens: StatusListTokens = request.app.state.status_tokens
    token = await tokens.token(context, list_id)
    if token is None:
        raise NotFound("no such status list")
    ttl = context.settings.status_list_ttl_seconds
    return Response(
        token, media_type=MEDIA_TYPE, headers={"Cache-Control": f"public, max-age={ttl}"}
    )
