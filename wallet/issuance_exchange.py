"""POSTs to a Credential Issuer's endpoints, with a bounded answer, and what the answers must be.

The endpoints come from metadata that ``issuer_discovery`` checked (same origin as the
issuer, fetched through the safe fetcher). Still, what comes back is untrusted: the body is
read as a stream and cut at ``max_bytes`` (after decompression), one deadline covers the
whole exchange, redirects are not followed (a 3xx is an error), and the JSON is parsed
strictly. Error answers keep only their wire code (RFC 6749 §5.2; OpenID4VCI 1.0 §8.3.1):
never their description, which the issuer chose.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from specs.errors import Rejected
from specs.jose import loads_strict
from specs.oid4vci import CredentialResponse, parse_credential_response
from wallet.issuance_dpop import DpopSession, asks_for_nonce
from wallet.issuance_errors import IssuanceFailed, IssuanceReason, wire_code

_JSON = "application/json"
MAX_TOKEN_CHARS = 4096
Headers = Mapping[str, str] | Callable[[], Mapping[str, str]]
"""Extra request headers, or what makes them anew for every attempt (a client attestation
PoP has a single-use ``jti``, so a retried request needs a new one)."""


def error_code(body: object) -> str | None:
    """The ``error`` member of an error answer, sanitised; None when there is none."""
    if isinstance(body, Mapping) and "error" in body:
        return wire_code(body["error"])
    return None


class Exchange:
    """One HTTP client for the issuer's endpoints."""

    def __init__(self, client: httpx.AsyncClient, *, timeout: float, max_bytes: int) -> None:
        self._client = client
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        token: str | None = None,
        dpop: DpopSession | None = None,
        headers: Headers | None = None,
    ) -> tuple[int, Any]:
        """POST a form (§6.1), a JSON body (§8.2, §9.1, §11.1) or nothing (§7.1).

        Returns the status and the parsed JSON body (None when empty). A body that is not
        ``application/json`` or not strict JSON is ``RESPONSE_REFUSED``, except on error
        statuses, where it only costs the wire code. With ``dpop`` every attempt carries a
        fresh proof and the token goes as ``DPoP`` (``wallet.issuance_dpop``); a refusal
        for want of a server nonce is retried once with it. ``headers`` are sent as well
        (client attestation, OpenID4VCI 1.0 Appendix E), made anew for each attempt when
        they are a callable.
        """
        send = functools.partial(
            self._send, url, form=form, json=json, token=token, dpop=dpop, extra=headers
        )
        status, body, answered = await send()
        if dpop is not None and asks_for_nonce(status, body, answered) and dpop.nonce:
            status, body, _ = await send()
        return status, body

    async def _send(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        token: str | None,
        dpop: DpopSession | None,
        extra: Headers | None,
    ) -> tuple[int, Any, httpx.Headers]:
        headers = {"Accept": _JSON, **((extra() if callable(extra) else extra) or {})}
        if dpop is not None:
            headers.update(dpop.headers("POST", url, access_token=token))
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with asyncio.timeout(self._timeout):
                request = self._client.build_request(
                    "POST", url, data=form, json=json, headers=headers
                )
                response = await self._client.send(request, stream=True)
                try:
                    raw = await self._read(response)
                finally:
                    await response.aclose()
        except (httpx.HTTPError, TimeoutError) as exc:
            raise IssuanceFailed(
                IssuanceReason.ISSUER_UNREACHABLE, cause=type(exc).__name__
            ) from None
        if dpop is not None:
            dpop.remember(response.headers)
        return response.status_code, _decode(response, raw), response.headers

    async def _read(self, response: httpx.Response) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="too-large")
        return bytes(body)


def _decode(response: httpx.Response, raw: bytes) -> Any:
    if not raw:
        return None
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    success = response.status_code < 300
    try:
        if media_type != _JSON:
            raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="content-type")
        return loads_strict(raw)
    except Rejected as exc:
        if success:
            raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause=exc.reason.value) from None
    except IssuanceFailed:
        if success:
            raise
    return None


