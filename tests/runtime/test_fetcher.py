"""The safe outbound fetcher against real sockets on 127.0.0.1 (DESIGN §4, THREATS H-11..H-13).

Small HTTP(S) servers run in the test's own event loop and say what they saw: the request
heads, how many connections reached them, how far they got sending a body.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from runtime.fetch_guard import is_forbidden
from runtime.fetcher import Fetched, FetchPolicy, FetchReason, FetchRefused, SafeFetcher
from runtime.settings import Profile, ServiceSettings

Respond = Callable[[asyncio.StreamWriter, bytes], Awaitable[None]]
JSON = "application/json"


@dataclass
class Server:
    """One loopback server; each connection serves one request and closes."""

    respond: Respond
    tls: ssl.SSLContext | None = None
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/", *, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            await self.respond(writer, head)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:  # stop() ends handlers that are still sending
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    started: list[Server] = []

    async def start(respond: Respond, *, tls: ssl.SSLContext | None = None) -> Server:
        server = Server(respond, tls)
        server._server = await asyncio.start_server(server._handle, "127.0.0.1", 0, ssl=tls)
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


def reply(
    status: int = 200,
    body: bytes = b'{"ok": true}',
    *,
    headers: Sequence[tuple[str, str]] = (("Content-Type", JSON),),
) -> Respond:
    async def respond(writer: asyncio.StreamWriter, _head: bytes) -> None:
        lines = [f"HTTP/1.1 {status} Whatever", *(f"{name}: {value}" for name, value in headers)]
        lines += [f"Content-Length: {len(body)}", "Connection: close"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return respond


def local(
    *servers: Server, max_bytes: int = 256 * 1024, timeout: float = 2.0, max_redirects: int = 0
) -> SafeFetcher:
    """A development-profile fetcher that may reach exactly these servers' origins."""
    origins = frozenset(server.url("") for server in servers)
    policy = FetchPolicy(origins, max_bytes=max_bytes, timeout=timeout, max_redirects=max_redirects)
    return SafeFetcher(policy)


async def refused(reason: FetchReason, fetch: Awaitable[Fetched]) -> FetchRefused:
    with pytest.raises(FetchRefused) as info:
        await fetch
    assert info.value.reason is reason, f"expected {reason!r}, got {info.value.reason!r}"
    assert str(info.value) == reason.value
    return info.value


# --- the address checker (pure) ---------------------------------------------------------

ADDRESSES = [
    ("10.0.0.1", True),
    ("172.16.0.1", True),
    ("192.168.1.1", True),
    ("127.0.0.1", True),
    ("::1", True),
    ("169.254.169.254", True),
    ("100.64.0.1", True),
    ("fc00::1", True),
    ("fe80::1", True),
    ("::ffff:127.0.0.1", True),
    ("::ffff:169.254.169.254", True),
    ("64:ff9b::a00:1", True),  # NAT64 of 10.0.0.1
    ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
    ("::7f00:1", True),  # IPv4-compatible 127.0.0.1
    ("2001::1", True),  # Teredo
    ("2001:db8::1", True),
    ("fec0::1", True),
    ("ff02::1", True),
    ("0.0.0.0", True),
    ("::", True),
    ("224.0.0.1", True),
    ("255.255.255.255", True),
    ("240.0.0.1", True),
    ("192.0.0.9", True),
    ("192.0.2.1", True),
    ("198.18.0.1", True),
    ("8.8.8.8", False),
    ("2001:4860::8888", False),
    ("::ffff:8.8.8.8", False),
    ("64:ff9b::808:808", False),
]


@pytest.mark.parametrize(("text", "forbidden"), ADDRESSES)
def test_address_checker(text: str, forbidden: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(text)) is forbidden


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        *(("127.0.0.1", False), ("127.9.9.9", False), ("::1", False), ("::ffff:127.0.0.1", False)),
        *(("10.0.0.1", True), ("169.254.169.254", True), ("fe80::1", True), ("192.168.1.1", True)),
    ],
)
def test_loopback_exception_admits_loopback_only(text: str, forbidden: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(text), allow_loopback=True) is forbidden


