"""Wallet attestations as OAuth client authentication (OpenID4VCI 1.0 Appendix E; HAIP §4.4.1).

A wallet authenticates at the token endpoint (and the PAR endpoint, HAIP §4.3) with two JWTs
in two HTTP headers, as draft-ietf-oauth-attestation-based-client-auth-07 defines them (the
draft OpenID4VCI 1.0 cites):

* ``OAuth-Client-Attestation``: the wallet attestation, signed by the wallet provider
  (§5.1): ``typ`` ``oauth-client-attestation+jwt``; ``iss`` the provider, ``sub`` the
  ``client_id``, ``exp``, and ``cnf.jwk`` the wallet instance's public key; ``iat`` and
  ``nbf`` optional; ``wallet_name``, ``wallet_link`` and ``status`` as Appendix E adds them;
* ``OAuth-Client-Attestation-PoP``: signed by that instance key (§5.2): ``typ``
  ``oauth-client-attestation-pop+jwt``; ``iss`` the ``client_id``, ``aud`` the
  authorization server's issuer identifier, ``jti``, ``iat``, and ``challenge`` when the
  server gave one.

The checks of §7 beyond the provider's envelope (``provider_jwt``), each its own reason:

* ``iss``, ``sub``, ``exp``, ``cnf`` present (``CLAIM_MISSING``) and well formed
  (``MALFORMED_CLAIM``); ``cnf`` is ``{"jwk": <public P-256 key>}`` (``CNF_INVALID``), never
  a private key (``CNF_PRIVATE_KEY``);
* fresh enough for the server (§7 step 11): ``iat`` not older than ``max_attestation_age``;
  without ``iat``, an ``exp`` further away than that cannot prove freshness (``NOT_FRESH``);
* the request's ``client_id``, when it sent one, is ``sub`` (``CLIENT_ID_MISMATCH``);
* the PoP: its ``typ`` (``POP_TYP``), ES256, signed by the ``cnf`` key (``POP_BAD_SIGNATURE``),
  ``iss`` equal to ``sub`` (``POP_ISSUER_MISMATCH``), ``aud`` the server (``POP_AUDIENCE``),
  a ``jti`` (``POP_JTI_INVALID``), ``iat`` neither in the future nor older than
  ``max_pop_age`` (``POP_STALE``), and the server's challenge when it gave one
  (``CHALLENGE_MISSING``, ``CHALLENGE_MISMATCH``).

Replay of a PoP is the caller's to stop: the verified ``pop_jti`` goes into its store until
``pop_issued_at + max_pop_age`` has passed (§10.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.attestation.provider_jwt import (
    ALGORITHM,
    WalletProviderRoots,
    check_envelope,
    check_times,
    optional_object,
    optional_string,
    parse_bounded,
    required_string,
    required_time,
    time_claim,
    verify_provider_signed,
    verify_with,
)
from specs.errors import AttestationReason, JoseReason, Rejected
from specs.jose import JwsSigner, PublicJwk, constant_time_equals, parse_public_jwk
from specs.jose import sign_compact_jws as sign

CLIENT_ATTESTATION_TYP = "oauth-client-attestation+jwt"
CLIENT_ATTESTATION_POP_TYP = "oauth-client-attestation-pop+jwt"
ATTESTATION_HEADER = "OAuth-Client-Attestation"
POP_HEADER = "OAuth-Client-Attestation-PoP"
MAX_POP_BYTES = 8 * 1024
MAX_JTI_LENGTH = 256


@dataclass(frozen=True, slots=True)
class VerifiedClientAttestation:
    """A wallet attestation and its PoP that passed every check: the client is authenticated."""

    client_id: str
    attester: str
    instance_key: PublicJwk
    expires_at: int
    pop_jti: str
    """For the caller's replay store, until ``pop_issued_at`` is older than its window."""
    pop_issued_at: int
    wallet_name: str | None
    status: Mapping[str, Any] | None
    """A status reference (Token Status List) for the caller to check, when the provider
    gave one (Appendix E)."""


def build_client_attestation(
    *,
    provider_key: JwsSigner,
    x5c: Sequence[str],
    attester: str,
    client_id: str,
    instance_key: PublicJwk,
    now: int,
    lifetime: int,
    wallet_name: str | None = None,
) -> str:
    """A wallet attestation (Appendix E) for ``instance_key``, valid ``lifetime`` seconds.

    ``x5c`` is the provider's certificate first, then intermediates (HAIP §4.4.1), as
    standard base64 DER (RFC 7515 §4.1.6).
    """
    if lifetime < 1:
        raise ValueError("an attestation needs a positive lifetime")
    claims: dict[str, Any] = {
        "iss": attester,
        "sub": client_id,
        "iat": now,
        "exp": now + lifetime,
        "cnf": {"jwk": instance_key.to_jwk()},
    }
    if wallet_name is not None:
        claims["wallet_name"] = wallet_name
    header = {"x5c": list(x5c)}
    return sign(claims, key=provider_key, typ=CLIENT_ATTESTATION_TYP, extra_header=header)


def build_client_attestation_pop(
    *,
    instance_key: JwsSigner,
    client_id: str,
    audience: str,
    jti: str,
    now: int,
    challenge: str | None,
) -> str:
    """The PoP (draft §5.2) for one request to ``audience``; ``jti`` comes from the caller's
    randomness, ``challenge`` is the server's when it gave one."""
    claims: dict[str, Any] = {"iss": client_id, "aud": audience, "jti": jti, "iat": now}
    if challenge is not None:
        claims["challenge"] = challenge
    return sign(claims, key=instance_key, typ=CLIENT_ATTESTATION_POP_TYP)


