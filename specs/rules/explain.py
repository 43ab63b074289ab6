"""An outcome as data (JSON) and as text a person can read: the explanation is the trace."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

from specs.rules.engine import Outcome
from specs.rules.expressions import UNKNOWN, Value


def _json_value(value: Value) -> Any:
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, Fraction):
        return str(value)
    return value


def outcome_as_dict(outcome: Outcome) -> dict[str, Any]:
    """Everything the outcome says, JSON-ready, legal basis on every node."""
    return {
        "regulation": outcome.regulation_id,
        "version": outcome.version,
        "status": outcome.status.value,
        "amount_cents": outcome.amount_cents,
        "estimated": outcome.estimated,
        "text": outcome.text.model_dump(),
        "settle_with": list(outcome.settle_with),
        "trace": [
            {
                "kind": node.kind,
                "id": node.id,
                "result": _json_value(node.result),
                "legal_basis": node.legal_basis.model_dump(),
            }
            for node in outcome.trace
        ],
        "inputs": [
            {
                "name": use.name,
                "value": _json_value(use.value),
                "source": None
                if use.source is None
                else {
                    "kind": use.source.kind,
                    "issuer": use.source.issuer,
                    "vct": use.source.vct,
                    "claim": list(use.source.claim) if use.source.claim else None,
                },
            }
            for use in outcome.inputs
        ],
    }


def render_text(outcome: Outcome, *, language: Literal["nl", "en"] = "en") -> str:
    """A readable explanation: the outcome, then each step with the article it rests on."""
    text = getattr(outcome.text, language)
    lines = [f"{outcome.regulation_id}: {outcome.status.value} — {text}"]
    if outcome.amount_cents is not None:
        lines.append(f"  amount: EUR {outcome.amount_cents / 100:,.2f} per year")
    if outcome.estimated:
        lines.append("  note: rests on a self-declared estimate")
    if outcome.settle_with:
        lines.append("  would be settled by: " + ", ".join(outcome.settle_with))
    for node in outcome.trace:
        basis = node.legal_basis
        lines.append(
            f"  [{node.kind}] {node.id} = {_json_value(node.result)}"
            f"  ({basis.title}, art. {basis.article}; {basis.id})"
        )
    for use in outcome.inputs:
        source = use.source
        origin = (
            "missing"
            if source is None
            else source.kind
            if source.kind != "credential"
            else f"{source.issuer} {source.vct} {list(source.claim or ())}"
        )
        lines.append(f"  input {use.name} = {_json_value(use.value)}  from {origin}")
    return "\n".join(lines)
