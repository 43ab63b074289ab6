"""Starting an eligibility request and serving its signed request object (OpenID4VP 1.0 §5).

A transaction is one question about one regulation. Starting it compiles the regulation into
the minimal DCQL query (DESIGN §1 verifier/, ``specs.rules.dcql``) minus what the desk
already knows, checks that the trust registry lets this desk ask for exactly those claims
(the wallet will check the same and refuse otherwise), and stores:

* a ``nonce`` (the KB-JWT must carry it, Appendix B.3.6) and ``state``, both 256-bit and
  derived from the transaction id under a key the database never holds
  (``transaction_secrets``);
* for ``direct_post.jwt`` a fresh P-256 key for this transaction only (§8.3), sealed at rest
  and deleted once the wallet has answered;
* the purpose as ``transaction_data`` of our own type (§5.1), so the KB-JWT's
  ``transaction_data_hashes`` prove what the citizen agreed to;
* the desk's own facts, sealed, until the decision is made.

The wallet reaches the request by ``request_uri`` (§5.10) in an ``openid4vp://`` link; GET
and POST (``request_uri_method=post``, with ``wallet_nonce``) are both served. The request
object is signed when fetched (its ``exp`` is the transaction's end, and a POST's
``wallet_nonce`` must be inside it).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import segno
from sqlalchemy import select

from runtime.api_keys import ApiKey
from runtime.bearer import digest, new_id
from runtime.fetch_guard import Origin, origin_of
from runtime.regulations import catalogue, find
from runtime.wire import Conflict, Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from specs.errors import Rejected
from specs.oid4vp.haip import HAIP_ENC_PREFERENCE
from specs.oid4vp.jwe import (
    ALLOWED_ENC,
    new_response_key,
    public_response_jwk,
    response_client_metadata,
)
from specs.oid4vp.request_object import (
    AuthorizationRequest,
    authorization_request_link,
    build_request_object,
    build_unsigned_request_object,
)
from specs.rules import CompiledRegulation, compile_dcql
from specs.rules.dcql import verifier_info
from specs.trust import check_anchor, check_verifier
from verifier.context import VerifierContext
from verifier.facts import check_desk_facts
from verifier.tables import transactions
from verifier.transaction_secrets import is_token, nonce_of, request_id_of, state_of

PENDING = "pending"
MAX_REDIRECT_URI = 2_000
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class StartedTransaction:
    id: str
    regulation: CompiledRegulation
    request_uri: str
    link: str
    expires_at: int
    dcql_query: dict[str, Any]

    def qr_svg(self) -> str:
        """The link as a QR code (SVG, no external assets), for the cross-device flow."""
        buffer = io.BytesIO()
        segno.make(self.link, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return buffer.getvalue().decode("utf-8")

    def as_json(self) -> dict[str, Any]:
        regulation = self.regulation.regulation
        return {
            "transaction_id": self.id,
            "status": PENDING,
            "regulation": {
                "id": regulation.id,
                "version": self.regulation.version,
                "name": regulation.name.model_dump(),
                "legal_basis": regulation.legal_basis.model_dump(),
            },
            "request_uri": self.request_uri,
            "link": self.link,
            "expires_at": self.expires_at,
            "dcql_query": self.dcql_query,
        }


def choose_regulation(
    context: VerifierContext, regulation_id: str, api_key: ApiKey | None
) -> CompiledRegulation:
    """The version in force today of a regulation this desk (and this key) may decide."""
    if regulation_id not in context.regulations():
        raise NotFound("this desk does not decide that regulation")
    if api_key is not None and regulation_id not in api_key.scope:
        raise Forbidden("this API key may not request that regulation")
    try:
        return find(regulation_id, context.today())
    except KeyError:
        raise NotFound("no version of that regulation is in force today") from None


async def start_transaction(
    context: VerifierContext,
    *,
    regulation_id: str,
    facts: Mapping[str, Any] | None = None,
    api_key: ApiKey | None = None,
    redirect_uri: str | None = None,
) -> StartedTransaction:
    compiled = choose_regulation(context, regulation_id, api_key)
    if redirect_uri is not None:
        check_redirect_uri(
            redirect_uri, development=context.development, origins=context.redirect_origins
        )
    desk_facts = check_desk_facts(compiled, facts or {})
    try:
        request = compile_dcql(
            compiled,
            known=frozenset(desk_facts),
            trusted_authority_akis=context.settings.trusted_authority_akis,
        )
    except ValueError:
        raise Conflict("nothing to ask: the desk already holds every input") from None
    now = context.clock()
    _check_registration(context, compiled, request.needs, now)
    transaction_id = new_id()
    request_id = request_id_of(context.token_key, transaction_id)
    response_key_id = response_key_sealed = None
    if context.settings.response_mode == "direct_post.jwt":
        response_key_id = new_id()
        key = new_response_key(kid=response_key_id)
        response_key_sealed = context.sealer.seal(
            json.dumps(key).encode(), context=_key_context(transaction_id)
        ).hex()
    expires_at = now + context.settings.transaction_ttl_seconds
    sealed_facts = None
    if desk_facts:
        sealed_facts = context.sealer.seal(
            json.dumps(desk_facts).encode(), context=_facts_context(transaction_id)
        ).hex()
    async with context.database.write() as connection:
        await connection.execute(
            transactions.insert().values(
                id=transaction_id,
                desk=api_key.name if api_key else None,
                request_digest=digest(request_id),
                state_digest=digest(state_of(context.token_key, transaction_id)),
                response_mode=context.settings.response_mode,
                response_key_id=response_key_id,
                response_key_sealed=response_key_sealed,
                regulation_id=compiled.regulation.id,
                regulation_version=compiled.version,
                dcql_query=json.dumps(request.query),
                transaction_data=json.dumps(request.transaction_data),
                desk_facts_sealed=sealed_facts,
                redirect_uri=redirect_uri,
                status=PENDING,
                created_at=now,
                expires_at=expires_at,
                result_expires_at=expires_at + context.settings.result_ttl_seconds,
            )
        )
    request_uri = context.url(f"/wallet/request/{request_id}")
    link = authorization_request_link(
        client_id=context.client_id, request_uri=request_uri, request_uri_method="post"
    )
    return StartedTransaction(
        transaction_id, compiled, request_uri, link, expires_at, request.query
    )


def check_redirect_uri(uri: str, *, development: bool, origins: frozenset[Origin]) -> None:
    """Where the wallet sends the citizen back (same-device flow, OpenID4VP 1.0 §8.2): an
    https URL (plain http only in the development profile) on one of ``origins`` (the
    verifier's own and the configured ``redirect_origins``), never a script or data URL:
    a desk key cannot send citizens, with a fresh response code, anywhere it likes
    (THREATS H-08)."""
    refused = InvalidRequest("redirect_uri must be an https URL of an allowed origin")
    if len(uri) > MAX_REDIRECT_URI or _CONTROL.search(uri):
        raise refused
    try:
        url = httpx.URL(uri)
        origin = origin_of(url) if url.scheme in {"http", "https"} and url.raw_host else None
    except (httpx.InvalidURL, ValueError):
        raise refused from None
    allowed = {"https", "http"} if development else {"https"}
    if url.scheme not in allowed or url.userinfo or origin not in origins:
        raise refused


def _check_registration(
    context: VerifierContext, compiled: CompiledRegulation, needs: Any, now: int
) -> None:
    """Run only the law governance anchored, and ask only what the registry lets this desk
    ask (a wallet refuses anything more)."""
    try:
        snapshot = context.trust.snapshot(now=now)
    except Rejected:
        raise ServiceUnavailable("the trust registry cannot be read; try again later") from None
    at = max(now, snapshot.as_of)  # see verifier.pipeline: block time may lead our clock
    regulation = compiled.regulation
    try:
        check_anchor(
            snapshot,
            regulation=regulation.id,
            valid_from=regulation.valid_from.isoformat(),
            version=compiled.version,
            now=at,
        )
        check_verifier(
            snapshot,
            client_id=context.client_id,
            regulation=regulation.id,
            claims=[need.path for need in needs],
            now=at,
        )
    except Rejected as exc:
        raise Forbidden(f"the trust registry does not allow this request ({exc.reason})") from None


def _key_context(transaction_id: str) -> bytes:
    return b"response-key\x00" + transaction_id.encode()


def _facts_context(transaction_id: str) -> bytes:
    return b"desk-facts\x00" + transaction_id.encode()


def regulation_of(row: Any) -> CompiledRegulation:
    """The exact regulation version a transaction was started for."""
    for compiled in catalogue():
        if (compiled.regulation.id, compiled.version) == (
            row.regulation_id,
            row.regulation_version,
        ):
            return compiled
    raise LookupError("the regulation version of this transaction is no longer bundled")


def open_response_key(context: VerifierContext, row: Any) -> dict[str, Any]:
    sealed = bytes.fromhex(row.response_key_sealed)
    key: dict[str, Any] = json.loads(context.sealer.open(sealed, context=_key_context(row.id)))
    return key


def open_desk_facts(context: VerifierContext, row: Any) -> dict[str, Any]:
    if row.desk_facts_sealed is None:
        return {}
    sealed = bytes.fromhex(row.desk_facts_sealed)
    facts: dict[str, Any] = json.loads(context.sealer.open(sealed, context=_facts_context(row.id)))
    return facts


async def request_object(
    context: VerifierContext, request_id: str, *, wallet_nonce: str | None = None
) -> str:
    """The signed request object for ``request_id`` (§5.10), or 404 once it cannot be
    answered any more (answered, or expired)."""
    now = context.clock()
    row = None
    if is_token(request_id):
        async with context.database.read() as connection:
            query = select(transactions).where(transactions.c.request_digest == digest(request_id))
            row = (await connection.execute(query)).first()
    if row is None or row.status != PENDING or row.expires_at <= now:
        raise NotFound("no such request, or it can no longer be answered")
    try:
        compiled = regulation_of(row)
    except LookupError:  # the bundled version changed since the transaction started
        raise NotFound("no such request, or it can no longer be answered") from None
    client_metadata = None
    if row.response_mode == "direct_post.jwt":
        public = public_response_jwk(open_response_key(context, row))
        enc = context.settings.response_enc
        offered = HAIP_ENC_PREFERENCE if context.settings.haip else ALLOWED_ENC
        others = [e for e in offered if e != enc]
        client_metadata = response_client_metadata(public, enc_values=(enc, *others))
    purpose = verifier_info(compiled.regulation)
    request = AuthorizationRequest(
        client_id=context.client_id,
        response_uri=context.response_uri,
        response_mode=row.response_mode,
        nonce=nonce_of(context.token_key, row.id),
        state=state_of(context.token_key, row.id),
        dcql_query=json.loads(row.dcql_query),
        client_metadata=client_metadata,
        transaction_data=tuple(json.loads(row.transaction_data)),
        verifier_info=_verifier_info(context, purpose),
        wallet_nonce=wallet_nonce,
    )
    identity = context.identity
    if not identity.signed:
        return build_unsigned_request_object(request)
    return build_request_object(
        request,
        signer=identity.signer,
        now=now,
        lifetime=max(1, row.expires_at - now),
        x5c=identity.x5c,
        kid=identity.kid,
    )


def _verifier_info(context: VerifierContext, purpose: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """§5.1 ``verifier_info``: the purpose, and who asks (shown in the consent screen)."""
    shown = [dict(item) for item in purpose]
    for item in shown:
        item["data"] = {**item["data"], "verifier": context.settings.display_name}
    return shown
