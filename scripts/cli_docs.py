"""Write docs/cli.md from the command line itself: the help of every command, as plain text.

``python -m scripts.cli_docs`` rewrites the file; ``tests/test_docs.py`` fails when the file
and the commands disagree, so the reference cannot drift.

The help is click's own, rendered without rich (no colours, no boxes, no terminal
detection) at a fixed width, so the file is the same on every machine. Typer builds the click
command tree from ``aanspraak.cli.app`` on each ``get_command`` call, so switching rich off
on that tree touches nothing the real command line uses.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
import typer.core
import typer.main

from aanspraak.cli import app

TARGET = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
WIDTH = 100
PROGRAM = "aanspraak"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
HEADER = """# Command line reference

Every `aanspraak` command and subcommand with its `--help`, as the command line prints it.
The commands share one convention for exit codes (`aanspraak/cli_io.py`): 0 done; 1 refused
(the input broke a rule, the service said no) or a dependency such as the database failed;
2 a usage or configuration error. Errors are one line on stderr, such as `rejected: <slug>`
or `error: ... (<code>)`, and never repeat a claim value, code, key or setting value; the
slugs are in [reasons.md](reasons.md). What the commands are for, with examples, is in the
role guides: [issuer.md](issuer.md), [verifier.md](verifier.md), [wallet.md](wallet.md) and
[regulations.md](regulations.md); how they fit together is in
[architecture.md](architecture.md).

Generated from the command line by `python -m scripts.cli_docs`; a test keeps the two in step,
so run it after changing a command, an option or a help text.
"""


def _walk(command: object, context: typer.Context) -> Iterator[tuple[str, str]]:
    """``(command path, help text)`` for ``command`` and, depth first, its subcommands in the
    order the command line lists them; hidden commands are left out, as in ``--help``."""
    if isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup):
        command.rich_markup_mode = None  # click's plain formatter, not rich's panels
    yield context.command_path, context.get_help()
    if not isinstance(command, typer.core.TyperGroup):
        return
    for name in command.list_commands(context):
        child = command.get_command(context, name)
        if child is None or child.hidden:
            continue
        yield from _walk(child, _context(child, name, parent=context))


def _context(command: object, name: str, *, parent: typer.Context | None) -> typer.Context:
    return typer.Context(
        command,  # type: ignore[arg-type]  # typer's click command, whichever click it uses
        info_name=name,
        parent=parent,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )


def _clean(text: str) -> str:
    """No escape sequences and no trailing blanks, whatever the formatter did."""
    lines = (line.rstrip() for line in _ANSI.sub("", text).strip("\n").splitlines())
    return "\n".join(lines)


def _anchor(path: str) -> str:
    """The anchor GitHub-style renderers give the heading ``path`` (in backticks)."""
    return re.sub(r"[^a-z0-9 _-]", "", path.lower()).replace(" ", "-")


def render() -> str:
    root = typer.main.get_command(app)
    helps = list(_walk(root, _context(root, PROGRAM, parent=None)))
    contents = [f"{'  ' * (path.count(' '))}- [`{path}`](#{_anchor(path)})" for path, _ in helps]
    sections = [f"## `{path}`\n\n```text\n{_clean(text)}\n```" for path, text in helps]
    return "\n".join([HEADER, "## Contents\n", *contents, "", "\n\n".join(sections)]) + "\n"


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
