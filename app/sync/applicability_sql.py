"""The laptop's rules for which questions apply (``app.core.conditions``, ``app.core.form``),
written as SQL, so that the central store counts a key question only where the laptop would.

A question applies when its condition holds over the case's profile and the answers that
count: those given to earlier questions (in the framework's order) that themselves apply.
A need matrix applies where at least one of its rows does: all its rows, or those chosen in
the answer its rows come from. For each framework version, every question the key questions
depend on, directly or through others, is worked out once a case in a chain of lateral
subqueries, in the framework's order, each reading the ones before it; the answers they read
come as one JSON object a case (``refs``). Every value is bound as a parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.conditions import Condition
from app.core.frameworks import Framework, Question, QuestionType
from app.core.profile import PROFILE_FIELDS

#: the case's profile as conditions read it: its columns, and those whose values are text
PROFILE_COLUMNS = {f.name for f in PROFILE_FIELDS}
TEXT_PROFILE = {f.name for f in PROFILE_FIELDS if not f.is_date}
#: JSON of an answer that is not given (``app.core.answers.is_given``)
_NOT_GIVEN = "('null', '\"\"', '[]', '{}')"


@dataclass
class Applicability:
    """SQL for one framework version: ``laterals`` follow the case in a FROM list (aliases
    ``c`` for the case, ``refs`` for its answers as JSON); ``applies[key]`` and
    ``rows[key]`` are expressions over them."""

    laterals: list[str] = field(default_factory=list)
    #: each key question's "it applies" (a boolean, never null)
    applies: dict[str, str] = field(default_factory=dict)
    #: each need-matrix key question's applicable rows, as a JSON array (or None: all)
    rows: dict[str, str | None] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    #: the answers the rules read
    referenced: set[str] = field(default_factory=set)


def needed(framework: Framework, keys: Iterable[str]) -> list[Question]:
    """The questions ``keys`` depend on for whether they apply, with themselves, in the
    framework's order."""
    wanted = set(keys)
    by_key = {q.key: q for q in framework.questions()}
    stack = [k for k in wanted if k in by_key]
    while stack:
        question = by_key[stack.pop()]
        for ref in _reads(question):
            if ref in by_key and ref not in wanted:
                wanted.add(ref)
                stack.append(ref)
    return [q for q in framework.questions() if q.key in wanted]


def _reads(question: Question) -> list[str]:
    refs = question.applies_if.references("answer") if question.applies_if else []
    return [*refs, question.rows_from] if question.rows_from else refs


