"""The in-process [DoS] cases of ``bench.hostile``: the specs API, the safe fetcher and the
chain reader, each fed its hostile input with the production defaults.

* P-19, P-20, P-21: ``verify_sd_jwt_vc`` as the desk calls it (default ``SdJwtLimits``);
  rows marked "under the token cap" are small enough to pass the outer size cap, so they
  reach the depth or count cap behind it.
* T-01: ``decode_status_list`` and ``verify_status_list_token`` with zlib bombs.
* T-13, H-13: ``SafeFetcher`` (the desk's policy: 256 KiB, 5 s) against ``bench.hostile_servers``.
* C-05: ``ChainTrustRegistry`` (``BoundedHTTPProvider``, 8 MiB, 2 s) against the same servers.

Every input is built before the clock starts; a case is a call that must be refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.hostile_inputs import (
    MIB,
    many_digests,
    many_disclosures,
    nested_arrays,
    nested_disclosures,
    oversized_presentation,
    signed_jwt,
    status_list_claim,
)
from bench.hostile_measure import Row, in_process, in_process_async
from bench.hostile_servers import Hostile
from runtime.fetcher import FetchPolicy, SafeFetcher
from specs.jose import JwsAlg, PrivateJwk, StaticKeyResolver, generate_private_key
from specs.sd_jwt import NoKeyBinding
from specs.sd_jwt_vc import verify_sd_jwt_vc
from specs.status_list import STATUS_LIST_JWT_TYP, decode_status_list, verify_status_list_token
from trust.chain import ChainTrustRegistry
from trust.settings import TrustSettings

NOW = 1_790_000_000
STATUS_URI = "https://agency.example/status/1"
STATUS_TYPE = "application/statuslist+jwt"
FETCH_DEADLINE = FetchPolicy().timeout
RPC_DEADLINE = float(TrustSettings.model_fields["rpc_timeout_seconds"].default)


@dataclass(frozen=True)
class Sizes:
    """The catalogue's sizes, or a --quick run's smaller ones where building takes time."""

    bomb_mebibytes: int = 4096
    """T-01: a ~4 MB stream inflating to 4 GiB."""
    repetitions: int = 5
    deadline_repetitions: int = 3
    fetch_deadline: float = FETCH_DEADLINE
    """The fetcher's deadline (production: ``FetchPolicy``'s); a smoke test shortens it."""
    rpc_deadline: float = RPC_DEADLINE
    """The chain reader's ``rpc_timeout_seconds`` (production: ``TrustSettings``')."""


QUICK = Sizes(bomb_mebibytes=256, repetitions=2, deadline_repetitions=1)


def _verifier(key: PrivateJwk) -> Callable[[str], Callable[[], object]]:
    resolver = StaticKeyResolver(key.public)

    def verify(token: str) -> Callable[[], object]:
        return lambda: verify_sd_jwt_vc(
            token, issuer_keys=resolver, key_binding=NoKeyBinding(), now=NOW
        )

    return verify


def sd_jwt_rows(sizes: Sizes) -> list[Row]:
    key = generate_private_key(JwsAlg.ES256)
    verify = _verifier(key)
    inputs = [
        ("P-19", "10,000 nested Disclosures", nested_disclosures(10_000, key)),
        ("P-19", "900 nested Disclosures (under the token cap)", nested_disclosures(900, key)),
        ("P-19", "100,000 nested arrays in a Disclosure", nested_arrays(100_000, key)),
        ("P-19", "60,000 nested arrays (under the token cap)", nested_arrays(60_000, key)),
        ("P-20", "100,000 digests in one _sd", many_digests(100_000, key)),
        ("P-20", "10,000 Disclosures", many_disclosures(10_000, key)),
        ("P-21", "10 MB presentation", oversized_presentation(10 * MIB, key)),
        ("P-21", "1 MB Disclosure", oversized_presentation(MIB, key)),
    ]
    return [
        in_process(Row(case, label), verify(token), repetitions=sizes.repetitions)
        for case, label, token in inputs
    ]


def status_list_rows(sizes: Sizes) -> list[Row]:
    """T-01: the catalogue's stream (refused on its length), one that fits the ``lst`` cap
    (inflated up to the 16 MiB cap), and one inside a signed token as the desk receives it
    (under the fetcher's 256 KiB)."""
    big = status_list_claim(sizes.bomb_mebibytes)
    fits = status_list_claim(2048)
    key = generate_private_key(JwsAlg.ES256)
    claims = {"sub": STATUS_URI, "iat": NOW, "ttl": 300, "status_list": status_list_claim(128)}
    token = signed_jwt({"alg": "ES256", "typ": STATUS_LIST_JWT_TYP}, claims, key)

    def verify() -> object:
        return verify_status_list_token(
            token,
            key=key.public,
            expected_uri=STATUS_URI,
            now=NOW,
            leeway=30,
            algorithms=[JwsAlg.ES256],
            max_age=3600,
        )

    stream_kb = len(big["lst"]) * 3 // 4 // 1000
    return [
        in_process(
            Row("T-01", f"lst: {stream_kb:,} kB -> {sizes.bomb_mebibytes:,} MiB"),
            lambda: decode_status_list(big),
            repetitions=sizes.repetitions,
        ),
        in_process(
            Row("T-01", "lst: 2 MB -> 2 GiB (under the lst cap)"),
            lambda: decode_status_list(fits),
            repetitions=sizes.repetitions,
        ),
        in_process(
            Row("T-01", f"signed token of {len(token) // 1000} kB -> 128 MiB"),
            verify,
            repetitions=sizes.repetitions,
        ),
    ]


def fetcher_rows(server: Hostile, sizes: Sizes) -> list[Row]:
    policy = FetchPolicy(allow_local_origins=frozenset({server.url}), timeout=sizes.fetch_deadline)

    cases = [
        ("T-13", "status response: gzip bomb, 1 GiB", f"/gzip-bomb?type={STATUS_TYPE}", None),
        ("H-13", "outbound: Content-Length 1 GiB", "/gigabyte", None),
        ("H-13", "outbound: gzip bomb, 1 GiB", "/gzip-bomb", None),
        ("H-13", "outbound: never-ending chunked stream", "/endless", None),
        ("H-13", "outbound: 1 byte / 0.1 s", "/drip", sizes.fetch_deadline),
    ]
    rows = []
    for case, label, path, deadline in cases:
        accept = STATUS_TYPE if case == "T-13" else "application/json"
        before = len(server.sent)
        repetitions = sizes.deadline_repetitions if deadline else sizes.repetitions
        row = in_process_async(
            Row(case, label),
            _fetch(policy, f"{server.url}{path}", accept),
            repetitions=repetitions,
            deadline=deadline,
        )
        sent = server.sent[before:]
        row.note = f"server wrote <= {max(sent, default=0) / MIB:.1f} MiB"
        rows.append(row)
    return rows


def _fetch(policy: FetchPolicy, url: str, accept: str) -> Callable[[], Awaitable[object]]:
    """One GET by a new fetcher, as the desk's status step makes it (no pooled connection)."""

    async def call() -> object:
        async with SafeFetcher(policy) as fetcher:
            return await fetcher.get(url, accept=accept)

    return call


def chain_rows(server: Hostile, sizes: Sizes) -> list[Row]:
    def snapshot(path: str) -> Callable[[], object]:
        def call() -> object:
            settings = TrustSettings(
                rpc_url=f"{server.url}{path}",
                chain_id=31337,
                contract_address="0x" + "11" * 20,
                rpc_timeout_seconds=sizes.rpc_deadline,
            )
            return ChainTrustRegistry.from_settings(settings).snapshot(now=NOW)

        return call

    huge = in_process(
        Row("C-05", "RPC answer of 100 MiB"), snapshot("/rpc-huge"), repetitions=sizes.repetitions
    )
    drip = in_process(
        Row("C-05", "RPC answer 1 byte / 0.1 s"),
        snapshot("/rpc-drip"),
        repetitions=sizes.deadline_repetitions,
        deadline=sizes.rpc_deadline,
    )
    return [huge, drip]
