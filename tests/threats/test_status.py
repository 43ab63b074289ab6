# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Status list cases T-01..T-13: the Token Status List, its fetching, and what a desk decides.

Three surfaces: the pure ``specs.status_list`` API (exact reasons); the safe fetcher
(``runtime.fetcher.SafeFetcher``) against real loopback servers that misbehave (the hostile
servers of ``tests.runtime.test_fetcher``); and a running desk (``tests.verifier``), whose
status step is ``verifier.pipeline._check_status``. At the desk a status list that cannot be
had is "undetermined: cannot verify" (fail closed, never eligible, the wallet told 200); a
credential whose status is not VALID is refused and the request spent (OpenID4VP 1.0 §8.2,
the documented state change of a well-formed answer).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import random
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from runtime.fetcher import FetchPolicy, FetchReason, SafeFetcher
from specs.errors import FAMILY_OF, Family, JoseReason, StatusListReason
from specs.jose import JwsAlg, PrivateJwk, b64url_encode, generate_private_key
from specs.status_list import (
    DEFAULT_MAX_LST_CHARS,
    DEFAULT_MAX_TTL,
    DEFAULT_MIN_TTL,
    STATUS_LIST_JWT_TYP,
    HerdConcern,
    StatusList,
    StatusReference,
    StatusType,
    build_status_list_token,
    decode_status_list,
    encode_status_list,
    pack_statuses,
    parse_status_reference,
    registered_status_type,
    size_concerns,
    uri_concerns,
    verify_status_list_token,
)
from tests.runtime.test_fetcher import (  # noqa: F401 - serve is a fixture
    Resolver,
    Server,
    local,
    redirect,
    refused,
    reply,
    serve,
)
from tests.specs.forge import b64, sign_raw
from tests.support import load_json, vectors_dir
from tests.threats.invariants import bounded_memory, canary, leaks, no_server_error, rejected
from tests.threats.services import issue_with_status_uri
from tests.verifier.conftest import Desk, desk  # noqa: F401 - fixture
from tests.verifier.refusals import (
    EXPECTED,
    assert_consumed,
    assert_undetermined,
    assert_wire_error,
    eligible_case,
    ready,
)

URI = "https://status.example/lists/1"
TOKEN_TYPE = "application/statuslist+jwt"
INSURER = "https://zorgverzekeraar.example"
INSURANCE = next(c.vct for c in eligible_case().credentials if c.issuer == INSURER)
MAX_AGE = 86_400
MIB = 2**20


def bomb(inflated_mib: int) -> bytes:
    """A ZLIB stream of ``inflated_mib`` MiB of zeros (about 1,000:1), built in pieces."""
    deflate = zlib.compressobj(9)
    chunk = bytes(MIB)
    parts = [deflate.compress(chunk) for _ in range(inflated_mib)]
    return b"".join([*parts, deflate.flush()])


def token(key: PrivateJwk, now: int, **claims: Any) -> str:
    """A Status List Token for ``URI``; ``claims`` replace or add payload members."""
    status_list = claims.pop("status_list", encode_status_list([0, 1, 2, 3], 2))
    ttl, exp = claims.pop("ttl", 300), claims.pop("exp", now + 3600)
    if not claims:
        return build_status_list_token(
            key=key,
            subject_uri=URI,
            status_list=status_list,
            now=now,
            ttl=ttl,
            exp=exp,
            issuer=None,
        )
    payload = {"sub": URI, "iat": now, "status_list": status_list, "ttl": ttl, "exp": exp}
    return sign_raw({"alg": "ES256", "typ": STATUS_LIST_JWT_TYP}, payload | claims, key)


def verify(text: str, key: PrivateJwk, now: int, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "key": key.public,
        "expected_uri": URI,
        "now": now,
        "leeway": 0,
        "algorithms": frozenset({JwsAlg.ES256}),
        "max_age": MAX_AGE,
    }
    return verify_status_list_token(text, **(arguments | overrides))


@pytest.fixture
def key() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256)


