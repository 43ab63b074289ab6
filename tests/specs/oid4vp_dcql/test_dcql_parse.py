"""Parsing DCQL queries (OpenID4VP 1.0 §6, §7): the spec's examples, our compiler's output,
every shape rule with its reason, and no input that makes the parser raise anything else."""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.regulations import catalogue
from specs.errors import DcqlReason, Rejected
from specs.oid4vp.dcql import (
    DEFAULT_DCQL_LIMITS,
    ClaimsQuery,
    DcqlLimits,
    TrustedAuthoritiesQuery,
    dcql_query_to_json,
    parse_dcql_query,
)
from specs.rules import compile_dcql, parse_regulation
from tests.specs.rules.toy import TOY
from tests.support import assert_rejected, load_json, vectors_dir

SIMPLE: dict[str, Any] = {
    "credentials": [
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:test:pid"]},
            "claims": [
                {"id": "a", "path": ["given_name"]},
                {"id": "b", "path": ["address", "locality"], "values": ["Utrecht"]},
            ],
        }
    ]
}


def _query_examples() -> list[Path]:
    folder = vectors_dir("oid4vp", "examples")
    return sorted((folder / "query_lang").glob("*.json")) + sorted(
        (folder / "request").glob("dcql_*.json")
    )


def _round_trips(obj: Any) -> None:
    query = parse_dcql_query(obj)
    assert parse_dcql_query(dcql_query_to_json(query)) == query


def test_every_spec_example_query_parses_and_round_trips() -> None:
    """Appendix D and §5.4 examples, mdoc and W3C formats included (the format is kept)."""
    examples = _query_examples()
    assert len(examples) >= 9
    for path in examples:
        _round_trips(load_json(path))


def test_the_spec_examples_keep_what_they_ask() -> None:
    folder = vectors_dir("oid4vp", "examples", "query_lang")
    claims_alternatives = parse_dcql_query(load_json(folder / "claims_alternatives.json"))
    (pid,) = claims_alternatives.credentials
    assert pid.vct_values == ("https://credentials.example.com/identity_credential",)
    assert pid.claim_sets == (("a", "c", "d", "e"), ("a", "b", "e"))
    assert pid.multiple is False
    assert pid.require_cryptographic_holder_binding is True

    mdoc = parse_dcql_query(load_json(folder / "complex_mdoc.json"))
    assert [c.format for c in mdoc.credentials] == ["mso_mdoc"] * 4
    assert mdoc.credentials[0].meta == {"doctype_value": "org.iso.18013.5.1.mDL"}
    assert mdoc.credentials[0].vct_values == ()
    assert [s.required for s in mdoc.credential_sets] == [True, False]

    values = parse_dcql_query(load_json(folder / "value_matching_simple.json"))
    assert values.credentials[0].claims[3] == ClaimsQuery(
        ("postal_code",), None, ("90210", "90211")
    )


def test_inline_requests_carry_parsable_queries() -> None:
    """§5 and §8.3 examples: the ``dcql_query`` of a request object."""
    folder = vectors_dir("oid4vp", "inline")
    for name in ("L0446_examples.json", "L1330_encrypted_responses.json"):
        _round_trips(load_json(folder / name)["dcql_query"])


def test_inline_trusted_authorities_parse() -> None:
    """§6.1.1: the ``aki``, ``etsi_tl`` and ``openid_federation`` examples."""
    folder = vectors_dir("oid4vp", "inline")
    entries = [
        load_json(folder / name)
        for name in (
            "L0835_authority_key_identifier.json",
            "L0855_etsi_trusted_list.json",
            "L0875_openid_federation.json",
        )
    ]
    obj = copy.deepcopy(SIMPLE)
    obj["credentials"][0]["trusted_authorities"] = entries
    query = parse_dcql_query(obj)
    assert query.credentials[0].trusted_authorities == (
        TrustedAuthoritiesQuery("aki", ("s9tIpPmhxdiuNkHMEWNpYim8S8Y",)),
        TrustedAuthoritiesQuery("etsi_tl", ("https://lotl.example.com",)),
        TrustedAuthoritiesQuery("openid_federation", ("https://trustanchor.example.com",)),
    )
    _round_trips(obj)


def test_inline_w3c_type_values_meta_is_kept() -> None:
    """B.1.1 (L2652..L2676): ``type_values`` of W3C formats are kept, not interpreted."""
    folder = vectors_dir("oid4vp", "inline")
    credential = load_json(folder / "L2652_parameters_in_the_meta_parameter_in_credential_que.json")
    obj = {
        "credentials": [
            {"id": "degree", "format": "ldp_vc", "meta": {"type_values": [credential["type"]]}}
        ]
    }
    query = parse_dcql_query(obj)
    assert query.credentials[0].meta == {"type_values": [credential["type"]]}
    assert dcql_query_to_json(query) == obj


