"""``aanspraak demo``: the story runs on embedded defaults and discloses only what was asked."""

from __future__ import annotations

import json

import pytest

from aanspraak.demo import REQUESTED_CLAIMS, DemoReport, run_story
from aanspraak.demo_wallet import wallet_service_story
from specs.jose import parse_compact_jws
from tests.cli.conftest import Run


@pytest.fixture(scope="module")
def story() -> DemoReport:
    """One run of the story for the module: it starts a real issuer service on loopback."""
    return run_story(1_790_000_000)


def test_demo_discloses_exactly_the_requested_claims(story: DemoReport) -> None:
    assert set(story.disclosed) == {".".join(map(str, p)) for p in REQUESTED_CLAIMS}
    assert story.disclosed["income.below_zorgtoeslag_limit_2026"] is True
    assert "income.assessed_income_cents" in story.hidden
    assert "birthdate" in story.hidden
    assert story.steps[3]["status"] == "VALID"


def test_demo_command_prints_json_for_machines(run: Run) -> None:
    result = run("demo", "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [step["actor"] for step in report["steps"]][:4] == [
        "Belastingdienst",
        "Belastingdienst",
        "Wallet",
        "Desk",
    ]
    assert "Fatima" not in json.dumps(report["disclosed"])
    issuance = report["issuance"]
    assert issuance["credentials_received"] == issuance["batch_size"] == 3
    assert issuance["tx_code"] == "sent out of band"
    for secret in ("pre-authorized_code", "access_token", "transaction_id", "c_nonce"):
        assert secret not in result.stdout


def test_demo_command_tells_the_story(run: Run) -> None:
    result = run("demo")
    assert result.code == 0, result.stderr
    assert "What the desk learned" in result.stdout
    assert "What stayed in the wallet" in result.stdout
    assert "OpenID4VCI" in result.stdout


def test_demo_scans_offline_and_the_desk_decides_with_the_law(story: DemoReport) -> None:
    found = {d["regulation"]: d for d in story.discoveries}
    assert "kwijtschelding" in found
    assert any(d["status"] == "eligible" for d in story.discoveries)
    assert any(d["estimated"] for d in story.discoveries)
    decision = story.decision
    assert decision["regulation"] == "kwijtschelding"
    assert decision["status"] == "refer_hardship"  # the narrow miss goes to a person
    assert all(n["legal_basis"]["url"].startswith("https://") for n in decision["trace"])
    asked = {tuple(p) for paths in decision["disclosed"].values() for p in paths}
    assert ("joint_assets_cents",) not in asked  # a yes/no claim instead of the amount
    assert decision["disclosures_withheld"] > 0


def test_demo_consults_the_trust_registry(story: DemoReport) -> None:
    assert story.trust["tampered_regulation"] == "regulation-hash-mismatch"
    assert any(step["actor"] == "Governance" for step in story.steps)


def test_the_wallet_receives_the_income_statement_over_openid4vci(story: DemoReport) -> None:
    issuance = story.issuance
    assert issuance["issuer"].startswith("http://127.0.0.1:")
    assert issuance["configuration"] == "household_income"
    assert issuance["offer"] == "by reference (credential_offer_uri)"
    assert issuance["credentials_received"] == issuance["distinct_holder_keys"] == 3
    assert issuance["notification"] == "credential_accepted"
    checks = issuance["checks"]
    assert {"issuer-metadata", "authorization-server", "same-origin", "signature", "cnf"} <= set(
        checks
    )
    assert checks.index("trust") < checks.index("tx-code-last") < checks.index("signature")
    actions = [step["action"] for step in story.steps]
    assert any("OpenID4VCI" in action for action in actions)


def test_the_income_statement_received_over_http_changes_the_outcomes(story: DemoReport) -> None:
    changed = {n["regulation"]: n for n in story.notices}
    assert changed["zorgtoeslag"]["before"] == "eligible"
    assert changed["zorgtoeslag"]["after"] == "not_eligible"  # income above the limit now


def test_the_desk_asks_over_openid4vp_and_keeps_a_signed_record(story: DemoReport) -> None:
    presentation = story.presentation
    assert presentation["link"].startswith("openid4vp://?client_id=x509_hash%3A")
    assert presentation["desk"].startswith("http://127.0.0.1:")
    assert presentation["response_mode"] == "direct_post.jwt"
    consent = presentation["consent"]
    assert consent["regulation"] == "kwijtschelding"
    assert consent["legal_basis"]["id"].startswith("BWBR")
    shared = {tuple(path) for _vct, path in consent["shared"]}
    withheld = {tuple(path) for _vct, path in consent["withheld"]}
    assert ("birthdate",) in withheld
    assert not shared & withheld
    signed = story.decision["signed_record"]
    record = parse_compact_jws(signed).payload
    assert record["iss"] == presentation["client_id"]
    assert record["outcome"] == story.decision["status"] == "refer_hardship"
    assert all("value" not in use for use in record["inputs"])
    assert story.decision["objection"]["legal_basis"]["article"] == "6:7"
    actors = [step["actor"] for step in story.steps]
    assert actors.index("Governance") < actors.index("Desk", actors.index("Governance"))


