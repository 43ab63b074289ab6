"""Credential Offers (OpenID4VCI 1.0 §4.1): built by the issuer, parsed strictly by the wallet.

The issuer side builds an offer for the Pre-Authorized Code Flow (§3.5) and turns it into a
link for the wallet's custom scheme ``openid-credential-offer://`` (§12.1), either by value
(``credential_offer``, §4.1.2) or by reference (``credential_offer_uri``, §4.1.3).

The wallet side treats every value in an offer as untrusted (§13.5): it checks the shape and
bounds here, before it fetches metadata and long before it sends a Transaction Code anywhere.
Unknown offer parameters and unknown grant types are ignored, as §4.1.1 requires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit

from specs.errors import Oid4vciReason, Rejected
from specs.jose import dumps_compact, loads_strict
from specs.oid4vci.fields import (
    optional_string,
    read_positive_int,
    read_string,
    read_string_array,
    read_url,
    require_object,
)

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT = "authorization_code"
OFFER_SCHEME = "openid-credential-offer://"
MAX_TX_CODE_LENGTH = 64
"""Bound on a Transaction Code (also applied to ``tx_code`` in the Token Request)."""
MAX_TX_CODE_DESCRIPTION = 300
"""§4.1.1: the ``description`` MUST NOT exceed 300 characters."""
MAX_PRE_AUTHORIZED_CODE_LENGTH = 512
MAX_ISSUER_STATE_LENGTH = 4096
DEFAULT_MAX_LINK_BYTES = 8192

_INPUT_MODES = ("numeric", "text")
_OFFER_PARAMETER = "credential_offer"
_OFFER_URI_PARAMETER = "credential_offer_uri"
_MAX_LINK_FIELDS = 8
_R = Oid4vciReason.MALFORMED_OFFER


@dataclass(frozen=True, slots=True)
class TxCode:
    """What the wallet should ask the End-User for (§4.1.1 ``tx_code``).

    ``length`` 0 means the offer states no length (the member is OPTIONAL); an issuer that
    builds an offer states the length it will check.
    """

    input_mode: Literal["numeric", "text"] = "numeric"
    length: int = 6
    description: str | None = None

    def __post_init__(self) -> None:
        if self.input_mode not in _INPUT_MODES:
            raise ValueError("tx_code input_mode is numeric or text (§4.1.1)")
        if type(self.length) is not int or not 0 <= self.length <= MAX_TX_CODE_LENGTH:
            raise ValueError(f"tx_code length is 0..{MAX_TX_CODE_LENGTH}")
        if self.description is not None and len(self.description) > MAX_TX_CODE_DESCRIPTION:
            raise ValueError("tx_code description exceeds 300 characters (§4.1.1)")

    def to_json(self) -> dict[str, Any]:
        """The ``tx_code`` object of an offer; ``length`` is left out when 0 (unstated)."""
        body: dict[str, Any] = {"input_mode": self.input_mode}
        if self.length:
            body["length"] = self.length
        if self.description is not None:
            body["description"] = self.description
        return body


def build_credential_offer(
    *,
    credential_issuer: str,
    configuration_ids: Sequence[str],
    pre_authorized_code: str,
    tx_code: TxCode | None,
) -> dict[str, Any]:
    """A Credential Offer object for the Pre-Authorized Code Flow (§4.1.1).

    ``configuration_ids`` must be a non-empty sequence of unique keys of the issuer's
    ``credential_configurations_supported``; ``tx_code`` None means no Transaction Code.
    """
    ids = [] if isinstance(configuration_ids, str) else list(configuration_ids)
    if not ids or len(set(ids)) != len(ids) or not all(ids):
        raise ValueError("configuration_ids: a non-empty array of unique strings (§4.1.1)")
    if not pre_authorized_code or len(pre_authorized_code) > MAX_PRE_AUTHORIZED_CODE_LENGTH:
        raise ValueError("pre_authorized_code must be a non-empty bounded string")
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code}
    if tx_code is not None:
        grant["tx_code"] = tx_code.to_json()
    return {
        "credential_issuer": credential_issuer,
        "credential_configuration_ids": ids,
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def offer_link(offer: Mapping[str, Any]) -> str:
    """``openid-credential-offer://?credential_offer=<percent-encoded compact JSON>`` (§4.1.2)."""
    return f"{OFFER_SCHEME}?{_OFFER_PARAMETER}={quote(dumps_compact(offer), safe='')}"


