"""The rejection matrix, presentation side: answers that reach the pipeline and are refused.

Each test feeds the response endpoint one defect through an otherwise correct wallet and
checks both sides (``tests.verifier.refusals``): the wallet's wire error with the exact reason,
and the desk's ``rejected`` result with that reason. These answers arrive in a valid
envelope for the right transaction, so they consume it: one answer per nonce (OpenID4VP 1.0
§14.2 preventing replay; ``verifier.responses``). The desk answers ``direct_post.jwt``, so
every defect also travels through the encryption the real wallet uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specs.errors import (
    DcqlReason,
    JoseReason,
    Oid4vpReason,
    SdJwtReason,
    StatusListReason,
    TrustReason,
)
from specs.jose import PrivateJwk, public_jwk_from_key
from tests.verifier.agencies import new_agency_key
from tests.verifier.conftest import Desk, running_desk
from tests.verifier.refusals import (
    assert_consumed,
    assert_wire_error,
    eligible_case,
    give_parts,
    parts_of,
    ready,
)
from tests.verifier.wallet import Tamper, new_holder_key

PERSON = "urn:nl:brp:person:1"
INSURANCE = "urn:nl:zorgverzekeraar:health-insurance:1"
BRP = "https://brp.gemeente.example"


async def refused(desk: Desk, tamper: Tamper) -> tuple[dict[str, Any], Any]:
    """Start a transaction for the eligible citizen and answer it with ``tamper``."""
    started = await ready(desk)
    return started, await desk.wallet.answer(started["link"], tamper)


# Key binding (Appendix B.3.6; RFC 9901 §7.3): the KB-JWT is for this request only.


async def test_wrong_nonce(desk: Desk) -> None:
    started, response = await refused(desk, Tamper(nonce="a-nonce-of-another-request"))
    assert_wire_error(response, SdJwtReason.KB_NONCE_MISMATCH)
    await assert_consumed(desk, started, SdJwtReason.KB_NONCE_MISMATCH)


async def test_wrong_audience(desk: Desk) -> None:
    started, response = await refused(desk, Tamper(audience="x509_hash:another-verifier"))
    assert_wire_error(response, SdJwtReason.KB_AUDIENCE_MISMATCH)
    await assert_consumed(desk, started, SdJwtReason.KB_AUDIENCE_MISMATCH)


async def test_stripped_key_binding(desk: Desk) -> None:
    """Key binding is the verifier's policy, not the wallet's choice (DESIGN §4)."""
    started, response = await refused(desk, Tamper(strip_key_binding=True))
    assert_wire_error(response, SdJwtReason.KEY_BINDING_MISSING)
    await assert_consumed(desk, started, SdJwtReason.KEY_BINDING_MISSING)


async def test_key_binding_too_old(desk: Desk) -> None:
    settings = desk.context.settings
    too_old = -(settings.kb_max_age_seconds + settings.clock_leeway_seconds + 1)
    started, response = await refused(desk, Tamper(kb_iat_offset=too_old))
    assert_wire_error(response, SdJwtReason.KB_IAT_OUT_OF_WINDOW)
    await assert_consumed(desk, started, SdJwtReason.KB_IAT_OUT_OF_WINDOW)


async def test_key_binding_from_the_future(desk: Desk) -> None:
    ahead = desk.context.settings.clock_leeway_seconds + 1
    started, response = await refused(desk, Tamper(kb_iat_offset=ahead))
    assert_wire_error(response, SdJwtReason.KB_IAT_OUT_OF_WINDOW)
    await assert_consumed(desk, started, SdJwtReason.KB_IAT_OUT_OF_WINDOW)


async def test_key_binding_signed_by_another_key(desk: Desk) -> None:
    """Someone who copied the credential but not the holder's key cannot present it."""
    started, response = await refused(desk, Tamper(holder_key=new_holder_key()))
    assert_wire_error(response, JoseReason.BAD_SIGNATURE)
    await assert_consumed(desk, started, JoseReason.BAD_SIGNATURE)


def _drop_first_disclosure(token: dict[str, list[str]]) -> dict[str, list[str]]:
    """Remove one Disclosure after the KB-JWT was signed over the presentation."""
    issuer_jwt, _dropped, *rest = token["c0"][0].split("~")
    return {**token, "c0": ["~".join([issuer_jwt, *rest])]}


async def test_sd_hash_mismatch(desk: Desk) -> None:
    started, response = await refused(desk, Tamper(rewrite_vp_token=_drop_first_disclosure))
    assert_wire_error(response, SdJwtReason.KB_SD_HASH_MISMATCH)
    await assert_consumed(desk, started, SdJwtReason.KB_SD_HASH_MISMATCH)


