"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): credential rules, issuer keys, type metadata."""

from specs.sd_jwt_vc.credential import (
    LEGACY_VC_TYP,
    NEVER_DISCLOSABLE,
    PLAIN_BY_DEFAULT,
    VC_TYP,
    VerifiedSdJwtVc,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)

__all__ = [
    "LEGACY_VC_TYP",
    "NEVER_DISCLOSABLE",
    "PLAIN_BY_DEFAULT",
    "VC_TYP",
    "VerifiedSdJwtVc",
    "issue_sd_jwt_vc",
    "verify_sd_jwt_vc",
]
