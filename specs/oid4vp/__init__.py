"""OpenID for Verifiable Presentations 1.0: the messages, without the HTTP.

::

    client_id.py         §5.9    Client Identifier Prefixes: parse, format, x509_hash, and
                                 the key that authenticates a client's request object
    request_object.py    §5      Authorization Requests as Request Objects (RFC 9101): build
                         §5.10   (signed, or unsigned for redirect_uri), verify (the Wallet);
                                 the openid4vp:// link; the Request URI POST
    transaction_data.py  §5.1    transaction_data: encode, decode, and the KB-JWT's
                         B.3.3   transaction_data_hashes
    response.py          §8.1    vp_token; §8.2 the direct_post form
    jwe.py               §8.3    direct_post.jwt: ECDH-ES (P-256) response encryption
    limits.py                    bounds and the bounded form and URL readers
    trusted_authorities.py §6.1.1 trusted_authorities: ``aki`` against a credential's x5c

Only Response Type ``vp_token`` with Response Modes ``direct_post`` and ``direct_post.jwt``,
requests by reference, and ``dc+sd-jwt`` presentations are implemented; pre-registered
clients and the other prefixes are refused, not ignored. Every parser raises
``Rejected(Oid4vpReason.*)`` (a ``JoseReason`` for a broken JWS) and nothing else.
"""

# DCQL: specs.oid4vp.dcql

from specs.oid4vp.client_id import (
    ClientId,
    ClientIdPrefix,
    client_signing_key,
    format_client_id,
    parse_client_id,
    x509_hash_of,
)
from specs.oid4vp.jwe import (
    ALLOWED_ENC,
    decrypt_response,
    encrypt_response,
    new_response_key,
    public_response_jwk,
    response_client_metadata,
    select_response_key,
)
from specs.oid4vp.request_object import (
    LINK_SCHEME,
    REQUEST_OBJECT_TYP,
    AuthorizationRequest,
    RequestLink,
    authorization_request_link,
    build_request_object,
    build_unsigned_request_object,
    parse_authorization_request_link,
    parse_request_uri_post,
    request_uri_post_form,
    verify_request_object,
)
from specs.oid4vp.response import (
    direct_post_form,
    direct_post_jwt_form,
    parse_direct_post_form,
    parse_vp_token,
    response_payload,
)
from specs.oid4vp.transaction_data import (
    check_transaction_data_hashes,
    decode_transaction_data,
    encode_transaction_data,
    transaction_data_hash,
)

__all__ = [
    "ALLOWED_ENC",
    "LINK_SCHEME",
    "REQUEST_OBJECT_TYP",
    "AuthorizationRequest",
    "ClientId",
    "ClientIdPrefix",
    "RequestLink",
    "authorization_request_link",
    "build_request_object",
    "build_unsigned_request_object",
    "check_transaction_data_hashes",
    "client_signing_key",
    "decode_transaction_data",
    "decrypt_response",
    "direct_post_form",
    "direct_post_jwt_form",
    "encode_transaction_data",
    "encrypt_response",
    "format_client_id",
    "new_response_key",
    "parse_authorization_request_link",
    "parse_client_id",
    "parse_direct_post_form",
    "parse_request_uri_post",
    "parse_vp_token",
    "public_response_jwk",
    "request_uri_post_form",
    "response_client_metadata",
    "response_payload",
    "select_response_key",
    "transaction_data_hash",
    "verify_request_object",
    "x509_hash_of",
]
