"""Before any secret leaves the wallet: the offer, the issuer and its authorization server.

OpenID4VCI 1.0 §13.5: the values of a Credential Offer are untrusted, and an issuer is not
trusted because it sent one. So, in this order, and before the Transaction Code is sent:

1. the offer is read strictly (§4.1.1), fetched through the safe fetcher when it comes by
   reference (§4.1.3: an ``https`` URL answering ``application/json``);
2. the Credential Issuer Metadata is fetched from the well-known URL of the offer's
   ``credential_issuer`` (§12.2.2); its ``credential_issuer`` must be *identical* to that
   identifier, or the document MUST NOT be used (§12.2.4);
3. the offered configuration must be in the metadata, in the ``dc+sd-jwt`` format
   (Appendix A.3), bound to a ``jwk`` with ``jwt`` ES256 proofs (Appendix F.1); an issuer
   that requires encryption (§10) is refused, since we cannot encrypt;
4. the Authorization Server named by the metadata (the issuer itself when it names none,
   §12.2.4) publishes RFC 8414 metadata whose ``issuer`` is identical to its identifier
   (RFC 8414 §3.3), supports the Pre-Authorized Code grant and anonymous access (§12.3),
   or, for the authorization code flow, PAR, PKCE, ``iss`` and DPoP
   (``authorization_server``), and the configuration has the ``scope`` to ask for it with
   (HAIP 1.0 §4.1, §4.3); an offer whose grant names an ``authorization_server`` the
   metadata does not list is refused (§4.1.1: it MUST be one of them);
5. every endpoint we will POST to (PAR, token, nonce, credential, deferred, notification) is on
   the Credential Issuer's own origin. The POSTs go out on a plain HTTP client, so this rule
   is what keeps the tx_code, the access token and the proofs from being sent anywhere the
   fetcher has not already checked. An issuer whose authorization server lives on another
   origin is therefore refused for now.

Every GET of a URL that came from the offer or the metadata goes through ``SafeFetcher``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from runtime.fetcher import FetchRefused, SafeFetcher
from specs.errors import Oid4vciReason, Rejected
from specs.jose import JwsAlg, loads_strict
from specs.oid4vci import (
    CREDENTIAL_FORMAT,
    CredentialOffer,
    IssuerMetadata,
    authorization_server_metadata_url,
    issuer_metadata_url,
    parse_credential_offer,
    parse_issuer_metadata,
    parse_offer_link,
)
from specs.oid4vci.offer import DEFAULT_MAX_LINK_BYTES
from wallet.authorization_server import (
    AuthorizationServer,
    read_authorization_server,
    require_code_flow,
    require_pre_authorized,
)
from wallet.issuance_errors import IssuanceFailed, IssuanceReason

JSON = "application/json"
_R = IssuanceReason


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the wallet POSTs; all on the Credential Issuer's origin."""

    token: str
    credential: str
    nonce: str | None
    deferred: str | None
    notification: str | None
    dpop: bool = False
    """Token requests carry a DPoP proof (RFC 9449; HAIP §4): the server accepts ES256."""
    pushed_authorization: str | None = None
    """RFC 9126 PAR endpoint: the code flow only."""
    authorization: str | None = None
    """Where the browser goes (RFC 9126 §4): the code flow only; not POSTed to."""
    authorization_server: str | None = None
    """The server's issuer identifier: the ``aud`` of client attestation PoPs."""
    client_attestation: bool = False
    """The server takes wallet attestations as client authentication (HAIP §4.4.1)."""


@dataclass(frozen=True, slots=True)
class CheckedIssuer:
    """An offer whose issuer passed steps 1-5: what the rest of the flow may rely on."""

    offer: CredentialOffer
    metadata: IssuerMetadata
    configuration_id: str
    vct: str
    endpoints: Endpoints
    max_proofs: int
    """``batch_size`` of the metadata (§12.2.4), 1 when the issuer issues no batches."""
    scope: str | None = None
    """The configuration's ``scope`` (§12.2.4): what a code flow's ``scope`` names."""
    key_attestations: bool = False
    """The ``jwt`` proof type names ``key_attestations_required`` (§12.2.4; HAIP §4.5.1)."""

    @property
    def issuer(self) -> str:
        return self.metadata.credential_issuer


