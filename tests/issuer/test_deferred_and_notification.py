"""Deferred issuance (§9), notifications (§11), and the retry after a lost response."""

from __future__ import annotations

from sqlalchemy import select

from issuer.issuance import Issued, request_credentials
from issuer.tables import status_entries
from specs.oid4vci import CredentialRequest
from specs.status_list import StatusType
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, Issuer
from tests.issuer.test_credential_endpoint import _session, body_with
from tests.issuer.test_token_endpoint import assert_error
from tests.issuer.wallet import holder_key, proof_jwt


async def test_deferred_issuance_waits_for_the_back_office(issuer: Issuer) -> None:
    session = await _session(issuer, deferred=True, claims=None, batch_size=2)
    pending = await session.request(body_with(await session.proofs(2)))
    assert pending.status_code == 202
    transaction_id = pending.json()["transaction_id"]
    assert pending.json()["interval"] == issuer.context.settings.deferred_interval_seconds
    headers = {"Authorization": f"Bearer {session.access_token}"}
    waiting = await issuer.client.post(
        "/deferred_credential", json={"transaction_id": transaction_id}, headers=headers
    )
    assert waiting.status_code == 202  # OID4VCI 1.0 §9.2: the same transaction, wait interval
    assert waiting.json() == {
        "transaction_id": transaction_id,
        "interval": issuer.context.settings.deferred_interval_seconds,
    }

    approve = await issuer.client.post(
        f"/backoffice/offers/{session.offer_id}/approve",
        json={"claims": INCOME_CLAIMS},
        headers=issuer.backoffice(),
    )
    assert approve.status_code == 204, approve.text
    ready = await issuer.client.post(
        "/deferred_credential", json={"transaction_id": transaction_id}, headers=headers
    )
    assert ready.status_code == 200, ready.text
    tokens = [item["credential"] for item in ready.json()["credentials"]]
    verified = await issuer.wallet.verify(ISSUER, tokens)
    assert [c.claims["joint_assessed_income_cents"] for c in verified] == [2_850_000] * 2
    # Lost in transit? The same transaction is served again, the lost credentials revoked.
    again = await issuer.client.post(
        "/deferred_credential", json={"transaction_id": transaction_id}, headers=headers
    )
    assert again.status_code == 200
    assert again.json()["credentials"] != ready.json()["credentials"]
    # Once the wallet confirms, the transaction is over.
    confirmed = await issuer.client.post(
        "/notification",
        json={"notification_id": again.json()["notification_id"], "event": "credential_accepted"},
        headers=headers,
    )
    assert confirmed.status_code == 204
    over = await issuer.client.post(
        "/deferred_credential", json={"transaction_id": transaction_id}, headers=headers
    )
    assert_error(over, 400, "invalid_transaction_id", transaction_id)


async def test_an_unknown_transaction_id_is_refused(issuer: Issuer) -> None:
    session = await _session(issuer, deferred=True, claims=None)
    response = await issuer.client.post(
        "/deferred_credential",
        json={"transaction_id": "nope"},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert_error(response, 400, "invalid_transaction_id", "nope")


async def test_approving_twice_or_a_normal_offer_is_a_conflict(issuer: Issuer) -> None:
    created = await issuer.offer()
    response = await issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/approve", json={}, headers=issuer.backoffice()
    )
    assert_error(response, 409, "conflict")


async def test_notifications_are_idempotent_and_checked(issuer: Issuer) -> None:
    created = await issuer.offer()
    received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    headers = {"Authorization": f"Bearer {received.access_token}"}
    body = {"notification_id": received.notification_id, "event": "credential_accepted"}
    for _ in range(2):
        response = await issuer.client.post("/notification", json=body, headers=headers)
        assert response.status_code == 204
    state = await issuer.client.get(
        f"/backoffice/offers/{created['offer_id']}", headers=issuer.backoffice()
    )
    assert state.json()["notifications"] == ["credential_accepted"]
    unknown = {"notification_id": "someone-elses", "event": "credential_deleted"}
    response = await issuer.client.post("/notification", json=unknown, headers=headers)
    assert_error(response, 400, "invalid_notification_id", "someone-elses")
    bad_event = {"notification_id": received.notification_id, "event": "credential_lost"}
    response = await issuer.client.post("/notification", json=bad_event, headers=headers)
    assert_error(response, 400, "invalid_notification_request", "credential_lost")


async def test_a_retry_after_a_lost_response_is_served_under_new_status_indices(
    issuer: Issuer,
) -> None:
    """The first response is computed and committed but never delivered (a crash)."""
    session = await _session(issuer, batch_size=2)
    lost = await request_credentials(
        issuer.context,
        session.offer_id,
        CredentialRequest("household_income", None, tuple(await session.proofs(2))),
    )
    assert isinstance(lost, Issued)  # the response never reached the wallet
    retry = await session.request(body_with(await session.proofs(2)))
    assert retry.status_code == 200, retry.text
    async with issuer.context.read() as connection:
        rows = (
            await connection.execute(
                select(
                    status_entries.c.issuance_id, status_entries.c.idx, status_entries.c.status
                ).where(status_entries.c.offer_id == session.offer_id)
            )
        ).all()
    by_issuance: dict[str, set[int]] = {}
    for issuance_id, _, status in rows:
        by_issuance.setdefault(issuance_id, set()).add(status)
    assert by_issuance[lost.issuance_id] == {int(StatusType.INVALID)}
    (current,) = set(by_issuance) - {lost.issuance_id}
    assert by_issuance[current] == {int(StatusType.VALID)}
    assert len({idx for _, idx, _ in rows}) == 4
    # Once the wallet confirms, the claims are gone: a third request is denied.
    confirmed = await issuer.client.post(
        "/notification",
        json={"notification_id": retry.json()["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert confirmed.status_code == 204
    nonce = await session.nonce()
    proof = proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=issuer.clock())
    assert_error(await session.request(body_with([proof])), 400, "credential_request_denied")
