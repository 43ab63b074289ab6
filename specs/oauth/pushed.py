"""Pushed Authorization Requests (RFC 9126) and the authorization request that refers to one.

The wallet POSTs its authorization request to the PAR endpoint (§2.1) and gets a
``request_uri`` back (§2.2); the browser then carries only ``client_id`` and that
``request_uri`` to the authorization endpoint (§4). HAIP 1.0 §4.3 makes PAR mandatory, and
this issuer accepts authorization requests no other way, so nothing the browser could tamper
with reaches the server. ``parse_pushed_authorization_request`` checks, each with its reason:

* ``response_type`` is ``code`` (RFC 6749 §4.1.1): ``UNSUPPORTED_RESPONSE_TYPE``;
* ``client_id`` (RFC 9126 §2.1; printable ASCII) and ``redirect_uri`` are present
  (``MISSING_PARAMETER``); without client registration the redirect URI must come with every
  request, absolute and without a fragment (RFC 6749 §3.1.2), plain ``http`` only to a
  loopback address (RFC 8252 §7.3), never a scheme that runs or reads content in the browser
  (``REDIRECT_URI_INVALID``);
* ``scope`` is present and a list of RFC 6749 §3.3 scope tokens (``MALFORMED_SCOPE``): HAIP
  1.0 §4.3 carries the credential type in it;
* PKCE with ``S256`` (``specs.oauth.pkce``);
* ``request_uri`` "MUST NOT be provided" in a pushed request (RFC 9126 §2.1):
  ``REQUEST_URI_IN_PUSHED_REQUEST``; a ``request`` object (JAR, RFC 9101) is not supported
  and refused rather than ignored (``REQUEST_OBJECT_UNSUPPORTED``);
* ``authorization_details`` (RFC 9396) is not supported: §5 of that RFC asks a server that
  does not support it to answer ``invalid_authorization_details``
  (``AUTHORIZATION_DETAILS_UNSUPPORTED``);
* ``dpop_jkt`` (RFC 9449 §10), optional, binds the authorization code to a DPoP key: the
  RFC 7638 SHA-256 thumbprint, 43 base64url characters (``DPOP_JKT_MALFORMED``);
* ``state``, ``issuer_state`` (OpenID4VCI 1.0 §5.1.3) and ``login_hint`` are optional and
  bounded. Other parameters are ignored (RFC 6749 §3.1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from specs.errors import OAuthReason, Rejected
from specs.oauth.forms import read_form, required, visible_ascii
from specs.oauth.pkce import check_code_challenge

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
"""RFC 9126 §2.2 suggests this URN namespace for the reference the server hands out."""
MAX_CLIENT_ID_CHARS = 255
MAX_STATE_CHARS = 512
MAX_LOGIN_HINT_CHARS = 256
MAX_SCOPES = 8
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_BROWSER_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")  # RFC 6749 §3.3 NQCHAR
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class PushedAuthorizationRequest:
    """An authorization request of the code flow, as pushed to the PAR endpoint."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    state: str | None
    issuer_state: str | None
    login_hint: str | None
    dpop_jkt: str | None = None
    """RFC 9449 §10: the thumbprint of the DPoP key the code is bound to, if the client named
    one."""


@dataclass(frozen=True, slots=True)
class AuthorizationReference:
    """What reaches the authorization endpoint: who asks, and which pushed request (§4)."""

    client_id: str
    reference: str
    """The server's random part of ``request_uri``, after ``REQUEST_URI_PREFIX``."""


