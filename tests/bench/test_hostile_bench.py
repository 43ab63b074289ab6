"""A smoke run of ``python -m bench.hostile`` at the smallest sizes: every hostile input is
built and sent, every service is started and attacked, and every row and figure is printed.
Nothing here looks at how fast anything is (bench/README.md); it only keeps the code paths
from rotting, and checks the bombs are what they claim to be."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from bench.hostile import CASE_ORDER, Plan, main, measure, print_report
from bench.hostile_cases import Sizes
from bench.hostile_inputs import MIB, deflate_jwe, gzip_bomb, zlib_bomb
from specs.jose import b64url_decode

TINY = Plan(
    Sizes(
        bomb_mebibytes=32,
        repetitions=1,
        deadline_repetitions=1,
        fetch_deadline=0.3,
        rpc_deadline=0.3,
    ),
    flood=4,
    slow_connections=1,
    hold=0.2,
    load_answers=2,
    in_flight=3,
)


def test_the_bombs_inflate_to_what_they_claim() -> None:
    stream = zlib_bomb(3)
    assert len(stream) < 4_000
    assert zlib.decompress(stream) == bytes(3 * MIB)  # a valid stream, Adler-32 included
    assert gzip.decompress(gzip_bomb(3)) == bytes(3 * MIB)  # CRC-32 and size checked
    token = deflate_jwe("kid-1", 3, max_chars=10_000)
    assert len(token) < 10_000
    ciphertext = b64url_decode(token.split(".")[3])
    assert zlib.decompress(ciphertext, -zlib.MAX_WBITS) == bytes(3 * MIB)
    assert json.loads(b64url_decode(token.split(".")[0]))["zip"] == "DEF"


def test_every_case_runs_and_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    report = measure(TINY)
    rows = report["rows"]
    assert {row["case"] for row in rows} == set(CASE_ORDER)
    for row in rows:
        assert row["outcome"], row
        assert "accepted" not in row["outcome"], row
        assert "raised" not in row["outcome"], row
        assert not any(status.startswith("5") for status in row["outcome"].split()), row
        assert len(row["times"]) >= 1, row
    load = report["load"]
    assert load["hostile_sent"] > 0
    assert load["server_errors"] == {}
    print_report(report)
    out = capsys.readouterr().out
    assert out.count("\n") > len(rows)
    for row in rows:
        assert row["input"][:45] in out
    assert "p99 under attack / quiet = " in out


def test_the_command_line_says_what_it_takes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--quick", "--json", "--no-load"):
        assert option in out
