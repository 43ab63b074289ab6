"""Catalogue cases I-01..I-07: the issuer's token and credential endpoints (OpenID4VCI 1.0
§6, §7, §8), over HTTP against the issuer app on each database backend.

Every refusal is checked for its exact status and wire code, for no 5xx (INV-2), for no
secret echoed in the body (DESIGN §3), and, where nothing may change, for an unchanged
database: every row of every table before and after (INV-4). Where the catalogue expects a
state change (a spent code, a counted tx_code guess) the test says so.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from issuer.codes import same_digest, tx_code_digest
from specs.jose import b64url_decode
from specs.sd_jwt import open_sd_jwt
from tests.issuer.conftest import ISSUER, Issuer, issuer
from tests.issuer.test_credential_endpoint import (
    Session,
    _audience,
    _hs256,
    _kid_and_jwk,
    _no_nonce,
    _none_alg,
    _private_jwk,
    _session,
    _typ,
    body_with,
)
from tests.issuer.test_token_endpoint import assert_error, post_token, token_form, wrong_tx_code
from tests.issuer.wallet import holder_key, proof_jwt, public_jwk
from tests.threats.invariants import bounded_memory, no_server_error, snapshot

__all__ = ["issuer"]

DAY = 86_400
MIB = 1024 * 1024


def refused(response: httpx.Response, status: int, code: str, *secrets: str) -> None:
    """The exact wire error, no 5xx, none of the request's secrets in the answer."""
    no_server_error(response)
    assert_error(response, status, code, *secrets)


