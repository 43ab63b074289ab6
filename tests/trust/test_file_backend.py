"""The ``file`` trust backend (trust/file_backend.py): reading, caching, failing closed.

Time is a parameter; the file's identity changes are made explicit with ``os.utime`` so a
rewrite is seen even on file systems with coarse timestamps. THREATS R-03 (rollback of a
removed key), R-08 (staleness bound), C-05 (bounded reads).
"""

from __future__ import annotations

import logging
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specs.errors import JoseReason, Reason, Rejected, TrustReason
from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.trust import TrustSnapshot
from specs.trust.trust_list import TRUST_LIST_TYP, build_trust_list, verify_signed_trust_list
from tests.conftest import FIXED_NOW
from tests.specs.forge import sign_raw
from tests.specs.trust.test_decisions import issuer_entry, key_ref, snapshot
from tests.support import assert_rejected
from trust import file_backend
from trust.file_backend import FileTrustRegistry
from trust.registry import TrustRegistry

TTL = 24 * 3600
STALENESS = 600
REGISTRY = snapshot([issuer_entry()])
ROTATED = snapshot([issuer_entry(key_refs=frozenset({key_ref("new")}))])


@pytest.fixture
def governance() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256, kid="governance")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "trust-list.jwt"


def sign(key: PrivateJwk, registry: TrustSnapshot = REGISTRY, now: int = FIXED_NOW) -> str:
    return build_trust_list(registry, key=key, governance_id="gov", now=now, ttl=TTL)


_tick = iter(range(1, 1_000_000))


def publish(path: Path, content: str | bytes) -> None:
    """Write the file and give it a modification time no earlier write had."""
    data = content.encode("ascii") if isinstance(content, str) else content
    path.write_bytes(data)
    stamp = 1_700_000_000_000_000_000 + next(_tick) * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def registry_at(path: Path, key: PrivateJwk, **options: Any) -> FileTrustRegistry:
    return FileTrustRegistry(path, key.public, STALENESS, **options)


def cause_of(rejected: Rejected) -> Reason:
    """The reason the file was not usable, chained under the TRUST_UNAVAILABLE refusal."""
    cause = rejected.__cause__
    assert cause is not None
    reason: Reason = cause.reason  # type: ignore[attr-defined]
    return reason


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count signature verifications, to see what the cache saves."""
    calls: list[int] = []
    real: Callable[..., Any] = verify_signed_trust_list

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["now"])
        return real(*args, **kwargs)

    monkeypatch.setattr(file_backend, "verify_signed_trust_list", counting)
    return calls


# -- the good path -------------------------------------------------------------------------


def test_implements_the_registry_protocol(path: Path, governance: PrivateJwk) -> None:
    publish(path, sign(governance))
    registry: TrustRegistry = registry_at(path, governance)
    got = registry.snapshot(now=FIXED_NOW)
    assert got.issuers == REGISTRY.issuers
    assert got.as_of == FIXED_NOW
    assert got.source == f"trust-list:gov file:{path}"


def test_unchanged_file_is_verified_once(
    path: Path, governance: PrivateJwk, verifications: list[int]
) -> None:
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    first = registry.snapshot(now=FIXED_NOW)
    assert registry.snapshot(now=FIXED_NOW + 10) is first
    assert registry.snapshot(now=FIXED_NOW + 20) is first
    assert verifications == [FIXED_NOW]


def test_changed_file_is_read_again(
    path: Path, governance: PrivateJwk, verifications: list[int]
) -> None:
    """R-03 through the file: governance removes a key and publishes a new list."""
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    assert registry.snapshot(now=FIXED_NOW).issuers == REGISTRY.issuers
    publish(path, sign(governance, ROTATED, now=FIXED_NOW + 5))
    assert registry.snapshot(now=FIXED_NOW + 10).issuers == ROTATED.issuers
    assert verifications == [FIXED_NOW, FIXED_NOW + 10]


def test_a_list_renamed_over_the_file_is_seen_despite_equal_size_and_mtime(
    path: Path, governance: PrivateJwk
) -> None:
    """The documented way to publish: write a new file, rename it over the old one. Size and
    mtime may be kept by the writer; the new inode and change time give the change away."""
    publish(path, sign(governance))
    before = path.stat()
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW)
    rotated = sign(governance, ROTATED, now=FIXED_NOW + 5)
    assert len(rotated) == before.st_size
    staged = path.with_suffix(".new")
    staged.write_text(rotated, encoding="ascii")
    os.utime(staged, ns=(before.st_atime_ns, before.st_mtime_ns))
    staged.replace(path)
    assert registry.snapshot(now=FIXED_NOW + 10).issuers == ROTATED.issuers


def test_surrounding_whitespace_is_not_part_of_the_token(
    path: Path, governance: PrivateJwk
) -> None:
    publish(path, "\n " + sign(governance) + "\r\n")
    assert registry_at(path, governance).snapshot(now=FIXED_NOW).issuers == REGISTRY.issuers


# -- nothing good read yet: unavailable ------------------------------------------------------


def test_missing_file_is_unavailable(path: Path, governance: PrivateJwk) -> None:
    rejected = assert_rejected(
        TrustReason.REGISTRY_UNAVAILABLE, registry_at(path, governance).snapshot, now=FIXED_NOW
    )
    assert rejected.family == "TRUST_UNAVAILABLE"
    assert isinstance(rejected.__cause__.__cause__, FileNotFoundError)  # type: ignore[union-attr]


def test_a_directory_is_unavailable(tmp_path: Path, governance: PrivateJwk) -> None:
    registry = registry_at(tmp_path, governance)
    assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, registry.snapshot, now=FIXED_NOW)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(path: Path, governance: PrivateJwk) -> None:
    """Opening a FIFO for reading would wait for a writer; a registry must never hang."""
    os.mkfifo(path)
    rejected = assert_rejected(
        TrustReason.REGISTRY_UNAVAILABLE, registry_at(path, governance).snapshot, now=FIXED_NOW
    )
    assert cause_of(rejected) is TrustReason.REGISTRY_UNAVAILABLE


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        ("garbage", JoseReason.MALFORMED_JWS),
        (b"\xff\xfe not ascii", JoseReason.MALFORMED_JWS),
        ("", JoseReason.MALFORMED_JWS),
    ],
    ids=["garbage", "binary", "empty"],
)
def test_unusable_first_file_is_unavailable_with_the_reason_as_cause(
    path: Path, governance: PrivateJwk, content: str | bytes, cause: Reason
) -> None:
    """A bad list is the registry's fault: TRUST_UNAVAILABLE outward, the detail chained."""
    publish(path, content)
    registry = registry_at(path, governance)
    rejected = assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, registry.snapshot, now=FIXED_NOW)
    assert cause_of(rejected) is cause
    assert registry.last_error is cause


