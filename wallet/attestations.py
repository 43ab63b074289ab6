"""The wallet service as wallet provider: wallet attestations and key attestations.

HAIP 1.0 §4.4.1 makes a wallet authenticate at the issuer's token (and PAR) endpoint with a
wallet attestation (OpenID4VCI 1.0 Appendix E) and §4.5.1 makes it vouch for its holder keys
with a key attestation (Appendix D). The service signs both with the provider key of its
``SigningIdentity`` (``runtime.dev_ca``; the chain travels in ``x5c``); the device signs
everything that proves possession, since the service never holds a private key of the
citizen's (DESIGN §1 wallet/):

* the PoP of the wallet attestation, with the *client instance key* the attestation's
  ``cnf`` names (:class:`ClientAttestationPop`);
* every ``jwt`` key proof, with its holder key, carrying the key attestation in its header
  (:class:`AttestedProofs`).

Both go through the two passes of ``wallet.device_signing``: ``collect_signing_requests``
with ``.build``, the inputs to the device, ``sign_with_device`` with ``.build`` again. Each
value is fixed (``jti``, ``iat``) before the first pass, so both passes build the same JWT.

The wallet service is the OAuth client at the issuer (``wallet.token_requests``): it makes the
client instance key itself, per issuance, and signs the PoPs with it (a key kept sealed with the
pending step and the batch's refresh grant), so the PAR, token and refresh requests need no
round trip to the device; a holder library on the citizen's own machine may pass a device key.

Unlinkability (HAIP §4.4.1: an individual attestation per issuer, nothing linkable across
issuance processes): the client instance key is generated for one issuance and never reused,
and it is never the account's device key; ``sub`` (the ``client_id``) names the
wallet solution and is the same for every citizen (OpenID4VCI §14.4.4, the wallet attestation
subject); the provider certificate in ``x5c`` is shared by all. So an issuer learns "a genuine
aanspraak wallet", and two issuers comparing notes find no common value.

What a key attestation claims: the keys the account's device sent over its authenticated
session (``wallet.device_auth``), and the ``key_storage`` and ``user_authentication`` levels
the operator configured for the devices it serves; a provider with real devices checks the
platform's own key attestation before it signs (Appendix D: it MUST verify its claims).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runtime.dev_ca import SigningIdentity, load_or_create_signing_identity
from runtime.settings import Profile
from specs.attestation import build_client_attestation, build_client_attestation_pop
from specs.attestation import build_key_attestation as sign_key_attestation
from specs.dpop import new_jti
from specs.jose import JwsSigner, PublicJwk
from specs.oid4vci.proof import build_jwt_proof
from wallet.settings import WalletSettings

WALLET_NAME = "aanspraak"


class WalletProvider:
    """Signs wallet and key attestations with the provider key; holds no citizen key."""

    def __init__(
        self,
        identity: SigningIdentity,
        *,
        identifier: str,
        client_id: str,
        lifetime: int,
        key_storage: Sequence[str],
        user_authentication: Sequence[str],
    ) -> None:
        if lifetime < 1:
            raise ValueError("attestations need a positive lifetime")
        self.identity = identity
        self.identifier = identifier
        """``iss`` of every attestation: the wallet provider."""
        self.client_id = client_id
        """``sub`` of every wallet attestation: the wallet solution, the same for everyone."""
        self._lifetime = lifetime
        self._key_storage = tuple(key_storage)
        self._user_authentication = tuple(user_authentication)

    def client_attestation_for(self, instance_key: PublicJwk, *, now: int) -> str:
        """A wallet attestation (Appendix E) binding ``instance_key``, a key the device made
        for one issuance; the device then signs the PoP with it."""
        return build_client_attestation(
            provider_key=self.identity.signer,
            x5c=self.identity.x5c,
            attester=self.identifier,
            client_id=self.client_id,
            instance_key=instance_key,
            now=now,
            lifetime=self._lifetime,
            wallet_name=WALLET_NAME,
        )

    def key_attestation_for(
        self, holder_keys: Sequence[PublicJwk], *, nonce: str | None, now: int
    ) -> str:
        """One key attestation (Appendix D.1) over all holder keys of one batch (HAIP §4.5.1
        asks for a single one), with the issuer's ``c_nonce`` when it has a Nonce Endpoint."""
        return sign_key_attestation(
            provider_key=self.identity.signer,
            x5c=self.identity.x5c,
            attested_keys=holder_keys,
            now=now,
            lifetime=self._lifetime,
            nonce=nonce,
            key_storage=self._key_storage,
            user_authentication=self._user_authentication,
            attester=self.identifier,
        )


def wallet_provider_from_settings(settings: WalletSettings, *, now: int) -> WalletProvider:
    """The provider of ``settings``: its key and chain files, created in development only."""
    identity = load_or_create_signing_identity(
        settings.provider_key_path,
        settings.provider_chain_path,
        development=settings.profile is Profile.DEVELOPMENT,
        subject="aanspraak wallet provider",
        uri=settings.public_url,
        now=now,
    )
    return WalletProvider(
        identity,
        identifier=settings.public_url,
        client_id=settings.public_url,
        lifetime=settings.attestation_ttl_seconds,
        key_storage=_levels(settings.attested_key_storage),
        user_authentication=_levels(settings.attested_user_authentication),
    )


def _levels(level: str | None) -> tuple[str, ...]:
    return () if level is None else (level,)


@dataclass(frozen=True, slots=True)
class ClientAttestationPop:
    """The PoP of one request to one authorization server, to be signed by the device.

    ``build`` takes one signer: the client instance key (pass 1 collecting, pass 2 the
    device's signature).
    """

    client_id: str
    audience: str
    jti: str
    issued_at: int
    challenge: str | None

    @classmethod
    def new(
        cls,
        *,
        client_id: str,
        audience: str,
        challenge: str | None,
        now: int,
        random_bytes: Callable[[int], bytes],
    ) -> ClientAttestationPop:
        """A PoP for ``audience`` (the issuer identifier of its authorization server)."""
        return cls(client_id, audience, new_jti(random_bytes), now, challenge)

    def build(self, signers: Sequence[JwsSigner]) -> str:
        (instance_key,) = signers
        return build_client_attestation_pop(
            instance_key=instance_key,
            client_id=self.client_id,
            audience=self.audience,
            jti=self.jti,
            now=self.issued_at,
            challenge=self.challenge,
        )


@dataclass(frozen=True, slots=True)
class AttestedProofs:
    """``jwt`` key proofs (F.1) for a batch, each carrying the batch's key attestation.

    ``build`` takes one signer per holder key, in the order the keys were attested.
    """

    audience: str
    nonce: str | None
    issued_at: int
    key_attestation: str
    client_id: str | None = None
    """The proofs' ``iss`` after the authorization code flow (F.1); None after anonymous
    pre-authorized access, where F.1 asks to omit it."""

    def build(self, signers: Sequence[JwsSigner]) -> list[str]:
        return [
            build_jwt_proof(
                holder_key=signer,
                audience=self.audience,
                nonce=self.nonce,
                now=self.issued_at,
                key_attestation=self.key_attestation,
                client_id=self.client_id,
            )
            for signer in signers
        ]
