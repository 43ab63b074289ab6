"""The token endpoint's work: a pre-authorized code (and tx_code) for an access token.

OID4VCI 1.0 §6 on top of RFC 6749 §5:

* the code is single use: one conditional UPDATE (``state = 'offered'``) decides between
  concurrent redemptions, so exactly one wins (THREATS: replayed / concurrently redeemed code);
* the tx_code is compared in constant time against its HMAC; each wrong one counts, and after
  ``tx_code_max_attempts`` the offer is locked for good (a 6-digit code would otherwise fall
  to 10^6 guesses);
* with a DPoP proof the access token is bound to its key (RFC 9449 §5); strict HAIP mode
  requires one (``issuer.dpop.token_request_key``);
* errors: an unknown, expired, used or locked code and a wrong tx_code are ``invalid_grant``
  (§6.3); a tx_code that is missing though required, or sent though not expected, is
  ``invalid_request`` (§6.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from issuer.codes import digest, new_bearer, same_digest, tx_code_digest
from issuer.context import IssuerContext
from issuer.storage import for_update
from issuer.tables import access_tokens, offers
from issuer.webhooks import enqueue
from runtime.wire import InvalidGrant, InvalidRequest, WireError
from specs.oid4vci import TokenRequest


@dataclass(frozen=True, slots=True)
class Grant:
    """A token response (RFC 6749 §5.1). ``token_type`` is ``DPoP`` when the access token is
    bound to the key of the request's DPoP proof (RFC 9449 §5), else ``Bearer``."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a token type name, not a secret
    refresh_token: str | None = None
    scope: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.scope is not None:
            body["scope"] = self.scope
        return body


async def redeem(context: IssuerContext, request: TokenRequest, *, jkt: str | None = None) -> Grant:
    """``jkt``: the DPoP key the access token is bound to (RFC 9449 §6), ``None`` for Bearer."""
    now = context.clock()
    settings = context.settings
    failure: WireError | None = None
    async with context.write() as connection:
        query = select(offers).where(offers.c.code_digest == digest(request.pre_authorized_code))
        if for_update(connection):
            query = query.with_for_update()
        offer = (await connection.execute(query)).first()
        if offer is None or offer.state != "offered" or offer.expires_at <= now:
            raise InvalidGrant("the pre-authorized code is invalid, used or expired")
        if offer.tx_code_digest is None:
            if request.tx_code is not None:
                raise InvalidRequest("tx_code was sent but this offer has none")
        elif request.tx_code is None:
            raise InvalidRequest("this offer requires a tx_code")
        else:
            keys = (context.tx_code_key, *context.retired_tx_code_keys)
            if not any(
                same_digest(
                    tx_code_digest(request.tx_code, key=key, offer_id=offer.id),
                    offer.tx_code_digest,
                )
                for key in keys
            ):
                attempts = offer.tx_attempts + 1
                locked = attempts >= settings.tx_code_max_attempts
                await connection.execute(
                    update(offers)
                    .where(offers.c.id == offer.id)
                    .values(
                        tx_attempts=attempts,
                        state="locked" if locked else "offered",
                        sealed_claims=None if locked else offer.sealed_claims,
                        sealed_offer=None if locked else offer.sealed_offer,
                    )
                )
                failure = InvalidGrant("the tx_code is wrong")
        if failure is None:
            claimed = await connection.execute(
                update(offers)
                .where(offers.c.id == offer.id, offers.c.state == "offered")
                .values(state="redeemed", redeemed_at=now, sealed_offer=None)
            )
            if claimed.rowcount != 1:
                raise InvalidGrant("the pre-authorized code is invalid, used or expired")
            ttl = settings.access_token_ttl_seconds
            if offer.deferred:  # the wallet polls the deferred endpoint with this token
                ttl = max(ttl, offer.expires_at - now)
            token = new_bearer()
            await connection.execute(
                access_tokens.insert().values(
                    digest=digest(token), offer_id=offer.id, expires_at=now + ttl, jkt=jkt
                )
            )
            await enqueue(
                connection,
                context,
                "offer.redeemed",
                {"offer_id": offer.id, "configuration_id": offer.configuration_id},
            )
    if failure is not None:  # raised after the commit, so the attempt is counted
        raise failure
    return Grant(token, ttl, token_type="Bearer" if jkt is None else "DPoP")