async def fetch_json(
    fetcher: SafeFetcher, url: str, *, refused: IssuanceReason, accept: str = JSON
) -> Any:
    """GET through the safe fetcher and parse strictly; ``refused`` names the bad document."""
    try:
        fetched = await fetcher.get(url, accept=accept)
    except FetchRefused as exc:
        raise IssuanceFailed(_R.FETCH_REFUSED, cause=exc.reason.value) from None
    try:
        return loads_strict(fetched.body)
    except Rejected as exc:
        raise IssuanceFailed(refused, cause=exc.reason.value) from None


async def load_offer(
    fetcher: SafeFetcher, offer: str | Mapping[str, Any], *, allow_http: bool
) -> tuple[CredentialOffer, bool]:
    """The offer, and whether it came by reference (§4.1.2, §4.1.3).

    ``offer`` is the offer object, its JSON text, or a link (``openid-credential-offer://``
    or ``https``) carrying ``credential_offer`` or ``credential_offer_uri``. Text is bounded
    before it is parsed, as a link is (``parse_offer_link``).
    """
    try:
        if isinstance(offer, Mapping):
            return parse_credential_offer(offer, allow_http=allow_http), False
        if len(offer) > DEFAULT_MAX_LINK_BYTES:
            raise Rejected(Oid4vciReason.OFFER_TOO_LARGE)
        if offer.lstrip().startswith("{"):
            return parse_credential_offer(loads_strict(offer), allow_http=allow_http), False
        found = parse_offer_link(offer, allow_http=allow_http)
    except Rejected as exc:
        raise IssuanceFailed(_R.OFFER_REFUSED, cause=exc.reason.value) from None
    if isinstance(found, CredentialOffer):
        return found, False
    document = await fetch_json(fetcher, found, refused=_R.OFFER_REFUSED)
    try:
        return parse_credential_offer(document, allow_http=allow_http), True
    except Rejected as exc:
        raise IssuanceFailed(_R.OFFER_REFUSED, cause=exc.reason.value) from None


async def check_issuer(
    fetcher: SafeFetcher,
    offer: CredentialOffer,
    *,
    configuration_id: str | None,
    allow_http: bool,
    code_flow: bool = False,
) -> CheckedIssuer:
    """Steps 2-5 of the module docstring; raises ``IssuanceFailed`` at the first failure.

    ``code_flow`` checks for the authorization code flow instead of the offer's
    Pre-Authorized Code (an offer without grants, or one the wallet made itself from an
    issuer and a configuration, HAIP §4: wallet-initiated issuance)."""
    if not code_flow and offer.pre_authorized_code is None:
        raise IssuanceFailed(_R.OFFER_REFUSED, cause="no-pre-authorized-grant")
    chosen = configuration_id or offer.configuration_ids[0]
    if chosen not in offer.configuration_ids:
        raise IssuanceFailed(_R.CONFIGURATION_UNKNOWN)
    issuer = offer.credential_issuer
    try:
        url = issuer_metadata_url(issuer)
    except Rejected as exc:
        raise IssuanceFailed(_R.OFFER_REFUSED, cause=exc.reason.value) from None
    document = await fetch_json(fetcher, url, refused=_R.METADATA_REFUSED)
    try:
        metadata = parse_issuer_metadata(document, expected_issuer=issuer, allow_http=allow_http)
    except Rejected as exc:
        raise IssuanceFailed(_R.METADATA_REFUSED, cause=exc.reason.value) from None
    if metadata.encryption_required:
        raise IssuanceFailed(_R.UNSUPPORTED, cause="encryption-required")
    vct, scope, key_attestations = _configuration(metadata, chosen)
    hint = offer.authorization_server
    if hint is not None and hint not in metadata.authorization_servers:
        # §4.1.1: the grant's authorization_server MUST be one the metadata lists.
        raise IssuanceFailed(_R.OFFER_REFUSED, cause="authorization-server-not-advertised")
    server = await _authorization_server(fetcher, metadata, allow_http=allow_http)
    if code_flow:
        require_code_flow(server)
        if scope is None:  # HAIP 1.0 §4.1: a scope for every configuration
            raise IssuanceFailed(_R.UNSUPPORTED, cause="no-scope")
    else:
        require_pre_authorized(server)
    endpoints = Endpoints(
        token=server.token_endpoint,
        credential=metadata.credential_endpoint,
        nonce=metadata.nonce_endpoint,
        deferred=metadata.deferred_credential_endpoint,
        notification=metadata.notification_endpoint,
        dpop=server.dpop,
        pushed_authorization=server.pushed_authorization_endpoint if code_flow else None,
        authorization=server.authorization_endpoint if code_flow else None,
        authorization_server=server.issuer,
        client_attestation=server.client_attestation,
    )
    _require_same_origin(issuer, endpoints)
    batch = metadata.batch_size or 1
    return CheckedIssuer(offer, metadata, chosen, vct, endpoints, batch, scope, key_attestations)


