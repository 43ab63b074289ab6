"""The authorization response of the code flow (RFC 6749 §4.1.2) with ``iss`` (RFC 9207).

The server sends the browser back to the client's ``redirect_uri`` with ``code`` and the
client's ``state``, or with ``error`` (§4.1.2.1), and always with ``iss``, its own issuer
identifier (RFC 9207 §2): a wallet talking to several issuers can then tell which one
answered, which defeats mix-up attacks (RFC 9700 §4.4). A query the redirect URI already
has is kept (§3.1.2).

``parse_authorization_response`` is the client's side: ``iss`` must be present and
identical to the issuer it sent the request to (RFC 9207 §2.4: ``ISSUER_MISMATCH``),
``state`` identical to the one it sent (§10.12: ``STATE_MISMATCH``), and an ``error``
answer is ``AUTHORIZATION_RESPONSE_ERROR``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from specs.errors import OAuthReason, Rejected
from specs.jose import constant_time_equals
from specs.oauth.forms import read_form, required

MAX_RESPONSE_URL_CHARS = 8192


def build_authorization_response(
    redirect_uri: str, *, code: str, state: str | None, issuer: str
) -> str:
    """Where to send the browser after a successful authorization (§4.1.2, RFC 9207 §2)."""
    return _with_parameters(redirect_uri, {"code": code, "state": state, "iss": issuer})


def build_authorization_error_response(
    redirect_uri: str, *, error: str, state: str | None, issuer: str
) -> str:
    """An error answer (§4.1.2.1: ``access_denied``, ``server_error``, ...) with ``iss``."""
    return _with_parameters(redirect_uri, {"error": error, "state": state, "iss": issuer})


def parse_authorization_response(url: str, *, issuer: str, state: str | None) -> str:
    """The ``code`` of a response to the request this client sent (the module docstring)."""
    if type(url) is not str or len(url) > MAX_RESPONSE_URL_CHARS:
        raise Rejected(OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE)
    query = urlsplit(url).query
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise Rejected(OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE) from None
    try:
        form = read_form(pairs)
    except Rejected:
        raise Rejected(OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE) from None
    returned_issuer = form.get("iss")
    if returned_issuer is None or not constant_time_equals(returned_issuer, issuer):
        raise Rejected(OAuthReason.ISSUER_MISMATCH)
    returned_state = form.get("state")
    if (returned_state is None) != (state is None) or (
        returned_state is not None
        and state is not None
        and not constant_time_equals(returned_state, state)
    ):
        raise Rejected(OAuthReason.STATE_MISMATCH)
    if "error" in form:
        raise Rejected(OAuthReason.AUTHORIZATION_RESPONSE_ERROR)
    try:
        return required(form, "code")
    except Rejected:
        raise Rejected(OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE) from None


def _with_parameters(redirect_uri: str, parameters: dict[str, str | None]) -> str:
    parts = urlsplit(redirect_uri)
    added = urlencode({name: value for name, value in parameters.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