def test_list_signed_by_another_key_is_unavailable(path: Path, governance: PrivateJwk) -> None:
    publish(path, sign(generate_private_key(JwsAlg.ES256)))
    rejected = assert_rejected(
        TrustReason.REGISTRY_UNAVAILABLE, registry_at(path, governance).snapshot, now=FIXED_NOW
    )
    assert cause_of(rejected) is JoseReason.BAD_SIGNATURE


def test_list_with_a_malformed_entry_is_unavailable(path: Path, governance: PrivateJwk) -> None:
    payload = {
        "iss": "gov",
        "iat": FIXED_NOW,
        "exp": FIXED_NOW + TTL,
        "issuers": [1],
        "verifiers": [],
        "anchors": [],
    }
    publish(path, sign_raw({"alg": "ES256", "typ": TRUST_LIST_TYP}, payload, governance))
    rejected = assert_rejected(
        TrustReason.REGISTRY_UNAVAILABLE, registry_at(path, governance).snapshot, now=FIXED_NOW
    )
    assert cause_of(rejected) is TrustReason.MALFORMED_ENTRY


def test_oversized_file_is_refused_after_a_bounded_read(path: Path, governance: PrivateJwk) -> None:
    """C-05's file form (INV-3): a 256 MiB file costs a read of ``max_bytes`` + 1 bytes."""
    with path.open("wb") as file:
        file.truncate(256 * 1024 * 1024)  # sparse: no disk used, but stat says 256 MiB
    registry = registry_at(path, governance, max_bytes=64 * 1024)
    tracemalloc.start()
    try:
        rejected = assert_rejected(
            TrustReason.REGISTRY_UNAVAILABLE, registry.snapshot, now=FIXED_NOW
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cause_of(rejected) is JoseReason.TOKEN_TOO_LARGE
    assert peak < 1024 * 1024


def test_expired_list_is_unavailable(path: Path, governance: PrivateJwk) -> None:
    publish(path, sign(governance))
    rejected = assert_rejected(
        TrustReason.REGISTRY_UNAVAILABLE,
        registry_at(path, governance).snapshot,
        now=FIXED_NOW + TTL,
    )
    assert cause_of(rejected) is JoseReason.EXPIRED


# -- after a good read: cached within staleness, then stale ------------------------------------


def test_garbage_after_a_good_read_is_served_cached_within_staleness_then_stale(
    path: Path, governance: PrivateJwk
) -> None:
    """THREATS R-08: within the bound the last good list, marked cached; beyond it, refuse."""
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    good = registry.snapshot(now=FIXED_NOW + 100)
    publish(path, "garbage")
    cached = registry.snapshot(now=FIXED_NOW + 100 + STALENESS)
    assert cached.issuers == good.issuers
    assert cached.as_of == good.as_of
    assert cached.source.endswith("(cached)")
    assert registry.last_error is JoseReason.MALFORMED_JWS
    rejected = assert_rejected(
        TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + 101 + STALENESS
    )
    assert rejected.family == "TRUST_UNAVAILABLE"
    assert cause_of(rejected) is JoseReason.MALFORMED_JWS


def test_staleness_counts_from_the_last_successful_verification(
    path: Path, governance: PrivateJwk
) -> None:
    """An unchanged, valid file confirms the list on every call; the bound starts after."""
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW)
    registry.snapshot(now=FIXED_NOW + 5000)  # still the same, still good
    publish(path, "garbage")
    assert registry.snapshot(now=FIXED_NOW + 5000 + STALENESS).issuers == REGISTRY.issuers
    assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + 5001 + STALENESS)


