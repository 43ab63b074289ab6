"""The one way to fetch a URL that came from untrusted input (DESIGN §4, THREATS H-11..H-13).

``iss``, ``vct``, a status list ``uri``, a ``credential_offer_uri`` or a ``request_uri`` are
chosen by whoever sent the token or the offer. Fetched naively they turn the service into a
proxy into its own network (SSRF), a sink for a 1 GB body, or a connection held open forever.
:class:`SafeFetcher` fetches them under one policy:

- HTTPS only; plain HTTP only for an origin listed in ``allow_local_origins`` (development
  profile). No credentials in the URL, no cookies, no authentication, no proxy from the
  environment.
- every address the host name resolves to is checked when the connection is made, and the
  connection goes to the checked address; loopback only for the exact host and port of a
  configured local origin (the checks live in :mod:`runtime.fetch_guard`).
- redirects are refused unless ``max_redirects`` allows them; each hop is checked again.
- the body is read as a stream and cut once ``max_bytes`` is crossed; ``identity`` coding only,
  so no decompression can inflate past the cap.
- one deadline covers resolving, connecting, headers and body (a slow drip cannot stretch it).

Refusals raise :class:`FetchRefused` with a :class:`FetchReason`; the message is the reason's
slug and names neither the URL nor the body. Callers map it to their own error class
(THREATS ``FETCH_BLOCKED``: "maps to the caller's class").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import urlencode

import httpcore
import httpx

from runtime.fetch_guard import (
    FetchReason,
    FetchRefused,
    GuardedNetworkBackend,
    Resolver,
    check_url,
    parse_origin,
    resolve,
)

if TYPE_CHECKING:
    from runtime.settings import ServiceSettings

__all__ = ["FetchPolicy", "FetchReason", "FetchRefused", "Fetched", "SafeFetcher"]

_log = logging.getLogger(__name__)

_MEDIA_TYPE = re.compile(r"\*/\*|[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+|\*)")
_CORE_ERRORS: Final = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetcher. Production leaves ``allow_local_origins`` empty (DESIGN §4)."""

    allow_local_origins: frozenset[str] = field(default_factory=frozenset)
    max_bytes: int = 256 * 1024
    timeout: float = 5.0
    max_redirects: int = 0

    def __post_init__(self) -> None:
        for origin in self.allow_local_origins:
            parse_origin(origin)
        if self.max_bytes < 1 or not self.timeout > 0 or self.max_redirects < 0:
            raise ValueError("max_bytes and timeout must be positive, max_redirects >= 0")


@dataclass(frozen=True)
class Fetched:
    """A body that passed every check; ``content_type`` is the bare media type, lower case."""

    url: str
    status: int
    content_type: str | None
    body: bytes


async def _capped_body(response: httpx.Response, limit: int) -> bytes:
    """The body, refused by its declared length first and cut off at ``limit`` bytes read."""
    declared = _declared_length(response.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise FetchRefused(FetchReason.TOO_LARGE)
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):
        raise FetchRefused(FetchReason.UNREACHABLE, cause="synchronous body")
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > limit:
            raise FetchRefused(FetchReason.TOO_LARGE)
    return bytes(body)


def _media_type(value: str | None) -> str | None:
    bare = (value or "").split(";", 1)[0].strip().lower()
    return bare or None


def _accepted_types(accept: str) -> frozenset[str]:
    types = frozenset(_media_type(item) or "" for item in accept.split(","))
    if not types or not all(_MEDIA_TYPE.fullmatch(item) for item in types):
        raise ValueError("accept must list media types")
    return types


def _acceptable(media_type: str | None, accepted: frozenset[str]) -> bool:
    """Media type match ignoring parameters (RFC 9110 §8.3.1), with ``*/*`` and ``type/*``."""
    if "*/*" in accepted:
        return True
    if media_type is None:
        return False
    return media_type in accepted or media_type.split("/", 1)[0] + "/*" in accepted


