"""Token requests as HAIP 1.0 §4 wants them: DPoP-bound, and with a wallet attestation.

Both flows (``wallet.issuance``'s pre-authorized code, ``wallet.authorization_flow``'s
authorization code and refresh) send their token requests through :func:`request_tokens`:

* **DPoP** (RFC 9449; HAIP §4: sender-constrained tokens): when the authorization server
  accepts ES256 proofs, the wallet makes a fresh key for the issuance (:func:`new_dpop`),
  every token request carries a proof with it, and the answer must be a ``DPoP`` token; the
  same key then signs the proofs at the credential, deferred and notification endpoints.
* **Client attestation** (OpenID4VCI 1.0 Appendix E; HAIP §4.3, §4.4.1): with a wallet
  provider, and a server that offers ``attest_jwt_client_auth`` (``authorization_server``),
  each request to the PAR and token endpoints carries the provider's wallet
  attestation for a client instance key made for this one issuance, and a PoP signed with
  that key (a new ``jti`` per attempt, so a retry for a DPoP nonce is not a replay). Nothing
  in either is shared between issuances, so two issuers cannot link them (§4.4.1).

The wallet service is the OAuth client here: the DPoP key and the instance key are its own,
made per issuance, and kept sealed under the citizen's vault key between steps; they bind
the issuer's tokens to this wallet, not credentials to the citizen (holder keys stay on the
device, DESIGN §1 wallet/).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from specs.attestation import ATTESTATION_HEADER, POP_HEADER
from specs.errors import Rejected
from specs.jose import PrivateJwk, generate_private_key, parse_private_jwk
from wallet.attestations import ClientAttestationPop, WalletProvider
from wallet.issuance_dpop import DpopSession
from wallet.issuance_errors import IssuanceFailed, IssuanceReason
from wallet.issuance_exchange import Exchange, TokenResponse, read_token_response
from wallet.issuer_discovery import Endpoints

Clock = Callable[[], int]
RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class ClientAttestation:
    """A wallet attestation source and the client instance key of one issuance."""

    provider: WalletProvider
    instance_key: PrivateJwk

    @classmethod
    def new(cls, provider: WalletProvider | None, endpoints: Endpoints) -> ClientAttestation | None:
        """A fresh instance key (never reused across issuances, HAIP §4.4.1), when there is a
        provider and the server offers attestation-based client authentication."""
        if provider is None or not endpoints.client_attestation:
            return None
        return cls(provider, generate_private_key())

    @property
    def client_id(self) -> str:
        """The attestation's ``sub``: what PAR and token requests name as ``client_id``."""
        return self.provider.client_id

    def headers(
        self, audience: str, *, clock: Clock, random_bytes: RandomBytes = os.urandom
    ) -> Callable[[], Mapping[str, str]]:
        """The two headers (Appendix E), made anew for each attempt of one request."""

        def make() -> Mapping[str, str]:
            now = clock()
            attestation = self.provider.client_attestation_for(self.instance_key.public, now=now)
            pop = ClientAttestationPop.new(
                client_id=self.client_id,
                audience=audience,
                challenge=None,
                now=now,
                random_bytes=random_bytes,
            ).build([self.instance_key])
            return {ATTESTATION_HEADER: attestation, POP_HEADER: pop}

        return make


def new_dpop(endpoints: Endpoints, *, clock: Clock) -> tuple[DpopSession, PrivateJwk] | None:
    """A DPoP session with a fresh key when the server takes ES256 proofs, else None."""
    if not endpoints.dpop:
        return None
    key = generate_private_key()
    return DpopSession(key, clock=clock), key


def restore_dpop(
    private_jwk: Mapping[str, str] | None, nonce: str | None, *, clock: Clock
) -> DpopSession | None:
    """The session of a redeemed offer the wallet sealed itself (None: Bearer tokens)."""
    if private_jwk is None:
        return None
    try:
        return DpopSession(parse_private_jwk(private_jwk), clock=clock, nonce=nonce)
    except Rejected:
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="dpop-key") from None


def restore_attestation(
    provider: WalletProvider | None, private_jwk: Mapping[str, str] | None, endpoints: Endpoints
) -> ClientAttestation | None:
    """The client attestation of a redeemed offer: its own instance key, or a fresh one
    when there was none (the provider was configured after the grant was made)."""
    if provider is None or not endpoints.client_attestation:
        return None
    if private_jwk is None:
        return ClientAttestation.new(provider, endpoints)
    try:
        return ClientAttestation(provider, parse_private_jwk(private_jwk))
    except Rejected:
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="instance-key") from None


async def request_tokens(
    exchange: Exchange,
    endpoints: Endpoints,
    form: Mapping[str, str],
    *,
    audience: str,
    dpop: DpopSession | None,
    attestation: ClientAttestation | None,
    clock: Clock,
) -> TokenResponse:
    """One Token Request (RFC 6749 §4.1.3, §6; OpenID4VCI §6.1) as the module docstring says."""
    headers = None if attestation is None else attestation.headers(audience, clock=clock)
    status, body = await exchange.post(endpoints.token, form=form, dpop=dpop, headers=headers)
    return read_token_response(status, body, dpop=dpop is not None)
