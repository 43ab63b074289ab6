"""Why the wallet refused or could not finish an OpenID4VCI 1.0 issuance.

::

    AanspraakError (specs.errors)
    └── IssuanceFailed(reason, cause=None)
          reason  an IssuanceReason: the step and the rule that stopped the flow
          cause   the slug underneath, when there is one: the ``Rejected`` reason of a
                  parser or verifier (``credential-issuer-mismatch``), the refusal of the
                  safe fetcher (``not-https``), or the wire code the issuer answered
                  (``invalid_grant``)

The message is ``reason`` and ``cause`` and nothing else: no URL, no code, no token, no
claim value (DESIGN §3), so it can be logged and shown to the citizen as it is. An issuance
that fails keeps nothing: no credential of the batch is returned or stored.
"""

from __future__ import annotations

import re
from enum import StrEnum

from specs.errors import AanspraakError

_WIRE_CODE = re.compile(r"[a-z0-9_]{1,64}")


class IssuanceReason(StrEnum):
    """One member per rule the holder library applies while receiving credentials."""

    OFFER_REFUSED = "offer-refused"
    """The offer is malformed (§4.1.1) or offers no Pre-Authorized Code grant."""
    FETCH_REFUSED = "fetch-refused"
    """The safe fetcher refused a URL taken from the offer or the metadata (DESIGN §4)."""
    METADATA_REFUSED = "issuer-metadata-refused"
    """Credential Issuer Metadata malformed, or its issuer not identical (§12.2.4)."""
    AUTHORIZATION_SERVER_REFUSED = "authorization-server-refused"
    """Authorization Server metadata malformed, not for that server (RFC 8414 §3.3), or
    without the anonymous Pre-Authorized Code grant (§12.3)."""
    FOREIGN_ENDPOINT = "foreign-endpoint"
    """An endpoint in the metadata is not on the Credential Issuer's origin."""
    CONFIGURATION_UNKNOWN = "configuration-unknown"
    """The configuration is not in the offer or not in the issuer's metadata (§4.1.1)."""
    UNSUPPORTED = "issuance-unsupported"
    """Valid, but not what we implement: another format or proof type, encryption (§10),
    or credential identifiers from the Token Response (§6.2)."""
    ISSUER_NOT_TRUSTED = "issuer-not-trusted"
    """The trust check refused this issuer for this credential type (§13.6.2)."""
    TX_CODE_REQUIRED = "tx-code-required"
    """The offer asks for a Transaction Code and none was given (§4.1.1, §6.1)."""
    TX_CODE_INVALID = "tx-code-invalid"
    """The given Transaction Code does not fit the offer's ``input_mode``/``length``."""
    ISSUER_UNREACHABLE = "issuer-unreachable"
    """A request to an endpoint failed on the network or timed out."""
    ISSUER_ERROR = "issuer-error"
    """An endpoint answered with an error; ``cause`` holds its wire code."""
    RESPONSE_REFUSED = "response-refused"
    """An endpoint's answer is not the message the protocol defines there."""
    CREDENTIAL_REFUSED = "credential-refused"
    """A credential failed verification (signature, format, issuer key: SD-JWT VC §3, §4)."""
    KEY_BINDING_MISMATCH = "key-binding-mismatch"
    """A credential is not bound to a key we proved, or two to the same key (§8.3)."""
    TYPE_MISMATCH = "credential-type-mismatch"
    """A credential's ``vct`` is not the one of the requested configuration."""
    DEFERRED_NOT_READY = "deferred-not-ready"
    """The deferred credential did not arrive within the allowed polls or wait (§9)."""
    AUTHORIZATION_REFUSED = "authorization-refused"
    """The authorization response is not for us: another ``state`` (RFC 6749 §10.12),
    another or no ``iss`` (RFC 9207 §2.4, mix-up), or an ``error`` such as
    ``access_denied``; ``cause`` holds the ``OAuthReason``."""
    REFRESH_REFUSED = "refresh-refused"
    """The issuer refused the refresh token (spent, reused, expired: OpenID4VCI §13.5,
    RFC 9700 §4.14.2), or the grant has none; the citizen must authorize again."""


class IssuanceFailed(AanspraakError):
    """The issuance stopped; ``reason`` says where and why, ``cause`` what lay beneath."""

    def __init__(self, reason: IssuanceReason, *, cause: str | None = None) -> None:
        super().__init__(reason.value if cause is None else f"{reason.value} ({cause})")
        self.reason = reason
        self.cause = cause


def wire_code(value: object) -> str:
    """An error code from an issuer's answer, if it looks like one (RFC 6749 §5.2 syntax);
    anything else becomes ``unknown``, so no peer-chosen text reaches a message or a log."""
    if isinstance(value, str) and _WIRE_CODE.fullmatch(value):
        return value
    return "unknown"
