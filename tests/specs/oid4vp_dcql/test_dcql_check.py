"""The verifier's own check of an answer (OpenID4VP 1.0 §6.4, §14.11): every rule, with the
presentations built from real SD-JWT VCs, and the claims path pointer examples of §7.3."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from specs.errors import DcqlReason
from specs.oid4vp.dcql import ClaimsQuery, parse_dcql_query
from specs.oid4vp.dcql_match import check_presentation, locate_claims
from specs.sd_jwt import select_values
from tests.specs.oid4vp_dcql import issue, present
from tests.support import assert_rejected, load_json, vectors_dir

PID = "urn:test:pid"
PERSON: dict[str, Any] = {
    "given_name": "Jan",
    "family_name": "Jansen",
    "age_over_18": True,
    "address": {"street_address": "Oudegracht 1", "locality": "Utrecht", "postal_code": "3511"},
    "nationalities": ["NL", "DE"],
}
VIEW = issue(PID, PERSON)

QUERY = parse_dcql_query(
    {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [PID, "urn:test:other-pid"]},
                "claims": [
                    {"path": ["given_name"]},
                    {"path": ["address", "locality"], "values": ["Utrecht", "Amersfoort"]},
                ],
            }
        ]
    }
)
ASKED = [("given_name",), ("address", "locality")]


def test_an_exact_answer_passes() -> None:
    answer = {"pid": [present(VIEW, ASKED, "pid")]}
    assert check_presentation(QUERY, answer) == frozenset({"pid"})


def test_parents_and_parts_of_requested_claims_are_not_over_disclosure() -> None:
    """The ``address`` Disclosure is needed to reach ``locality``; asking ``address`` whole
    brings its members."""
    presented = present(VIEW, ASKED, "pid")
    assert ("address",) in presented.disclosed_paths
    query = _query_with_claims([{"path": ["address"]}])
    assert check_presentation(query, {"pid": [present(VIEW, [("address",)], "pid")]})


def test_claims_that_are_not_selectively_disclosable_are_not_over_disclosure() -> None:
    view = issue(PID, PERSON, plain={"family_name", "nationalities"})
    presented = present(view, ASKED, "pid")
    assert presented.claims["family_name"] == "Jansen"
    assert check_presentation(QUERY, {"pid": [presented]}) == frozenset({"pid"})


def test_unknown_query_id() -> None:
    assert_rejected(
        DcqlReason.UNKNOWN_CREDENTIAL_ID,
        check_presentation,
        QUERY,
        {"pid": [present(VIEW, ASKED, "pid")], "mdl": [present(VIEW, ASKED, "mdl")]},
    )


def test_a_presentation_filed_under_another_id() -> None:
    assert_rejected(
        DcqlReason.UNKNOWN_CREDENTIAL_ID,
        check_presentation,
        QUERY,
        {"pid": [present(VIEW, ASKED, "other")]},
    )


def test_one_presentation_unless_multiple() -> None:
    """§8.1: when ``multiple`` is omitted or false the array MUST contain one Presentation."""
    two = [present(VIEW, ASKED, "pid"), present(VIEW, ASKED, "pid")]
    assert_rejected(DcqlReason.MULTIPLE_NOT_ALLOWED, check_presentation, QUERY, {"pid": two})
    multiple = dataclasses.replace(QUERY.credentials[0], multiple=True)
    query = dataclasses.replace(QUERY, credentials=(multiple,))
    assert check_presentation(query, {"pid": two}) == frozenset({"pid"})


def test_format_must_be_the_one_asked() -> None:
    presented = dataclasses.replace(present(VIEW, ASKED, "pid"), format="vc+sd-jwt")
    assert_rejected(DcqlReason.FORMAT_MISMATCH, check_presentation, QUERY, {"pid": [presented]})


def test_only_sd_jwt_vc_queries_can_be_answered() -> None:
    mdoc = load_json(vectors_dir("oid4vp", "examples", "query_lang") / "simple_mdoc.json")
    answer = {"my_credential": [present(VIEW, ASKED, "my_credential")]}
    assert_rejected(DcqlReason.FORMAT_MISMATCH, check_presentation, parse_dcql_query(mdoc), answer)


def test_vct_must_be_one_asked() -> None:
    other = issue("urn:test:diploma", PERSON)
    answer = {"pid": [present(other, ASKED, "pid")]}
    assert_rejected(DcqlReason.VCT_NOT_REQUESTED, check_presentation, QUERY, answer)


def test_every_requested_claim_must_be_there() -> None:
    answer = {"pid": [present(VIEW, [("address", "locality")], "pid")]}
    assert_rejected(DcqlReason.CLAIM_MISSING, check_presentation, QUERY, answer)


def test_values_are_matched_by_type_and_value() -> None:
    """§6.3: the type and value of the claim both match exactly."""
    view = issue(PID, {**PERSON, "address": {"locality": "Zeist"}})
    answer = {"pid": [present(view, ASKED, "pid")]}
    assert_rejected(DcqlReason.CLAIM_VALUE_NOT_ALLOWED, check_presentation, QUERY, answer)
    answer = {"pid": [present(VIEW, [("age_over_18",)], "pid")]}
    for wrong in (1, "true"):  # True == 1 in Python; not in DCQL
        query = _query_with_claims([{"path": ["age_over_18"], "values": [wrong]}])
        assert_rejected(DcqlReason.CLAIM_VALUE_NOT_ALLOWED, check_presentation, query, answer)
    query = _query_with_claims([{"path": ["age_over_18"], "values": [1, True]}])
    assert check_presentation(query, answer) == frozenset({"pid"})


def test_a_wildcard_with_values_needs_one_matching_element() -> None:
    query = _query_with_claims([{"path": ["nationalities", None], "values": ["DE"]}])
    answer = {"pid": [present(VIEW, [("nationalities", 1)], "pid")]}
    assert check_presentation(query, answer) == frozenset({"pid"})
    answer = {"pid": [present(VIEW, [("nationalities", 0)], "pid")]}
    assert_rejected(DcqlReason.CLAIM_VALUE_NOT_ALLOWED, check_presentation, query, answer)


def test_nothing_beyond_the_query_is_disclosed() -> None:
    answer = {"pid": [present(VIEW, [*ASKED, ("family_name",)], "pid")]}
    assert_rejected(DcqlReason.CLAIM_OUTSIDE_QUERY, check_presentation, QUERY, answer)
    answer = {"pid": [present(VIEW, [*ASKED, ("address", "postal_code")], "pid")]}
    assert_rejected(DcqlReason.CLAIM_OUTSIDE_QUERY, check_presentation, QUERY, answer)


def test_no_claims_asked_means_no_disclosures() -> None:
    """§6.4.1: without ``claims`` only what is mandatory to present is returned."""
    query = _query_with_claims(None)
    assert check_presentation(query, {"pid": [present(VIEW, [], "pid")]}) == frozenset({"pid"})
    answer = {"pid": [present(VIEW, [("given_name",)], "pid")]}
    assert_rejected(DcqlReason.CLAIM_OUTSIDE_QUERY, check_presentation, query, answer)


CLAIM_SETS: list[dict[str, Any]] = [
    {"id": "age", "path": ["age_over_18"], "values": [True]},
    {"id": "given", "path": ["given_name"]},
    {"id": "family", "path": ["family_name"]},
]


def test_claim_sets_one_set_fully_present() -> None:
    query = _query_with_claims(CLAIM_SETS, claim_sets=[["age"], ["given", "family"]])
    for paths in ([("age_over_18",)], [("given_name",), ("family_name",)]):
        answer = {"pid": [present(VIEW, paths, "pid")]}
        assert check_presentation(query, answer) == frozenset({"pid"})
    answer = {"pid": [present(VIEW, [("given_name",)], "pid")]}
    assert_rejected(DcqlReason.CLAIM_SETS_UNSATISFIED, check_presentation, query, answer)


def test_claim_sets_disclose_one_set_only() -> None:
    """§6.4.1: the verifier asks for one combination; two at once is over-disclosure."""
    query = _query_with_claims(CLAIM_SETS, claim_sets=[["age"], ["given", "family"]])
    paths = [("age_over_18",), ("given_name",), ("family_name",)]
    answer = {"pid": [present(VIEW, paths, "pid")]}
    assert_rejected(DcqlReason.CLAIM_OUTSIDE_QUERY, check_presentation, query, answer)


def test_claim_sets_that_fail_only_on_values() -> None:
    view = issue(PID, {**PERSON, "age_over_18": False})
    query = _query_with_claims(CLAIM_SETS, claim_sets=[["age"]])
    answer = {"pid": [present(view, [("age_over_18",)], "pid")]}
    assert_rejected(DcqlReason.CLAIM_VALUE_NOT_ALLOWED, check_presentation, query, answer)


def test_without_credential_sets_every_query_is_required() -> None:
    """§6.4.2: without ``credential_sets`` all Credential Queries are requested."""
    obj = _query_json()
    obj["credentials"].append({**copy.deepcopy(obj["credentials"][0]), "id": "pid2"})
    query = parse_dcql_query(obj)
    one = {"pid": [present(VIEW, ASKED, "pid")]}
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, check_presentation, query, one)
    both = {**one, "pid2": [present(VIEW, ASKED, "pid2")]}
    assert check_presentation(query, both) == frozenset({"pid", "pid2"})


def test_an_empty_array_is_no_answer() -> None:
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, check_presentation, QUERY, {"pid": []})


def test_spec_credential_alternatives() -> None:
    """Appendix D ``credentials_alternatives``: one of three options, plus an optional set."""
    folder = vectors_dir("oid4vp", "examples", "query_lang")
    query = parse_dcql_query(load_json(folder / "credentials_alternatives.json"))
    reduced = issue(
        "https://credentials.example.com/reduced_identity_credential",
        {"family_name": "Jansen", "given_name": "Jan"},
    )
    residence = issue(
        "https://cred.example/residence_credential",
        {"postal_code": "3511", "locality": "Utrecht", "region": "Utrecht"},
    )
    first = present(reduced, [("family_name",), ("given_name",)], "pid_reduced_cred_1")
    second = present(
        residence, [("postal_code",), ("locality",), ("region",)], "pid_reduced_cred_2"
    )
    answer = {"pid_reduced_cred_1": [first], "pid_reduced_cred_2": [second]}
    assert check_presentation(query, answer) == frozenset(answer)
    half = {"pid_reduced_cred_1": [first]}
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, check_presentation, query, half)


def test_claims_path_pointer_examples() -> None:
    """§7.3: the spec's pointers into its example credential select what it says."""
    credential = load_json(
        vectors_dir("oid4vp", "inline") / "L1097_claims_path_pointer_example.json"
    )
    expected: list[tuple[tuple[Any, ...], list[Any]]] = [
        (("name",), ["Arthur Dent"]),
        (("address",), [credential["address"]]),
        (("address", "street_address"), ["42 Market Street"]),
        (("degrees", None, "type"), ["Bachelor of Science", "Master of Science"]),
        (("nationalities", 1), ["Betelgeusian"]),
    ]
    for path, values in expected:
        assert select_values(credential, path) == values
        located = locate_claims(credential, ClaimsQuery(path))
        assert [value for _, value in located] == values
    where = [w for w, _ in locate_claims(credential, ClaimsQuery(("degrees", None, "type")))]
    assert where == [("degrees", 0, "type"), ("degrees", 1, "type")]