async def unchanged(
    issuer: Issuer, call: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Run one rejected request and require the database to be exactly as before (INV-4)."""
    url = issuer.context.settings.database_url
    before = await snapshot(url)
    response = await call()
    assert await snapshot(url) == before
    return response


# -- I-01 a pre-authorized code redeemed twice, and 50 times at once -------------------------


async def test_I_01_fifty_concurrent_redemptions_give_exactly_one_token(issuer: Issuer) -> None:
    created = await issuer.offer()
    form = token_form(created, created["tx_code"])
    responses = await asyncio.gather(*(post_token(issuer, form) for _ in range(50)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1
    for response in responses:
        if response.status_code != 200:
            refused(response, 400, "invalid_grant", form["pre-authorized_code"], form["tx_code"])
    # A late replay of the spent code changes nothing (the one redemption is the only change).
    late = await unchanged(issuer, lambda: post_token(issuer, form))
    refused(late, 400, "invalid_grant", form["pre-authorized_code"])


async def test_I_01_a_code_redeemed_twice_in_a_row_is_invalid_grant(issuer: Issuer) -> None:
    created = await issuer.offer()
    form = token_form(created, created["tx_code"])
    assert (await post_token(issuer, form)).status_code == 200
    again = await unchanged(issuer, lambda: post_token(issuer, form))
    refused(again, 400, "invalid_grant", form["pre-authorized_code"])


# -- I-02 an expired pre-authorized code ------------------------------------------------------


async def test_I_02_an_expired_code_is_invalid_grant_and_changes_nothing(issuer: Issuer) -> None:
    created = await issuer.offer()
    issuer.clock.advance(issuer.context.settings.offer_ttl_seconds)
    form = token_form(created, created["tx_code"])
    response = await unchanged(issuer, lambda: post_token(issuer, form))
    refused(response, 400, "invalid_grant", form["pre-authorized_code"], form["tx_code"])


# -- I-03 tx_code brute force ------------------------------------------------------------------


async def test_I_03_after_n_wrong_tx_codes_the_right_one_is_invalid_grant(issuer: Issuer) -> None:
    """Each wrong guess is counted (a documented state change); after the limit the offer is
    locked for good and its claims are dropped, so the right code no longer works."""
    created = await issuer.offer()
    wrong = wrong_tx_code(created["tx_code"])
    limit = issuer.context.settings.tx_code_max_attempts
    assert limit == 5
    for _ in range(limit):
        refused(await post_token(issuer, token_form(created, wrong)), 400, "invalid_grant", wrong)
    right = token_form(created, created["tx_code"])
    response = await unchanged(issuer, lambda: post_token(issuer, right))
    refused(response, 400, "invalid_grant", right["tx_code"], right["pre-authorized_code"])
    state = await issuer.client.get(
        f"/backoffice/offers/{created['offer_id']}", headers=issuer.backoffice()
    )
    assert (state.json()["state"], state.json()["claims_held"]) == ("locked", False)


def test_I_03_the_tx_code_is_compared_in_constant_time() -> None:
    """No timing is measured (INV-3): the comparison is ``hmac.compare_digest`` over HMACs
    bound to the offer, so neither the code's digits nor its length leak by timing."""
    assert "hmac.compare_digest" in inspect.getsource(same_digest)
    one = tx_code_digest("123456", key=b"k" * 32, offer_id="o")
    assert len(one) == len(tx_code_digest("1", key=b"k" * 32, offer_id="o"))


# -- I-04 tx_code missing when required, present when not offered -------------------------------


async def test_I_04_a_missing_tx_code_is_invalid_request_and_not_a_guess(issuer: Issuer) -> None:
    created = await issuer.offer()
    response = await unchanged(issuer, lambda: post_token(issuer, token_form(created, None)))
    refused(response, 400, "invalid_request")
    assert (await post_token(issuer, token_form(created, created["tx_code"]))).status_code == 200


async def test_I_04_a_tx_code_for_an_offer_without_one_is_invalid_request(issuer: Issuer) -> None:
    """OpenID4VCI 1.0 §6.3 names ``invalid_request`` for a Transaction Code the server does
    not expect (``invalid_grant`` is for a wrong one), so that is the code here."""
    created = await issuer.offer(tx_code=False)
    form = token_form(created, "123456")
    response = await unchanged(issuer, lambda: post_token(issuer, form))
    refused(response, 400, "invalid_request", form["pre-authorized_code"])
    assert (await post_token(issuer, token_form(created, None))).status_code == 200


# -- I-05 proof JWT defects --------------------------------------------------------------------

ProofDefect = Callable[[ec.EllipticCurvePrivateKey, str, int], str]


def _off_curve(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    """A ``jwk`` whose point is not on P-256 (an invalid-curve attack), signed by ``key``."""
    jwk = public_jwk(key)
    y = int.from_bytes(b64url_decode(jwk["y"]), "big") ^ 1
    jwk["y"] = base64.urlsafe_b64encode(y.to_bytes(32, "big")).rstrip(b"=").decode()
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now, header={"jwk": jwk})


def _day_old(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now - DAY)


def _day_ahead(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now + DAY)


PROOF_DEFECTS: dict[str, ProofDefect] = {
    "typ": _typ,
    "alg-none": _none_alg,
    "alg-hs256": _hs256,
    "jwk-with-d": _private_jwk,
    "jwk-and-kid": _kid_and_jwk,
    "off-curve": _off_curve,
    "aud": _audience,
    "iat-minus-a-day": _day_old,
    "iat-plus-a-day": _day_ahead,
    "no-nonce": _no_nonce,
}


@pytest.fixture
async def session(issuer: Issuer) -> Session:
    return await _session(issuer)


@pytest.mark.parametrize("defect", sorted(PROOF_DEFECTS))
async def test_I_05_a_defective_proof_is_invalid_proof(session: Session, defect: str) -> None:
    nonce = await session.nonce()
    proof = PROOF_DEFECTS[defect](holder_key(), nonce, session.issuer.clock())
    response = await unchanged(session.issuer, lambda: session.request(body_with([proof])))
    refused(response, 400, "invalid_proof", proof, nonce)


async def test_I_05_a_missing_proof_is_invalid_proof(session: Session) -> None:
    body = {"credential_configuration_id": "household_income"}
    response = await unchanged(session.issuer, lambda: session.request(body))
    refused(response, 400, "invalid_proof")


async def test_I_05_a_stale_c_nonce_is_invalid_nonce(issuer: Issuer) -> None:
    nonce = await (await _session(issuer)).nonce()
    issuer.clock.advance(issuer.context.settings.nonce_ttl_seconds)
    session = await _session(issuer)  # a fresh access token, so only the nonce is stale
    proof = proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=issuer.clock())
    response = await unchanged(issuer, lambda: session.request(body_with([proof])))
    refused(response, 400, "invalid_nonce", nonce, proof)


async def test_I_05_a_reused_c_nonce_is_invalid_nonce(issuer: Issuer) -> None:
    first, second = await _session(issuer), await _session(issuer)
    nonce, now = await first.nonce(), issuer.clock()
    spent = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now)]
    assert (await first.request(body_with(spent))).status_code == 200
    again = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now)]
    response = await unchanged(issuer, lambda: second.request(body_with(again)))
    refused(response, 400, "invalid_nonce", nonce)


# -- I-06 batches: too many proofs, a repeated key, one bad proof among ten ----------------------


async def _batch_session(issuer: Issuer) -> Session:
    return await _session(issuer, batch_size=issuer.context.settings.max_batch_size)


