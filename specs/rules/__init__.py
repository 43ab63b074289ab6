"""Regulations as code: the format, the engine, evidence, and DCQL compiled from the law.

::

    model.py        the regulation format (pydantic; the JSON Schema is generated from it)
    expressions.py  expression trees -> closures, three-valued (unknown propagates)
    engine.py       evaluate -> outcome (eligible / not / unknown / refer_hardship) + trace
    evidence.py     credentials -> facts, with the reference-period rule
    loader.py       YAML text -> validated, compiled regulation with its content hash
    dcql.py         regulation -> minimal DCQL query + purpose (transaction_data)
    predicates.py   derived predicate claims an issuer computes from regulation thresholds
    explain.py      an outcome as JSON and as readable text
    discovery.py    the wallet's offline scan and the notices between two scans
"""

from specs.rules.dcql import DcqlRequest, compile_dcql
from specs.rules.engine import (
    SELF_DECLARED,
    CompiledRegulation,
    FactSource,
    Outcome,
    SourcedFact,
    Status,
    evaluate,
)
from specs.rules.evidence import Facts, HeldCredential, facts_from_credentials
from specs.rules.expressions import UNKNOWN, Fact
from specs.rules.loader import content_hash, parse_regulation
from specs.rules.model import Regulation

__all__ = [
    "SELF_DECLARED",
    "UNKNOWN",
    "CompiledRegulation",
    "DcqlRequest",
    "Fact",
    "FactSource",
    "Facts",
    "HeldCredential",
    "Outcome",
    "Regulation",
    "SourcedFact",
    "Status",
    "compile_dcql",
    "content_hash",
    "evaluate",
    "facts_from_credentials",
    "parse_regulation",
]