def _declared_length(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 19:
        raise FetchRefused(FetchReason.UNREACHABLE, cause="content-length")
    return int(value)


@contextlib.contextmanager
def _network_errors() -> Iterator[None]:
    """Translate the HTTP stack's errors into reasons, dropping their text and chain."""
    try:
        yield
    except (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError) as error:
        raise FetchRefused(FetchReason.TIMEOUT, cause=type(error).__name__) from None
    except (httpx.HTTPError, *_CORE_ERRORS, OSError) as error:
        raise FetchRefused(FetchReason.UNREACHABLE, cause=type(error).__name__) from None


class _CoreBody(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    def __aiter__(self) -> AsyncIterator[bytes]:
        return aiter(self._stream)

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


class _GuardedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over :class:`GuardedNetworkBackend`; no proxies, no retries."""

    def __init__(self, backend: GuardedNetworkBackend, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            network_backend=backend,
            http1=True,
            http2=False,
            retries=0,
            max_connections=20,
            keepalive_expiry=5.0,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        if not isinstance(response.stream, AsyncIterable):  # pragma: no cover - async pool
            raise httpcore.ProtocolError("synchronous body")
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_CoreBody(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@functools.cache
def default_tls_context() -> ssl.SSLContext:
    """The system's CA bundle, certificates and host names verified; made once per process.

    Making one reads and parses the whole CA bundle, tens of milliseconds of CPU: the wallet
    service makes a fetcher (and an HTTP client) for each request it forwards, so a context
    per fetcher cost more than the request's own work. An ``SSLContext`` is meant to be
    shared by many connections, and nothing changes this one after it is made.
    """
    return httpx.create_ssl_context(trust_env=False)


class SafeFetcher:
    """Fetches untrusted URLs under a :class:`FetchPolicy`; owns and closes its transport.

    ``ssl_context`` (for a private CA, or a test CA) and ``resolver`` configure the built-in
    transport; it must verify certificates and host names. A ``transport`` replaces the
    network entirely (an in-process app in tests): then the URL checks still run, but there
    is no connection whose address could be checked.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._policy = policy
        self._local = frozenset(parse_origin(origin) for origin in policy.allow_local_origins)
        if transport is not None:
            if ssl_context is not None or resolver is not None:
                raise ValueError("ssl_context and resolver apply to the built-in transport only")
            self._transport = transport
            return
        context = ssl_context or default_tls_context()
        if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
            raise ValueError("the TLS context must verify certificates and host names")
        backend = GuardedNetworkBackend(
            local_endpoints=frozenset((host, port) for _scheme, host, port in self._local),
            resolver=resolver or resolve,
        )
        self._transport = _GuardedTransport(backend, context)

    @classmethod
    def for_settings(cls, settings: ServiceSettings) -> SafeFetcher:
        """The service's fetcher: local origins only in the development profile (DESIGN §4)."""
        development = settings.profile == "development"
        if settings.local_origins and not development:
            raise ValueError("local origins are allowed only in the development profile")
        return cls(FetchPolicy(allow_local_origins=frozenset(settings.local_origins)))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def get(self, url: str, *, accept: str, max_bytes: int | None = None) -> Fetched:
        """GET ``url`` and return its body, or raise :class:`FetchRefused`.

        ``accept`` lists the media types the caller can use (``type/*`` and ``*/*`` allowed);
        ``max_bytes`` lowers or raises the policy's cap for this call.
        """
        limit = self._policy.max_bytes if max_bytes is None else max_bytes
        if limit < 1:
            raise ValueError("max_bytes must be positive")
        accepted = _accepted_types(accept)
        try:
            async with asyncio.timeout(self._policy.timeout):
                return await self._follow(url, accept=accept, accepted=accepted, limit=limit)
        except TimeoutError:
            refused = FetchRefused(FetchReason.TIMEOUT, cause="deadline")
        except FetchRefused as error:
            refused = error
        _log.info("outbound fetch refused: %s (%s)", refused.reason.value, refused.cause)
        raise refused

    async def post_form(
        self, url: str, form: Mapping[str, str], *, max_bytes: int | None = None
    ) -> Fetched:
        """POST ``form`` (``application/x-www-form-urlencoded``) to ``url``; any status.

        For answers the protocol sends to a URL from untrusted input (OpenID4VP's
        ``response_uri``): the same URL and connect-time address checks as :meth:`get`,
        redirects never followed (a 3xx is returned as it is), the reply capped at
        ``max_bytes``. The status and body are the caller's to judge.
        """
        limit = self._policy.max_bytes if max_bytes is None else max_bytes
        if limit < 1:
            raise ValueError("max_bytes must be positive")
        try:
            async with asyncio.timeout(self._policy.timeout):
                target = check_url(url, local_origins=self._local)
                body = urlencode(dict(form)).encode("ascii")
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",
                    "User-Agent": "aanspraak",
                }
                async with self._exchange(
                    target, headers["Accept"], "POST", headers, body
                ) as answer:
                    return await self._read_any(target, answer, limit=limit)
        except TimeoutError:
            refused = FetchRefused(FetchReason.TIMEOUT, cause="deadline")
        except FetchRefused as error:
            refused = error
        _log.info("outbound post refused: %s (%s)", refused.reason.value, refused.cause)
        raise refused

    async def _read_any(
        self, target: httpx.URL, response: httpx.Response, *, limit: int
    ) -> Fetched:
        """Any status and type: the caller judges them (``post_form``); the body is capped."""
        media_type = _media_type(response.headers.get("content-type"))
        body = await _capped_body(response, limit)
        return Fetched(str(target), response.status_code, media_type, body)

    async def _follow(
        self, url: str, *, accept: str, accepted: frozenset[str], limit: int
    ) -> Fetched:
        """Each hop is checked like the first (THREATS T-09, H-12); 3xx counts as a hop."""
        target = check_url(url, local_origins=self._local)
        hops = 0
        while True:
            async with self._exchange(target, accept) as response:
                location = response.headers.get("location")
                if not 300 <= response.status_code < 400 or location is None:
                    return await self._read(target, response, accepted=accepted, limit=limit)
            if hops >= self._policy.max_redirects:
                raise FetchRefused(FetchReason.TOO_MANY_REDIRECTS)
            hops += 1
            try:
                next_url = str(target.join(location))
            except (httpx.InvalidURL, TypeError, ValueError):
                raise FetchRefused(FetchReason.BAD_URL) from None
            target = check_url(next_url, local_origins=self._local)

    @contextlib.asynccontextmanager
    async def _exchange(
        self,
        target: httpx.URL,
        accept: str,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> AsyncIterator[httpx.Response]:
        limit = self._policy.timeout
        request = httpx.Request(
            method,
            target,
            headers=headers
            or {"Accept": accept, "Accept-Encoding": "identity", "User-Agent": "aanspraak"},
            content=content,
            extensions={
                "timeout": {"connect": limit, "read": limit, "write": limit, "pool": limit}
            },
        )
        with _network_errors():
            response = await self._transport.handle_async_request(request)
            try:
                yield response
            finally:
                await response.aclose()

    async def _read(
        self, target: httpx.URL, response: httpx.Response, *, accepted: frozenset[str], limit: int
    ) -> Fetched:
        """Check status, type, coding and declared length, then stream the body up to ``limit``."""
        if not 200 <= response.status_code < 300:
            raise FetchRefused(FetchReason.HTTP_STATUS)
        media_type = _media_type(response.headers.get("content-type"))
        coding = response.headers.get("content-encoding", "identity").strip().lower()
        if not _acceptable(media_type, accepted) or coding not in {"", "identity"}:
            raise FetchRefused(FetchReason.BAD_CONTENT_TYPE)
        body = await _capped_body(response, limit)
        return Fetched(str(target), response.status_code, media_type, body)