def parse_pushed_authorization_request(
    pairs: Sequence[tuple[str, str]],
) -> PushedAuthorizationRequest:
    """Read a pushed authorization request's form (the module docstring lists the checks)."""
    form = read_form(pairs)
    if "request_uri" in form:
        raise Rejected(OAuthReason.REQUEST_URI_IN_PUSHED_REQUEST)
    if "request" in form:
        raise Rejected(OAuthReason.REQUEST_OBJECT_UNSUPPORTED)
    if "authorization_details" in form:
        raise Rejected(OAuthReason.AUTHORIZATION_DETAILS_UNSUPPORTED)
    if required(form, "response_type") != "code":
        raise Rejected(OAuthReason.UNSUPPORTED_RESPONSE_TYPE)
    client_id = read_client_id(required(form, "client_id"))
    redirect_uri = check_redirect_uri(required(form, "redirect_uri"))
    scopes = parse_scope(required(form, "scope"))
    challenge = check_code_challenge(form.get("code_challenge"), form.get("code_challenge_method"))
    return PushedAuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=challenge,
        state=_bounded(form.get("state"), MAX_STATE_CHARS),
        issuer_state=_bounded(form.get("issuer_state"), MAX_STATE_CHARS),
        login_hint=_bounded(form.get("login_hint"), MAX_LOGIN_HINT_CHARS),
        dpop_jkt=_thumbprint(form.get("dpop_jkt")),
    )


def _thumbprint(value: str | None) -> str | None:
    """A ``dpop_jkt``: base64url of a SHA-256 digest, 43 characters (RFC 9449 §10)."""
    if value is not None and not _THUMBPRINT.fullmatch(value):
        raise Rejected(OAuthReason.DPOP_JKT_MALFORMED)
    return value


def parse_authorization_reference(pairs: Sequence[tuple[str, str]]) -> AuthorizationReference:
    """The authorization endpoint's query (RFC 9126 §4): ``client_id`` and a ``request_uri``
    of ours (``MALFORMED_REQUEST_URI`` otherwise). Every other parameter is ignored: the
    pushed request is the only source of the request's parameters."""
    form = read_form(pairs)
    client_id = read_client_id(required(form, "client_id"))
    request_uri = required(form, "request_uri")
    reference = request_uri.removeprefix(REQUEST_URI_PREFIX)
    if reference == request_uri or not _REFERENCE.fullmatch(reference):
        raise Rejected(OAuthReason.MALFORMED_REQUEST_URI)
    return AuthorizationReference(client_id=client_id, reference=reference)


def build_request_uri(reference: str) -> str:
    """The ``request_uri`` for a pushed request stored under ``reference`` (§2.2)."""
    if not _REFERENCE.fullmatch(reference):
        raise ValueError("a reference is 16 to 128 base64url characters")
    return REQUEST_URI_PREFIX + reference


def read_client_id(value: str) -> str:
    """A ``client_id``: printable ASCII (RFC 6749 Appendix A.1), bounded."""
    if not visible_ascii(value, max_chars=MAX_CLIENT_ID_CHARS):
        raise Rejected(OAuthReason.MALFORMED_REQUEST)
    return value


def parse_scope(value: str) -> tuple[str, ...]:
    """RFC 6749 §3.3: space-delimited scope tokens, each NQCHAR text; no repeats."""
    tokens = tuple(value.split(" "))
    if len(tokens) > MAX_SCOPES or len(set(tokens)) != len(tokens):
        raise Rejected(OAuthReason.MALFORMED_SCOPE)
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise Rejected(OAuthReason.MALFORMED_SCOPE)
    return tokens


def check_redirect_uri(value: str) -> str:
    """An absolute URI without fragment (RFC 6749 §3.1.2); http only to loopback (RFC 8252)."""
    invalid = Rejected(OAuthReason.REDIRECT_URI_INVALID)
    if not visible_ascii(value, max_chars=2048) or " " in value or "#" in value:
        raise invalid
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise invalid from None
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(parts.scheme) or scheme in _BROWSER_SCHEMES:
        raise invalid
    if parts.username is not None or parts.password is not None:
        raise invalid
    if scheme in {"http", "https"} and not host:
        raise invalid
    if scheme == "http" and host not in _LOOPBACK:
        raise invalid
    if scheme not in {"http", "https"} and not (parts.netloc or parts.path):
        raise invalid
    return value


def _bounded(value: str | None, max_chars: int) -> str | None:
    if value is not None and not visible_ascii(value, max_chars=max_chars):
        raise Rejected(OAuthReason.MALFORMED_REQUEST)
    return value
