"""The authorization server's metadata (RFC 8414), as HAIP 1.0 §4.1 asks for it.

The issuer is its own authorization server. Besides the pre-authorized grant of OpenID4VCI
1.0 §12.3 it advertises:

* DPoP (RFC 9449 §5.1): ``dpop_signing_alg_values_supported``, ES256 as everywhere here;
* with the authorization code flow on (an authenticator and a subject source configured):
  ``authorization_endpoint``, ``pushed_authorization_request_endpoint`` with
  ``require_pushed_authorization_requests`` true (RFC 9126 §5; the authorization endpoint
  accepts nothing else, in HAIP mode or not), ``response_types_supported`` ``code``,
  ``code_challenge_methods_supported`` ``S256`` (RFC 7636), the ``iss`` response parameter
  (RFC 9207 §3), ``scopes_supported`` (one per credential configuration), and the
  ``authorization_code`` and ``refresh_token`` grants;
* ``token_endpoint_auth_methods_supported`` from ``issuer.client_auth``, the one place that
  knows how clients authenticate: ``attest_jwt_client_auth`` (wallet attestations, HAIP
  §4.4.1) when wallet-provider roots are configured, with
  ``client_attestation_signing_alg_values_supported`` and
  ``client_attestation_pop_signing_alg_values_supported``; ``none`` (public clients) outside
  strict HAIP mode.
"""

from __future__ import annotations

from typing import Any

from issuer.authorization import code_flow_enabled
from issuer.client_auth import client_attestation_metadata, token_endpoint_auth_methods
from issuer.context import IssuerContext
from specs.dpop import ALLOWED_ALGS
from specs.oauth import AUTHORIZATION_CODE_GRANT, METHODS_SUPPORTED, REFRESH_TOKEN_GRANT
from specs.oid4vci import PRE_AUTHORIZED_GRANT, build_authorization_server_metadata


def authorization_server_metadata(context: IssuerContext) -> dict[str, Any]:
    document = build_authorization_server_metadata(
        issuer=context.issuer_id, token_endpoint=context.url("/token")
    )
    grants = [PRE_AUTHORIZED_GRANT]
    if code_flow_enabled(context):
        document.update(
            {
                "authorization_endpoint": context.url("/authorize"),
                "pushed_authorization_request_endpoint": context.url("/par"),
                "require_pushed_authorization_requests": True,
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": list(METHODS_SUPPORTED),
                "authorization_response_iss_parameter_supported": True,
                "scopes_supported": [c.scope for c in context.configurations.by_id.values()],
            }
        )
        grants += [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT]
    document["grant_types_supported"] = grants
    document["token_endpoint_auth_methods_supported"] = token_endpoint_auth_methods(context)
    document.update(client_attestation_metadata(context))
    document["dpop_signing_alg_values_supported"] = sorted(ALLOWED_ALGS)
    return document
