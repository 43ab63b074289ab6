"""Who the citizen is: the login step of the authorization code flow, behind one Protocol.

The authorization endpoint knows which pushed request the browser brings, not who is behind
the browser. An :class:`Authenticator` finds out and names a *subject*: the identifier the
subject source (``issuer.subjects``) knows the citizen by, such as a citizen service number
from DigiD. It works in two steps, so any login that leaves the issuer fits:

1. ``start(login)`` either names the subject at once, or returns the response that takes the
   browser to the login (a redirect to an OpenID Connect provider, a page);
2. the login ends at ``login.callback_url`` (``/authorize/callback``, GET or POST), where
   ``finish(request)`` says which login it was (``login.handle``, a single-use secret the
   authenticator carried through the provider, e.g. in its ``state``) and the subject, or
   ``None`` when the citizen did not log in (the wallet then gets ``access_denied``).

docs/issuer.md describes how an OpenID Connect provider plugs in. The only one bundled is
:class:`DevelopmentAuthenticator`, for the demo and the tests: it believes whatever subject it
is told, so the settings allow it only in the development profile.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from issuer.settings import IssuerSettings

_SUBJECT = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CALLBACK_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Login:
    """One login in progress for one pushed authorization request."""

    handle: str
    """A single-use secret naming this login; it must come back through ``finish``."""
    configuration_id: str
    login_hint: str | None
    callback_url: str


@dataclass(frozen=True, slots=True)
class Finished:
    handle: str
    subject: str | None
    """``None``: the citizen cancelled or the login failed (``access_denied``)."""


class LoginFailed(Exception):
    """The callback cannot be tied to a login (no handle); the message is fixed text."""


class Authenticator(Protocol):
    async def start(self, login: Login) -> str | Response:
        """The subject at once, or the response that takes the browser to the login."""
        ...

    async def finish(self, request: Request) -> Finished:
        """At ``callback_url``: which login ended, and who logged in."""
        ...


class DevelopmentAuthenticator:
    """Development only: the subject is the PAR's ``login_hint``, or typed into a form."""

    async def start(self, login: Login) -> str | Response:
        if login.login_hint is not None:
            return login.login_hint
        page = (
            "<!doctype html><title>Log in (development)</title>"
            f'<form method="post" action="{html.escape(login.callback_url)}">'
            f'<input type="hidden" name="handle" value="{html.escape(login.handle)}">'
            '<label>Subject <input name="subject" required pattern="[A-Za-z0-9_-]{1,64}">'
            "</label> <button>Log in</button></form>"
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def finish(self, request: Request) -> Finished:
        body = (await request.body())[:MAX_CALLBACK_BYTES]
        try:
            form = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise LoginFailed("the login form is malformed") from None
        handle = form.get("handle", "")
        if not handle:
            raise LoginFailed("the login form names no login")
        subject = form.get("subject", "")
        return Finished(handle, subject if _SUBJECT.fullmatch(subject) else None)


def authenticator_for(settings: IssuerSettings) -> Authenticator | None:
    """The configured authenticator; ``None`` turns the authorization code flow off."""
    if settings.authenticator == "development":
        return DevelopmentAuthenticator()
    return None
