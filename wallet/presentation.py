"""The holder library's OpenID4VP 1.0 responder: from a desk's link to a posted answer.

::

    link ──> request object (request_uri, GET) ──> verify (signature, client id prefix,
             response_uri binding) ──> trust registry: may this desk ask these claims for
             this regulation? ──> DCQL match ──> consent preview ──> present (KB-JWT with
             nonce, aud, transaction_data_hashes) ──> direct_post / direct_post.jwt

* The request object is fetched through ``SafeFetcher`` (the link is untrusted input) and
  verified before anything is matched (``specs.oid4vp.verify_request_object``).
* The desk must be registered for the regulation named in the purpose and for every claim
  the query asks (``check_verifier``): an over-asking desk is refused before the citizen is
  even asked (THREATS: over-asking verifiers).
* The consent preview says who asks, which claims, why (regulation and legal basis), and
  what will not be shared; nothing is sent without ``consent=True``.
* The answer goes to the request's ``response_uri`` only (bound to the desk's client
  identifier by the request's signature), through the safe fetcher (its URL and
  connect-time address checks: a request object cannot aim the wallet service at an
  internal address), without following redirects, with a bounded reply; encrypted to the
  desk's key when it asked for ``direct_post.jwt``.
* Exactly one transaction data item, of the desk-purpose type, is signed (§5.1: an unknown
  type is refused), so the KB-JWT never covers anything the preview did not show.

This is the part of the wallet the desk's flow needs; key management in secure hardware,
one-time instance bookkeeping and the disclosure log come with the wallet service.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import httpx

from runtime.fetch_guard import FetchRefused
from runtime.fetcher import FetchPolicy, SafeFetcher
from specs.errors import Oid4vpReason, Rejected
from specs.jose import JwsSigner, b64url_encode, loads_strict, parse_compact_jws
from specs.oid4vp.dcql import DcqlQuery, parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.oid4vp.haip import HAIP_ENC_PREFERENCE, check_haip_request, check_haip_signer
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.request_object import (
    AuthorizationRequest,
    parse_authorization_request_link,
    request_uri_post_form,
    verify_request_object,
)
from specs.oid4vp.response import direct_post_form, direct_post_jwt_form, response_payload
from specs.oid4vp.transaction_data import decode_transaction_data, transaction_data_hash
from specs.oid4vp.trusted_authorities import x5c_key_identifiers
from specs.rules.dcql import PURPOSE_TYPE
from specs.sd_jwt import open_sd_jwt, present_sd_jwt
from specs.trust import check_verifier
from trust.registry import TrustRegistry

REQUEST_OBJECT_TYPE = "application/oauth-authz-req+jwt"
WALLET_NONCE_BYTES = 16
WALLET_METADATA = {
    "vp_formats_supported": {
        "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
    },
    "request_object_signing_alg_values_supported": ["ES256"],
    "response_modes_supported": ["direct_post", "direct_post.jwt"],
}
"""What this wallet tells a desk that asks (§5.10.1, Appendix of wallet metadata)."""


class DeskUnreachable(Exception):
    """The answer could not be delivered to the ``response_uri``: the safe fetcher's reason
    (an address it may not reach, a timeout, a reply too large)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class HeldCredential:
    """A credential the holder keeps, and the key its ``cnf`` names."""

    token: str
    holder_key: JwsSigner
    """The key itself, or (in the wallet service) a stand-in for a key on the device."""
    vct: str


@dataclass(frozen=True)
class ConsentPreview:
    """What the citizen is shown before anything leaves the wallet."""

    verifier: str
    verifier_name: str | None
    regulation: str
    legal_basis: dict[str, Any]
    shared: list[tuple[str, tuple[str | int, ...]]]
    """(credential type, claim path) of every claim that would be disclosed."""
    withheld: list[tuple[str, tuple[str | int, ...]]]
    """Claims of the same credentials that stay in the wallet."""


@dataclass(frozen=True)
class FetchedRequest:
    """A request object as the desk served it, not yet checked: what a service keeps while
    the citizen looks at the preview, to check it again before answering."""

    client_id: str
    request_object: str
    wallet_nonce: str | None = None
    """The nonce this wallet POSTed to the ``request_uri`` (§5.10.1); the request object must
    carry it back, so a request object captured from another session is refused."""


@dataclass(frozen=True)
class OpenedRequest:
    request: AuthorizationRequest
    purpose: dict[str, Any]
    preview: ConsentPreview
    selection: dict[str, list[tuple[int, tuple[tuple[str | int, ...], ...]]]]


