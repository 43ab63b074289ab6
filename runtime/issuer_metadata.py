"""An issuer's signing keys from its JWT VC Issuer Metadata (SD-JWT VC §4), fetched safely.

The wallet (checking what it received) and the verifier (checking what it was shown) both
need the keys of the ``iss`` of a credential; both fetch ``/.well-known/jwt-vc-issuer``
through the safe fetcher, since ``iss`` comes from untrusted input (DESIGN §4). The resolver
knows this one issuer only and picks its key by exact ``iss`` and ``kid`` (§4.3), so a
credential naming any other ``iss`` finds no key.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from runtime.fetcher import SafeFetcher
from specs.jose import loads_strict
from specs.sd_jwt_vc import (
    JwtVcIssuerMetadataResolver,
    jwt_vc_issuer_metadata_url,
    parse_jwt_vc_issuer_metadata,
)

JSON = "application/json"
JWKS_TYPES = "application/json, application/jwk-set+json"


def metadata_url(issuer: str, *, allow_http: bool) -> str:
    """SD-JWT VC §4.1 for ``issuer``; an ``http`` issuer only in the development profile.

    ``jwt_vc_issuer_metadata_url`` knows ``https`` only; the same insertion rule is applied
    to a loopback ``http`` issuer by computing it for the ``https`` form of the identifier.
    Raises ``Rejected`` for an identifier that is not an acceptable URL.
    """
    scheme = urlsplit(issuer).scheme
    if scheme == "http" and allow_http:
        return "http" + jwt_vc_issuer_metadata_url("https" + issuer[len("http") :])[len("https") :]
    return jwt_vc_issuer_metadata_url(issuer)


async def fetch_issuer_keys(
    fetcher: SafeFetcher, issuer: str, *, allow_http: bool
) -> JwtVcIssuerMetadataResolver:
    """The issuer's keys (SD-JWT VC §4.2, §4.3, ``jwks`` or ``jwks_uri``).

    Raises ``FetchRefused`` when a document cannot be fetched and ``Rejected`` when one is
    not acceptable.
    """
    url = metadata_url(issuer, allow_http=allow_http)
    document = loads_strict((await fetcher.get(url, accept=JSON)).body)
    metadata = parse_jwt_vc_issuer_metadata(document, expected_issuer=issuer, allow_http=allow_http)
    if metadata.jwks_uri is not None:
        jwks = loads_strict((await fetcher.get(metadata.jwks_uri, accept=JWKS_TYPES)).body)
        metadata = metadata.with_jwks(jwks)
    return JwtVcIssuerMetadataResolver({issuer: metadata})
