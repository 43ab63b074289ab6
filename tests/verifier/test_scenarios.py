"""Every bundled scenario, decided by the verifier from real presentations.

The scenarios are the regulations' own tests (``specs/regulations/*/*.scenarios.yaml``):
credentials as a wallet holds them and the expected outcome. Here each is issued by its
agencies, presented by a wallet over OpenID4VP (only what the query asks for) and decided by
the verifier; the decision must be the scenario's. This proves the query compiled from the
law asks for enough, and that the pipeline loses nothing on the way.

A scenario whose credentials cannot answer the query's required sets is declined by the
wallet (§6.4.2: nothing partial is sent); that is allowed only where the scenario expects no
entitlement (``unknown``, or ``not_eligible`` decided from partial evidence), so a decline can
never hide one. Scenarios with self-declared estimates are left out: a wallet cannot declare
over OpenID4VP yet (the citizen's own statement is not a credential), so they are decided in
the wallet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.scenarios import load_scenarios, scenario_files
from specs.errors import DcqlReason, Rejected
from specs.oid4vp.request_object import AuthorizationRequest
from tests.verifier.conftest import make_desk
from tests.verifier.wallet import Tamper, TestWallet

DECIDABLE = [
    (loaded.regulation, case)
    for loaded in (load_scenarios(path) for path in scenario_files())
    for case in loaded.cases
    if not case.self_declared
]


async def test_every_scenario_is_decided_as_its_regulation_expects(tmp_path: Path) -> None:
    assert len(DECIDABLE) > 50
    failures: list[object] = []
    declined = 0
    async for desk in make_desk(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/sweep.db"):
        for regulation, case in DECIDABLE:
            wallet = TestWallet(desk.client, desk.clock)
            desk.give(case, wallet)
            started = await desk.start(regulation, facts=case.desk or None)
            request = await wallet.fetch_request(started["link"])
            form = _form_or_none(wallet, request)
            if form is None:  # a wallet that cannot answer the required sets declines (§6.4.2)
                if case.expect.get("status") in {"eligible", "refer_hardship"}:
                    failures.append((regulation, case.name, "wallet cannot answer", case.expect))
                declined += 1
                continue
            response = await wallet.post(request, form)
            result = (await desk.result(started["transaction_id"])).json()
            record = result.get("decision", {}).get("record", {})
            expected = case.expect
            got = {
                "status": result["status"],
                "amount_cents": record.get("amount_cents"),
                "estimated": record.get("estimated"),
            }
            if response.status_code != 200 or any(
                got[name] != value for name, value in expected.items() if name in got
            ):
                failures.append((regulation, case.name, response.status_code, got, expected))
    assert failures == []
    assert declined < len(DECIDABLE) // 4


def _form_or_none(wallet: TestWallet, request: AuthorizationRequest) -> dict[str, str] | None:
    try:
        return wallet.response_form(request, Tamper())
    except Rejected as exc:
        if exc.reason is not DcqlReason.CREDENTIAL_SETS_UNSATISFIED:
            raise
        return None


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
