"""INV-5 over the whole test session: no claim value of any credential issued in it leaks.

Every selectively disclosable value a credential carries is a canary: strings of six
characters or more and integers of six digits or more (shorter ones occur by chance), taken
as the issuer builds each disclosure (``specs.sd_jwt.issuance``), so every credential made in
this process counts, whichever test made it. Services started as child processes issue the
suite's fixture claims, which in-process issuers issue too, so their canaries are known.

While the suite runs, the watch keeps every log record (the project's loggers from DEBUG,
others from INFO) and the body of
every HTTP answer of status 400 or more that a test's ``httpx`` client received. When the
session ends it looks for every canary in those, and in the files the services leave in the
session's temporary folder: databases with their ``-wal``, ``-shm`` and ``-journal`` files,
and the services' logs. A hit fails the session and names the canary's place, never the
value. Places that hold claims by design are not searched: the wallet's sealed store is
ciphertext, and files a test writes on purpose (a decoded credential the CLI was asked
for) are neither databases nor logs.

Under pytest-xdist each worker sends the controller its canaries and the hits in its own
records; the controller searches the files of every worker with all canaries and fails the
run on any hit. ``AANSPRAAK_CANARY_REPORT=<file>`` appends the scan's figures (and the places
of any hits) to that file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from specs.sd_jwt import issuance

MIN_TEXT = 6
MIN_DIGITS = 6
SCANNED_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".log")
MAX_FILE_BYTES = 64 * 1024 * 1024


class CanaryWatch(logging.Handler):
    """Canaries seen at issuance; log text and error bodies kept for the final scan."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.test = ""  # the running test, as its temporary folder is named
        self.canaries: dict[str, set[str]] = {}  # per test
        self.log_text: list[tuple[str, str, str]] = []  # (test, logger, formatted record)
        self.error_bodies: list[tuple[str, str, bytes]] = []  # (test, request path, body)

    def emit(self, record: logging.LogRecord) -> None:
        """The record as a handler would write it: message, traceback and stack included
        (an exception's text is the likeliest place for a value to leak)."""
        if record.levelno < logging.INFO and not record.name.startswith("aanspraak"):
            return  # other libraries' debug output is not something a deployment runs with
        try:
            self.log_text.append((self.test, record.name, self.format(record)))
        except Exception:  # a record that cannot format carries nothing to scan
            return

    def note_value(self, value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, str) and len(value) >= MIN_TEXT:
            self.canaries.setdefault(self.test, set()).add(value)
        elif isinstance(value, int) and len(str(abs(value))) >= MIN_DIGITS:
            self.canaries.setdefault(self.test, set()).add(str(value))
        elif isinstance(value, dict):
            for item in value.values():
                self.note_value(item)
        elif isinstance(value, list):
            for item in value:
                self.note_value(item)

    def files(self, root: Path) -> Iterator[Path]:
        for path in root.rglob("*"):
            if path.is_file() and path.name.endswith(SCANNED_SUFFIXES):
                yield path

    def scan(self, root: Path | None) -> tuple[list[str], dict[str, int]]:
        """(places with a hit, figures): this process's records and bodies, and the files
        under ``root``. Each place is searched for the canaries of the test that wrote it (a
        short value of one test may be a legitimate word in another's database). A hit
        names its place (logger, request path, file), never the value."""
        figures = {
            "canaries": len(set().union(*self.canaries.values())),
            "log records": len(self.log_text),
            "error bodies": len(self.error_bodies),
            "files": 0,
            "bytes": 0,
        }
        hits: list[str] = []
        for test, canaries in sorted(self.canaries.items()):
            logs = [(name, text) for t, name, text in self.log_text if t == test]
            bodies = [(path, body) for t, path, body in self.error_bodies if t == test]
            for value in sorted(canaries):
                names = sorted({name for name, text in logs if found_in(value, text.encode())})
                if names:
                    hits.append(f"log records of {', '.join(names)}: {_size(value)}")
                paths = sorted({path for path, body in bodies if found_in(value, body)})
                if paths:
                    hits.append(f"HTTP error bodies of {', '.join(paths)}: {_size(value)}")
        for path in self.files(root) if root is not None else ():
            try:
                data = path.read_bytes()[:MAX_FILE_BYTES]
            except OSError:
                continue
            figures["files"] += 1
            figures["bytes"] += len(data)
            place = path.relative_to(root) if root is not None else path
            canaries = self.canaries.get(_test_of(place), set())
            hits += [f"{place}: {_size(c)}" for c in sorted(canaries) if found_in(c, data)]
        return hits, figures


