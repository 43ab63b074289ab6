"""Authorization Requests as Request Objects (OpenID4VP 1.0 §5, §5.10; JAR, RFC 9101).

The Verifier signs the request (``build_request_object``) and serves it at a ``request_uri``;
the link it shows holds only ``client_id`` and ``request_uri`` (§5.10 example; RFC 9101 §5.2).
The Wallet parses the link, fetches the object (GET, or POST with ``wallet_nonce`` per
§5.10), and verifies it (``verify_request_object``) before it shows anything to the End-User.

Verification, in order: size; compact JWS shape and strict JSON; ``typ`` is
``oauth-authz-req+jwt`` (§5: "MUST NOT process" otherwise); the ``client_id`` claim parses
and equals the link's (§5.10.1: "MUST be identical, including the Client Identifier Prefix");
the signature, per prefix (``client_id.client_signing_key``; ES256 only; ``alg: none`` only
for ``redirect_uri`` and only when the caller allows unsigned requests); ``exp``; then the
parameters: ``response_type`` ``vp_token`` (§5.6), ``response_mode`` ``direct_post`` or
``direct_post.jwt`` (§8.2, §8.3.1), the ``response_uri`` bound to the client id where the
prefix binds it (§5.9.3), ``nonce`` and ``state`` in the URL-safe alphabet (§5.2), a
``dcql_query`` object (we accept no ``scope``), and the optional ``client_metadata``,
``transaction_data`` (§5.1, decoded here) and ``verifier_info``; finally ``wallet_nonce``
(§5.10.1). The request's ``iss`` is ignored (§5: "the Wallet MUST ignore it").

JWS-level failures keep their ``JoseReason`` (``typ-mismatch``, ``alg-not-allowed``,
``bad-signature``, ...); the rest is ``Oid4vpReason``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from cryptography import x509

from specs.errors import JoseReason, Oid4vpReason, Rejected
from specs.jose import (
    JwsAlg,
    JwsSigner,
    KeyResolver,
    UnverifiedJws,
    b64url_encode,
    check_header,
    dumps_compact,
    loads_strict,
    media_type_matches,
    numeric_date,
    parse_compact_jws,
    sign_compact_jws,
    verify_signature,
)
from specs.oid4vp.client_id import ClientId, ClientIdPrefix, client_signing_key, parse_client_id
from specs.oid4vp.limits import (
    MAX_FORM_FIELDS,
    MAX_IDENTIFIER_LENGTH,
    MAX_LINK_BYTES,
    MAX_REQUEST_OBJECT_BYTES,
    MAX_REQUEST_URI_POST_BYTES,
    MAX_TRANSACTION_DATA_ITEMS,
    MAX_URL_LENGTH,
    read_form,
    read_url,
)
from specs.oid4vp.transaction_data import decode_transaction_data

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE = "https://self-issued.me/v2"
"""§5.8: the ``aud`` of a Request Object when the Wallet's metadata is static."""
RESPONSE_MODES = ("direct_post", "direct_post.jwt")
RESPONSE_TYPE = "vp_token"
LINK_SCHEME = "openid4vp"
"""§13.1.2: the custom scheme bound to a static set of Wallet metadata; §9 invocation."""
REQUEST_URI_METHODS = ("get", "post")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
_VISIBLE = re.compile(f"[\\x21-\\x7e]{{1,{MAX_IDENTIFIER_LENGTH}}}")
_R = Oid4vpReason.MALFORMED_REQUEST_OBJECT


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """The parameters of an Authorization Request (§5.1, §5.2), as signed or as verified.

    ``client_id`` is the full string with its prefix (§14.10). ``transaction_data`` holds
    the strings as sent: their hashes are what the KB-JWT must carry (B.3.3.1).
    """

    client_id: str
    response_uri: str
    response_mode: str
    nonce: str
    state: str | None
    dcql_query: dict[str, Any]
    client_metadata: dict[str, Any] | None = None
    transaction_data: tuple[str, ...] | None = None
    verifier_info: list[dict[str, Any]] | None = None
    response_type: str = RESPONSE_TYPE
    wallet_nonce: str | None = None

    def parameters(self) -> dict[str, Any]:
        """The request parameters as Request Object claims, without JWT claims."""
        claims: dict[str, Any] = {
            "client_id": self.client_id,
            "response_type": self.response_type,
            "response_mode": self.response_mode,
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "dcql_query": self.dcql_query,
        }
        optional = {
            "state": self.state,
            "client_metadata": self.client_metadata,
            "transaction_data": None
            if self.transaction_data is None
            else list(self.transaction_data),
            "verifier_info": self.verifier_info,
            "wallet_nonce": self.wallet_nonce,
        }
        claims.update({name: value for name, value in optional.items() if value is not None})
        return claims

    def to_claims(self, now: int, lifetime: int) -> dict[str, Any]:
        """Claims of a signed Request Object: ``iss`` (for JAR implementations, §5), ``aud``
        (§5.8, static discovery), ``iat`` and ``exp``, then the parameters."""
        if type(lifetime) is not int or lifetime <= 0:
            raise ValueError("lifetime is a positive number of seconds")
        return {
            "iss": self.client_id,
            "aud": SELF_ISSUED_AUDIENCE,
            "iat": now,
            "exp": now + lifetime,
            **self.parameters(),
        }


