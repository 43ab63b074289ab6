"""``aanspraak demo``: the whole story on embedded defaults, one step per capability.

Today's steps, all in one process with fresh keys:

1. the tax office (Belastingdienst) issues an SD-JWT VC income statement to a citizen, with
   every personal claim selectively disclosable and a derived predicate claim
   ("income below the 2026 zorgtoeslag limit");
2. a municipal desk asks for exactly two claims; the wallet presents only those, bound to the
   desk's nonce with a KB-JWT;
3. the desk verifies the presentation (issuer signature, digests, key binding) and the
   credential's status in the tax office's Token Status List.

Then the regulations: the wallet scans every regulation offline; the tax office runs its
issuer as a real service on loopback and the wallet receives this year's income statement
over OpenID4VCI 1.0 (pre-authorized code, tx_code out of band, a batch of one-time
credentials, each verified before it is kept); the scan shows what changed; governance
registers issuers, the desk and the regulation versions; and the desk decides with the law's
trace.

The report shows what the desk learned and what stayed with the citizen.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aanspraak.demo_personas import DEFAULT_PERSONA, PERSONAS
from aanspraak.demo_regulations import (
    DemoFailed,
    Wallet,
    discover,
    issue_wallet,
)
from aanspraak.demo_speed import measure as measure_speed
from aanspraak.demo_trust import (
    refuses_unanchored,
    tampered_regulation,
)
from runtime.regulations import find
from specs.jose import JwsAlg, PrivateJwk, StaticKeyResolver, generate_private_key
from specs.rules import Outcome
from specs.rules.discovery import notices
from specs.sd_jwt import (
    DecoyPolicy,
    IssuedSdJwt,
    KeyBindingRequired,
    claim_path,
    mark_all_disclosable,
    open_sd_jwt,
    present_sd_jwt,
    select_values,
)
from specs.sd_jwt_vc import (
    PLAIN_BY_DEFAULT,
    VerifiedSdJwtVc,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from specs.status_list import (
    StatusType,
    build_status_list_token,
    encode_status_list,
    registered_status_type,
    verify_status_list_token,
)

TAX_OFFICE = "https://belastingdienst.example"
STATUS_LIST_URI = f"{TAX_OFFICE}/status/1"
DESK = "https://gemeente-utrecht.example/kwijtschelding"
INCOME_VCT = "urn:nl:belastingdienst:income-statement:1"
CITIZEN_CLAIMS: dict[str, Any] = {
    "iss": TAX_OFFICE,
    "given_name": "Fatima",
    "family_name": "El Amrani",
    "birthdate": "1987-03-14",
    "address": {"street_address": "Oudegracht 1", "postal_code": "3511 AA", "locality": "Utrecht"},
    "income": {
        "year": 2024,
        "assessed_income_cents": 2_145_000,
        "below_zorgtoeslag_limit_2026": True,
    },
}
REQUESTED_CLAIMS = (("address", "locality"), ("income", "below_zorgtoeslag_limit_2026"))
STATUS_INDEX = 7
STATUS_LIST_SIZE = 64


@dataclass
class DemoReport:
    """What happened, for people (rich) and machines (``--json``)."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    disclosed: dict[str, Any] = field(default_factory=dict)
    hidden: list[str] = field(default_factory=list)
    discoveries: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] = field(default_factory=dict)
    trust: dict[str, Any] = field(default_factory=dict)
    issuance: dict[str, Any] = field(default_factory=dict)
    presentation: dict[str, Any] = field(default_factory=dict)
    wallet_service: dict[str, Any] = field(default_factory=dict)
    attacks: list[dict[str, Any]] = field(default_factory=list)
    speed: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "disclosed": self.disclosed,
            "hidden": self.hidden,
            "discoveries": self.discoveries,
            "notices": self.notices,
            "decision": self.decision,
            "trust": self.trust,
            "issuance": self.issuance,
            "presentation": self.presentation,
            "wallet_service": self.wallet_service,
            "attacks": self.attacks,
            "speed": self.speed,
        }

    def step(self, actor: str, action: str, **details: Any) -> None:
        self.steps.append({"actor": actor, "action": action, **details})


