"""The README's two commands work on a fresh copy of the repository.

A newcomer's first step is the README's "Two commands" block. This test reads that block, checks
that it holds the demo command and then the test command, and runs the demo command exactly as
written in a copy of the repository's files as git sees them (what a clone holds, plus files
not yet added that ``.gitignore`` does not exclude, so work in progress is tested as it stands; no
``.venv``, no caches). The command creates ``.venv`` and installs the package from the package
index, so the test skips when ``make`` or the index is unavailable. The test command is not
run: it would run this suite inside itself.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# Creating the virtual environment and installing every dependency takes a minute or two on a
# warm package cache; the bound is for a cold one on a slow network.
INSTALL_TIMEOUT_SECONDS = 600
DEMO_TIMEOUT_SECONDS = 120

# Words the demo's human output must contain (compared case-insensitively, whitespace folded).
STORY_WORDS = ("aanspraak demo", "wallet", "desk")

# pip's messages when the package index cannot be reached: the test skips instead of failing.
OFFLINE_MARKERS = (
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "Network is unreachable",
    "No matching distribution found",
    "Could not find a version that satisfies",
)

# Variables of the calling environment that would make the copy use something other than
# itself: another interpreter or import path, the outer make's flags, the services' settings.
INHERITED_NOT_WANTED = (
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
)


def check_outcomes(report: dict[str, Any]) -> None:
    """What ``aanspraak demo --json`` must still conclude; adapt when the story changes."""
    # The desk's kwijtschelding decision: income misses the norm narrowly, hardship referral.
    assert report["decision"]["status"] == "refer_hardship"
    # The phone, through the wallet service, answers a zorgtoeslag desk and is found eligible.
    assert report["wallet_service"]["decision"]["status"] == "eligible"
    # The wallet's offline scan found at least one regulation for the citizen.
    assert report["discoveries"]
    # Governance refuses a tampered copy of a regulation file.
    assert report["trust"]["tampered_regulation"] == "regulation-hash-mismatch"


def two_commands(readme: str) -> list[str]:
    """The command lines of the first code block under the "Two commands" heading."""
    heading = re.search(r"^#+[ \t]+two commands[ \t]*$", readme, re.IGNORECASE | re.MULTILINE)
    assert heading, 'README.md has no "Two commands" heading'
    rest = readme[heading.end() :]
    block = re.search(r"^```[^\n]*\n(.*?)^```", rest, re.DOTALL | re.MULTILINE)
    assert block, 'the "Two commands" section has no code block'
    assert not re.search(r"^#+[ \t]", rest[: block.start()], re.MULTILINE), (
        'the "Two commands" section has no code block before the next heading'
    )
    lines = (line.strip() for line in block.group(1).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_two_commands_are_the_demo_then_the_tests() -> None:
    commands = two_commands(README.read_text(encoding="utf-8"))
    assert len(commands) == 2, commands
    demo, tests = (shlex.split(command, comments=True) for command in commands)
    assert "demo" in demo, commands[0]
    assert "test" in tests, commands[1]


def test_readme_demo_command_runs_on_a_fresh_copy(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("the README's commands need make")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("copying the tracked files needs git and a checkout")
    demo_command = two_commands(README.read_text(encoding="utf-8"))[0]
    copy = tmp_path / "aanspraak"
    copy_tracked_files(ROOT, copy)
    env = clean_environment()

    try:
        installed = subprocess.run(
            ["sh", "-c", demo_command],
            cwd=copy,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{demo_command!r} took more than {INSTALL_TIMEOUT_SECONDS} s")
    output = installed.stdout + installed.stderr
    if installed.returncode != 0 and any(marker in output for marker in OFFLINE_MARKERS):
        pytest.skip("the package index cannot be reached")
    assert installed.returncode == 0, output[-4000:]
    story = " ".join(installed.stdout.split()).lower()
    for word in STORY_WORDS:
        assert word in story, f"{word!r} not in the demo's output"

    as_json = subprocess.run(
        [str(copy / ".venv" / "bin" / "aanspraak"), "demo", "--json"],
        cwd=copy,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_SECONDS,
        check=False,
    )
    assert as_json.returncode == 0, as_json.stderr[-4000:]
    check_outcomes(json.loads(as_json.stdout))
    # Only on success: a failed run's copy stays under pytest's tmp_path for a look.
    shutil.rmtree(copy, ignore_errors=True)


def copy_tracked_files(source: Path, target: Path) -> None:
    """Copy the tracked files and the untracked ones git does not ignore (no .venv, no caches).

    In CI, a fresh clone, that is exactly the tracked files; in a work tree it includes new
    modules not yet added, as the rest of the suite does.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"git ls-files failed: {listed.stderr.decode(errors='replace').strip()}")
    for name in listed.stdout.decode().split("\0"):
        path = source / name
        if not name or not path.is_file():  # deleted in the work tree, or a submodule
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)


def clean_environment() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in INHERITED_NOT_WANTED and not name.startswith("AANSPRAAK_")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env
