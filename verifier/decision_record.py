"""The decision record: what the desk keeps, and what the citizen may keep as a receipt.

It says which law was applied (regulation id, version = content hash, legal basis), the
outcome, the amount where one was computed, whether the hardship clause was signalled, the
trace with the article behind every step, and per input *where it came from* (issuer and
credential type, or the desk, or the citizen's own estimate), never its value. Definition
results are left out of the trace for the same reason: a definition may be nothing more than a
claim value renamed. The KB-JWT's purpose hash is in it, so the record proves what the
citizen agreed to share and why. Every record tells the citizen how to object (Awb art. 6:7).

The record is a compact JWS signed with the verifier's key (``typ``
``aanspraak-decision+jwt``, ``iss`` the verifier's client identifier), so it can be shown
later to anyone who trusts that key, without the desk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from specs.jose import JwsSigner, sign_compact_jws
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.rules import CompiledRegulation, Outcome
from specs.rules.expressions import UNKNOWN

DECISION_TYP = "aanspraak-decision+jwt"
UNDETERMINED = "undetermined"
REJECTED = "rejected"
AWB_OBJECTION = {
    "title": "Algemene wet bestuursrecht",
    "id": "BWBR0005537",
    "article": "6:7",
    "url": "https://wetten.overheid.nl/BWBR0005537/",
}
OBJECTION_TEXT = {
    "nl": (
        "Bent u het niet eens met dit besluit? Maak dan binnen zes weken bezwaar bij {authority}."
        " Vraag ook naar maatwerk als de regel in uw situatie onredelijk uitpakt."
    ),
    "en": (
        "Do you disagree with this decision? Object to {authority} within six weeks."
        " Ask for a tailored decision (maatwerk) if the rule is unreasonably harsh for you."
    ),
}
CANNOT_VERIFY_TEXT = {
    "nl": "Het loket kon uw gegevens nu niet controleren. Er is niets besloten; probeer het later.",
    "en": "The desk could not check your data just now. Nothing was decided; please try later.",
}

Outcomes = Literal["eligible", "not_eligible", "unknown", "refer_hardship", "undetermined"]


def _plain(value: Any) -> Any:
    if value is UNKNOWN:
        return "unknown"
    return value if isinstance(value, bool) or value is None else str(value)


def _regulation(compiled: CompiledRegulation) -> dict[str, Any]:
    regulation = compiled.regulation
    return {
        "id": regulation.id,
        "version": compiled.version,
        "name": regulation.name.model_dump(),
        "authority": regulation.authority,
        "legal_basis": regulation.legal_basis.model_dump(),
    }


def objection(authority: str) -> dict[str, Any]:
    """How to object to a decision of ``authority`` (Awb art. 6:7), in Dutch and English."""
    return {
        "legal_basis": AWB_OBJECTION,
        "text": {lang: text.format(authority=authority) for lang, text in OBJECTION_TEXT.items()},
    }


@dataclass(frozen=True)
class RecordHead:
    """What every record of one transaction starts with: who decided what, when, under
    which law, and how to object."""

    decision_id: str
    transaction_id: str
    verifier: str
    compiled: CompiledRegulation
    now: int

    def fields(self) -> dict[str, Any]:
        return {
            "iss": self.verifier,
            "iat": self.now,
            "jti": self.decision_id,
            "transaction": self.transaction_id,
            "regulation": _regulation(self.compiled),
            "objection": objection(self.compiled.regulation.authority),
        }


def decision_record(
    head: RecordHead, outcome: Outcome, transaction_data: Sequence[str]
) -> dict[str, Any]:
    """The record of an evaluated regulation (no claim values in it, see module docstring)."""
    hardship = head.compiled.regulation.hardship
    return {
        **head.fields(),
        "outcome": outcome.status.value,
        "amount_cents": outcome.amount_cents,
        "estimated": outcome.estimated,
        "text": outcome.text.model_dump(),
        "hardship_referral": None
        if outcome.status.value != "refer_hardship" or hardship is None
        else {"legal_basis": hardship.legal_basis.model_dump()},
        "trace": [
            {
                "kind": node.kind,
                "id": node.id,
                "result": None if node.kind == "definition" else _plain(node.result),
                "legal_basis": node.legal_basis.model_dump(),
            }
            for node in outcome.trace
        ],
        "inputs": [
            {
                "name": use.name,
                "source": None
                if use.source is None
                else {"kind": use.source.kind, "issuer": use.source.issuer, "vct": use.source.vct},
            }
            for use in outcome.inputs
        ],
        "settle_with": list(outcome.settle_with),
        "purpose_hashes": [transaction_data_hash(item) for item in transaction_data],
    }


def undetermined_record(head: RecordHead, cause: str) -> dict[str, Any]:
    """ "Cannot verify": a dependency was unreadable; never eligible, nothing decided."""
    return {
        **head.fields(),
        "outcome": UNDETERMINED,
        "cause": cause,
        "amount_cents": None,
        "text": dict(CANNOT_VERIFY_TEXT),
    }


def sign_record(record: Mapping[str, Any], signer: JwsSigner) -> str:
    return sign_compact_jws(record, key=signer, typ=DECISION_TYP)


def explanation(record: Mapping[str, Any], *, language: Literal["nl", "en"]) -> list[str]:
    """The record as lines a person can read, with the article behind each step."""
    regulation = record["regulation"]
    lines = [f"{regulation['name'][language]}: {record['text'][language]}"]
    if record.get("amount_cents") is not None:
        lines.append(("Bedrag" if language == "nl" else "Amount") + _euros(record["amount_cents"]))
    for step in record.get("trace", []):
        if step["kind"] == "definition":
            continue
        basis = step["legal_basis"]
        lines.append(f"{step['id']}: {step['result']} ({basis['title']}, art. {basis['article']})")
    for use in record.get("inputs", []):
        source = use["source"]
        origin = "—" if source is None else source.get("issuer") or source["kind"]
        lines.append(
            f"{use['name']} ← {origin}"
            + (f" ({source['vct']})" if source and source.get("vct") else "")
        )
    lines.append(record["objection"]["text"][language])
    return lines


def _euros(cents: int) -> str:
    return f": EUR {cents / 100:,.2f}"