class PresentationClient:
    """Answers desks for one holder; owns its fetcher and HTTP client (``async with``)."""

    def __init__(
        self,
        *,
        policy: FetchPolicy,
        trust: TrustRegistry,
        clock: Callable[[], int],
        transport: httpx.AsyncBaseTransport | None = None,
        haip: bool = False,
    ) -> None:
        """``haip``: strict HAIP 1.0 mode, a request outside the profile is refused
        (``specs.oid4vp.haip``)."""
        self._fetcher = SafeFetcher(policy, transport=transport)
        self._haip = haip
        self._allow_http = any(o.lower().startswith("http:") for o in policy.allow_local_origins)
        self._trust = trust
        self._clock = clock

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self._fetcher.aclose()

    async def open(self, link: str, held: Sequence[HeldCredential]) -> OpenedRequest:
        """Fetch and check the request, check the desk, match, and build the preview."""
        return self.examine(await self.fetch_request(link), held)

    async def fetch_request(self, link: str) -> FetchedRequest:
        """The request object of an ``openid4vp://`` link, fetched by ``request_uri`` (§5.10).

        With ``request_uri_method=post`` the wallet POSTs its metadata and a fresh
        ``wallet_nonce`` (§5.10.1) through the safe fetcher, and the request object must
        carry that nonce back; otherwise it GETs the ``request_uri``.
        """
        client_id, request_uri, method = parse_authorization_request_link(
            link, allow_http=self._allow_http
        )
        if method == "post":
            wallet_nonce = b64url_encode(os.urandom(WALLET_NONCE_BYTES))
            form = request_uri_post_form(WALLET_METADATA, wallet_nonce)
            try:
                answered = await self._fetcher.post_form(request_uri, form)
            except FetchRefused:
                raise Rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT) from None
            media_type = answered.content_type or ""
            if answered.status != 200 or media_type != REQUEST_OBJECT_TYPE:
                raise Rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT)
            body = answered.body.decode("ascii", errors="replace")
            return FetchedRequest(client_id, body, wallet_nonce)
        try:
            fetched = await self._fetcher.get(request_uri, accept=REQUEST_OBJECT_TYPE)
        except FetchRefused:
            raise Rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT) from None
        return FetchedRequest(client_id, fetched.body.decode("ascii", errors="replace"))

    def verify(self, fetched: FetchedRequest) -> AuthorizationRequest:
        """The request object's signature, client identifier prefix rules and ``response_uri``
        binding (§5, §5.9.3); ``Rejected`` when any fails."""
        request = verify_request_object(
            fetched.request_object,
            expected_client_id=fetched.client_id,
            now=self._clock(),
            allow_unsigned=False,
            allow_http=self._allow_http,
            wallet_nonce=fetched.wallet_nonce,
        )
        if self._haip:
            check_haip_request(request)
            check_haip_signer(parse_compact_jws(fetched.request_object).header.get("x5c"))
        return request

    def describe(self, fetched: FetchedRequest) -> ConsentPreview:
        """Who asks, for which regulation and legal basis, checked against the registry,
        without matching: what the citizen sees when the wallet holds nothing that answers
        (they may still say no, so the desk cannot tell "nothing to show" from "no")."""
        request, _query, purpose = self._checked(fetched)
        return _preview(request, purpose, [], [])

    def _checked(
        self, fetched: FetchedRequest
    ) -> tuple[AuthorizationRequest, DcqlQuery, dict[str, Any]]:
        """Verify the request object, then the desk's registration for every claim asked."""
        now = self._clock()
        request = self.verify(fetched)
        query = parse_dcql_query(request.dcql_query)
        purpose = _purpose(request, [c.id for c in query.credentials])
        snapshot = self._trust.snapshot(now=now)
        paths = [claim.path for credential in query.credentials for claim in credential.claims]
        check_verifier(
            snapshot,
            client_id=request.client_id,
            regulation=str(purpose["regulation"]),
            claims=paths,
            now=max(now, snapshot.as_of),
        )
        return request, query, purpose

    def examine(self, fetched: FetchedRequest, held: Sequence[HeldCredential]) -> OpenedRequest:
        """Verify the request object, check the desk's registration, match the query against
        ``held`` and build the consent preview; raises ``Rejected`` at the first failure."""
        request, query, purpose = self._checked(fetched)
        views = [open_sd_jwt(h.token) for h in held]
        candidates = [
            HeldForQuery(
                i,
                "dc+sd-jwt",
                h.vct,
                views[i].processed.claims,
                x5c_key_identifiers(parse_compact_jws(views[i].issuer_jwt).header),
            )
            for i, h in enumerate(held)
        ]
        chosen = select_credentials(query, candidates)
        selection = {
            query_id: [(int(str(s.ref)), s.disclose) for s in selections]
            for query_id, selections in chosen.items()
        }
        shared = [
            (held[index].vct, path)
            for picks in selection.values()
            for index, disclose in picks
            for path in disclose
        ]
        withheld: list[tuple[str, tuple[str | int, ...]]] = [
            (held[index].vct, path)
            for picks in selection.values()
            for index, disclose in picks
            for path in sorted(
                {tuple(p) for p in views[index].processed.revealed_paths.values()}, key=str
            )
            if len(path) == 1 and path not in disclose
        ]
        return OpenedRequest(
            request, purpose, _preview(request, purpose, shared, withheld), selection
        )

    async def respond(
        self,
        opened: OpenedRequest,
        held: Sequence[HeldCredential],
        *,
        consent: bool,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Post the presentation (or, without consent, ``access_denied``); the desk's reply."""
        if not consent:
            return await self.decline(opened)
        return await self.post_vp_token(
            opened, self.vp_token(opened, held, now=self._clock() if now is None else now)
        )

    async def decline(self, request: OpenedRequest | AuthorizationRequest) -> dict[str, Any]:
        """Tell the desk the citizen said no (``access_denied``, RFC 6749 §4.1.2.1)."""
        if isinstance(request, OpenedRequest):
            request = request.request
        return await self._post(request, {"error": "access_denied"})

    async def post_vp_token(
        self, opened: OpenedRequest, vp_token: dict[str, list[str]]
    ) -> dict[str, Any]:
        """Send a ``vp_token`` built by :meth:`vp_token`; the desk's reply."""
        return await self._post(opened.request, vp_token)

    def vp_token(
        self, opened: OpenedRequest, held: Sequence[HeldCredential], *, now: int
    ) -> dict[str, list[str]]:
        """The ``vp_token`` (§8.1): per credential query, the selected Disclosures and a
        KB-JWT over ``nonce``, ``aud`` (the client identifier) and the
        ``transaction_data_hashes`` (B.3.3).

        Deterministic in its arguments, so keys on a device sign in two passes
        (``wallet.device_signing``): ``held`` may carry stand-in signers.
        """
        request = opened.request
        hashes = [transaction_data_hash(item) for item in request.transaction_data or ()]
        vp_token: dict[str, list[str]] = {}
        for query_id, picks in opened.selection.items():
            for index, disclose in picks:
                credential = held[index]
                vp_token.setdefault(query_id, []).append(
                    present_sd_jwt(
                        open_sd_jwt(credential.token),
                        disclose=list(disclose),
                        holder_key=credential.holder_key,
                        nonce=request.nonce,
                        audience=request.client_id,
                        now=now,
                        kb_claims={"transaction_data_hashes": hashes} if hashes else None,
                    )
                )
        return vp_token

    async def _post(self, request: AuthorizationRequest, answer: Any) -> dict[str, Any]:
        if isinstance(answer, dict) and "error" in answer:
            payload = {"error": answer["error"], "state": request.state}
            form = {k: v for k, v in payload.items() if v is not None}
        else:
            form = direct_post_form(answer, request.state)
            payload = response_payload(answer, request.state)
        if request.response_mode == "direct_post.jwt":
            if request.client_metadata is None:
                raise Rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT)
            recipient, enc = select_response_key(
                request.client_metadata, preference=HAIP_ENC_PREFERENCE if self._haip else None
            )
            form = direct_post_jwt_form(encrypt_response(payload, recipient=recipient, enc=enc))
        try:
            answered = await self._fetcher.post_form(
                request.response_uri, form, max_bytes=MAX_ANSWER_BYTES
            )
        except FetchRefused as refused:
            raise DeskUnreachable(refused.reason.value) from None
        status, media_type, body = answered.status, answered.content_type or "", answered.body
        reply: dict[str, Any] = {"status_code": status}
        if media_type.startswith("application/json"):
            with contextlib.suppress(Rejected):
                parsed = loads_strict(body)
                if isinstance(parsed, dict):
                    error, back = parsed.get("error"), parsed.get("redirect_uri")
                    if isinstance(error, str):
                        reply["error"] = error
                    if isinstance(back, str) and self._acceptable_redirect(back):
                        reply["redirect_uri"] = back
        return reply

    def _acceptable_redirect(self, uri: str) -> bool:
        """Where the desk sends the citizen back (§8.2): https (http only in development)."""
        scheme = uri.split(":", 1)[0].lower()
        return scheme == "https" or (self._allow_http and scheme == "http")