def test_our_compiler_output_parses_unchanged() -> None:
    """Every bundled regulation's compiled query, and the toy ones with claim_sets."""
    compiled = list(catalogue())
    toy = parse_regulation(TOY, origin="toy.yaml")
    alternative = TOY.replace(
        '- {vct: "urn:test:other-income", claim: [total], period_claim: [year]}',
        '- {vct: "urn:test:income", claim: [total], period_claim: [year]}',
    )
    compiled += [toy, parse_regulation(alternative, origin="toy.yaml")]
    assert len(compiled) >= 3
    saw_claim_sets = False
    for regulation in compiled:
        request = compile_dcql(regulation)
        query = parse_dcql_query(request.query)
        assert dcql_query_to_json(query) == request.query
        saw_claim_sets |= any(c.claim_sets for c in query.credentials)
    assert saw_claim_sets


def test_defaults_and_unknown_members() -> None:
    """§6: unknown members are ignored; ``multiple`` false and holder binding true by default."""
    obj = copy.deepcopy(SIMPLE)
    obj["future"] = {"x": 1}
    obj["credentials"][0]["future"] = True
    obj["credentials"][0]["claims"][0]["intent_to_retain"] = False
    query = parse_dcql_query(obj)
    assert "future" not in dcql_query_to_json(query)
    assert query.credentials[0].claims[0] == ClaimsQuery(("given_name",), "a", None)
    obj["credentials"][0]["multiple"] = True
    obj["credentials"][0]["require_cryptographic_holder_binding"] = False
    parsed = parse_dcql_query(obj)
    credential = parsed.credentials[0]
    assert credential.multiple is True
    assert credential.require_cryptographic_holder_binding is False
    assert parsed.credential("pid") is credential
    assert parsed.credential("other") is None


def test_path_elements_and_values() -> None:
    obj = copy.deepcopy(SIMPLE)
    obj["credentials"][0]["claims"] = [
        {"path": ["degrees", None, "type"]},
        {"path": ["nationalities", 0], "values": ["NL", 7, True]},
    ]
    claims = parse_dcql_query(obj).credentials[0].claims
    assert claims[0].path == ("degrees", None, "type")
    assert claims[1].values == ("NL", 7, True)
    assert type(claims[1].values[2]) is bool


def _with(change: Any) -> dict[str, Any]:
    obj = copy.deepcopy(SIMPLE)
    change(obj)
    return obj


