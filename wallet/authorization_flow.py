"""The authorization code flow of OpenID4VCI 1.0 §3.4, as HAIP 1.0 §4 and §4.3 profile it,
and refresh (§13.5; HAIP §4.4).

::

    issuer (+ configuration) or offer ──> issuer checks ──> [trust] ──> PAR ──> authorization URL
                                   (code_flow=True)                    │           (browser)
                                                                       v
    redirect URL ──> state, iss (RFC 9207) ──> token: code + PKCE verifier + DPoP + attestation
                                                   ──> RedeemedOffer (refresh token kept)
    RedeemedOffer ──> token: refresh_token + same DPoP key ──> RedeemedOffer (fresh batch)

* **PAR only** (RFC 9126; HAIP §4.3): the request (``response_type=code``, ``client_id``,
  ``redirect_uri``, ``scope`` from the configuration's metadata, the PKCE ``S256``
  challenge, ``state``, ``issuer_state`` from an offer, ``login_hint``) goes to the
  server; the browser carries only ``client_id`` and ``request_uri``.
* **PKCE** (RFC 7636; HAIP §4): a random verifier per authorization; it leaves the wallet
  only in the token request.
* **state and iss**: the redirect must carry our ``state`` (RFC 6749 §10.12) and the
  issuer identifier of the server we asked (RFC 9207 §2.4: a wallet talking to several
  issuers is not mixed up); ``specs.oauth.parse_authorization_response`` decides. An
  ``error`` answer (``access_denied``) ends the authorization.
* **A replayed redirect** finds no pending authorization: the service forgets it when the
  token request is made, whatever its outcome, and the issuer spends its code once.
* **DPoP and the wallet attestation** on every token request (``token_requests``): the
  DPoP key is made at the start, so the tokens, including the refresh token, are bound to
  it; the same client instance key signs the PoPs at PAR, token and refresh.

``PendingAuthorization`` is plain data (it holds the PKCE verifier and private keys) that a
service keeps sealed between the two halves; nothing here stores anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from runtime.fetcher import SafeFetcher
from specs.errors import Rejected
from specs.jose import b64url_encode
from specs.oauth import (
    AUTHORIZATION_CODE_GRANT,
    REFRESH_TOKEN_GRANT,
    S256,
    code_challenge,
    parse_authorization_response,
)
from wallet.attestations import WalletProvider
from wallet.issuance_errors import IssuanceFailed, IssuanceReason
from wallet.issuance_exchange import Exchange, error_code
from wallet.issuance_model import RedeemedOffer
from wallet.issuer_discovery import CheckedIssuer, Endpoints, load_offer
from wallet.token_requests import (
    ClientAttestation,
    new_dpop,
    request_tokens,
    restore_attestation,
    restore_dpop,
)

_R = IssuanceReason
Clock = Callable[[], int]
MAX_REQUEST_URI_CHARS = 512


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """An authorization waiting for the browser: what the token request will need."""

    issuer: str
    configuration_id: str
    vct: str
    endpoints: Endpoints
    max_proofs: int
    client_id: str
    redirect_uri: str
    state: str
    code_verifier: str = field(repr=False)
    dpop_key: dict[str, str] = field(repr=False)
    dpop_nonce: str | None
    instance_key: dict[str, str] | None = field(repr=False)
    by_reference: bool
    checks: tuple[str, ...]
    key_attestations_required: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; the verifier and private keys are in it, so only ever store it sealed."""
        return {**asdict(self), "checks": list(self.checks)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingAuthorization:
        """The inverse of :meth:`as_dict` (for data this wallet sealed itself)."""
        return cls(
            **{**data, "endpoints": Endpoints(**data["endpoints"]), "checks": tuple(data["checks"])}
        )


@dataclass(frozen=True, slots=True)
class StartedAuthorization:
    """Where to send the browser, and what to keep until it comes back."""

    authorization_url: str
    pending: PendingAuthorization


def offer_for(issuer: str, configuration_id: str) -> dict[str, Any]:
    """Wallet-initiated issuance (HAIP §4): an offer without grants, made by the wallet,
    for ``load_offer`` to check as strictly as one an issuer sent."""
    return {"credential_issuer": issuer, "credential_configuration_ids": [configuration_id]}


async def push(
    exchange: Exchange,
    checked: CheckedIssuer,
    *,
    client_id: str,
    redirect_uri: str,
    login_hint: str | None,
    attestation: ClientAttestation | None,
    by_reference: bool,
    checks: tuple[str, ...],
    clock: Clock,
    random_bytes: Callable[[int], bytes],
) -> StartedAuthorization:
    """The pushed authorization request (RFC 9126 §2) and the browser's URL (§4)."""
    assert checked.scope is not None  # check_issuer(code_flow=True) made sure of these
    assert checked.endpoints.pushed_authorization is not None
    assert checked.endpoints.authorization is not None
    if attestation is not None:
        client_id = attestation.client_id  # HAIP §4.3: the attestation's sub
    verifier = b64url_encode(random_bytes(48))
    state = b64url_encode(random_bytes(24))
    dpop = new_dpop(checked.endpoints, clock=clock)
    assert dpop is not None  # require_code_flow refused a server without DPoP
    form = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": checked.scope,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": S256,
        "state": state,
        # RFC 9449 §10: the code is bound to this DPoP key, so a code that leaks from the
        # browser's redirect is worth nothing without it (the header would cost a nonce trip)
        "dpop_jkt": dpop[0].thumbprint,
    }
    if checked.offer.issuer_state is not None:
        form["issuer_state"] = checked.offer.issuer_state
    if login_hint is not None:
        form["login_hint"] = login_hint
    audience = checked.endpoints.authorization_server or checked.issuer
    headers = None if attestation is None else attestation.headers(audience, clock=clock)
    status, body = await exchange.post(
        checked.endpoints.pushed_authorization, form=form, headers=headers
    )
    request_uri = _request_uri(status, body)
    query = urlencode({"client_id": client_id, "request_uri": request_uri})
    pending = PendingAuthorization(
        issuer=checked.issuer,
        configuration_id=checked.configuration_id,
        vct=checked.vct,
        endpoints=checked.endpoints,
        max_proofs=checked.max_proofs,
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=verifier,
        dpop_key=dpop[1].to_jwk(),
        dpop_nonce=dpop[0].nonce,
        instance_key=None if attestation is None else attestation.instance_key.to_jwk(),
        by_reference=by_reference,
        checks=(*checks, *(("client-attestation",) if attestation else ())),
        key_attestations_required=checked.key_attestations,
    )
    return StartedAuthorization(_with_query(checked.endpoints.authorization, query), pending)


