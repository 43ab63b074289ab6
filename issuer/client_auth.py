"""Client authentication at the PAR and token endpoints: the one place that decides it.

Wallets are public clients (RFC 6749 §2.1): they cannot keep a secret. A wallet is known here
in one of two ways:

* **by a wallet attestation** (``attest_jwt_client_auth``; OpenID4VCI 1.0 Appendix E,
  draft-ietf-oauth-attestation-based-client-auth-07 §7; HAIP 1.0 §4.3, §4.4.1): exactly one
  ``OAuth-Client-Attestation`` header (the provider's attestation of the wallet instance) and
  exactly one ``OAuth-Client-Attestation-PoP`` header (signed by the instance key), verified
  by ``specs.attestation`` against the wallet-provider roots the operator configured, with
  this issuer's identifier as the PoP's audience. The request's ``client_id``, when it
  carries one, must be the attestation's ``sub`` (HAIP §4.3); without one, ``sub`` is the
  client. A PoP is single use: the digest of (instance key thumbprint, ``jti``) is kept until
  the PoP is too old to be accepted anyway, and a second use is refused, also when the first
  request failed later on (a retry, e.g. after ``use_dpop_nonce``, needs a new PoP). No
  challenge endpoint is offered, so a PoP's freshness rests on its ``iat`` window and ``jti``
  (draft §10.1: server-provided challenges are optional, ``jti`` is the fallback);
* **by ``client_id`` alone** (``none``, RFC 7591 §2), outside strict HAIP mode.

In strict HAIP mode every request to /par and /token must carry a wallet attestation, for
every grant: HAIP §4.4 says wallets MUST authenticate at the token endpoint and makes no
exception for the pre-authorized code grant, which OpenID4VCI 1.0 §6.1 would otherwise allow
anonymously. Outside strict mode an attestation is optional, but verified when sent.

Refused as ``invalid_client`` (401): an ``Authorization`` header (a client secret: RFC 6749
§2.3 allows one method, and we support no secret), attestation headers missing or repeated,
attestation headers when no roots are configured (the method is not offered), and every
defect of the attestation or its PoP, named by its reason in ``error_description``; an
attestation that is only too old is ``use_fresh_attestation``.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers

from issuer.context import IssuerContext
from issuer.storage import insert_if_absent
from issuer.tables import client_attestation_pops
from issuer.wallet_providers import SIGNING_ALGS
from issuer.wire_tables import CLIENT_ATTESTATION_ERRORS
from runtime.wire import InvalidClient
from specs.attestation import (
    ATTESTATION_HEADER,
    POP_HEADER,
    VerifiedClientAttestation,
    verify_client_attestation,
)
from specs.errors import AttestationReason, Rejected
from specs.oauth.pushed import read_client_id

ATTESTATION_METHOD = "attest_jwt_client_auth"
"""The ``token_endpoint_auth_methods_supported`` value of attestation-based client auth."""
PUBLIC_METHOD = "none"
"""RFC 7591 §2: a public client, known by its ``client_id``."""
POP_MAX_AGE_SECONDS = 60
"""How old a PoP's ``iat`` may be: a PoP is made for one request, right before it."""


def token_endpoint_auth_methods(context: IssuerContext) -> list[str]:
    """RFC 8414 ``token_endpoint_auth_methods_supported``: attestations when roots are
    configured; public clients unless strict HAIP mode requires attestations."""
    methods = [ATTESTATION_METHOD] if context.wallet_providers is not None else []
    if not context.settings.haip:
        methods.append(PUBLIC_METHOD)
    return methods


def client_attestation_metadata(context: IssuerContext) -> dict[str, list[str]]:
    """The algorithms of attestation and PoP, which the draft's authorization server metadata
    asks for whenever ``attest_jwt_client_auth`` is advertised; empty without roots."""
    if context.wallet_providers is None:
        return {}
    return {
        "client_attestation_signing_alg_values_supported": list(SIGNING_ALGS),
        "client_attestation_pop_signing_alg_values_supported": list(SIGNING_ALGS),
    }


async def authenticate_client(
    context: IssuerContext, request_headers: Headers, client_id: str | None
) -> str | None:
    """The authenticated client of a PAR or token request, ``None`` for an anonymous one.

    ``client_id`` is the one the form carried. Only the pre-authorized code grant may be
    anonymous, and only outside strict mode; the callers require ``client_id`` where the
    grant needs it.
    """
    if "authorization" in request_headers:
        raise InvalidClient("client secrets are not supported")
    attestations = request_headers.getlist(ATTESTATION_HEADER)
    pops = request_headers.getlist(POP_HEADER)
    if attestations or pops:
        return await _attested_client(context, attestations, pops, client_id)
    if context.settings.haip:
        raise InvalidClient("a wallet attestation is required (OAuth-Client-Attestation)")
    return None if client_id is None else _well_formed(client_id)


async def _attested_client(
    context: IssuerContext, attestations: list[str], pops: list[str], client_id: str | None
) -> str:
    if len(attestations) != 1 or len(pops) != 1:
        raise InvalidClient("send one OAuth-Client-Attestation and one PoP header")
    if context.wallet_providers is None:
        raise InvalidClient("attestation-based client authentication is not offered")
    settings = context.settings
    try:
        verified = verify_client_attestation(
            attestations[0],
            pops[0],
            roots=context.wallet_providers,
            client_id=None if client_id is None else _well_formed(client_id),
            audience=context.issuer_id,
            challenge=None,
            now=context.clock(),
            leeway=settings.clock_leeway_seconds,
            max_attestation_age=settings.client_attestation_max_age_seconds,
            max_pop_age=POP_MAX_AGE_SECONDS,
        )
    except Rejected as rejected:
        raise CLIENT_ATTESTATION_ERRORS(rejected) from None
    authenticated = _well_formed(verified.client_id)
    await _spend_pop(context, verified)
    return authenticated


async def _spend_pop(context: IssuerContext, verified: VerifiedClientAttestation) -> None:
    """Draft §10.1 (replay): record the PoP until its ``iat`` leaves the accepted window."""
    key = f"{verified.instance_key.thumbprint()}\x00{verified.pop_jti}"
    leeway = context.settings.clock_leeway_seconds
    row = {
        "digest": hashlib.sha256(key.encode()).hexdigest(),
        "expires_at": verified.pop_issued_at + POP_MAX_AGE_SECONDS + leeway + 1,
    }
    async with context.write() as connection:
        fresh = await insert_if_absent(connection, client_attestation_pops, row)
    if not fresh:
        raise InvalidClient(AttestationReason.POP_REPLAYED.value)


def _well_formed(client_id: str) -> str:
    try:
        return read_client_id(client_id)
    except Rejected:
        raise InvalidClient() from None
