"""What the OpenID4VCI client works with (``wallet.issuance``): where holder keys come from,
the trust check, the limits, the result, and an offer redeemed but not yet collected (plain
data a service keeps, sealed, while a device signs the key proofs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from specs.jose import JwsSigner, generate_private_key
from wallet.issuer_discovery import Endpoints
from wallet.received import ReceivedCredential

CHECKS = {
    "offer": "offer read strictly; by reference through the safe fetcher (§4.1)",
    "issuer-metadata": "issuer metadata of the identical credential_issuer (§12.2.4)",
    "authorization-server": "authorization server metadata of the identical issuer "
    "(RFC 8414 §3.3), pre-authorized grant (§12.3)",
    "same-origin": "every endpoint on the credential issuer's origin",
    "trust": "issuer trusted for the credential type (§13.6.2)",
    "tx-code-last": "tx_code sent only after the checks above",
    "authorization-code": "authorization code flow: PAR, PKCE S256, state and iss of the "
    "redirect checked (HAIP §4.3, RFC 9207)",
    "dpop": "access and refresh tokens bound to a DPoP key (RFC 9449; HAIP §4)",
    "client-attestation": "wallet attestation sent at PAR and token endpoint (HAIP §4.4.1)",
    "key-attestation": "holder keys vouched for by a key attestation (HAIP §4.5.1)",
    "refresh": "a fresh batch for a refresh token (OpenID4VCI §13.5; HAIP §4.4)",
    "signature": "issuer signature with keys of /.well-known/jwt-vc-issuer (SD-JWT VC §4)",
    "iss": "iss identical to the credential issuer (SD-JWT VC §4.3)",
    "vct": "vct of the requested configuration",
    "cnf": "cnf.jwk of each instance is its own proof key (§8.3)",
}
"""What ``IssuanceResult.checks`` may list, keyed by slug."""


class HolderKeys(Protocol):
    """Where holder keys come from: one new ES256 key per credential instance (F.1 proofs).

    A device's secure hardware fits behind it: the library only calls ``sign`` on a key.
    """

    def new_key(self) -> JwsSigner: ...


class FreshKeys:
    """Keys generated in this process (ES256), for a holder library on the citizen's machine."""

    def new_key(self) -> JwsSigner:
        return generate_private_key()


class IssuerTrust(Protocol):
    """Is ``issuer`` allowed to issue ``vct``? Raises (anything) to refuse; the trust registry
    plugs in here."""

    async def check(self, issuer: str, vct: str) -> None: ...


@dataclass(frozen=True, slots=True)
class IssuanceLimits:
    """Bounds on what an issuer can make the wallet do or read."""

    max_response_bytes: int = 2 * 1024 * 1024
    deferred_polls: int = 10
    """How often the Deferred Credential Endpoint is asked before giving up (§9)."""
    max_deferred_interval: int = 300
    """Longest wait (seconds) between polls; an issuer asking for more is not waited for."""


@dataclass(frozen=True, slots=True)
class IssuanceResult:
    """What the wallet received: verified credentials, one holder key each."""

    credential_issuer: str
    configuration_id: str
    vct: str
    credentials: tuple[ReceivedCredential, ...]
    by_reference: bool
    deferred_polls: int
    checks: tuple[str, ...]
    notified: bool = False
    """Whether the issuer acknowledged ``credential_accepted`` (§11.2)."""
    grant: RedeemedOffer | None = field(default=None, repr=False)
    """What a refresh of this batch needs (``IssuanceClient.refresh``), when the issuer
    gave a refresh token: keep it sealed, it holds the token and the DPoP key."""


Store = Callable[[IssuanceResult], Awaitable[None]]

MAX_NONCE_RENEWALS = 1
"""How often an ``invalid_nonce`` answer is met with a fresh ``c_nonce`` (§8.3.1.2)."""


@dataclass(frozen=True, slots=True)
class RedeemedOffer:
    """An offer whose issuer passed every check and whose code was redeemed: what the key
    proofs and the Credential Request need, as plain data a service can keep (sealed)
    while a device signs the proofs.

    After the authorization code flow (``wallet.authorization_flow``) it also holds what a
    later refresh needs: the DPoP key the tokens are bound to (a private JWK), the last
    ``DPoP-Nonce``, the refresh token, the ``client_id`` and the client instance key of the
    wallet attestation. The secrets are left out of ``repr``; never log ``as_dict``.
    """

    issuer: str
    configuration_id: str
    vct: str
    endpoints: Endpoints
    max_proofs: int
    access_token: str = field(repr=False)
    c_nonce: str | None
    proof_time: int
    by_reference: bool
    checks: tuple[str, ...]
    nonce_renewals: int = 0
    client_id: str | None = None
    """Who the wallet said it is (code flow); key proofs then carry it as ``iss`` (F.1)."""
    dpop_key: dict[str, str] | None = field(default=None, repr=False)
    """The private JWK the tokens are bound to (RFC 9449); None for Bearer tokens."""
    dpop_nonce: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    instance_key: dict[str, str] | None = field(default=None, repr=False)
    """The private client instance key of the wallet attestation (HAIP §4.4.1)."""
    key_attestation: str | None = field(default=None, repr=False)
    """The key attestation the proofs carry (HAIP §4.5.1), made for the batch's keys."""
    key_attestations_required: bool = False
    """The issuer's metadata asks for key attestations in ``jwt`` proofs (§12.2.4)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; tokens and private keys are in it, so only ever store it sealed."""
        return {
            "issuer": self.issuer,
            "configuration_id": self.configuration_id,
            "vct": self.vct,
            "endpoints": asdict(self.endpoints),
            "max_proofs": self.max_proofs,
            "access_token": self.access_token,
            "c_nonce": self.c_nonce,
            "proof_time": self.proof_time,
            "by_reference": self.by_reference,
            "checks": list(self.checks),
            "nonce_renewals": self.nonce_renewals,
            "client_id": self.client_id,
            "dpop_key": self.dpop_key,
            "dpop_nonce": self.dpop_nonce,
            "refresh_token": self.refresh_token,
            "instance_key": self.instance_key,
            "key_attestation": self.key_attestation,
            "key_attestations_required": self.key_attestations_required,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RedeemedOffer:
        """The inverse of :meth:`as_dict` (for data this wallet sealed itself)."""
        return cls(
            **{**data, "endpoints": Endpoints(**data["endpoints"]), "checks": tuple(data["checks"])}
        )


class NonceRenewed(Exception):
    """The issuer refused the proofs' ``c_nonce``; ``redeemed`` carries a fresh one."""

    def __init__(self, redeemed: RedeemedOffer) -> None:
        super().__init__("c_nonce renewed: sign the key proofs again")
        self.redeemed = redeemed
