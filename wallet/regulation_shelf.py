"""The wallet's shelf of regulations: only the law governance anchored is run on the device.

The wallet evaluates regulations offline (DESIGN §1 wallet/, discovery), so the files it runs
must be exactly the ones the trust registry anchored for their validity date: a copy with one
figure changed would tell the citizen "you are entitled" on a law nobody enacted. A file is
accepted only when ``check_anchor`` (``specs.trust``) says its content hash (the compiled
regulation's ``version``) is the anchor for its (regulation, ``valid_from``) and that anchor is
in effect; the desk applies the same check before it asks for anything
(``verifier.transactions``), so the wallet and the desk run the same law.

A refused file is reported with the registry's reason, never silently dropped: a
``regulation-hash-mismatch`` says someone published an altered copy, which the service may want
to show or log. Nothing here reads the network: the snapshot comes from a ``TrustRegistry``
(which fails closed when it is stale) and the files from disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runtime.regulations import catalogue, load_file, regulation_files
from specs.errors import Rejected, TrustReason
from specs.rules import CompiledRegulation
from specs.trust import TrustSnapshot, check_anchor


@dataclass(frozen=True, slots=True)
class RefusedRegulation:
    """A regulation file the registry does not vouch for, and why."""

    regulation: str
    valid_from: str
    """ISO date, the anchors' lookup key."""
    version: str
    """The content hash of the refused file (not the anchored one)."""
    reason: TrustReason


@dataclass(frozen=True)
class Shelf:
    """What discovery may run (``accepted``) and what it must not (``refused``)."""

    accepted: tuple[CompiledRegulation, ...]
    refused: tuple[RefusedRegulation, ...]


def accept_regulations(
    candidates: Iterable[CompiledRegulation], snapshot: TrustSnapshot, *, now: int
) -> Shelf:
    """Keep each candidate whose content hash is the anchor in effect for its validity date.

    ``now`` is compared as ``max(now, snapshot.as_of)``, as the desk does: the snapshot's block
    time may lead the device's clock, and an anchor the registry already shows in effect is in
    effect. The same file offered twice is kept once.
    """
    at = max(now, snapshot.as_of)
    accepted: list[CompiledRegulation] = []
    refused: list[RefusedRegulation] = []
    seen: set[tuple[str, str]] = set()
    for compiled in candidates:
        regulation = compiled.regulation
        if (regulation.id, compiled.version) in seen:
            continue
        seen.add((regulation.id, compiled.version))
        valid_from = regulation.valid_from.isoformat()
        try:
            check_anchor(
                snapshot,
                regulation=regulation.id,
                valid_from=valid_from,
                version=compiled.version,
                now=at,
            )
        except Rejected as exc:
            reason = TrustReason(exc.reason)
            refused.append(RefusedRegulation(regulation.id, valid_from, compiled.version, reason))
        else:
            accepted.append(compiled)
    return Shelf(tuple(accepted), tuple(refused))


def load_shelf(snapshot: TrustSnapshot, *, now: int, root: Path | None = None) -> Shelf:
    """The shelf from the bundled regulations, or from a directory of published files laid
    out as the bundle is (``<regulation>/<AUTHORITY>-<valid_from>.yaml``).

    A file that is not a valid regulation raises ``InvalidRegulation`` (``runtime.regulations``):
    it has no meaning whose hash could be compared, and a broken publication is worth an error
    rather than a quietly shorter shelf.
    """
    candidates = catalogue() if root is None else [load_file(p) for p in regulation_files(root)]
    return accept_regulations(candidates, snapshot, now=now)
