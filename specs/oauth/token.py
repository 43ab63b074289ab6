"""Token requests of the authorization code flow (RFC 6749 §4.1.3) and of refresh (§6).

The pre-authorized code grant of OpenID4VCI has its own parser (``specs.oid4vci``); this one
reads the two grants OAuth itself defines, so the token endpoint can tell them apart by
``grant_type`` and hand each form to the parser that knows it:

* ``authorization_code``: ``code``, ``redirect_uri`` (§4.1.3: required because every
  authorization request here carried one), ``client_id`` (a public client names itself,
  §3.2.1) and ``code_verifier`` (RFC 7636 §4.5), each ``MISSING_PARAMETER`` when absent;
* ``refresh_token``: ``refresh_token``, with ``client_id`` and ``scope`` optional (§6);
* any other ``grant_type``: ``UNSUPPORTED_GRANT_TYPE`` (§5.2).

Whether the code, verifier, redirect URI or refresh token are right is the server's check
against what it stored; here only their shape is checked (``MALFORMED_REQUEST``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from specs.errors import OAuthReason, Rejected
from specs.oauth.forms import read_form, required, visible_ascii
from specs.oauth.pkce import check_code_verifier
from specs.oauth.pushed import check_redirect_uri, parse_scope, read_client_id

AUTHORIZATION_CODE_GRANT = "authorization_code"
REFRESH_TOKEN_GRANT = "refresh_token"  # noqa: S105 - a grant type name, not a secret
GRANT_TYPES = (AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT)
MAX_CODE_CHARS = 512


@dataclass(frozen=True, slots=True)
class AuthorizationCodeRequest:
    """§4.1.3: exchange an authorization code for tokens."""

    code: str
    redirect_uri: str
    client_id: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """§6: a new access token (and, rotated, a new refresh token) for a refresh token."""

    refresh_token: str
    client_id: str | None
    scopes: tuple[str, ...] | None


def parse_token_request(
    pairs: Sequence[tuple[str, str]],
) -> AuthorizationCodeRequest | RefreshRequest:
    """Read a token request of one of ``GRANT_TYPES`` (the module docstring)."""
    form = read_form(pairs)
    grant_type = required(form, "grant_type")
    if grant_type == AUTHORIZATION_CODE_GRANT:
        return AuthorizationCodeRequest(
            code=_opaque(required(form, "code")),
            redirect_uri=check_redirect_uri(required(form, "redirect_uri")),
            client_id=read_client_id(required(form, "client_id")),
            code_verifier=check_code_verifier(required(form, "code_verifier")),
        )
    if grant_type == REFRESH_TOKEN_GRANT:
        client_id = form.get("client_id")
        scope = form.get("scope")
        return RefreshRequest(
            refresh_token=_opaque(required(form, "refresh_token")),
            client_id=None if client_id is None else read_client_id(client_id),
            scopes=None if scope is None else parse_scope(scope),
        )
    raise Rejected(OAuthReason.UNSUPPORTED_GRANT_TYPE)


def _opaque(value: str) -> str:
    """A code or refresh token: printable ASCII (RFC 6749 Appendix A.11, A.17), bounded."""
    if not visible_ascii(value, max_chars=MAX_CODE_CHARS):
        raise Rejected(OAuthReason.MALFORMED_REQUEST)
    return value