def _leaf_paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


@dataclass(frozen=True)
class _Parties:
    """Fresh keys for this run: nothing is loaded from disk, nothing is committed."""

    tax_office: PrivateJwk
    wallet: PrivateJwk


def _issue(parties: _Parties, now: int, report: DemoReport) -> IssuedSdJwt:
    claims = {**CITIZEN_CLAIMS, "iat": now, "exp": now + 365 * 86400}
    claims["status"] = {"status_list": {"idx": STATUS_INDEX, "uri": STATUS_LIST_URI}}
    issued = issue_sd_jwt_vc(
        mark_all_disclosable(claims, keep_plain=PLAIN_BY_DEFAULT),
        vct=INCOME_VCT,
        issuer_key=parties.tax_office,
        holder_key=parties.wallet.public,
        random_bytes=os.urandom,
        decoys=DecoyPolicy(2, 5),
    )
    report.step(
        "Belastingdienst",
        "issued an SD-JWT VC income statement",
        vct=INCOME_VCT,
        disclosures=len(issued.disclosures),
        chars=len(issued.token),
    )
    return issued


def _publish_status_list(parties: _Parties, now: int, report: DemoReport) -> str:
    statuses = [int(StatusType.VALID)] * STATUS_LIST_SIZE
    token = build_status_list_token(
        key=parties.tax_office,
        subject_uri=STATUS_LIST_URI,
        status_list=encode_status_list(statuses, bits=1),
        now=now,
        ttl=3600,
        exp=now + 86400,
        issuer=TAX_OFFICE,
    )
    report.step("Belastingdienst", "published its Token Status List", entries=len(statuses))
    return token


def _present(
    parties: _Parties, issued: IssuedSdJwt, nonce: str, now: int, report: DemoReport
) -> str:
    view = open_sd_jwt(issued.token)
    presentation = present_sd_jwt(
        view,
        disclose=[claim_path(p) for p in REQUESTED_CLAIMS],
        holder_key=parties.wallet,
        nonce=nonce,
        audience=DESK,
        now=now,
    )
    report.step(
        "Wallet",
        "presented only the requested claims",
        requested=[list(p) for p in REQUESTED_CLAIMS],
        disclosures_sent=presentation.count("~") - 1,
        disclosures_held=len(view.disclosures),
    )
    return presentation


def _verify(
    parties: _Parties,
    presentation: str,
    status_token: str,
    nonce: str,
    now: int,
    report: DemoReport,
) -> VerifiedSdJwtVc:
    verified = verify_sd_jwt_vc(
        presentation,
        issuer_keys=StaticKeyResolver(parties.tax_office.public),
        key_binding=KeyBindingRequired(nonce=nonce, audience=DESK),
        now=now,
    )
    if verified.status is None:
        raise DemoFailed("the credential carries no status reference")
    status_list = verify_status_list_token(
        status_token,
        key=parties.tax_office.public,
        expected_uri=verified.status.uri,
        now=now,
        leeway=60,
        algorithms={JwsAlg.ES256},
        max_age=86_400,
    )
    status = registered_status_type(status_list.status_of(verified.status))
    if status is not StatusType.VALID:
        raise DemoFailed(f"the credential is not valid (status {status})")
    report.step(
        "Desk",
        "verified signature, digests, key binding and status",
        issuer=verified.issuer,
        status=status.name,
    )

    def verify_again() -> None:
        again = verify_sd_jwt_vc(
            presentation,
            issuer_keys=StaticKeyResolver(parties.tax_office.public),
            key_binding=KeyBindingRequired(nonce=nonce, audience=DESK),
            now=now,
        )
        assert again.status is not None
        if registered_status_type(status_list.status_of(again.status)) is not StatusType.VALID:
            raise DemoFailed("the credential's status changed while it was measured")

    report.speed = measure_speed(verify_again)
    report.step(
        "Desk",
        "checked the same presentation again, on one core",
        per_second=report.speed["presentations_per_second"],
    )
    return verified


