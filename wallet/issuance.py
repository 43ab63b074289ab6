"""The holder library's OpenID4VCI 1.0 client: the Pre-Authorized Code Flow (§3.5).

::

    offer ──> issuer checks ──> [trust] ──> token (tx_code) ──> nonce ──> credential
              (issuer_discovery)                                   │          │ 202
                                                                   │    deferred polls (§9)
                                                                   v          v
                                               verify every credential (received) ──> store
                                                                                      ──> notify

* Nothing secret leaves the wallet before the issuer checks of ``issuer_discovery`` have
  passed and, when a trust check is configured, the issuer is trusted for the credential
  type: §13.6.2 recommends that a wallet sends a Transaction Code to trusted issuers only.
* One fresh holder key per credential instance (§8.2 ``proofs``; DESIGN §5 batches of
  one-time credentials); keys come from a ``HolderKeys`` source, so they can live in a
  device's secure hardware behind the ``JwsSigner`` protocol.
* Every credential is verified before anything is kept (``received``); then ``store`` runs,
  then the wallet tells the issuer ``credential_accepted`` (§11.1), or ``credential_failure``
  when verification or storing failed.
* GETs of URLs taken from the offer or the metadata go through ``SafeFetcher``; POSTs go to
  endpoints on the issuer's origin only, with a bounded answer.
* Tokens are DPoP-bound when the authorization server takes ES256 proofs (HAIP §4), and
  with a ``WalletProvider`` the token request carries a wallet attestation (HAIP §4.4.1)
  and every key proof the batch's key attestation (HAIP §4.5.1): ``token_requests``.
* The authorization code flow (HAIP §4.3: PAR, PKCE, ``iss``) and refresh are in
  ``authorization_flow`` (``start_authorization``, ``finish_authorization``, ``refresh``,
  which this client inherits); they end in the same :class:`RedeemedOffer` as ``redeem``.

Errors: ``IssuanceFailed(reason, cause)`` (``issuance_errors``); nothing else escapes
except ``ValueError`` for a programming error (a batch size below one).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Self

import httpx

from runtime.fetcher import FetchPolicy, SafeFetcher, default_tls_context
from runtime.storage_outage import is_storage_outage
from specs.jose import JwsSigner, PublicJwk
from specs.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    CredentialResponse,
    build_jwt_proof,
)
from wallet.attestations import AttestedProofs, WalletProvider
from wallet.authorization_flow import (
    AuthorizationCodeFlow,
    PendingAuthorization,
    StartedAuthorization,
)
from wallet.issuance_dpop import DpopSession
from wallet.issuance_errors import IssuanceFailed, IssuanceReason
from wallet.issuance_exchange import (
    Exchange,
    Notifier,
    TokenResponse,
    error_code,
    read_c_nonce,
    read_credential_response,
)
from wallet.issuance_model import (
    CHECKS,
    MAX_NONCE_RENEWALS,
    FreshKeys,
    HolderKeys,
    IssuanceLimits,
    IssuanceResult,
    IssuerTrust,
    NonceRenewed,
    RedeemedOffer,
    Store,
)
from wallet.issuance_steps import poll_deferred, tx_code_to_send
from wallet.issuer_discovery import CheckedIssuer, Endpoints, check_issuer, load_offer
from wallet.received import ReceivedCredential, check_credentials, issuer_keys
from wallet.token_requests import ClientAttestation, new_dpop, request_tokens, restore_dpop

__all__ = [
    "CHECKS",
    "FreshKeys",
    "HolderKeys",
    "IssuanceClient",
    "IssuanceFailed",
    "IssuanceLimits",
    "IssuanceReason",
    "IssuanceResult",
    "IssuerTrust",
    "NonceRenewed",
    "PendingAuthorization",
    "ReceivedCredential",
    "RedeemedOffer",
    "StartedAuthorization",
    "Store",
]

_R = IssuanceReason
DEFAULT_LIMITS = IssuanceLimits()


class IssuanceClient(AuthorizationCodeFlow):
    """Receives credentials for a holder; owns its fetcher and HTTP client (``async with``).

    ``transport`` replaces the network for both (an in-process issuer in tests). Plain
    ``http`` identifiers, endpoints and status list URIs are accepted only when ``policy``
    lists an ``http`` local origin (development profile, DESIGN §4), and the fetcher still
    reaches no other ``http`` origin. ``provider`` signs wallet and key attestations
    (``wallet.attestations``); without one none are sent.
    """

    def __init__(
        self,
        *,
        policy: FetchPolicy,
        clock: Callable[[], int],
        keys: HolderKeys | None = None,
        trust: IssuerTrust | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        limits: IssuanceLimits | None = None,
        provider: WalletProvider | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._fetcher = SafeFetcher(policy, transport=transport)
        self._exchange = Exchange(
            httpx.AsyncClient(
                transport=transport,
                verify=default_tls_context(),  # one per process, not one per request
                trust_env=False,
                follow_redirects=False,
                timeout=policy.timeout,
            ),
            timeout=policy.timeout,
            max_bytes=(limits or DEFAULT_LIMITS).max_response_bytes,
        )
        self._allow_http = any(o.lower().startswith("http:") for o in policy.allow_local_origins)
        self._clock = clock
        self._keys = keys or FreshKeys()
        self._trust = trust
        self._sleep = sleep
        self._limits = limits or DEFAULT_LIMITS
        self._provider = provider
        self._random_bytes = random_bytes

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._exchange.aclose()
        await self._fetcher.aclose()

    async def receive(
        self,
        offer: str | Mapping[str, Any],
        *,
        tx_code: str | None,
        store: Store,
        batch_size: int = 1,
        configuration_id: str | None = None,
    ) -> IssuanceResult:
        """Run the whole flow for ``offer`` (link, JSON text or object) and keep the result.

        ``tx_code`` is what the citizen received out of band (None when the offer asks for
        none); ``batch_size`` how many one-time instances to ask for, capped by the
        issuer's ``batch_size``; ``store`` keeps the result before the issuer is told.
        The keys come from this client's ``HolderKeys``; a service whose keys live on a
        device uses :meth:`redeem` and :meth:`collect` with two signing passes instead.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        redeemed = await self.redeem(offer, tx_code=tx_code, configuration_id=configuration_id)
        keys = [self._keys.new_key() for _ in range(min(batch_size, redeemed.max_proofs))]
        return await self.receive_redeemed(redeemed, keys, store=store)

    async def receive_redeemed(
        self, redeemed: RedeemedOffer, keys: Sequence[JwsSigner], *, store: Store
    ) -> IssuanceResult:
        """Key proofs with this client's keys (attested), the credentials, ``store``."""
        redeemed = self.attest_keys(redeemed, [key.public for key in keys])
        try:
            return await self.collect(redeemed, keys, store=store)
        except NonceRenewed as renewed:
            fresh = self.attest_keys(renewed.redeemed, [key.public for key in keys])
            return await self.collect(fresh, keys, store=store)

    async def redeem(
        self,
        offer: str | Mapping[str, Any],
        *,
        tx_code: str | None,
        configuration_id: str | None = None,
    ) -> RedeemedOffer:
        """Everything up to the key proofs: the offer, the issuer checks, the trust check,
        then (only then) the Token Request with the Transaction Code, and a ``c_nonce``."""
        offer_value, by_reference = await load_offer(
            self._fetcher, offer, allow_http=self._allow_http
        )
        checked, checks = await self._check_issuer(offer_value, configuration_id)
        code = tx_code_to_send(checked.offer.tx_code, tx_code)
        dpop = new_dpop(checked.endpoints, clock=self._clock)
        attestation = ClientAttestation.new(self._provider, checked.endpoints)
        tokens = await self._token(checked, code, dpop[0] if dpop else None, attestation)
        checks += (*(("tx-code-last",) if code else ()), *(("dpop",) if dpop else ()))
        checks += ("client-attestation",) if attestation else ()
        return RedeemedOffer(
            issuer=checked.issuer,
            configuration_id=checked.configuration_id,
            vct=checked.vct,
            endpoints=checked.endpoints,
            max_proofs=checked.max_proofs,
            access_token=tokens.access_token,
            c_nonce=await self._nonce(checked.endpoints),
            proof_time=self._clock(),
            by_reference=by_reference,
            checks=checks,
            dpop_key=dpop[1].to_jwk() if dpop else None,
            dpop_nonce=dpop[0].nonce if dpop else None,
            key_attestations_required=checked.key_attestations,
        )

    def attest_keys(self, redeemed: RedeemedOffer, keys: Sequence[PublicJwk]) -> RedeemedOffer:
        """``redeemed`` with one key attestation over all of ``keys`` (HAIP §4.5.1: a single
        one per batch) for its ``c_nonce``, when the issuer asks for key attestations
        (``key_attestations_required``, §12.2.4); unchanged otherwise or without a provider.
        Every proof carries it, so it is not sent unasked: a batch of 20 attested proofs
        outgrows an issuer's request limit. Call it again after a ``c_nonce`` renewal."""
        if self._provider is None or not redeemed.key_attestations_required:
            return redeemed
        attestation = self._provider.key_attestation_for(
            keys, nonce=redeemed.c_nonce, now=redeemed.proof_time
        )
        checks = redeemed.checks
        checks += () if "key-attestation" in checks else ("key-attestation",)
        return replace(redeemed, key_attestation=attestation, checks=checks)

    def proofs(self, redeemed: RedeemedOffer, keys: Sequence[JwsSigner]) -> list[str]:
        """One ``jwt`` key proof (F.1) per key, for ``redeemed``'s nonce and proof time,
        with its key attestation when :meth:`attest_keys` made one (HAIP §4.5.1) and the
        ``client_id`` as ``iss`` after the code flow (F.1: omitted after anonymous access).

        Deterministic in its arguments, so a device can sign in two passes
        (``wallet.device_signing``).
        """
        if redeemed.key_attestation is not None:
            attested = AttestedProofs(
                audience=redeemed.issuer,
                nonce=redeemed.c_nonce,
                issued_at=redeemed.proof_time,
                key_attestation=redeemed.key_attestation,
                client_id=redeemed.client_id,
            )
            return attested.build(keys)
        return [
            build_jwt_proof(
                holder_key=key,
                audience=redeemed.issuer,
                nonce=redeemed.c_nonce,
                now=redeemed.proof_time,
                client_id=redeemed.client_id,
            )
            for key in keys
        ]

    async def collect(
        self,
        redeemed: RedeemedOffer,
        keys: Sequence[JwsSigner],
        *,
        store: Store,
        proofs: Sequence[str] | None = None,
    ) -> IssuanceResult:
        """The Credential Request with one proof per key, verification, ``store``, notification.

        ``proofs`` are the key proofs already built (by a device in two passes); without
        them they are built here with ``keys``. An ``invalid_nonce`` answer (§8.3.1.2)
        raises :class:`NonceRenewed` with the offer under a fresh ``c_nonce``: the proofs
        must be signed again.
        """
        if not keys:
            raise ValueError("at least one holder key")
        dpop = restore_dpop(redeemed.dpop_key, redeemed.dpop_nonce, clock=self._clock)
        response = await self._request_credentials(
            redeemed, list(proofs) if proofs is not None else self.proofs(redeemed, keys), dpop
        )
        polls = 0
        if response.transaction_id is not None:
            response, polls = await poll_deferred(
                self._exchange,
                redeemed,
                response,
                dpop,
                limits=self._limits,
                sleep=self._sleep,
            )
        notify = Notifier(
            self._exchange,
            redeemed.endpoints.notification,
            redeemed.access_token,
            response.notification_id,
            dpop,
        )
        credentials = await self._verify(redeemed, response, keys, notify)
        result = IssuanceResult(
            redeemed.issuer,
            redeemed.configuration_id,
            redeemed.vct,
            credentials,
            redeemed.by_reference,
            polls,
            (*redeemed.checks, "signature", "iss", "vct", "cnf"),
            grant=_grant(redeemed, dpop),
        )
        try:
            await store(result)
        except Exception as error:
            # Any notification ends the issuer's redelivery (§11): a storage outage here is
            # ours and passing, the phone repeats the step and the issuer still holds the
            # batch for it; only a batch we cannot keep is a credential_failure.
            if not is_storage_outage(error):
                await notify("credential_failure")
            raise
        return replace(result, notified=await notify("credential_accepted"))

    async def _check_issuer(
        self, offer: CredentialOffer, configuration_id: str | None, *, code_flow: bool = False
    ) -> tuple[CheckedIssuer, tuple[str, ...]]:
        """``issuer_discovery``'s checks, then the trust check: all before the tx_code (or,
        in the code flow, before the pushed authorization request)."""
        checked = await check_issuer(
            self._fetcher,
            offer,
            configuration_id=configuration_id,
            allow_http=self._allow_http,
            code_flow=code_flow,
        )
        checks: tuple[str, ...] = ("offer", "issuer-metadata", "authorization-server")
        checks += ("same-origin",)
        if self._trust is None:
            return checked, checks
        try:
            await self._trust.check(checked.issuer, checked.vct)
        except Exception as exc:  # the protocol: any exception is a refusal
            raise IssuanceFailed(_R.ISSUER_NOT_TRUSTED) from exc
        return checked, (*checks, "trust")

    async def _verify(
        self,
        redeemed: RedeemedOffer,
        response: CredentialResponse,
        keys: Sequence[JwsSigner],
        notify: Notifier,
    ) -> tuple[ReceivedCredential, ...]:
        """``received``'s checks; a refused batch is reported as ``credential_failure``."""
        try:
            resolver = await issuer_keys(
                self._fetcher, redeemed.issuer, allow_http=self._allow_http
            )
            return check_credentials(
                response.credentials,
                holder_keys=keys,
                issuer_keys=resolver,
                vct=redeemed.vct,
                now=self._clock(),
                allow_http=self._allow_http,
            )
        except IssuanceFailed:
            await notify("credential_failure")
            raise

    async def _token(
        self,
        checked: CheckedIssuer,
        tx_code: str | None,
        dpop: DpopSession | None,
        attestation: ClientAttestation | None,
    ) -> TokenResponse:
        """Token Request of the Pre-Authorized Code Flow (§6.1): no ``client_id`` (§12.3),
        DPoP and a wallet attestation when there are (``token_requests``)."""
        assert checked.offer.pre_authorized_code is not None  # check_issuer refused None
        form = {"grant_type": PRE_AUTHORIZED_GRANT}
        form["pre-authorized_code"] = checked.offer.pre_authorized_code
        if tx_code is not None:
            form["tx_code"] = tx_code
        return await request_tokens(
            self._exchange,
            checked.endpoints,
            form,
            audience=checked.endpoints.authorization_server or checked.issuer,
            dpop=dpop,
            attestation=attestation,
            clock=self._clock,
        )

    async def _nonce(self, endpoints: Endpoints) -> str | None:
        """A fresh ``c_nonce`` (§7.2); no Nonce Endpoint means the issuer wants none (§7)."""
        if endpoints.nonce is None:
            return None
        status, body = await self._exchange.post(endpoints.nonce)
        return read_c_nonce(status, body)

    async def _request_credentials(
        self, redeemed: RedeemedOffer, proofs: list[str], dpop: DpopSession | None
    ) -> CredentialResponse:
        """Credential Request (§8.2) with one ``jwt`` proof per key (F.1)."""
        request = {
            "credential_configuration_id": redeemed.configuration_id,
            "proofs": {"jwt": proofs},
        }
        status, body = await self._exchange.post(
            redeemed.endpoints.credential, json=request, token=redeemed.access_token, dpop=dpop
        )
        renewable = redeemed.nonce_renewals < MAX_NONCE_RENEWALS
        if status == 400 and error_code(body) == "invalid_nonce" and renewable:
            raise NonceRenewed(
                replace(
                    redeemed,
                    c_nonce=await self._nonce(redeemed.endpoints),
                    proof_time=self._clock(),
                    nonce_renewals=redeemed.nonce_renewals + 1,
                    dpop_nonce=dpop.nonce if dpop else None,
                )
            )
        return read_credential_response(status, body, deferred=status == 202)


def _grant(redeemed: RedeemedOffer, dpop: DpopSession | None) -> RedeemedOffer | None:
    """What a refresh needs later (the refresh token, the DPoP key and its latest nonce),
    or None when the issuer gave no refresh token."""
    if redeemed.refresh_token is None:
        return None
    return replace(redeemed, dpop_nonce=dpop.nonce if dpop else redeemed.dpop_nonce)
