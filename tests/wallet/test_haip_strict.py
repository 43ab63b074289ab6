"""Strict HAIP 1.0 mode end to end: every role of the town in it, over real HTTP on loopback,
on SQLite and on PostgreSQL (``aanspraak.town`` with ``haip=True``).

The agencies issue by the authorization code flow with PAR, PKCE and ``iss`` (HAIP §4,
§4.3), DPoP-bound tokens (§4), the wallet service's wallet attestation at PAR and token
(§4.4.1) and its key attestation in every proof (§4.5.1); their credentials carry ``x5c``
without the trust anchor (§6.1.1). The desk asks with ``x509_hash`` and ``direct_post.jwt``
for A128GCM/A256GCM (§5, §5.1), names the agencies' CAs in ``trusted_authorities`` (§5) and
decides; the strict wallet refuses anything outside the profile.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from aanspraak.town import Town, running_town
from specs.jose import parse_compact_jws
from specs.oid4vp.haip import is_self_signed
from specs.trust import certificate_key_ref
from tests.wallet.town_fixtures import (
    BATCH,
    CONFIGURATION_OF,
    FAST_KDF,
    INCOME_CLAIMS,
    desk_link,
    desk_result,
    issuable,
    new_citizen,
    postgres_database,
    zorgtoeslag,
)
from wallet.device_client import WalletServiceClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def strict_town(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    data: Path = tmp_path_factory.mktemp("haip-town")
    with contextlib.ExitStack() as stack:
        wallet: dict[str, Any] = {**FAST_KDF, "batch_size": BATCH}
        if request.param == "postgresql":
            wallet["database_url"] = stack.enter_context(postgres_database())
        yield stack.enter_context(
            running_town(
                data,
                haip=True,
                wallet_overrides=wallet,
                issuer_overrides={"max_batch_size": BATCH},
            )
        )


async def _receive_by_code_flow(
    town: Town, phone: WalletServiceClient, subject: str, case_name: str
) -> list[dict[str, Any]]:
    """The agency's register holds the scenario's statements for ``subject``; the citizen
    logs in at the agency and the phone receives each by the code flow."""
    stored = []
    for credential in zorgtoeslag(case_name).credentials:
        configuration = CONFIGURATION_OF[credential.vct]
        town.register_subject(configuration, subject, issuable(dict(credential.claims)))
        stored.append(
            await phone.receive_by_authorization(
                town.issuer_url, configuration, login_hint=subject, instances=2
            )
        )
    return stored


async def test_haip_strict_mode_issues_presents_and_decides_end_to_end(
    strict_town: Town,
) -> None:
    town = strict_town
    assert town.issuer.settings.haip
    async with await new_citizen(town) as phone:
        stored = await _receive_by_code_flow(town, phone, "citizen-strict", "single_income_35000")
        for one in stored:
            assert one["status"] == "stored"
            for check in ("authorization-code", "dpop", "client-attestation", "key-attestation"):
                assert check in one["checks"], one["checks"]

        assert town.desk.settings.trusted_authority_akis  # the query names the agencies' CAs
        link, transaction_id, key = await desk_link(town)
        opened = await phone.open_request(link)
        sent = await phone.approve(opened["id"])
        assert sent["desk"]["status_code"] == 200, sent
        result = await desk_result(town, transaction_id, key)
        assert result["status"] == "eligible", result


async def test_haip_6_1_strict_status_lists_leave_the_trust_anchor_out(strict_town: Town) -> None:
    """The agency's Status List Token carries its signing certificate only (HAIP §6.1); the
    desk and the wallet hold the root (``ISSUER_CA_FILE``), and the registry lists the CA's
    root, not the agency's key."""
    async with await new_citizen(strict_town) as phone:  # an issuance opens status list 1
        strict_town.register_subject("household_income", "citizen-status", INCOME_CLAIMS)
        await phone.receive_by_authorization(
            strict_town.issuer_url, "household_income", login_hint="citizen-status", instances=1
        )
    async with httpx.AsyncClient(trust_env=False) as client:
        token = (await client.get(f"{strict_town.issuer_url}/status/1")).text
    certificates = parse_compact_jws(token).header["x5c"]
    assert len(certificates) == 1
    leaf = x509.load_der_x509_certificate(base64.b64decode(certificates[0]))
    assert not is_self_signed(leaf)
    roots = strict_town.desk.issuer_roots
    assert roots
    assert strict_town.wallet.issuer_roots == roots
    entry = strict_town.desk.trust.snapshot(now=0).issuers[strict_town.issuer_url]
    assert entry.key_refs == {certificate_key_ref(root) for root in roots[:1]}


async def test_haip_4_5_1_a_batch_of_20_attested_proofs_is_issued(strict_town: Town) -> None:
    """Every proof carries the batch's one key attestation (HAIP §4.5.1), so the request of a
    batch of 20 is about 100 KiB: strict mode's body limit takes it."""
    async with await new_citizen(strict_town) as phone:
        strict_town.register_subject("household_income", "citizen-batch", INCOME_CLAIMS)
        stored = await phone.receive_by_authorization(
            strict_town.issuer_url, "household_income", login_hint="citizen-batch", instances=BATCH
        )
    assert stored["credential"]["instances"] == BATCH
    assert "key-attestation" in stored["checks"]