def test_deleted_file_after_a_good_read_is_cached_then_stale(
    path: Path, governance: PrivateJwk
) -> None:
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW)
    path.unlink()
    assert registry.snapshot(now=FIXED_NOW + STALENESS).issuers == REGISTRY.issuers
    assert registry.last_error is TrustReason.REGISTRY_UNAVAILABLE
    rejected = assert_rejected(
        TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + STALENESS + 1
    )
    assert cause_of(rejected) is TrustReason.REGISTRY_UNAVAILABLE


def test_a_good_list_after_staleness_is_served_again(path: Path, governance: PrivateJwk) -> None:
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW)
    publish(path, "garbage")
    assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + 2 * STALENESS)
    publish(path, sign(governance, ROTATED, now=FIXED_NOW + 2 * STALENESS))
    assert registry.snapshot(now=FIXED_NOW + 2 * STALENESS).issuers == ROTATED.issuers
    assert registry.last_error is None


def test_an_unchanged_file_past_its_exp_is_stale_not_cached(
    path: Path, governance: PrivateJwk, verifications: list[int]
) -> None:
    """The cache checks ``exp`` on every call: no list outlives its signature."""
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW + TTL - 1)
    rejected = assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + TTL)
    assert cause_of(rejected) is JoseReason.EXPIRED
    assert verifications == [FIXED_NOW + TTL - 1]


def test_the_cached_list_is_never_served_past_its_own_exp(
    path: Path, governance: PrivateJwk
) -> None:
    publish(path, sign(governance))
    registry = FileTrustRegistry(path, governance.public, 10 * TTL)
    registry.snapshot(now=FIXED_NOW + TTL - 10)
    publish(path, "garbage")
    assert registry.snapshot(now=FIXED_NOW + TTL - 1).issuers == REGISTRY.issuers
    assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + TTL)


def test_leeway_applies_to_the_cached_exp_as_to_the_token(
    path: Path, governance: PrivateJwk
) -> None:
    publish(path, sign(governance))
    registry = registry_at(path, governance, leeway=30)
    assert registry.snapshot(now=FIXED_NOW + TTL + 29).issuers == REGISTRY.issuers
    assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + TTL + 30)


def test_rolling_back_to_an_older_signed_list_is_refused(
    path: Path, governance: PrivateJwk
) -> None:
    """R-03: restoring yesterday's list (still signed, still unexpired) must not bring back
    the key governance removed today; the newer list stays in use within staleness."""
    old = sign(governance, REGISTRY, now=FIXED_NOW)
    publish(path, sign(governance, ROTATED, now=FIXED_NOW + 60))
    registry = registry_at(path, governance)
    assert registry.snapshot(now=FIXED_NOW + 60).issuers == ROTATED.issuers
    publish(path, old)
    assert registry.snapshot(now=FIXED_NOW + 70).issuers == ROTATED.issuers
    assert registry.last_error is TrustReason.REGISTRY_STALE
    assert_rejected(TrustReason.REGISTRY_STALE, registry.snapshot, now=FIXED_NOW + 61 + STALENESS)


def test_a_reason_is_logged_once_as_a_slug_without_content(
    path: Path, governance: PrivateJwk, caplog: pytest.LogCaptureFixture
) -> None:
    publish(path, sign(governance))
    registry = registry_at(path, governance)
    registry.snapshot(now=FIXED_NOW)
    publish(path, "canary-4f1c")
    with caplog.at_level(logging.WARNING, logger="trust.file_backend"):
        for offset in (1, 2, 3):
            registry.snapshot(now=FIXED_NOW + offset)
    assert [r.getMessage() for r in caplog.records] == [
        f"trust list {path} not usable: malformed-jws"
    ]
    assert all(r.exc_info is None for r in caplog.records)