# --- URL checks: no network needed ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", FetchReason.BAD_URL),
        ("not a url", FetchReason.BAD_URL),
        ("//example.com/x", FetchReason.BAD_URL),
        ("https:///path", FetchReason.BAD_URL),
        ("https://user:pw@example.com/", FetchReason.BAD_URL),
        ("https://@example.com/", FetchReason.BAD_URL),
        ("https://evil.example\\@good.example/", FetchReason.BAD_URL),
        ("https://good.example\\evil.example/", FetchReason.BAD_URL),
        ("https://exa%6dple.com/", FetchReason.BAD_URL),
        ("https://[::1/", FetchReason.BAD_URL),
        ("https://example.com:0/", FetchReason.BAD_URL),
        ("https://example.com:70000/", FetchReason.BAD_URL),
        ("https://example.com/" + "a" * 9000, FetchReason.BAD_URL),
        ("http://example.com/", FetchReason.NOT_HTTPS),
        ("http://127.0.0.1/", FetchReason.NOT_HTTPS),
        ("file:///etc/passwd", FetchReason.NOT_HTTPS),
        ("gopher://example.com/", FetchReason.NOT_HTTPS),
        ("ftp://example.com/x", FetchReason.NOT_HTTPS),
        ("https://127.0.0.1/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://[::1]/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://169.254.169.254/latest/meta-data/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://10.1.2.3/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://[::ffff:192.168.0.1]/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://[fe80::1%25eth0]/", FetchReason.FORBIDDEN_ADDRESS),
    ],
)
async def test_url_refused_before_any_connection(url: str, reason: FetchReason) -> None:
    async with SafeFetcher(FetchPolicy()) as fetcher:
        await refused(reason, fetcher.get(url, accept=JSON))


async def test_numeric_host_forms_are_checked_after_resolution(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """``2130706433`` and ``0x7f.1`` are 127.0.0.1 to the resolver (THREATS H-12)."""
    server = await serve(reply())
    async with SafeFetcher(FetchPolicy(timeout=2.0)) as fetcher:
        for host in ("2130706433", "0x7f.1", "127.1", "localhost"):
            url = server.url(scheme="https", host=host)
            await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
    assert server.connections == 0


def test_policy_and_arguments_are_validated() -> None:
    for origin in ("ftp://127.0.0.1:1", "http://127.0.0.1:1/path", "http://a@127.0.0.1:1", "x"):
        with pytest.raises(ValueError, match="origin"):
            FetchPolicy(allow_local_origins=frozenset({origin}))
    for limits in ({"max_bytes": 0}, {"timeout": 0.0}, {"max_redirects": -1}):
        with pytest.raises(ValueError, match="positive"):
            FetchPolicy(**limits)
    unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="verify"):
        SafeFetcher(FetchPolicy(), ssl_context=unverified)
    with pytest.raises(ValueError, match="built-in"):
        SafeFetcher(
            FetchPolicy(),
            transport=httpx.MockTransport(lambda _r: httpx.Response(200)),
            ssl_context=ssl.create_default_context(),
        )


async def test_accept_and_max_bytes_are_validated() -> None:
    async with SafeFetcher(FetchPolicy()) as fetcher:
        with pytest.raises(ValueError, match="media types"):
            await fetcher.get("https://example.com/", accept="json")
        with pytest.raises(ValueError, match="positive"):
            await fetcher.get("https://example.com/", accept=JSON, max_bytes=0)


# --- plain HTTP on loopback: the development profile ------------------------------------


async def test_allowed_local_origin_is_fetched(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply(headers=[("Content-Type", "Application/JSON; charset=utf-8")]))
    async with local(server) as fetcher:
        fetched = await fetcher.get(server.url("/x?y=1#frag"), accept=JSON)
    assert fetched == Fetched(server.url("/x?y=1"), 200, JSON, b'{"ok": true}')
    head = server.heads[0].decode().lower()
    assert head.startswith("get /x?y=1 http/1.1\r\n")
    assert "accept-encoding: identity\r\n" in head
    assert "accept: application/json\r\n" in head
    assert "cookie" not in head
    assert "authorization" not in head


