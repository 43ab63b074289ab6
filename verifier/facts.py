"""Facts the desk already holds (e.g. a household size it registered itself).

They are not asked of the wallet (the query is compiled without them), and the evaluation
uses them with the source ``desk``. A name the regulation does not have, or a value of the
wrong type, is refused when the transaction starts, not discovered when the citizen has
already answered. The values are sealed at rest and deleted once the decision is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.wire import InvalidRequest
from specs.rules import CompiledRegulation, facts_from_credentials

MAX_FACTS = 64


def check_desk_facts(compiled: CompiledRegulation, facts: Mapping[str, Any]) -> dict[str, Any]:
    if len(facts) > MAX_FACTS:
        raise InvalidRequest("too many facts")
    regulation = compiled.regulation
    if set(facts) - set(regulation.inputs):
        raise InvalidRequest("facts name inputs the regulation does not have")
    accepted = facts_from_credentials(regulation, [], desk=facts).facts
    if set(accepted) != set(facts):
        raise InvalidRequest("a fact has the wrong type for its input")
    return dict(facts)
