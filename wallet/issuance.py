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

Errors: ``IssuanceFailed(reason, cause)`` (``issuance_errors``); nothing else escapes
except ``ValueError`` for a programming error (a batch size below one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, Self

import httpx

from runtime.fetcher import FetchPolicy, SafeFetcher
from specs.jose import JwsSigner, generate_private_key
from specs.oid4vci import (
    MAX_TX_CODE_LENGTH,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    CredentialResponse,
    TxCode,
    build_jwt_proof,
)
from wallet.issuance_errors import IssuanceFailed, IssuanceReason
from wallet.issuance_exchange import (
    Exchange,
    Notifier,
    error_code,
    pending_interval,
    read_access_token,
    read_c_nonce,
    read_credential_response,
)
from wallet.issuer_discovery import CheckedIssuer, check_issuer, load_offer
from wallet.received import ReceivedCredential, check_credentials, issuer_keys

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
    "ReceivedCredential",
    "Store",
]

_R = IssuanceReason
CHECKS = {
    "offer": "offer read strictly; by reference through the safe fetcher (§4.1)",
    "issuer-metadata": "issuer metadata of the identical credential_issuer (§12.2.4)",
    "authorization-server": "authorization server metadata of the identical issuer "
    "(RFC 8414 §3.3), pre-authorized grant (§12.3)",
    "same-origin": "every endpoint on the credential issuer's origin",
    "trust": "issuer trusted for the credential type (§13.6.2)",
    "tx-code-last": "tx_code sent only after the checks above",
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


Store = Callable[[IssuanceResult], Awaitable[None]]


class IssuanceClient:
    """Receives credentials for a holder; owns its fetcher and HTTP client (``async with``).

    ``transport`` replaces the network for both (an in-process issuer in tests). Plain
    ``http`` identifiers, endpoints and status list URIs are accepted only when ``policy``
    lists an ``http`` local origin (development profile, DESIGN §4), and the fetcher still
    reaches no other ``http`` origin.
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
        limits: IssuanceLimits = IssuanceLimits(),
    ) -> None:
        self._fetcher = SafeFetcher(policy, transport=transport)
        self._exchange = Exchange(
            httpx.AsyncClient(
                transport=transport,
                trust_env=False,
                follow_redirects=False,
                timeout=policy.timeout,
            ),
            timeout=policy.timeout,
            max_bytes=limits.max_response_bytes,
        )
        self._allow_http = any(o.lower().startswith("http:") for o in policy.allow_local_origins)
        self._clock = clock
        self._keys = keys or FreshKeys()
        self._trust = trust
        self._sleep = sleep
        self._limits = limits

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
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        offer_value, by_reference = await load_offer(
            self._fetcher, offer, allow_http=self._allow_http
        )
        checked, checks = await self._check_issuer(offer_value, configuration_id)
        code = _tx_code_to_send(checked.offer.tx_code, tx_code)
        access_token = await self._token(checked, code)
        keys = [self._keys.new_key() for _ in range(min(batch_size, checked.max_proofs))]
        response = await self._request_credentials(checked, access_token, keys)
        polls = 0
        if response.transaction_id is not None:
            response, polls = await self._poll_deferred(checked, access_token, response)
        notify = Notifier(
            self._exchange, checked.endpoints.notification, access_token, response.notification_id
        )
        credentials = await self._verify(checked, response, keys, notify)
        result = IssuanceResult(
            checked.issuer,
            checked.configuration_id,
            checked.vct,
            credentials,
            by_reference,
            polls,
            (*checks, *(("tx-code-last",) if code else ()), "signature", "iss", "vct", "cnf"),
        )
        try:
            await store(result)
        except Exception:
            await notify("credential_failure")
            raise
        return replace(result, notified=await notify("credential_accepted"))

    async def _check_issuer(
        self, offer: CredentialOffer, configuration_id: str | None
    ) -> tuple[CheckedIssuer, tuple[str, ...]]:
        """``issuer_discovery``'s checks, then the trust check: all before the tx_code."""
        checked = await check_issuer(
            self._fetcher, offer, configuration_id=configuration_id, allow_http=self._allow_http
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
        checked: CheckedIssuer,
        response: CredentialResponse,
        keys: list[JwsSigner],
        notify: Notifier,
    ) -> tuple[ReceivedCredential, ...]:
        """``received``'s checks; a refused batch is reported as ``credential_failure``."""
        try:
            resolver = await issuer_keys(self._fetcher, checked.issuer, allow_http=self._allow_http)
            return check_credentials(
                response.credentials,
                holder_keys=keys,
                issuer_keys=resolver,
                vct=checked.vct,
                now=self._clock(),
                allow_http=self._allow_http,
            )
        except IssuanceFailed:
            await notify("credential_failure")
            raise

    async def _token(self, checked: CheckedIssuer, tx_code: str | None) -> str:
        """Token Request of the Pre-Authorized Code Flow (§6.1), anonymous (§12.3)."""
        assert checked.offer.pre_authorized_code is not None  # check_issuer refused None
        form = {"grant_type": PRE_AUTHORIZED_GRANT}
        form["pre-authorized_code"] = checked.offer.pre_authorized_code
        if tx_code is not None:
            form["tx_code"] = tx_code
        status, body = await self._exchange.post(checked.endpoints.token, form=form)
        return read_access_token(status, body)

    async def _nonce(self, checked: CheckedIssuer) -> str | None:
        """A fresh ``c_nonce`` (§7.2); no Nonce Endpoint means the issuer wants none (§7)."""
        if checked.endpoints.nonce is None:
            return None
        status, body = await self._exchange.post(checked.endpoints.nonce)
        return read_c_nonce(status, body)

    async def _request_credentials(
        self, checked: CheckedIssuer, access_token: str, keys: list[JwsSigner]
    ) -> CredentialResponse:
        """Credential Request (§8.2) with one ``jwt`` proof per key (F.1).

        An ``invalid_nonce`` answer (§8.3.1.2) is retried once with a new ``c_nonce``.
        """
        for attempt in (1, 2):
            nonce = await self._nonce(checked)
            proofs = [
                build_jwt_proof(
                    holder_key=key, audience=checked.issuer, nonce=nonce, now=self._clock()
                )
                for key in keys
            ]
            request = {
                "credential_configuration_id": checked.configuration_id,
                "proofs": {"jwt": proofs},
            }
            status, body = await self._exchange.post(
                checked.endpoints.credential, json=request, token=access_token
            )
            if status == 400 and error_code(body) == "invalid_nonce" and attempt == 1:
                continue
            break
        return read_credential_response(status, body, deferred=status == 202)

    async def _poll_deferred(
        self, checked: CheckedIssuer, access_token: str, deferral: CredentialResponse
    ) -> tuple[CredentialResponse, int]:
        """Deferred Credential Requests (§9.1), waiting ``interval`` seconds before each.

        §9.2 answers a transaction still pending with HTTP 202 and the same
        ``transaction_id``; issuers following the drafts before 1.0 answer 400
        ``issuance_pending`` instead, which is treated the same way.
        """
        endpoint = checked.endpoints.deferred
        if endpoint is None:
            raise IssuanceFailed(_R.RESPONSE_REFUSED, cause="no-deferred-endpoint")
        transaction_id = deferral.transaction_id
        interval = deferral.interval or 1
        for poll in range(1, self._limits.deferred_polls + 1):
            if interval > self._limits.max_deferred_interval:
                raise IssuanceFailed(_R.DEFERRED_NOT_READY, cause="interval-too-long")
            await self._sleep(interval)
            status, body = await self._exchange.post(
                endpoint, json={"transaction_id": transaction_id}, token=access_token
            )
            if status == 400 and error_code(body) == "issuance_pending":
                interval = pending_interval(body, interval)
                continue
            response = read_credential_response(status, body, deferred=status == 202)
            if response.transaction_id is None:
                return response, poll
            if response.transaction_id != transaction_id:  # §9.2: MUST be the same
                raise IssuanceFailed(_R.RESPONSE_REFUSED, cause="transaction-id-changed")
            interval = response.interval or interval
        raise IssuanceFailed(_R.DEFERRED_NOT_READY, cause="polls-exhausted")


def _tx_code_to_send(wanted: TxCode | None, given: str | None) -> str | None:
    """The Transaction Code for the Token Request (§4.1.1, §6.1).

    Required when the offer has a ``tx_code`` object (even an empty one); checked against
    its ``input_mode`` and ``length`` before it is sent. A code given for an offer that asks
    for none is not sent: §6.1 sends ``tx_code`` only when the offer asked for it.
    """
    if wanted is None:
        return None
    if not given:
        raise IssuanceFailed(_R.TX_CODE_REQUIRED)
    fits_mode = wanted.input_mode == "text" or (given.isascii() and given.isdigit())
    fits_length = len(given) == wanted.length if wanted.length else True
    if not fits_mode or not fits_length or len(given) > MAX_TX_CODE_LENGTH:
        raise IssuanceFailed(_R.TX_CODE_INVALID)
    return given
