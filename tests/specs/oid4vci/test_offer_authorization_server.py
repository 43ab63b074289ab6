"""The pre-authorized grant's ``authorization_server`` hint (OpenID4VCI 1.0 §4.1.1) is read,
so the wallet can refuse an offer naming a server its issuer does not list (THREATS I-12)."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import Oid4vciReason
from specs.oid4vci import PRE_AUTHORIZED_GRANT, parse_credential_offer
from tests.support import assert_rejected

ISSUER = "https://issuer.example"


def _offer(**grant: Any) -> dict[str, Any]:
    return {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": ["household_income"],
        "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "code", **grant}},
    }


def test_the_hint_is_kept_and_absent_by_default() -> None:
    assert parse_credential_offer(_offer()).authorization_server is None
    hinted = parse_credential_offer(_offer(authorization_server="https://as.example"))
    assert hinted.authorization_server == "https://as.example"


@pytest.mark.parametrize("value", [7, "", "http://as.example", "not a url", ["https://a"]])
def test_a_hint_that_is_not_an_https_url_makes_the_offer_malformed(value: object) -> None:
    assert_rejected(
        Oid4vciReason.MALFORMED_OFFER, parse_credential_offer, _offer(authorization_server=value)
    )