def _credential(obj: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = obj["credentials"][0]
    return result


MALFORMED = {
    "credentials a string": lambda o: o.update(credentials="pid"),
    "credentials missing": lambda o: o.pop("credentials"),
    "credentials empty": lambda o: o.update(credentials=[]),
    "credential not an object": lambda o: o.update(credentials=["pid"]),
    "id missing": lambda o: _credential(o).pop("id"),
    "id with a dot": lambda o: _credential(o).update(id="p.id"),
    "id empty": lambda o: _credential(o).update(id=""),
    "id not ascii": lambda o: _credential(o).update(id="pïd"),
    "id a number": lambda o: _credential(o).update(id=7),
    "format missing": lambda o: _credential(o).pop("format"),
    "format empty": lambda o: _credential(o).update(format=""),
    "meta missing": lambda o: _credential(o).pop("meta"),
    "meta not an object": lambda o: _credential(o).update(meta=[]),
    "vct_values missing": lambda o: _credential(o).update(meta={}),
    "vct_values empty": lambda o: _credential(o).update(meta={"vct_values": []}),
    "vct_values a string": lambda o: _credential(o).update(meta={"vct_values": "urn:x"}),
    "vct value empty": lambda o: _credential(o).update(meta={"vct_values": [""]}),
    "vct value a number": lambda o: _credential(o).update(meta={"vct_values": [1]}),
    "multiple a string": lambda o: _credential(o).update(multiple="true"),
    "binding null": lambda o: _credential(o).update(require_cryptographic_holder_binding=None),
    "claims empty": lambda o: _credential(o).update(claims=[]),
    "claims null": lambda o: _credential(o).update(claims=None),
    "claim not an object": lambda o: _credential(o).update(claims=[["given_name"]]),
    "path missing": lambda o: _credential(o).update(claims=[{"id": "a"}]),
    "path empty": lambda o: _credential(o).update(claims=[{"path": []}]),
    "path a string": lambda o: _credential(o).update(claims=[{"path": "given_name"}]),
    "path negative index": lambda o: _credential(o).update(claims=[{"path": ["a", -1]}]),
    "path boolean": lambda o: _credential(o).update(claims=[{"path": ["a", True]}]),
    "path float": lambda o: _credential(o).update(claims=[{"path": ["a", 1.0]}]),
    "path object": lambda o: _credential(o).update(claims=[{"path": ["a", {}]}]),
    "claim id bad": lambda o: _credential(o).update(claims=[{"id": "a b", "path": ["a"]}]),
    "values empty": lambda o: _credential(o).update(claims=[{"path": ["a"], "values": []}]),
    "values a string": lambda o: _credential(o).update(claims=[{"path": ["a"], "values": "x"}]),
    "value float": lambda o: _credential(o).update(claims=[{"path": ["a"], "values": [1.5]}]),
    "value null": lambda o: _credential(o).update(claims=[{"path": ["a"], "values": [None]}]),
    "value object": lambda o: _credential(o).update(claims=[{"path": ["a"], "values": [{}]}]),
    "claim_sets without claims": lambda o: (
        _credential(o).pop("claims"),
        _credential(o).update(claim_sets=[["a"]]),
    ),
    "claim_sets with an unnamed claim": lambda o: (
        _credential(o)["claims"].append({"path": ["x"]}),
        _credential(o).update(claim_sets=[["a"]]),
    ),
    "claim_sets empty": lambda o: _credential(o).update(claim_sets=[]),
    "claim set empty": lambda o: _credential(o).update(claim_sets=[[]]),
    "claim set unknown id": lambda o: _credential(o).update(claim_sets=[["a", "z"]]),
    "claim set not ids": lambda o: _credential(o).update(claim_sets=[[1]]),
    "claim set not an array": lambda o: _credential(o).update(claim_sets=["a"]),
    "trusted_authorities empty": lambda o: _credential(o).update(trusted_authorities=[]),
    "authority without type": lambda o: _credential(o).update(
        trusted_authorities=[{"values": ["x"]}]
    ),
    "authority values empty": lambda o: _credential(o).update(
        trusted_authorities=[{"type": "aki", "values": []}]
    ),
    "credential_sets empty": lambda o: o.update(credential_sets=[]),
    "credential set not an object": lambda o: o.update(credential_sets=[["pid"]]),
    "options missing": lambda o: o.update(credential_sets=[{"required": True}]),
    "options empty": lambda o: o.update(credential_sets=[{"options": []}]),
    "option empty": lambda o: o.update(credential_sets=[{"options": [[]]}]),
    "option unknown id": lambda o: o.update(credential_sets=[{"options": [["pid", "mdl"]]}]),
    "option a string": lambda o: o.update(credential_sets=[{"options": ["pid"]}]),
    "required a string": lambda o: o.update(
        credential_sets=[{"options": [["pid"]], "required": "no"}]
    ),
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_queries(change: Any) -> None:
    assert_rejected(DcqlReason.MALFORMED_QUERY, parse_dcql_query, _with(change))


def test_not_an_object_at_all() -> None:
    nothing: tuple[Any, ...] = (None, [], "credentials", 7)
    for obj in nothing:
        assert_rejected(DcqlReason.MALFORMED_QUERY, parse_dcql_query, obj)


def test_duplicate_credential_ids() -> None:
    """§6.1: the same ``id`` MUST NOT be present more than once."""
    obj = _with(lambda o: o["credentials"].append(copy.deepcopy(_credential(o))))
    assert_rejected(DcqlReason.DUPLICATE_ID, parse_dcql_query, obj)


def test_duplicate_claim_ids() -> None:
    """§6.3: within ``claims`` the same ``id`` MUST NOT be present more than once."""
    obj = _with(lambda o: _credential(o)["claims"].append({"id": "a", "path": ["other"]}))
    assert_rejected(DcqlReason.DUPLICATE_ID, parse_dcql_query, obj)


def test_claim_ids_may_repeat_across_credentials() -> None:
    obj = _with(lambda o: o["credentials"].append({**copy.deepcopy(_credential(o)), "id": "p2"}))
    assert len(parse_dcql_query(obj).credentials) == 2


TINY = DcqlLimits(
    max_credentials=1,
    max_claims=2,
    max_path_length=2,
    max_claim_sets=1,
    max_credential_sets=1,
    max_options=1,
    max_values=1,
    max_trusted_authorities=1,
)

TOO_LARGE = {
    "credentials": lambda o: o["credentials"].append({**copy.deepcopy(_credential(o)), "id": "x"}),
    "claims": lambda o: _credential(o)["claims"].append({"path": ["c"]}),
    "path": lambda o: _credential(o)["claims"][0].update(path=["a", "b", "c"]),
    "values": lambda o: _credential(o)["claims"][1].update(values=["x", "y"]),
    "vct_values": lambda o: _credential(o)["meta"].update(vct_values=["urn:a", "urn:b"]),
    "claim_sets": lambda o: _credential(o).update(claim_sets=[["a"], ["b"]]),
    "claim set length": lambda o: _credential(o).update(claim_sets=[["a", "b", "a"]]),
    "trusted_authorities": lambda o: _credential(o).update(
        trusted_authorities=[{"type": "aki", "values": ["x"]}] * 2
    ),
    "authority values": lambda o: _credential(o).update(
        trusted_authorities=[{"type": "aki", "values": ["x", "y"]}]
    ),
    "credential_sets": lambda o: o.update(credential_sets=[{"options": [["pid"]]}] * 2),
    "options": lambda o: o.update(credential_sets=[{"options": [["pid"], ["pid"]]}]),
    "option length": lambda o: o.update(credential_sets=[{"options": [["pid", "pid"]]}]),
}


@pytest.mark.parametrize("change", TOO_LARGE.values(), ids=TOO_LARGE.keys())
def test_caps(change: Any) -> None:
    parse_dcql_query(SIMPLE, limits=TINY)  # within every cap
    assert_rejected(DcqlReason.QUERY_TOO_LARGE, parse_dcql_query, _with(change), limits=TINY)


def test_default_caps() -> None:
    assert DEFAULT_DCQL_LIMITS.max_credentials == 32
    assert DEFAULT_DCQL_LIMITS.max_path_length == 16
    long_path = _with(lambda o: _credential(o)["claims"][0].update(path=["a"] * 17))
    assert_rejected(DcqlReason.QUERY_TOO_LARGE, parse_dcql_query, long_path)
    many = _with(
        lambda o: o.update(
            credentials=[{**copy.deepcopy(_credential(o)), "id": f"c{i}"} for i in range(33)]
        )
    )
    assert_rejected(DcqlReason.QUERY_TOO_LARGE, parse_dcql_query, many)


# --- properties --------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "credentials",
        "credential_sets",
        "id",
        "format",
        "meta",
        "vct_values",
        "claims",
        "claim_sets",
        "path",
        "values",
        "multiple",
        "options",
        "required",
        "trusted_authorities",
        "type",
        "require_cryptographic_holder_binding",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["pid", "a", "b", "dc+sd-jwt", "urn:x", "", "a b"]),
    st.text(alphabet=string.printable, max_size=5),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(NAMES, st.text(max_size=4)), children, max_size=5),
    ),
    max_leaves=30,
)


