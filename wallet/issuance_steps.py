"""The wallet's side of deferred issuance and of the Transaction Code (OpenID4VCI 1.0 §9,
§4.1.1, §6.1): the polling loop of a deferred credential, and the check of a tx_code before
it is sent. Split from ``issuance`` so the client class stays one readable flow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from specs.oid4vci import MAX_TX_CODE_LENGTH, CredentialResponse, TxCode
from wallet.issuance_dpop import DpopSession
from wallet.issuance_errors import IssuanceFailed, IssuanceReason
from wallet.issuance_exchange import (
    Exchange,
    error_code,
    pending_interval,
    read_credential_response,
)
from wallet.issuance_model import IssuanceLimits, RedeemedOffer

_R = IssuanceReason


async def poll_deferred(
    exchange: Exchange,
    redeemed: RedeemedOffer,
    deferral: CredentialResponse,
    dpop: DpopSession | None,
    *,
    limits: IssuanceLimits,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[CredentialResponse, int]:
    """Deferred Credential Requests (§9.1), waiting ``interval`` seconds before each; the
    credentials and how many polls it took.

    §9.2 answers a transaction still pending with HTTP 202 and the same
    ``transaction_id``; issuers following the drafts before 1.0 answer 400
    ``issuance_pending`` instead, which is treated the same way.
    """
    endpoint = redeemed.endpoints.deferred
    if endpoint is None:
        raise IssuanceFailed(_R.RESPONSE_REFUSED, cause="no-deferred-endpoint")
    transaction_id = deferral.transaction_id
    interval = deferral.interval or 1
    for poll in range(1, limits.deferred_polls + 1):
        if interval > limits.max_deferred_interval:
            raise IssuanceFailed(_R.DEFERRED_NOT_READY, cause="interval-too-long")
        await sleep(interval)
        status, body = await exchange.post(
            endpoint,
            json={"transaction_id": transaction_id},
            token=redeemed.access_token,
            dpop=dpop,
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


def tx_code_to_send(wanted: TxCode | None, given: str | None) -> str | None:
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
