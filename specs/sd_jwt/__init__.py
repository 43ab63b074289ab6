"""SD-JWT, all of RFC 9901: issuance, presentation, verification, both serializations.

Typical use::

    issued = issue_sd_jwt({"given_name": Disclosable("Jan")}, issuer_key=key,
                          typ="example+sd-jwt", random_bytes=os.urandom)
    view = open_sd_jwt(issued.token)
    presentation = present_sd_jwt(view, disclose=[("given_name",)], holder_key=holder,
                                  nonce=nonce, audience=verifier, now=now)
    verified = verify_sd_jwt(presentation, issuer_keys=StaticKeyResolver(key.public),
                             typ="example+sd-jwt", now=now,
                             key_binding=KeyBindingRequired(nonce=nonce, audience=verifier))
"""

from specs.sd_jwt.claim_path import ClaimPath, claim_path, parse_claim_path, select_values
from specs.sd_jwt.disclosure import (
    DEFAULT_HASH_ALG,
    HASH_ALGORITHMS,
    Disclosure,
    build_disclosure,
    digest_of,
    parse_disclosure,
)
from specs.sd_jwt.issuance import (
    NO_DECOYS,
    DecoyPolicy,
    Disclosable,
    IssuedSdJwt,
    issue_sd_jwt,
    mark_all_disclosable,
)
from specs.sd_jwt.key_binding import (
    KB_JWT_TYP,
    KeyBindingPolicy,
    KeyBindingRequired,
    NoKeyBinding,
    VerifiedKeyBinding,
    build_kb_jwt,
    holder_key_from_cnf,
    sd_hash_of,
    verify_kb_jwt,
)
from specs.sd_jwt.limits import DEFAULT_LIMITS, SdJwtLimits
from specs.sd_jwt.presentation import HolderView, open_sd_jwt, present_sd_jwt, select_disclosures
from specs.sd_jwt.processing import ProcessedPayload, process_payload
from specs.sd_jwt.serialization import SdJwtParts, split_compact, split_json
from specs.sd_jwt.verification import (
    DEFAULT_ALGORITHMS,
    VerifiedSdJwt,
    hash_alg_of,
    verify_parts,
    verify_sd_jwt,
    verify_sd_jwt_json,
)

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_HASH_ALG",
    "DEFAULT_LIMITS",
    "HASH_ALGORITHMS",
    "KB_JWT_TYP",
    "NO_DECOYS",
    "ClaimPath",
    "DecoyPolicy",
    "Disclosable",
    "Disclosure",
    "HolderView",
    "IssuedSdJwt",
    "KeyBindingPolicy",
    "KeyBindingRequired",
    "NoKeyBinding",
    "ProcessedPayload",
    "SdJwtLimits",
    "SdJwtParts",
    "VerifiedKeyBinding",
    "VerifiedSdJwt",
    "build_disclosure",
    "build_kb_jwt",
    "claim_path",
    "digest_of",
    "hash_alg_of",
    "holder_key_from_cnf",
    "issue_sd_jwt",
    "mark_all_disclosable",
    "open_sd_jwt",
    "parse_claim_path",
    "parse_disclosure",
    "present_sd_jwt",
    "process_payload",
    "sd_hash_of",
    "select_disclosures",
    "select_values",
    "split_compact",
    "split_json",
    "verify_kb_jwt",
    "verify_parts",
    "verify_sd_jwt",
    "verify_sd_jwt_json",
]
