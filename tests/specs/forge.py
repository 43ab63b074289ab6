"""Build deliberately broken tokens with valid signatures, so each test reaches the rule it names.

Everything here signs raw text: duplicate members, odd spellings and wrong shapes must be
signed exactly as written, which the production signer would never produce.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from jwt.algorithms import ECAlgorithm

from specs.jose import PrivateJwk, b64url_encode
from specs.sd_jwt import sd_hash_of

_ES256 = ECAlgorithm(ECAlgorithm.SHA256)


def b64(text: str | bytes) -> str:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return b64url_encode(raw)


def sign_raw(header: str | dict[str, Any], payload: str | dict[str, Any], key: PrivateJwk) -> str:
    """Sign header and payload given as raw JSON text (or dicts) with ES256."""
    header_text = header if isinstance(header, str) else json.dumps(header)
    payload_text = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = f"{b64(header_text)}.{b64(payload_text)}"
    signature = _ES256.sign(signing_input.encode("ascii"), key.key)  # type: ignore[arg-type]
    return f"{signing_input}.{b64url_encode(signature)}"


def disclosure(*elements: Any) -> str:
    return b64(json.dumps(list(elements)))


def digest(encoded: str) -> str:
    import hashlib

    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def sd_jwt(
    payload: dict[str, Any] | str,
    disclosures: Sequence[str],
    key: PrivateJwk,
    *,
    typ: str = "example+sd-jwt",
    header: dict[str, Any] | None = None,
) -> str:
    """``<JWT>~<D1>~...~`` with the payload signed as given (no KB-JWT)."""
    jwt = sign_raw(header or {"alg": "ES256", "typ": typ}, payload, key)
    return "~".join([jwt, *disclosures]) + "~"


def with_kb(
    sd_jwt_text: str,
    holder: PrivateJwk,
    *,
    nonce: str,
    audience: str,
    now: int,
    overrides: dict[str, Any] | None = None,
) -> str:
    """Append a KB-JWT; ``overrides`` replaces claims (any value, any type) before signing."""
    claims: dict[str, Any] = {
        "iat": now,
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash_of(sd_jwt_text, "sha-256"),
    }
    claims.update(overrides or {})
    return sd_jwt_text + sign_raw({"alg": "ES256", "typ": "kb+jwt"}, claims, holder)


def std_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