def test_the_claims_path_pointer_credential_end_to_end() -> None:
    """§7.3's credential issued with every claim disclosable, asked for ``degrees[*].type``."""
    credential = load_json(
        vectors_dir("oid4vp", "inline") / "L1097_claims_path_pointer_example.json"
    )
    view = issue("urn:test:dent", credential)
    query = parse_dcql_query(
        {
            "credentials": [
                {
                    "id": "dent",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": ["urn:test:dent"]},
                    "claims": [{"path": ["degrees", None, "type"]}],
                }
            ]
        }
    )
    presented = present(view, [("degrees", 0, "type"), ("degrees", 1, "type")], "dent")
    assert check_presentation(query, {"dent": [presented]}) == frozenset({"dent"})
    assert "university" not in presented.claims["degrees"][0]
    leaky = present(view, [("degrees", 0)], "dent")
    assert leaky.claims["degrees"][0]["university"]
    assert_rejected(DcqlReason.CLAIM_OUTSIDE_QUERY, check_presentation, query, {"dent": [leaky]})


def _query_json(claims: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [PID]},
        "claims": claims or [{"path": ["given_name"]}, {"path": ["address", "locality"]}],
    }
    return {"credentials": [credential]}


def _query_with_claims(
    claims: list[dict[str, Any]] | None, *, claim_sets: list[list[str]] | None = None
) -> Any:
    obj = _query_json(claims)
    if claims is None:
        del obj["credentials"][0]["claims"]
    if claim_sets is not None:
        obj["credentials"][0]["claim_sets"] = claim_sets
    return parse_dcql_query(obj)


@pytest.mark.parametrize("reason", [DcqlReason.CLAIM_MISSING, DcqlReason.CLAIM_OUTSIDE_QUERY])
def test_rejections_say_nothing_of_the_input(reason: DcqlReason) -> None:
    """DESIGN §3: the message is the slug; no claim value or path leaks through it."""
    paths = (
        [("address", "locality")]
        if reason is DcqlReason.CLAIM_MISSING
        else [*ASKED, ("family_name",)]
    )
    error = assert_rejected(
        reason, check_presentation, QUERY, {"pid": [present(VIEW, paths, "pid")]}
    )
    assert str(error) == reason.value