async def redeem_code(
    exchange: Exchange,
    pending: PendingAuthorization,
    redirect_url: str,
    *,
    provider: WalletProvider | None,
    clock: Clock,
) -> RedeemedOffer:
    """The redirect checked (module docstring), then the code for DPoP-bound tokens."""
    try:
        code = parse_authorization_response(
            redirect_url,
            issuer=pending.endpoints.authorization_server or pending.issuer,
            state=pending.state,
        )
    except Rejected as exc:
        raise IssuanceFailed(_R.AUTHORIZATION_REFUSED, cause=exc.reason.value) from None
    dpop = restore_dpop(pending.dpop_key, pending.dpop_nonce, clock=clock)
    attestation = restore_attestation(provider, pending.instance_key, pending.endpoints)
    form = {
        "grant_type": AUTHORIZATION_CODE_GRANT,
        "code": code,
        "redirect_uri": pending.redirect_uri,
        "client_id": pending.client_id,
        "code_verifier": pending.code_verifier,
    }
    tokens = await request_tokens(
        exchange,
        pending.endpoints,
        form,
        audience=pending.endpoints.authorization_server or pending.issuer,
        dpop=dpop,
        attestation=attestation,
        clock=clock,
    )
    assert dpop is not None
    return RedeemedOffer(
        issuer=pending.issuer,
        configuration_id=pending.configuration_id,
        vct=pending.vct,
        endpoints=pending.endpoints,
        max_proofs=pending.max_proofs,
        access_token=tokens.access_token,
        c_nonce=None,
        proof_time=clock(),
        by_reference=pending.by_reference,
        checks=(*pending.checks, "authorization-code", "dpop"),
        client_id=pending.client_id,
        dpop_key=pending.dpop_key,
        dpop_nonce=dpop.nonce,
        refresh_token=tokens.refresh_token,
        instance_key=None if attestation is None else attestation.instance_key.to_jwk(),
        key_attestations_required=pending.key_attestations_required,
    )


