"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2) and the Authorization Server's (§12.3).

The issuer builds its metadata from ``CredentialConfiguration`` values, one per credential
type it issues in the ``dc+sd-jwt`` format (Appendix A.3): key binding by ``jwk`` with the
``jwt`` proof type (Appendix F.1). The wallet parses a fetched document with
``parse_issuer_metadata``, which refuses a document whose ``credential_issuer`` is not
*identical* to the identifier it was fetched for (§12.2.4): no case folding, no trailing-slash
repair; a mismatch means the data MUST NOT be used.

Signed metadata (§12.2.3) is not supported: the wallet asks for ``application/json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from specs.errors import Oid4vciReason, Rejected
from specs.oid4vci.fields import (
    MAX_ARRAY_ITEMS,
    read_positive_int,
    read_string,
    read_string_array,
    read_url,
    require_object,
)
from specs.oid4vci.offer import PRE_AUTHORIZED_GRANT

CREDENTIAL_FORMAT = "dc+sd-jwt"
ISSUER_WELL_KNOWN = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_WELL_KNOWN = "/.well-known/oauth-authorization-server"
MAX_CONFIGURATIONS = 256
MAX_BATCH_SIZE = 1000
MAX_AUTHORIZATION_SERVERS = 16
_R = Oid4vciReason.MALFORMED_METADATA
_OPTIONAL_ENDPOINTS = ("nonce_endpoint", "deferred_credential_endpoint", "notification_endpoint")


@dataclass(frozen=True, slots=True)
class CredentialConfiguration:
    """One entry of ``credential_configurations_supported`` in the ``dc+sd-jwt`` format."""

    id: str
    vct: str
    display: tuple[Mapping[str, Any], ...] = ()
    claims: tuple[Mapping[str, Any], ...] = ()
    scope: str | None = None
    signing_algs: tuple[str, ...] = ("ES256",)
    proof_algs: tuple[str, ...] = ("ES256",)

    def to_json(self) -> dict[str, Any]:
        """§12.2.4 and Appendix A.3.2; the display data goes under ``credential_metadata``."""
        entry: dict[str, Any] = {"format": CREDENTIAL_FORMAT, "vct": self.vct}
        if self.scope is not None:
            entry["scope"] = self.scope
        entry["credential_signing_alg_values_supported"] = list(self.signing_algs)
        entry["cryptographic_binding_methods_supported"] = ["jwk"]
        entry["proof_types_supported"] = {
            "jwt": {"proof_signing_alg_values_supported": list(self.proof_algs)}
        }
        credential_metadata: dict[str, Any] = {}
        if self.display:
            credential_metadata["display"] = [dict(item) for item in self.display]
        if self.claims:
            credential_metadata["claims"] = [dict(item) for item in self.claims]
        if credential_metadata:
            entry["credential_metadata"] = credential_metadata
        return entry