class Fetches:
    """Which URLs the desk's fetcher was asked for: a spy, the real fetcher does the work."""

    def __init__(self, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
        self.urls: list[str] = []
        real = desk.context.fetcher.get

        async def get(url: str, **kwargs: Any) -> Any:
            self.urls.append(url)
            return await real(url, **kwargs)

        monkeypatch.setattr(desk.context.fetcher, "get", get)

    def of(self, issuer: str, desk: Desk) -> int:
        return self.urls.count(desk.agencies[issuer].status_uri)


async def refused_answer(desk: Desk, reason: Any) -> None:
    """Start, answer, and see ``reason`` on the wire and in the desk's record."""
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    no_server_error(response)
    assert_wire_error(response, reason)
    await assert_consumed(desk, started, reason)


# --- T-01: a compression bomb -------------------------------------------------------------


def test_T_01_a_zlib_bomb_is_refused_with_a_capped_inflate() -> None:
    stream = bomb(64)  # 64 MiB of zeros in about 64 kB
    assert len(stream) < 256 * 1024
    listed = {"bits": 1, "lst": b64url_encode(stream)}
    with bounded_memory(32 * MIB):  # the inflate stops at the 16 MiB cap
        reason = rejected(lambda: decode_status_list(listed))
    assert reason == StatusListReason.LIST_TOO_LARGE
    assert FAMILY_OF[reason] is Family.TOO_LARGE  # type: ignore[index]


def test_T_01_a_4_mb_stream_is_refused_before_decoding() -> None:
    """The catalogue's 4 MB stream: its text alone is past ``DEFAULT_MAX_LST_CHARS``, so
    nothing is decoded or inflated (the content is beside the point)."""
    lst = b64url_encode(bomb(1)) * (4 * MIB // 1000)
    assert len(lst) > DEFAULT_MAX_LST_CHARS
    with bounded_memory(MIB):
        reason = rejected(lambda: decode_status_list({"bits": 1, "lst": lst}))
    assert reason == StatusListReason.LIST_TOO_LARGE


def test_T_01_a_bomb_inside_a_signed_token(key: PrivateJwk, now: int) -> None:
    listed = {"bits": 8, "lst": b64url_encode(bomb(40))}
    text = token(key, now, status_list=listed, extra=1)
    with bounded_memory(32 * MIB):
        reason = rejected(lambda: verify(text, key, now))
    assert reason == StatusListReason.LIST_TOO_LARGE


async def test_T_01_an_oversized_status_token_is_cut_by_the_fetcher_at_the_desk(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incompressible list far past the fetcher's cap: the desk stops reading, and
    cannot verify (STATUS_UNAVAILABLE), never eligible."""
    agency = desk.agencies[INSURER]
    agency.statuses = random.Random(1).choices(range(4), k=1_500_000)
    started = await ready(desk)
    record = await assert_undetermined(desk, started, await desk.wallet.answer(started["link"]))
    assert record["cause"] == f"status-list-{FetchReason.TOO_LARGE.value}"


# --- T-02: the index ----------------------------------------------------------------------


@pytest.mark.parametrize("idx", [-1, 1.5, "3", True, None, 2**64, 2**53])
def test_T_02_a_malformed_index_is_refused(idx: object) -> None:
    claim = {"status_list": {"idx": idx, "uri": URI}}
    assert rejected(lambda: parse_status_reference(claim)) == StatusListReason.BAD_INDEX


def test_T_02_an_index_beyond_the_list_is_refused() -> None:
    status_list = decode_status_list(encode_status_list([0] * 16, 1))
    assert len(status_list) == 16
    assert status_list.status_at(15) == StatusType.VALID
    for idx in (16, 17, 2**40):
        assert rejected(lambda: status_list.status_at(idx)) == (  # noqa: B023
            StatusListReason.INDEX_OUT_OF_RANGE
        )


async def test_T_02_an_index_beyond_the_list_at_the_desk(desk: Desk) -> None:
    desk.agencies[INSURER].next_index = 5_000  # the list has 1,024 entries
    desk.give(eligible_case())
    await refused_answer(desk, StatusListReason.INDEX_OUT_OF_RANGE)


# --- T-03: bits ---------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [0, 3, 16, "1", True, 1.0, None, -1])
def test_T_03_bits_outside_1_2_4_8_are_malformed(bits: object) -> None:
    listed = {"bits": bits, "lst": encode_status_list([0], 1)["lst"]}
    reason = rejected(lambda: decode_status_list(listed))
    assert reason == StatusListReason.BAD_BITS
    assert FAMILY_OF[reason] is Family.MALFORMED  # type: ignore[index]


# --- T-04: the spec's vectors and the bit order -------------------------------------------


def _encoding_vectors() -> list[str]:
    folder = vectors_dir("status_list", "encoding")
    return sorted(path.name for path in folder.glob("*.json"))


def test_T_04_the_spec_vectors_give_the_listed_statuses() -> None:
    names = _encoding_vectors()
    assert names
    for name in names:
        vector = load_json(vectors_dir("status_list", "encoding") / name)
        status_list = decode_status_list(vector["status_list_json"])
        assert status_list.bits == vector["bits"], name
        for entry in vector["statuses"]:
            assert status_list.status_at(entry["index"]) == entry["status"], (name, entry)


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_T_04_entries_fill_each_byte_from_the_least_significant_bit(bits: int) -> None:
    per_byte = 8 // bits
    top = (1 << bits) - 1
    statuses = [0] * (3 * per_byte)
    statuses[0] = 1  # the lowest bits of byte 0
    statuses[per_byte - 1] = top  # the highest bits of byte 0
    statuses[per_byte] = top  # the lowest bits of byte 1: the boundary
    packed = pack_statuses(statuses, bits)
    first_byte = 1 | (top << (8 - bits)) if per_byte > 1 else top
    assert (packed[0], packed[1]) == (first_byte, top)
    status_list = StatusList(bits, packed)
    assert [status_list.status_at(i) for i in range(len(statuses))] == statuses


# --- T-05: another list's token -----------------------------------------------------------


def test_T_05_a_token_for_another_list_is_refused(key: PrivateJwk, now: int) -> None:
    text = token(key, now)
    other = "https://status.example/lists/2"
    reason = rejected(lambda: verify(text, key, now, expected_uri=other))
    assert reason == StatusListReason.SUBJECT_MISMATCH
    assert FAMILY_OF[reason] is Family.STATUS_UNAVAILABLE  # type: ignore[index]
    verified = verify(text, key, now)
    substituted = StatusReference(idx=0, uri=other)
    assert rejected(lambda: verified.status_of(substituted)) == StatusListReason.SUBJECT_MISMATCH


# --- T-06: who signed it ------------------------------------------------------------------


def _unsigned(header: dict[str, Any], payload: dict[str, Any], signature: str = "") -> str:
    return f"{b64(json.dumps(header))}.{b64(json.dumps(payload))}.{signature}"


def test_T_06_a_list_signed_by_an_unrelated_key(key: PrivateJwk, now: int) -> None:
    stranger = generate_private_key(JwsAlg.ES256)
    assert rejected(lambda: verify(token(stranger, now), key, now)) == JoseReason.BAD_SIGNATURE


@pytest.mark.parametrize("alg", ["none", "None", "HS256"])
def test_T_06_alg_none_or_a_mac_is_refused(key: PrivateJwk, now: int, alg: str) -> None:
    payload = {"sub": URI, "iat": now, "status_list": encode_status_list([0], 1)}
    mac = b64url_encode(b"\x00" * 32) if alg == "HS256" else ""
    text = _unsigned({"alg": alg, "typ": STATUS_LIST_JWT_TYP}, payload, mac)
    assert rejected(lambda: verify(text, key, now)) == JoseReason.ALG_NOT_ALLOWED


@pytest.mark.parametrize("typ", [None, "JWT", "statuslist+cwt", "dc+sd-jwt", "kb+jwt"])
def test_T_06_a_token_of_another_type_is_refused(
    key: PrivateJwk, now: int, typ: str | None
) -> None:
    header = {"alg": "ES256"} | ({"typ": typ} if typ is not None else {})
    payload = {"sub": URI, "iat": now, "status_list": encode_status_list([0], 1)}
    assert rejected(lambda: verify(sign_raw(header, payload, key), key, now)) == (
        JoseReason.TYP_MISMATCH
    )


# --- T-07: time and ttl -------------------------------------------------------------------


def test_T_07_an_expired_list_is_refused(key: PrivateJwk, now: int) -> None:
    text = token(key, now - 7200, exp=now - 1)
    assert rejected(lambda: verify(text, key, now)) == JoseReason.EXPIRED


def test_T_07_a_list_issued_in_the_future_is_refused(key: PrivateJwk, now: int) -> None:
    text = token(key, now, iat=now + 86_400, exp=now + 2 * 86_400)
    assert rejected(lambda: verify(text, key, now)) == JoseReason.ISSUED_IN_FUTURE


@pytest.mark.parametrize("ttl", [0, -1, "60", True, 1.5])
def test_T_07_a_ttl_that_is_not_a_positive_integer_is_refused(
    key: PrivateJwk, now: int, ttl: object
) -> None:
    assert rejected(lambda: verify(token(key, now, ttl=ttl, extra=1), key, now)) == (
        StatusListReason.BAD_TTL
    )


@pytest.mark.parametrize(
    ("ttl", "kept"), [(1, DEFAULT_MIN_TTL), (10**12, DEFAULT_MAX_TTL), (600, 600)]
)
def test_T_07_a_ttl_is_clamped(key: PrivateJwk, now: int, ttl: int, kept: int) -> None:
    verified = verify(token(key, now, ttl=ttl, exp=None), key, now)
    assert verified.ttl == ttl
    assert verified.cache_ttl == kept
    assert verified.usable_until() == now + kept


async def test_T_07_a_tiny_ttl_causes_no_refetch_storm_at_the_desk(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.agencies[INSURER].status_ttl = 1
    fetches = Fetches(desk, monkeypatch)
    for _ in range(3):
        started = await ready(desk)
        assert (await desk.wallet.answer(started["link"])).status_code == 200
        assert (await desk.result(started["transaction_id"])).json()["status"] == EXPECTED
        desk.clock.advance(DEFAULT_MIN_TTL // 4)
    assert fetches.of(INSURER, desk) == 1


# --- T-08: the endpoint is down, errs, or stalls ------------------------------------------


async def test_T_08_endpoint_down(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply())
    url = server.url("/status/1")
    async with local(server) as fetcher:
        await server.stop()
        await refused(FetchReason.UNREACHABLE, fetcher.get(url, accept=TOKEN_TYPE))


@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason"),
    [
        (500, b'{"error": "boom"}', "application/json", FetchReason.HTTP_STATUS),
        (503, b"<html>maintenance</html>", "text/html", FetchReason.HTTP_STATUS),
        (200, b"<html>captive portal</html>", "text/html", FetchReason.BAD_CONTENT_TYPE),
    ],
)
async def test_T_08_error_bodies_are_never_parsed(
    serve: Callable[..., Awaitable[Server]],
    status: int,
    body: bytes,
    content_type: str,
    reason: FetchReason,
) -> None:
    server = await serve(reply(status, body, headers=[("Content-Type", content_type)]))
    async with local(server) as fetcher:
        error = await refused(reason, fetcher.get(server.url(), accept=TOKEN_TYPE))
    assert body.decode() not in f"{error} {error!r} {error.cause}"


@pytest.mark.parametrize("drip", [False, True], ids=["silent", "one-byte-a-time"])
async def test_T_08_a_stalled_endpoint_hits_the_deadline(
    serve: Callable[..., Awaitable[Server]], drip: bool
) -> None:
    async def stall(writer: asyncio.StreamWriter, _head: bytes) -> None:
        if drip:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+jwt\r\n")
            writer.write(b"Content-Length: 1000\r\n\r\n")
            for _ in range(1000):
                writer.write(b"e")
                await writer.drain()
                await asyncio.sleep(0.1)
        await asyncio.sleep(30)

    server = await serve(stall)
    async with local(server, timeout=0.5) as fetcher:
        await refused(FetchReason.TIMEOUT, fetcher.get(server.url(), accept=TOKEN_TYPE))


async def test_T_08_status_endpoint_down_at_the_desk(desk: Desk) -> None:
    """Nothing cached: cannot verify. (A copy within its ttl still decides:
    ``tests/verifier/test_dependencies.py``; the recovery: ``test_fail_closed.py``.)"""
    desk.agencies[INSURER].status_down = True
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"])
    no_server_error(response)
    record = await assert_undetermined(desk, started, response)
    assert record["cause"] == f"status-list-{FetchReason.HTTP_STATUS.value}"


# --- T-09: redirects and addresses --------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://status.example/lists/1", FetchReason.NOT_HTTPS),
        ("https://169.254.169.254/latest/meta-data/", FetchReason.FORBIDDEN_ADDRESS),
        ("https://localhost/lists/1", FetchReason.FORBIDDEN_ADDRESS),
        ("https://127.0.0.1/lists/1", FetchReason.FORBIDDEN_ADDRESS),
        ("https://10.0.0.8/lists/1", FetchReason.FORBIDDEN_ADDRESS),
        ("https://[fd00::1]/lists/1", FetchReason.FORBIDDEN_ADDRESS),
        ("file:///etc/passwd", FetchReason.NOT_HTTPS),
    ],
)
async def test_T_09_a_redirect_to_a_forbidden_place_is_blocked(
    serve: Callable[..., Awaitable[Server]], location: str, reason: FetchReason
) -> None:
    server = await serve(redirect(location))
    async with local(server, max_redirects=3) as fetcher:
        await refused(reason, fetcher.get(server.url(), accept=TOKEN_TYPE))


async def test_T_09_a_redirect_loop_is_blocked(serve: Callable[..., Awaitable[Server]]) -> None:
    async def loop(writer: asyncio.StreamWriter, _head: bytes) -> None:
        await reply(302, b"", headers=[("Location", "/again")])(writer, _head)

    server = await serve(loop)
    async with local(server, max_redirects=5) as fetcher:
        await refused(FetchReason.TOO_MANY_REDIRECTS, fetcher.get(server.url(), accept=TOKEN_TYPE))
    assert server.connections == 6


async def test_T_09_the_desks_fetcher_follows_no_redirect(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    target = await serve(reply())
    server = await serve(redirect(target.url()))
    async with local(server, target) as fetcher:  # the service policy: max_redirects=0
        await refused(FetchReason.TOO_MANY_REDIRECTS, fetcher.get(server.url(), accept=TOKEN_TYPE))
    assert target.connections == 0


async def test_T_09_dns_rebinding_is_blocked(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(reply())
    policy = FetchPolicy(timeout=2.0)
    async with SafeFetcher(policy, resolver=Resolver("93.184.215.14", "127.0.0.1")) as fetcher:
        url = server.url("/lists/1", scheme="https", host="status.test")
        await refused(FetchReason.FORBIDDEN_ADDRESS, fetcher.get(url, accept=TOKEN_TYPE))
    assert server.connections == 0


@pytest.mark.parametrize(
    "uri", ["http://status.example/1", "https://user@status.example/1", "file:///etc/passwd"]
)
def test_T_09_a_reference_to_a_plain_or_odd_uri_is_refused(uri: str) -> None:
    claim = {"status_list": {"idx": 0, "uri": uri}}
    assert rejected(lambda: parse_status_reference(claim)) == StatusListReason.BAD_REFERENCE


# --- T-10: statuses other than VALID ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (StatusType.SUSPENDED, StatusListReason.SUSPENDED),
        (3, StatusListReason.NOT_VALID),  # application specific
    ],
)
async def test_T_10_a_status_other_than_valid_refuses_at_the_desk(
    desk: Desk, status: int, reason: StatusListReason
) -> None:
    index = desk.give(eligible_case())[INSURANCE]
    assert index is not None
    desk.agencies[INSURER].statuses[index] = status
    await refused_answer(desk, reason)


@pytest.mark.parametrize("status", [3, 7, 12, 15])
def test_T_10_unknown_and_reserved_statuses_are_not_valid(status: int) -> None:
    """A 4-bit list can say 0x07 (reserved) and more: read exactly, never taken as VALID."""
    status_list = decode_status_list(encode_status_list([0, status], 4))
    assert status_list.status_at(1) == status
    known = registered_status_type(status)
    assert known is None or known is not StatusType.VALID


# --- T-11: per-holder lists and the shared cache ------------------------------------------


async def test_T_11_one_fetch_per_list_not_per_presentation(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two citizens, one list: the issuer sees one fetch, not one per presentation."""
    fetches = Fetches(desk, monkeypatch)
    for _ in range(2):
        started = await ready(desk)  # a new holder each time
        assert (await desk.wallet.answer(started["link"])).status_code == 200
    assert fetches.of(INSURER, desk) == 1


@pytest.mark.parametrize(
    ("uri", "entries", "expected"),
    [
        ("https://issuer.example/status/1", 1_024, ()),
        ("https://issuer.example/status/1?holder=7", 1_024, (HerdConcern.QUERY_IN_URI,)),
        ("https://issuer.example/status/1#h7", 131_072, (HerdConcern.QUERY_IN_URI,)),
        ("https://issuer.example/status/1?", 131_072, (HerdConcern.QUERY_IN_URI,)),
        ("https://issuer.example/status/1", 1_023, (HerdConcern.SMALL_LIST,)),
    ],
)
def test_T_11_per_holder_uris_and_small_lists_are_recognised(
    uri: str, entries: int, expected: tuple[HerdConcern, ...]
) -> None:
    assert uri_concerns(uri) + size_concerns(entries) == expected


async def test_T_11_a_small_list_is_flagged_once_and_still_decides(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """A list of 16 entries: the desk decides as usual, and says once (not per
    presentation) that the insurer's list is too small to hide in."""
    caplog.set_level("WARNING", logger="aanspraak.verifier")
    desk.agencies.add(INSURER).statuses = [int(StatusType.VALID)] * 16
    for _ in range(2):
        started = await ready(desk)
        assert (await desk.wallet.answer(started["link"])).status_code == 200
        assert (await desk.result(started["transaction_id"])).json()["status"] == EXPECTED
    flags = [r.getMessage() for r in caplog.records if "herd privacy" in r.getMessage()]
    assert flags == [f"status list of {INSURER} lacks herd privacy: small-list"]


async def test_T_11_a_per_holder_uri_is_flagged_without_naming_it(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """A status uri with a query naming the holder: flagged by issuer, the query kept out
    of the log; the list served for the shared uri does not answer for it (T-05)."""
    caplog.set_level("WARNING", logger="aanspraak.verifier")
    marker = canary("holder")
    first = eligible_case().credentials[0].issuer  # the credential that names the uri
    issue_with_status_uri(desk, f"{first}/status/1?holder={marker}")
    started = await desk.start("zorgtoeslag")
    answer = await desk.wallet.answer(started["link"])
    no_server_error(answer)
    assert (await desk.result(started["transaction_id"])).json()["status"] != EXPECTED
    messages = [r.getMessage() for r in caplog.records]
    assert f"status list of {first} lacks herd privacy: query-in-uri" in messages
    assert leaks([marker], *messages) == []


# --- T-12: no status fetch for a credential that is already refused ----------------------


async def test_T_12_an_expired_credential_is_refused_without_a_status_fetch(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetches = Fetches(desk, monkeypatch)
    desk.clock.advance(-400 * 86_400)  # issued 400 days ago, valid for 365: VALID on the list
    desk.give(eligible_case())
    desk.clock.advance(400 * 86_400)
    await refused_answer(desk, JoseReason.EXPIRED)
    assert fetches.of(INSURER, desk) == 0


async def test_T_12_a_bad_issuer_signature_is_refused_without_a_status_fetch(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetches = Fetches(desk, monkeypatch)
    desk.give(eligible_case())
    for held in desk.wallet.held:
        if held.vct == INSURANCE:
            jwt, _, rest = held.token.partition("~")
            head, payload, signature = jwt.split(".")
            flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
            held.token = f"{head}.{payload}.{flipped}~{rest}"
    await refused_answer(desk, JoseReason.BAD_SIGNATURE)
    assert fetches.of(INSURER, desk) == 0


# --- T-13: a gzip bomb on the wire --------------------------------------------------------


async def test_T_13_a_content_encoding_bomb_is_never_inflated(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=9) as compressing:
        for _ in range(100):
            compressing.write(bytes(MIB))  # 100 MiB of zeros
    body = packed.getvalue()
    headers = [("Content-Type", TOKEN_TYPE), ("Content-Encoding", "gzip")]
    server = await serve(reply(200, body, headers=headers))
    with bounded_memory(32 * MIB):
        async with local(server) as fetcher:
            await refused(
                FetchReason.BAD_CONTENT_TYPE, fetcher.get(server.url(), accept=TOKEN_TYPE)
            )
    assert b"accept-encoding: identity" in server.heads[0].lower()
