"""Rotating the issuer's storage key: old values open, old tx_codes redeem, reseal moves all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer.app import prepare
from issuer.context import IssuerContext, build_context
from issuer.offers import OfferRequest, create_offer
from issuer.redemption import redeem
from issuer.reseal import SEALED_COLUMNS, reseal
from issuer.tables import offers
from runtime.sealing import SealBroken, Sealer, load_or_create_key
from runtime.wire import InvalidGrant
from specs.oid4vci.requests import TokenRequest
from tests.issuer.conftest import issuer_settings
from tests.issuer.wallet import PRE_AUTHORIZED

PERSON = {
    "birthdate": "1961-07-29",
    "age_years": 65,
    "reference_date": "2026-09-01",
    "resident_in_nl": True,
}


def person(municipality: str) -> OfferRequest:
    return OfferRequest(
        configuration_id="person",
        claims={**PERSON, "municipality": municipality},
        subject=None,
        batch_size=1,
        deferred=False,
        tx_code=True,
        expires_in=None,
    )


def rotated(tmp_path: Path, database_url: str, *, retired: bool = True) -> IssuerContext:
    """The issuer after step 1 of a rotation (``retired``) or step 3 (old key gone)."""
    new = tmp_path / "storage-new.key"
    load_or_create_key(new)
    overrides: dict[str, Any] = {"storage_key_file": new}
    if retired:
        overrides["retired_storage_key_files"] = [tmp_path / "storage.key"]
    return build_context(issuer_settings(tmp_path, database_url, **overrides))


async def make_offers(context: IssuerContext, count: int, marker: str) -> list[str]:
    await prepare(context)
    made = []
    for number in range(count):
        created = await create_offer(
            context,
            person(f"{marker}-{number:04d}"),
            api_key_id=None,
            allowed=frozenset({"person"}),
        )
        made.append(created.offer_id)
    return made


async def sealed_values(context: IssuerContext) -> list[tuple[str, str, bytes]]:
    async with context.read() as connection:
        found = []
        for sealed in SEALED_COLUMNS:
            rows = await connection.execute(
                select(offers.c.id, sealed.column).where(sealed.column.is_not(None))
            )
            found += [(sealed.column.name, offer_id, value) for offer_id, value in rows]
        return found


def test_a_retired_key_opens_what_it_sealed_and_the_active_key_tells_its_own() -> None:
    old, new = bytes(range(32)), bytes(range(1, 33))
    sealed = Sealer(old).seal(b"claims", context=b"offer-1")
    rotating = Sealer(new, (old,))
    assert rotating.open_and_tell(sealed, context=b"offer-1") == (b"claims", False)
    fresh = rotating.seal(b"claims", context=b"offer-1")
    assert rotating.open_and_tell(fresh, context=b"offer-1") == (b"claims", True)
    with pytest.raises(SealBroken):
        Sealer(new).open(sealed, context=b"offer-1")
    with pytest.raises(SealBroken):
        rotating.open(sealed, context=b"offer-2")  # the context still binds


async def test_reseal_moves_every_value_and_a_second_run_finds_nothing(
    tmp_path: Path, database_url: str
) -> None:
    before = build_context(issuer_settings(tmp_path, database_url))
    made = await make_offers(before, 5, "Zwolle")
    await before.engine.dispose()
    context = rotated(tmp_path, database_url)
    try:
        first = await reseal(context, batch=2)
        assert first.resealed["sealed_claims"] == 5
        assert first.resealed["sealed_offer"] == 5
        again = await reseal(context)
        assert sum(again.resealed.values()) == 0
        assert again.current["sealed_claims"] == 5
    finally:
        await context.engine.dispose()
    done = rotated(tmp_path, database_url, retired=False)
    try:
        values = await sealed_values(done)
        assert len(values) == 10
        for name, offer_id, value in values:
            column = next(s for s in SEALED_COLUMNS if s.column.name == name)
            assert done.sealer.open(value, context=column.context_of(offer_id))
        assert sorted({offer_id for _, offer_id, _ in values}) == sorted(made)
    finally:
        await done.engine.dispose()


async def test_a_tx_code_made_before_the_rotation_still_redeems(
    tmp_path: Path, database_url: str
) -> None:
    before = build_context(issuer_settings(tmp_path, database_url))
    await prepare(before)
    created = await create_offer(
        before, person("Zwolle"), api_key_id=None, allowed=frozenset({"person"})
    )
    await before.engine.dispose()
    context = rotated(tmp_path, database_url)
    try:
        grant = created.credential_offer["grants"][PRE_AUTHORIZED]
        code = grant["pre-authorized_code"]
        wrong = TokenRequest(PRE_AUTHORIZED, code, "000000" if created.tx_code != "000000" else "1")
        with pytest.raises(InvalidGrant):  # a wrong code is still wrong under either key
            await redeem(context, wrong)
        granted = await redeem(context, TokenRequest(PRE_AUTHORIZED, code, created.tx_code))
        assert granted.access_token
    finally:
        await context.engine.dispose()


async def test_a_value_no_configured_key_opens_is_counted_and_left_alone(
    tmp_path: Path, database_url: str
) -> None:
    """The operator left the old key out of RETIRED_STORAGE_KEY_FILES: the pass goes on,
    counts what it cannot open, and changes nothing (the old key can still be added)."""
    before = build_context(issuer_settings(tmp_path, database_url))
    await make_offers(before, 3, "Zwolle")
    await before.engine.dispose()
    context = rotated(tmp_path, database_url, retired=False)
    try:
        values = await sealed_values(context)
        figures = await reseal(context)
        assert figures.unopenable == {"sealed_claims": 3, "sealed_offer": 3, "sealed_subject": 0}
        assert sum(figures.resealed.values()) == 0
        assert await sealed_values(context) == values
    finally:
        await context.engine.dispose()