def _client_of(request: AuthorizationRequest) -> ClientId:
    """The request's client id, checked on the building side (a programming error if bad)."""
    if request.response_mode not in RESPONSE_MODES or request.response_type != RESPONSE_TYPE:
        raise ValueError("we build vp_token requests with direct_post or direct_post.jwt")
    try:
        return parse_client_id(request.client_id)
    except Rejected as exc:
        raise ValueError("the request's client_id is not one we can authenticate") from exc


def build_request_object(
    request: AuthorizationRequest,
    *,
    signer: JwsSigner,
    now: int,
    lifetime: int,
    x5c: Sequence[bytes] | None = None,
    kid: str | None = None,
) -> str:
    """The signed Request Object (RFC 9101 §4; §5: ``typ`` ``oauth-authz-req+jwt``).

    ``x5c`` are DER certificates, leaf first, written as standard base64 (RFC 7515 §4.1.6);
    ``x509_*`` clients need them. A ``decentralized_identifier`` client needs ``kid``, a DID
    URL of its DID (§5.9.3). ``redirect_uri`` clients cannot sign (§5.9.3): use
    ``build_unsigned_request_object``.
    """
    client = _client_of(request)
    if client.prefix is ClientIdPrefix.REDIRECT_URI:
        raise ValueError("redirect_uri requests cannot be signed (§5.9.3)")
    if client.prefix in (ClientIdPrefix.X509_SAN_DNS, ClientIdPrefix.X509_HASH) and not x5c:
        raise ValueError("x509 client identifiers need the x5c chain")
    if client.prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER and not (
        kid and kid.startswith(f"{client.value}#")
    ):
        raise ValueError("decentralized_identifier requests need a kid of the DID (§5.9.3)")
    if signer.alg is not JwsAlg.ES256:
        raise ValueError("request objects are signed with ES256")
    header: dict[str, Any] = {}
    if x5c:
        header["x5c"] = [base64.b64encode(der).decode("ascii") for der in x5c]
    if kid is not None:
        header["kid"] = kid
    claims = request.to_claims(now, lifetime)
    return sign_compact_jws(claims, key=signer, typ=REQUEST_OBJECT_TYP, extra_header=header)


def build_unsigned_request_object(request: AuthorizationRequest) -> str:
    """An unsigned (``alg: none``) Request Object, for ``redirect_uri`` clients only (§5.9.3).

    It carries no ``iat``/``exp``: anyone can rewrite an unsigned object, so a time in it
    would protect nothing.
    """
    if _client_of(request).prefix is not ClientIdPrefix.REDIRECT_URI:
        raise ValueError("only redirect_uri requests are unsigned (§5.9.3)")
    header = {"alg": "none", "typ": REQUEST_OBJECT_TYP}
    claims = {"iss": request.client_id, "aud": SELF_ISSUED_AUDIENCE, **request.parameters()}
    segments = (b64url_encode(dumps_compact(part).encode("utf-8")) for part in (header, claims))
    return ".".join(segments) + "."


