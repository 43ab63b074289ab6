"""Checking what an issuer sent before the wallet keeps any of it (OpenID4VCI 1.0 §8.3).

Every credential of a response passes all of these, or none is kept: §11.1 treats a partial
failure of a batch as the failure of the whole issuance.

* the issuer's signature, with a key from its JWT VC Issuer Metadata (SD-JWT VC §4), fetched
  through the safe fetcher from the Credential Issuer's own well-known URL. The resolver
  knows this one issuer only and picks its key by exact ``iss`` and ``kid`` (§4.3), so a
  credential naming any other ``iss`` finds no key and is refused;
* the SD-JWT VC rules: ``typ`` ``dc+sd-jwt``, registered claims never disclosable, no
  KB-JWT on an issued credential (``verify_sd_jwt_vc``);
* ``vct`` is the one of the configuration we asked for (Appendix A.3.2);
* ``cnf.jwk`` (RFC 7800 §3.2) is the public key of one of our proofs, and no key binds two
  credentials (§8.3: "each key provided by the Wallet is used to bind to, at most, one
  Credential"). More credentials than proofs is refused for the same reason; fewer is
  allowed (§8.3: "unless the Issuer decides to issue fewer").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runtime.fetch_guard import FetchRefused
from runtime.fetcher import SafeFetcher
from runtime.issuer_metadata import fetch_issuer_keys
from specs.errors import Rejected
from specs.jose import JwsSigner, KeyResolver
from specs.sd_jwt import HolderView, NoKeyBinding, holder_key_from_cnf, open_sd_jwt
from specs.sd_jwt_vc import VerifiedSdJwtVc, verify_sd_jwt_vc
from wallet.issuance_errors import IssuanceFailed, IssuanceReason

_R = IssuanceReason


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    """One verified credential instance and the private key it is bound to.

    ``view`` is the holder's view of the SD-JWT (every Disclosure, for presenting later);
    ``verified`` the result of the checks above.
    """

    token: str
    holder_key: JwsSigner
    verified: VerifiedSdJwtVc
    view: HolderView


async def issuer_keys(fetcher: SafeFetcher, issuer: str, *, allow_http: bool) -> KeyResolver:
    """The issuer's signing keys from its JWT VC Issuer Metadata (SD-JWT VC §4.2, §4.3)."""
    try:
        return await fetch_issuer_keys(fetcher, issuer, allow_http=allow_http)
    except FetchRefused as exc:
        raise IssuanceFailed(_R.FETCH_REFUSED, cause=exc.reason.value) from None
    except Rejected as exc:
        raise IssuanceFailed(_R.CREDENTIAL_REFUSED, cause=exc.reason.value) from None


def check_credentials(
    tokens: Sequence[str],
    *,
    holder_keys: Sequence[JwsSigner],
    issuer_keys: KeyResolver,
    vct: str,
    now: int,
    allow_http: bool,
) -> tuple[ReceivedCredential, ...]:
    """Verify the whole batch (module docstring); the result exists only if all passed.

    ``allow_http`` accepts an ``http`` status list URI: the development profile only.
    """
    if len(tokens) > len(holder_keys):
        raise IssuanceFailed(_R.KEY_BINDING_MISMATCH, cause="more-credentials-than-proofs")
    unused = {key.public.thumbprint(): key for key in holder_keys}
    received = []
    for token in tokens:
        try:
            verified = verify_sd_jwt_vc(
                token,
                issuer_keys=issuer_keys,
                key_binding=NoKeyBinding(),
                now=now,
                allow_http=allow_http,
            )
            view = open_sd_jwt(token)
        except Rejected as exc:
            raise IssuanceFailed(_R.CREDENTIAL_REFUSED, cause=exc.reason.value) from None
        if verified.vct != vct:
            raise IssuanceFailed(_R.TYPE_MISMATCH)
        try:
            bound = holder_key_from_cnf(verified.claims)
        except Rejected as exc:
            raise IssuanceFailed(_R.KEY_BINDING_MISMATCH, cause=exc.reason.value) from None
        key = unused.pop(bound.thumbprint(), None)
        if key is None:
            raise IssuanceFailed(_R.KEY_BINDING_MISMATCH, cause="not-a-proof-key")
        received.append(ReceivedCredential(token, key, verified, view))
    return tuple(received)