# The verifier's own DCQL query (§6.4, §14.11): never the wallet's word.


async def test_over_disclosure(desk: Desk) -> None:
    """A claim outside the query is disclosed: the minimum is the verifier's rule too."""
    parts = parts_of(eligible_case())
    parts = [
        (issuer, vct, {**claims, "birth_date": "2000-01-01"} if vct == PERSON else claims)
        for issuer, vct, claims in parts
    ]
    give_parts(desk, parts)
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"], Tamper(extra_paths=(("birth_date",),)))
    assert_wire_error(response, DcqlReason.CLAIM_OUTSIDE_QUERY)
    await assert_consumed(desk, started, DcqlReason.CLAIM_OUTSIDE_QUERY)


async def test_credential_query_id_not_in_the_query(desk: Desk) -> None:
    def rename(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {("not-asked" if query_id == "c0" else query_id): p for query_id, p in token.items()}

    started, response = await refused(desk, Tamper(rewrite_vp_token=rename))
    assert_wire_error(response, DcqlReason.UNKNOWN_CREDENTIAL_ID)
    await assert_consumed(desk, started, DcqlReason.UNKNOWN_CREDENTIAL_ID)


async def test_presentation_filed_under_the_wrong_query_id(desk: Desk) -> None:
    """The person credential answers the health-insurance query and vice versa."""

    def swap(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {**token, "c0": token["c4"], "c4": token["c0"]}

    started, response = await refused(desk, Tamper(rewrite_vp_token=swap))
    assert_wire_error(response, DcqlReason.VCT_NOT_REQUESTED)
    await assert_consumed(desk, started, DcqlReason.VCT_NOT_REQUESTED)


async def test_required_credential_left_out(desk: Desk) -> None:
    """The person credential is required by the query's credential sets (§6.4.2)."""

    def drop_person(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {query_id: p for query_id, p in token.items() if query_id != "c0"}

    started, response = await refused(desk, Tamper(rewrite_vp_token=drop_person))
    assert_wire_error(response, DcqlReason.CREDENTIAL_SETS_UNSATISFIED)
    await assert_consumed(desk, started, DcqlReason.CREDENTIAL_SETS_UNSATISFIED)


async def test_two_presentations_for_one_query(desk: Desk) -> None:
    """§8.1: one presentation per Credential Query unless it says ``multiple``."""

    def twice(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {**token, "c0": token["c0"] * 2}

    started, response = await refused(desk, Tamper(rewrite_vp_token=twice))
    assert_wire_error(response, DcqlReason.MULTIPLE_NOT_ALLOWED)
    await assert_consumed(desk, started, DcqlReason.MULTIPLE_NOT_ALLOWED)


async def test_too_many_presentations(desk: Desk) -> None:
    """Counted before any presentation is looked at (``max_presentations``)."""
    limit = desk.context.settings.max_presentations

    def flood(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {**token, "c0": token["c0"] * (limit + 1)}

    started, response = await refused(desk, Tamper(rewrite_vp_token=flood))
    assert_wire_error(response, Oid4vpReason.TOO_MANY_PRESENTATIONS)
    await assert_consumed(desk, started, Oid4vpReason.TOO_MANY_PRESENTATIONS)


async def test_presentation_that_is_not_an_sd_jwt(desk: Desk) -> None:
    def garble(token: dict[str, list[str]]) -> dict[str, list[str]]:
        return {**token, "c0": ["not-an-sd-jwt"]}

    started, response = await refused(desk, Tamper(rewrite_vp_token=garble))
    assert_wire_error(response, SdJwtReason.MALFORMED_SERIALIZATION)
    await assert_consumed(desk, started, SdJwtReason.MALFORMED_SERIALIZATION)


# transaction_data (§8.4, Appendix B.3.3.1): the citizen's signature covers the purpose.


async def test_transaction_data_hashes_missing(desk: Desk) -> None:
    started, response = await refused(desk, Tamper(omit_transaction_data_hashes=True))
    reason = Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING
    assert_wire_error(response, reason, error="invalid_transaction_data")
    await assert_consumed(desk, started, reason)


async def test_transaction_data_hashes_wrong(desk: Desk) -> None:
    """The hash of another purpose: what the citizen agreed to is not this request."""
    other_purpose = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"
    started, response = await refused(desk, Tamper(transaction_data_hashes=[other_purpose]))
    reason = Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH
    assert_wire_error(response, reason, error="invalid_transaction_data")
    await assert_consumed(desk, started, reason)


async def test_transaction_data_hashes_alg_not_sha_256(desk: Desk) -> None:
    tamper = Tamper(kb_claims={"transaction_data_hashes_alg": "sha-384"})
    started, response = await refused(desk, tamper)
    reason = Oid4vpReason.TRANSACTION_DATA_HASH_ALG
    assert_wire_error(response, reason, error="invalid_transaction_data")
    await assert_consumed(desk, started, reason)


# Holder binding across credentials: one answer, one person.


async def test_credentials_of_two_holders_combined(desk: Desk) -> None:
    """Half the credentials are bound to one holder key, half to another (two people's
    credentials in one answer, each with a valid KB-JWT of its own holder)."""
    parts = parts_of(eligible_case())
    give_parts(desk, parts[:2])
    give_parts(desk, parts[2:])
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, Oid4vpReason.HOLDERS_DIFFER)
    await assert_consumed(desk, started, Oid4vpReason.HOLDERS_DIFFER)


# Issuer trust (the registry) and the issuer's signature.


async def test_vct_not_authorised_for_that_issuer(desk: Desk) -> None:
    """The municipality (registered, for person data) signs a health-insurance credential."""
    parts = [
        (BRP if vct == INSURANCE else issuer, vct, claims)
        for issuer, vct, claims in parts_of(eligible_case())
    ]
    give_parts(desk, parts)
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, TrustReason.VCT_NOT_AUTHORISED)
    await assert_consumed(desk, started, TrustReason.VCT_NOT_AUTHORISED)


async def test_issuer_not_registered(desk: Desk) -> None:
    """An agency with real keys and metadata that the trust list does not name."""
    parts = [
        ("https://nep-brp.example" if vct == PERSON else issuer, vct, claims)
        for issuer, vct, claims in parts_of(eligible_case())
    ]
    give_parts(desk, parts)
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, TrustReason.ISSUER_NOT_REGISTERED)
    await assert_consumed(desk, started, TrustReason.ISSUER_NOT_REGISTERED)


async def test_forged_issuer_signature(desk: Desk) -> None:
    """A credential in the municipality's name, with its key id, signed by another key."""
    agency = desk.agencies[BRP]
    real = agency.key
    forger = new_agency_key()
    agency.key = PrivateJwk(forger.key, public_jwk_from_key(forger.public.key, kid=real.public.kid))
    try:
        person = [p for p in parts_of(eligible_case()) if p[1] == PERSON]
        holder = new_holder_key()
        give_parts(desk, person, holder=holder)
    finally:
        agency.key = real
    rest = [p for p in parts_of(eligible_case()) if p[1] != PERSON]
    give_parts(desk, rest, holder=holder)
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, JoseReason.BAD_SIGNATURE)
    await assert_consumed(desk, started, JoseReason.BAD_SIGNATURE)


async def test_issuer_key_not_registered(desk: Desk) -> None:
    """The insurer signs with a key its own metadata publishes but the registry never
    listed (a rotation the registry did not approve, or a hijacked metadata host)."""
    desk.agencies["https://zorgverzekeraar.example"].key = new_agency_key()
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, TrustReason.KEY_NOT_REGISTERED)
    await assert_consumed(desk, started, TrustReason.KEY_NOT_REGISTERED)


