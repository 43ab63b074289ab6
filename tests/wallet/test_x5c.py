"""The wallet with issuers that sign through a CA (HAIP §6.1, §6.1.1), end to end.

``running_town(x5c=True)``: the agency's issuer gets a development CA, its credentials and
Status List Tokens carry ``x5c``, and the registry lists the CA's root key reference (not the
signing key). The wallet keeps a credential only when its chain ends in that registered root,
checks status lists by their own chain, and the desk verifies the same chains.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from aanspraak.town import Town, running_town
from issuer.certificates import CertifiedSigner, anchor_key_ref
from specs.errors import TrustReason
from tests.wallet.town_fixtures import (
    FAST_KDF,
    Governance,
    desk_link,
    desk_result,
    issuable,
    new_citizen,
    receive,
    receive_scenario,
    zorgtoeslag,
)
from wallet.device_client import ServiceRefused

INCOME = "urn:nl:belastingdienst:household-income:1"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    data: Path = tmp_path_factory.mktemp("x5c-town")
    with contextlib.ExitStack() as stack:
        yield stack.enter_context(running_town(data, wallet_overrides=FAST_KDF, x5c=True))


@pytest.fixture
def governance(town: Town) -> Iterator[Governance]:
    changing = Governance(town)
    yield changing
    changing.restore()


def test_haip_6_1_1_the_town_registers_the_ca_not_the_key(town: Town) -> None:
    signer = town.issuer.keys.active
    assert isinstance(signer, CertifiedSigner)
    entry = town.desk.trust.snapshot(now=0).issuers[town.issuer_url]
    assert entry.key_refs == {anchor_key_ref(signer)}
    assert signer.public.thumbprint() not in entry.key_refs


async def test_haip_6_1_1_credentials_of_a_registered_ca_are_kept_checked_and_presented(
    town: Town,
) -> None:
    case = zorgtoeslag("single_income_35000")
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, case, instances=2)
        assert len(await phone.credentials()) == len(case.credentials)
        checked = (await phone.call("POST", "/v1/credentials/status")).json()
        assert set(checked["statuses"].values()) == {"valid"}  # lists verified by their x5c
        link, transaction_id, key = await desk_link(town)
        opened = await phone.open_request(link)
        sent = await phone.approve(opened["id"])
        result = await desk_result(town, transaction_id, key)
        assert sent["desk"]["status_code"] == 200, result.get("reason")
        assert result["status"] == "eligible"


async def test_haip_6_1_1_a_credential_of_an_unregistered_ca_is_refused(
    town: Town, governance: Governance
) -> None:
    """The registry lists the issuer's signing key itself, but not its CA: the chain in
    ``x5c`` decides, and it ends in a root the registry does not list."""
    entry = governance.original.issuers[town.issuer_url]
    thumbprint = town.issuer.keys.active.public.thumbprint()
    governance.change(issuers={town.issuer_url: replace(entry, key_refs=frozenset({thumbprint}))})
    income = next(c for c in zorgtoeslag("single_income_35000").credentials if c.vct == INCOME)
    async with await new_citizen(town) as phone:
        with pytest.raises(ServiceRefused) as refused:
            await receive(town, phone, INCOME, issuable(dict(income.claims)), instances=1)
        assert (refused.value.status, refused.value.error) == (422, "refused")
        assert refused.value.description == TrustReason.X5C_ROOT_NOT_REGISTERED.value
        assert await phone.credentials() == []


async def test_haip_6_1_a_status_list_of_an_unregistered_ca_leaves_the_status_unknown(
    town: Town, governance: Governance
) -> None:
    income = next(c for c in zorgtoeslag("single_income_35000").credentials if c.vct == INCOME)
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, issuable(dict(income.claims)), instances=1)
        entry = governance.original.issuers[town.issuer_url]
        governance.change(issuers={town.issuer_url: replace(entry, key_refs=frozenset({"A" * 43}))})
        checked = (await phone.call("POST", "/v1/credentials/status")).json()
        assert set(checked["statuses"].values()) == {"unknown"}
