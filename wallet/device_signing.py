"""Signing with keys that never leave the citizen's device (DESIGN §1 wallet/).

A phone keeps holder keys in its secure hardware; the wallet service holds only their public
halves. Every key proof (OpenID4VCI 1.0 Appendix F.1) and every KB-JWT (RFC 9901 §4.3) the
service builds is therefore signed in two passes:

1. the service builds the JWT with a :class:`CollectingSigner` per key, which records the
   JWS signing input (RFC 7515 §5.1 step 6) and returns a placeholder; the built JWT is
   thrown away and the signing inputs go to the device (:class:`SigningRequest`);
2. the device signs each input with the key named by its RFC 7638 thumbprint and sends the
   signatures back; the service builds the *same* JWT again (the builders are deterministic
   in their arguments: same time, nonce and audience) with a :class:`DeviceSignature` per
   key, which hands out the device's signature only for exactly the recorded input, and
   only after checking it verifies under the public key.

So a signature the device made can only end up in the JWT it was asked for, and a device
that signs something else (or signs with the wrong key) is caught here with
``bad-device-signature`` instead of by the issuer or the desk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from specs.errors import Rejected
from specs.jose import JwsAlg, PublicJwk, UnverifiedJws, b64url_decode, b64url_encode
from specs.jose import verify_signature as verify_jws_signature

__all__ = [
    "CollectingSigner",
    "DeviceSignature",
    "DeviceSignatureRefused",
    "SigningRequest",
    "collect_signing_requests",
    "sign_with_device",
]

PLACEHOLDER = bytes(64)
"""What a collecting signer returns: the size of an ES256 signature (RFC 7518 §3.4)."""
MAX_SIGNATURE_CHARS = 200
"""A base64url ES256 or Ed25519 signature is 86 characters; anything much longer is junk."""

T = TypeVar("T")


class DeviceSignatureRefused(Exception):
    """The device's answer does not complete the signing requests.

    ``reason`` is one of ``missing`` (no signature for a requested input), ``malformed``
    (not base64url or too long), ``bad-device-signature`` (does not verify under the key),
    ``unexpected`` (a signature for a key that was not asked to sign).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SigningRequest:
    """One input the device must sign, with the key named by its thumbprint."""

    key_id: str
    signing_input: bytes

    def as_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "signing_input": b64url_encode(self.signing_input)}


class CollectingSigner:
    """A ``JwsSigner`` that records what it is asked to sign (pass 1)."""

    def __init__(self, public: PublicJwk) -> None:
        self._public = public
        self.inputs: list[bytes] = []

    @property
    def alg(self) -> JwsAlg:
        return self._public.alg

    @property
    def public(self) -> PublicJwk:
        return self._public

    def sign(self, signing_input: bytes) -> bytes:
        self.inputs.append(signing_input)
        return PLACEHOLDER


class DeviceSignature:
    """A ``JwsSigner`` that answers with the device's signatures (pass 2).

    ``signatures`` maps a signing input to the signature the device returned for it; any
    other input (the JWT came out differently the second time) is refused as ``missing``.
    """

    def __init__(self, public: PublicJwk, signatures: Mapping[bytes, bytes]) -> None:
        self._public = public
        self._signatures = dict(signatures)

    @property
    def alg(self) -> JwsAlg:
        return self._public.alg

    @property
    def public(self) -> PublicJwk:
        return self._public

    def sign(self, signing_input: bytes) -> bytes:
        signature = self._signatures.get(signing_input)
        if signature is None:
            raise DeviceSignatureRefused("missing")
        return signature


def collect_signing_requests(
    build: Callable[[Sequence[Any]], T], keys: Sequence[PublicJwk]
) -> list[SigningRequest]:
    """Pass 1: run ``build`` with a collecting signer per key; the inputs it signed."""
    signers = [CollectingSigner(key) for key in keys]
    build(signers)
    return [
        SigningRequest(signer.public.thumbprint(), signing_input)
        for signer in signers
        for signing_input in signer.inputs
    ]


def sign_with_device(
    build: Callable[[Sequence[Any]], T],
    keys: Sequence[PublicJwk],
    requests: Sequence[SigningRequest],
    answers: Sequence[Mapping[str, Any]],
) -> T:
    """Pass 2: ``build`` again with the device's ``answers`` (``key_id``, ``signature``).

    Each answer must be for one of ``requests`` and verify under its key before it is used;
    every request needs its answer.
    """
    by_key = {key.thumbprint(): key for key in keys}
    wanted: dict[str, list[bytes]] = {}
    for request in requests:
        wanted.setdefault(request.key_id, []).append(request.signing_input)
    given: dict[str, list[bytes]] = {}
    for answer in answers:
        key_id, signature = answer.get("key_id"), answer.get("signature")
        if not isinstance(key_id, str) or not isinstance(signature, str):
            raise DeviceSignatureRefused("malformed")
        if key_id not in wanted:
            raise DeviceSignatureRefused("unexpected")
        if len(signature) > MAX_SIGNATURE_CHARS:
            raise DeviceSignatureRefused("malformed")
        try:
            given.setdefault(key_id, []).append(b64url_decode(signature))
        except Rejected:
            raise DeviceSignatureRefused("malformed") from None
    signed: dict[str, dict[bytes, bytes]] = {}
    for key_id, inputs in wanted.items():
        signatures = given.get(key_id, [])
        if len(signatures) != len(inputs):
            raise DeviceSignatureRefused("missing")
        for signing_input, signature in zip(inputs, signatures, strict=True):
            _check(by_key[key_id], signing_input, signature)
            signed.setdefault(key_id, {})[signing_input] = signature
    return build([DeviceSignature(key, signed.get(key.thumbprint(), {})) for key in keys])


def _check(key: PublicJwk, signing_input: bytes, signature: bytes) -> None:
    try:
        verify_jws_signature(UnverifiedJws({}, {}, signing_input, signature), key=key, alg=key.alg)
    except Rejected:
        raise DeviceSignatureRefused("bad-device-signature") from None
