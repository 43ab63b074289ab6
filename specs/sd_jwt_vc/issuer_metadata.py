"""JWT VC Issuer Metadata: the issuer's keys, published under its own HTTPS ``iss``.

SD-JWT VC (editor's copy) §4 defines the document at ``/.well-known/jwt-vc-issuer``
(§4.1 where to fetch it, §4.2 its members, §4.3 the issuer-equality rule); §2.5 makes it one
of the two key discovery mechanisms. The edge fetches the document (and the JWK Set behind
``jwks_uri``); this module checks what was fetched and picks a key from it:

* ``issuer`` must be *identical* to the ``iss`` the document was fetched for (§4.3): no case
  folding, no trailing-slash repair (THREATS R-06, S-10);
* exactly one of ``jwks`` and ``jwks_uri`` (§4.2);
* keys go through ``jose.parse_public_jwk``: a published private key (``d``) or a symmetric
  key refuses the whole document rather than being skipped.

JWK Set members (RFC 7517 §5) that are not signature keys we can use (RSA, P-384, ``use:
enc``) are ignored, as §5 recommends: ignoring keys can only make us reject, never accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from specs.errors import JoseReason, Rejected, SdJwtVcReason
from specs.jose import PublicJwk, parse_public_jwk

WELL_KNOWN_SEGMENT = "/.well-known/jwt-vc-issuer"
MAX_JWKS_KEYS = 100


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """A checked JWT VC Issuer Metadata document.

    ``keys`` is ``None`` while the JWK Set named by ``jwks_uri`` has not been supplied
    (see ``with_jwks``); a resolver treats that as "no key" and rejects.
    """

    issuer: str
    jwks_uri: str | None
    keys: tuple[PublicJwk, ...] | None

    def with_jwks(self, jwks: object) -> IssuerMetadata:
        """Attach the JWK Set fetched from ``jwks_uri`` (§4.2); inline metadata has none."""
        if self.jwks_uri is None:
            raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
        return replace(self, keys=parse_jwks(jwks))


def _is_https_url(value: object, *, allow_http: bool = False) -> bool:
    """§4: an HTTPS URL with a host and no query or fragment (RFC 3986 components).

    ``allow_http`` is the development profile's exception (DESIGN §4): roles on loopback.
    """
    if not isinstance(value, str) or not value.isascii() or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username is not None:
        return False
    return "?" not in value and "#" not in value


def jwt_vc_issuer_metadata_url(iss: str) -> str:
    """Where the edge fetches the metadata for ``iss`` (§4.1).

    ``/.well-known/jwt-vc-issuer`` goes between the host and the path; a terminating ``/``
    of the path is removed first. ``https://example.com/tenant/1234`` becomes
    ``https://example.com/.well-known/jwt-vc-issuer/tenant/1234``.
    """
    if not _is_https_url(iss):
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    parts = urlsplit(iss)
    return f"https://{parts.netloc}{WELL_KNOWN_SEGMENT}{parts.path.rstrip('/')}"


def parse_jwks(document: object) -> tuple[PublicJwk, ...]:
    """A JWK Set (RFC 7517 §5): ``{"keys": [...]}`` with usable, uniquely named keys.

    Two keys under one ``kid`` would make the choice ambiguous (THREATS R-06), so the
    document is refused instead of picking one.
    """
    if not isinstance(document, Mapping):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    members = document.get("keys")
    if not isinstance(members, list) or len(members) > MAX_JWKS_KEYS:
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    keys: list[PublicJwk] = []
    for member in members:
        key = _parse_member(member)
        if key is not None:
            keys.append(key)
    kids = [key.kid for key in keys if key.kid is not None]
    if len(kids) != len(set(kids)):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    return tuple(keys)


def _parse_member(member: object) -> PublicJwk | None:
    """One JWK of the set; ``None`` for a key type we cannot use (RFC 7517 §5)."""
    if not isinstance(member, Mapping):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    try:
        return parse_public_jwk(member)
    except Rejected as exc:
        if exc.reason is JoseReason.BAD_JWK:
            return None
        # Private or symmetric material: the publisher leaked a secret; use nothing of it.
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID) from exc


def parse_jwt_vc_issuer_metadata(
    document: object, *, expected_issuer: str, allow_http: bool = False
) -> IssuerMetadata:
    """Check a fetched metadata document against the ``iss`` it was fetched for (§4.2, §4.3).

    ``allow_http`` accepts ``http`` identifiers: only for the development profile.

    The caller parsed the HTTP body with ``jose.loads_strict``. With ``jwks_uri`` the
    result has no keys yet: fetch that URL and call ``IssuerMetadata.with_jwks``.
    """
    if not isinstance(document, Mapping):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    issuer = document.get("issuer")
    if not isinstance(issuer, str):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    if issuer != expected_issuer:
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_MISMATCH)
    if not _is_https_url(issuer, allow_http=allow_http):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    has_jwks, has_uri = "jwks" in document, "jwks_uri" in document
    if has_jwks == has_uri:  # §4.2: "either jwks_uri or jwks ..., but not both"
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    if has_jwks:
        return IssuerMetadata(issuer, None, parse_jwks(document["jwks"]))
    jwks_uri = document["jwks_uri"]
    if not _is_https_url(jwks_uri, allow_http=allow_http):
        raise Rejected(SdJwtVcReason.ISSUER_METADATA_INVALID)
    return IssuerMetadata(issuer, jwks_uri, None)


@dataclass(frozen=True, slots=True)
class JwtVcIssuerMetadataResolver:
    """``KeyResolver`` over metadata the edge fetched and parsed, keyed by issuer.

    The key is chosen by the payload's ``iss`` (exact string match, THREATS S-10) and the
    header's ``kid``. §4.2 only RECOMMENDS ``kid``; we require it as soon as the issuer
    publishes more than one key, so that a key is never chosen by trying each in turn.
    """

    metadata_by_issuer: Mapping[str, IssuerMetadata]

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        iss = payload.get("iss")
        if not isinstance(iss, str):
            raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
        metadata = self.metadata_by_issuer.get(iss)
        if metadata is None or metadata.keys is None:
            raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
        if metadata.issuer != iss:  # a mis-keyed mapping must not lend keys (§4.3)
            raise Rejected(SdJwtVcReason.ISSUER_METADATA_MISMATCH)
        return _select_key(metadata.keys, header)


def _select_key(keys: tuple[PublicJwk, ...], header: Mapping[str, Any]) -> PublicJwk:
    """Pick by ``kid``; without ``kid`` only a single published key qualifies."""
    if "kid" not in header:
        if len(keys) == 1:
            return keys[0]
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    kid = header["kid"]
    for key in keys:
        if isinstance(kid, str) and key.kid == kid:
            return key
    raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