def verify_request_object(
    token: object,
    *,
    expected_client_id: str | None,
    now: int,
    allow_unsigned: bool,
    did_resolver: KeyResolver | None = None,
    trust_roots: Sequence[x509.Certificate] | None = None,
    wallet_nonce: str | None = None,
    allow_http: bool = False,
    max_bytes: int = MAX_REQUEST_OBJECT_BYTES,
) -> AuthorizationRequest:
    """The Wallet's check of a Request Object; see the module docstring for the order.

    ``expected_client_id`` is the ``client_id`` of the link (None only for a request that
    came without one); ``wallet_nonce`` the one the Wallet sent in its POST (§5.10.1).
    ``allow_http`` admits an ``http`` response_uri for the development profile only.
    """
    if not isinstance(token, str):
        raise Rejected(JoseReason.MALFORMED_JWS)
    jws = parse_compact_jws(token, max_bytes=max_bytes)
    if not media_type_matches(jws.header.get("typ"), REQUEST_OBJECT_TYP):
        raise Rejected(JoseReason.TYP_MISMATCH)
    client = parse_client_id(_required_string(jws.payload, "client_id", MAX_URL_LENGTH))
    if expected_client_id is not None and client.full != expected_client_id:
        raise Rejected(Oid4vpReason.CLIENT_ID_MISMATCH)
    _authenticate(
        jws,
        client,
        now=now,
        allow_unsigned=allow_unsigned,
        did_resolver=did_resolver,
        trust_roots=trust_roots,
    )
    claims = jws.payload
    try:
        exp = numeric_date(claims, "exp")
    except Rejected:
        raise Rejected(_R) from None
    if exp is not None and now >= exp:
        raise Rejected(Oid4vpReason.REQUEST_EXPIRED)
    request = _read_parameters(claims, client, allow_http=allow_http)
    if wallet_nonce is not None and request.wallet_nonce != wallet_nonce:
        raise Rejected(Oid4vpReason.WALLET_NONCE_MISMATCH)
    return request


def _authenticate(
    jws: UnverifiedJws,
    client: ClientId,
    *,
    now: int,
    allow_unsigned: bool,
    did_resolver: KeyResolver | None,
    trust_roots: Sequence[x509.Certificate] | None,
) -> None:
    """§5.9.3 per prefix: ``redirect_uri`` unsigned by necessity, the others signed (ES256)."""
    alg = jws.header.get("alg")
    if client.prefix is ClientIdPrefix.REDIRECT_URI:
        if not allow_unsigned:
            raise Rejected(Oid4vpReason.UNSIGNED_REQUEST)
        if alg != "none":  # no key could verify it (§5.9.3), so a signature means nothing
            raise Rejected(JoseReason.ALG_NOT_ALLOWED)
        if jws.signature:
            raise Rejected(JoseReason.MALFORMED_JWS)
        if "crit" in jws.header:
            raise Rejected(JoseReason.UNSUPPORTED_HEADER)
        return
    if alg == "none":
        raise Rejected(Oid4vpReason.UNSIGNED_REQUEST)
    if alg != JwsAlg.ES256.value:  # refused before any certificate is parsed
        raise Rejected(JoseReason.ALG_NOT_ALLOWED)
    key = client_signing_key(
        client, jws.header, now=now, trust_roots=trust_roots, did_resolver=did_resolver
    )
    checked = check_header(jws.header, key=key, algorithms=(JwsAlg.ES256,), typ=REQUEST_OBJECT_TYP)
    verify_signature(jws, key=key, alg=checked)


def _read_parameters(
    claims: Mapping[str, Any], client: ClientId, *, allow_http: bool
) -> AuthorizationRequest:
    response_type = _required_string(claims, "response_type", MAX_IDENTIFIER_LENGTH)
    if response_type != RESPONSE_TYPE:
        raise Rejected(Oid4vpReason.UNSUPPORTED_RESPONSE_TYPE)
    response_mode = claims.get("response_mode")
    if response_mode not in RESPONSE_MODES:
        raise Rejected(Oid4vpReason.UNSUPPORTED_RESPONSE_MODE)
    if "redirect_uri" in claims:  # §8.2: MUST NOT be present with direct_post
        raise Rejected(_R)
    response_uri = _response_uri(claims, client, allow_http=allow_http)
    dcql_query = claims.get("dcql_query")
    if not isinstance(dcql_query, dict) or "scope" in claims:  # §5.1: one of the two
        raise Rejected(_R)
    return AuthorizationRequest(
        client_id=client.full,
        response_uri=response_uri,
        response_mode=str(response_mode),
        nonce=_url_safe(claims.get("nonce")),
        state=None if "state" not in claims else _url_safe(claims["state"]),
        dcql_query=dcql_query,
        client_metadata=_optional_object(claims, "client_metadata"),
        transaction_data=_transaction_data(claims, dcql_query),
        verifier_info=_verifier_info(claims),
        response_type=response_type,
        wallet_nonce=(
            None
            if "wallet_nonce" not in claims
            else _required_string(claims, "wallet_nonce", MAX_IDENTIFIER_LENGTH)
        ),
    )


