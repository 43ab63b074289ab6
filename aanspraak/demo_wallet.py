"""The demo's wallet-service step: a citizen's phone and the wallet service, over real HTTP.

The tax office's issuer, a zorgtoeslag desk's verifier and the wallet service run on
loopback (``aanspraak.town``). The phone (``SimulatedDevice``: its keys stand in for the
secure hardware) registers with its device key and a PIN, accepts the agency's offers (it
signs every key proof; the service never holds a holder key), asks what it is entitled to,
opens the desk's request, sees the consent preview, approves (it signs the KB-JWT), and
reads its history. The desk decides from the claims the regulation needs, nothing more.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from aanspraak.demo_regulations import DemoFailed
from aanspraak.town import Town, running_town
from runtime.credential_types import credential_types
from wallet.device_client import ServiceRefused, SimulatedDevice, WalletServiceClient

PIN = "271828"
REGULATION = "zorgtoeslag"
#: A single citizen of 41 with EUR 35,000 joint income: the zorgtoeslag scenario of that name.
CREDENTIALS = (
    ("person", {"age_years": 41, "reference_date": "2026-01-01"}),
    ("health_insurance", {"insured": True, "year": 2026}),
    (
        "household_income",
        {"has_allowance_partner": False, "joint_assessed_income_cents": 3_500_000, "year": 2026},
    ),
    ("household_assets", {"joint_assets_cents": 0, "reference_date": "2026-01-01"}),
)
INSTANCES = 3


async def _story(town: Town) -> dict[str, Any]:
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        await phone.register(PIN)
        await phone.unlock(PIN)
        for configuration_id, claims in CREDENTIALS:
            offer = await town.offer(configuration_id, claims, batch_size=INSTANCES)
            await phone.accept_offer(
                offer.link_by_reference, tx_code=offer.tx_code, instances=INSTANCES
            )
        held = await phone.credentials()
        found = await phone.discovery()
        key = await town.desk_key([REGULATION])
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=town.desk_url, trust_env=False) as desk:
            started = (
                await desk.post(
                    "/desk/transactions", json={"regulation": REGULATION}, headers=headers
                )
            ).json()
            opened = await phone.open_request(started["link"])
            sent = await phone.approve(opened["id"])
            result = (
                await desk.get(f"/desk/transactions/{started['transaction_id']}", headers=headers)
            ).json()
        history = await phone.history()
    names = {t.vct: t.metadata.name or t.vct for t in credential_types().values()}
    return {
        "service": town.wallet_url,
        "device_keys_on_phone_only": True,
        "credentials": [
            {"type": names.get(c["vct"], c["vct"]), "instances": c["instances"]} for c in held
        ],
        "entitled": [
            {
                "regulation": f["regulation"],
                "message": f["message"],
                "amount_cents": f["amount_cents"],
            }
            for f in found["entitled"]
        ],
        "consent": opened["preview"],
        "desk_answer": sent["desk"]["status_code"],
        "decision": {
            "status": result["status"],
            "amount_cents": result.get("decision", {}).get("record", {}).get("amount_cents"),
        },
        "history": len(history),
    }


def wallet_service_story() -> dict[str, Any]:
    """Run the three services and the phone; what happened (no claim values, no tokens)."""
    with TemporaryDirectory(prefix="aanspraak-demo-wallet-") as data:
        try:
            with running_town(Path(data), desk_regulations=(REGULATION,)) as town:
                return asyncio.run(_story(town))
        except ServiceRefused as refused:
            raise DemoFailed(f"the wallet service refused: {refused.error}") from None


def render_wallet_service(story: dict[str, Any], console: Console) -> None:
    table = Table(title="The citizen's phone and the wallet service", show_lines=False)
    table.add_column("step")
    table.add_column("what happened")
    kinds = ", ".join(f"{c['type']} x{c['instances']}" for c in story["credentials"])
    table.add_row("received", kinds)
    for finding in story["entitled"]:
        table.add_row("discovered", finding["message"])
    names = {t.vct: t.metadata.name or t.vct for t in credential_types().values()}
    asked: dict[str, list[str]] = {}
    for item in story["consent"]["shared"]:
        asked.setdefault(names.get(item["vct"], item["vct"]), []).append(
            ".".join(map(str, item["claim"]))
        )
    lines = "\n".join(f"{kind}: {', '.join(claims)}" for kind, claims in asked.items())
    who = story["consent"]["verifier_name"] or "the desk"
    table.add_row("consent", f"{who} asks, for {story['consent']['regulation']}:\n{lines}")
    withheld = len(story["consent"]["not_shared"])
    table.add_row("kept back", f"{withheld} claims of the same credentials stay in the wallet")
    table.add_row("decision", f"{story['decision']['status']} (history: {story['history']})")
    console.print(table)
