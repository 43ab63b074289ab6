"""The regulation format: one file per regulation per authority per valid-from date (STYLE §9).

A regulation is data, never code: its figures are dated parameters with the official source
of each figure, its rules are expression trees, and every definition, requirement and
output carries the legal basis it comes from. The JSON Schema in
``specs/rules/regulation.schema.json`` is generated from these models (``python -m
scripts.regulation_schema``) and checked by a test, so the published schema cannot drift.

Money is integer cents and percentages are exact ratios (``"6.36/100"``), so no figure is
ever a binary float.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
_RATIO = re.compile(r"^(\d+(?:\.\d+)?)(?:/(\d+(?:\.\d+)?))?$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A text for citizens at B1 level, in Dutch and English."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


class LegalBasis(_Frozen):
    """Where a rule comes from: a law (BWB id) or a local regulation (CVDR id), an article."""

    title: str = Field(min_length=1)
    id: str = Field(pattern=r"^(BWBR\d{7}|CVDR\d+)$")
    article: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")


class Source(_Frozen):
    """The official publication a figure was taken from."""

    url: str = Field(pattern=r"^https://")
    note: str | None = None


def parse_ratio(text: str) -> Fraction:
    """``"6.36/100"`` or ``"0.5"`` as an exact fraction; decimals are read as written."""
    match = _RATIO.fullmatch(text)
    if match is None:
        raise ValueError(f"not a ratio: {text!r}")
    numerator = Fraction(match.group(1))
    return numerator / Fraction(match.group(2)) if match.group(2) else numerator


class Parameter(_Frozen):
    """A dated figure: exactly one of ``cents``, ``ratio`` or ``integer``, with its source."""

    cents: int | None = None
    ratio: str | None = None
    integer: int | None = None
    source: Source
    year: int = Field(ge=2000, le=2100)
    """The year the figure was published for; may precede the regulation's year (said so)."""

    @model_validator(mode="after")
    def _exactly_one_value(self) -> Parameter:
        given = [v for v in (self.cents, self.ratio, self.integer) if v is not None]
        if len(given) != 1:
            raise ValueError("a parameter has exactly one of cents, ratio, integer")
        if self.ratio is not None:
            parse_ratio(self.ratio)
        return self

    @property
    def value(self) -> int | Fraction:
        if self.ratio is not None:
            return parse_ratio(self.ratio)
        return self.cents if self.cents is not None else int(self.integer or 0)


ClaimPathElement = str | int


class Evidence(_Frozen):
    """A credential claim that can supply an input.

    ``period_claim`` names the claim of the same credential that says which year or date
    the value covers; evidence for another period than the input's reference is refused.
    """

    vct: str = Field(min_length=1)
    claim: list[ClaimPathElement] = Field(min_length=1)
    period_claim: list[ClaimPathElement] | None = None


class Predicate(_Frozen):
    """A derived boolean claim a credential type carries for one comparison of this input.

    ``claim`` answers ``<input> <op> <param>`` as the issuer computed it; when the rules use
    the input only in that comparison, the verifier asks for this claim instead of the value.
    """

    vct: str = Field(min_length=1)
    claim: list[ClaimPathElement] = Field(min_length=1)
    period_claim: list[ClaimPathElement] | None = None
    op: Literal["lte", "lt", "gte", "gt"]
    param: str = Field(pattern=IDENTIFIER)


class Reference(_Frozen):
    """The period evidence must cover, relative to the regulation's year T."""

    year: Literal["T", "T-1", "T-2", "T-3"] | None = None
    date: str | None = Field(default=None, pattern=r"^T-\d{2}-\d{2}$")
    """A day in year T, e.g. ``T-01-01`` for "on 1 January"."""

    @model_validator(mode="after")
    def _one_kind(self) -> Reference:
        if (self.year is None) == (self.date is None):
            raise ValueError("a reference has exactly one of year, date")
        return self


class Input(_Frozen):
    type: Literal["cents", "integer", "boolean", "date", "text"]
    description: Text
    reference: Reference | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    predicates: list[Predicate] = Field(default_factory=list)
    self_declared: bool = False
    """The law uses a figure no agency attests yet (this year's income): the citizen may
    declare an estimate, and the outcome says it rests on one."""
    minimum: int | None = None
    """For ``cents`` and ``integer`` inputs: values below it are refused (a count of children
    is never negative)."""

    @model_validator(mode="after")
    def _has_a_source(self) -> Input:
        if not (self.evidence or self.predicates or self.self_declared):
            raise ValueError("an input needs evidence, a predicate, or self_declared: true")
        return self


Expression = Any
"""An expression tree (see ``specs/rules/expressions.py``); checked when compiled."""


class Definition(_Frozen):
    legal_basis: LegalBasis
    expr: Expression


class Requirement(_Frozen):
    """A node of the requirement tree: a test, or ``all``/``any`` of child requirements."""

    id: str = Field(pattern=IDENTIFIER)
    legal_basis: LegalBasis
    test: Expression = None
    all: list[Requirement] | None = None
    any: list[Requirement] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Requirement:
        kinds = [k for k in (self.test, self.all, self.any) if k is not None]
        if len(kinds) != 1:
            raise ValueError(f"requirement {self.id}: exactly one of test, all, any")
        return self


class Output(_Frozen):
    legal_basis: LegalBasis
    expr: Expression


class Margin(_Frozen):
    """A near miss: requirement ``requirement`` failed, but ``input`` exceeds ``limit`` by at
    most ``within_cents``."""

    requirement: str = Field(pattern=IDENTIFIER)
    input: str = Field(pattern=IDENTIFIER)
    limit: Expression
    within_cents: int = Field(gt=0)


class Circumstance(_Frozen):
    """A circumstance under which the authority must weigh a tailored solution.

    ``sets_aside`` names the requirements a tailored assessment may set aside in this
    circumstance; the others still apply (a hardship clause cannot create a child or an
    insurance), so a case is referred only if it passes once those are set aside.
    """

    id: str = Field(pattern=IDENTIFIER)
    input: str = Field(pattern=IDENTIFIER)
    equals: bool | int | str
    sets_aside: list[str] = Field(min_length=1)


class Hardship(_Frozen):
    """When "not eligible by the rule" becomes "hardship clause may apply: refer"."""

    legal_basis: LegalBasis
    margins: list[Margin] = Field(default_factory=list)
    circumstances: list[Circumstance] = Field(default_factory=list)


class Texts(_Frozen):
    eligible: Text
    not_eligible: Text
    unknown: Text
    refer_hardship: Text | None = None


class Regulation(_Frozen):
    """One version of one regulation, as decided by one authority from ``valid_from``."""

    id: str = Field(pattern=IDENTIFIER)
    name: Text
    authority: str = Field(min_length=1)
    legal_basis: LegalBasis
    valid_from: dt.date
    valid_until: dt.date | None = None
    discoverable: bool
    texts: Texts
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    inputs: dict[str, Input]
    definitions: dict[str, Definition] = Field(default_factory=dict)
    requirements: Requirement
    amount: Output | None = None
    hardship: Hardship | None = None

    @field_validator("parameters", "inputs", "definitions")
    @classmethod
    def _identifiers(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not re.fullmatch(IDENTIFIER, name):
                raise ValueError(f"not an identifier: {name!r}")
        return value

    @model_validator(mode="after")
    def _period(self) -> Regulation:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until precedes valid_from")
        return self

    @property
    def year(self) -> int:
        """T: the year the regulation's figures apply to."""
        return self.valid_from.year