async def test_loopback_refused_without_the_origin(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply())
    other = await serve(reply())
    async with local(other) as fetcher:
        await refused(FetchReason.NOT_HTTPS, fetcher.get(server.url(), accept=JSON))
        for host in ("127.0.0.1", "localhost"):  # same host and port over https: not allowed
            url = server.url(scheme="https", host=host)
            await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
    assert server.connections == 0


async def test_environment_proxies_are_ignored(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    server = await serve(reply())
    async with local(server) as fetcher:
        assert (await fetcher.get(server.url(), accept=JSON)).status == 200
    assert server.connections == 1


async def test_no_cookies_are_kept(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply(headers=[("Content-Type", JSON), ("Set-Cookie", "sid=canary")]))
    async with local(server) as fetcher:
        await fetcher.get(server.url(), accept=JSON)
        await fetcher.get(server.url(), accept=JSON)
    assert len(server.heads) == 2
    assert b"canary" not in server.heads[1]


# --- the resolver: checked once, connected to the checked address -----------------------


class Resolver:
    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.calls: list[str] = []

    async def __call__(self, host: str, _port: int) -> list[str]:
        self.calls.append(host)
        return self.addresses


async def test_connects_to_the_address_it_checked(serve: Callable[..., Awaitable[Server]]) -> None:
    """``.test`` never resolves in DNS: the connection must use the checked address."""
    server = await serve(reply())
    resolver = Resolver("127.0.0.1")
    origin = server.url("", host="service.test")
    policy = FetchPolicy(allow_local_origins=frozenset({origin}), timeout=2.0)
    async with SafeFetcher(policy, resolver=resolver) as fetcher:
        fetched = await fetcher.get(origin + "/status", accept=JSON)
    assert fetched.status == 200
    assert resolver.calls == ["service.test"]
    assert f"host: service.test:{server.port}\r\n".encode() in server.heads[0].lower()


@pytest.mark.parametrize(
    "addresses",
    [("127.0.0.1",), ("93.184.215.14", "127.0.0.1"), ("10.0.0.5",), ("::ffff:169.254.169.254",)],
)
async def test_any_forbidden_address_refuses(
    serve: Callable[..., Awaitable[Server]], addresses: tuple[str, ...]
) -> None:
    """DNS rebinding answers with a loopback or private address (THREATS T-09, H-12)."""
    server = await serve(reply())
    async with SafeFetcher(FetchPolicy(timeout=2.0), resolver=Resolver(*addresses)) as fetcher:
        url = server.url(scheme="https", host="rebind.test")
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
    assert server.connections == 0


async def test_local_origin_admits_loopback_but_not_private(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(reply())
    origin = server.url("", host="service.test")
    policy = FetchPolicy(allow_local_origins=frozenset({origin}), timeout=2.0)
    async with SafeFetcher(policy, resolver=Resolver("127.0.0.1", "10.0.0.5")) as fetcher:
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(origin, accept=JSON))
    async with SafeFetcher(policy, resolver=Resolver()) as fetcher:
        await refused(FetchReason.UNREACHABLE, fetcher.get(origin, accept=JSON))
    assert server.connections == 0


# --- redirects ---------------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Respond:
    return reply(status, b"", headers=[("Location", location)])


async def test_redirect_refused_by_default(serve: Callable[..., Awaitable[Server]]) -> None:
    target = await serve(reply())
    server = await serve(redirect(target.url()))
    async with local(server, target) as fetcher:
        await refused(FetchReason.TOO_MANY_REDIRECTS, fetcher.get(server.url(), accept=JSON))
    assert target.connections == 0


async def test_redirect_followed_to_an_allowed_target(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    target = await serve(reply(body=b"[]"))
    server = await serve(redirect(target.url("/moved?x=1"), 307))
    async with local(server, target, max_redirects=1) as fetcher:
        fetched = await fetcher.get(server.url(), accept=JSON)
    assert (fetched.url, fetched.body) == (target.url("/moved?x=1"), b"[]")


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://localhost:{port}/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://[::1]:{port}/", FetchReason.FORBIDDEN_ADDRESS),
        ("http://127.0.0.1:{port}/", FetchReason.NOT_HTTPS),
        ("http://example.com/", FetchReason.NOT_HTTPS),
        ("file:///etc/passwd", FetchReason.NOT_HTTPS),
        ("https://user@example.com/", FetchReason.BAD_URL),
        ("http://[::1", FetchReason.BAD_URL),
    ],
)
async def test_redirect_hop_is_checked_again(
    serve: Callable[..., Awaitable[Server]], location: str, reason: FetchReason
) -> None:
    target = await serve(reply())
    server = await serve(redirect(location.format(port=target.port)))
    async with local(server, max_redirects=1) as fetcher:
        await refused(reason, fetcher.get(server.url(), accept=JSON))
    assert target.connections == 0