def _parsed_or_rejected(obj: Any) -> None:
    """Only ``Rejected`` with a DCQL reason may escape; what parses must round-trip."""
    outcome: Any
    try:
        outcome = parse_dcql_query(obj)
    except Rejected as rejected:
        outcome = rejected
    if isinstance(outcome, Rejected):
        assert isinstance(outcome.reason, DcqlReason)
    else:
        assert parse_dcql_query(dcql_query_to_json(outcome)) == outcome


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_arbitrary_json_is_only_ever_rejected(obj: Any) -> None:
    _parsed_or_rejected(obj)


def _mutations(obj: Any) -> st.SearchStrategy[Any]:
    """``obj`` with one node replaced by random JSON: near misses of a valid query."""
    places: list[tuple[Any, ...]] = []

    def walk(node: Any, where: tuple[Any, ...]) -> None:
        places.append(where)
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*where, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*where, index))

    walk(obj, ())

    def replace(where: tuple[Any, ...], value: Any) -> Any:
        if not where:
            return value
        result = copy.deepcopy(obj)
        node = result
        for step in where[:-1]:
            node = node[step]
        node[where[-1]] = value
        return result

    return st.builds(replace, st.sampled_from(places), JSON)


RICH: dict[str, Any] = {
    "credentials": [
        {
            "id": "mdl",
            "format": "mso_mdoc",
            "meta": {"doctype_value": "org.iso.18013.5.1.mDL"},
            "claims": [
                {"id": "g", "path": ["org.iso.18013.5.1", "given_name"]},
                {"id": "f", "path": ["org.iso.18013.5.1", "family_name"], "values": ["Doe"]},
            ],
            "claim_sets": [["g", "f"], ["f"]],
        },
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "multiple": True,
            "meta": {"vct_values": ["urn:test:pid"]},
            "trusted_authorities": [{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],
            "claims": [{"path": ["degrees", None, "type"]}, {"path": ["nationalities", 1]}],
        },
    ],
    "credential_sets": [
        {"options": [["mdl"], ["pid"]], "required": True},
        {"options": [["pid"]], "required": False},
    ],
}


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_near_misses_of_valid_queries_are_only_ever_rejected(data: st.DataObject) -> None:
    for obj in (SIMPLE, RICH):
        _parsed_or_rejected(data.draw(_mutations(obj)))


def test_the_rich_query_round_trips_exactly() -> None:
    assert dcql_query_to_json(parse_dcql_query(RICH)) == RICH
