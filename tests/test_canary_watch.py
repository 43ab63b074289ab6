"""The session's canary watch finds what it must find, where it looks, and only there."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from tests.canary_watch import CanaryWatch


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("aanspraak.test", logging.INFO, __file__, 1, message, None, None)


def test_values_long_enough_to_be_unique_become_canaries() -> None:
    watch = CanaryWatch()
    watch.note_value({"town": "Zwolle-Noord", "nested": [2_850_317, "ab", 12, True]})
    assert watch.canaries == {"Zwolle-Noord", "2850317"}


def test_a_canary_in_a_log_record_a_body_or_a_database_file_is_found(tmp_path: Path) -> None:
    watch = CanaryWatch()
    watch.note_value("Zwolle-Noord")
    watch.emit(_record("kept value Zwolle-Noord"))
    watch.error_bodies.append(("/credential", b'{"error":"x","value":"Zwolle-Noord"}'))
    (tmp_path / "service.db-wal").write_bytes(b"\x00\x01Zwolle-Noord\x00")
    (tmp_path / "decoded.json").write_text("Zwolle-Noord")  # written on purpose: not searched
    hits, figures = watch.scan(tmp_path)
    assert hits == [
        "log records of aanspraak.test: a canary of 12 characters",
        "HTTP error bodies of /credential: a canary of 12 characters",
        "service.db-wal: a canary of 12 characters",
    ]
    assert figures["files"] == 1


def test_a_clean_session_has_no_hits(tmp_path: Path) -> None:
    watch = CanaryWatch()
    watch.note_value("Zwolle-Noord")
    watch.emit(_record("answered 400 invalid_request"))
    (tmp_path / "issuer.db").write_bytes(b"sealed \x93\x11 bytes")
    assert watch.scan(tmp_path)[0] == []


def test_a_canary_in_a_traceback_is_found() -> None:
    watch = CanaryWatch()
    watch.note_value("Zwolle-Noord")
    try:
        raise ValueError("bad claim Zwolle-Noord")
    except ValueError:
        record = logging.LogRecord(
            "aanspraak.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    watch.emit(record)
    assert watch.scan(None)[0] == ["log records of aanspraak.test: a canary of 12 characters"]
