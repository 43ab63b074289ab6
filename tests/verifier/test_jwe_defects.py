"""The rejection matrix, envelope side for ``direct_post.jwt`` (OpenID4VP 1.0 §8.3, §8.3.1).

Every defect here is in the JWE or the form around it, so the answer proves nothing about who
sent it: the transaction must stay open for the real wallet (``verifier.responses``). Each test
posts one defective answer carrying a valid presentation, checks the wire error and its exact
reason, and then lets the real wallet answer the same transaction to a decision
(``tests.verifier.refusals.assert_still_open``).

JWEs are made with ``joserfc`` directly, so each carries exactly one defect: encrypted for
real to the transaction's key wherever the defect allows it. An off-curve ``epk`` cannot be
produced by a key agreement at all; that header is edited into a real JWE, and the verifier
must refuse it before it tries to decrypt (the invalid-curve attack, ``specs.oid4vp.jwe``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from joserfc import jwe
from joserfc.jwk import ECKey

from specs.errors import Oid4vpReason
from specs.jose import b64url_decode, b64url_encode, dumps_compact
from specs.oid4vp.jwe import new_response_key, public_response_jwk, select_response_key
from specs.oid4vp.request_object import AuthorizationRequest
from specs.oid4vp.response import direct_post_jwt_form, response_payload
from tests.verifier.conftest import Desk
from tests.verifier.refusals import assert_still_open, assert_wire_error, ready
from tests.verifier.wallet import Tamper

P256_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1
"""The field prime of P-256 (SEC 2 §2.4.2): coordinates are taken modulo it."""


def encrypt(
    plaintext: bytes,
    recipient: Mapping[str, Any],
    *,
    alg: str = "ECDH-ES",
    enc: str = "A128GCM",
    header: Mapping[str, Any] | None = None,
) -> str:
    """A compact JWE of ``plaintext`` to ``recipient`` (a public JWK); ``header`` adds or
    replaces protected header members, ``None`` removes one."""
    key = ECKey.import_key({name: recipient[name] for name in ("kty", "crv", "x", "y")})
    protected: dict[str, Any] = {"alg": alg, "enc": enc, "kid": recipient["kid"]}
    protected.update(header or {})
    protected = {name: value for name, value in protected.items() if value is not None}
    algorithms = [alg, enc, *(["DEF"] if "zip" in protected else [])]
    registry = jwe.JWERegistry(algorithms=algorithms)
    return jwe.encrypt_compact(protected, plaintext, key, registry=registry)


async def request_and_payload(
    desk: Desk, started: dict[str, Any]
) -> tuple[AuthorizationRequest, dict[str, Any], bytes]:
    """The verified request, its encryption key from ``client_metadata``, and a correct
    response payload (a valid presentation and the right ``state``)."""
    request = await desk.wallet.fetch_request(started["link"])
    assert request.client_metadata is not None
    recipient, _enc = select_response_key(request.client_metadata)
    payload = response_payload(desk.wallet.vp_token(request, Tamper()), request.state)
    return request, recipient, dumps_compact(payload).encode()


def with_header(token: str, **changes: Any) -> str:
    """The same JWE with members of its protected header replaced (AAD no longer matches)."""
    head, *rest = token.split(".")
    header = json.loads(b64url_decode(head))
    header.update(changes)
    return ".".join([b64url_encode(dumps_compact(header).encode()), *rest])


async def post_response(desk: Desk, request: AuthorizationRequest, token: str) -> Any:
    return await desk.wallet.post(request, direct_post_jwt_form(token))


async def test_unknown_key_id(desk: Desk) -> None:
    """A ``kid`` that names no transaction's key: there is nothing to decrypt with."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient, header={"kid": "a-key-of-no-transaction"})
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_no_key_id(desk: Desk) -> None:
    """Without a ``kid`` the verifier cannot tell which transaction's key to try (§8.3)."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient, header={"kid": None})
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


@pytest.mark.parametrize("segment", [2, 3, 4], ids=["iv", "ciphertext", "tag"])
async def test_tampered_jwe(desk: Desk, segment: int) -> None:
    """AES-GCM authenticates IV, ciphertext and tag: one changed character is refused."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    parts = encrypt(plaintext, recipient).split(".")
    first = parts[segment][0]
    parts[segment] = ("B" if first == "A" else "A") + parts[segment][1:]
    token = ".".join(parts)
    response = await post_response(desk, request, token)
    assert_wire_error(response, Oid4vpReason.JWE_DECRYPTION_FAILED)
    await assert_still_open(desk, started)


