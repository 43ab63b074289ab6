"""Status list lookup against the list's size: ``bench.growth``'s curve 3.

Lists of 10^3 to 10^7 entries, one bit each (Token Status List §4.1; VALID 0, INVALID 1),
with 1 % of the entries INVALID at places drawn from a seeded generator: a sparse list of
revocations, as an issuer that allocates indices at random has (§13.2), which compresses
to about 1/10 of its array (an all-zero list would compress to almost nothing and flatter
the first lookup). Each list is a signed Status List Token (ES256, ``ttl`` one hour).

Two paths, both the verifier's own code (``verifier.pipeline._check_status``):

* first lookup: an empty ``verifier.caches.ExpiringCache`` loads the token as the desk
  does, ``status_list_token_header`` (is there an ``x5c``?) then
  ``verify_status_list_token`` (signature, claims, ``ttl``, base64url, bounded inflation,
  §8.3), and the entry is read (``status_of``). Expected to grow with the list: the
  signature is fixed, decoding and inflating are linear in its size;
* cached lookup: the same cache, already holding the verified list, answers ``get`` and the
  entry is read; a load while timing fails the run. Expected flat.

Before timing, both paths read an INVALID and a VALID entry and must find them so.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from bench.growth_measure import Curve, Subject, points_from, time_subjects
from bench.verifier_workload import require
from specs.jose import JwsAlg, PrivateJwk, StaticKeyResolver, b64url_encode, generate_private_key
from specs.status_list import (
    StatusListJson,
    StatusReference,
    StatusType,
    VerifiedStatusList,
    build_status_list_token,
    parse_status_reference,
    status_list_token_header,
    verify_status_list_token,
)
from verifier.caches import ExpiringCache

SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
INVALID_SHARE = 100
"""One entry in this many is INVALID."""
DAY = 86_400
STATUS_TTL = 3_600
LEEWAY = 60
ALGORITHMS = frozenset({JwsAlg.ES256})


def status_uri(size: int) -> str:
    return f"https://status.example.nl/lists/{size}"


@dataclass(frozen=True)
class StatusListFixture:
    """One signed list and two references into it: an INVALID entry and a VALID one."""

    size: int
    token: str
    key: PrivateJwk
    invalid: StatusReference
    valid: StatusReference


def revoked_indices(size: int) -> list[int]:
    return random.Random(size).sample(range(size), max(1, size // INVALID_SHARE))


def status_list_json(size: int, revoked: Sequence[int]) -> StatusListJson:
    """§4.1 by hand for speed (``encode_status_list`` takes a status per entry): one bit
    per entry, least significant bit first, ZLIB at level 9, base64url."""
    array = bytearray(-(-size // 8))
    for index in revoked:
        array[index // 8] |= 1 << (index % 8)
    return {"bits": 1, "lst": b64url_encode(zlib.compress(bytes(array), 9))}


def status_list_fixture(size: int, key: PrivateJwk, now: int) -> StatusListFixture:
    revoked = revoked_indices(size)
    taken = set(revoked)
    valid = next(i for i in range(size // 2, size) if i not in taken)
    token = build_status_list_token(
        key=key,
        subject_uri=status_uri(size),
        status_list=status_list_json(size, revoked),
        now=now,
        ttl=STATUS_TTL,
        exp=now + DAY,
        issuer="https://status.example.nl",
    )

    def reference(index: int) -> StatusReference:
        return parse_status_reference({"status_list": {"idx": index, "uri": status_uri(size)}})

    return StatusListFixture(size, token, key, reference(revoked[0]), reference(valid))


class Lookups:
    """The verifier's two paths over one fixture (module docstring)."""

    def __init__(self, fixture: StatusListFixture, runner: asyncio.Runner) -> None:
        self.fixture, self.runner = fixture, runner
        self.resolver = StaticKeyResolver(fixture.key.public)
        self.cached: ExpiringCache[VerifiedStatusList] = ExpiringCache(lambda: int(time.time()))
        self.loads = 0

    async def load(self) -> tuple[VerifiedStatusList, int]:
        self.loads += 1
        token = self.fixture.token
        require("x5c" not in status_list_token_header(token), "no x5c")
        verified = verify_status_list_token(
            token,
            key=self.resolver,
            expected_uri=self.fixture.valid.uri,
            now=int(time.time()),
            leeway=LEEWAY,
            algorithms=ALGORITHMS,
            max_age=DAY,
        )
        return verified, verified.usable_until()

    async def first(self, reference: StatusReference) -> int:
        cache: ExpiringCache[VerifiedStatusList] = ExpiringCache(lambda: int(time.time()))
        return (await cache.get(reference.uri, self.load)).status_of(reference)

    async def cached_lookup(self, reference: StatusReference) -> int:
        return (await self.cached.get(reference.uri, self.load)).status_of(reference)

    def check(self) -> None:
        for lookup in (self.first, self.cached_lookup):
            for reference, expected in (
                (self.fixture.invalid, StatusType.INVALID),
                (self.fixture.valid, StatusType.VALID),
            ):
                found = self.runner.run(lookup(reference))
                require(found == expected, f"{self.fixture.size}: status {found} != {expected}")

    def subjects(self) -> tuple[Subject, Subject]:
        reference = self.fixture.valid

        async def firsts(iterations: int) -> None:
            for _ in range(iterations):
                await self.first(reference)

        async def cached(iterations: int) -> None:
            for _ in range(iterations):
                await self.cached_lookup(reference)

        size = self.fixture.size
        return (
            Subject(size, lambda n: self.runner.run(firsts(n))),
            Subject(size, lambda n: self.runner.run(cached(n))),
        )


def status_curves(sizes: Sequence[int], *, rounds: int, seconds: float) -> list[Curve]:
    key, now = generate_private_key(JwsAlg.ES256), int(time.time())
    with asyncio.Runner() as runner:
        all_lookups = [Lookups(status_list_fixture(s, key, now), runner) for s in sizes]
        for lookups in all_lookups:
            lookups.check()
        pairs = [lookups.subjects() for lookups in all_lookups]
        first = time_subjects([p[0] for p in pairs], rounds=rounds, seconds=seconds)
        cached_loads = [lookups.loads for lookups in all_lookups]
        cached = time_subjects([p[1] for p in pairs], rounds=rounds, seconds=seconds)
        require([lk.loads for lk in all_lookups] == cached_loads, "no load while cached")
    token_kb = [len(lookups.fixture.token) / 1024 for lookups in all_lookups]
    sizes_text = ", ".join(f"{kb:,.1f}" for kb in token_kb)
    return [
        Curve(
            "status_first",
            "Status list first lookup (token verified, inflated, entry read)",
            "entries",
            "cpu",
            points_from(sizes, first),
            [f"1 bit per entry, 1 % INVALID; token kB: {sizes_text}"],
            {"token_kb": token_kb},
        ),
        Curve(
            "status_cached",
            "Status list cached lookup (the desk's cache, entry read)",
            "entries",
            "cpu",
            points_from(sizes, cached),
            ["ExpiringCache.get (hit) + status_of"],
        ),
    ]
