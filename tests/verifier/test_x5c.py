"""The desk resolves issuer keys through ``x5c`` anchored in the registry (HAIP §6.1, §6.1.1)
and re-checks ``trusted_authorities`` of type ``aki`` (OpenID4VP 1.0 §6.1.1, HAIP §5).

The agencies of ``tests.verifier.agencies`` sign with their keys; here each key also gets a
certificate from the agency's own CA, and the agencies put the chain in the ``x5c`` header of
their credentials and Status List Tokens (wrapping the signing functions they call, so every
signature stays real). The registry lists each agency by its CA's root key reference, or,
for the refusals, by something else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from aanspraak.demo_trust import build_seed
from runtime.regulations import catalogue
from specs.errors import DcqlReason, Reason, TrustReason
from specs.jose import JwsSigner
from specs.oid4vp.dcql import DcqlQuery
from specs.oid4vp.dcql_match import select_credentials
from specs.sd_jwt_vc import issue_sd_jwt_vc
from specs.status_list import build_status_list_token
from specs.trust.trust_list import build_trust_list
from tests.ca import Ca, new_ca
from tests.support import START
from tests.verifier import agencies as agency_module
from tests.verifier import wallet as wallet_module
from tests.verifier.conftest import Desk, all_scenarios, make_desk, scenario
from tests.verifier.refusals import assert_consumed, assert_undetermined, assert_wire_error

CASE = ("zorgtoeslag", "single_income_35000")


@dataclasses.dataclass
class Pki:
    """One CA per agency; ``certify`` says which kinds of JWS carry ``x5c``."""

    cas: dict[str, Ca]
    chains: dict[str, list[str]]
    """Signing key thumbprint -> x5c."""
    credentials: bool = True
    status_lists: bool = True

    def header(self, key: JwsSigner, header: Mapping[str, Any] | None) -> dict[str, Any]:
        chain = self.chains.get(key.public.thumbprint())
        return {**(header or {}), **({"x5c": chain} if chain else {})}


@pytest.fixture
def pki(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Pki:
    cas: dict[str, Ca] = {}
    chains: dict[str, list[str]] = {}
    for agency in desk.agencies.by_host.values():
        ca = cas[agency.issuer] = new_ca(START)
        chains[agency.key.public.thumbprint()] = ca.chain(agency.key, agency.issuer)
    made = Pki(cas, chains)

    def issue_with_x5c(payload: Any, **kwargs: Any) -> Any:
        if made.credentials:
            kwargs["extra_header"] = made.header(kwargs["issuer_key"], kwargs.get("extra_header"))
        return issue_sd_jwt_vc(payload, **kwargs)

    def build_with_x5c(**kwargs: Any) -> str:
        if made.status_lists:
            kwargs["extra_header"] = made.header(kwargs["key"], kwargs.get("extra_header"))
        return build_status_list_token(**kwargs)

    monkeypatch.setattr(agency_module, "issue_sd_jwt_vc", issue_with_x5c)
    monkeypatch.setattr(agency_module, "build_status_list_token", build_with_x5c)
    return made


def register(desk: Desk, key_refs: Callable[[str], frozenset[str]]) -> None:
    """Governance lists every agency with ``key_refs(issuer)`` and signs the registry again."""
    types: dict[str, set[str]] = {}
    for case in all_scenarios():
        for credential in case.credentials:
            types.setdefault(credential.issuer, set()).add(credential.vct)
    seed = build_seed(desk.agencies.keys, types, desk.context.client_id, catalogue(), catalogue())
    issuers = [dataclasses.replace(e, key_refs=key_refs(e.issuer)) for e in seed.issuers]
    seed = dataclasses.replace(seed, issuers=issuers)
    assert desk.governance is not None
    assert desk.trust_list is not None
    desk.clock.advance(1)
    token = build_trust_list(
        seed.snapshot(as_of=desk.clock()),
        key=desk.governance,
        governance_id="governance",
        now=desk.clock(),
        ttl=86_400,
    )
    desk.trust_list.write_text(token)


def registered_roots(pki: Pki) -> Callable[[str], frozenset[str]]:
    return lambda issuer: frozenset({pki.cas[issuer].key_ref})


async def _answer(desk: Desk) -> tuple[dict[str, Any], Any]:
    desk.give(scenario(*CASE))
    started = await desk.start("zorgtoeslag")
    return started, await desk.wallet.answer(started["link"])


async def _assert_eligible(desk: Desk) -> None:
    """The wallet's answer is accepted and the case decided: the chain was trusted."""
    started, response = await _answer(desk)
    assert response.status_code == 200, response.text
    assert (await desk.result(started["transaction_id"])).json()["status"] == "eligible"


async def _assert_refused(desk: Desk, reason: Reason) -> None:
    """The wallet's answer is refused on the wire with ``reason``, and the transaction is
    spent with it."""
    started, response = await _answer(desk)
    assert_wire_error(response, reason)
    await assert_consumed(desk, started, reason)


async def test_haip_6_1_1_a_credential_chained_to_a_registered_ca_is_accepted(
    desk: Desk, pki: Pki
) -> None:
    register(desk, registered_roots(pki))  # the CAs only: the keys themselves are not listed
    await _assert_eligible(desk)


