"""The wallet's answer at the ``response_uri`` (OpenID4VP 1.0 §8.2, §8.3) and the decision.

The envelope is checked first, without consuming anything: the form, then for
``direct_post.jwt`` the JWE (its ``kid`` names the transaction's own key, §8.3) or for
``direct_post`` the ``state``. A post that fails here proves nothing about who sent it, so the
transaction stays open for the real wallet.

Then the whole pipeline runs (``verifier.pipeline``) and the result is written in ONE
transaction that also consumes the request: a conditional UPDATE from ``pending`` that only
one post can win, however many arrive at once (THREATS: replay, concurrent posts). The
winner's outcome is stored; every other post gets ``transaction-already-answered``. The
response key and the desk's facts are deleted in the same write.

A wallet's error response (§8.5: the citizen declined, or the wallet cannot answer) is
answered with 200 and ends the transaction as ``declined`` with the error code. A
presentation that fails verification still consumes the request (one answer per nonce):
the desk sees ``rejected`` with the reason and may start again. A dependency that cannot be
read (registry, status list, issuer metadata) gives the wallet a normal answer and the desk
an "undetermined: cannot verify" record, never an eligible one.

Same-device flow (§8.2, §13.3): when the desk gave a ``redirect_uri``, the wallet is told to
send the citizen there with a fresh ``response_code``; the desk's result fetch must present
it, so a result cannot be pulled into another browser session (session fixation).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, select, update

from runtime.bearer import digest, new_bearer, new_id
from specs.errors import Oid4vpReason, Rejected
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.haip import HAIP_ENC_PREFERENCE
from specs.oid4vp.jwe import ALLOWED_ENC, decrypt_response, response_key_id
from specs.oid4vp.response import parse_direct_post_form, parse_vp_token
from specs.rules import evaluate, facts_from_credentials
from verifier.context import VerifierContext
from verifier.decision_record import (
    RecordHead,
    decision_record,
    sign_record,
    undetermined_record,
)
from verifier.pipeline import CannotVerify, Expectations, verify_presentations
from verifier.tables import decisions, transactions
from verifier.transaction_secrets import is_token, nonce_of, state_of
from verifier.transactions import PENDING, open_desk_facts, open_response_key, regulation_of

MAX_RESPONSE_BYTES = 512 * 1024
#: OpenID4VP 1.0 §8.5 and RFC 6749 §4.1.2.1: the codes a wallet's error response may carry.
#: Anything else is stored as ``wallet-error``, so a wallet cannot write text into the record.
WALLET_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_request",
        "invalid_client",
        "invalid_scope",
        "invalid_request_uri_method",
        "invalid_transaction_data",
        "vp_formats_not_supported",
        "wallet_unavailable",
    }
)
DAY = 86_400


@dataclass(frozen=True)
class Answer:
    """What the wallet is told (§8.2): an empty object, or where to send the citizen."""

    redirect_uri: str | None = None

    def as_json(self) -> dict[str, str]:
        return {} if self.redirect_uri is None else {"redirect_uri": self.redirect_uri}


class PresentationRejected(Exception):
    """The request was consumed and the presentation refused; the wallet gets the reason."""

    def __init__(self, rejected: Rejected) -> None:
        super().__init__(rejected.reason.value)
        self.rejected = rejected


# The answer path's statements, built once: SQLAlchemy then reuses their cache keys and
# compiled forms instead of building and hashing a new statement per answer.
_BY_RESPONSE_KEY = select(transactions).where(transactions.c.response_key_id == bindparam("lookup"))
_BY_STATE = select(transactions).where(transactions.c.state_digest == bindparam("lookup"))
_CONSUME = (
    update(transactions)
    .where(
        transactions.c.id == bindparam("transaction_id"),
        transactions.c.status == PENDING,
        transactions.c.expires_at > bindparam("now"),
    )
    .values(
        status=bindparam("new_status"),
        failure_reason=bindparam("failure_reason"),
        answered_at=bindparam("now"),
        response_key_sealed=None,
        desk_facts_sealed=None,
        response_code_digest=bindparam("response_code_digest"),
        decision_id=bindparam("stored_decision_id"),
        result_expires_at=bindparam("result_expires_at"),
    )
)
_STORE_DECISION = decisions.insert()


async def _row_where(context: VerifierContext, statement: Any, lookup: str) -> Any:
    async with context.database.read() as connection:
        return (await connection.execute(statement, {"lookup": lookup})).first()


def _check_open(row: Any, now: int) -> Any:
    if row is None:
        raise Rejected(Oid4vpReason.UNKNOWN_STATE)
    if row.status != PENDING:
        raise Rejected(Oid4vpReason.ALREADY_ANSWERED)
    if row.expires_at <= now:
        raise Rejected(Oid4vpReason.TRANSACTION_EXPIRED)
    return row


async def open_envelope(
    context: VerifierContext, body: bytes, now: int
) -> tuple[Any, dict[str, Any]]:
    """The transaction and the response parameters; nothing is consumed here."""
    form = parse_direct_post_form(body, max_bytes=MAX_RESPONSE_BYTES)
    if "response" in form:
        key_id = response_key_id(form["response"], max_bytes=MAX_RESPONSE_BYTES)
        row = None
        if is_token(key_id):  # our kids are ids; anything else finds nothing, unqueried
            row = await _row_where(context, _BY_RESPONSE_KEY, key_id)
        row = _check_open(row, now)
        payload = decrypt_response(
            form["response"],
            private_jwk=open_response_key(context, row),
            allowed_enc=HAIP_ENC_PREFERENCE if context.settings.haip else ALLOWED_ENC,
            max_bytes=MAX_RESPONSE_BYTES,
        )
        state = payload.get("state")
        if not isinstance(state, str) or not hmac.compare_digest(
            state.encode(), state_of(context.token_key, row.id).encode()
        ):
            raise Rejected(Oid4vpReason.UNKNOWN_STATE)
        return row, payload
    state = form.get("state")
    found = None
    if is_token(state):
        found = await _row_where(context, _BY_STATE, digest(state))
    row = _check_open(found, now)
    if row.response_mode == "direct_post.jwt" and "error" not in form:
        # §8.3: an error response may come unencrypted (the wallet may have nothing to
        # encrypt with, e.g. when it could not read the request); a presentation may not.
        raise Rejected(Oid4vpReason.ENCRYPTED_RESPONSE_REQUIRED)
    return row, dict(form)


async def receive_response(context: VerifierContext, body: bytes) -> Answer:
    """Handle one post to the ``response_uri``; raises ``Rejected`` for a bad envelope and
    ``PresentationRejected`` for a consumed request whose presentation was refused."""
    now = context.clock()  # one instant for the whole answer: expiry is judged once
    row, payload = await open_envelope(context, body, now)
    try:
        compiled = regulation_of(row)
    except LookupError:  # the bundled version changed since it started: cannot be answered
        raise Rejected(Oid4vpReason.TRANSACTION_EXPIRED) from None
    transaction_data = json.loads(row.transaction_data)
    outcome_record: dict[str, Any] | None = None
    failure: Rejected | None = None
    declined: str | None = None
    decision_id = new_id()
    head = RecordHead(decision_id, row.id, context.client_id, compiled, now)
    if "error" in payload:  # §8.5: the citizen declined, or the wallet could not answer
        error = payload["error"]
        declined = error if isinstance(error, str) and error in WALLET_ERRORS else "wallet-error"
    else:
        try:
            vp_token = parse_vp_token(
                payload.get("vp_token"), max_presentations=context.settings.max_presentations
            )
            verified = await verify_presentations(
                context,
                vp_token,
                Expectations(
                    nonce=nonce_of(context.token_key, row.id),
                    client_id=context.client_id,
                    transaction_data=transaction_data,
                    query=parse_dcql_query(json.loads(row.dcql_query)),
                ),
            )
            facts = facts_from_credentials(
                compiled.regulation,
                [v.held() for v in verified],
                desk=open_desk_facts(context, row) or None,
            )
            outcome = evaluate(compiled, facts.facts)
            outcome_record = decision_record(head, outcome, transaction_data)
        except CannotVerify as exc:
            outcome_record = undetermined_record(head, exc.cause)
        except Rejected as exc:
            failure = exc
    response_code = new_bearer() if row.redirect_uri and failure is None else None
    if failure is not None:
        status, reason = "rejected", failure.reason.value
    elif declined is not None:
        status, reason = "declined", declined
    else:
        status, reason = "decided", None
    answer = Answered(status, reason, outcome_record, decision_id, response_code)
    await _record(context, row, answer, now)
    if failure is not None:
        raise PresentationRejected(failure)
    if response_code is None:
        return Answer()
    separator = "&" if "#" in row.redirect_uri else "#"
    return Answer(row.redirect_uri + separator + urlencode({"response_code": response_code}))


@dataclass(frozen=True)
class Answered:
    """How a transaction ends: ``decided`` (with a record), ``rejected`` or ``declined``."""

    status: str
    reason: str | None
    record: dict[str, Any] | None
    decision_id: str
    response_code: str | None


async def _record(context: VerifierContext, row: Any, answer: Answered, now: int) -> None:
    """Consume the request and store its outcome in one transaction; one post wins."""
    record, decision_id, response_code = answer.record, answer.decision_id, answer.response_code
    consume = {
        "transaction_id": row.id,
        "now": now,
        "new_status": answer.status,
        "failure_reason": answer.reason,
        "response_code_digest": None if response_code is None else digest(response_code),
        "stored_decision_id": None if record is None else decision_id,
        "result_expires_at": now + context.settings.result_ttl_seconds,
    }
    async with context.database.write() as connection:
        result = await connection.execute(_CONSUME, consume)
        if result.rowcount != 1:
            raise Rejected(Oid4vpReason.ALREADY_ANSWERED)
        if record is not None:
            await connection.execute(
                _STORE_DECISION,
                {
                    "id": decision_id,
                    "transaction_id": row.id,
                    "desk": row.desk,
                    "regulation_id": row.regulation_id,
                    "regulation_version": row.regulation_version,
                    "outcome": record["outcome"],
                    "record": sign_record(record, context.identity.signer),
                    "created_at": now,
                    "delete_after": now + context.settings.decision_retention_days * DAY,
                },
            )
