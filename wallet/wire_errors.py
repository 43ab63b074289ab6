"""The wallet service's error responses (DESIGN §3): RFC 9449 and RFC 6750 codes for device
proofs and sessions, our own fixed codes for the PIN, and one mapping table each for what the
holder library refuses while receiving or presenting.

Descriptions are fixed text chosen by code (a reason's slug at most): never the offer, the
link, a token, a claim value or the PIN.
"""

from __future__ import annotations

from types import MappingProxyType

from runtime.wire import InvalidRequest, WireError


class InvalidDpopProof(WireError):
    """RFC 9449 §7.1: the device proof is missing, malformed, stale, replayed or for another
    request. 401 with a ``DPoP`` challenge naming the algorithm we accept."""

    status_code = 401
    error = "invalid_dpop_proof"
    description = "invalid device proof"
    default_headers = MappingProxyType({"WWW-Authenticate": 'DPoP algs="ES256"'})


class InvalidSession(WireError):
    """RFC 6750 §3.1 ``invalid_token`` (in a DPoP challenge, RFC 9449 §7.1): the session is
    missing, expired, or not this device's; unlock with the PIN again."""

    status_code = 401
    error = "invalid_token"
    description = "unlock the wallet again"
    default_headers = MappingProxyType(
        {"WWW-Authenticate": 'DPoP algs="ES256", error="invalid_token"'}
    )


class UnknownDevice(WireError):
    """No account is bound to this device key: register first."""

    status_code = 401
    error = "unknown_device"
    description = "no account for this device key"
    default_headers = MappingProxyType({"WWW-Authenticate": 'DPoP algs="ES256"'})


class WrongPin(WireError):
    """The PIN does not open the vault; ``attempts_left`` says how many remain."""

    status_code = 401
    error = "wrong_pin"
    description = "wrong PIN"
    default_headers = MappingProxyType({"WWW-Authenticate": 'DPoP algs="ES256"'})


class AccountLocked(WireError):
    """Too many wrong PINs: the account is locked for good; restore a backup on a new one."""

    status_code = 403
    error = "account_locked"
    description = "too many wrong PINs: the account is locked"


class TryLater(WireError):
    """RFC 6585 §4: a PIN attempt too soon after a wrong one; ``Retry-After`` says when."""

    status_code = 429
    error = "try_later"
    description = "too many attempts: wait before trying again"


class AccountExists(WireError):
    """This device key already has an account."""

    status_code = 409
    error = "account_exists"
    description = "this device key already has an account"


class Refused(WireError):
    """The wallet refused the peer: an issuer or a desk broke a rule, or is not trusted.
    ``error_description`` is the rule's slug (``issuer-not-trusted``, ...)."""

    status_code = 422
    error = "refused"
    description = "refused"


class PeerUnreachable(WireError):
    """The issuer or the desk could not be reached or answered with an error."""

    status_code = 502
    error = "peer_failed"
    description = "the issuer or desk failed"


class BadSignatures(WireError):
    """The device's signatures do not complete the signing requests."""

    status_code = 400
    error = "invalid_signatures"
    description = "invalid device signatures"


class NoMatchingCredential(WireError):
    """OpenID4VP 1.0 §8.5 has ``access_denied`` for the desk; the device is told why."""

    status_code = 422
    error = "no_matching_credential"
    description = "no credential in the wallet answers this request"


__all__ = [
    "AccountExists",
    "AccountLocked",
    "BadSignatures",
    "InvalidDpopProof",
    "InvalidRequest",
    "InvalidSession",
    "NoMatchingCredential",
    "PeerUnreachable",
    "Refused",
    "TryLater",
    "UnknownDevice",
    "WrongPin",
]
