"""The demo's main story: one citizen's phone, three agencies, one desk, all over real HTTP.

The tax office, the municipality and the health insurer each run their own issuer service;
the desk runs the verifier; the citizen's phone (``SimulatedDevice``: its keys stand in for
the secure hardware) talks to the wallet service (``aanspraak.town``, loopback, SQLite). The
persona (``demo_personas``) decides whose story it is:

1. the phone registers its device key and a PIN;
2. each agency offers its statements; the phone accepts them (it signs every key proof: the
   service never holds a holder key), and the wallet verifies and keeps them sealed;
3. the wallet scans every anchored regulation offline: "Did you know you are entitled to...?";
4. an agency issues a newer statement; the wallet notices what it changes: "Note: ...";
5. the desk asks for exactly the claims its regulation needs; the phone shows the consent
   preview (who, what, why, under which law, what stays behind), approves and signs;
6. the desk verifies, decides with the regulation's trace and the agencies behind each input,
   and a narrow miss goes to a person under the hardship clause;
7. the phone keeps the history: what went to whom, when, and why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from aanspraak.demo_personas import AGENCY_CONFIGURATIONS, PERSONAS, Persona, Statement
from aanspraak.demo_regulations import DemoFailed
from aanspraak.town import Agency, Town, running_town
from runtime.credential_types import credential_types
from runtime.regulations import find
from wallet.device_client import ServiceRefused, SimulatedDevice, WalletServiceClient

PIN = "271828"
INSTANCES = 3


def _type_names() -> dict[str, str]:
    return {t.vct: t.metadata.name or t.vct for t in credential_types().values()}


def _agency_names(town: Town) -> dict[str, str]:
    return {issuer.url: name for name, issuer in town.issuers.items()}


def _discovered(found: Mapping[str, Any], agencies: Mapping[str, str]) -> dict[str, Any]:
    """What the phone shows of a scan, agencies named instead of their URLs."""

    def named(text: str) -> str:
        for url, name in agencies.items():
            text = text.replace(url, name)
        return text

    return {
        group: [
            {
                "regulation": f["regulation"],
                "title": f["title"]["en"],
                "message": named(f["message"]),
                "amount_cents": f["amount_cents"],
                "settle_with": [named(s["message"]) for s in f.get("settle_with", [])],
            }
            for f in found[group]
        ]
        for group in ("entitled", "hardship", "unknown", "not_entitled")
    }


async def _receive(
    town: Town, phone: WalletServiceClient, statement: Statement, *, subject: str | None
) -> dict[str, Any]:
    """One statement: offered by the agency's back office (pre-authorized code and a
    tx_code by letter), or, in strict HAIP mode, fetched by the citizen who logs in at the
    agency (authorization code flow, ``subject`` the login; HAIP §4.3)."""
    configuration_id, claims = statement
    issuer = town.issuer_of(configuration_id)
    if subject is None:
        offer = await town.offer(configuration_id, dict(claims), batch_size=INSTANCES)
        stored = await phone.accept_offer(
            offer.link_by_reference, tx_code=offer.tx_code, instances=INSTANCES
        )
    else:
        town.register_subject(configuration_id, subject, claims)
        stored = await phone.receive_by_authorization(
            issuer.url, configuration_id, login_hint=subject, instances=INSTANCES
        )
    return {
        "agency": issuer.agency.name,
        "type": _type_names().get(stored["credential"]["vct"], stored["credential"]["vct"]),
        "instances": stored["credential"]["instances"],
        "notices": [n["message"] for n in stored["notices"]],
        "checks": list(stored.get("checks", ())),
    }


async def _desk(town: Town, persona: Persona, phone: WalletServiceClient) -> dict[str, Any]:
    key = await town.desk_key([persona.desk])
    async with httpx.AsyncClient(
        base_url=town.desk_url, headers={"Authorization": f"Bearer {key}"}, trust_env=False
    ) as officer:
        started = await officer.post("/desk/transactions", json={"regulation": persona.desk})
        if started.status_code != 201:
            raise DemoFailed(f"the desk could not start ({started.status_code})")
        transaction = started.json()
        opened = await phone.open_request(transaction["link"])
        sent = await phone.approve(opened["id"])
        result = (await officer.get(f"/desk/transactions/{transaction['transaction_id']}")).json()
    if sent["desk"]["status_code"] != 200:
        raise DemoFailed(f"the desk refused the answer ({sent['desk'].get('error')})")
    return {"transaction": transaction, "preview": opened["preview"], "result": result}


def _explained(lines: Any) -> dict[str, Any]:
    """The desk's explanation: its summary, and each rule with the article it rests on (the
    lines naming where each input came from are shown as ``evidence`` instead)."""
    if not isinstance(lines, list) or not lines:
        return {"explanation": lines, "reasons": []}
    reasons = [line for line in lines[1:] if "←" not in line and not line.startswith("Do you")]
    return {"explanation": lines[0], "reasons": reasons}


def _citation(basis: Mapping[str, Any]) -> str:
    return f"{basis.get('title', '')} {basis.get('article', '')}".strip()


def _decision(result: Mapping[str, Any], agencies: Mapping[str, str]) -> dict[str, Any]:
    decision = result.get("decision", {})
    record = decision.get("record", {})
    return {
        "status": result["status"],
        "amount_cents": record.get("amount_cents"),
        "regulation": record.get("regulation", {}).get("id"),
        **_explained(decision.get("explanation", {}).get("en")),
        "law": [_citation(node["legal_basis"]) for node in record.get("trace", [])],
        "evidence": [
            {
                "input": item["name"],
                "from": agencies.get(
                    str((item.get("source") or {}).get("issuer")), "not presented"
                ),
            }
            for item in record.get("inputs", [])
        ],
        "objection": record.get("objection", {}).get("text", {}).get("en"),
    }


async def _story(town: Town, persona: Persona, *, haip: bool) -> dict[str, Any]:
    agencies = _agency_names(town)
    subject = persona.key if haip else None
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        await phone.register(PIN)
        await phone.unlock(PIN)
        received = [await _receive(town, phone, s, subject=subject) for s in persona.statements]
        before = _discovered(await phone.discovery(), agencies)
        later = (
            None
            if persona.later is None
            else await _receive(town, phone, persona.later, subject=subject)
        )
        after = _discovered(await phone.discovery(), agencies)
        asked = await _desk(town, persona, phone)
        history = await phone.history()
    preview = asked["preview"]
    names = _type_names()
    return {
        "persona": {"key": persona.key, "name": persona.name, "situation": persona.situation},
        "profile": "HAIP 1.0 (strict)" if haip else "OpenID4VCI 1.0 and OpenID4VP 1.0",
        "agencies": {name: issuer.url for name, issuer in town.issuers.items()},
        "wallet_service": town.wallet_url,
        "device_keys_on_phone_only": True,
        "received": received,
        "discovery": before,
        "newer_statement": later,
        "notices": [] if later is None else later["notices"],
        "discovery_after": after,
        "desk": {"name": persona.desk_name, "regulation": persona.desk, "url": town.desk_url},
        "consent": {
            "verifier": preview["verifier_name"],
            "regulation": preview["regulation"],
            "legal_basis": preview["legal_basis"],
            "shared": [
                {"type": names.get(i["vct"], i["vct"]), "claim": ".".join(map(str, i["claim"]))}
                for i in preview["shared"]
            ],
            "kept_back": len(preview["not_shared"]),
        },
        "decision": _decision(asked["result"], agencies),
        "history": [
            {"outcome": h["outcome"], "regulation": h["regulation"], "to": h["verifier_name"]}
            for h in history
        ],
    }


def wallet_service_story(persona_key: str, *, haip: bool = False) -> dict[str, Any]:
    """Run the agencies, the desk, the wallet service and the phone; what happened (no
    token, no code, no PIN; the claims only as the consent preview names them). With
    ``haip`` every role runs in strict HAIP 1.0 mode (``aanspraak.town``)."""
    persona = PERSONAS[persona_key]
    find(persona.desk)  # a bundled regulation, or KeyError before anything starts
    agencies = tuple(Agency(name, configs) for name, configs in AGENCY_CONFIGURATIONS.items())
    with TemporaryDirectory(prefix="aanspraak-demo-wallet-") as data:
        try:
            with running_town(
                Path(data),
                agencies=agencies,
                desk_regulations=(persona.desk,),
                desk_name=persona.desk_name,
                desk_legal_basis=persona.desk_legal_basis,
                haip=haip,
            ) as town:
                story = asyncio.run(_story(town, persona, haip=haip))
        except ServiceRefused as refused:
            raise DemoFailed(f"the wallet service refused: {refused.error}") from None
    if story["decision"]["status"] != persona.expect:
        raise DemoFailed(
            f"the desk decided {story['decision']['status']}, the scenario says {persona.expect}"
        )
    return story


def _money(cents: int | None) -> str:
    return "" if cents is None else f"EUR {cents / 100:,.2f}"


def render_wallet_service(story: dict[str, Any], console: Console) -> None:
    """The phone's story for people: who, what arrived, what was found, what the desk did."""
    persona = story["persona"]
    console.rule(f"[bold]{persona['name']}'s phone[/bold]: {persona['situation']}")
    console.print(f"Profile: {story['profile']}")
    received = Table(title="Statements the agencies signed, received over OpenID4VCI")
    for column in ("agency", "statement", "one-time instances"):
        received.add_column(column)
    for item in story["received"]:
        received.add_row(item["agency"], item["type"], str(item["instances"]))
    console.print(received)
    _render_discovery("What the wallet found, offline", story["discovery"], console)
    if story["newer_statement"]:
        newer = story["newer_statement"]
        console.print(f"[bold]{newer['agency']}[/bold] issued a newer {newer['type']}.")
        for notice in story["notices"]:
            console.print(f"  [yellow]{notice}[/yellow]")
    for finding in story["discovery_after"]["entitled"]:
        console.print(f"[green]{finding['message']}[/green]")
    for finding in story["discovery_after"]["hardship"]:
        console.print(f"[cyan]{finding['message']}[/cyan]")
    consent = story["consent"]
    console.print(
        f"[bold]{consent['verifier']}[/bold] asks, for {consent['regulation']} "
        f"({consent['legal_basis'].get('title', '')}):"
    )
    asked: dict[str, list[str]] = {}
    for item in consent["shared"]:
        asked.setdefault(item["type"], []).append(item["claim"])
    for kind, claims in asked.items():
        console.print(f"  {kind}: {', '.join(claims)}")
    console.print(f"  {consent['kept_back']} claims of the same statements stay on the phone.")
    decision = story["decision"]
    console.print(
        f"The desk decided [bold]{decision['status']}[/bold] {_money(decision['amount_cents'])}"
    )
    if decision["explanation"]:
        console.print(f"  {decision['explanation']}")
    for reason in decision["reasons"]:
        console.print(f"  [dim]{reason}[/dim]")
    for item in decision["evidence"]:
        console.print(f"  [dim]{item['input']} from {item['from']}[/dim]")
    if decision["objection"]:
        console.print(f"[italic]{decision['objection']}[/italic]")
    console.print(f"History on the phone: {len(story['history'])} entry, claim names only.")


def _render_discovery(title: str, found: Mapping[str, Any], console: Console) -> None:
    table = Table(title=title)
    for column in ("regulation", "what the wallet says"):
        table.add_column(column)
    for group in ("entitled", "hardship", "unknown", "not_entitled"):
        for finding in found[group]:
            message = finding["message"]
            if finding["settle_with"]:
                message += " " + " ".join(finding["settle_with"])
            table.add_row(finding["title"], message)
    console.print(table)