# Status (Token Status List §8.3): only VALID passes.


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (1, StatusListReason.REVOKED),
        (2, StatusListReason.SUSPENDED),
        (3, StatusListReason.NOT_VALID),  # an application-specific status: not VALID either
    ],
    ids=["revoked", "suspended", "application-specific"],
)
async def test_credential_not_valid(desk: Desk, status: int, reason: StatusListReason) -> None:
    indices = desk.give(eligible_case())
    index = indices[INSURANCE]
    assert index is not None
    desk.agencies["https://zorgverzekeraar.example"].statuses[index] = status
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, reason)
    await assert_consumed(desk, started, reason)


async def test_credential_without_status_reference(desk: Desk) -> None:
    """A credential no revocation could ever reach is refused (``require_status``)."""
    desk.give(eligible_case(), with_status=False)
    started = await desk.start("zorgtoeslag")
    response = await desk.wallet.answer(started["link"])
    assert_wire_error(response, StatusListReason.STATUS_MISSING)
    await assert_consumed(desk, started, StatusListReason.STATUS_MISSING)


async def test_status_not_required_when_configured(tmp_path: Path) -> None:
    """Where an operator turns it off (types never revoked), the same answer decides."""
    url = f"sqlite+aiosqlite:///{tmp_path}/no-status.db"
    async with running_desk(tmp_path, url, require_status=False) as relaxed:
        relaxed.give(eligible_case(), with_status=False)
        started = await relaxed.start("zorgtoeslag")
        assert (await relaxed.wallet.answer(started["link"])).status_code == 200
        assert (await relaxed.result(started["transaction_id"])).json()["status"] == "eligible"