def found_in(canary: str, data: bytes) -> bool:
    """Whether ``canary`` is in ``data``; a number only where no digit touches it.

    A six-digit amount is a run of digits inside many a timestamp, id or digest a service
    rightly stores (``100000`` in ``1796100000``); a leaked one stands alone, as in JSON or a
    log line.
    """
    value = canary.encode()
    if not canary.lstrip("-").isdigit():
        return value in data
    return re.search(rb"(?<![0-9])" + re.escape(value) + rb"(?![0-9])", data) is not None


def _test_of(place: Path) -> str:
    """The test whose temporary folder holds ``place`` (``popen-gw0/test_x_0/…`` or
    ``test_x_0/…``): the folder's name without pytest's number."""
    parts = [p for p in place.parts if not p.startswith("popen-gw")]
    return re.sub(r"\d+$", "", parts[0]) if len(parts) > 1 else ""


def _test_key(name: str) -> str:
    """How pytest names a test's temporary folder (``tmp_path``), without the number."""
    return re.sub(r"[\W]", "_", name)[:30]


def _size(canary: str) -> str:
    return f"a canary of {len(canary)} characters"


_watch = CanaryWatch()


def _recording_disclosures(original: Callable[..., Any]) -> Callable[..., Any]:
    def build(salt: str, name: str | None, value: Any, *, hash_alg: str) -> Any:
        _watch.note_value(value)
        return original(salt, name, value, hash_alg=hash_alg)

    return build


def _recording_errors(original: Callable[..., Any], asynchronous: bool) -> Callable[..., Any]:
    def keep(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400 and _watch.test:
            with contextlib.suppress(httpx.HTTPError):  # a body nobody read: nothing to keep
                path = response.request.url.path
                _watch.error_bodies.append((_watch.test, path, response.read()[:65536]))
        return response

    if asynchronous:

        async def send_async(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> Any:
            response = await original(self, *args, **kwargs)
            if response.status_code >= 400 and not kwargs.get("stream"):
                await response.aread()
                keep(response)
            return response

        return send_async

    def send(self: httpx.Client, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        if not kwargs.get("stream"):
            keep(response)
        return response

    return send


def pytest_sessionstart(session: pytest.Session) -> None:
    del session
    original = issuance.build_disclosure  # type: ignore[attr-defined]
    issuance.build_disclosure = _recording_disclosures(original)  # type: ignore[attr-defined]
    httpx.AsyncClient.send = _recording_errors(httpx.AsyncClient.send, True)  # type: ignore[method-assign]
    httpx.Client.send = _recording_errors(httpx.Client.send, False)  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(_watch)
    if root.getEffectiveLevel() > logging.INFO:  # records below the level are never made
        root.setLevel(logging.INFO)
    logging.getLogger("aanspraak").setLevel(logging.DEBUG)


_from_workers: list[dict[str, Any]] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _watch.test = _test_key(item.name)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: a worker's canaries and the hits in its records."""
    del error
    sent = getattr(node, "workeroutput", {}).get("canary_watch")
    if sent:
        _from_workers.append(json.loads(sent))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    del exitstatus
    logging.getLogger().removeHandler(_watch)
    config = session.config
    if hasattr(config, "workerinput"):  # an xdist worker: the controller scans the files
        hits, figures = _watch.scan(None)
        canaries = {test: sorted(values) for test, values in _watch.canaries.items()}
        config.workeroutput["canary_watch"] = json.dumps(  # type: ignore[attr-defined]
            {"canaries": canaries, "hits": hits, "figures": figures}
        )
        return
    for sent in _from_workers:
        for test, values in sent["canaries"].items():
            _watch.canaries.setdefault(test, set()).update(values)
    factory = getattr(config, "_tmp_path_factory", None)
    root = factory.getbasetemp() if factory is not None else None
    hits, figures = _watch.scan(root)
    for sent in _from_workers:
        hits += sent["hits"]
        for name in ("log records", "error bodies"):
            figures[name] += sent["figures"][name]
    line = "canary scan: " + ", ".join(f"{name} {count}" for name, count in figures.items())
    line += f", hits {len(hits)}"
    if not figures["canaries"]:
        line += " (no credential was issued: nothing to look for)"
    report = os.environ.get("AANSPRAAK_CANARY_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(line + "\n" + "".join(f"  canary leak: {hit}\n" for hit in hits))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)
        for hit in hits[:50]:
            reporter.write_line(f"  canary leak: {hit}")
    if hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
