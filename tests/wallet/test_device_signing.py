"""Signing in two passes with keys on a device (``wallet.device_signing``): a signature the
device made ends up only in the JWT it was asked for, and every way a device's answer can
be wrong is refused by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from specs.jose import (
    JwsAlg,
    b64url_encode,
    generate_private_key,
    parse_compact_jws,
    verify_jws,
)
from specs.oid4vci import build_jwt_proof
from wallet.device_signing import (
    PLACEHOLDER,
    DeviceSignatureRefused,
    collect_signing_requests,
    sign_with_device,
)

AUDIENCE = "https://issuer.example"


def _proofs(signers: Sequence[Any]) -> list[str]:
    return [
        build_jwt_proof(holder_key=s, audience=AUDIENCE, nonce="n-1", now=1_800_000_000)
        for s in signers
    ]


def _device_answers(keys: Sequence[Any], requests: Sequence[Any]) -> list[dict[str, str]]:
    by_id = {k.public.thumbprint(): k for k in keys}
    return [
        {"key_id": r.key_id, "signature": b64url_encode(by_id[r.key_id].sign(r.signing_input))}
        for r in requests
    ]


def test_the_device_signatures_make_the_same_proofs_the_keys_would() -> None:
    keys = [generate_private_key() for _ in range(3)]
    publics = [k.public for k in keys]
    requests = collect_signing_requests(_proofs, publics)
    assert [r.key_id for r in requests] == [p.thumbprint() for p in publics]
    proofs = sign_with_device(_proofs, publics, requests, _device_answers(keys, requests))
    for proof, key in zip(proofs, keys, strict=True):
        verify_jws(
            parse_compact_jws(proof),
            key=key.public,
            algorithms={JwsAlg.ES256},
            typ="openid4vci-proof+jwt",
        )
    # ES256 signatures are randomised: what they sign is the same as with the keys in hand
    assert [p.rsplit(".", 1)[0] for p in proofs] == [p.rsplit(".", 1)[0] for p in _proofs(keys)]


def test_the_collecting_pass_signs_nothing() -> None:
    key = generate_private_key()
    [proof] = _proofs_with_placeholder(key)
    assert proof.endswith(b64url_encode(PLACEHOLDER))


def _proofs_with_placeholder(key: Any) -> list[str]:
    captured: list[list[str]] = []

    def build(signers: Sequence[Any]) -> list[str]:
        captured.append(_proofs(signers))
        return captured[-1]

    collect_signing_requests(build, [key.public])
    return captured[0]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda ok: [], "missing"),
        (lambda ok: [{**ok[0], "signature": 7}], "malformed"),
        (lambda ok: [{**ok[0], "signature": "not base64!"}], "malformed"),
        (lambda ok: [{**ok[0], "signature": "A" * 300}], "malformed"),
        (lambda ok: [{**ok[0], "key_id": "someone-else"}], "unexpected"),
        (lambda ok: [{**ok[0], "signature": b64url_encode(bytes(64))}], "bad-device-signature"),
        (lambda ok: [*ok, *ok], "missing"),
    ],
    ids=["none", "not-text", "not-base64", "too-long", "other-key", "forged", "twice"],
)
def test_a_wrong_answer_from_the_device_is_refused(answer: Any, reason: str) -> None:
    key = generate_private_key()
    requests = collect_signing_requests(_proofs, [key.public])
    good = _device_answers([key], requests)
    with pytest.raises(DeviceSignatureRefused) as refused:
        sign_with_device(_proofs, [key.public], requests, answer(good))
    assert refused.value.reason == reason


def test_a_signature_over_other_input_is_refused() -> None:
    key = generate_private_key()
    requests = collect_signing_requests(_proofs, [key.public])
    other = key.sign(b"something else")
    answer = [{"key_id": requests[0].key_id, "signature": b64url_encode(other)}]
    with pytest.raises(DeviceSignatureRefused) as refused:
        sign_with_device(_proofs, [key.public], requests, answer)
    assert refused.value.reason == "bad-device-signature"


def test_a_build_that_changes_between_passes_finds_no_signature() -> None:
    key = generate_private_key()
    requests = collect_signing_requests(_proofs, [key.public])
    answers = _device_answers([key], requests)

    def later(signers: Sequence[Any]) -> list[str]:
        return [build_jwt_proof(holder_key=signers[0], audience=AUDIENCE, nonce="n-2", now=1)]

    with pytest.raises(DeviceSignatureRefused) as refused:
        sign_with_device(later, [key.public], requests, answers)
    assert refused.value.reason == "missing"
