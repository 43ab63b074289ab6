"""DCQL tests. The helpers here make real SD-JWT VCs, so matching is tested on what a
verifier really ends with: issue (every claim disclosable unless kept plain), present the
chosen paths, verify, and describe the result as a ``PresentedCredential``."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import Any

from specs.jose import StaticKeyResolver, generate_private_key
from specs.oid4vp.dcql_match import HeldForQuery, PresentedCredential, disclosed_paths
from specs.sd_jwt import (
    ClaimPath,
    HolderView,
    NoKeyBinding,
    issue_sd_jwt,
    mark_all_disclosable,
    open_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt,
)

NOW = 1_790_000_000
ISSUER = generate_private_key()
TYP = "dc+sd-jwt"
_RANDOM = random.Random(20261129)


def issue(vct: str, claims: dict[str, Any], *, plain: Collection[str] = ()) -> HolderView:
    """An SD-JWT VC of type ``vct`` as its holder keeps it; ``plain`` claims stay plain."""
    marked = mark_all_disclosable(claims, keep_plain=frozenset(plain))
    issued = issue_sd_jwt(
        {"vct": vct, **marked}, issuer_key=ISSUER, typ=TYP, random_bytes=_RANDOM.randbytes
    )
    return open_sd_jwt(issued.token)


def held(ref: str, view: HolderView) -> HeldForQuery:
    """What the wallet's matcher sees of a stored credential."""
    claims = view.processed.claims
    return HeldForQuery(ref=ref, format=TYP, vct=claims["vct"], claims=claims)


def present(view: HolderView, paths: Sequence[ClaimPath], query_id: str) -> PresentedCredential:
    """Disclose ``paths``, verify as a verifier would, and describe what it ended with."""
    token = present_sd_jwt(
        view, disclose=list(paths), holder_key=None, nonce=None, audience=None, now=NOW
    )
    verified = verify_sd_jwt(
        token,
        issuer_keys=StaticKeyResolver(ISSUER.public),
        typ=TYP,
        key_binding=NoKeyBinding(),
        now=NOW,
    )
    return PresentedCredential(
        query_id=query_id,
        format=TYP,
        vct=verified.claims["vct"],
        claims=verified.claims,
        disclosed_paths=disclosed_paths(verified),
    )
