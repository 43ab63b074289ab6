"""``aanspraak serve``: the three roles in one process, started, probed and stopped for real.

The command runs as a subprocess on free loopback ports with the environment of
``tests/cli/all_roles.py``; what it must show is what an operator's probes and a process
manager see: every role's health, metrics and API description answering, its own pages,
and a SIGTERM that ends all three with exit status 0. A refusal must happen before any port
answers, name the role and the variable, and never repeat the value.

That a role which stops on its own takes the others down is shown in this process, on
``serve_all_loop`` with three small apps, one of which cannot start: no configuration makes
a real role fail after its checks and its preparation passed.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from aanspraak.serve_all_loop import Listening, bind, serve_together
from tests.cli.all_roles import ROLES, AllRoles, configure_all_roles
from tests.cli.conftest import Run
from tests.issuer.server import free_port, write_certificate

START_SECONDS = 30
CANARY = "hunter2-do-not-echo"


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AllRoles:
    return configure_all_roles(tmp_path, monkeypatch)


def _wait_until_live(
    server: subprocess.Popen[str], bases: list[str], verify: ssl.SSLContext | bool = True
) -> None:
    """Every base answers ``/livez``, or the test fails (the process ended or took too long)."""
    deadline = time.monotonic() + START_SECONDS
    waiting = list(bases)
    with httpx.Client(trust_env=False, timeout=2.0, verify=verify) as client:
        while waiting and time.monotonic() < deadline and server.poll() is None:
            try:
                answer = client.get(f"{waiting[0]}/livez")
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
            waiting.pop(0)
    assert not waiting, f"not answering: {waiting}"


@contextlib.contextmanager
def serving(*options: str) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, "-m", "aanspraak", "serve", *options]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield server
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate(timeout=15)


def _stop(server: subprocess.Popen[str]) -> tuple[int, str, str]:
    server.send_signal(signal.SIGTERM)
    stdout, stderr = server.communicate(timeout=30)
    return server.returncode, stdout, stderr


def _answering(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_three_roles_answer_their_probes_and_stop_together_on_sigterm(
    roles: AllRoles, monkeypatch: pytest.MonkeyPatch
) -> None:
    for role in ROLES:  # the options must win: nothing could listen on port 9 here
        monkeypatch.setenv(f"AANSPRAAK_{role.upper()}_PORT", "9")
    ports = [f"--{role}-port={roles.ports[role]}" for role in ROLES]
    with serving(*ports, "--host", "127.0.0.1") as server:
        _wait_until_live(server, [roles.base(role) for role in ROLES])
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            for role in ROLES:
                base = roles.base(role)
                ready = client.get(f"{base}/readyz")
                assert ready.status_code == 200, (role, ready.text)
                assert set(ready.json()["checks"].values()) == {"ok"}
                metrics = client.get(f"{base}/metrics")
                assert metrics.headers["content-type"].startswith("text/plain")
                assert "# TYPE http_requests_total counter" in metrics.text
                assert client.get(f"{base}/docs").status_code == 200
                description = client.get(f"{base}/openapi.json").json()
                assert description["info"]["title"] == f"aanspraak {role}"
            wallet = client.get(f"{roles.base('wallet')}/openapi.json").json()
            assert any(path.startswith("/v1/") for path in wallet["paths"])
            issuer = client.get(f"{roles.base('issuer')}/.well-known/openid-credential-issuer")
            assert issuer.json()["credential_issuer"] == roles.base("issuer")
            page = client.get(f"{roles.base('verifier')}/desk/page")
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
        code, stdout, stderr = _stop(server)
    assert code == 0, stderr
    for role in ROLES:
        assert f"{role} {roles.base(role)} listening on {roles.base(role)}" in stdout
        assert not _answering(roles.ports[role])
    assert "desk page at /desk/page" in stdout
    assert stdout.endswith("stopped\n")
    assert "Traceback" not in stderr


SETTINGS_PROBLEMS = [
    ("wallet", "AANSPRAAK_WALLET_DATABASE_URL", f"postgresql+nope://admin:{CANARY}@db/wallet"),
    ("verifier", "AANSPRAAK_VERIFIER_KB_MAX_AGE_SECONDS", "9" + "4711" * 4),
    ("issuer", "AANSPRAAK_ISSUER_PUBLIC_URL", f"https://admin:{CANARY}@issuer.example/path"),
    ("trust", "AANSPRAAK_TRUST_BACKEND", CANARY),
]


@pytest.mark.parametrize("problem", SETTINGS_PROBLEMS, ids=lambda problem: problem[1])
def test_a_role_with_broken_settings_stops_the_start_naming_it_not_the_value(
    roles: AllRoles, monkeypatch: pytest.MonkeyPatch, run: Run, problem: tuple[str, str, str]
) -> None:
    role, variable, value = problem
    monkeypatch.setenv(variable, value)
    result = run("serve")
    assert (result.code, result.stdout) == (2, "")
    assert f"error: {role}: {variable}: " in result.stderr
    assert result.stderr.endswith("error: nothing was started (see `aanspraak config check`)\n")
    assert value not in result.stderr
    assert CANARY not in result.stderr
    assert not any(_answering(port) for port in roles.ports.values())


def test_a_role_that_cannot_be_prepared_is_named(
    roles: AllRoles, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    monkeypatch.setenv("AANSPRAAK_VERIFIER_PROFILE", "production")
    monkeypatch.setenv("AANSPRAAK_VERIFIER_PUBLIC_URL", "https://desk.example")
    result = run("serve")
    assert (result.code, result.stdout) == (2, "")
    assert "signing-key.jwk: no signing key" in result.stderr
    assert result.stderr.endswith("error: the verifier cannot start; nothing was started\n")


def test_an_address_in_use_is_refused_before_anything_serves(roles: AllRoles, run: Run) -> None:
    with socket.create_server(("127.0.0.1", roles.ports["wallet"])):
        result = run("serve")
    assert (result.code, result.stdout) == (2, "")
    assert f"error: cannot listen on tcp://127.0.0.1:{roles.ports['wallet']} (" in result.stderr
    assert result.stderr.endswith("error: the wallet cannot start; nothing was started\n")
    assert not _answering(roles.ports["issuer"])


def test_with_a_certificate_every_role_serves_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roles = configure_all_roles(tmp_path, monkeypatch, scheme="https")
    certificate, key = write_certificate(tmp_path)
    trusted = ssl.create_default_context(cafile=str(certificate))
    with serving("--tls-cert", str(certificate), "--tls-key", str(key)) as server:
        _wait_until_live(server, [roles.base(role, "https") for role in ROLES], verify=trusted)
        with (
            httpx.Client(trust_env=False, timeout=2.0) as plain,
            pytest.raises(httpx.TransportError),
        ):
            plain.get(f"{roles.base('issuer')}/livez")  # no plain HTTP beside it
        code, stdout, stderr = _stop(server)
    assert code == 0, stderr
    for role in ROLES:
        assert f"listening on {roles.base(role, 'https')}" in stdout


def test_tls_options_that_cannot_be_used_are_refused(
    roles: AllRoles, tmp_path: Path, run: Run
) -> None:
    certificate, _ = write_certificate(tmp_path)
    alone = run("serve", "--tls-cert", str(certificate))
    assert (alone.code, alone.stderr) == (2, "error: --tls-cert and --tls-key go together\n")
    (tmp_path / "not-a-key.pem").write_text(CANARY)
    wrong = run(
        "serve", "--tls-cert", str(certificate), "--tls-key", str(tmp_path / "not-a-key.pem")
    )
    assert wrong.code == 2
    assert (
        "error: --tls-cert and --tls-key are not a usable PEM certificate and key" in wrong.stderr
    )
    assert "error: the issuer cannot start; nothing was started" in wrong.stderr
    assert CANARY not in wrong.stderr
    assert not any(_answering(port) for port in roles.ports.values())


def _app(name: str, events: list[str], *, broken: bool = False) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        if broken:
            raise RuntimeError(CANARY)
        events.append(f"{name} started")
        yield
        events.append(f"{name} stopped")

    async def hello(request: object) -> PlainTextResponse:
        del request
        return PlainTextResponse(name)

    return Starlette(routes=[Route("/", hello)], lifespan=lifespan)


def test_a_role_that_fails_to_start_stops_the_others() -> None:
    events: list[str] = []
    apps = {"first": _app("first", events), "broken": _app("broken", events, broken=True)}
    apps["last"] = _app("last", events)
    listening = [
        Listening.of(name, uvicorn.Config(app, lifespan="on"), bind("127.0.0.1", free_port()))
        for name, app in apps.items()
    ]
    assert serve_together(listening) == "broken"
    assert sorted(events) == ["first started", "first stopped", "last started", "last stopped"]
    assert all(one.bound.fileno() == -1 for one in listening)  # closed
