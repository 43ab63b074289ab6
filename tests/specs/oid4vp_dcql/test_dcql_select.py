"""The wallet's choice (OpenID4VP 1.0 §6.4): which credential, which claim set, which option,
which concrete paths; and, for generated credentials and queries, that the verifier's own
check always accepts what the wallet chose."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.regulations import catalogue
from specs.errors import DcqlReason, Rejected
from specs.oid4vp.dcql import ClaimsQuery, DcqlQuery, parse_dcql_query
from specs.oid4vp.dcql_match import (
    HeldForQuery,
    Selection,
    check_presentation,
    locate_claims,
    select_credentials,
)
from specs.rules import compile_dcql, parse_regulation
from specs.sd_jwt import HolderView, select_values
from tests.specs.oid4vp_dcql import held, issue, present
from tests.specs.rules.toy import TOY
from tests.support import assert_rejected, load_json, vectors_dir

IDENTITY = "https://credentials.example.com/identity_credential"


def _example(name: str) -> DcqlQuery:
    return parse_dcql_query(load_json(vectors_dir("oid4vp", "examples", "query_lang") / name))


def _answer(
    query: DcqlQuery, views: dict[str, HolderView], selections: dict[str, list[Selection]]
) -> frozenset[str]:
    """Present what the wallet chose and run the verifier's check on it."""
    answer = {
        query_id: [present(views[str(s.ref)], s.disclose, query_id) for s in chosen]
        for query_id, chosen in selections.items()
    }
    return check_presentation(query, answer)


def test_the_first_claim_set_the_credential_can_satisfy() -> None:
    """Appendix D ``claims_alternatives``: the verifier's order of preference is followed."""
    query = _example("claims_alternatives.json")
    full = {"family_name": "Doe", "postal_code": "90210", "locality": "LA", "region": "CA"}
    both = issue(IDENTITY, {**full, "date_of_birth": "1990-01-01"})
    selections = select_credentials(query, [held("both", both)])
    assert selections == {
        "pid": [
            Selection("both", (("family_name",), ("locality",), ("region",), ("date_of_birth",)))
        ]
    }
    assert _answer(query, {"both": both}, selections) == {"pid"}
    no_region = issue(IDENTITY, {"family_name": "Doe", "postal_code": "1", "date_of_birth": "x"})
    (chosen,) = select_credentials(query, [held("no_region", no_region)])["pid"]
    assert chosen.disclose == (("family_name",), ("postal_code",), ("date_of_birth",))


def test_the_first_option_of_each_credential_set() -> None:
    """Appendix D ``credentials_alternatives``: options in order, the optional set when held."""
    query = _example("credentials_alternatives.json")
    views = {
        "reduced": issue(
            "https://credentials.example.com/reduced_identity_credential",
            {"family_name": "Doe", "given_name": "John"},
        ),
        "residence": issue(
            "https://cred.example/residence_credential",
            {"postal_code": "90210", "locality": "LA", "region": "CA", "street": "Main St"},
        ),
        "rewards": issue("https://company.example/company_rewards", {"rewards_number": 42}),
    }
    wallet = [held(ref, view) for ref, view in views.items()]
    selections = select_credentials(query, wallet)
    assert list(selections) == ["pid_reduced_cred_1", "pid_reduced_cred_2", "nice_to_have"]
    assert selections["pid_reduced_cred_2"][0].disclose == (
        ("postal_code",),
        ("locality",),
        ("region",),
    )
    assert _answer(query, views, selections) == set(selections)
    without = select_credentials(query, wallet, include_optional=False)
    assert list(without) == ["pid_reduced_cred_1", "pid_reduced_cred_2"]
    pid = issue(
        IDENTITY, {"given_name": "John", "family_name": "Doe", "address": {"street_address": "x"}}
    )
    preferred = select_credentials(query, [held("pid", pid), *wallet])
    assert list(preferred) == ["pid", "nice_to_have"]


def test_a_required_part_that_cannot_be_answered() -> None:
    """§6.4.2: if the wallet cannot deliver all non-optional credentials, it returns none."""
    query = _example("credentials_alternatives.json")
    rewards = issue("https://company.example/company_rewards", {"rewards_number": 42})
    assert_rejected(
        DcqlReason.CREDENTIAL_SETS_UNSATISFIED,
        select_credentials,
        query,
        [held("rewards", rewards)],
    )
    simple = _example("simple.json")
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, select_credentials, simple, [])