def test_the_desk_that_decided_refuses_hostile_input(story: DemoReport) -> None:
    """The demo's "Under attack" step: a replay, a body declared over the cap, an unknown
    transaction and non-I-JSON each get their wire error from the running desk."""
    answers = [(a["status"], a["error"], a["reason"]) for a in story.attacks]
    assert answers == [
        (400, "invalid_request", None),
        (413, None, None),
        (400, "invalid_request", "unknown-state"),
        (400, "invalid_request", "the request does not match the expected format"),
    ]


def test_the_desk_checks_the_presentation_again_on_one_core(story: DemoReport) -> None:
    """The demo's "At speed" step: the same checks repeated, next to the signatures alone."""
    speed = story.speed
    assert speed["presentations_per_second"] > 0
    assert speed["signature_pairs_per_second"] > 0
    assert speed["ratio"] == round(
        speed["presentations_per_second"] / speed["signature_pairs_per_second"], 2
    )
    step = next(s for s in story.steps if s["action"].startswith("checked the same"))
    assert step["per_second"] == speed["presentations_per_second"]


def test_the_phone_goes_through_the_wallet_service(story: DemoReport) -> None:
    """Sanne (the default persona): three agencies issue, the wallet notices that her
    corrected income makes her entitled to zorgtoeslag, the desk agrees."""
    phone = story.wallet_service
    assert phone["persona"]["key"] == "sanne"
    assert phone["wallet_service"].startswith("http://127.0.0.1:")
    assert set(phone["agencies"]) == {"Belastingdienst", "gemeente Utrecht", "zorgverzekeraar"}
    assert {r["agency"] for r in phone["received"]} == set(phone["agencies"])
    assert all(r["instances"] == 3 for r in phone["received"])
    assert "zorgtoeslag" not in {f["regulation"] for f in phone["discovery"]["entitled"]}
    assert phone["notices"] == [
        "Note: this change affects Healthcare allowance: not entitled → likely entitled "
        "(EUR 828.00)"
    ]
    assert "zorgtoeslag" in {f["regulation"] for f in phone["discovery_after"]["entitled"]}
    assert phone["consent"]["regulation"] == "zorgtoeslag"
    assert phone["consent"]["kept_back"] > 0
    decision = phone["decision"]
    assert (decision["status"], decision["amount_cents"]) == ("eligible", 82_800)
    assert {e["from"] for e in decision["evidence"]} >= {"Belastingdienst", "gemeente Utrecht"}
    assert any("zorgtoeslag" in law.lower() for law in decision["law"])
    assert phone["history"] == [
        {"outcome": "shared", "regulation": "zorgtoeslag", "to": "Dienst Toeslagen, zorgtoeslag"}
    ]


@pytest.mark.parametrize(
    ("persona", "status", "regulation"),
    [("noor", "refer_hardship", "zorgtoeslag"), ("daan", "eligible", "kwijtschelding")],
)
def test_every_persona_tells_its_story(persona: str, status: str, regulation: str) -> None:
    """Noor misses zorgtoeslag by one euro and is referred under the hardship clause; Daan's
    newer income statement makes the municipality waive his taxes."""
    phone = wallet_service_story(persona)
    assert (phone["decision"]["status"], phone["desk"]["regulation"]) == (status, regulation)
    assert [n for n in phone["notices"] if regulation_name(regulation) in n]
    assert phone["history"][0]["outcome"] == "shared"


def regulation_name(regulation: str) -> str:
    return {"zorgtoeslag": "Healthcare allowance", "kwijtschelding": "municipal taxes"}[regulation]


def test_an_unknown_persona_is_refused(run: Run) -> None:
    result = run("demo", "--persona", "nobody")
    assert result.code == 2
    assert "sanne" in result.stderr


def test_the_demo_runs_with_every_role_in_strict_haip_mode(run: Run) -> None:
    """``aanspraak demo --haip``: the same story, issued by the authorization code flow with
    DPoP and the wallet's attestations, answered to a strict desk (HAIP 1.0)."""
    result = run("demo", "--haip", "--json")
    assert result.code == 0, result.stderr
    phone = json.loads(result.stdout)["wallet_service"]
    assert phone["profile"] == "HAIP 1.0 (strict)"
    assert phone["decision"]["status"] == "eligible"
    for received in phone["received"]:
        for check in ("authorization-code", "dpop", "client-attestation", "key-attestation"):
            assert check in received["checks"]
    for secret in ("refresh_token", "access_token", "code_verifier"):
        assert secret not in result.stdout
