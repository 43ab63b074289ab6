"""Smoke run of ``python -m bench.footprint`` with one citizen per step: every role's database
is measured and every figure printed. Nothing here judges a size (bench/README.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bench.footprint import ROLES, main, measure_database


def test_every_role_grows_by_what_a_citizen_leaves(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--citizens", "1", "--batch", "1", "--answers", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["roles"]) == set(ROLES)
    for figures in report["roles"].values():
        assert figures["bytes_per_citizen"] > 0
        assert figures["bytes_at_start"] > 0
    assert report["roles"]["issuer"]["rows_per_citizen"]["issuances"] == 4
    assert report["roles"]["verifier"]["rows_per_citizen"]["decisions"] == 1
    assert report["roles"]["wallet"]["rows_per_citizen"]["accounts"] == 1
    assert report["status_list_token_bytes"]
    assert all(size > 0 for size in report["status_list_token_bytes"])


def test_a_database_is_measured_per_table_and_index(tmp_path: Path) -> None:
    path = tmp_path / "probe.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
        connection.executemany(
            "INSERT INTO things (body) VALUES (?)", [(f"thing {i}" * 20,) for i in range(50)]
        )
    measured = measure_database(path)
    assert measured.rows_by_table == {"things": 50}
    assert measured.bytes_by_object["things"] > 50 * 20 * len("thing 0")
    assert "sqlite_autoindex_things_1" in measured.bytes_by_object
    assert measured.total_bytes == sum(measured.bytes_by_object.values())