def verify_client_attestation(
    attestation: object,
    pop: object,
    *,
    roots: WalletProviderRoots,
    client_id: str | None,
    audience: str,
    challenge: str | None,
    now: int,
    leeway: int,
    max_attestation_age: int,
    max_pop_age: int,
) -> VerifiedClientAttestation:
    """Authenticate a client by its wallet attestation and PoP (the module's rules).

    ``client_id`` is the one the request carried (``None``: it carried none), ``audience``
    this server's issuer identifier, ``challenge`` the one this server gave (``None``: it gave
    none). All are required keywords: no check is skipped by leaving one out.
    """
    signed = verify_provider_signed(
        attestation,
        typ=CLIENT_ATTESTATION_TYP,
        typ_reason=AttestationReason.CLIENT_ATTESTATION_TYP,
        roots=roots,
        now=now,
        leeway=leeway,
    )
    claims = signed.claims
    attester = required_string(claims, "iss")
    subject = required_string(claims, "sub")
    expires_at = required_time(claims, "exp")
    instance_key = _confirmation_key(claims)
    _check_fresh(claims, expires_at=expires_at, now=now, max_age=max_attestation_age + leeway)
    if client_id is not None and client_id != subject:
        raise Rejected(AttestationReason.CLIENT_ID_MISMATCH)
    jti, issued_at = _verify_pop(
        pop,
        key=instance_key,
        client_id=subject,
        audience=audience,
        challenge=challenge,
        now=now,
        leeway=leeway,
        max_age=max_pop_age,
    )
    return VerifiedClientAttestation(
        client_id=subject,
        attester=attester,
        instance_key=instance_key,
        expires_at=expires_at,
        pop_jti=jti,
        pop_issued_at=issued_at,
        wallet_name=optional_string(claims, "wallet_name"),
        status=optional_object(claims, "status"),
    )


def _confirmation_key(claims: Mapping[str, Any]) -> PublicJwk:
    """``cnf.jwk`` (RFC 7800 §3.2), a public ES256 key: the PoP must be signed with it."""
    if "cnf" not in claims:
        raise Rejected(AttestationReason.CLAIM_MISSING)
    cnf = claims["cnf"]
    if not isinstance(cnf, Mapping) or "jwk" not in cnf:
        raise Rejected(AttestationReason.CNF_INVALID)
    try:
        key = parse_public_jwk(cnf["jwk"])
    except Rejected as refused:
        if refused.reason is JoseReason.PRIVATE_KEY_MATERIAL:
            raise Rejected(AttestationReason.CNF_PRIVATE_KEY) from None
        raise Rejected(AttestationReason.CNF_INVALID) from None
    if key.alg is not ALGORITHM:
        raise Rejected(AttestationReason.CNF_INVALID)
    return key


def _check_fresh(claims: Mapping[str, Any], *, expires_at: int, now: int, max_age: int) -> None:
    """Draft §7 step 11: the server decides how old an attestation may be, by ``iat`` or
    ``exp``; one without ``iat`` that stays valid longer than that cannot show its age."""
    issued_at = time_claim(claims, "iat")
    if issued_at is not None:
        if now - issued_at > max_age:
            raise Rejected(AttestationReason.NOT_FRESH)
    elif expires_at - now > max_age:
        raise Rejected(AttestationReason.NOT_FRESH)


def _verify_pop(
    token: object,
    *,
    key: PublicJwk,
    client_id: str,
    audience: str,
    challenge: str | None,
    now: int,
    leeway: int,
    max_age: int,
) -> tuple[str, int]:
    jws = parse_bounded(token, max_bytes=MAX_POP_BYTES)
    check_envelope(jws.header, typ=CLIENT_ATTESTATION_POP_TYP, typ_reason=AttestationReason.POP_TYP)
    verify_with(jws, key=key, reason=AttestationReason.POP_BAD_SIGNATURE)
    claims = jws.payload
    if required_string(claims, "iss") != client_id:
        raise Rejected(AttestationReason.POP_ISSUER_MISMATCH)
    if not _names_only(claims.get("aud"), audience):
        raise Rejected(AttestationReason.POP_AUDIENCE)
    jti = claims.get("jti")
    if type(jti) is not str or not jti or len(jti) > MAX_JTI_LENGTH:
        raise Rejected(AttestationReason.POP_JTI_INVALID)
    issued_at = required_time(claims, "iat")
    check_times(claims, now=now, leeway=leeway)
    if now - issued_at > max_age + leeway:
        raise Rejected(AttestationReason.POP_STALE)
    _check_challenge(claims, challenge)
    return jti, issued_at


def _names_only(aud: object, audience: str) -> bool:
    """``aud`` is this server alone: the string, or an array holding only it (draft §5.2:
    one audience per PoP)."""
    if isinstance(aud, list):
        return len(aud) == 1 and aud[0] == audience
    return aud == audience


def _check_challenge(claims: Mapping[str, Any], challenge: str | None) -> None:
    """Draft §7 step 8: the server's challenge, when it gave one, is in the PoP."""
    given = optional_string(claims, "challenge")
    if challenge is None:
        return
    if given is None:
        raise Rejected(AttestationReason.CHALLENGE_MISSING)
    if not constant_time_equals(given, challenge):
        raise Rejected(AttestationReason.CHALLENGE_MISMATCH)
