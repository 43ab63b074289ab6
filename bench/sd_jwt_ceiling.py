"""The crypto ceilings: the least work each operation needs, with no project code."""

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

from bench.sd_jwt_workload import (
    ADDRESS_FIELDS,
    AUDIENCE,
    NONCE,
    PERSON,
    TOP_FIELDS,
    VCT,
    registered_claims,
)
from specs.jose import PrivateJwk
from specs.sd_jwt_vc import VC_TYP

_ECDSA = ec.ECDSA(hashes.SHA256())


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(value: Any) -> bytes:
    return _ENCODE(value).encode("utf-8")


def _digest(text: str) -> str:
    return _b64e(hashlib.sha256(text.encode("ascii")).digest())


def _es256_sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _es256_verify(key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> None:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), data, _ECDSA)  # raises InvalidSignature


class Ceiling:
    """The crypto-only ceilings of the module docstring; each returns real SD-JWT output."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        assert isinstance(issuer.key, ec.EllipticCurvePrivateKey)
        assert isinstance(holder.key, ec.EllipticCurvePrivateKey)
        self.issuer_key, self.holder_key = issuer.key, holder.key
        self.issuer_public = issuer.key.public_key()
        self.now = now
        self.registered = {**registered_claims(now), "vct": VCT}
        self.holder_jwk = holder.public.to_jwk()

    def issue(self) -> str:
        disclosures: list[str] = []

        def disclose(*name_and_value: Any) -> str:
            encoded = _b64e(_dumps([_b64e(os.urandom(16)), *name_and_value]))
            disclosures.append(encoded)
            return _digest(encoded)

        address = {"_sd": sorted(disclose(n, PERSON["address"][n]) for n in ADDRESS_FIELDS)}
        top = [disclose(name, PERSON[name]) for name in TOP_FIELDS]
        payload = {
            "_sd": sorted([*top, disclose("address", address)]),
            "nationalities": [{"...": disclose(v)} for v in PERSON["nationalities"]],
            **self.registered,
            "cnf": {"jwk": self.holder_jwk},
            "_sd_alg": "sha-256",
        }
        signing_input = f"{_b64e(_dumps({'alg': 'ES256', 'typ': VC_TYP}))}.{_b64e(_dumps(payload))}"
        signature = _es256_sign(self.issuer_key, signing_input.encode("ascii"))
        return "~".join([f"{signing_input}.{_b64e(signature)}", *disclosures]) + "~"

    def present(self, token: str) -> str:
        jwt, *encoded, _ = token.split("~")
        payload = json.loads(_b64d(jwt.split(".")[1]))
        by_digest = {_digest(d): (d, json.loads(_b64d(d))) for d in encoded}
        top = {by_digest[x][1][1]: by_digest[x] for x in payload["_sd"] if x in by_digest}
        address_encoded, address = top["address"]
        inner = {by_digest[x][1][1]: by_digest[x][0] for x in address[2]["_sd"] if x in by_digest}
        first_nationality = by_digest[payload["nationalities"][0]["..."]][0]
        chosen = [top["given_name"][0], address_encoded, inner["locality"], first_nationality]
        sd_jwt = "~".join([jwt, *chosen]) + "~"
        kb = {"iat": self.now, "aud": AUDIENCE, "nonce": NONCE, "sd_hash": _digest(sd_jwt)}
        signing_input = f"{_b64e(_dumps({'alg': 'ES256', 'typ': 'kb+jwt'}))}.{_b64e(_dumps(kb))}"
        signature = _es256_sign(self.holder_key, signing_input.encode("ascii"))
        return f"{sd_jwt}{signing_input}.{_b64e(signature)}"

    def verify(self, presentation: str) -> tuple[list[Any], dict[str, list[Any]], list[Any]]:
        """``[header, payload]``, Disclosures by digest, ``[KB header, KB payload]``."""
        jwt, *encoded, kb_jwt = presentation.split("~")
        header_segment, payload_segment, signature_segment = jwt.split(".")
        header = json.loads(_b64d(header_segment))
        payload = json.loads(_b64d(payload_segment))
        signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
        _es256_verify(self.issuer_public, signing_input, _b64d(signature_segment))
        disclosures = {_digest(d): json.loads(_b64d(d)) for d in encoded}
        jwk = payload["cnf"]["jwk"]
        point = b"\x04" + _b64d(jwk["x"]) + _b64d(jwk["y"])
        holder = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        kb_header_segment, kb_payload_segment, kb_signature_segment = kb_jwt.split(".")
        kb_header = json.loads(_b64d(kb_header_segment))
        kb_payload = json.loads(_b64d(kb_payload_segment))
        kb_input = f"{kb_header_segment}.{kb_payload_segment}".encode("ascii")
        _es256_verify(holder, kb_input, _b64d(kb_signature_segment))
        if kb_payload["sd_hash"] != _digest(presentation[: len(presentation) - len(kb_jwt)]):
            raise ValueError("sd_hash")
        return [header, payload], disclosures, [kb_header, kb_payload]