class Notifier:
    """Notification Requests (§11.1); best effort, since the issuer cannot rely on them."""

    def __init__(
        self,
        exchange: Exchange,
        endpoint: str | None,
        access_token: str,
        notification_id: str | None,
        dpop: DpopSession | None = None,
    ) -> None:
        self._exchange = exchange
        self._endpoint = endpoint
        self._access_token = access_token
        self._notification_id = notification_id
        self._dpop = dpop

    async def __call__(self, event: str) -> bool:
        """Send ``event``; True when the issuer answered 2xx (§11.2)."""
        if self._endpoint is None or self._notification_id is None:
            return False
        body = {"notification_id": self._notification_id, "event": event}
        try:
            status, _ = await self._exchange.post(
                self._endpoint, json=body, token=self._access_token, dpop=self._dpop
            )
        except IssuanceFailed:
            return False
        return 200 <= status < 300


def _issuer_error(status: int, body: object) -> IssuanceFailed:
    """An endpoint's error answer: its wire code (RFC 6749 §5.2, §8.3.1), else the status."""
    code = error_code(body)
    return IssuanceFailed(IssuanceReason.ISSUER_ERROR, cause=code if code else f"http-{status}")


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful Token Response: the access token, and a refresh token when one came."""

    access_token: str = field(repr=False)
    dpop_bound: bool
    refresh_token: str | None = field(repr=False)


def read_token_response(status: int, body: object, *, dpop: bool) -> TokenResponse:
    """Successful Token Response (§6.2, RFC 6749 §5.1).

    The ``token_type`` must be the one the request asked for: ``DPoP`` when it carried a
    DPoP proof (RFC 9449 §5: a token the server did not bind is refused, HAIP §4 asks for
    sender-constrained tokens), ``Bearer`` otherwise. A ``refresh_token`` (RFC 6749 §5.1,
    §6) is kept when it is a sane string.
    """
    if status != 200:
        raise _issuer_error(status, body)
    if not isinstance(body, Mapping):
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="token-response")
    token = body.get("access_token")
    token_type = body.get("token_type")
    if not _opaque_token(token):
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="token-response")
    expected = "dpop" if dpop else "bearer"
    if not isinstance(token_type, str) or token_type.lower() != expected:  # RFC 6749 §7.1
        raise IssuanceFailed(IssuanceReason.UNSUPPORTED, cause="token-type")
    if "authorization_details" in body:  # §6.2: then credential_identifier is required
        raise IssuanceFailed(IssuanceReason.UNSUPPORTED, cause="credential-identifiers")
    refresh = body.get("refresh_token")
    if refresh is not None and not _opaque_token(refresh):
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="token-response")
    assert isinstance(token, str)
    return TokenResponse(token, dpop, refresh if isinstance(refresh, str) else None)


def _opaque_token(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_CHARS and value.isascii()


def read_c_nonce(status: int, body: object) -> str:
    if status != 200:
        raise _issuer_error(status, body)
    nonce = body.get("c_nonce") if isinstance(body, Mapping) else None
    if not isinstance(nonce, str) or not 0 < len(nonce) <= 512:
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="nonce-response")
    return nonce


def read_credential_response(status: int, body: object, *, deferred: bool) -> CredentialResponse:
    """§8.3 / §9.2: credentials with HTTP 200, a deferral with HTTP 202, nothing else."""
    if status not in (200, 202):
        raise _issuer_error(status, body)
    try:
        response = parse_credential_response(body)
    except Rejected as exc:
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause=exc.reason.value) from None
    if (response.transaction_id is not None) != deferred:
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="status-mismatch")
    return response


def pending_interval(body: object, previous: int) -> int:
    """The ``interval`` of an ``issuance_pending`` error, when it is a sane number."""
    value = body.get("interval") if isinstance(body, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return previous
