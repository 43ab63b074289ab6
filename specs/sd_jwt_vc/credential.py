"""SD-JWT VC: the credential format on top of SD-JWT (draft-ietf-oauth-sd-jwt-vc §2.2).

What this layer adds to RFC 9901:

* ``typ`` is ``dc+sd-jwt`` (§2.2.1); the pre-2025 ``vc+sd-jwt`` only when the caller
  explicitly accepts it (old wallets, THREATS S-07);
* ``vct`` is required and a string (§2.2.2);
* ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct``, ``vct#integrity``, ``status`` (and the
  earlier drafts' ``aka_vcts``) must never be selectively disclosed (§2.2.2): an issuer
  that hides ``exp`` or ``status`` in a Disclosure would let a holder drop them;
* ``cnf`` carries the holder key as ``jwk`` (§3.2.2.2, RFC 7800); no remote references;
* ``status`` follows the Token Status List reference shape when it uses ``status_list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Rejected, SdJwtVcReason
from specs.jose import JwsAlg, JwsSigner, KeyResolver, PublicJwk
from specs.sd_jwt import (
    DEFAULT_ALGORITHMS,
    DEFAULT_LIMITS,
    NO_DECOYS,
    DecoyPolicy,
    Disclosable,
    IssuedSdJwt,
    KeyBindingPolicy,
    SdJwtLimits,
    VerifiedSdJwt,
    issue_sd_jwt,
    verify_sd_jwt,
)
from specs.sd_jwt.issuance import RandomBytes
from specs.sd_jwt.key_binding import DEFAULT_LEEWAY
from specs.status_list.reference import StatusReference, parse_status_reference

VC_TYP = "dc+sd-jwt"
LEGACY_VC_TYP = "vc+sd-jwt"
NEVER_DISCLOSABLE = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
#: What the command line and the issuer keep in the signed payload by default.
PLAIN_BY_DEFAULT = NEVER_DISCLOSABLE | {"iat"}
_OPTIONAL_STRINGS = ("iss", "sub", "vct#integrity")


@dataclass(frozen=True, slots=True)
class VerifiedSdJwtVc:
    """A verified SD-JWT VC, with its registered claims read out."""

    vct: str
    issuer: str | None
    claims: dict[str, Any]
    status: StatusReference | None
    sd_jwt: VerifiedSdJwt

    @property
    def holder_key(self) -> PublicJwk | None:
        kb = self.sd_jwt.key_binding
        return kb.holder_key if kb else None


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    *,
    vct: str,
    issuer_key: JwsSigner,
    random_bytes: RandomBytes,
    holder_key: PublicJwk | None = None,
    decoys: DecoyPolicy = NO_DECOYS,
    extra_header: Mapping[str, Any] | None = None,
    allow_http: bool = False,
) -> IssuedSdJwt:
    """Issue an SD-JWT VC; ``claims`` may mark values ``Disclosable``, except registered ones."""
    for name in NEVER_DISCLOSABLE & claims.keys():
        if _has_disclosable_mark(claims[name]):
            raise Rejected(SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED)
    payload: dict[str, Any] = {**claims, "vct": vct}
    if holder_key is not None:
        payload["cnf"] = {"jwk": holder_key.to_jwk()}
    _check_registered_claims(payload, allow_http=allow_http)
    return issue_sd_jwt(
        payload,
        issuer_key=issuer_key,
        typ=VC_TYP,
        random_bytes=random_bytes,
        decoys=decoys,
        extra_header=extra_header,
    )


def verify_sd_jwt_vc(
    token: str,
    *,
    issuer_keys: KeyResolver,
    key_binding: KeyBindingPolicy,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
    accept_legacy_typ: bool = False,
    algorithms: frozenset[JwsAlg] = DEFAULT_ALGORITHMS,
    limits: SdJwtLimits = DEFAULT_LIMITS,
    allow_http: bool = False,
) -> VerifiedSdJwtVc:
    """Verify per RFC 9901 §7 and SD-JWT VC §3; raises ``Rejected`` with the broken rule.

    ``allow_http`` accepts an ``http`` status list URI: the development profile only
    (DESIGN §4), never a production default.
    """
    typ = (VC_TYP, LEGACY_VC_TYP) if accept_legacy_typ else VC_TYP
    verified = verify_sd_jwt(
        token,
        issuer_keys=issuer_keys,
        typ=typ,
        key_binding=key_binding,
        now=now,
        leeway=leeway,
        algorithms=algorithms,
        limits=limits,
    )
    # Neither the claim itself nor anything inside it may be selectively disclosable: a
    # holder who drops a nested Disclosure of ``status`` would otherwise drop the status.
    processed = verified.processed
    if NEVER_DISCLOSABLE & processed.digest_roots:
        raise Rejected(SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED)
    for path in processed.revealed_paths.values():
        if len(path) == 1 and path[0] in NEVER_DISCLOSABLE:
            raise Rejected(SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED)
    claims = verified.claims
    status = _check_registered_claims(claims, allow_http=allow_http)
    return VerifiedSdJwtVc(claims["vct"], claims.get("iss"), claims, status, verified)


def _check_registered_claims(
    claims: Mapping[str, Any], *, allow_http: bool = False
) -> StatusReference | None:
    if not isinstance(claims.get("vct"), str) or not claims["vct"]:
        raise Rejected(SdJwtVcReason.VCT_MISSING)
    for name in _OPTIONAL_STRINGS:
        if name in claims and not isinstance(claims[name], str):
            raise Rejected(SdJwtVcReason.BAD_REGISTERED_CLAIM)
    aka = claims.get("aka_vcts")
    if aka is not None and not (isinstance(aka, list) and all(isinstance(a, str) for a in aka)):
        raise Rejected(SdJwtVcReason.BAD_REGISTERED_CLAIM)
    if "status" not in claims:
        return None
    status = claims["status"]
    if not isinstance(status, Mapping) or not status:
        raise Rejected(SdJwtVcReason.BAD_STATUS_CLAIM)
    if "status_list" not in status:
        return None  # another status mechanism: not ours to judge (§2.2.2)
    try:
        return parse_status_reference(status, allow_http=allow_http)
    except Rejected:
        raise Rejected(SdJwtVcReason.BAD_STATUS_CLAIM) from None


def _has_disclosable_mark(value: Any) -> bool:
    """True when a claim value to be issued contains a ``Disclosable`` mark anywhere."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Disclosable):
            return True
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False
