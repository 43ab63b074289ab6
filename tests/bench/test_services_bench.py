"""Smoke runs of ``python -m bench.services`` with tiny counts: every part runs under 1 and 2
uvicorn workers and every figure is printed. Nothing here looks at how fast anything is
(bench/README.md); the bare baseline app is also held to the house rule that bad input is a
4xx, never a 500."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.http_load import peak_rss_bytes, process_tree, tree_cpu_seconds
from bench.services import main, parse_arguments, run
from bench.services_bare_app import VERIFY_PATH, build_app
from bench.services_databases import Backend, fresh_database
from bench.services_report import print_report
from specs.jose import generate_private_key

TINY = [
    "--quick",
    "--no-postgres",
    "--rounds",
    "1",
    "--flows",
    "2",
    "--answers",
    "4",
    "--wallet-answers",
    "1",
    "--phones",
    "1",
    "--concurrency",
    "2",
]
FIGURE = r"\d[\d,]*\.\d"
ROW = rf"\s+({FIGURE})\s+({FIGURE})\s+({FIGURE})\s+({FIGURE}|n/a)\s+(\d+%|n/a)\s+({FIGURE})$"


def _check_text(out: str, workers: list[int], parts: set[str]) -> None:
    """Every figure of ``parts`` printed for every worker count, the header and verdicts."""
    assert re.search(r"^services through HTTP on loopback: \d+ CPUs", out, re.M)
    assert "uvicorn " in out
    assert "PostgreSQL: " not in out  # --no-postgres: not even a note
    tables = out.split("\n\n")
    memory = next(t for t in tables if t.startswith("memory:"))
    cells = rf"(\s+{FIGURE}){{{len(workers)}}}$"
    names = []
    for part, title, name in (("issuance", "issuance:", "issuer"), ("wallet", "wallet ", "wallet")):
        if part in parts:
            table = next(t for t in tables if t.startswith(title))
            rows = re.finditer(rf"^sqlite\s+(\d){ROW}", table, re.M)
            found = [int(row.group(1)) for row in rows]
            assert found == workers, part
            names.append(f"{name}{' service' if part == 'wallet' else ''}, sqlite")
    if "oid4vp" in parts:
        for number in workers:
            for mode in ("direct_post", "direct_post.jwt"):
                assert re.search(rf"^sqlite\s+{number}\s+{re.escape(mode)}{ROW}", out, re.M)
                verdict = rf"^(PASS|MISS): .*, sqlite, {number} worker\(s\), {re.escape(mode)}: "
                ratios = r"\d+\.\d\d \(target >= 0\.5\); per server CPU s (\d+\.\d\d|n/a)$"
                assert re.search(verdict + ratios, out, re.M)
            assert re.search(rf"^{number}{ROW}", out, re.M)  # the bare baseline
            floor = rf"^HTTP floor, {number} worker\(s\): .*: {FIGURE}/s, p50 {FIGURE} ms, "
            assert re.search(floor + rf"({FIGURE}|n/a) per server CPU s$", out, re.M)
        names += ["desk direct_post, sqlite", "desk direct_post.jwt, sqlite", "bare verifier"]
    for name in names:
        assert re.search(rf"^{re.escape(name)}{cells}", memory, re.M), name


def _check_report(report: dict[str, Any], workers: list[int], parts: set[str]) -> None:
    runs = json.loads(json.dumps(report))["runs"]  # what --json prints
    if "oid4vp" in parts:
        modes = ("direct_post", "direct_post.jwt")
        assert [(r["workers"], r["mode"]) for r in runs["oid4vp"]] == [
            (w, m) for w in workers for m in modes
        ]
        for row in [*runs["oid4vp"], *runs["bare"]]:
            assert row["per_second"] > 0
            assert row["units"] == 4
            assert row["peak_rss_mib"] > 0
        assert all(row["agency_fetches_while_timing"] >= 0 for row in runs["oid4vp"])
        assert len(report["verdicts"]) == 2 * len(workers)
        assert all(verdict["ratio"] > 0 for verdict in report["verdicts"])
    if "issuance" in parts:
        assert [row["units"] for row in runs["issuance"]] == [20] * len(workers)  # 2 flows
    if "wallet" in parts:
        assert [row["units"] for row in runs["wallet"]] == [1] * len(workers)


@pytest.mark.parametrize(
    ("workers", "parts"),
    [
        pytest.param("1", "issuance,oid4vp,wallet", id="every-part-1-worker"),
        pytest.param("2", "oid4vp", id="oid4vp-2-workers"),
        pytest.param("1,2", "issuance,oid4vp,wallet", id="all", marks=pytest.mark.slow),
    ],
)
def test_every_figure_is_printed(
    capsys: pytest.CaptureFixture[str], workers: str, parts: str
) -> None:
    """One run checked as text and as JSON (its servers are what takes the time: the run of
    every part under 1 and 2 workers takes about 35 s, so CI runs two thirds of it)."""
    report = run(parse_arguments([*TINY, "--workers", workers, "--parts", parts]))
    print_report(report)
    counts, names = [int(w) for w in workers.split(",")], set(parts.split(","))
    _check_text(capsys.readouterr().out, counts, names)
    _check_report(report, counts, names)


def test_json_is_printed_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY, "--workers", "1", "--parts", "", "--json"]) == 0  # no part: no server
    report = json.loads(capsys.readouterr().out)
    assert report["runs"] == {"issuance": [], "oid4vp": [], "bare": [], "wallet": []}
    assert report["backends"] == ["sqlite"]
    assert report["workers"] == [1]
    assert report["environment"]["cpus"] == os.cpu_count()


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown part"):
        main([*TINY, "--parts", "issuance,nothing"])


def test_the_process_tree_figures_read_this_process() -> None:
    assert process_tree(os.getpid())[0] == os.getpid()
    assert (tree_cpu_seconds(os.getpid()) or 0) > 0
    assert (peak_rss_bytes(os.getpid()) or 0) > 1024 * 1024


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"vp_token=x&nonce=n",
        b"vp_token=a&vp_token=b&nonce=n",
        b"nonce=n",
        b"\xff\xfe",
        b"a=1&b=2&c=3",
        b"vp_token=" + b"a" * (65 * 1024),
    ],
)
async def test_the_bare_app_refuses_bad_input_without_a_500(body: bytes) -> None:
    app = build_app(issuer_jwk=generate_private_key().public.to_jwk(), audience="desk")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bare") as client:
        response = await client.post(VERIFY_PATH, content=body)
    assert response.status_code in (400, 413)


async def test_a_postgresql_run_gets_its_own_database_and_drops_it(tmp_path: Path) -> None:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("needs TEST_DATABASE_URL")
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    backend = Backend.postgresql(server)
    async with fresh_database(backend, tmp_path, "issuer") as first:
        async with fresh_database(backend, tmp_path, "issuer") as second:
            assert first != second
            name = make_url(first).database
        admin = make_url(server).set(drivername="postgresql")
        connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            listed = "SELECT count(*) FROM pg_database WHERE datname = $1"
            assert await connection.fetchval(listed, name) == 1
        finally:
            await connection.close()
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        assert await connection.fetchval(listed, name) == 0
    finally:
        await connection.close()
