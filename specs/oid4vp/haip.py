"""What a wallet in strict HAIP mode accepts of a verifier's request (HAIP 1.0, "OpenID for
Verifiable Presentations profile for IETF SD-JWT VC"; the request object is verified first).

OpenID4VP 1.0 leaves many choices open; the High Assurance Interoperability Profile closes
them, and a wallet that promises HAIP refuses a request that takes another one:

* the client identifier prefix is ``x509_hash`` (the Verifier MUST use it);
* the response mode is ``direct_post.jwt``: the answer is always encrypted, with ECDH-ES on
  P-256 and ``A128GCM`` or ``A256GCM`` (OpenID4VP 1.0 §8.3, which HAIP profiles), so the
  request's ``client_metadata`` must offer such a key and content encryption;
* the query is DCQL (§6) for SD-JWT VCs: every credential query has the format ``dc+sd-jwt``;
* the response type is ``vp_token``.

The request object itself arrives by ``request_uri`` and is signed (JAR): the holder library
takes nothing else in any mode. Each rule that fails is ``request-outside-haip``.
"""

from __future__ import annotations

from specs.errors import Oid4vpReason, Rejected
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.jwe import select_response_key
from specs.oid4vp.request_object import AuthorizationRequest

HAIP_CLIENT_ID_PREFIX = "x509_hash:"
HAIP_RESPONSE_MODE = "direct_post.jwt"
HAIP_ENC = frozenset({"A128GCM", "A256GCM"})
HAIP_FORMAT = "dc+sd-jwt"


def check_haip_request(request: AuthorizationRequest) -> None:
    """Raise ``Rejected(NOT_HAIP)`` unless ``request`` stays within HAIP 1.0 (module docstring)."""
    if not request.client_id.startswith(HAIP_CLIENT_ID_PREFIX):
        raise Rejected(Oid4vpReason.NOT_HAIP)
    if request.response_mode != HAIP_RESPONSE_MODE or request.response_type != "vp_token":
        raise Rejected(Oid4vpReason.NOT_HAIP)
    if request.client_metadata is None:
        raise Rejected(Oid4vpReason.NOT_HAIP)
    try:
        _key, enc = select_response_key(request.client_metadata)
    except Rejected:
        raise Rejected(Oid4vpReason.NOT_HAIP) from None
    if enc not in HAIP_ENC:
        raise Rejected(Oid4vpReason.NOT_HAIP)
    query = parse_dcql_query(request.dcql_query)
    if any(credential.format != HAIP_FORMAT for credential in query.credentials):
        raise Rejected(Oid4vpReason.NOT_HAIP)