async def test_encrypted_to_another_key_under_our_key_id(desk: Desk) -> None:
    """Right ``kid``, wrong key: someone who never saw the request cannot make an answer."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    stranger = public_response_jwk(new_response_key(kid=recipient["kid"]))
    token = encrypt(plaintext, stranger)
    response = await post_response(desk, request, token)
    assert_wire_error(response, Oid4vpReason.JWE_DECRYPTION_FAILED)
    await assert_still_open(desk, started)


async def test_key_wrapping_alg(desk: Desk) -> None:
    """``ECDH-ES+A128KW`` is a real ECDH algorithm, but not the one we allow (HAIP)."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient, alg="ECDH-ES+A128KW")
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.JWE_ALG)
    await assert_still_open(desk, started)


async def test_enc_not_offered(desk: Desk) -> None:
    """``A192GCM`` is a real content encryption, but not one the request offered (§5.1)."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient, enc="A192GCM")
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.JWE_ENC)
    await assert_still_open(desk, started)


async def test_compressed_jwe(desk: Desk) -> None:
    """``zip``: compression before encryption leaks, and inflating is a bomb."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient, header={"zip": "DEF"})
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.JWE_ZIP)
    await assert_still_open(desk, started)


async def test_off_curve_ephemeral_key(desk: Desk) -> None:
    """An ``epk`` that is not a P-256 point: refused before any key agreement."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = encrypt(plaintext, recipient)
    epk = json.loads(b64url_decode(token.split(".", 1)[0]))["epk"]
    y = int.from_bytes(b64url_decode(epk["y"]), "big")
    off_curve = {**epk, "y": b64url_encode(((y + 1) % P256_PRIME).to_bytes(32, "big"))}
    response = await post_response(desk, request, with_header(token, epk=off_curve))
    assert_wire_error(response, Oid4vpReason.JWE_EPK_INVALID)
    await assert_still_open(desk, started)


async def test_critical_header(desk: Desk) -> None:
    """``crit`` names an extension we do not understand (RFC 7516 §4.1.13): refuse."""
    started = await ready(desk)
    request, recipient, plaintext = await request_and_payload(desk, started)
    token = with_header(encrypt(plaintext, recipient), crit=["exp"], exp=1)
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.MALFORMED_JWE)
    await assert_still_open(desk, started)


async def test_not_a_jwe(desk: Desk) -> None:
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    response = await post_response(desk, request, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
    assert_wire_error(response, Oid4vpReason.MALFORMED_JWE)
    await assert_still_open(desk, started)


async def test_plaintext_not_json(desk: Desk) -> None:
    """Decrypts, but the payload is not a strict JSON object of response parameters."""
    started = await ready(desk)
    request, recipient, _plaintext = await request_and_payload(desk, started)
    token = encrypt(b'{"state": "a", "state": "b"}', recipient)
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.MALFORMED_RESPONSE)
    await assert_still_open(desk, started)


async def test_payload_state_differs(desk: Desk) -> None:
    """Encrypted to this transaction's key, but its ``state`` is another transaction's."""
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"], Tamper(state="state-of-another-request"))
    assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_payload_without_state(desk: Desk) -> None:
    started = await ready(desk)
    request, recipient, _plaintext = await request_and_payload(desk, started)
    payload = response_payload(desk.wallet.vp_token(request, Tamper()), None)
    token = encrypt(dumps_compact(payload).encode(), recipient)
    assert_wire_error(await post_response(desk, request, token), Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_plain_answer_to_an_encrypted_request(desk: Desk) -> None:
    """A ``direct_post`` form with the right ``state`` to a ``direct_post.jwt`` request: the
    presentation would have crossed the network unencrypted (§8.3)."""
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"], Tamper(plain_post=True))
    assert_wire_error(response, Oid4vpReason.ENCRYPTED_RESPONSE_REQUIRED)
    await assert_still_open(desk, started)
