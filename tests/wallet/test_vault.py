"""The wallet's encryption at rest: PIN-wrapped vault keys, sealed records, sessions, exports."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from runtime.sealing import SealBroken, Sealer
from specs.jose import b64url_decode, b64url_encode
from wallet import export_file, session_tokens
from wallet.export_file import ExportRefused, open_export, seal_export
from wallet.session_tokens import MAX_SESSION_TOKEN_CHARS, SessionRefused, SessionTokens
from wallet.vault import (
    PinKdfParams,
    Vault,
    WrongPin,
    derive_pin_key,
    new_salt,
    new_vault_key,
    unwrap_vault_key,
    wrap_vault_key,
)

FAST = PinKdfParams(memory_kib=64, iterations=1, lanes=1)
PEPPER = bytes(range(32))
SALT = b"s" * 16
ACCOUNT = "account-1"
CANARY = "Canary-Toetsingsinkomen-31337"
PASSPHRASE = "correct horse battery staple"
NOW = 1_790_000_000
CONTEXT = b"wallet:session"


def _pin_key(pin: str = "123456", *, pepper: bytes = PEPPER, salt: bytes = SALT) -> bytes:
    return derive_pin_key(pin, salt=salt, pepper=pepper, params=FAST)


# --- the PIN key -------------------------------------------------------------------------


def test_default_kdf_parameters_are_owasps_argon2id_minimum() -> None:
    assert PinKdfParams() == PinKdfParams(memory_kib=19_456, iterations=2, lanes=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"memory_kib": 7},
        {"memory_kib": 31, "lanes": 4},
        {"memory_kib": 2**32},
        {"iterations": 0},
        {"lanes": 0},
        {"lanes": 2**24},
        {"iterations": True},
        {"memory_kib": 64.0},
    ],
)
def test_kdf_parameters_argon2id_cannot_run_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"lanes|iterations|memory_kib|integers"):
        PinKdfParams(**kwargs)


def test_new_keys_and_salts_are_fresh_random_bytes() -> None:
    assert len(new_vault_key()) == 32
    assert len(new_salt()) == 16
    assert new_vault_key() != new_vault_key()
    assert new_salt() != new_salt()


def test_pin_key_is_argon2id_then_hmac_keyed_with_the_pepper() -> None:
    stretched = Argon2id(salt=SALT, length=32, iterations=1, lanes=1, memory_cost=64).derive(
        b"123456"
    )
    expected = hmac.new(PEPPER, b"aanspraak wallet pin key v1" + stretched, hashlib.sha256).digest()
    assert _pin_key() == expected


def test_pin_key_depends_on_pin_salt_pepper_and_cost() -> None:
    keys = {
        _pin_key(),
        _pin_key("123457"),
        _pin_key(salt=b"t" * 16),
        _pin_key(pepper=bytes(32)),
        derive_pin_key("123456", salt=SALT, pepper=PEPPER, params=PinKdfParams(64, 2, 1)),
    }
    assert len(keys) == 5


def test_pin_is_nfkc_normalised_so_fullwidth_digits_give_the_same_key() -> None:
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in "123456")
    assert fullwidth != "123456"
    assert _pin_key(fullwidth) == _pin_key("123456")


def test_a_passphrase_typed_decomposed_opens_what_was_sealed_composed() -> None:
    composed, decomposed = "café crème brûlée", "cafe\u0301 cre\u0300me bru\u0302le\u0301e"
    assert composed != decomposed
    blob = seal_export(PAYLOAD, passphrase=composed, params=FAST)
    assert open_export(blob, passphrase=decomposed) == PAYLOAD


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pin": ""}, "PIN"),
        ({"pepper": bytes(16)}, "pepper"),
        ({"salt": bytes(8)}, "salt"),
        ({"salt": bytes(65)}, "salt"),
    ],
)
def test_pin_key_refuses_unusable_inputs(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"pin": "123456", "salt": SALT, "pepper": PEPPER, "params": FAST}
    arguments.update(kwargs)
    pin = arguments.pop("pin")
    with pytest.raises(ValueError, match=message):
        derive_pin_key(pin, **arguments)


# --- wrapping the vault key --------------------------------------------------------------


def test_the_right_pin_unwraps_the_vault_key() -> None:
    vault_key = new_vault_key()
    wrapped = wrap_vault_key(vault_key, pin_key=_pin_key(), account_id=ACCOUNT)
    assert vault_key not in wrapped
    assert unwrap_vault_key(wrapped, pin_key=_pin_key(), account_id=ACCOUNT) == vault_key


def test_with_the_default_parameters_too() -> None:
    salt, vault_key = new_salt(), new_vault_key()
    pin_key = derive_pin_key("482916", salt=salt, pepper=PEPPER, params=PinKdfParams())
    wrapped = wrap_vault_key(vault_key, pin_key=pin_key, account_id=ACCOUNT)
    again = derive_pin_key("482916", salt=salt, pepper=PEPPER, params=PinKdfParams())
    assert unwrap_vault_key(wrapped, pin_key=again, account_id=ACCOUNT) == vault_key
    wrong = derive_pin_key("482917", salt=salt, pepper=PEPPER, params=PinKdfParams())
    with pytest.raises(WrongPin):
        unwrap_vault_key(wrapped, pin_key=wrong, account_id=ACCOUNT)


def test_a_wrong_pin_is_wrong_pin() -> None:
    wrapped = wrap_vault_key(new_vault_key(), pin_key=_pin_key(), account_id=ACCOUNT)
    with pytest.raises(WrongPin):
        unwrap_vault_key(wrapped, pin_key=_pin_key("654321"), account_id=ACCOUNT)


def test_the_right_pin_without_the_servers_pepper_does_not_open() -> None:
    """A database dump holds salt and wrapped key, not the pepper: no PIN guess can be tested."""
    wrapped = wrap_vault_key(new_vault_key(), pin_key=_pin_key(), account_id=ACCOUNT)
    for pepper in (bytes(32), b"\xff" * 32):
        with pytest.raises(WrongPin):
            unwrap_vault_key(wrapped, pin_key=_pin_key(pepper=pepper), account_id=ACCOUNT)


def test_a_wrapped_key_moved_to_another_account_does_not_open() -> None:
    wrapped = wrap_vault_key(new_vault_key(), pin_key=_pin_key(), account_id=ACCOUNT)
    with pytest.raises(WrongPin):
        unwrap_vault_key(wrapped, pin_key=_pin_key(), account_id="account-2")


@pytest.mark.parametrize("damage", [lambda b: b[:-1], lambda b: b[:5] + bytes([b[5] ^ 1]) + b[6:]])
def test_a_damaged_wrapped_key_does_not_open(damage: Any) -> None:
    wrapped = wrap_vault_key(new_vault_key(), pin_key=_pin_key(), account_id=ACCOUNT)
    with pytest.raises(WrongPin):
        unwrap_vault_key(damage(wrapped), pin_key=_pin_key(), account_id=ACCOUNT)


def test_keys_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="vault key"):
        wrap_vault_key(bytes(16), pin_key=_pin_key(), account_id=ACCOUNT)
    with pytest.raises(ValueError, match="PIN key"):
        unwrap_vault_key(b"x" * 60, pin_key=bytes(31), account_id=ACCOUNT)


# --- records -----------------------------------------------------------------------------


def test_a_record_round_trips_and_its_plaintext_never_shows() -> None:
    vault = Vault(new_vault_key(), ACCOUNT)
    payload = {"income": CANARY, "nested": {"é": [1, 2.5, None, True]}}
    sealed = vault.seal("credential", "rec-1", payload)
    assert CANARY.encode() not in sealed
    assert b"income" not in sealed
    assert vault.open("credential", "rec-1", sealed) == payload


@pytest.mark.parametrize(
    ("account", "kind", "record_id"),
    [
        ("account-2", "credential", "rec-1"),
        (ACCOUNT, "history", "rec-1"),
        (ACCOUNT, "credential", "rec-2"),
    ],
)
def test_a_record_opens_only_as_the_account_kind_and_id_it_was_sealed_for(
    account: str, kind: str, record_id: str
) -> None:
    vault_key = new_vault_key()
    sealed = Vault(vault_key, ACCOUNT).seal("credential", "rec-1", {"x": 1})
    with pytest.raises(SealBroken):
        Vault(vault_key, account).open(kind, record_id, sealed)


def test_contexts_are_unambiguous_whatever_the_ids_contain() -> None:
    vault_key = new_vault_key()
    sealed = Vault(vault_key, "a:b").seal("c", "d", {"x": 1})
    with pytest.raises(SealBroken):
        Vault(vault_key, "a").open("b:c", "d", sealed)


def test_another_vault_key_does_not_open_a_record() -> None:
    sealed = Vault(new_vault_key(), ACCOUNT).seal("credential", "rec-1", {"x": 1})
    with pytest.raises(SealBroken):
        Vault(new_vault_key(), ACCOUNT).open("credential", "rec-1", sealed)


def test_payloads_json_cannot_carry_faithfully_are_refused() -> None:
    vault = Vault(new_vault_key(), ACCOUNT)
    with pytest.raises(ValueError, match="JSON"):
        vault.seal("credential", "rec-1", {"x": float("nan")})
    with pytest.raises(ValueError, match="account id"):
        Vault(new_vault_key(), "")


# --- sessions ----------------------------------------------------------------------------


SESSION_KEY = b"k" * 32


@pytest.fixture
def tokens() -> SessionTokens:
    return SessionTokens(SESSION_KEY)


def _issue(tokens: SessionTokens, vault_key: bytes, expires_at: int = NOW + 600) -> str:
    return tokens.issue(
        account_id=ACCOUNT, vault_key=vault_key, device_thumbprint="thumb", expires_at=expires_at
    )


def test_a_session_token_round_trips_and_hides_the_vault_key(tokens: SessionTokens) -> None:
    vault_key = new_vault_key()
    token = _issue(tokens, vault_key)
    assert b64url_decode(token)  # URL-safe text, canonical base64url
    assert b64url_encode(vault_key) not in token
    assert vault_key not in b64url_decode(token)
    session = tokens.open(token, now=NOW)
    assert (session.account_id, session.vault_key) == (ACCOUNT, vault_key)
    assert (session.device_thumbprint, session.expires_at) == ("thumb", NOW + 600)
    assert vault_key.hex() not in repr(session)
    assert str(list(vault_key)) not in repr(session)
    assert "vault_key" not in repr(session)


def test_a_session_expires_at_its_expiry(tokens: SessionTokens) -> None:
    token = _issue(tokens, new_vault_key(), expires_at=NOW + 1)
    assert tokens.open(token, now=NOW).expires_at == NOW + 1
    with pytest.raises(SessionRefused) as refused:
        tokens.open(token, now=NOW + 1)
    assert refused.value.reason == "expired"


def _refusal(tokens: SessionTokens, token: Any) -> str:
    with pytest.raises(SessionRefused) as refused:
        tokens.open(token, now=NOW)
    return refused.value.reason


def test_a_tampered_or_foreign_session_token_is_malformed(tokens: SessionTokens) -> None:
    token = _issue(tokens, new_vault_key())
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert _refusal(tokens, flipped) == "malformed"
    assert _refusal(SessionTokens(new_vault_key()), token) == "malformed"


@pytest.mark.parametrize(
    "token", ["", "not base64!", "AAAA", "A" * (MAX_SESSION_TOKEN_CHARS + 1), None, b"AAAA"]
)
def test_malformed_session_tokens_are_refused(tokens: SessionTokens, token: Any) -> None:
    assert _refusal(tokens, token) == "malformed"


def test_a_long_token_is_refused_before_anything_is_decoded(
    tokens: SessionTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: Any, **_kwargs: Any) -> bytes:
        raise AssertionError("decoded an oversized token")

    monkeypatch.setattr(session_tokens, "b64url_decode", never)
    assert _refusal(tokens, "A" * (MAX_SESSION_TOKEN_CHARS + 1)) == "malformed"


def test_a_sealed_body_of_another_shape_is_malformed(tokens: SessionTokens) -> None:
    good = {
        "account_id": ACCOUNT,
        "vault_key": b64url_encode(bytes(32)),
        "device_thumbprint": "thumb",
        "expires_at": NOW + 600,
    }
    bodies = [
        b"not json",
        b"[1]",
        json.dumps({"account_id": ACCOUNT}).encode(),
        *(
            json.dumps({**good, name: value}).encode()
            for name, value in [
                ("account_id", 1),
                ("account_id", ""),
                ("device_thumbprint", None),
                ("vault_key", b64url_encode(bytes(16))),
                ("vault_key", "not base64!"),
                ("expires_at", str(NOW + 600)),
                ("expires_at", True),
            ]
        ),
    ]
    sealer = Sealer(SESSION_KEY)
    assert tokens.open(
        b64url_encode(sealer.seal(json.dumps(good).encode(), context=CONTEXT)), now=NOW
    )
    for body in bodies:
        sealed = sealer.seal(body, context=CONTEXT)
        assert _refusal(tokens, b64url_encode(sealed)) == "malformed"


def test_sessions_refuse_unusable_arguments(tokens: SessionTokens) -> None:
    with pytest.raises(ValueError, match="session key"):
        SessionTokens(bytes(16))
    with pytest.raises(ValueError, match="vault key"):
        _issue(tokens, bytes(31))
    with pytest.raises(ValueError, match="too long"):
        tokens.issue(
            account_id="a" * 2000, vault_key=new_vault_key(), device_thumbprint="t", expires_at=1
        )


# --- exports -----------------------------------------------------------------------------

PAYLOAD = {"records": [{"kind": "credential", "income": CANARY}], "version": 3}


def _export(**kwargs: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads(seal_export(PAYLOAD, passphrase=PASSPHRASE, params=FAST))
    envelope.update(kwargs)
    return envelope


def _export_refusal(blob: bytes, **kwargs: Any) -> str:
    with pytest.raises(ExportRefused) as refused:
        open_export(blob, passphrase=kwargs.pop("passphrase", PASSPHRASE), **kwargs)
    return refused.value.reason


def test_an_export_round_trips_and_describes_itself() -> None:
    blob = seal_export(PAYLOAD, passphrase=PASSPHRASE, params=FAST)
    assert CANARY.encode() not in blob
    envelope = json.loads(blob)
    assert set(envelope) == {"format", "version", "kdf", "nonce", "ciphertext"}
    assert (envelope["format"], envelope["version"]) == ("aanspraak-wallet-export", 1)
    assert envelope["kdf"]["alg"] == "argon2id"
    assert (envelope["kdf"]["memory_kib"], envelope["kdf"]["iterations"]) == (64, 1)
    assert len(b64url_decode(envelope["kdf"]["salt"])) == 16
    assert len(b64url_decode(envelope["nonce"])) == 12
    assert open_export(blob, passphrase=PASSPHRASE) == PAYLOAD


def test_an_export_with_the_default_parameters() -> None:
    blob = seal_export(PAYLOAD, passphrase=PASSPHRASE, params=PinKdfParams())
    assert open_export(blob, passphrase=PASSPHRASE) == PAYLOAD


def test_a_wrong_passphrase_does_not_open_an_export() -> None:
    blob = seal_export(PAYLOAD, passphrase=PASSPHRASE, params=FAST)
    assert _export_refusal(blob, passphrase="correct horse battery stapler") == "wrong-passphrase"
    assert _export_refusal(blob, passphrase="") == "wrong-passphrase"


def test_the_cleartext_header_is_authenticated() -> None:
    """Changing the cost or the salt changes the key, and the header is the associated data."""
    raised = _export()
    raised["kdf"] = {**raised["kdf"], "iterations": 2}
    assert _export_refusal(json.dumps(raised).encode()) == "wrong-passphrase"
    envelope = _export()
    ciphertext = bytearray(b64url_decode(envelope["ciphertext"]))
    ciphertext[0] ^= 1
    envelope["ciphertext"] = b64url_encode(bytes(ciphertext))
    assert _export_refusal(json.dumps(envelope).encode()) == "wrong-passphrase"


def test_an_oversized_export_is_refused_before_parsing() -> None:
    blob = seal_export(PAYLOAD, passphrase=PASSPHRASE, params=FAST)
    assert _export_refusal(blob, max_bytes=len(blob) - 1) == "too-large"
    assert _export_refusal(b"{" * (16 * 1024 * 1024 + 1)) == "too-large"


@pytest.mark.parametrize(
    "kdf",
    [
        {"memory_kib": 262_145},
        {"memory_kib": 2**40},
        {"iterations": 17},
        {"lanes": 17, "memory_kib": 1024},
    ],
)
def test_a_costly_kdf_is_refused_before_anything_is_derived(
    kdf: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: Any, **_kwargs: Any) -> bytes:
        raise AssertionError("derived a key for an over-costly file")

    envelope = _export()
    envelope["kdf"] = {**envelope["kdf"], **kdf}
    monkeypatch.setattr(export_file, "stretch", never)
    started = time.perf_counter()
    assert _export_refusal(json.dumps(envelope).encode()) == "kdf-too-costly"
    assert time.perf_counter() - started < 1


def test_the_memory_cap_is_the_callers() -> None:
    blob = seal_export(PAYLOAD, passphrase=PASSPHRASE, params=FAST)
    assert _export_refusal(blob, max_memory_kib=63) == "kdf-too-costly"
    assert open_export(blob, passphrase=PASSPHRASE, max_memory_kib=64) == PAYLOAD


def _kdf(**changes: Any) -> dict[str, Any]:
    envelope = _export()
    envelope["kdf"] = {**envelope["kdf"], **changes}
    return envelope


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format":"aanspraak-wallet-export","format":"x"}',
        json.dumps({k: v for k, v in _export().items() if k != "nonce"}).encode(),
        json.dumps(_export(extra=1)).encode(),
        json.dumps(_export(format="other-export")).encode(),
        json.dumps(_export(version=2)).encode(),
        json.dumps(_export(version=True)).encode(),
        json.dumps(_export(kdf="argon2id")).encode(),
        json.dumps(_kdf(alg="argon2i")).encode(),
        json.dumps(_kdf(pepper="x")).encode(),
        json.dumps(_kdf(memory_kib="64")).encode(),
        json.dumps(_kdf(iterations=0)).encode(),
        json.dumps(_kdf(lanes=2, memory_kib=8)).encode(),
        json.dumps(_kdf(salt=b64url_encode(bytes(8)))).encode(),
        json.dumps(_kdf(salt="not base64!")).encode(),
        json.dumps(_kdf(salt=16)).encode(),
        json.dumps(_export(nonce=b64url_encode(bytes(11)))).encode(),
        json.dumps(_export(nonce=None)).encode(),
        json.dumps(_export(ciphertext=b64url_encode(bytes(15)))).encode(),
        b"\xff\xfe",
    ],
    ids=lambda blob: f"{len(blob)}-bytes",  # the envelopes carry random salts and nonces:
    # ids from their content would differ between xdist workers
)
def test_malformed_exports_are_refused(blob: bytes) -> None:
    assert _export_refusal(blob) == "malformed"


def test_an_export_needs_a_passphrase_of_twelve_characters() -> None:
    with pytest.raises(ValueError, match="12 characters"):
        seal_export(PAYLOAD, passphrase="eleven char", params=FAST)
    assert open_export(
        seal_export(PAYLOAD, passphrase="twelve chars", params=FAST), passphrase="twelve chars"
    )


def test_a_payload_an_export_could_not_carry_is_refused_when_sealing() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ValueError, match="cannot be exported"):
        seal_export(deep, passphrase=PASSPHRASE, params=FAST)