async def test_redirect_loop_stops_at_the_limit(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(redirect("/again"))
    async with local(server, max_redirects=2) as fetcher:
        await refused(FetchReason.TOO_MANY_REDIRECTS, fetcher.get(server.url(), accept=JSON))
    assert len(server.heads) == 3


# --- size, time, status, type ------------------------------------------------------------


@dataclass
class Flood:
    """Streams a 64 MiB body without Content-Length; records how much it got to send."""

    total: int = 64 * 1024 * 1024
    sent: int = 0
    finished: bool = False

    async def __call__(self, writer: asyncio.StreamWriter, _head: bytes) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        chunk = b"7" * 65536
        while self.sent < self.total:
            writer.write(chunk)
            await writer.drain()
            self.sent += len(chunk)
        self.finished = True


async def test_oversized_stream_is_cut(serve: Callable[..., Awaitable[Server]]) -> None:
    flood = Flood()
    server = await serve(flood)
    async with local(server, max_bytes=100_000) as fetcher:
        await refused(FetchReason.TOO_LARGE, fetcher.get(server.url(), accept=JSON))
    assert not flood.finished
    assert flood.sent < flood.total


async def test_declared_length_over_the_cap_is_refused_early(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """The server announces 1 GB and never sends it: refused on the header, no waiting."""

    async def announce(writer: asyncio.StreamWriter, _head: bytes) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: 1000000000\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    server = await serve(announce)
    sized = await serve(reply(body=b"x" * 100))
    async with local(server, sized, timeout=30.0) as fetcher:
        await refused(FetchReason.TOO_LARGE, fetcher.get(server.url(), accept=JSON))
        await refused(FetchReason.TOO_LARGE, fetcher.get(sized.url(), accept=JSON, max_bytes=99))
        assert len((await fetcher.get(sized.url(), accept=JSON, max_bytes=100)).body) == 100


@pytest.mark.parametrize("where", ["head", "body"])
async def test_slow_drip_hits_the_deadline(
    serve: Callable[..., Awaitable[Server]], where: str
) -> None:
    """A byte every 0.2 s never trips a per-read timeout; the total deadline ends it (H-04)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"

    async def drip(writer: asyncio.StreamWriter, _head: bytes) -> None:
        if where == "body":
            writer.write(head)
        for byte in head if where == "head" else b"x" * 500:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)

    server = await serve(drip)
    async with local(server, timeout=0.7) as fetcher:
        await refused(FetchReason.TIMEOUT, fetcher.get(server.url(), accept=JSON))


@pytest.mark.parametrize("status", [404, 500, 300, 304])
async def test_non_success_status(serve: Callable[..., Awaitable[Server]], status: int) -> None:
    server = await serve(reply(status))
    async with local(server) as fetcher:
        await refused(FetchReason.HTTP_STATUS, fetcher.get(server.url(), accept=JSON))


@pytest.mark.parametrize(
    ("headers", "accept"),
    [
        ([("Content-Type", "text/html")], JSON),
        ([("Content-Type", "application/jsonx")], JSON),
        ([], JSON),
        ([("Content-Type", "text/html")], "application/*"),
        ([("Content-Type", JSON), ("Content-Encoding", "gzip")], JSON),
    ],
)
async def test_wrong_content_type(
    serve: Callable[..., Awaitable[Server]], headers: list[tuple[str, str]], accept: str
) -> None:
    server = await serve(reply(headers=headers))
    async with local(server) as fetcher:
        await refused(FetchReason.BAD_CONTENT_TYPE, fetcher.get(server.url(), accept=accept))


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [
        ("application/statuslist+jwt", "application/statuslist+jwt, application/json"),
        ("application/json; charset=utf-8", "application/*"),
        ("text/plain", "*/*"),
    ],
)
async def test_accepted_content_types(
    serve: Callable[..., Awaitable[Server]], content_type: str, accept: str
) -> None:
    server = await serve(reply(headers=[("Content-Type", content_type)]))
    async with local(server) as fetcher:
        fetched = await fetcher.get(server.url(), accept=accept)
    assert fetched.content_type == content_type.split(";", maxsplit=1)[0]


async def test_unreachable(serve: Callable[..., Awaitable[Server]]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = FetchPolicy(allow_local_origins=frozenset({f"http://127.0.0.1:{port}"}), timeout=2.0)
    async with SafeFetcher(policy) as fetcher:
        error = await refused(
            FetchReason.UNREACHABLE, fetcher.get(f"http://127.0.0.1:{port}/", accept=JSON)
        )
    assert error.cause == "ConnectError"


@pytest.mark.parametrize(
    "answer",
    [b"SSH-2.0-nope\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", b""],
)
async def test_not_http_is_unreachable(
    serve: Callable[..., Awaitable[Server]], answer: bytes
) -> None:
    async def respond(writer: asyncio.StreamWriter, _head: bytes) -> None:
        writer.write(answer)

    server = await serve(respond)
    async with local(server) as fetcher:
        await refused(FetchReason.UNREACHABLE, fetcher.get(server.url(), accept=JSON))


async def test_refusals_name_neither_query_nor_body(
    serve: Callable[..., Awaitable[Server]], caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve(reply(404, b"secret-body-canary"))
    caplog.set_level(logging.DEBUG)
    async with local(server) as fetcher:
        error = await refused(
            FetchReason.HTTP_STATUS, fetcher.get(server.url("/p?token=query-canary"), accept=JSON)
        )
    shown = f"{error} {error!r} {error.cause} {error.__cause__} {caplog.text}"
    assert "canary" not in shown
    assert "token" not in shown
    assert error.__suppress_context__ or error.__context__ is None


# --- HTTPS with a throwaway CA -----------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext
    names: list[str | None]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A CA and a server certificate for ``localhost`` only, valid for an hour."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fetcher test CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    leaf = (
        _builder(leaf_name, ca_name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "leaf.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem")
    names: list[str | None] = []

    def record_name(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names.append(name)

    server.sni_callback = record_name
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(server, client, names)


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


async def test_https_checks_the_url_host_while_connecting_by_address(
    serve: Callable[..., Awaitable[Server]], tls: Tls
) -> None:
    """Connected to 127.0.0.1, yet SNI and the certificate check use ``localhost``."""
    tls.names.clear()
    server = await serve(reply(), tls=tls.server)
    url = server.url("/s", scheme="https", host="localhost")
    policy = FetchPolicy(
        allow_local_origins=frozenset({server.url("", scheme="https", host="localhost")})
    )
    async with SafeFetcher(policy, ssl_context=tls.client) as fetcher:
        fetched = await fetcher.get(url, accept=JSON)
    assert (fetched.url, fetched.body) == (url, b'{"ok": true}')
    assert tls.names == ["localhost"]


async def test_https_certificate_must_match_the_url_host(
    serve: Callable[..., Awaitable[Server]], tls: Tls
) -> None:
    """Same server and CA as above; only the URL's host differs, and the handshake fails."""
    server = await serve(reply(), tls=tls.server)
    url = server.url(scheme="https", host="127.0.0.1")  # not in the certificate
    policy = FetchPolicy(allow_local_origins=frozenset({server.url("", scheme="https")}))
    async with SafeFetcher(policy, ssl_context=tls.client) as fetcher:
        mismatch = await refused(FetchReason.UNREACHABLE, fetcher.get(url, accept=JSON))
    named = server.url("", scheme="https", host="localhost")  # default trust: unknown CA
    async with SafeFetcher(FetchPolicy(allow_local_origins=frozenset({named}))) as fetcher:
        unknown = await refused(FetchReason.UNREACHABLE, fetcher.get(named + "/", accept=JSON))
    assert (mismatch.cause, unknown.cause) == ("ConnectError", "ConnectError")  # TLS handshake
    assert server.heads == []


async def test_https_loopback_refused_before_connecting(
    serve: Callable[..., Awaitable[Server]], tls: Tls
) -> None:
    tls.names.clear()
    server = await serve(reply(), tls=tls.server)
    url = server.url(scheme="https", host="localhost")
    async with SafeFetcher(FetchPolicy(), ssl_context=tls.client) as fetcher:
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=JSON))
    assert (server.connections, tls.names) == (0, [])


