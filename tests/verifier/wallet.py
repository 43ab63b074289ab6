"""A wallet that follows OpenID4VP 1.0, written in the tests, with knobs to misbehave.

It does what §5-§8 ask of a wallet: parse the ``openid4vp://`` link, fetch the request
object by ``request_uri`` (GET, or POST with a ``wallet_nonce``), verify it
(``verify_request_object``: signature, client identifier prefix, ``response_uri`` binding),
match the DCQL query against what it holds (``select_credentials``), present each chosen
credential with exactly the claims needed and a KB-JWT (nonce, ``aud`` = the full client
identifier, ``transaction_data_hashes``), and post by ``direct_post`` or
``direct_post.jwt`` (encrypted to the verifier's key from ``client_metadata``).

``Tamper`` changes one thing on the way, so each rejection path of the verifier can be fed
exactly the defect it must catch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from cryptography import x509

from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.request_object import (
    AuthorizationRequest,
    parse_authorization_request_link,
    request_uri_post_form,
    verify_request_object,
)
from specs.oid4vp.response import direct_post_form, direct_post_jwt_form, response_payload
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.sd_jwt import open_sd_jwt, present_sd_jwt


@dataclass
class Held:
    token: str
    holder_key: PrivateJwk
    vct: str


@dataclass(frozen=True)
class Tamper:
    """One defect to introduce (all off by default: a correct wallet)."""

    nonce: str | None = None
    audience: str | None = None
    strip_key_binding: bool = False
    extra_paths: tuple[tuple[str | int, ...], ...] = ()
    """Disclose these too (over-disclosure)."""
    transaction_data_hashes: list[str] | None = None
    omit_transaction_data_hashes: bool = False
    kb_claims: Mapping[str, Any] | None = None
    """Put these claims in every KB-JWT too (e.g. a ``transaction_data_hashes_alg``)."""
    holder_key: PrivateJwk | None = None
    """Sign the KB-JWT with this key instead of the credential's."""
    kb_iat_offset: int = 0
    plain_post: bool = False
    """Answer a direct_post.jwt request with a plain direct_post form."""
    state: str | None = None
    rewrite_vp_token: Callable[[dict[str, list[str]]], dict[str, list[str]]] | None = None
    rewrite_form: Callable[[dict[str, str]], dict[str, str]] | None = None


def new_holder_key() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256)


@dataclass
class TestWallet:
    __test__ = False  # a helper, not a test class
    client: httpx.AsyncClient
    clock: Callable[[], int]
    held: list[Held] = field(default_factory=list)
    request_uri_method: str = "get"
    allow_http: bool = True
    trust_roots: list[x509.Certificate] | None = None
    """Certificates the wallet trusts for ``x509_san_dns`` requests (a DNS name alone proves
    nothing: anyone can certify any name to themselves)."""

    def hold(self, token: str, holder_key: PrivateJwk, vct: str) -> None:
        self.held.append(Held(token, holder_key, vct))

    async def fetch_request(self, link: str) -> AuthorizationRequest:
        client_id, request_uri, method = parse_authorization_request_link(
            link, allow_http=self.allow_http
        )
        wallet_nonce = None
        if self.request_uri_method == "post" and method == "post":
            wallet_nonce = "wn-" + str(self.clock())
            response = await self.client.post(
                request_uri, data=request_uri_post_form({"vp_formats_supported": {}}, wallet_nonce)
            )
        else:
            response = await self.client.get(request_uri)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/oauth-authz-req+jwt")
        return verify_request_object(
            response.text,
            expected_client_id=client_id,
            now=self.clock(),
            allow_unsigned=True,
            trust_roots=self.trust_roots,
            wallet_nonce=wallet_nonce,
            allow_http=self.allow_http,
        )

    def vp_token(self, request: AuthorizationRequest, tamper: Tamper) -> dict[str, list[str]]:
        query = parse_dcql_query(request.dcql_query)
        views = [open_sd_jwt(h.token) for h in self.held]
        candidates = [
            HeldForQuery(i, "dc+sd-jwt", h.vct, views[i].processed.claims)
            for i, h in enumerate(self.held)
        ]
        chosen = select_credentials(query, candidates)
        hashes = [transaction_data_hash(item) for item in request.transaction_data or ()]
        kb_claims: dict[str, Any] = {}
        if not tamper.omit_transaction_data_hashes:
            kb_claims["transaction_data_hashes"] = (
                tamper.transaction_data_hashes
                if tamper.transaction_data_hashes is not None
                else hashes
            )
        kb_claims.update(tamper.kb_claims or {})
        token: dict[str, list[str]] = {}
        for query_id, selections in chosen.items():
            for selection in selections:
                index = int(str(selection.ref))
                held = self.held[index]
                extra = [p for p in tamper.extra_paths if p[0] in views[index].processed.claims]
                token.setdefault(query_id, []).append(
                    present_sd_jwt(
                        views[index],
                        disclose=[*selection.disclose, *extra],
                        holder_key=None
                        if tamper.strip_key_binding
                        else (tamper.holder_key or held.holder_key),
                        nonce=tamper.nonce or request.nonce,
                        audience=tamper.audience or request.client_id,
                        now=self.clock() + tamper.kb_iat_offset,
                        kb_claims=kb_claims,
                    )
                )
        return tamper.rewrite_vp_token(token) if tamper.rewrite_vp_token else token

    def response_form(self, request: AuthorizationRequest, tamper: Tamper) -> dict[str, str]:
        vp_token = self.vp_token(request, tamper)
        state = tamper.state or request.state
        if request.response_mode == "direct_post.jwt" and not tamper.plain_post:
            assert request.client_metadata is not None
            recipient, enc = select_response_key(request.client_metadata)
            jwe = encrypt_response(response_payload(vp_token, state), recipient=recipient, enc=enc)
            form = direct_post_jwt_form(jwe)
        else:
            form = direct_post_form(vp_token, state)
        return tamper.rewrite_form(form) if tamper.rewrite_form else form

    async def post(self, request: AuthorizationRequest, form: dict[str, str]) -> httpx.Response:
        return await self.client.post(request.response_uri, data=form)

    async def answer(self, link: str, tamper: Tamper = Tamper()) -> httpx.Response:
        """The whole flow: fetch, verify, match, present, post."""
        request = await self.fetch_request(link)
        return await self.post(request, self.response_form(request, tamper))


def with_tamper(tamper: Tamper, **changes: Any) -> Tamper:
    return replace(tamper, **changes)
