"""The crypto ceiling of issuing one credential, written directly with ``cryptography``.

Per credential an issuer cannot do less than: read the key proof's header (for ``jwk``) and
payload (for ``nonce``, ``aud``), import the holder key from ``jwk`` (``x``/``y`` as an
uncompressed point, which checks it is on the curve), verify the proof's ES256 signature
(raw r||s to DER), hash every Disclosure with SHA-256 (base64url of the digest, as the
payload carries it) and sign one ES256 signature over a signing input the size of a real
credential. No project code, no checks beyond the cryptographic ones.

It does less than a real issuer: the salts, the Disclosures' JSON and the payload's JSON
are taken ready-made from a credential our issuer made (so the sizes are exact), and the
proof's claims are not checked. What it does is real: before timing, its signature is put on
that credential's signing input and the result verifies with our verifier, and its digests
are the credential's ``_sd`` array (``InProcess.check``).

``build_credential`` adds what the bare ceiling leaves out, still without project code: per
Disclosure 16 fresh random bytes of salt, compact JSON and base64url; the payload's JSON
(registered claims and ``cnf`` from a ready template, the digests sorted in) and base64url.
It is the least a complete issuer does, shown beside the ceiling so the distance between
the two is known (the target is against the bare ceiling).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

_ECDSA = ec.ECDSA(hashes.SHA256())
_P256 = ec.SECP256R1()


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _json_b64(value: Any) -> str:
    return _b64e(_ENCODE(value).encode("utf-8"))


def _raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class Ceiling:
    """One proof verification + the hashing + one ES256 signature, for one credential.

    ``proof`` is one of the batch's key proofs; ``credential`` is the SD-JWT VC our issuer
    made for it: its signing input is what gets signed, its Disclosures what gets hashed.
    """

    def __init__(self, proof: str, credential: str, issuer_key: ec.EllipticCurvePrivateKey):
        self.proof = proof
        jwt, *self.disclosures, _ = credential.split("~")
        header, payload, _signature = jwt.split(".")
        self.signing_input = f"{header}.{payload}".encode("ascii")
        self.issuer_key = issuer_key
        self.header_segment = header
        self.template: dict[str, Any] = json.loads(_b64d(payload))
        del self.template["_sd"]
        self.claims = [json.loads(_b64d(d))[1:] for d in self.disclosures]  # [name, value]

    def verify_proof(self) -> dict[str, Any]:
        """The proof's payload, once its signature verified with the key from its ``jwk``."""
        header_segment, payload_segment, signature_segment = self.proof.split(".")
        jwk = json.loads(_b64d(header_segment))["jwk"]
        payload: dict[str, Any] = json.loads(_b64d(payload_segment))
        point = b"\x04" + _b64d(jwk["x"]) + _b64d(jwk["y"])
        holder = ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
        signature = _b64d(signature_segment)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        signing_input = self.proof[: len(header_segment) + 1 + len(payload_segment)]
        holder.verify(encode_dss_signature(r, s), signing_input.encode("ascii"), _ECDSA)
        return payload

    def sign_credential(self) -> tuple[list[str], bytes]:
        """The Disclosures' digests and the ES256 signature (raw r||s) of the credential."""
        digests = [_b64e(hashlib.sha256(d.encode("ascii")).digest()) for d in self.disclosures]
        return digests, _raw_signature(self.issuer_key.sign(self.signing_input, _ECDSA))

    def issue_one(self) -> tuple[dict[str, Any], list[str], bytes]:
        return self.verify_proof(), *self.sign_credential()

    def build_credential(self) -> str:
        """A complete SD-JWT VC: fresh salts, the Disclosures' and the payload's JSON, 1 sign."""
        disclosures = [_json_b64([_b64e(os.urandom(16)), *claim]) for claim in self.claims]
        digests = sorted(_b64e(hashlib.sha256(d.encode("ascii")).digest()) for d in disclosures)
        signing_input = f"{self.header_segment}.{_json_b64({**self.template, '_sd': digests})}"
        signature = _raw_signature(self.issuer_key.sign(signing_input.encode("ascii"), _ECDSA))
        return "~".join([f"{signing_input}.{_b64e(signature)}", *disclosures, ""])

    def issue_complete(self) -> tuple[dict[str, Any], str]:
        return self.verify_proof(), self.build_credential()

    def signed_token(self, signature: bytes) -> str:
        """The credential with the ceiling's signature in place of ours."""
        return "~".join(
            [f"{self.signing_input.decode('ascii')}.{_b64e(signature)}", *self.disclosures, ""]
        )


def sd_digests(credential: str) -> list[str]:
    """The ``_sd`` array of a credential's payload (every Disclosure here is top level)."""
    payload = credential.split("~", 1)[0].split(".")[1]
    digests: list[str] = json.loads(_b64d(payload))["_sd"]
    return digests
