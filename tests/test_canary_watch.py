"""The session's canary watch finds what it must find, where it looks, and only there."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from tests.canary_watch import CanaryWatch
from tests.threats.invariants import leaks

TEST = "test_x_"


def _record(
    message: str, level: int = logging.INFO, name: str = "aanspraak.test"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def _watch() -> CanaryWatch:
    watch = CanaryWatch()
    watch.test = TEST
    return watch


def test_values_long_enough_to_be_unique_become_canaries() -> None:
    watch = _watch()
    watch.note_value({"town": "Zwolle-Noord", "nested": [2_850_317, "ab", 12, True]})
    assert watch.canaries == {TEST: {"Zwolle-Noord", "2850317"}}


def test_a_canary_in_a_log_record_a_body_or_a_database_file_is_found(tmp_path: Path) -> None:
    watch = _watch()
    watch.note_value("Zwolle-Noord")
    watch.emit(_record("kept value Zwolle-Noord"))
    watch.error_bodies.append((TEST, "/credential", b'{"error":"x","value":"Zwolle-Noord"}'))
    folder = tmp_path / "popen-gw0" / f"{TEST}0"
    folder.mkdir(parents=True)
    (folder / "service.db-wal").write_bytes(b"\x00\x01Zwolle-Noord\x00")
    (folder / "decoded.json").write_text("Zwolle-Noord")  # written on purpose: not searched
    hits, figures = watch.scan(tmp_path)
    assert hits == [
        "log records of aanspraak.test: a canary of 12 characters",
        "HTTP error bodies of /credential: a canary of 12 characters",
        f"{Path('popen-gw0', f'{TEST}0', 'service.db-wal')}: a canary of 12 characters",
    ]
    assert figures["files"] == 1


def test_a_number_is_found_alone_not_inside_a_longer_run_of_digits(tmp_path: Path) -> None:
    """``100000`` inside the timestamp ``1796100000`` is not a leak; ``"100000"`` in JSON is."""
    watch = _watch()
    watch.note_value(100_000)
    folder = tmp_path / f"{TEST}0"
    folder.mkdir()
    (folder / "quiet.db").write_bytes(b"created_at 1796100000, id 41000007")
    (folder / "leaky.db").write_bytes(b'{"income_cents":100000}')
    watch.emit(_record("at 1796100000"))
    watch.error_bodies.append((TEST, "/x", b"value=100000&"))
    hits, _figures = watch.scan(tmp_path)
    assert hits == [
        "HTTP error bodies of /x: a canary of 6 characters",
        f"{Path(f'{TEST}0', 'leaky.db')}: a canary of 6 characters",
    ]


def test_another_tests_files_are_searched_for_its_own_canaries_only(tmp_path: Path) -> None:
    """A short value of one test may be a plain word in another test's database."""
    watch = _watch()
    watch.note_value("Zwolle-Noord")
    other = tmp_path / "test_other_0"
    other.mkdir()
    (other / "verifier.db").write_bytes(b"Zwolle-Noord")
    assert watch.scan(tmp_path)[0] == []


def test_a_clean_session_has_no_hits(tmp_path: Path) -> None:
    watch = _watch()
    watch.note_value("Zwolle-Noord")
    watch.emit(_record("answered 400 invalid_request"))
    watch.emit(_record("executing Zwolle-Noord", logging.DEBUG, "aiosqlite"))  # not ours, debug
    (tmp_path / f"{TEST}0").mkdir()
    (tmp_path / f"{TEST}0" / "issuer.db").write_bytes(b"sealed \x93\x11 bytes")
    assert watch.scan(tmp_path)[0] == []


def test_a_canary_in_a_traceback_is_found() -> None:
    watch = _watch()
    watch.note_value("Zwolle-Noord")
    try:
        raise ValueError("bad claim Zwolle-Noord")
    except ValueError:
        record = logging.LogRecord(
            "aanspraak.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    watch.emit(record)
    assert watch.scan(None)[0] == ["log records of aanspraak.test: a canary of 12 characters"]


def test_a_cases_leak_check_follows_the_same_rule_for_numbers() -> None:
    """A desk stores timestamps in microseconds: ``3015851`` inside one is not the income."""
    stored = b"decided_at 1764421453015851, payload {}"
    assert leaks(["3015851"], stored) == []
    assert leaks(["3015851"], b'{"income":3015851}') == ["3015851"]
    assert leaks(["3015851"], "3015851".encode("utf-16-le")) == ["3015851"]
    assert leaks(["CANARY-x-0a"], b"xxCANARY-x-0ayy") == ["CANARY-x-0a"]
