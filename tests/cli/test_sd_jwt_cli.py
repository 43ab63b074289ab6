"""``aanspraak sd-jwt``: the command-line contract (exit 0 / 1 ``rejected: <reason>`` / 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import KeyFiles, Run
from tests.support import load_json, vectors_dir

NOW = "1790000000"
NONCE, AUD = "abc-123", "https://desk.example"
CLAIMS = {
    "iss": "https://tax.example",
    "given_name": "Jan",
    "address": {"street_address": "Oudegracht 1", "locality": "Utrecht"},
    "nationalities": ["NL", "DE"],
    "a.b": "dotted name",
}


@pytest.fixture
def claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(CLAIMS))
    return path


def _issue(run: Run, keys: KeyFiles, claims_file: Path, *extra: str) -> str:
    result = run(
        "sd-jwt",
        "issue",
        "--issuer-key",
        str(keys.issuer_private),
        "--claims",
        str(claims_file),
        "--holder-key",
        str(keys.holder_public),
        "--now",
        NOW,
        *extra,
    )
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def _present(run: Run, keys: KeyFiles, token: str, *paths: str) -> str:
    disclose = [arg for path in paths for arg in ("--disclose", path)]
    result = run(
        "sd-jwt",
        "present",
        "--holder-key",
        str(keys.holder_private),
        *disclose,
        "--nonce",
        NONCE,
        "--audience",
        AUD,
        "--now",
        NOW,
        stdin=token,
    )
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def _verify(run: Run, keys: KeyFiles, token: str, *extra: str) -> tuple[int, str, str]:
    result = run(
        "sd-jwt",
        "verify",
        "--issuer-key",
        str(keys.issuer_public),
        "--now",
        NOW,
        *extra,
        stdin=token,
    )
    return result.code, result.stdout, result.stderr


def test_issue_present_verify_round_trip_as_vc(run: Run, keys: KeyFiles, claims_file: Path) -> None:
    token = _issue(run, keys, claims_file, "--vct", "urn:example:person:1")
    presentation = _present(run, keys, token, "address.locality", "nationalities.1", '["a.b"]')
    code, out, err = _verify(run, keys, presentation, "--vc", "--nonce", NONCE, "--audience", AUD)
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["address"] == {"locality": "Utrecht"}
    assert payload["nationalities"] == ["DE"]
    assert payload["a.b"] == "dotted name"
    assert "given_name" not in payload
    assert payload["iss"] == "https://tax.example"
    assert payload["iat"] == int(NOW)
    assert payload["vct"] == "urn:example:person:1"
    assert payload["cnf"]["jwk"] == keys.holder.public.to_jwk()


def test_generic_sd_jwt_uses_the_typ_given(run: Run, keys: KeyFiles, claims_file: Path) -> None:
    token = _issue(run, keys, claims_file, "--typ", "example+sd-jwt")
    presentation = _present(run, keys, token, "given_name")
    base = ("--nonce", NONCE, "--audience", AUD)
    assert _verify(run, keys, presentation, *base, "--typ", "example+sd-jwt")[0] == 0
    code, _, err = _verify(run, keys, presentation, *base)
    assert (code, err) == (1, "rejected: typ-mismatch\n")
    code, _, err = _verify(run, keys, presentation, *base, "--vc")
    assert (code, err) == (1, "rejected: typ-mismatch\n")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t.replace("~", "~~", 1), "malformed-serialization"),
        (lambda t: t[: t.rindex("~") + 1], "key-binding-missing"),
        (lambda t: t.split("~")[0], "malformed-serialization"),
        (lambda t: t[:-3] + ("AAA" if t[-3:] != "AAA" else "BBB"), "bad-signature"),
    ],
)
def test_rejections_print_one_reason_line(
    run: Run,
    keys: KeyFiles,
    claims_file: Path,
    mutate,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    token = _issue(run, keys, claims_file, "--vct", "urn:example:person:1")
    presentation = _present(run, keys, token, "given_name")
    code, out, err = _verify(
        run, keys, mutate(presentation), "--vc", "--nonce", NONCE, "--audience", AUD
    )
    assert (code, out, err) == (1, "", f"rejected: {reason}\n")


def test_no_key_binding_mode(run: Run, keys: KeyFiles, claims_file: Path) -> None:
    token = _issue(run, keys, claims_file, "--vct", "urn:example:person:1")
    code, out, _ = _verify(run, keys, token, "--vc", "--no-key-binding")
    assert code == 0
    assert json.loads(out)["given_name"] == "Jan"
    presentation = _present(run, keys, token, "given_name")
    code, _, err = _verify(run, keys, presentation, "--vc", "--no-key-binding")
    assert (code, err) == (1, "rejected: key-binding-unexpected\n")


def test_wrong_nonce_or_audience(run: Run, keys: KeyFiles, claims_file: Path) -> None:
    presentation = _present(
        run, keys, _issue(run, keys, claims_file, "--vct", "urn:x"), "given_name"
    )
    code, _, err = _verify(run, keys, presentation, "--vc", "--nonce", "other", "--audience", AUD)
    assert (code, err) == (1, "rejected: kb-nonce-mismatch\n")
    code, _, err = _verify(run, keys, presentation, "--vc", "--nonce", NONCE, "--audience", "x")
    assert (code, err) == (1, "rejected: kb-audience-mismatch\n")


def test_oversized_input_is_refused(run: Run, keys: KeyFiles) -> None:
    code, _, err = _verify(run, keys, "A" * 300_000, "--no-key-binding")
    assert (code, err) == (1, "rejected: token-too-large\n")


@pytest.mark.parametrize(
    "args",
    [
        ("--nonce", NONCE),  # audience missing
        (),  # neither key binding expectations nor --no-key-binding
        ("--no-key-binding", "--nonce", NONCE, "--audience", AUD),
    ],
)
def test_usage_errors_exit_2(run: Run, keys: KeyFiles, args: tuple[str, ...]) -> None:
    code, _, err = _verify(run, keys, "x~", *args)
    assert code == 2
    assert err.startswith("error: ")


def test_unusable_key_files_exit_2(run: Run, keys: KeyFiles, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}')
    result = run(
        "sd-jwt",
        "verify",
        "--issuer-key",
        str(tmp_path / "bad.json"),
        "--no-key-binding",
        stdin="x~",
    )
    assert (result.code, result.stderr) == (
        2,
        "error: the issuer key file is not a usable public JWK (bad-jwk)\n",
    )
    result = run(
        "sd-jwt", "verify", "--issuer-key", str(keys.issuer_private), "--no-key-binding", stdin="x~"
    )
    assert result.code == 2
    assert "private-key-material" in result.stderr
    result = run(
        "sd-jwt",
        "verify",
        "--issuer-key",
        str(tmp_path / "missing.json"),
        "--no-key-binding",
        stdin="x~",
    )
    assert (result.code, result.stderr) == (2, "error: cannot read the issuer key file\n")


def test_present_refuses_a_path_the_credential_lacks(
    run: Run, keys: KeyFiles, claims_file: Path
) -> None:
    token = _issue(run, keys, claims_file)
    result = run(
        "sd-jwt",
        "present",
        "--holder-key",
        str(keys.holder_private),
        "--disclose",
        "address.country",
        "--nonce",
        NONCE,
        "--audience",
        AUD,
        stdin=token,
    )
    assert (result.code, result.stderr) == (1, "rejected: claim-path-not-found\n")


def test_decode_labels_its_output_unverified(run: Run, keys: KeyFiles, claims_file: Path) -> None:
    token = _issue(run, keys, claims_file, "--vct", "urn:x")
    result = run("sd-jwt", "decode", stdin=_present(run, keys, token, "given_name"))
    assert result.code == 0
    shown = json.loads(result.stdout)
    assert shown["warning"].startswith("UNVERIFIED")
    assert shown["header"]["typ"] == "dc+sd-jwt"
    assert [d["claim_name"] for d in shown["disclosures"]] == ["given_name"]
    assert shown["processed_payload"]["given_name"] == "Jan"
    assert shown["key_binding_jwt"]["payload"]["nonce"] == NONCE
    assert run("sd-jwt", "decode", stdin="nonsense").stderr == "rejected: malformed-serialization\n"


def test_the_spec_example_verifies_from_the_command_line(run: Run, tmp_path: Path) -> None:
    folder = vectors_dir("sd_jwt", "simple")
    params = load_json(folder / "vector.json")["key_binding_params"]
    result = run(
        "sd-jwt",
        "verify",
        "--issuer-key",
        str(folder / "issuer_key.json"),
        "--typ",
        "example+sd-jwt",
        "--nonce",
        params["nonce"],
        "--audience",
        params["aud"],
        "--now",
        str(params["iat"]),
        stdin=(folder / "sd_jwt_presentation.txt").read_text(),
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == load_json(folder / "verified_payload.json")