def run_story(now: int, persona: str = DEFAULT_PERSONA, *, haip: bool = False) -> DemoReport:
    """Run every step and return the report; raises if any check fails."""
    report = DemoReport()
    parties = _Parties(generate_private_key(kid="belastingdienst-2026"), generate_private_key())
    issued = _issue(parties, now, report)
    status_token = _publish_status_list(parties, now, report)
    nonce = os.urandom(16).hex()
    presentation = _present(parties, issued, nonce, now, report)
    verified = _verify(parties, presentation, status_token, nonce, now, report)
    for path in _leaf_paths(CITIZEN_CLAIMS):  # in the order the citizen would read them
        if path[0] in PLAIN_BY_DEFAULT:
            continue
        values = select_values(verified.claims, path)
        if values:
            report.disclosed[".".join(map(str, path))] = values[0]
        else:
            report.hidden.append(".".join(map(str, path)))
    _regulation_steps(report, now)
    _phone_through_the_wallet_service(report, persona, haip=haip)
    return report


def _regulation_steps(report: DemoReport, now: int) -> None:
    wallet = issue_wallet(now)
    report.step("Agencies", "issued the citizen's credentials", credentials=len(wallet.views))
    before = discover(wallet, estimate=True)
    report.discoveries = [_discovery(o) for o in before]
    report.step("Wallet", "scanned every discoverable regulation offline", regulations=len(before))
    _attest_income_over_openid4vci(report, wallet, before, now)
    _desk_decides_over_openid4vp(report, now)


def _phone_through_the_wallet_service(report: DemoReport, persona: str, *, haip: bool) -> None:
    """The persona's story from a phone: three agencies issue, the wallet finds entitlements
    and notices, a desk asks and decides; the device signs every proof and KB-JWT
    (demo_wallet). With ``haip`` every role runs in strict HAIP 1.0 mode."""
    from aanspraak.demo_wallet import wallet_service_story  # noqa: PLC0415 - loads services

    story = wallet_service_story(persona, haip=haip)
    report.wallet_service = story
    report.step(
        "Phone",
        f"{story['persona']['name']}: received {len(story['received']) + 1} statements from "
        f"{len(story['agencies'])} agencies, answered {story['desk']['name']}",
        decision=story["decision"]["status"],
    )


def _desk_decides_over_openid4vp(report: DemoReport, now: int) -> None:
    """Governance registers agencies, the desk and the law; the desk's verifier service asks
    exactly what kwijtschelding needs; the wallet answers over OpenID4VP after the consent
    preview; the desk decides (demo_presentation)."""
    # Imported here, like the issuer step: the services load in seconds, not on every command.
    from aanspraak.demo_presentation import present_to_desk  # noqa: PLC0415

    presented = present_to_desk(now)
    registry = presented.registry
    report.step(
        "Governance",
        "registered issuers, the desk and the regulation versions",
        issuers=len(presented.seed.issuers),
        anchors=len(presented.seed.anchors),
    )
    tampered = tampered_regulation("kwijtschelding")
    report.trust = {
        "tampered_regulation": refuses_unanchored(registry.snapshot(now=now), tampered, now),
        "registry": registry.describe(),
    }
    summary = presented.summary
    record = summary["decision"]["record"]
    disclosed: dict[str, list[list[str | int]]] = {}
    for vct, path in summary["consent"]["shared"]:
        disclosed.setdefault(vct, []).append(path)
    report.presentation = {
        key: summary[key] for key in ("desk", "client_id", "link", "response_mode", "consent")
    }
    report.decision = {
        "regulation": record["regulation"]["id"],
        "version": record["regulation"]["version"],
        "status": record["outcome"],
        "amount_cents": record["amount_cents"],
        "text": record["text"],
        "trace": record["trace"],
        "inputs": record["inputs"],
        "objection": record["objection"],
        "explanation": summary["decision"]["explanation"],
        "signed_record": summary["decision"]["signed_record"],
        "disclosed": disclosed,
        "disclosures_withheld": len(summary["consent"]["withheld"]),
    }
    report.attacks = summary["attacks"]
    report.step(
        "Desk",
        "asked over OpenID4VP, verified and decided with the regulation's trace",
        status=record["outcome"],
        response_mode=summary["response_mode"],
    )


