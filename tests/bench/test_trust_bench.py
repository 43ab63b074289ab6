"""Smoke runs of ``python -m bench.trust`` with tiny counts: every figure is measured and
printed, against anvil too when ``TEST_CHAIN_RPC_URL`` names it. Nothing here looks at how
fast anything is (bench/README.md)."""

from __future__ import annotations

import json
import os

import pytest

from bench.trust import main
from tests.trust.test_chain_anvil import node  # noqa: F401 - the node's lock, as a fixture

TINY = ["--quick", "--sizes", "2,5", "--rounds", "1"]
ROW = {"entries", "event_fed_calls", "event_fed_ms", "full_read_calls", "full_read_ms", "speedup"}


def test_the_text_report_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(TINY) == 0
    out = capsys.readouterr().out
    for figure in (
        "cached decisions",
        "RPC calls per presentation",
        "seconds from a change to its effect",
        "refresh after one change, in-process EVM",
        "event-fed calls",
    ):
        assert figure in out
    assert "JSON-RPC node" not in out  # only with --rpc-url


def test_the_json_report_holds_the_refresh_curve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["refresh_after_one_change"]["in-process EVM"]
    assert [row["entries"] for row in rows] == [2, 5]
    for row in rows:
        assert set(row) == ROW
        assert row["event_fed_calls"] == 4  # three counts and the slot named
        assert row["full_read_calls"] == 3 + row["entries"] + 2


@pytest.mark.skipif(not os.environ.get("TEST_CHAIN_RPC_URL"), reason="no anvil")
def test_against_a_node_every_figure_is_printed(
    capsys: pytest.CaptureFixture[str],
    node: object,  # noqa: F811 - holds the node's lock
) -> None:
    url = os.environ["TEST_CHAIN_RPC_URL"]
    assert main([*TINY, "--sizes", "2", "--rpc-url", url]) == 0
    out = capsys.readouterr().out
    assert "refresh after one change, JSON-RPC node" in out
    assert "seconds from a change's receipt to its effect" in out