def offer_link_by_reference(offer_uri: str) -> str:
    """``openid-credential-offer://?credential_offer_uri=<percent-encoded URI>`` (§4.1.3)."""
    return f"{OFFER_SCHEME}?{_OFFER_URI_PARAMETER}={quote(offer_uri, safe='')}"


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    """A shape-checked offer. Nothing in it is trusted yet (§13.5)."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str | None
    tx_code: TxCode | None
    issuer_state: str | None
    authorization_server: str | None = None
    """The pre-authorized grant's hint (§4.1.1); it MUST be one of the servers the issuer's
    metadata lists, which only the wallet can check, once it has that metadata."""


def parse_credential_offer(obj: object, *, allow_http: bool = False) -> CredentialOffer:
    """Check a Credential Offer object (§4.1.1) as the wallet receives it.

    ``credential_issuer`` must be a Credential Issuer Identifier (§12.2.1);
    ``credential_configuration_ids`` a non-empty array of unique strings; ``grants``, when
    present, an object. Of the grants, the pre-authorized one needs a ``pre-authorized_code``
    string and may carry a ``tx_code`` object and an ``authorization_server`` URL; the
    authorization-code one may carry an ``issuer_state`` string. ``allow_http`` is for the
    development profile only.
    """
    offer = require_object(obj, _R)
    issuer = read_url(offer.get("credential_issuer"), _R, allow_http=allow_http, identifier=True)
    ids = read_string_array(offer.get("credential_configuration_ids"), _R)
    grants = require_object(offer.get("grants", {}), _R)
    code: str | None = None
    tx_code: TxCode | None = None
    server: str | None = None
    if PRE_AUTHORIZED_GRANT in grants:
        grant = require_object(grants[PRE_AUTHORIZED_GRANT], _R)
        code = read_string(
            grant.get("pre-authorized_code"), _R, max_length=MAX_PRE_AUTHORIZED_CODE_LENGTH
        )
        if "tx_code" in grant:
            tx_code = _parse_tx_code(grant["tx_code"])
        if "authorization_server" in grant:
            server = read_url(grant["authorization_server"], _R, allow_http=allow_http)
    issuer_state: str | None = None
    if AUTHORIZATION_CODE_GRANT in grants:
        grant = require_object(grants[AUTHORIZATION_CODE_GRANT], _R)
        issuer_state = optional_string(
            grant, "issuer_state", _R, max_length=MAX_ISSUER_STATE_LENGTH
        )
    return CredentialOffer(issuer, ids, code, tx_code, issuer_state, server)


def _parse_tx_code(value: object) -> TxCode:
    """§4.1.1 ``tx_code``: present (even empty) means a Transaction Code is required."""
    body = require_object(value, _R)
    mode = body.get("input_mode", "numeric")
    if mode not in _INPUT_MODES:
        raise Rejected(_R)
    length = 0
    if "length" in body:
        length = read_positive_int(body["length"], _R, maximum=MAX_TX_CODE_LENGTH)
    description = optional_string(body, "description", _R, max_length=MAX_TX_CODE_DESCRIPTION)
    return TxCode(
        input_mode="text" if mode == "text" else "numeric", length=length, description=description
    )


def parse_offer_link(
    link: str, *, max_bytes: int = DEFAULT_MAX_LINK_BYTES, allow_http: bool = False
) -> CredentialOffer | str:
    """Read a link or QR payload: the offer when sent by value, the URI when by reference.

    The link uses the ``openid-credential-offer`` scheme (§12.1) or ``https`` (a wallet's own
    Credential Offer Endpoint). Its query holds exactly one of ``credential_offer`` and
    ``credential_offer_uri`` (§4.1), once; other query parameters are ignored. The value is
    decoded as strict UTF-8 and strict JSON. A ``credential_offer_uri`` must be an ``https``
    URL (§4.1); fetching it is the edge's job, through the safe fetcher. Size comes first.
    """
    if not isinstance(link, str):
        raise Rejected(_R)
    if len(link.encode("utf-8", "surrogatepass")) > max_bytes:
        raise Rejected(Oid4vciReason.OFFER_TOO_LARGE)
    name, value = _offer_parameter(link, allow_http=allow_http)
    if name == _OFFER_URI_PARAMETER:
        return read_url(value, _R, allow_http=allow_http)
    return parse_credential_offer(loads_strict(value), allow_http=allow_http)


def _offer_parameter(link: str, *, allow_http: bool) -> tuple[str, str]:
    """The one offer parameter of the link's query (name, decoded value)."""
    if not link.isascii():
        raise Rejected(_R)
    schemes = {"openid-credential-offer", "https"} | ({"http"} if allow_http else set())
    try:
        parts = urlsplit(link)
        pairs = parse_qsl(
            parts.query,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=_MAX_LINK_FIELDS,
        )
    except ValueError:  # includes UnicodeDecodeError and too many fields
        raise Rejected(_R) from None
    if parts.scheme not in schemes or parts.fragment:
        raise Rejected(_R)
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise Rejected(Oid4vciReason.DUPLICATE_PARAMETER)
    found = [(n, v) for n, v in pairs if n in (_OFFER_PARAMETER, _OFFER_URI_PARAMETER)]
    if len(found) != 1:  # §4.1: one MUST NOT be present when the other is
        raise Rejected(_R)
    return found[0]
