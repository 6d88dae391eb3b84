"""Applicability rules: a small declarative condition language, never ``eval``.

A condition is a JSON object of one of these shapes::

    {"profile": "phase", "in": ["custody", "licence"]}
    {"profile": "gender", "equals": "female"}
    {"profile": "rosh", "not_in": ["low"]}
    {"answer": "victim_identified", "equals": "yes"}
    {"answer": "needs_identified", "includes": "accommodation"}
    {"answer": "previous_question", "answered": true}
    {"all": [<condition>, ...]}, {"any": [<condition>, ...]}, {"not": <condition>}

A condition on an answer that has not been given is false, so a follow-up question only
becomes applicable once the question it depends on has been answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_TESTS = ("equals", "in", "not_in", "includes", "answered")


@dataclass(frozen=True)
class Condition:
    """A parsed condition. ``kind`` is profile, answer, all, any or not."""

    kind: str
    subject: str = ""
    test: str = ""
    value: object = None
    children: tuple[Condition, ...] = ()

    def evaluate(self, profile: Mapping[str, object], answers: Mapping[str, object]) -> bool:
        if self.kind == "all":
            return all(c.evaluate(profile, answers) for c in self.children)
        if self.kind == "any":
            return any(c.evaluate(profile, answers) for c in self.children)
        if self.kind == "not":
            return not self.children[0].evaluate(profile, answers)
        source = profile if self.kind == "profile" else answers
        return _apply_test(self.test, source.get(self.subject), self.value)

    def references(self, kind: str) -> list[str]:
        """Every profile field or answer key this condition reads."""
        if self.children:
            return [ref for c in self.children for ref in c.references(kind)]
        return [self.subject] if self.kind == kind else []

    def leaves(self) -> list[Condition]:
        if self.children:
            return [leaf for c in self.children for leaf in c.leaves()]
        return [self]


def _apply_test(test: str, actual: object, expected: object) -> bool:
    if test == "answered":
        return (actual is not None) == bool(expected)
    if actual is None:
        return False
    if test == "equals":
        return actual == expected
    if test == "in":
        return actual in expected  # type: ignore[operator]
    if test == "not_in":
        return actual not in expected  # type: ignore[operator]
    if test == "includes":
        return isinstance(actual, list | tuple) and expected in actual
    raise AssertionError(f"unknown test {test}")


class ConditionSyntaxError(ValueError):
    """The condition does not have one of the allowed shapes."""


#: how deep conditions may be nested ("all" within "not" within "any"...): far more than
#: any rule a person writes, and few enough that reading one never runs out of stack
MOST_DEPTH = 12


def parse_condition(raw: object, depth: int = 0) -> Condition:
    """Parse a JSON condition, raising ``ConditionSyntaxError`` naming what is wrong."""
    if depth > MOST_DEPTH:
        raise ConditionSyntaxError(f"the rule is nested more than {MOST_DEPTH} deep; write "
                                   "it more simply")
    if not isinstance(raw, dict):
        raise ConditionSyntaxError(f"a condition must be an object, not {raw!r}")
    for combinator in ("all", "any"):
        if combinator in raw:
            _only_keys(raw, {combinator})
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionSyntaxError(f"'{combinator}' needs a non-empty list of conditions")
            return Condition(combinator, children=tuple(parse_condition(i, depth + 1)
                                                        for i in items))
    if "not" in raw:
        _only_keys(raw, {"not"})
        return Condition("not", children=(parse_condition(raw["not"], depth + 1),))
    for kind in ("profile", "answer"):
        if kind in raw:
            return _parse_leaf(kind, raw)
    raise ConditionSyntaxError(
        f"a condition needs one of 'profile', 'answer', 'all', 'any' or 'not', got {sorted(raw)}"
    )


def _parse_leaf(kind: str, raw: dict) -> Condition:
    subject = raw[kind]
    if not isinstance(subject, str) or not subject:
        raise ConditionSyntaxError(f"'{kind}' must name a field or question key")
    tests = [t for t in _TESTS if t in raw]
    if len(tests) != 1:
        raise ConditionSyntaxError(
            f"a '{kind}' condition needs exactly one of {', '.join(_TESTS)}"
        )
    test = tests[0]
    _only_keys(raw, {kind, test})
    value = raw[test]
    if test in ("in", "not_in") and (not isinstance(value, list) or not value):
        raise ConditionSyntaxError(f"'{test}' needs a non-empty list of values")
    if test == "answered" and not isinstance(value, bool):
        raise ConditionSyntaxError("'answered' must be true or false")
    if test == "includes" and kind == "profile":
        raise ConditionSyntaxError("'includes' applies to multiple-choice answers only")
    if isinstance(value, list):
        value = tuple(value)
    return Condition(kind, subject=subject, test=test, value=value)


def _only_keys(raw: dict, allowed: set[str]) -> None:
    extra = set(raw) - allowed
    if extra:
        raise ConditionSyntaxError(f"unexpected {sorted(extra)} beside {sorted(allowed)}")


def expected_values(condition: Condition) -> list[object]:
    """The literal values a leaf compares against (for checking them against vocabularies)."""
    if condition.test in ("in", "not_in"):
        return list(condition.value)  # type: ignore[arg-type]
    if condition.test in ("equals", "includes"):
        return [condition.value]
    return []