def _preview(
    request: AuthorizationRequest,
    purpose: dict[str, Any],
    shared: list[tuple[str, tuple[str | int, ...]]],
    withheld: list[tuple[str, tuple[str | int, ...]]],
) -> ConsentPreview:
    info = (request.verifier_info or [{}])[0].get("data", {})
    return ConsentPreview(
        verifier=request.client_id,
        verifier_name=info.get("verifier") if isinstance(info, dict) else None,
        regulation=str(purpose["regulation"]),
        legal_basis=dict(purpose.get("legal_basis") or {}),
        shared=shared,
        withheld=withheld,
    )


def _purpose(request: AuthorizationRequest, credential_ids: list[str]) -> dict[str, Any]:
    """The desk's purpose: exactly one transaction data item, of our own type.

    OpenID4VP 1.0 §5.1: a wallet that does not understand a transaction data type must
    refuse the request. Every item is hashed into the KB-JWT, so signing one the consent
    preview did not show would let a desk slip anything under the citizen's signature.
    """
    items = [
        decode_transaction_data(item, credential_ids=credential_ids)
        for item in request.transaction_data or ()
    ]
    if len(items) != 1 or items[0].get("type") != PURPOSE_TYPE:
        raise Rejected(Oid4vpReason.MALFORMED_TRANSACTION_DATA)
    return items[0]