async def refresh(
    exchange: Exchange, grant: RedeemedOffer, *, provider: WalletProvider | None, clock: Clock
) -> RedeemedOffer:
    """A Refresh Token Request (RFC 6749 §6) with the grant's DPoP key (RFC 9449 §5: the
    refresh token is bound to it) and client instance key; the issuer rotates the token.

    An ``invalid_grant`` answer (spent, reused or expired: the issuer then ends the grant,
    RFC 9700 §4.14.2) is ``REFRESH_REFUSED``: the citizen must authorize again."""
    if grant.refresh_token is None:
        raise IssuanceFailed(_R.REFRESH_REFUSED, cause="no-refresh-token")
    dpop = restore_dpop(grant.dpop_key, grant.dpop_nonce, clock=clock)
    attestation = restore_attestation(provider, grant.instance_key, grant.endpoints)
    form = {"grant_type": REFRESH_TOKEN_GRANT, "refresh_token": grant.refresh_token}
    if grant.client_id is not None:
        form["client_id"] = grant.client_id
    try:
        tokens = await request_tokens(
            exchange,
            grant.endpoints,
            form,
            audience=grant.endpoints.authorization_server or grant.issuer,
            dpop=dpop,
            attestation=attestation,
            clock=clock,
        )
    except IssuanceFailed as failed:
        if failed.reason is _R.ISSUER_ERROR and failed.cause == "invalid_grant":
            raise IssuanceFailed(_R.REFRESH_REFUSED, cause="invalid_grant") from None
        raise
    checks = tuple(c for c in grant.checks if c != "key-attestation")
    return replace(
        grant,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or grant.refresh_token,
        dpop_nonce=dpop.nonce if dpop else None,
        nonce_renewals=0,
        key_attestation=None,
        checks=checks if "refresh" in checks else (*checks, "refresh"),
    )


def _request_uri(status: int, body: object) -> str:
    """RFC 9126 §2.2: 201 with a ``request_uri`` (and ``expires_in``)."""
    if status != 201:
        code = error_code(body)
        raise IssuanceFailed(_R.ISSUER_ERROR, cause=code if code else f"http-{status}")
    value = body.get("request_uri") if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REQUEST_URI_CHARS:
        raise IssuanceFailed(_R.RESPONSE_REFUSED, cause="par-response")
    if not value.isascii() or not value.isprintable():
        raise IssuanceFailed(_R.RESPONSE_REFUSED, cause="par-response")
    return value


def _with_query(url: str, query: str) -> str:
    """The authorization endpoint with our query (a query it has is kept, RFC 6749 §3.1)."""
    return f"{url}&{query}" if urlsplit(url).query else f"{url}?{query}"


class AuthorizationCodeFlow:
    """The code flow's half of ``wallet.issuance.IssuanceClient`` (which inherits it): the
    issuer checks, the trust check and the nonce are the client's."""

    _fetcher: SafeFetcher
    _exchange: Exchange
    _clock: Clock
    _allow_http: bool
    _provider: WalletProvider | None
    _random_bytes: Callable[[int], bytes]
    _check_issuer: Callable[..., Awaitable[tuple[CheckedIssuer, tuple[str, ...]]]]
    _nonce: Callable[[Endpoints], Awaitable[str | None]]

    async def start_authorization(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        issuer: str | None = None,
        configuration_id: str | None = None,
        offer: str | Mapping[str, Any] | None = None,
        login_hint: str | None = None,
    ) -> StartedAuthorization:
        """Up to the browser (HAIP §4.3): the issuer checks and the trust check first, then
        PAR with PKCE, ``state``, DPoP key and a wallet attestation.

        From ``issuer`` and ``configuration_id`` (wallet-initiated), or from an ``offer``
        (its ``issuer_state`` goes along). With a provider, ``client_id`` is the provider's
        (HAIP §4.3: the attestation's ``sub``), whatever is given.
        """
        if (issuer is None) == (offer is None):
            raise ValueError("give an issuer or an offer, not both")
        if issuer is not None:
            if configuration_id is None:
                raise ValueError("an issuer needs a configuration_id")
            offer = offer_for(issuer, configuration_id)
        assert offer is not None
        loaded, by_reference = await load_offer(self._fetcher, offer, allow_http=self._allow_http)
        checked, checks = await self._check_issuer(loaded, configuration_id, code_flow=True)
        attestation = ClientAttestation.new(self._provider, checked.endpoints)
        return await push(
            self._exchange,
            checked,
            client_id=client_id,
            redirect_uri=redirect_uri,
            login_hint=login_hint,
            attestation=attestation,
            by_reference=by_reference,
            checks=checks,
            clock=self._clock,
            random_bytes=self._random_bytes,
        )

    async def finish_authorization(
        self, pending: PendingAuthorization, redirect_url: str
    ) -> RedeemedOffer:
        """The redirect's ``state`` and ``iss`` (RFC 9207), then the Token Request with the
        PKCE verifier, DPoP and the wallet attestation, and a ``c_nonce``."""
        redeemed = await redeem_code(
            self._exchange, pending, redirect_url, provider=self._provider, clock=self._clock
        )
        return replace(redeemed, c_nonce=await self._nonce(redeemed.endpoints))

    async def refresh(self, grant: RedeemedOffer) -> RedeemedOffer:
        """New tokens for ``grant``'s refresh token, ready for a fresh batch (§13.5)."""
        redeemed = await refresh(self._exchange, grant, provider=self._provider, clock=self._clock)
        return replace(
            redeemed, c_nonce=await self._nonce(redeemed.endpoints), proof_time=self._clock()
        )
