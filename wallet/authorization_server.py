"""What the wallet reads in an authorization server's metadata (RFC 8414), for both flows.

The document is fetched by ``issuer_discovery`` through the safe fetcher; this reads it
strictly and says which flow the server can run with this wallet:

* its ``issuer`` must be identical to the identifier it was fetched for (RFC 8414 §3.3:
  otherwise the document MUST NOT be used), and its ``token_endpoint`` a URL;
* the Pre-Authorized Code Flow needs the grant in ``grant_types_supported`` (RFC 8414 §2:
  absent means only ``authorization_code`` and ``implicit``) and anonymous access
  (OpenID4VCI 1.0 §12.3), since this wallet sends no ``client_id`` there;
* the authorization code flow, as HAIP 1.0 §4 and §4.3 profile it, needs the grant, a
  pushed authorization request endpoint (RFC 9126 §5; PAR is the only way this wallet sends
  an authorization request), an authorization endpoint, ``S256`` among
  ``code_challenge_methods_supported`` (RFC 7636; HAIP §4), and the ``iss`` response
  parameter (RFC 9207 §3), which the wallet then requires on every answer;
* DPoP (RFC 9449 §5.1): when ``dpop_signing_alg_values_supported`` lists ES256, every
  token request of either flow carries a proof, so the tokens are sender-constrained (HAIP
  §4). The code flow refuses a server without it.
* Wallet attestations (OpenID4VCI 1.0 Appendix E; HAIP §4.4.1): sent only to a server that
  lists ``attest_jwt_client_auth`` in ``token_endpoint_auth_methods_supported`` (RFC 8414
  §2), since a client uses one method the server offers (RFC 6749 §2.3) and a server that
  offers none refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Oid4vciReason, Rejected
from specs.jose import JwsAlg
from specs.oauth import AUTHORIZATION_CODE_GRANT, S256
from specs.oid4vci import PRE_AUTHORIZED_GRANT
from specs.oid4vci.fields import read_url, require_object
from wallet.issuance_errors import IssuanceFailed, IssuanceReason

ATTESTATION_AUTH_METHOD = "attest_jwt_client_auth"
_REFUSED = IssuanceReason.AUTHORIZATION_SERVER_REFUSED
_MALFORMED = Oid4vciReason.MALFORMED_METADATA


@dataclass(frozen=True, slots=True)
class AuthorizationServer:
    """The parts of a checked RFC 8414 document the wallet relies on."""

    issuer: str
    token_endpoint: str
    grant_types: frozenset[str]
    anonymous_pre_authorized: bool
    dpop: bool
    """ES256 DPoP proofs are accepted (RFC 9449 §5.1)."""
    pushed_authorization_endpoint: str | None
    authorization_endpoint: str | None
    pkce_s256: bool
    iss_parameter: bool
    client_attestation: bool
    """Wallet attestations are a client authentication method it offers (Appendix E)."""


def read_authorization_server(
    document: object, *, server: str, allow_http: bool
) -> AuthorizationServer:
    """The metadata of ``server`` (the module docstring), or ``AUTHORIZATION_SERVER_REFUSED``."""
    try:
        body = require_object(document, _MALFORMED)
        if body.get("issuer") != server:  # RFC 8414 §3.3: identical, else not used
            raise IssuanceFailed(_REFUSED, cause="issuer-not-identical")
        token = read_url(body.get("token_endpoint"), _MALFORMED, allow_http=allow_http)
        pushed = _optional_url(body, "pushed_authorization_request_endpoint", allow_http)
        authorize = _optional_url(body, "authorization_endpoint", allow_http)
    except Rejected as exc:
        raise IssuanceFailed(_REFUSED, cause=exc.reason.value) from None
    return AuthorizationServer(
        issuer=server,
        token_endpoint=token,
        grant_types=_strings(body.get("grant_types_supported")),
        anonymous_pre_authorized=body.get("pre-authorized_grant_anonymous_access_supported")
        is True,
        dpop=JwsAlg.ES256.value in _strings(body.get("dpop_signing_alg_values_supported")),
        pushed_authorization_endpoint=pushed,
        authorization_endpoint=authorize,
        pkce_s256=S256 in _strings(body.get("code_challenge_methods_supported")),
        iss_parameter=body.get("authorization_response_iss_parameter_supported") is True,
        client_attestation=ATTESTATION_AUTH_METHOD
        in _strings(body.get("token_endpoint_auth_methods_supported")),
    )


def require_pre_authorized(server: AuthorizationServer) -> None:
    """The Pre-Authorized Code grant, anonymous (OpenID4VCI 1.0 §12.3)."""
    if PRE_AUTHORIZED_GRANT not in server.grant_types:
        raise IssuanceFailed(_REFUSED, cause="pre-authorized-grant-unsupported")
    if not server.anonymous_pre_authorized:
        raise IssuanceFailed(_REFUSED, cause="anonymous-access-unsupported")


def require_code_flow(server: AuthorizationServer) -> None:
    """The authorization code flow with PAR, PKCE S256, ``iss`` and DPoP (HAIP 1.0 §4, §4.3)."""
    if AUTHORIZATION_CODE_GRANT not in server.grant_types:
        raise IssuanceFailed(_REFUSED, cause="authorization-code-grant-unsupported")
    if server.pushed_authorization_endpoint is None or server.authorization_endpoint is None:
        raise IssuanceFailed(_REFUSED, cause="pushed-authorization-unsupported")
    if not server.pkce_s256:
        raise IssuanceFailed(_REFUSED, cause="pkce-s256-unsupported")
    if not server.iss_parameter:
        raise IssuanceFailed(_REFUSED, cause="iss-parameter-unsupported")
    if not server.dpop:
        raise IssuanceFailed(_REFUSED, cause="dpop-unsupported")


def _optional_url(body: Mapping[str, Any], name: str, allow_http: bool) -> str | None:
    value = body.get(name)
    return None if value is None else read_url(value, _MALFORMED, allow_http=allow_http)


def _strings(value: object) -> frozenset[str]:
    """An RFC 8414 array of strings; anything else reads as empty (nothing supported)."""
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str))
