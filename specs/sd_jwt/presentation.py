"""Presenting an SD-JWT: choose Disclosures by claims path, add a KB-JWT (RFC 9901 §4.3, §7.2).

The holder processes its own credential with every Disclosure, so each Disclosure's claims
path is known. A requested path keeps every Disclosure on the way to it (the parents, which
the verifier needs to reach it, §7.2 last paragraph) and every Disclosure below it (asking
for ``address`` means the whole address). Nothing else is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import Rejected, SdJwtReason
from specs.jose import JwsSigner, parse_compact_jws
from specs.sd_jwt.claim_path import ClaimPath, overlaps, select_values
from specs.sd_jwt.disclosure import Disclosure
from specs.sd_jwt.key_binding import build_kb_jwt
from specs.sd_jwt.limits import DEFAULT_LIMITS, SdJwtLimits
from specs.sd_jwt.processing import ProcessedPayload, process_payload
from specs.sd_jwt.serialization import split_compact
from specs.sd_jwt.verification import hash_alg_of, parse_disclosures


@dataclass(frozen=True, slots=True)
class HolderView:
    """A stored SD-JWT as its holder sees it: everything disclosed, with provenance."""

    issuer_jwt: str
    disclosures: tuple[Disclosure, ...]
    hash_alg: str
    processed: ProcessedPayload


def open_sd_jwt(token: str, *, limits: SdJwtLimits = DEFAULT_LIMITS) -> HolderView:
    """Parse an issued SD-JWT the holder keeps. It must not carry a KB-JWT (§4: issued form).

    The issuer signature is checked when the credential is received, not here.
    """
    parts = split_compact(token, limits=limits)
    if parts.kb_jwt is not None:
        raise Rejected(SdJwtReason.KEY_BINDING_UNEXPECTED)
    jwt = parts.signed_jwts[0][0]
    payload = parse_compact_jws(jwt, max_bytes=limits.max_token_chars).payload
    hash_alg = hash_alg_of(payload)
    disclosures = parse_disclosures(parts.disclosures, hash_alg)
    processed = process_payload(payload, disclosures, limits=limits)
    return HolderView(jwt, tuple(disclosures), hash_alg, processed)


def select_disclosures(view: HolderView, paths: Sequence[ClaimPath]) -> tuple[str, ...]:
    """The Disclosures needed for ``paths``, in their original order."""
    for path in paths:
        if not select_values(view.processed.claims, path):
            raise Rejected(SdJwtReason.CLAIM_PATH_NOT_FOUND)
    revealed = view.processed.revealed_paths
    return tuple(
        disclosure.encoded
        for disclosure in view.disclosures
        if any(overlaps(path, revealed[disclosure.digest]) for path in paths)
    )


def present_sd_jwt(
    view: HolderView,
    *,
    disclose: Sequence[ClaimPath],
    holder_key: JwsSigner | None,
    nonce: str | None,
    audience: str | None,
    now: int,
    kb_claims: Mapping[str, Any] | None = None,
) -> str:
    """Build ``<JWT>~<chosen Disclosures>~<KB-JWT>`` (or without KB-JWT if no key is given).

    ``nonce`` and ``audience`` are required with a holder key: a KB-JWT without them would
    be replayable anywhere. ``kb_claims`` adds claims to the KB-JWT, e.g. OpenID4VP's
    ``transaction_data_hashes`` (OpenID4VP 1.0 §B.3.3).
    """
    chosen = select_disclosures(view, disclose)
    sd_jwt = "~".join([view.issuer_jwt, *chosen]) + "~"
    if holder_key is None:
        return sd_jwt
    if not nonce or not audience:
        raise Rejected(SdJwtReason.KB_CLAIM_MISSING)
    return sd_jwt + build_kb_jwt(
        sd_hash_input=sd_jwt,
        hash_alg=view.hash_alg,
        holder_key=holder_key,
        nonce=nonce,
        audience=audience,
        now=now,
        extra_claims=kb_claims,
    )