def test_values_are_respected() -> None:
    """Appendix D ``value_matching_simple``: a claim of another value counts as absent."""
    query = _example("value_matching_simple.json")
    claims = {
        "family_name": "Doe",
        "given_name": "John",
        "address": {"street_address": "Main St", "locality": "LA"},
        "postal_code": "90210",
    }
    doe = issue(IDENTITY, claims)
    selections = select_credentials(query, [held("doe", doe)])
    assert _answer(query, {"doe": doe}, selections) == {"my_credential"}
    roe = issue(IDENTITY, {**claims, "family_name": "Roe"})
    assert_rejected(
        DcqlReason.CREDENTIAL_SETS_UNSATISFIED, select_credentials, query, [held("roe", roe)]
    )
    selections = select_credentials(query, [held("roe", roe), held("doe", doe)])
    assert selections["my_credential"][0].ref == "doe"


def test_wildcards_expand_to_the_matching_elements_only() -> None:
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
                    "claims": [
                        {"path": ["degrees", None, "type"], "values": ["Master of Science"]},
                        {"path": ["nationalities", None]},
                    ],
                }
            ]
        }
    )
    (chosen,) = select_credentials(query, [held("dent", view)])["dent"]
    assert chosen.disclose == (
        ("degrees", 1, "type"),
        ("nationalities", 0),
        ("nationalities", 1),
    )
    assert _answer(query, {"dent": view}, {"dent": [chosen]}) == {"dent"}


def test_type_format_and_missing_claims_rule_a_credential_out() -> None:
    query = _example("simple.json")
    claims = {"family_name": "Doe", "given_name": "John", "address": {"street_address": "x"}}
    right = held("right", issue(IDENTITY, claims))
    wrong_type = held("wrong_type", issue("urn:test:other", claims))
    partial = held("partial", issue(IDENTITY, {"family_name": "Doe", "given_name": "John"}))
    mdoc = HeldForQuery("mdoc", "mso_mdoc", IDENTITY, claims)
    selections = select_credentials(query, [wrong_type, partial, mdoc, right])
    assert selections["my_credential"][0].ref == "right"


def test_only_sd_jwt_vc_queries_are_matched() -> None:
    query = _example("simple_mdoc.json")
    mdoc = HeldForQuery("mdoc", "mso_mdoc", "", {"org.iso.7367.1": {"vehicle_holder": "x"}})
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, select_credentials, query, [mdoc])


