"""``aanspraak regulations``: list, show, check, explain and compile the bundled regulations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from aanspraak.cli_io import fail_usage, read_json_file
from runtime.regulations import catalogue, find, load_file, regulation_files
from specs.errors import InvalidRegulation
from specs.rules import HeldCredential, compile_dcql, evaluate, facts_from_credentials
from specs.rules.engine import CompiledRegulation
from specs.rules.explain import outcome_as_dict, render_text

app = typer.Typer(
    help="Regulations as code: the bundled regulations, their rules and their queries.",
    no_args_is_help=True,
    add_completion=False,
)


def _find(regulation_id: str) -> CompiledRegulation:
    try:
        return find(regulation_id)
    except KeyError:
        fail_usage(f"no regulation {regulation_id!r}; see `aanspraak regulations list`")


@app.command("list")
def list_regulations() -> None:
    """Every bundled regulation: id, validity, whether the wallet may show it, version, name."""
    rows = [("id", "valid from", "until", "discoverable", "version", "name")]
    for compiled in catalogue():
        r = compiled.regulation
        rows.append(
            (
                r.id,
                str(r.valid_from),
                str(r.valid_until or "-"),
                "yes" if r.discoverable else "no",
                compiled.version[:19],
                f"{r.name.en} ({r.authority})",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:  # plain columns: never truncated, whatever the terminal width
        typer.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )


@app.command("show")
def show(regulation_id: str) -> None:
    """The regulation as data: figures with their sources, inputs, legal basis (JSON)."""
    compiled = _find(regulation_id)
    shown = compiled.regulation.model_dump(mode="json", exclude_none=True)
    shown["version"] = compiled.version
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@app.command("check")
def check(files: Annotated[list[Path] | None, typer.Argument()] = None) -> None:
    """Validate regulation files (default: the whole bundled catalogue); exit 1 if any fails."""
    failures = 0
    for path in files or list(regulation_files()):
        try:
            compiled = load_file(path)
        except (InvalidRegulation, OSError, UnicodeDecodeError) as exc:
            failures += 1
            typer.echo(f"INVALID {path}: {exc}", err=True)
        else:
            typer.echo(f"ok      {path}  {compiled.version}")
    if failures:
        raise typer.Exit(1)


@app.command("explain")
def explain(
    regulation_id: str,
    facts: Annotated[Path, typer.Option(help="JSON: credentials, self_declared, desk.")],
    json_output: Annotated[bool, typer.Option("--json", help="The outcome as JSON.")] = False,
    language: Annotated[str, typer.Option(help="nl or en")] = "en",
) -> None:
    """Evaluate with the facts in FILE and print the outcome with its trace."""
    compiled = _find(regulation_id)
    document = read_json_file(facts, "facts")
    credentials, self_declared, desk = _facts_document(document)
    collected = facts_from_credentials(
        compiled.regulation, credentials, self_declared=self_declared, desk=desk
    )
    outcome = evaluate(compiled, collected.facts)
    if json_output:
        shown = outcome_as_dict(outcome)
        shown["rejected_evidence"] = [r.__dict__ for r in collected.rejected]
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    if language not in ("nl", "en"):
        fail_usage("--language is nl or en")
    typer.echo(render_text(outcome, language="nl" if language == "nl" else "en"))
    for rejected in collected.rejected:
        typer.echo(f"  not accepted: {rejected.input} from {rejected.vct} ({rejected.reason})")


def _facts_document(document: Any) -> tuple[list[HeldCredential], dict[str, Any], dict[str, Any]]:
    if not isinstance(document, dict):
        fail_usage("the facts file holds an object with credentials, self_declared, desk")
    credentials = []
    for item in document.get("credentials", []):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("vct"), str)
            and isinstance(item.get("claims"), dict)
        ):
            fail_usage("each credential is an object with issuer, vct and claims")
        credentials.append(HeldCredential(str(item.get("issuer", "")), item["vct"], item["claims"]))
    self_declared = document.get("self_declared", {})
    desk = document.get("desk", {})
    if not isinstance(self_declared, dict) or not isinstance(desk, dict):
        fail_usage("self_declared and desk are objects")
    return credentials, self_declared, desk


@app.command("dcql")
def dcql(
    regulation_id: str,
    known: Annotated[
        list[str] | None, typer.Option(help="An input the desk already holds (repeatable).")
    ] = None,
) -> None:
    """The minimal DCQL query for a decision, with its transaction_data and verifier_info."""
    compiled = _find(regulation_id)
    unknown = set(known or []) - set(compiled.regulation.inputs)
    if unknown:
        fail_usage(f"not an input of {regulation_id}: {', '.join(sorted(unknown))}")
    try:
        request = compile_dcql(compiled, known=frozenset(known or []))
    except ValueError as exc:
        fail_usage(str(exc))
    typer.echo(
        json.dumps(
            {
                "dcql_query": request.query,
                "transaction_data": request.transaction_data,
                "purpose": request.purpose,
                "verifier_info": request.verifier_info,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
