"""JOSE for aanspraak: the only package that creates or checks JWS/JWT (DESIGN §1).

Strict base64url and JSON, JWK parsing with curve checks, RFC 7638 thumbprints, per-kind
algorithm allowlists and explicit ``typ``.
"""

from specs.jose.claims import check_time_claims, numeric_date
from specs.jose.encoding import b64url_decode, b64url_encode
from specs.jose.jws import (
    DEFAULT_MAX_TOKEN_BYTES,
    UnverifiedJws,
    VerifiedJws,
    check_header,
    constant_time_equals,
    media_type_matches,
    parse_compact_jws,
    sign_compact_jws,
    verify_jws,
    verify_signature,
)
from specs.jose.keys import (
    JwsAlg,
    JwsSigner,
    PrivateJwk,
    PublicJwk,
    generate_private_key,
    parse_private_jwk,
    parse_public_jwk,
    public_jwk_from_key,
)
from specs.jose.resolver import KeyResolver, StaticKeyResolver
from specs.jose.strict_json import dumps_compact, loads_strict

__all__ = [
    "DEFAULT_MAX_TOKEN_BYTES",
    "JwsAlg",
    "JwsSigner",
    "KeyResolver",
    "PrivateJwk",
    "PublicJwk",
    "StaticKeyResolver",
    "UnverifiedJws",
    "VerifiedJws",
    "b64url_decode",
    "b64url_encode",
    "check_header",
    "check_time_claims",
    "constant_time_equals",
    "dumps_compact",
    "generate_private_key",
    "loads_strict",
    "media_type_matches",
    "numeric_date",
    "parse_compact_jws",
    "parse_private_jwk",
    "parse_public_jwk",
    "public_jwk_from_key",
    "sign_compact_jws",
    "verify_jws",
    "verify_signature",
]
