"""The wallet runs only anchored law: every refusal ``check_anchor`` can give, from real files."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from runtime.regulations import catalogue, regulation_files
from specs.errors import InvalidRegulation, TrustReason
from specs.rules import CompiledRegulation
from specs.trust import RegulationAnchor, TrustSnapshot
from wallet.regulation_shelf import RefusedRegulation, Shelf, accept_regulations, load_shelf

NOW = 1_772_323_200  # 2026-03-01T00:00:00Z


def snapshot(
    anchored: Iterable[CompiledRegulation] = (), *, effective_from: int = 0, as_of: int = NOW
) -> TrustSnapshot:
    anchors = {
        (c.regulation.id, c.regulation.valid_from.isoformat()): RegulationAnchor(
            c.regulation.id, c.version, c.regulation.valid_from.isoformat(), effective_from
        )
        for c in anchored
    }
    return TrustSnapshot(anchors=anchors, as_of=as_of, source="test")


def bundled(regulation_id: str) -> CompiledRegulation:
    return next(c for c in catalogue() if c.regulation.id == regulation_id)


def copy_published(root: Path, regulation_id: str, *, edit: tuple[str, str] | None = None) -> None:
    """Publish one bundled file under ``root`` as the bundle lays it out, optionally edited."""
    source = next(p for p in regulation_files() if p.parent.name == regulation_id)
    target = root / regulation_id / source.name
    target.parent.mkdir(parents=True)
    if edit is None:
        shutil.copyfile(source, target)
        return
    text = source.read_text(encoding="utf-8")
    assert edit[0] in text
    target.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")


def reasons(shelf: Shelf) -> dict[str, TrustReason]:
    return {r.regulation: r.reason for r in shelf.refused}


def test_every_bundled_regulation_is_accepted_when_anchored() -> None:
    shelf = load_shelf(snapshot(catalogue()), now=NOW)
    assert shelf.accepted == catalogue()
    assert shelf.refused == ()


def test_an_altered_file_is_refused_as_a_hash_mismatch(tmp_path: Path) -> None:
    copy_published(tmp_path, "zorgtoeslag", edit=("cents: 211900", "cents: 211901"))
    copy_published(tmp_path, "huurtoeslag")
    shelf = load_shelf(snapshot(catalogue()), now=NOW, root=tmp_path)
    assert [c.regulation.id for c in shelf.accepted] == ["huurtoeslag"]
    (refused,) = shelf.refused
    assert refused == RefusedRegulation(
        "zorgtoeslag", "2026-01-01", refused.version, TrustReason.REGULATION_HASH_MISMATCH
    )
    assert refused.version != bundled("zorgtoeslag").version


def test_a_comment_is_not_content(tmp_path: Path) -> None:
    """The hash is over the parsed document, so only a change of meaning is a mismatch."""
    copy_published(tmp_path, "zorgtoeslag", edit=("# Zorgtoeslag 2026", "# Zorgtoeslag, 2026"))
    shelf = load_shelf(snapshot(catalogue()), now=NOW, root=tmp_path)
    assert [c.version for c in shelf.accepted] == [bundled("zorgtoeslag").version]


def test_a_regulation_without_an_anchor_is_refused() -> None:
    others = [c for c in catalogue() if c.regulation.id != "kwijtschelding"]
    shelf = load_shelf(snapshot(others), now=NOW)
    assert reasons(shelf) == {"kwijtschelding": TrustReason.REGULATION_NOT_ANCHORED}
    assert len(shelf.accepted) == len(catalogue()) - 1


def test_an_anchor_announced_for_later_is_not_yet_in_effect() -> None:
    later = snapshot([bundled("zorgtoeslag")], effective_from=NOW + 1)
    shelf = accept_regulations([bundled("zorgtoeslag")], later, now=NOW)
    assert reasons(shelf) == {"zorgtoeslag": TrustReason.NOT_YET_EFFECTIVE}
    on_time = snapshot([bundled("zorgtoeslag")], effective_from=NOW)
    assert accept_regulations([bundled("zorgtoeslag")], on_time, now=NOW).accepted


def test_the_registry_time_counts_when_it_leads_the_device_clock() -> None:
    ahead = snapshot([bundled("zorgtoeslag")], effective_from=NOW + 60, as_of=NOW + 60)
    assert accept_regulations([bundled("zorgtoeslag")], ahead, now=NOW).accepted


def test_the_same_file_offered_twice_is_kept_once() -> None:
    twice = [bundled("zorgtoeslag"), bundled("zorgtoeslag")]
    shelf = accept_regulations(twice, snapshot(twice), now=NOW)
    assert shelf.accepted == (bundled("zorgtoeslag"),)


def test_a_file_that_is_no_regulation_raises(tmp_path: Path) -> None:
    copy_published(tmp_path, "zorgtoeslag", edit=("discoverable: true", "discoverable: maybe"))
    with pytest.raises(InvalidRegulation):
        load_shelf(snapshot(catalogue()), now=NOW, root=tmp_path)


def test_every_refusal_of_check_anchor_is_covered() -> None:
    """STYLE §5: each reason the shelf can report has a test above that feeds it."""
    zorgtoeslag = bundled("zorgtoeslag")
    altered = CompiledRegulation(
        zorgtoeslag.regulation,
        "sha256:" + "0" * 64,
        zorgtoeslag.params,
        zorgtoeslag.definitions,
        zorgtoeslag.requirements,
        zorgtoeslag.amount,
        zorgtoeslag.margins,
    )
    seen = {
        *reasons(accept_regulations([altered], snapshot([zorgtoeslag]), now=NOW)).values(),
        *reasons(accept_regulations([zorgtoeslag], snapshot(), now=NOW)).values(),
        *reasons(
            accept_regulations(
                [zorgtoeslag], snapshot([zorgtoeslag], effective_from=NOW + 1), now=NOW
            )
        ).values(),
    }
    assert seen == {
        TrustReason.REGULATION_HASH_MISMATCH,
        TrustReason.REGULATION_NOT_ANCHORED,
        TrustReason.NOT_YET_EFFECTIVE,
    }
