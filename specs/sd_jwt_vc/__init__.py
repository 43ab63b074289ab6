"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): credential rules, issuer keys, type metadata.

::

    credential.py       §2.2 registered claims, typ, never-disclosable claims; issue/verify
    issuer_metadata.py  §4   JWT VC Issuer Metadata and a resolver over fetched documents
    x5c.py              §2.5 issuer keys from x5c chains validated against configured roots
    x5c_anchored.py          x5c chains whose root the trust registry lists (HAIP §6.1.1)
    did.py              issuer keys from did:jwk and (fetched) did:web documents
    type_metadata.py    §5   Type Metadata: parsing, extends (cycles, depth), merging
    type_display.py     §5.5 display metadata (data to escape, never to evaluate)
    metadata_fields.py       field readers shared by the two above
    integrity.py        §6   Subresource Integrity of referenced documents

Fetching happens at the edges; every resolver here receives documents already fetched.
"""

from specs.sd_jwt_vc.credential import (
    LEGACY_VC_TYP,
    NEVER_DISCLOSABLE,
    PLAIN_BY_DEFAULT,
    VC_TYP,
    VerifiedSdJwtVc,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from specs.sd_jwt_vc.did import (
    DidDocument,
    DidResolver,
    did_jwk_document,
    did_web_document_url,
    parse_did_document,
)
from specs.sd_jwt_vc.integrity import check_integrity
from specs.sd_jwt_vc.issuer_metadata import (
    IssuerMetadata,
    JwtVcIssuerMetadataResolver,
    jwt_vc_issuer_metadata_url,
    parse_jwks,
    parse_jwt_vc_issuer_metadata,
)
from specs.sd_jwt_vc.type_metadata import (
    ResolvedTypeMetadata,
    TypeMetadata,
    parse_type_metadata,
    resolve_type_metadata,
)
from specs.sd_jwt_vc.x5c import X5cResolver
from specs.sd_jwt_vc.x5c_anchored import (
    AnchoredChain,
    AnchoredX5cResolver,
    verify_anchored_chain,
    x5c_key_refs,
)

__all__ = [
    "LEGACY_VC_TYP",
    "NEVER_DISCLOSABLE",
    "PLAIN_BY_DEFAULT",
    "VC_TYP",
    "AnchoredChain",
    "AnchoredX5cResolver",
    "DidDocument",
    "DidResolver",
    "IssuerMetadata",
    "JwtVcIssuerMetadataResolver",
    "ResolvedTypeMetadata",
    "TypeMetadata",
    "VerifiedSdJwtVc",
    "X5cResolver",
    "check_integrity",
    "did_jwk_document",
    "did_web_document_url",
    "issue_sd_jwt_vc",
    "jwt_vc_issuer_metadata_url",
    "parse_did_document",
    "parse_jwks",
    "parse_jwt_vc_issuer_metadata",
    "parse_type_metadata",
    "resolve_type_metadata",
    "verify_anchored_chain",
    "verify_sd_jwt_vc",
    "x5c_key_refs",
]
