"""Key proofs of the ``jwt`` proof type (OpenID4VCI 1.0 Appendix F.1, F.4; §8.2).

A key proof shows that the wallet holds the private key the credential will be bound to. The
checks of Appendix F.4, in the order we apply them:

* ``typ`` is exactly ``openid4vci-proof+jwt`` (F.1; RFC 8725 §3.11): ``PROOF_TYP``;
* ``alg`` is on the caller's allowlist, which never holds ``none`` or a MAC: ``PROOF_ALG``;
* the header names the key by exactly one of ``kid``, ``jwk``, ``x5c`` (F.1): none or several is
  ``PROOF_KEY_REFERENCE``. We bind credentials to a ``jwk`` only, so ``kid`` (DID URLs) and
  ``x5c`` are ``PROOF_KEY_UNSUPPORTED``;
* the ``jwk`` holds no private key (F.4): ``PROOF_PRIVATE_KEY``; other bad keys ``bad-jwk``;
* the signature verifies with that ``jwk`` (``bad-signature``);
* ``aud`` is the Credential Issuer Identifier. F.1 defines ``aud`` as a *string*, so an array
  is refused even when it contains the identifier: ``PROOF_AUDIENCE``;
* ``iat`` is present (``PROOF_IAT_MISSING``), a NumericDate (``bad-time-claim``), not later
  than ``now + leeway`` (``PROOF_FROM_FUTURE``, §13.8 allows a small skew) and not older than
  ``max_age + leeway`` (``PROOF_STALE``); ``exp``/``nbf``, when present, hold as well;
* ``nonce`` is a string when present and present when the caller requires it (the issuer has a
  Nonce Endpoint): ``PROOF_NONCE_MISSING``. Whether the nonce is one we issued and still valid
  is the caller's check, against its nonce store;
* ``iss``, when present, is a string (the ``client_id``);
* with a ``KeyAttestationPolicy`` (HAIP §4.5.1), the ``key_attestation`` header (F.1,
  Appendix D.1) is verified: required when the policy says so (``KEY_ATTESTATION_MISSING``),
  with ``exp``, and with the proof's ``nonce`` when a nonce is required
  (``KEY_ATTESTATION_NONCE_MISMATCH``: one ``c_nonce`` check covers both); the proof's
  ``jwk`` must be one of the ``attested_keys`` (``KEY_NOT_ATTESTED``). Without a policy the
  header is not read and the proof counts as unattested (``key_attestation`` is ``None``).

``verify_attestation_proof`` reads the ``attestation`` proof type (F.3): the key attestation
alone, whose ``nonce`` is the ``c_nonce``, stands for one proof per attested key.
``check_proof_batch`` adds the batch rules: one ``c_nonce`` for all proofs, distinct keys.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.attestation.key_attestation import (
    KeyAttestationPolicy,
    VerifiedKeyAttestation,
    verify_key_attestation,
)
from specs.errors import AttestationReason, JoseReason, Oid4vciReason, Rejected
from specs.jose import (
    JwsAlg,
    JwsSigner,
    PublicJwk,
    check_header,
    check_time_claims,
    numeric_date,
    parse_compact_jws,
    parse_public_jwk,
    sign_compact_jws,
    verify_signature,
)
from specs.oid4vci.fields import MAX_IDENTIFIER_LENGTH

PROOF_JWT_TYP = "openid4vci-proof+jwt"
MAX_PROOF_BYTES = 16 * 1024
"""A proof is a header with one public key and four short claims; 16 KiB is generous. A
``key_attestation`` in the header (F.1) must fit too: with a two-certificate chain it leaves
room for a batch of about twenty attested keys; larger batches use the ``attestation`` type."""
_KEY_REFERENCES = ("kid", "jwk", "x5c")
_KNOWN_ALGS = frozenset(alg.value for alg in JwsAlg)


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """A key proof whose signature and claims passed; ``holder_key`` gets the credential."""

    holder_key: PublicJwk
    nonce: str | None
    issued_at: int
    client_id: str | None
    key_attestation: VerifiedKeyAttestation | None = None
    """The key attestation that vouches for ``holder_key``; ``None``: not attested."""


def verify_jwt_proof(
    token: str,
    *,
    audience: str,
    now: int,
    max_age: int,
    leeway: int,
    algorithms: Collection[JwsAlg],
    require_nonce: bool,
    key_attestation: KeyAttestationPolicy | None = None,
) -> VerifiedProof:
    """Verify one ``jwt`` key proof (Appendix F.1, F.4); see the module docstring for the rules.

    Every expectation is a required keyword: there is no way to skip the audience, the clock
    or the nonce rule by leaving an argument out (STYLE §3). ``key_attestation`` adds the
    attestation rules; leaving it out never makes a key count as attested.
    """
    if not isinstance(token, str):
        raise Rejected(JoseReason.MALFORMED_JWS)
    jws = parse_compact_jws(token, max_bytes=MAX_PROOF_BYTES)
    header = jws.header
    if type(header.get("typ")) is not str or header["typ"] != PROOF_JWT_TYP:
        raise Rejected(Oid4vciReason.PROOF_TYP)
    alg = header.get("alg")
    if type(alg) is not str or alg not in _KNOWN_ALGS or alg not in algorithms:
        raise Rejected(Oid4vciReason.PROOF_ALG)
    key = _holder_key(header)
    checked_alg = check_header(header, key=key, algorithms=algorithms, typ=PROOF_JWT_TYP)
    verify_signature(jws, key=key, alg=checked_alg)
    claims = jws.payload
    if claims.get("aud") != audience:
        raise Rejected(Oid4vciReason.PROOF_AUDIENCE)
    issued_at = _issued_at(claims, now=now, max_age=max_age, leeway=leeway)
    nonce = _optional_claim(claims, "nonce")
    if require_nonce and nonce is None:
        raise Rejected(Oid4vciReason.PROOF_NONCE_MISSING)
    attestation = None
    if key_attestation is not None:
        attestation = _attested(
            header, policy=key_attestation, key=key, nonce=nonce, require=require_nonce, now=now
        )
    return VerifiedProof(
        holder_key=key,
        nonce=nonce,
        issued_at=issued_at,
        client_id=_optional_claim(claims, "iss"),
        key_attestation=attestation,
    )


def _attested(
    header: Mapping[str, Any],
    *,
    policy: KeyAttestationPolicy,
    key: PublicJwk,
    nonce: str | None,
    require: bool,
    now: int,
) -> VerifiedKeyAttestation | None:
    """F.1 ``key_attestation``: a key attestation (D.1, ``exp`` required) naming ``key``."""
    if "key_attestation" not in header:
        if policy.required:
            raise Rejected(AttestationReason.KEY_ATTESTATION_MISSING)
        return None
    attestation = verify_key_attestation(
        header["key_attestation"],
        policy=policy,
        now=now,
        require_expiry=True,
        require_nonce=require,
    )
    if attestation.nonce is not None and attestation.nonce != nonce:
        raise Rejected(AttestationReason.KEY_ATTESTATION_NONCE_MISMATCH)
    if not attestation.attests(key):
        raise Rejected(AttestationReason.KEY_NOT_ATTESTED)
    return attestation


def verify_attestation_proof(
    token: str,
    *,
    policy: KeyAttestationPolicy,
    now: int,
    require_nonce: bool,
    max_keys: int,
) -> tuple[VerifiedProof, ...]:
    """The ``attestation`` proof type (F.3): one key attestation, one proof per attested key.

    Its ``nonce`` is the ``c_nonce`` when the issuer has a Nonce Endpoint (``require_nonce``);
    more attested keys than the batch allows (``max_keys``) is ``TOO_MANY_PROOFS``, as for
    ``jwt`` proofs. The results go through ``check_proof_batch`` like ``jwt`` proofs do.
    """
    attestation = verify_key_attestation(
        token, policy=policy, now=now, require_expiry=False, require_nonce=require_nonce
    )
    if len(attestation.attested_keys) > max_keys:
        raise Rejected(Oid4vciReason.TOO_MANY_PROOFS)
    return tuple(
        VerifiedProof(
            holder_key=key,
            nonce=attestation.nonce,
            issued_at=attestation.issued_at,
            client_id=None,
            key_attestation=attestation,
        )
        for key in attestation.attested_keys
    )


def _holder_key(header: Mapping[str, Any]) -> PublicJwk:
    """The key named by the header: exactly one of kid/jwk/x5c, and that one a public ``jwk``."""
    present = [name for name in _KEY_REFERENCES if name in header]
    if len(present) != 1:
        raise Rejected(Oid4vciReason.PROOF_KEY_REFERENCE)
    if present[0] != "jwk":
        raise Rejected(Oid4vciReason.PROOF_KEY_UNSUPPORTED)
    try:
        return parse_public_jwk(header["jwk"])
    except Rejected as exc:
        if exc.reason is JoseReason.PRIVATE_KEY_MATERIAL:
            raise Rejected(Oid4vciReason.PROOF_PRIVATE_KEY) from None
        raise


def _issued_at(claims: Mapping[str, Any], *, now: int, max_age: int, leeway: int) -> int:
    """F.1 ``iat`` (REQUIRED, a number) inside the window; ``exp``/``nbf`` when present."""
    iat = numeric_date(claims, "iat")
    if iat is None:
        raise Rejected(Oid4vciReason.PROOF_IAT_MISSING)
    if iat > now + leeway:
        raise Rejected(Oid4vciReason.PROOF_FROM_FUTURE)
    if now - iat > max_age + leeway:
        raise Rejected(Oid4vciReason.PROOF_STALE)
    check_time_claims(claims, now=now, leeway=leeway)
    return math.floor(iat)


def _optional_claim(claims: Mapping[str, Any], name: str) -> str | None:
    """``nonce`` and ``iss`` are strings when present (F.1)."""
    if name not in claims:
        return None
    value = claims[name]
    if type(value) is not str or not value or len(value) > MAX_IDENTIFIER_LENGTH:
        raise Rejected(Oid4vciReason.MALFORMED_PROOF)
    return value


def build_jwt_proof(
    *,
    holder_key: JwsSigner,
    audience: str,
    nonce: str | None,
    now: int,
    client_id: str | None = None,
    key_attestation: str | None = None,
) -> str:
    """A ``jwt`` key proof (F.1) for ``audience``, the Credential Issuer Identifier.

    The public key travels in the ``jwk`` header; ``iss`` is left out unless a ``client_id``
    is given (F.1: it MUST be omitted after anonymous pre-authorized access). A
    ``key_attestation`` (Appendix D.1) that names the key rides in the header (HAIP §4.5.1).
    """
    payload: dict[str, Any] = {"aud": audience, "iat": now}
    if nonce is not None:
        payload["nonce"] = nonce
    if client_id is not None:
        payload["iss"] = client_id
    header: dict[str, Any] = {"jwk": holder_key.public.to_jwk()}
    if key_attestation is not None:
        header["key_attestation"] = key_attestation
    return sign_compact_jws(payload, key=holder_key, typ=PROOF_JWT_TYP, extra_header=header)


def check_proof_batch(proofs: Sequence[VerifiedProof]) -> str | None:
    """The batch rules over verified proofs; returns the one ``c_nonce`` they share.

    All proofs of one request answer the same ``c_nonce`` (``PROOF_NONCES_DIFFER``), and each
    proof brings its own key (RFC 7638 thumbprints; ``PROOF_KEYS_REPEATED``): §8.3 binds each
    key to at most one credential, and distinct keys keep the batch unlinkable.
    """
    if not proofs:
        raise Rejected(Oid4vciReason.PROOF_MISSING)
    nonces = {proof.nonce for proof in proofs}
    if len(nonces) != 1:
        raise Rejected(Oid4vciReason.PROOF_NONCES_DIFFER)
    thumbprints = {proof.holder_key.thumbprint() for proof in proofs}
    if len(thumbprints) != len(proofs):
        raise Rejected(Oid4vciReason.PROOF_KEYS_REPEATED)
    return nonces.pop()
