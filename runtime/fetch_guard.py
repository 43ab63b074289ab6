"""What an outbound fetch may reach: URL checks and address checks (DESIGN §4, THREATS H-11/12).

A URL that comes from untrusted input (``iss``, ``vct``, a status ``uri``, an offer or request
URI) must not reach the operator's own network: loopback, RFC 1918 ranges, link-local (the
cloud metadata address 169.254.169.254), unique-local IPv6 and the rest of the special-purpose
registries (RFC 6890; IANA IPv4 and IPv6 Special-Purpose Address Registries).

Checking the host name before the request is not enough: the name can resolve to a public
address for the check and to 127.0.0.1 for the connection (DNS rebinding). So the address check
runs inside :class:`GuardedNetworkBackend`, the network backend of the HTTP stack: it resolves
the name once, refuses when *any* address is forbidden, and connects to the address it checked.
TLS still runs against the URL's host name: the connection layer takes the SNI name and the
name the certificate must match from the request's origin, not from the socket's address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Final

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
Origin = tuple[str, str, int]  # scheme, host (lower case, IDNA), port (RFC 6454 §4)

MAX_URL_LENGTH: Final = 8 * 1024
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HOST_NAME: Final = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


class FetchReason(StrEnum):
    """Why an outbound fetch was refused; the value is a stable slug."""

    NOT_HTTPS = "not-https"
    BAD_URL = "bad-url"
    FORBIDDEN_ADDRESS = "forbidden-address"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    HTTP_STATUS = "http-status"
    UNREACHABLE = "unreachable"
    BAD_CONTENT_TYPE = "bad-content-type"


class FetchRefused(Exception):
    """The fetch did not produce an acceptable body; ``reason`` says why.

    The message is the reason's slug. ``cause`` is the class name of the underlying network
    error, if any: enough for a log line, never the URL, an address or the body.
    """

    def __init__(self, reason: FetchReason, *, cause: str | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.cause = cause

    def __repr__(self) -> str:
        return f"FetchRefused(FetchReason.{self.reason.name})"


# Ranges refused on top of ``not is_global``: ``is_global`` differs between Python releases
# and calls some of these global (multicast, parts of 192.0.0.0/24, 6to4 relays, ::/96).
_FORBIDDEN_V4: Final = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network" (RFC 791)
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback (RFC 1122)
        "169.254.0.0/16",  # link-local, cloud metadata (RFC 3927)
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "192.0.2.0/24",  # documentation (RFC 5737)
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated (RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation (RFC 5737)
        "203.0.113.0/24",  # documentation (RFC 5737)
        "224.0.0.0/4",  # multicast (RFC 5771)
        "240.0.0.0/4",  # reserved, includes broadcast (RFC 1112)
    )
)
_FORBIDDEN_V6: Final = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/8",  # unspecified, loopback, IPv4-compatible, reserved (RFC 4291)
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation (RFC 8215)
        "100::/64",  # discard-only (RFC 6666)
        "2001::/23",  # IETF protocol assignments, includes Teredo (RFC 2928, RFC 4380)
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637)
        "fc00::/7",  # unique-local (RFC 4193)
        "fe80::/10",  # link-local (RFC 4291)
        "fec0::/10",  # site-local, deprecated (RFC 3879)
        "ff00::/8",  # multicast (RFC 4291)
    )
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix (RFC 6052)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where traffic ends up at that address.

    IPv4-mapped (RFC 4291 §2.5.5.2), NAT64 well-known prefix (RFC 6052 §2.1) and 6to4
    (RFC 3056 §2): refusing 127.0.0.1 but not ``::ffff:127.0.0.1`` would be a bypass.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_loopback(address: IPAddress) -> bool:
    """127.0.0.0/8, ::1, or an IPv6 form of an IPv4 loopback address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return inner.is_loopback
    return address.is_loopback