async def test_haip_6_1_1_a_credential_chained_to_an_unregistered_ca_is_refused(
    desk: Desk, pki: Pki
) -> None:
    stranger = new_ca(START)  # the registry lists another CA for every agency
    register(desk, lambda issuer: frozenset({stranger.key_ref}))
    await _assert_refused(desk, TrustReason.X5C_ROOT_NOT_REGISTERED)


async def test_haip_6_1_1_x5c_decides_even_when_the_key_itself_is_registered(
    desk: Desk, pki: Pki
) -> None:
    """The default registry lists the agencies' keys, not their CAs: a credential that
    names its key by ``x5c`` is judged by its chain's root."""
    await _assert_refused(desk, TrustReason.X5C_ROOT_NOT_REGISTERED)


async def test_haip_6_1_a_status_list_chained_to_an_unregistered_ca_cannot_verify(
    desk: Desk, pki: Pki
) -> None:
    """The list is not trusted, so the credential's status is unknown: "cannot verify",
    never eligible, and no verdict on a credential that may be good (THREATS T-06)."""
    pki.credentials = False  # credentials by kid (their keys are registered), lists by x5c
    started, response = await _answer(desk)
    record = await assert_undetermined(desk, started, response)
    assert record["cause"] == TrustReason.X5C_ROOT_NOT_REGISTERED.value


async def test_haip_6_1_a_status_list_chained_to_a_registered_ca_is_accepted(
    desk: Desk, pki: Pki
) -> None:
    pki.credentials = False
    register(
        desk, lambda issuer: frozenset({*registered_roots(pki)(issuer), _key_ref(desk, issuer)})
    )
    await _assert_eligible(desk)


def _key_ref(desk: Desk, issuer: str) -> str:
    return desk.agencies[issuer].key.public.thumbprint()


async def _aki_desk(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, *, excluded: str | None
) -> AsyncIterator[tuple[Desk, Pki]]:
    """A desk that accepts the CA of every agency but ``excluded``, agencies whose
    credentials carry ``x5c``, every CA registered, and a wallet that ignores
    ``trusted_authorities`` (so only the desk's own re-check stands in the way)."""

    def ignoring(query: DcqlQuery, held: Any, **kwargs: Any) -> Any:
        plain = tuple(dataclasses.replace(c, trusted_authorities=()) for c in query.credentials)
        return select_credentials(dataclasses.replace(query, credentials=plain), held, **kwargs)

    monkeypatch.setattr(wallet_module, "select_credentials", ignoring)
    cas = {issuer: new_ca(START) for issuer in _issuers()}
    akis = [ca.aki for issuer, ca in cas.items() if issuer != excluded]
    pki = Pki(cas, {}, status_lists=False)

    def issue_with_x5c(payload: Any, **kwargs: Any) -> Any:
        kwargs["extra_header"] = pki.header(kwargs["issuer_key"], kwargs.get("extra_header"))
        return issue_sd_jwt_vc(payload, **kwargs)

    monkeypatch.setattr(agency_module, "issue_sd_jwt_vc", issue_with_x5c)
    async for desk in make_desk(tmp_path, database_url, trusted_authority_akis=akis):
        for agency in desk.agencies.by_host.values():
            chain = cas[agency.issuer].chain(agency.key, agency.issuer)
            pki.chains[agency.key.public.thumbprint()] = chain
        register(desk, registered_roots(pki))  # every CA is registered: trust is not the issue
        yield desk, pki


def _issuers() -> set[str]:
    return {c.issuer for case in all_scenarios() for c in case.credentials}


async def test_haip_5_the_desk_asks_for_its_trusted_authorities_and_accepts_them(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for desk, pki in _aki_desk(tmp_path, database_url, monkeypatch, excluded=None):
        started = await desk.start("zorgtoeslag")
        request = await desk.wallet.fetch_request(started["link"])
        akis = {ca.aki for ca in pki.cas.values()}
        for credential in request.dcql_query["credentials"]:
            (authorities,) = credential["trusted_authorities"]
            assert authorities["type"] == "aki"
            assert set(authorities["values"]) == akis
        await _assert_eligible(desk)


async def test_haip_5_a_credential_outside_the_trusted_authorities_is_refused(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tax_office = "https://belastingdienst.example"
    async for desk, _pki in _aki_desk(tmp_path, database_url, monkeypatch, excluded=tax_office):
        await _assert_refused(desk, DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED)


async def test_haip_6_1_1_a_chain_without_its_root_verifies_with_a_configured_root(
    desk: Desk, pki: Pki
) -> None:
    """HAIP §6.1.1: "the trust anchor MUST NOT be included in the x5c". Such a chain needs the
    root from configuration (``ISSUER_CA_FILE``), and the registry must still list it."""
    pki.chains = {thumbprint: chain[:1] for thumbprint, chain in pki.chains.items()}
    register(desk, registered_roots(pki))
    await _assert_refused(desk, TrustReason.X5C_ROOT_NOT_REGISTERED)
    desk.context.issuer_roots = tuple(ca.root for ca in pki.cas.values())
    await _assert_eligible(desk)