# --- settings, custom transports, coverage ----------------------------------------------


async def test_for_settings_follows_the_profile(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply())
    development = ServiceSettings(
        profile=Profile.DEVELOPMENT,
        public_url="http://127.0.0.1:8000",
        database_url="sqlite+aiosqlite:///x.db",
        local_origins=[server.url("")],
    )
    async with SafeFetcher.for_settings(development) as fetcher:
        assert (await fetcher.get(server.url(), accept=JSON)).status == 200
    production = ServiceSettings(public_url="https://desk.example", database_url="sqlite://")
    async with SafeFetcher.for_settings(production) as fetcher:
        await refused(FetchReason.NOT_HTTPS, fetcher.get(server.url(), accept=JSON))


async def test_a_given_transport_still_gets_the_url_checks() -> None:
    seen: list[str] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, headers={"Content-Type": JSON}, content=b"{}")

    async with SafeFetcher(FetchPolicy(), transport=httpx.MockTransport(app)) as fetcher:
        assert (await fetcher.get("https://issuer.example/x", accept=JSON)).body == b"{}"
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get("https://10.0.0.1/", accept=JSON))
        await refused(FetchReason.NOT_HTTPS, fetcher.get("http://issuer.example/", accept=JSON))
    assert seen == ["https://issuer.example/x"]