def is_forbidden(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """True when an untrusted URL must not reach ``address`` (DESIGN §4, THREATS H-12).

    Allowed are globally reachable unicast addresses only. ``allow_loopback`` is for the
    development profile's configured local origins and admits loopback and nothing else:
    private and link-local addresses stay forbidden.
    """
    if allow_loopback and is_loopback(address):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_forbidden(inner)
        if address.scope_id is not None or any(address in net for net in _FORBIDDEN_V6):
            return True
    elif any(address in net for net in _FORBIDDEN_V4):
        return True
    return not address.is_global or address.is_multicast


def parse_address(text: str) -> IPAddress | None:
    """An IP address literal, or None for anything else (host names, odd numeric forms)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_origin(text: str) -> Origin:
    """An ``http(s)://host[:port]`` origin from configuration; ValueError for anything else."""
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError("an origin must be http(s)://host[:port]") from None
    extras = url.userinfo or url.query or url.fragment or url.path not in {"", "/"}
    if url.scheme not in DEFAULT_PORTS or not url.raw_host or extras:
        raise ValueError("an origin must be http(s)://host[:port]")
    return origin_of(url)


def origin_of(url: httpx.URL) -> Origin:
    port = url.port if url.port is not None else DEFAULT_PORTS[url.scheme]
    return url.scheme, url.raw_host.decode("ascii").lower(), port


def check_url(raw: str, *, local_origins: frozenset[Origin]) -> httpx.URL:
    """Parse an untrusted URL and apply the checks that need no network (THREATS H-11).

    Credentials in the URL are refused (``https://a@b`` is a classic way to make a URL read
    as a different host); fragments are dropped, as they are never sent. A host that is an
    address literal is checked here already; names are checked when connecting.
    """
    if not raw or len(raw) > MAX_URL_LENGTH:
        raise FetchRefused(FetchReason.BAD_URL)
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchRefused(FetchReason.BAD_URL) from None
    if not url.scheme:
        raise FetchRefused(FetchReason.BAD_URL)
    if url.scheme not in DEFAULT_PORTS:
        raise FetchRefused(FetchReason.NOT_HTTPS)
    host = url.raw_host.decode("ascii").lower()
    address = parse_address(host)
    authority = re.split(r"[/?#]", raw.split("://", 1)[-1], maxsplit=1)[0]
    if "@" in authority or (address is None and not _HOST_NAME.fullmatch(host)):
        raise FetchRefused(FetchReason.BAD_URL)
    if url.port is not None and not 0 < url.port < 65536:
        raise FetchRefused(FetchReason.BAD_URL)
    origin = origin_of(url)
    if url.scheme == "http" and origin not in local_origins:
        raise FetchRefused(FetchReason.NOT_HTTPS)
    local = any(origin[1:] == allowed[1:] for allowed in local_origins)
    if address is not None and is_forbidden(address, allow_loopback=local):
        raise FetchRefused(FetchReason.FORBIDDEN_ADDRESS)
    return url.copy_with(fragment=None)


async def resolve(host: str, port: int) -> Sequence[str]:
    """The system resolver's addresses for ``host``, asked once, for a TCP connection."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise httpcore.ConnectError("name resolution failed") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0])
        if text not in addresses:
            addresses.append(text)
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects to a checked address, never re-resolving.

    ``local_endpoints`` holds the ``(host, port)`` pairs of the configured local origins; only
    a connection to exactly such a pair may use a loopback address.
    """

    def __init__(
        self,
        *,
        local_endpoints: frozenset[tuple[str, int]],
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._local_endpoints = local_endpoints
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """All addresses of ``host``, or FetchRefused(FORBIDDEN_ADDRESS) if any is forbidden."""
        allow_loopback = (host.lower(), port) in self._local_endpoints
        addresses = [parse_address(text) for text in await self._resolver(host, port)]
        if not addresses:
            raise httpcore.ConnectError("no address")
        checked: list[IPAddress] = []
        for address in addresses:
            if address is None or is_forbidden(address, allow_loopback=allow_loopback):
                raise FetchRefused(FetchReason.FORBIDDEN_ADDRESS)
            checked.append(address)
        return checked

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self.checked_addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError("no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a fetch for untrusted input goes over TCP to a checked address."""
        raise FetchRefused(FetchReason.FORBIDDEN_ADDRESS)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
