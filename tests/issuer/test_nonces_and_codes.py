"""c_nonces and codes: unpredictable, self-expiring, single use (THREATS I-15, I-17)."""

from __future__ import annotations

import base64
from collections import Counter

from issuer.codes import new_bearer, new_tx_code, same_digest, tx_code_digest
from issuer.nonces import _expiry_of, new_nonce, spend_nonce
from tests.issuer.conftest import Issuer

KEY = b"k" * 32


def test_nonces_do_not_repeat_and_carry_their_expiry() -> None:
    nonces = {new_nonce(key=KEY, now=1_000, ttl=300) for _ in range(10_000)}
    assert len(nonces) == 10_000
    assert {_expiry_of(n, key=KEY) for n in list(nonces)[:100]} == {1_300}


def test_a_nonce_under_another_key_or_altered_is_not_ours() -> None:
    nonce = new_nonce(key=KEY, now=1_000, ttl=300)
    assert _expiry_of(nonce, key=b"x" * 32) is None
    raw = bytearray(base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4)))
    raw[0] ^= 1  # push the expiry forward: the MAC no longer matches
    altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert _expiry_of(altered, key=KEY) is None
    assert _expiry_of("%%%", key=KEY) is None
    assert _expiry_of("A" * 500, key=KEY) is None


async def test_handing_out_nonces_writes_nothing_and_spending_writes_once(
    issuer: Issuer,
) -> None:
    from sqlalchemy import func, select

    from issuer.tables import nonces

    for _ in range(50):
        assert (await issuer.client.post("/nonce")).status_code == 200
    async with issuer.context.read() as connection:
        assert (await connection.execute(select(func.count()).select_from(nonces))).scalar() == 0
    nonce = new_nonce(key=issuer.context.nonce_key, now=issuer.clock(), ttl=60)
    async with issuer.context.write() as connection:
        assert await spend_nonce(
            connection, nonce, key=issuer.context.nonce_key, now=issuer.clock()
        )
        again = await spend_nonce(
            connection, nonce, key=issuer.context.nonce_key, now=issuer.clock()
        )
        assert again is False


def test_tx_codes_are_uniform_digits() -> None:
    digits = Counter("".join(new_tx_code(6) for _ in range(5_000)))
    assert set(digits) == set("0123456789")
    expected = 30_000 / 10
    # A loose chi-square bound (9 degrees of freedom; 60 is far beyond p = 0.001's 27.9).
    assert sum((count - expected) ** 2 / expected for count in digits.values()) < 60


def test_tx_code_digests_are_bound_to_their_offer() -> None:
    one = tx_code_digest("123456", key=KEY, offer_id="offer-a")
    assert same_digest(one, tx_code_digest("123456", key=KEY, offer_id="offer-a"))
    assert not same_digest(one, tx_code_digest("123456", key=KEY, offer_id="offer-b"))
    assert not same_digest(one, tx_code_digest("123457", key=KEY, offer_id="offer-a"))
    assert len({new_bearer() for _ in range(1_000)}) == 1_000
