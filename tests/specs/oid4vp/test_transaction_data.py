"""Transaction data (OpenID4VP 1.0 §5.1, §8.4) and its hashes in the KB-JWT (Appendix B.3.3.1)."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Oid4vpReason, Rejected
from specs.jose import b64url_encode
from specs.oid4vp import (
    check_transaction_data_hashes,
    decode_transaction_data,
    encode_transaction_data,
    transaction_data_hash,
)
from tests.support import assert_rejected, load_json, vectors_dir

IDS = {"id_card_credential", "income"}
# §5.1's example transaction data object (without its "other parameters" comment).
SPEC_EXAMPLE = {"type": "example_type", "credential_ids": ["id_card_credential"]}
R = Oid4vpReason.MALFORMED_TRANSACTION_DATA


def test_spec_example_round_trips() -> None:
    text = encode_transaction_data(SPEC_EXAMPLE)
    assert text == b64url_encode(b'{"type":"example_type","credential_ids":["id_card_credential"]}')
    assert decode_transaction_data(text, credential_ids=IDS) == SPEC_EXAMPLE


def test_type_specific_parameters_are_kept() -> None:
    item = {
        "type": "aanspraak-purpose",
        "credential_ids": ["income"],
        "transaction_data_hashes_alg": ["sha-256"],
        "regulation": "zorgtoeslag",
    }
    assert decode_transaction_data(encode_transaction_data(item), credential_ids=IDS) == item


def test_encoding_needs_type_and_credential_ids() -> None:
    with pytest.raises(ValueError, match="credential_ids"):
        encode_transaction_data({"type": "x"})


def _encoded(obj: Any) -> str:
    from specs.jose import dumps_compact

    return b64url_encode(dumps_compact(obj).encode())


@pytest.mark.parametrize(
    "text",
    [
        None,
        7,
        "",
        "not base64url!",
        _encoded(["type"]),
        _encoded({"credential_ids": ["income"]}),
        _encoded({"type": "", "credential_ids": ["income"]}),
        _encoded({"type": 7, "credential_ids": ["income"]}),
        _encoded({"type": "x"}),
        _encoded({"type": "x", "credential_ids": []}),
        _encoded({"type": "x", "credential_ids": "income"}),
        _encoded({"type": "x", "credential_ids": ["income", "income"]}),
        _encoded({"type": "x", "credential_ids": ["unknown"]}),
        _encoded({"type": "x", "credential_ids": [""]}),
        _encoded({"type": "x", "credential_ids": ["income"], "transaction_data_hashes_alg": []}),
        b64url_encode(b'{"type":"x","type":"y","credential_ids":["income"]}'),
        "A" * 9000,
    ],
)
def test_malformed_transaction_data_is_refused(text: Any) -> None:
    assert_rejected(R, decode_transaction_data, text, credential_ids=IDS)


def test_a_hash_algorithm_list_without_sha256_is_refused() -> None:
    text = _encoded(
        {"type": "x", "credential_ids": ["income"], "transaction_data_hashes_alg": ["sha-384"]}
    )
    reason = Oid4vpReason.TRANSACTION_DATA_HASH_ALG
    assert_rejected(reason, decode_transaction_data, text, credential_ids=IDS)


def test_hash_is_over_the_string_as_sent() -> None:
    """B.3.3.1: "base64url decoding is not performed before hashing"."""
    text = encode_transaction_data(SPEC_EXAMPLE)
    assert transaction_data_hash(text) == b64url_encode(hashlib.sha256(text.encode()).digest())
    assert_rejected(Oid4vpReason.TRANSACTION_DATA_HASH_ALG, transaction_data_hash, text, "sha-1")
    assert_rejected(R, transaction_data_hash, "é")


def test_spec_kb_jwt_example_carries_hashes_of_unknown_strings() -> None:
    """The B.3.6 example KB-JWT names one hash; any other transaction data does not match."""
    kb_payload = load_json(vectors_dir("oid4vp", "examples", "response") / "kb_jwt_unsecured.json")
    assert len(kb_payload["transaction_data_hashes"]) == 1
    reason = Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH
    text = encode_transaction_data(SPEC_EXAMPLE)
    assert_rejected(reason, check_transaction_data_hashes, kb_payload, [text])


class TestHashes:
    A = encode_transaction_data(SPEC_EXAMPLE)
    B = encode_transaction_data({"type": "aanspraak-purpose", "credential_ids": ["income"]})

    def _kb(self, *texts: str, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"nonce": "n", "aud": "x509_san_dns:verifier.example"}
        payload["transaction_data_hashes"] = [transaction_data_hash(t) for t in texts]
        payload.update(extra)
        return payload

    def test_every_item_in_any_order(self) -> None:
        check_transaction_data_hashes(self._kb(self.B, self.A), [self.A, self.B])
        check_transaction_data_hashes(
            self._kb(self.A, transaction_data_hashes_alg="sha-256"), [self.A]
        )

    def test_no_transaction_data_and_no_hashes(self) -> None:
        check_transaction_data_hashes({"nonce": "n"}, [])

    def test_missing_hashes(self) -> None:
        reason = Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING
        assert_rejected(reason, check_transaction_data_hashes, {"nonce": "n"}, [self.A])

    @pytest.mark.parametrize(
        "hashes",
        [
            "one",
            [],
            [7],
            ["AAAA"],
            "missing-B",
            "extra-B",
            "twice-A",
        ],
    )
    def test_hashes_must_match_exactly(self, hashes: Any) -> None:
        expected = [self.A, self.B]
        by_name = {
            "missing-B": self._kb(self.A),
            "extra-B": self._kb(self.A, self.B, self.B),
            "twice-A": self._kb(self.A, self.A),
        }
        payload = by_name.get(hashes) if isinstance(hashes, str) else None
        if payload is None:
            payload = self._kb(transaction_data_hashes=hashes)
        reason = Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH
        assert_rejected(reason, check_transaction_data_hashes, payload, expected)

    def test_hashes_nobody_asked_for_are_refused(self) -> None:
        reason = Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH
        assert_rejected(reason, check_transaction_data_hashes, self._kb(self.A), [])

    @pytest.mark.parametrize("alg", ["sha-384", "SHA-256", ["sha-256"], None])
    def test_only_sha256(self, alg: Any) -> None:
        payload = self._kb(self.A, transaction_data_hashes_alg=alg)
        reason = Oid4vpReason.TRANSACTION_DATA_HASH_ALG
        assert_rejected(reason, check_transaction_data_hashes, payload, [self.A])

    def test_a_single_string_is_a_programming_error(self) -> None:
        with pytest.raises(TypeError):
            check_transaction_data_hashes(self._kb(self.A), self.A)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120) | st.builds(_encoded, st.dictionaries(st.text(max_size=8), st.text())))
def test_decoding_only_rejects(text: str) -> None:
    with contextlib.suppress(Rejected):
        decode_transaction_data(text, credential_ids=IDS)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["transaction_data_hashes", "transaction_data_hashes_alg", "nonce"]),
        st.none() | st.text(max_size=5) | st.lists(st.text(max_size=5) | st.integers()),
    )
)
def test_checking_hashes_only_rejects(payload: dict[str, Any]) -> None:
    with contextlib.suppress(Rejected):
        check_transaction_data_hashes(payload, [TestHashes.A])