def _required_string(claims: Mapping[str, Any], name: str, max_length: int) -> str:
    value = claims.get(name)
    if type(value) is not str or not value or len(value) > max_length:
        raise Rejected(_R)
    return value


def _url_safe(value: object) -> str:
    """§5.2: ``nonce`` and ``state`` hold only ASCII URL-safe characters."""
    if type(value) is not str or len(value) > MAX_IDENTIFIER_LENGTH:
        raise Rejected(_R)
    if not _URL_SAFE.fullmatch(value):
        raise Rejected(_R)
    return value


def _response_uri(claims: Mapping[str, Any], client: ClientId, *, allow_http: bool) -> str:
    """§8.2 ``response_uri``: an absolute URL; bound to the client id where the prefix says.

    ``redirect_uri:`` names the Response URI itself; ``x509_san_dns:`` requires its host to
    be the DNS name (§5.9.3: "the FQDN of the redirect_uri value MUST match"; we do not keep
    a list of clients trusted to choose freely). Other prefixes do not bind it.
    """
    value = read_url(claims.get("response_uri"), _R, allow_http=allow_http)
    host = urlsplit(value).hostname
    if client.prefix is ClientIdPrefix.REDIRECT_URI and value != client.value:
        raise Rejected(Oid4vpReason.RESPONSE_URI_NOT_BOUND)
    if client.prefix is ClientIdPrefix.X509_SAN_DNS and host != client.value.lower():
        raise Rejected(Oid4vpReason.RESPONSE_URI_NOT_BOUND)
    return value


def _optional_object(claims: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, dict):
        raise Rejected(_R)
    return value


def _transaction_data(
    claims: Mapping[str, Any], dcql_query: Mapping[str, Any]
) -> tuple[str, ...] | None:
    """§5.1: a non-empty array of strings, each decoded against the query's credential ids."""
    if "transaction_data" not in claims:
        return None
    items = claims["transaction_data"]
    if not isinstance(items, list) or not items or len(items) > MAX_TRANSACTION_DATA_ITEMS:
        raise Rejected(Oid4vpReason.MALFORMED_TRANSACTION_DATA)
    credentials = dcql_query.get("credentials")
    ids = {
        entry["id"]
        for entry in (credentials if isinstance(credentials, list) else [])
        if isinstance(entry, dict) and type(entry.get("id")) is str
    }
    for item in items:
        decode_transaction_data(item, credential_ids=ids)
    return tuple(items)