def _configuration(metadata: IssuerMetadata, configuration_id: str) -> tuple[str, str | None, bool]:
    """Step 3: ``dc+sd-jwt``, ``jwk`` binding, ``jwt`` proofs with ES256 (A.3.2, F.1); the
    configuration's ``vct``, ``scope``, and whether its proofs need key attestations."""
    entry = metadata.configurations.get(configuration_id)
    if entry is None:  # §4.1.1: ids are keys of credential_configurations_supported
        raise IssuanceFailed(_R.CONFIGURATION_UNKNOWN)
    if entry["format"] != CREDENTIAL_FORMAT:
        raise IssuanceFailed(_R.UNSUPPORTED, cause="credential-format")
    if "jwk" not in entry.get("cryptographic_binding_methods_supported", ()):
        raise IssuanceFailed(_R.UNSUPPORTED, cause="key-binding-method")
    proof_types = entry.get("proof_types_supported", {})
    jwt_proof = proof_types.get("jwt", {})
    if JwsAlg.ES256.value not in jwt_proof.get("proof_signing_alg_values_supported", ()):
        raise IssuanceFailed(_R.UNSUPPORTED, cause="proof-type")
    vct: str = entry["vct"]
    scope = entry.get("scope")
    attested = isinstance(jwt_proof, dict) and "key_attestations_required" in jwt_proof
    return vct, scope if isinstance(scope, str) and scope else None, attested


async def _authorization_server(
    fetcher: SafeFetcher, metadata: IssuerMetadata, *, allow_http: bool
) -> AuthorizationServer:
    """Step 4: RFC 8414 metadata of the Authorization Server the issuer relies on.

    With several servers we take the issuer itself when listed, else the first: the offer's
    ``authorization_server`` hint (§4.1.1) does not choose; ``check_issuer`` only refuses an
    offer whose hint names a server the metadata does not list.
    """
    servers = metadata.authorization_servers
    server = metadata.credential_issuer if metadata.credential_issuer in servers else servers[0]
    refused = _R.AUTHORIZATION_SERVER_REFUSED
    try:
        url = authorization_server_metadata_url(server)
    except Rejected as exc:
        raise IssuanceFailed(refused, cause=exc.reason.value) from None
    document = await fetch_json(fetcher, url, refused=refused)
    return read_authorization_server(document, server=server, allow_http=allow_http)


def origin_of(url: str) -> tuple[str, str, int]:
    """RFC 6454 §4: scheme, host (lower case), port (the scheme's default when absent)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise IssuanceFailed(_R.FOREIGN_ENDPOINT) from None
    port = parsed.port or {"https": 443, "http": 80}.get(parsed.scheme, 0)
    return parsed.scheme, parsed.host.lower(), port


def _require_same_origin(issuer: str, endpoints: Endpoints) -> None:
    """Step 5: every endpoint on the Credential Issuer's origin, or ``FOREIGN_ENDPOINT``."""
    home = origin_of(issuer)
    urls = (
        endpoints.pushed_authorization,
        endpoints.token,
        endpoints.credential,
        endpoints.nonce,
        endpoints.deferred,
        endpoints.notification,
    )
    for url in urls:
        if url is not None and origin_of(url) != home:
            raise IssuanceFailed(_R.FOREIGN_ENDPOINT)