def applicability(framework: Framework, keys: Iterable[str], tag: str) -> Applicability:
    """The SQL of whether each of ``keys`` applies for a case of ``framework``; ``tag``
    keeps its aliases and parameters apart from another version's."""
    built = Applicability()
    order = {q.key: n for n, q in enumerate(framework.questions())}
    names: dict[str, str] = {}  # question key -> its lateral's column
    bound: dict[str, str] = {}  # a value's JSON -> its parameter
    seen: dict[str, str] = {}  # an answer's key -> the column of it as rules see it
    worked_out: dict[str, str] = {}  # a condition's SQL -> the column it is worked out in

    def bind(value: object) -> str:
        """A parameter for ``value``, one for each value however often it is used."""
        token = json.dumps([type(value).__name__, value])
        if token not in bound:
            bound[token] = f"{tag}_p{len(bound)}"
            built.params[bound[token]] = value
        return f":{bound[token]}"

    def lateral(expression: str, name: str, prefix: str) -> str:
        """``expression`` worked out once a case, in a lateral of its own (OFFSET 0 keeps
        it from being worked out again wherever it is read)."""
        alias = f"{tag}_{prefix}{len(built.laterals)}"
        built.laterals.append(f"LATERAL (SELECT {expression} AS {name} OFFSET 0) {alias}")
        return f"{alias}.{name}"

    for question in needed(framework, keys):
        def visible(ref: str, asking: Question = question) -> str:
            """The answer to ``ref`` as a condition of ``asking`` sees it (JSON or NULL)."""
            if ref not in names or order.get(ref, 10**6) >= order[asking.key]:
                return "NULL::jsonb"  # a later question, or none: never seen
            if ref not in seen:
                built.referenced.add(ref)
                raw = f"(refs.answers -> CAST({bind(ref)} AS text))"
                seen[ref] = lateral(
                    f"CASE WHEN {names[ref]} AND {raw} IS NOT NULL AND {raw}::text NOT IN "
                    f"{_NOT_GIVEN} THEN {raw} END", "seen", "s")
            return seen[ref]

        condition = ("true" if question.applies_if is None
                     else _condition(question.applies_if, visible, bind))
        rows = None
        if question.type == QuestionType.NEED_MATRIX:
            codes = json.dumps([r.code for r in question.rows])
            if question.rows_from:
                chosen = visible(question.rows_from)
                rows = lateral(
                    f"(SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM "
                    f"jsonb_array_elements(CAST({bind(codes)} AS jsonb)) AS e WHERE "
                    f"coalesce(jsonb_typeof({chosen}) = 'array' AND {chosen} @> "
                    f"jsonb_build_array(e), false))", "rows", "r")
                condition = f"({condition}) AND jsonb_array_length({rows}) > 0"
            else:
                rows = f"CAST({bind(codes)} AS jsonb)"
                condition = f"({condition}) AND {bool(question.rows)}"
        if condition == "true":
            names[question.key] = "true"
        else:  # questions under the same rule share its working out
            if condition not in worked_out:
                worked_out[condition] = lateral(f"coalesce({condition}, false)", "ok", "a")
            names[question.key] = worked_out[condition]
        if question.key in keys:
            built.applies[question.key] = names[question.key]
            if rows is not None:
                built.rows[question.key] = rows
    return built


def _condition(condition: Condition, visible, bind) -> str:
    """A condition as a SQL boolean that is never null (as the laptop's is true or false)."""
    if condition.kind in ("all", "any"):
        joined = f" {'AND' if condition.kind == 'all' else 'OR'} ".join(
            f"({_condition(c, visible, bind)})" for c in condition.children)
        return joined or ("true" if condition.kind == "all" else "false")
    if condition.kind == "not":
        return f"NOT ({_condition(condition.children[0], visible, bind)})"
    if condition.kind == "profile":
        return _profile_test(condition, bind)
    return _answer_test(condition, visible(condition.subject), bind)


def _profile_test(condition: Condition, bind) -> str:
    subject, test, expected = condition.subject, condition.test, condition.value
    if subject not in PROFILE_COLUMNS:
        return "true" if test == "answered" and not expected else "false"
    column = f"c.{subject}"
    if test == "answered":
        return f"({column} IS NOT NULL) = {bool(expected)}"
    if test == "includes":
        return "false"  # a profile value is never a list
    texts = [v for v in (expected if test in ("in", "not_in") else [expected])
             if isinstance(v, str)] if subject in TEXT_PROFILE else []
    inside = (f"{column}::text IN ({', '.join(bind(v) for v in texts)})" if texts
              else "false")
    if test == "not_in":
        return f"({column} IS NOT NULL AND NOT coalesce({inside}, false))"
    return f"coalesce({column} IS NOT NULL AND {inside}, false)"


def _answer_test(condition: Condition, seen: str, bind) -> str:
    test, expected = condition.test, condition.value
    if test == "answered":
        return f"({seen} IS NOT NULL) = {bool(expected)}"
    if test == "includes":
        return (f"coalesce(jsonb_typeof({seen}) = 'array' AND {seen} @> jsonb_build_array("
                f"CAST({bind(_json(expected))} AS jsonb)), false)")
    values = expected if test in ("in", "not_in") else [expected]
    inside = (f"{seen} IN ({', '.join(f'CAST({bind(_json(v))} AS jsonb)' for v in values)})"
              if values else "false")
    if test == "not_in":
        return f"({seen} IS NOT NULL AND NOT coalesce({inside}, false))"
    return f"coalesce({seen} IS NOT NULL AND {inside}, false)"


def _json(value: object) -> str:
    return json.dumps(value.isoformat() if isinstance(value, dt.date) else value)