def _verifier_info(claims: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """§5.1 ``verifier_info``: non-empty array of {format, data, credential_ids?}."""
    if "verifier_info" not in claims:
        return None
    entries = claims["verifier_info"]
    if not isinstance(entries, list) or not entries or len(entries) > MAX_TRANSACTION_DATA_ITEMS:
        raise Rejected(_R)
    for entry in entries:
        if not isinstance(entry, dict) or type(entry.get("format")) is not str:
            raise Rejected(_R)
        if not isinstance(entry.get("data"), str | dict) or not entry["data"]:
            raise Rejected(_R)
        ids = entry.get("credential_ids", ["-"])
        if not isinstance(ids, list) or not ids or not all(type(i) is str and i for i in ids):
            raise Rejected(_R)
    return entries


# --- the link and the Request URI (§5.10, RFC 9101 §5.2) ------------------------------------


class RequestLink(NamedTuple):
    """What an authorization request link holds: who asks, and where the request is."""

    client_id: str
    request_uri: str
    request_uri_method: str | None


def authorization_request_link(
    *,
    client_id: str,
    request_uri: str,
    request_uri_method: str | None = None,
    scheme: str = LINK_SCHEME,
) -> str:
    """``openid4vp://?client_id=...&request_uri=...`` (§9 custom scheme, RFC 9101 §5.2).

    ``request_uri_method`` ``post`` invites the Wallet to POST its metadata and a
    ``wallet_nonce`` (§5.1, §5.10); ``get`` is the RFC 9101 default.
    """
    if request_uri_method not in (None, *REQUEST_URI_METHODS):
        raise ValueError("request_uri_method is get or post (§5.1)")
    pairs = [("client_id", client_id), ("request_uri", request_uri)]
    if request_uri_method is not None:
        pairs.append(("request_uri_method", request_uri_method))
    return f"{scheme}://?{urlencode(pairs, quote_via=quote, safe='')}"


def parse_authorization_request_link(
    link: object,
    *,
    allow_http: bool = False,
    schemes: Collection[str] = (LINK_SCHEME, "https"),
    max_bytes: int = MAX_LINK_BYTES,
) -> RequestLink:
    """Read a link or QR payload (the Wallet's first step), before anything is fetched.

    The scheme is ours (``openid4vp``) or ``https`` (a Wallet's universal link). The query has
    ``client_id`` (a prefix we support) and an ``https`` ``request_uri`` (RFC 9101 §5.2;
    ``http`` only with ``allow_http``), each once, no ``request`` beside it (RFC 9101 §5), and
    ``request_uri_method`` ``get`` or ``post`` when present (§5.1). Other parameters are
    ignored: the Wallet uses only those of the Request Object (§5.10.1). Anything else is
    ``MALFORMED_LINK``; an unsupported client id is refused here, before any fetch.
    """
    if type(link) is not str or len(link) > max_bytes or not link.isascii():
        raise Rejected(Oid4vpReason.MALFORMED_LINK)
    try:
        parts = urlsplit(link)
        pairs = parse_qsl(
            parts.query,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:  # includes UnicodeDecodeError and too many fields
        raise Rejected(Oid4vpReason.MALFORMED_LINK) from None
    if parts.scheme not in schemes or parts.fragment:
        raise Rejected(Oid4vpReason.MALFORMED_LINK)
    query = dict(pairs)
    if len(query) != len(pairs) or "request" in query:
        raise Rejected(Oid4vpReason.MALFORMED_LINK)
    method = query.get("request_uri_method")
    if method is not None and method not in REQUEST_URI_METHODS:
        raise Rejected(Oid4vpReason.MALFORMED_LINK)
    client_id = query.get("client_id")
    if not client_id:
        raise Rejected(Oid4vpReason.MALFORMED_LINK)
    parse_client_id(client_id)
    request_uri = read_url(
        query.get("request_uri"), Oid4vpReason.MALFORMED_LINK, allow_http=allow_http
    )
    return RequestLink(client_id, request_uri, method)


def request_uri_post_form(
    wallet_metadata: Mapping[str, Any] | None, wallet_nonce: str | None
) -> dict[str, str]:
    """The Wallet's POST to the ``request_uri`` (§5.10): ``wallet_metadata`` as JSON text."""
    form: dict[str, str] = {}
    if wallet_metadata is not None:
        form["wallet_metadata"] = dumps_compact(dict(wallet_metadata))
    if wallet_nonce is not None:
        form["wallet_nonce"] = wallet_nonce
    return form


def parse_request_uri_post(
    body: bytes, *, max_bytes: int = MAX_REQUEST_URI_POST_BYTES
) -> tuple[dict[str, Any] | None, str | None]:
    """The Verifier's reading of that POST (§5.10): ``(wallet_metadata, wallet_nonce)``.

    Both are OPTIONAL; other parameters are ignored (§5.10: "MUST ignore any unrecognized
    parameters"). ``wallet_metadata`` is a strict JSON object; ``wallet_nonce`` a non-empty
    bounded string of visible ASCII, which the Verifier echoes in the signed request.
    """
    malformed = Oid4vpReason.MALFORMED_REQUEST_URI_POST
    form = read_form(
        body,
        max_bytes=max_bytes,
        too_large=Oid4vpReason.REQUEST_URI_POST_TOO_LARGE,
        duplicate=malformed,
        malformed=malformed,
    )
    metadata: dict[str, Any] | None = None
    if "wallet_metadata" in form:
        try:
            metadata = loads_strict(form["wallet_metadata"])
        except Rejected:
            raise Rejected(malformed) from None
        if not isinstance(metadata, dict):
            raise Rejected(malformed)
    nonce = form.get("wallet_nonce")
    if nonce is not None and not _VISIBLE.fullmatch(nonce):
        raise Rejected(malformed)
    return metadata, nonce
