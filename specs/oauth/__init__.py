"""OAuth 2.0 for the authorization code flow of OpenID4VCI, as HAIP 1.0 §4 profiles it.

::

    forms.py     RFC 6749 §3.1, §3.2  form parameters: once each, empty means absent, bounded
    pkce.py      RFC 7636             S256 only: verifier shape, challenge, the §4.6 check
    pushed.py    RFC 9126             the pushed authorization request; the ``request_uri``
                                      the authorization endpoint accepts instead of parameters
    token.py     RFC 6749 §4.1.3, §6  token requests: ``authorization_code``, ``refresh_token``
    response.py  RFC 6749 §4.1.2,     the authorization response with ``iss``: build (server),
                 RFC 9207             parse and check (client)

Pure: the server's stores (pushed requests, codes, refresh tokens), its clock and its
randomness stay with the caller. Every parser raises ``Rejected(OAuthReason.*)`` and nothing
else for bad input.
"""

from specs.oauth.forms import read_form
from specs.oauth.pkce import (
    METHODS_SUPPORTED,
    S256,
    check_code_challenge,
    check_code_verifier,
    code_challenge,
    verify_code_verifier,
)
from specs.oauth.pushed import (
    REQUEST_URI_PREFIX,
    AuthorizationReference,
    PushedAuthorizationRequest,
    build_request_uri,
    check_redirect_uri,
    parse_authorization_reference,
    parse_pushed_authorization_request,
    parse_scope,
)
from specs.oauth.response import (
    build_authorization_error_response,
    build_authorization_response,
    parse_authorization_response,
)
from specs.oauth.token import (
    AUTHORIZATION_CODE_GRANT,
    GRANT_TYPES,
    REFRESH_TOKEN_GRANT,
    AuthorizationCodeRequest,
    RefreshRequest,
    parse_token_request,
)

__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "GRANT_TYPES",
    "METHODS_SUPPORTED",
    "REFRESH_TOKEN_GRANT",
    "REQUEST_URI_PREFIX",
    "S256",
    "AuthorizationCodeRequest",
    "AuthorizationReference",
    "PushedAuthorizationRequest",
    "RefreshRequest",
    "build_authorization_error_response",
    "build_authorization_response",
    "build_request_uri",
    "check_code_challenge",
    "check_code_verifier",
    "check_redirect_uri",
    "code_challenge",
    "parse_authorization_reference",
    "parse_authorization_response",
    "parse_pushed_authorization_request",
    "parse_scope",
    "parse_token_request",
    "read_form",
    "verify_code_verifier",
]
