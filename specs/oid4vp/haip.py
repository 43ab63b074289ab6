"""What a wallet in strict HAIP mode accepts of a verifier's request (HAIP 1.0, "OpenID for
Verifiable Presentations profile for IETF SD-JWT VC"; the request object is verified first).

OpenID4VP 1.0 leaves many choices open; the High Assurance Interoperability Profile closes
them, and a wallet that promises HAIP refuses a request that takes another one:

* the client identifier prefix is ``x509_hash`` (the Verifier MUST use it);
* the response mode is ``direct_post.jwt``: the answer is always encrypted, with ECDH-ES on
  P-256 and ``A128GCM`` or ``A256GCM`` (OpenID4VP 1.0 §8.3, which HAIP profiles), so the
  request's ``client_metadata`` must offer such a key and content encryption; the wallet
  takes ``A256GCM`` when both are offered (HAIP §5: "SHOULD use ``A256GCM``"), see
  ``HAIP_ENC_PREFERENCE``;
* the request object's ``x5c`` holds no self-signed certificate: neither the trust anchor
  (HAIP §5: it "MUST NOT be included") nor a self-signed signer (it "MUST NOT be
  self-signed"), see ``check_haip_signer``;
* the query is DCQL (§6) for SD-JWT VCs: every credential query has the format ``dc+sd-jwt``;
* the response type is ``vp_token``.

The request object itself arrives by ``request_uri`` and is signed (JAR): the holder library
takes nothing else in any mode. Each rule that fails is ``request-outside-haip``.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from specs.errors import Oid4vpReason, Rejected
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.jwe import select_response_key
from specs.oid4vp.request_object import AuthorizationRequest

HAIP_CLIENT_ID_PREFIX = "x509_hash:"
HAIP_RESPONSE_MODE = "direct_post.jwt"
HAIP_ENC_PREFERENCE = ("A256GCM", "A128GCM")
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
        select_response_key(request.client_metadata, preference=HAIP_ENC_PREFERENCE)
    except Rejected:
        raise Rejected(Oid4vpReason.NOT_HAIP) from None
    query = parse_dcql_query(request.dcql_query)
    if any(credential.format != HAIP_FORMAT for credential in query.credentials):
        raise Rejected(Oid4vpReason.NOT_HAIP)


def check_haip_signer(x5c: object) -> None:
    """Raise ``Rejected(NOT_HAIP)`` when a request object's ``x5c`` holds a self-signed
    certificate (HAIP §5): the trust anchor must be left out, and the signer must be
    certified by someone else. An ``x5c`` that is not a list of certificates was refused
    already by the client identifier rules (OpenID4VP 1.0 §5.9.3); here it is refused too.
    """
    if not isinstance(x5c, list) or not x5c:
        raise Rejected(Oid4vpReason.NOT_HAIP)
    for entry in x5c:
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(entry, validate=True))
        except (TypeError, ValueError, binascii.Error, x509.InvalidVersion):
            raise Rejected(Oid4vpReason.NOT_HAIP) from None
        if is_self_signed(certificate):
            raise Rejected(Oid4vpReason.NOT_HAIP)


def is_self_signed(certificate: x509.Certificate) -> bool:
    """Issued by its own subject and verifiable with its own key (RFC 5280 §3.2)."""
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
