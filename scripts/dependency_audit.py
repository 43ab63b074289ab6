"""Known vulnerabilities in the installed dependencies: ``python -m scripts.dependency_audit``.

Two checks, both over what is installed in this environment (the versions the tests ran
against):

1. ``pip-audit`` against its vulnerability database. Any known vulnerability fails the
   audit. When the database cannot be reached (no route to it from this machine), the
   output says so plainly and names how many packages went unaudited; it never reads as
   clean. ``--require-database`` makes that case a failure too.
2. Advisory floors kept here: the lowest version of each security-relevant dependency that
   has the fixes for the advisories this project's threat model names (JOSE handling,
   multipart and form parsing, HTTP framing, TLS). A version below its floor fails the audit
   even without the database.

Exit status: 0 clean (or database unreachable and floors met), 1 a finding, 2 the database
was unreachable and ``--require-database`` was given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from packaging.version import Version


@dataclass(frozen=True, slots=True)
class Floor:
    minimum: str
    why: str


#: package -> the version that carries the fixes, and for what.
FLOORS: dict[str, Floor] = {
    "cryptography": Floor("44.0.1", "CVE-2024-12797 (TLS), CVE-2024-26130 (PKCS#12 crash)"),
    "starlette": Floor(
        "0.49.1", "CVE-2024-47874, CVE-2025-54121, CVE-2025-62727 (form and range DoS)"
    ),
    "python-multipart": Floor("0.0.18", "CVE-2024-24762, CVE-2024-53981 (multipart DoS)"),
    "h11": Floor("0.16.0", "CVE-2025-43859 (chunked framing)"),
    "urllib3": Floor("2.5.0", "CVE-2025-50181 (redirects not disabled)"),
    "requests": Floor("2.32.4", "CVE-2024-47081 (credential leak via .netrc)"),
    "idna": Floor("3.7", "CVE-2024-3651 (encode DoS)"),
    "pyjwt": Floor("2.10.1", "CVE-2024-53861 (partial issuer match)"),
    "jinja2": Floor("3.1.6", "CVE-2025-27516 (sandbox escape)"),
}


def floor_findings() -> list[str]:
    found = []
    for package, floor in sorted(FLOORS.items()):
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
        if Version(installed) < Version(floor.minimum):
            found.append(f"{package} {installed} < {floor.minimum}: {floor.why}")
    return found


def database_audit() -> tuple[list[str], int, int, bool]:
    """(findings, packages audited, packages unaudited, database reachable)."""
    command = [
        sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return [], 0, 0, False
    findings, audited, unaudited = [], 0, 0
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            unaudited += 1
            continue
        audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
            findings.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} "
                f"(fixed in {fixed})"
            )
    return findings, audited, unaudited, audited > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--require-database",
        action="store_true",
        help="fail when the vulnerability database cannot be reached",
    )
    arguments = parser.parse_args(argv)
    floors = floor_findings()
    findings, audited, unaudited, reachable = database_audit()
    print(f"advisory floors: {len(FLOORS)} packages checked, {len(floors)} below their floor")
    for line in floors:
        print(f"  {line}")
    if reachable:
        print(
            f"vulnerability database: {audited} packages audited, {unaudited} not auditable, "
            f"{len(findings)} known vulnerabilities"
        )
        for line in findings:
            print(f"  {line}")
    else:
        print(
            "vulnerability database: NOT REACHED from this machine; "
            f"{unaudited} packages unaudited (only the advisory floors above were checked)"
        )
    if floors or findings:
        return 1
    if not reachable and arguments.require_database:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