# --- POST (OpenID4VP answers to a response_uri) -----------------------------------------


async def test_post_form_sends_the_form_and_returns_any_status(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(reply(400, b'{"error": "invalid_request"}'))
    async with local(server) as fetcher:
        answered = await fetcher.post_form(server.url("/response"), {"state": "s", "vp_token": "t"})
    assert (answered.status, answered.content_type) == (400, JSON)
    assert answered.body == b'{"error": "invalid_request"}'
    head = server.heads[0].decode().lower()
    assert head.startswith("post /response http/1.1\r\n")
    assert "content-type: application/x-www-form-urlencoded\r\n" in head


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://desk.example/response", FetchReason.NOT_HTTPS),
        ("https://169.254.169.254/latest/meta-data/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://10.1.2.3/response", FetchReason.FORBIDDEN_ADDRESS),
    ],
)
async def test_post_form_is_refused_where_a_get_would_be(url: str, reason: FetchReason) -> None:
    async with SafeFetcher(FetchPolicy()) as fetcher:
        await refused(reason, fetcher.post_form(url, {"state": "s"}))


async def test_post_form_checks_the_address_it_connects_to(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(reply())
    async with SafeFetcher(FetchPolicy(timeout=2.0), resolver=Resolver("10.0.0.5")) as fetcher:
        url = server.url("/response", scheme="https", host="rebind.test")
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.post_form(url, {"state": "s"}))
    assert server.connections == 0


async def test_post_form_never_follows_a_redirect(serve: Callable[..., Awaitable[Server]]) -> None:
    target = await serve(reply())
    server = await serve(redirect(target.url()))
    async with local(server, target) as fetcher:
        answered = await fetcher.post_form(server.url("/response"), {"state": "s"})
    assert answered.status == 302
    assert target.connections == 0


async def test_post_form_caps_the_reply(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply(200, b"x" * 2_000))
    async with local(server) as fetcher:
        await refused(
            FetchReason.TOO_LARGE, fetcher.post_form(server.url(), {"state": "s"}, max_bytes=1_000)
        )
