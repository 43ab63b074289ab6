"""Refresh tokens (HAIP 1.0 §4.4, OpenID4VCI 1.0 §13.5; RFC 6749 §6, RFC 9700 §4.14.2):
DPoP-bound, rotated on every use, a reuse ends the family, and a refresh fetches a fresh batch
from the subject's current data with fresh status indices."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from issuer.sweeper import sweep
from issuer.tables import offers
from specs.jose import generate_private_key
from tests.issuer.code_flow import (
    SUBJECT,
    CodeClient,
    assert_error,
    code_issuer,
    tokens_of,
    write_subject,
)
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, Issuer

__all__ = ["code_issuer"]


async def test_haip_4_4_a_refresh_gives_a_fresh_batch_of_current_data(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    first = (await client.credentials(tokens.access_token, batch=2)).json()
    first_verified = await code_issuer.wallet.verify(
        ISSUER, [c["credential"] for c in first["credentials"]]
    )
    subjects = code_issuer.context.settings.subject_source_dir
    assert isinstance(subjects, Path)
    write_subject(subjects, SUBJECT, {**INCOME_CLAIMS, "joint_assessed_income_cents": 3_100_000})
    code_issuer.clock.advance(code_issuer.context.settings.access_token_ttl_seconds)
    assert_error(await client.credentials(tokens.access_token), 401, "invalid_token")

    refreshed = tokens_of(await client.refresh(tokens.refresh_token))
    assert refreshed.token_type == "DPoP"
    assert refreshed.refresh_token not in {None, tokens.refresh_token}
    second = await client.credentials(refreshed.access_token, batch=2)
    assert second.status_code == 200, second.text
    verified = await code_issuer.wallet.verify(
        ISSUER, [c["credential"] for c in second.json()["credentials"]]
    )
    assert {v.claims["joint_assessed_income_cents"] for v in verified} == {3_100_000}
    before = {str(v.claims["status"]) for v in first_verified}
    after = {str(v.claims["status"]) for v in verified}
    assert before.isdisjoint(after)  # fresh status indices


async def test_haip_4_4_refresh_tokens_rotate_and_a_reuse_ends_the_family(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    second = tokens_of(await client.refresh(tokens.refresh_token))
    assert second.refresh_token is not None
    reused = await client.refresh(tokens.refresh_token)
    assert_error(reused, 400, "invalid_grant", tokens.refresh_token)
    assert_error(await client.refresh(second.refresh_token), 400, "invalid_grant")
    assert_error(await client.credentials(second.access_token), 401, "invalid_token")


async def test_a_refresh_token_is_bound_to_the_dpop_key(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    thief = await client.refresh(tokens.refresh_token, key=generate_private_key())
    assert_error(thief, 400, "invalid_grant")
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    assert_error(await client.token(form, dpop=False), 400, "invalid_dpop_proof")
    tokens_of(await client.refresh(tokens.refresh_token))  # the holder of the key still can


async def test_refresh_checks_client_and_scope(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    base = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    assert_error(await client.token({**base, "scope": "rent"}), 400, "invalid_scope")
    assert_error(await client.token({**base, "client_id": "other"}), 400, "invalid_grant")
    assert_error(await client.token({**base, "refresh_token": "unknown"}), 400, "invalid_grant")
    tokens_of(await client.token({**base, "scope": "household_income"}))


async def test_refresh_ends_with_the_grant_lifetime(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    code_issuer.clock.advance(code_issuer.context.settings.refresh_token_ttl_seconds)
    assert_error(await client.refresh(tokens.refresh_token), 400, "invalid_grant")
    await sweep(code_issuer.context)  # DESIGN §5: the ended grant forgets its subject
    async with code_issuer.context.read() as connection:
        subjects = (await connection.execute(select(offers.c.sealed_subject))).scalars().all()
    assert subjects == [None]


async def test_revoking_the_grant_in_the_back_office_ends_refresh(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    issued = (await client.credentials(tokens.access_token)).json()
    notification = {"notification_id": issued["notification_id"], "event": "credential_accepted"}
    assert (
        await client.resource("/notification", tokens.access_token, notification)
    ).status_code == 204
    async with code_issuer.context.read() as connection:
        grant_id = (await connection.execute(select(offers.c.id))).scalar_one()
    revoked = await code_issuer.client.post(
        f"/backoffice/offers/{grant_id}/status",
        json={"status": "revoked"},
        headers=code_issuer.backoffice(),
    )
    assert revoked.status_code == 200, revoked.text
    assert_error(await client.refresh(tokens.refresh_token), 400, "invalid_grant")