def test_no_claims_asked_discloses_nothing() -> None:
    query = parse_dcql_query(
        {"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [IDENTITY]}}]}
    )
    view = issue(IDENTITY, {"given_name": "John"})
    selections = select_credentials(query, [held("pid", view)])
    assert selections == {"pid": [Selection("pid", ())]}
    assert _answer(query, {"pid": view}, selections) == {"pid"}


def test_answering_our_own_compiled_queries() -> None:
    """Every bundled regulation's query, answered by a wallet holding each asked type."""
    toy = parse_regulation(TOY, origin="toy.yaml")
    alternative = parse_regulation(
        TOY.replace(
            '- {vct: "urn:test:other-income", claim: [total], period_claim: [year]}',
            '- {vct: "urn:test:income", claim: [total], period_claim: [year]}',
        ),
        origin="toy.yaml",
    )
    for compiled in (*catalogue(), toy, alternative):
        query = parse_dcql_query(compile_dcql(compiled).query)
        views: dict[str, HolderView] = {}
        for credential in query.credentials:
            claims: dict[str, Any] = {"unrelated": "never asked"}
            for claim in credential.claims:
                _put(claims, claim.path, True)
            views[credential.id] = issue(credential.vct_values[0], claims)
        wallet = [held(ref, view) for ref, view in views.items()]
        selections = select_credentials(query, wallet)
        assert _answer(query, views, selections) == set(selections)
        for chosen in selections.values():
            assert ("unrelated",) not in chosen[0].disclose


def _put(claims: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node = claims
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value


# --- properties --------------------------------------------------------------------------

VCTS = ("urn:test:a", "urn:test:b")
names = st.sampled_from(["a", "b", "c", "d"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=2),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.sampled_from(["x", "y", ""]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(names, children, max_size=3)
    ),
    max_leaves=10,
)
claim_trees = st.dictionaries(names, values, min_size=1, max_size=4)


def _candidate_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths through objects, ``None`` for arrays (an index would not survive disclosure)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for name, child in node.items():
            found.append((*prefix, name))
            found.extend(_candidate_paths(child, (*prefix, name)))
    elif isinstance(node, list) and node:
        found.append((*prefix, None))
        for child in node:
            found.extend(_candidate_paths(child, (*prefix, None)))
    return list(dict.fromkeys(found))


@st.composite
def wallets_and_queries(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    credentials = draw(
        st.lists(st.tuples(st.sampled_from(VCTS), claim_trees), min_size=1, max_size=3)
    )
    wallet = {f"h{i}": credential for i, credential in enumerate(credentials)}
    paths = [p for _, claims in credentials for p in _candidate_paths(claims)]
    paths += [("missing",), ("a", "missing")]
    queries = []
    for number in range(draw(st.integers(min_value=1, max_value=3))):
        claims = []
        for claim_number, path in enumerate(
            draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True))
        ):
            claim: dict[str, Any] = {"id": f"k{claim_number}", "path": list(path)}
            if draw(st.booleans()):
                seen = [
                    v
                    for _, tree in credentials
                    for v in select_values(tree, path)
                    if type(v) in (str, int, bool)
                ]
                pool = st.sampled_from(seen) if seen else st.just("x")
                claim["values"] = draw(st.lists(pool, min_size=1, max_size=2))
            claims.append(claim)
        query: dict[str, Any] = {
            "id": f"q{number}",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": draw(st.lists(st.sampled_from(VCTS), min_size=1, max_size=2))},
        }
        query["claims"] = claims
        if draw(st.booleans()):
            ids = [c["id"] for c in claims]
            query["claim_sets"] = draw(
                st.lists(
                    st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True),
                    min_size=1,
                    max_size=3,
                )
            )
        queries.append(query)
    obj: dict[str, Any] = {"credentials": queries}
    if draw(st.booleans()):
        ids = [q["id"] for q in queries]
        obj["credential_sets"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "options": st.lists(
                            st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True),
                            min_size=1,
                            max_size=3,
                        ),
                        "required": st.booleans(),
                    }
                ),
                min_size=1,
                max_size=2,
            )
        )
    return wallet, obj


def _select_then_check(case: tuple[dict[str, Any], dict[str, Any]], plain: frozenset[str]) -> None:
    wallet, obj = case
    query = parse_dcql_query(obj)
    views = {
        ref: issue(vct, copy.deepcopy(claims), plain=plain) for ref, (vct, claims) in wallet.items()
    }
    wallet_view = [held(ref, view) for ref, view in views.items()]
    outcome: Any
    try:
        outcome = select_credentials(query, wallet_view)
    except Rejected as rejected:
        outcome = rejected
    if isinstance(outcome, Rejected):
        assert outcome.reason is DcqlReason.CREDENTIAL_SETS_UNSATISFIED
    else:
        assert _answer(query, views, outcome) == set(outcome)


PLAIN = st.sampled_from([frozenset(), frozenset({"a"}), frozenset("ab")])
"""Top-level claims kept out of selective disclosure: always visible, never over-disclosure."""
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW)
@given(wallets_and_queries(), PLAIN)
def test_what_the_wallet_selects_the_verifier_accepts(
    case: tuple[dict[str, Any], dict[str, Any]], plain: frozenset[str]
) -> None:
    _select_then_check(case, plain)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=SLOW)
@given(wallets_and_queries(), PLAIN)
def test_what_the_wallet_selects_the_verifier_accepts_many(
    case: tuple[dict[str, Any], dict[str, Any]], plain: frozenset[str]
) -> None:
    _select_then_check(case, plain)


@settings(max_examples=200, deadline=None)
@given(claim_trees, st.data())
def test_locating_selects_what_the_pointer_selects(
    tree: dict[str, Any], data: st.DataObject
) -> None:
    """§7.1: ``locate_claims`` and ``select_values`` agree, and each place holds its value."""
    paths = [*_candidate_paths(tree), ("a", 0), ("b", 1, "c"), ("zz",)]
    path = data.draw(st.sampled_from(paths))
    located = locate_claims(tree, ClaimsQuery(path))
    assert [value for _, value in located] == select_values(tree, path)
    for where, value in located:
        assert select_values(tree, where) == [value]