async def _still_issues_whole_batch(session: Session) -> None:
    """No partial issuance: the offer still holds its claims and gives the whole batch."""
    size = session.issuer.context.settings.max_batch_size
    response = await session.request(body_with(await session.proofs(size)))
    assert response.status_code == 200, response.text
    assert len(response.json()["credentials"]) == size


async def test_I_06_more_proofs_than_the_batch_size_is_refused_whole(issuer: Issuer) -> None:
    """The metadata's ``batch_credential_issuance.batch_size`` caps ``proofs`` (§12.2.4)."""
    session = await _batch_session(issuer)
    proofs = await session.proofs(issuer.context.settings.max_batch_size + 1)
    response = await unchanged(issuer, lambda: session.request(body_with(proofs)))
    refused(response, 400, "invalid_credential_request", *proofs)
    await _still_issues_whole_batch(session)


async def test_I_06_one_key_in_two_proofs_is_refused_whole(issuer: Issuer) -> None:
    session = await _batch_session(issuer)
    nonce, now, key = await session.nonce(), issuer.clock(), holder_key()
    proofs = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now) for _ in range(8)]
    proofs += [proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now) for _ in range(2)]
    response = await unchanged(issuer, lambda: session.request(body_with(proofs)))
    refused(response, 400, "invalid_proof", *proofs)
    await _still_issues_whole_batch(session)


async def test_I_06_one_bad_proof_among_ten_is_refused_whole(issuer: Issuer) -> None:
    session = await _batch_session(issuer)
    nonce, now = await session.nonce(), issuer.clock()
    proofs = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now) for _ in range(9)]
    proofs.insert(4, _audience(holder_key(), nonce, now))
    response = await unchanged(issuer, lambda: session.request(body_with(proofs)))
    refused(response, 400, "invalid_proof", *proofs)
    await _still_issues_whole_batch(session)


# -- I-07 a batch is not linkable by its contents ------------------------------------------------


def _signed_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    issuer_jwt = token.split("~", 1)[0]
    header, payload, signature = issuer_jwt.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


async def test_I_07_a_batch_shares_no_key_salt_digest_signature_or_status_index(
    issuer: Issuer,
) -> None:
    size = issuer.context.settings.max_batch_size
    created = await issuer.offer(batch_size=size)
    with bounded_memory(32 * MIB):
        received = await issuer.wallet.receive(
            created["credential_offer"], created["tx_code"], batch=size
        )
    tokens = received.tokens
    assert len(tokens) == size
    payloads = [_signed_parts(token)[1] for token in tokens]
    views = [open_sd_jwt(token) for token in tokens]
    cnf = [json.dumps(p["cnf"]["jwk"], sort_keys=True) for p in payloads]
    assert len(set(cnf)) == size
    assert len({_signed_parts(token)[2] for token in tokens}) == size
    salts = [d.salt for view in views for d in view.disclosures]
    digests = [d.digest for view in views for d in view.disclosures]
    assert len(salts) == len(set(salts)) == len(digests) == len(set(digests))
    assert all(len(b64url_decode(salt)) >= 16 for salt in salts)  # 128 bits (RFC 9901 §9.3)
    # Each instance discloses the same claim names, so none stands out by its shape.
    assert len({tuple(sorted(str(d.name) for d in view.disclosures)) for view in views}) == 1
    indices = [p["status"]["status_list"]["idx"] for p in payloads]
    assert len(set(indices)) == size
    steps = {b - a for a, b in itertools.pairwise(sorted(indices))}
    assert len(steps) > 1  # not a run of consecutive or evenly spaced indices
    granularity = issuer.context.settings.timestamp_granularity_seconds
    times = {(p["iat"], p["nbf"], p["exp"]) for p in payloads}
    assert len(times) == 1  # one rounded time for the whole batch
    assert all(value % granularity == 0 for value in next(iter(times)))


async def test_I_07_status_indices_of_two_batches_are_not_a_sequence(issuer: Issuer) -> None:
    """Unpredictable across citizens too: the next batch does not continue the last one."""
    first = await issuer.offer(batch_size=3)
    second = await issuer.offer(batch_size=3)
    one = await issuer.wallet.receive(first["credential_offer"], first["tx_code"], batch=3)
    two = await issuer.wallet.receive(second["credential_offer"], second["tx_code"], batch=3)
    indices = [
        _signed_parts(token)[1]["status"]["status_list"]["idx"] for token in one.tokens + two.tokens
    ]
    assert len(set(indices)) == 6
    steps = {b - a for a, b in itertools.pairwise(indices)}
    assert len(steps) > 1