def build_issuer_metadata(
    *,
    credential_issuer: str,
    credential_endpoint: str,
    nonce_endpoint: str,
    deferred_credential_endpoint: str | None,
    notification_endpoint: str | None,
    batch_size: int | None,
    configurations: Sequence[CredentialConfiguration],
    display: Sequence[Mapping[str, Any]] = (),
    authorization_servers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The issuer's metadata document (§12.2.4); optional endpoints are left out when None.

    ``batch_size`` None means one proof per request; otherwise it MUST be 2 or greater.
    """
    if batch_size is not None and not 2 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError("batch_size MUST be 2 or greater (§12.2.4)")
    ids = [configuration.id for configuration in configurations]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError("configurations: at least one, with unique ids")
    document: dict[str, Any] = {"credential_issuer": credential_issuer}
    if authorization_servers is not None:
        document["authorization_servers"] = list(authorization_servers)
    document["credential_endpoint"] = credential_endpoint
    document["nonce_endpoint"] = nonce_endpoint
    if deferred_credential_endpoint is not None:
        document["deferred_credential_endpoint"] = deferred_credential_endpoint
    if notification_endpoint is not None:
        document["notification_endpoint"] = notification_endpoint
    if batch_size is not None:
        document["batch_credential_issuance"] = {"batch_size": batch_size}
    if display:
        document["display"] = [dict(item) for item in display]
    document["credential_configurations_supported"] = {
        configuration.id: configuration.to_json() for configuration in configurations
    }
    return document


def build_authorization_server_metadata(
    *,
    issuer: str,
    token_endpoint: str,
    pre_authorized_grant_anonymous_access_supported: bool = True,
) -> dict[str, Any]:
    """RFC 8414 metadata of an Authorization Server for the Pre-Authorized Code Flow only.

    §12.2.4 lets such a server omit ``response_types_supported``; §12.3 defines
    ``pre-authorized_grant_anonymous_access_supported`` (Token Requests without ``client_id``).
    """
    document: dict[str, Any] = {
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": (
            pre_authorized_grant_anonymous_access_supported
        ),
    }
    if pre_authorized_grant_anonymous_access_supported:
        document["token_endpoint_auth_methods_supported"] = ["none"]
    return document


def _well_known_url(identifier: str, segment: str, *, strip_slash: bool) -> str:
    try:
        parts = urlsplit(identifier)
        _ = parts.port
    except ValueError:
        raise Rejected(_R) from None
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
        raise Rejected(_R)
    if parts.query or parts.fragment or "?" in identifier or "#" in identifier:
        raise Rejected(_R)
    path = parts.path.rstrip("/") if strip_slash else parts.path
    return f"{parts.scheme}://{parts.netloc}{segment}{path}"


def issuer_metadata_url(credential_issuer: str) -> str:
    """Where the metadata of ``credential_issuer`` lives (§12.2.2).

    The well-known string is inserted between the host and the path, exactly as written:
    ``https://issuer.example/tenant`` -> ``https://issuer.example/.well-known/
    openid-credential-issuer/tenant``. Unlike RFC 8414, §12.2.2 removes no terminating ``/``,
    so identifiers should not end in one. The scheme is kept: whether ``http`` may be fetched
    is the fetcher's policy (DESIGN §4), not this function's.
    """
    return _well_known_url(credential_issuer, ISSUER_WELL_KNOWN, strip_slash=False)


def authorization_server_metadata_url(issuer: str) -> str:
    """RFC 8414 §3.1: the well-known string goes before the path; a terminating ``/`` goes."""
    return _well_known_url(issuer, AUTHORIZATION_SERVER_WELL_KNOWN, strip_slash=True)


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """A checked metadata document of the issuer it was fetched for.

    ``authorization_servers`` holds the issuer itself when the document names none: §12.2.4
    says the issuer is then its own Authorization Server. ``encryption_required`` is true when
    the issuer demands encrypted requests or responses (§10), which we cannot provide.
    """

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    deferred_credential_endpoint: str | None
    notification_endpoint: str | None
    batch_size: int | None
    configurations: Mapping[str, Mapping[str, Any]]
    authorization_servers: tuple[str, ...]
    display: tuple[Mapping[str, Any], ...] = ()
    encryption_required: bool = False


def parse_issuer_metadata(
    document: object, *, expected_issuer: str, allow_http: bool = False
) -> IssuerMetadata:
    """Check a fetched metadata document (§12.2.4) against the identifier it was fetched for.

    ``credential_issuer`` identical to ``expected_issuer`` (else ``ISSUER_MISMATCH``),
    ``credential_endpoint`` required, every endpoint an ``https`` URL, ``batch_size`` an
    integer of at least 2, ``credential_configurations_supported`` a non-empty object of
    configuration objects. Unknown members are ignored (§12.2.4).
    """
    body = require_object(document, _R)
    issuer = body.get("credential_issuer")
    if type(issuer) is not str:
        raise Rejected(_R)
    if issuer != expected_issuer:
        raise Rejected(Oid4vciReason.ISSUER_MISMATCH)
    read_url(issuer, _R, allow_http=allow_http, identifier=True)
    endpoint = read_url(body.get("credential_endpoint"), _R, allow_http=allow_http)
    optional = {
        name: read_url(body[name], _R, allow_http=allow_http) if name in body else None
        for name in _OPTIONAL_ENDPOINTS
    }
    servers: tuple[str, ...] = (issuer,)
    if "authorization_servers" in body:
        servers = read_string_array(
            body["authorization_servers"], _R, max_items=MAX_AUTHORIZATION_SERVERS
        )
        for server in servers:
            read_url(server, _R, allow_http=allow_http, identifier=True)
    return IssuerMetadata(
        credential_issuer=issuer,
        credential_endpoint=endpoint,
        nonce_endpoint=optional["nonce_endpoint"],
        deferred_credential_endpoint=optional["deferred_credential_endpoint"],
        notification_endpoint=optional["notification_endpoint"],
        batch_size=_batch_size(body),
        configurations=parse_configurations(body.get("credential_configurations_supported")),
        authorization_servers=servers,
        display=_display(body),
        encryption_required=_encryption_required(body),
    )


def _batch_size(body: Mapping[str, Any]) -> int | None:
    if "batch_credential_issuance" not in body:
        return None
    batch = require_object(body["batch_credential_issuance"], _R)
    size = read_positive_int(batch.get("batch_size"), _R, maximum=MAX_BATCH_SIZE)
    if size < 2:  # §12.2.4: MUST be 2 or greater
        raise Rejected(_R)
    return size


def _display(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    if "display" not in body:
        return ()
    items = body["display"]
    if not isinstance(items, list) or not items or len(items) > MAX_ARRAY_ITEMS:
        raise Rejected(_R)
    return tuple(require_object(item, _R) for item in items)


def _encryption_required(body: Mapping[str, Any]) -> bool:
    """§12.2.4 ``credential_request_encryption`` / ``credential_response_encryption``."""
    required = False
    for name in ("credential_request_encryption", "credential_response_encryption"):
        if name in body:
            flag = require_object(body[name], _R).get("encryption_required")
            if type(flag) is not bool:
                raise Rejected(_R)
            required = required or flag
    return required


def parse_configurations(value: object) -> dict[str, Mapping[str, Any]]:
    """``credential_configurations_supported`` (§12.2.4): a non-empty object of objects.

    Every entry needs a ``format`` string; a ``scope`` must be a string; the lists of
    algorithms and binding methods are non-empty arrays; each proof type names a non-empty
    ``proof_signing_alg_values_supported``. A ``dc+sd-jwt`` entry needs a ``vct`` string and
    string algorithm names (Appendix A.3.2). Other formats' own members are left to them.
    """
    configurations = require_object(value, _R)
    if not configurations or len(configurations) > MAX_CONFIGURATIONS:
        raise Rejected(_R)
    for name, entry in configurations.items():
        read_string(name, _R)
        _check_configuration(require_object(entry, _R))
    return dict(configurations)


def _check_configuration(entry: Mapping[str, Any]) -> None:
    read_string(entry.get("format"), _R)
    if "scope" in entry:
        read_string(entry["scope"], _R)
    for name in (
        "credential_signing_alg_values_supported",
        "cryptographic_binding_methods_supported",
    ):
        if name in entry and (not isinstance(entry[name], list) or not entry[name]):
            raise Rejected(_R)
    if "proof_types_supported" in entry:
        for proof_type in require_object(entry["proof_types_supported"], _R).values():
            algs = require_object(proof_type, _R).get("proof_signing_alg_values_supported")
            read_string_array(algs, _R)
    if entry["format"] == CREDENTIAL_FORMAT:
        read_string(entry.get("vct"), _R, max_length=2048)
        if "credential_signing_alg_values_supported" in entry:
            read_string_array(entry["credential_signing_alg_values_supported"], _R)