def _attest_income_over_openid4vci(
    report: DemoReport, wallet: Wallet, before: list[Outcome], now: int
) -> None:
    """The tax office's issuer service offers this year's income; the wallet receives it
    over OpenID4VCI and scans again: what changed becomes a "Note: ..." (demo_issuance)."""
    # Imported here: the issuer service and its dependencies would otherwise load (seconds)
    # on every ``aanspraak`` subcommand, since the command line imports this module.
    from aanspraak.demo_issuance import (  # noqa: PLC0415
        issuance_summary,
        receive_income_statement,
    )

    received = receive_income_statement(now)
    report.issuance = issuance_summary(received)
    report.step(
        "Belastingdienst",
        "offered this year's income statement from its issuer service (OpenID4VCI)",
        issuer=received.credential_issuer,
        tx_code="sent out of band",
    )
    # One instance is enough for the scan; the others stay for one-time presentations.
    wallet.views.append(received.credentials[0].view)
    for notice in notices(before, discover(wallet, estimate=False)):
        name = find(notice.regulation).regulation.name.en
        report.notices.append(
            {
                "regulation": notice.regulation,
                "name": name,
                "before": notice.before.value,
                "after": notice.after.value,
                "amount_before": notice.amount_before,
                "amount_after": notice.amount_after,
            }
        )
    report.step(
        "Wallet",
        "received and verified a batch of one-time credentials, then scanned again",
        credentials=len(received.credentials),
        notices=len(report.notices),
    )


def _discovery(outcome: Outcome) -> dict[str, Any]:
    return {
        "regulation": outcome.regulation_id,
        "name": find(outcome.regulation_id).regulation.name.en,
        "status": outcome.status.value,
        "amount_cents": outcome.amount_cents,
        "estimated": outcome.estimated,
        "settle_with": list(outcome.settle_with),
        "text": outcome.text.en,
    }


def _render(report: DemoReport, console: Console) -> None:
    """The persona's story first, told from the phone; then, under the hood, the same
    protocols one step at a time for an engineer (what each message carried and was checked
    against)."""
    console.rule("[bold]aanspraak demo[/bold]: prove what a regulation needs, nothing more")
    if report.wallet_service:
        from aanspraak.demo_wallet import render_wallet_service  # noqa: PLC0415 - see above

        render_wallet_service(report.wallet_service, console)
    console.rule("[bold]Under the hood[/bold]: the same protocols, one step at a time")
    for number, step in enumerate(report.steps, start=1):
        details = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("actor", "action"))
        console.print(
            f"[bold]{number}. {step['actor']}[/bold] {step['action']}  [dim]{details}[/dim]"
        )
    table = Table(title="What the desk learned", show_lines=False)
    table.add_column("claim")
    table.add_column("value")
    for name, value in report.disclosed.items():
        table.add_row(name, json.dumps(value, ensure_ascii=False))
    console.print(table)
    hidden = Table(title="What stayed in the wallet")
    hidden.add_column("claim (value never left the wallet)")
    for name in report.hidden:
        hidden.add_row(name)
    console.print(hidden)
    _render_regulations(report, console)


def _amounts(notice: dict[str, Any]) -> str:
    before, after = notice["amount_before"], notice["amount_after"]
    if before == after:
        return ""
    shown = ["-" if a is None else f"EUR {a / 100:,.2f}" for a in (before, after)]
    return f" ({shown[0]} -> {shown[1]} per year)"


def _render_regulations(report: DemoReport, console: Console) -> None:
    found = Table(title="Did you know? What the wallet found, offline")
    for column in ("regulation", "outcome", "per year", "note"):
        found.add_column(column)
    for d in report.discoveries:
        amount = "" if d["amount_cents"] is None else f"EUR {d['amount_cents'] / 100:,.2f}"
        note = "; ".join(
            part
            for part in ("estimate" if d["estimated"] else "", ", ".join(d["settle_with"]))
            if part
        )
        found.add_row(d["name"], d["status"], amount, note)
    console.print(found)
    if report.issuance:
        from aanspraak.demo_issuance import render_issuance  # noqa: PLC0415 - see above

        render_issuance(report.issuance, console)
    for n in report.notices:
        console.print(
            f"[bold]Note:[/bold] the new income statement changes {n['name']}: "
            f"{n['before']} -> {n['after']}{_amounts(n)}"
        )
    console.print(
        f"[bold]Governance[/bold]: a tampered copy of the kwijtschelding file is refused: "
        f"{report.trust['tampered_regulation']}"
    )
    _render_presentation(report, console)


