"""Issuer keys from DIDs: ``did:jwk`` (self-contained) and ``did:web`` (a fetched document).

The SD-JWT VC editor's copy (§2.5) leaves DID-based key discovery to profiles; the rule we
apply is the one of draft -09 §3.5: the key comes from the DID Document of the DID in
``iss``, and a ``kid`` header, when present, "MUST be a relative or absolute DID URL of the
DID in the ``iss`` value, identifying the public key". Without ``kid`` only a document with
a single usable assertion key qualifies.

* ``did:jwk`` (did:jwk method specification): the method-specific id is base64url(UTF-8
  JSON of a public JWK); the document has one verification method, ``<did>#0``. Anyone can
  mint one, so trust rests entirely on the registry pinning that exact DID.
* ``did:web`` (did:web method specification, §3.2 Read): the edge fetches
  ``did_web_document_url(did)`` and passes ``parse_did_document``'s result in. Only
  verification methods listed under ``assertionMethod`` (DID Core §5.3.2) with a
  ``publicKeyJwk`` (DID Core §5.2.1) are keys for credential signing.

Other methods are ``did-unsupported``; so is a DID string we cannot read. A document that is
malformed, names another DID, or embeds private key material is ``did-document-invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Rejected, SdJwtVcReason
from specs.jose import PublicJwk, b64url_decode, loads_strict, parse_public_jwk

MAX_DID_CHARS = 2048
MAX_VERIFICATION_METHODS = 64
_DID_JWK_PREFIX = "did:jwk:"
_DID_WEB_PREFIX = "did:web:"
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]+")
# did:web §3.1: a DNS name matching the TLS certificate (never an IP address), an optional
# port with its colon percent-encoded, then colon-separated path segments.
_WEB_HOST = re.compile(
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*)"
    r"(?:%3[Aa](?P<port>[0-9]{1,5}))?"
)
_WEB_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class DidDocument:
    """The keys a DID Document authorises for assertions, by absolute DID URL."""

    id: str
    assertion_keys: Mapping[str, PublicJwk]


def _method_of(did: str) -> str:
    if len(did) > MAX_DID_CHARS or not _DID.fullmatch(did):
        raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
    return did.split(":", 2)[1]


def did_web_document_url(did: str) -> str:
    """The HTTPS URL of a ``did:web`` DID Document (did:web §3.2 Read).

    ``did:web:example.com`` -> ``https://example.com/.well-known/did.json``;
    ``did:web:example.com%3A3000:user:alice`` -> ``https://example.com:3000/user/alice/did.json``.
    ``.`` and ``..`` segments are refused so the path cannot climb out of the host's tree.
    """
    if _method_of(did) != "web":
        raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
    host_part, *segments = did[len(_DID_WEB_PREFIX) :].split(":")
    host = _WEB_HOST.fullmatch(host_part)
    if host is None or (host["port"] is not None and not 0 < int(host["port"]) < 65536):
        raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
    if any(not _WEB_SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
        raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
    authority = host["host"] if host["port"] is None else f"{host['host']}:{host['port']}"
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{authority}/{path}/did.json"


def did_jwk_document(did: str) -> DidDocument:
    """The implicit document of a ``did:jwk``: its one key, as ``<did>#0``."""
    if _method_of(did) != "jwk":
        raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
    try:
        jwk = loads_strict(b64url_decode(did[len(_DID_JWK_PREFIX) :]))
        key = parse_public_jwk(jwk)
    except Rejected as exc:
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID) from exc
    return DidDocument(did, {f"{did}#0": key})


