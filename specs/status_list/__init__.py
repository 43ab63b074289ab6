"""Token Status List (draft-ietf-oauth-status-list, editor's copy after draft -20).

Pure: data in, data out; no I/O, no clock (``now`` is a parameter), no environment.

::

    encoding.py      §4   Status List: bits, LSB-first byte array, ZLIB, base64url ``lst``;
                          bounded inflation; index rules (§8.3 step 6)
    reference.py     §6   the ``status`` claim of a Referenced Token -> StatusReference
    token.py         §5.1 Status List Token (JWT): build, verify (§8.3), ttl/caching (§13.7);
                          the unverified header, to find an x5c key (HAIP §6.1)
    status_types.py  §7   Status Type values: VALID, INVALID, SUSPENDED, application specific
    herd.py          §13.2 herd privacy: a per-holder ``uri`` or a small list, flagged

A Relying Party, after verifying the Referenced Token itself (§8.3 preamble)::

    reference = parse_status_reference(payload["status"])
    token = fetch(reference.uri)                        # at the edge, not here
    verified = verify_status_list_token(token, key=status_issuer_key,
                                        expected_uri=reference.uri, now=now, leeway=60,
                                        algorithms={JwsAlg.ES256}, max_age=86_400)
    status = verified.status_of(reference)               # raw int; compare with StatusType

Not implemented: the CWT forms (§4.3, §5.2, §6.3), fetching and Status List Aggregation
(§8.1, §8.2, §9; ``aggregation_uri`` is only carried), historical resolution (§8.4).
Every failure is ``Rejected`` with a ``StatusListReason`` or, for JWS and time rules, a
``JoseReason`` (see ``specs/errors.py``).
"""

from specs.status_list.encoding import (
    ALLOWED_BITS,
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_LST_CHARS,
    MAX_INDEX,
    StatusList,
    StatusListJson,
    decode_status_list,
    encode_status_list,
    pack_statuses,
    parse_status_index,
)
from specs.status_list.herd import MIN_HERD_ENTRIES, HerdConcern, size_concerns, uri_concerns
from specs.status_list.reference import (
    MAX_URI_LENGTH,
    StatusReference,
    check_status_list_uri,
    parse_status_reference,
)
from specs.status_list.status_types import (
    APPLICATION_SPECIFIC_STATUSES,
    StatusType,
    is_application_specific,
    registered_status_type,
)
from specs.status_list.token import (
    DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES,
    DEFAULT_MAX_TTL,
    DEFAULT_MIN_TTL,
    STATUS_LIST_JWT_TYP,
    VerifiedStatusList,
    build_status_list_token,
    status_list_token_header,
    verify_status_list_token,
)

__all__ = [
    "ALLOWED_BITS",
    "APPLICATION_SPECIFIC_STATUSES",
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_LST_CHARS",
    "DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES",
    "DEFAULT_MAX_TTL",
    "DEFAULT_MIN_TTL",
    "MAX_INDEX",
    "MAX_URI_LENGTH",
    "MIN_HERD_ENTRIES",
    "STATUS_LIST_JWT_TYP",
    "HerdConcern",
    "StatusList",
    "StatusListJson",
    "StatusReference",
    "StatusType",
    "VerifiedStatusList",
    "build_status_list_token",
    "check_status_list_uri",
    "decode_status_list",
    "encode_status_list",
    "is_application_specific",
    "pack_statuses",
    "parse_status_index",
    "parse_status_reference",
    "registered_status_type",
    "size_concerns",
    "status_list_token_header",
    "uri_concerns",
    "verify_status_list_token",
]