def _render_presentation(report: DemoReport, console: Console) -> None:
    presentation, decision = report.presentation, report.decision
    consent = presentation["consent"]
    console.rule("OpenID4VP: the desk's verifier service on loopback")
    console.print(
        f"{consent['verifier']} ({presentation['client_id'][:24]}...) asks for "
        f"{consent['regulation']}, on the legal basis {consent['legal_basis'].get('title')}, "
        f"art. {consent['legal_basis'].get('article')}."
    )
    console.print(
        f"Consent preview: {len(consent['shared'])} claims shared, "
        f"{len(consent['withheld'])} claims of the same credentials stay in the wallet; "
        f"answered by {presentation['response_mode']}."
    )
    console.rule(f"Desk decision: {decision['regulation']} -> {decision['status']}")
    console.print(decision["text"]["en"])
    for node in decision["trace"]:
        if node["kind"] == "definition":
            continue
        basis = node["legal_basis"]
        console.print(
            f"  {node['kind']:<11} {node['id']:<36} {node['result']!s:<8} "
            f"[dim]{basis['title']}, art. {basis['article']}[/dim]"
        )
    for use in decision["inputs"]:
        source = use["source"] or {}
        console.print(
            f"  input {use['name']:<24} from {source.get('issuer', 'not presented')} "
            f"[dim]{source.get('vct') or ''}[/dim]"
        )
    console.print(
        f"  disclosed: {sum(len(p) for p in decision['disclosed'].values())} claims of "
        f"{len(decision['disclosed'])} credentials; {decision['disclosures_withheld']} claims "
        "stayed in the wallet; the desk kept the signed decision record, not the data."
    )
    console.print(f"[italic]{decision['objection']['text']['en']}[/italic]")
    if report.speed:
        speed = report.speed
        console.rule("At speed: the desk's checks on one core (python -m bench measures all)")
        console.print(
            f"  the citizen's presentation checked again for {speed['seconds']} s of CPU: "
            f"{speed['presentations_per_second']:,} per second; its two ES256 signature checks "
            f"are {speed['ratio']:.0%} of that time, every other check the rest"
        )
    if report.attacks:
        console.rule("Under attack: the same desk, hostile input (docs/hardening.md)")
        for attempt in report.attacks:
            reason = f" ({attempt['reason']})" if attempt.get("reason") else ""
            console.print(
                f"  {attempt['attack']:<48} -> {attempt['status']} "
                f"{attempt['error'] or ''}{reason}  [dim]refused, nothing stored[/dim]"
            )


def run(
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    persona: Annotated[
        str,
        typer.Option(
            help="Whose phone the story follows: "
            + ", ".join(f"{p.key} ({p.situation})" for p in PERSONAS.values())
        ),
    ] = DEFAULT_PERSONA,
    haip: Annotated[
        bool,
        typer.Option(
            "--haip",
            help="Run the phone's story with every role in strict HAIP 1.0 mode: the "
            "authorization code flow with DPoP and wallet and key attestations, x5c without "
            "trust anchors, x509_hash desks answered by direct_post.jwt.",
        ),
    ] = False,
) -> None:
    """Run the end-to-end story on embedded defaults and show what was disclosed and hidden."""
    if persona not in PERSONAS:
        typer.echo(f"no persona {persona!r}: choose one of {', '.join(PERSONAS)}", err=True)
        raise typer.Exit(2)
    try:
        if json_output:
            report = run_story(int(time.time()), persona, haip=haip)
        else:
            with Console(stderr=True).status("agencies, desk and wallet service at work..."):
                report = run_story(int(time.time()), persona, haip=haip)
    except DemoFailed as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from None
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    _render(report, Console())