def parse_did_document(document: object, *, did: str) -> DidDocument:
    """Check a fetched DID Document for ``did`` and collect its assertion keys.

    ``id`` must be the DID that was resolved (DID Core §5.1.1). ``assertionMethod`` entries
    are references (relative ``#frag`` or absolute DID URLs) to ``verificationMethod``
    entries, or embedded methods. Methods of other DIDs and methods without
    ``publicKeyJwk`` (e.g. ``publicKeyMultibase``) are not usable and are skipped; a
    reference to a method of this DID that the document lacks is an error.
    """
    if not isinstance(document, Mapping) or document.get("id") != did:
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    methods: dict[str, PublicJwk | None] = {}
    for entry in _bounded_list(document, "verificationMethod"):
        _add_method(methods, entry, did)
    assertion_keys: dict[str, PublicJwk] = {}
    for entry in _bounded_list(document, "assertionMethod"):
        if isinstance(entry, str):
            method_id = _absolute(entry, did)
            if method_id.startswith(f"{did}#") and method_id not in methods:
                raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
            key = methods.get(method_id)
        else:
            method_id, key = _add_method(methods, entry, did)
        if key is not None:
            assertion_keys[method_id] = key
    return DidDocument(did, assertion_keys)


def _bounded_list(document: Mapping[str, Any], name: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_VERIFICATION_METHODS:
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    return value


def _absolute(method_id: str, did: str) -> str:
    """DID Core §3.2.2: a relative DID URL (``#key-1``) is resolved against the DID."""
    return f"{did}{method_id}" if method_id.startswith("#") else method_id


def _add_method(
    methods: dict[str, PublicJwk | None], entry: object, did: str
) -> tuple[str, PublicJwk | None]:
    """Record one verification method (DID Core §5.2); ids must be unique."""
    if not isinstance(entry, Mapping):
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    method_id = entry.get("id")
    if not isinstance(method_id, str) or not method_id:
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    if not isinstance(entry.get("type"), str) or not isinstance(entry.get("controller"), str):
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    absolute = _absolute(method_id, did)
    if absolute in methods:
        raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
    key = None
    if "publicKeyJwk" in entry and absolute.startswith(f"{did}#"):
        try:
            key = parse_public_jwk(entry["publicKeyJwk"])
        except Rejected as exc:
            raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID) from exc
    methods[absolute] = key
    return absolute, key


@dataclass(frozen=True, slots=True)
class DidResolver:
    """``KeyResolver`` for issuers identified by a DID in ``iss``.

    Anyone can mint a ``did:jwk`` for a key of their own, so such an issuer resolves only
    when the caller lists that exact DID in ``trusted_jwk_dids`` (the trust registry's
    decision); the default trusts none. ``did:web`` documents come from ``documents``,
    keyed by DID, fetched for issuers the caller trusts and checked with
    ``parse_did_document``; a ``did:web`` issuer whose document was not supplied has no key.
    """

    documents: Mapping[str, DidDocument]
    trusted_jwk_dids: frozenset[str] = frozenset()

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        iss = payload.get("iss")
        if not isinstance(iss, str) or not iss.startswith("did:"):
            raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
        method = _method_of(iss)
        if method == "jwk":
            if iss not in self.trusted_jwk_dids:
                raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
            document = did_jwk_document(iss)
        elif method == "web":
            did_web_document_url(iss)  # the same syntax rules the edge fetched with
            found = self.documents.get(iss)
            if found is None:
                raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
            document = found
        else:
            raise Rejected(SdJwtVcReason.DID_UNSUPPORTED)
        if document.id != iss:
            raise Rejected(SdJwtVcReason.DID_DOCUMENT_INVALID)
        return _select(document, header, iss)


def _select(document: DidDocument, header: Mapping[str, Any], iss: str) -> PublicJwk:
    """Draft -09 §3.5: ``kid`` is a DID URL of the DID in ``iss``; absent: one key only."""
    if "kid" not in header:
        if len(document.assertion_keys) == 1:
            return next(iter(document.assertion_keys.values()))
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    kid = header["kid"]
    if not isinstance(kid, str):
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    absolute = _absolute(kid, iss)
    if absolute.partition("#")[0] != iss:
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    key = document.assertion_keys.get(absolute)
    if key is None:
        raise Rejected(SdJwtVcReason.ISSUER_KEY_NOT_FOUND)
    return key
