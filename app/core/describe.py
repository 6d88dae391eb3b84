"""Applicability rules in plain words, so an inspector can see why a question does not apply."""

from __future__ import annotations

from app.core.conditions import Condition
from app.core.frameworks import Framework
from app.core.profile import PROFILE_FIELD_BY_NAME

MAX_QUOTE = 70


def describe_condition(condition: Condition, framework: Framework) -> str:
    if condition.kind in ("all", "any"):
        joiner = " and " if condition.kind == "all" else " or "
        return joiner.join(describe_condition(c, framework) for c in condition.children)
    if condition.kind == "not":
        return f"not ({describe_condition(condition.children[0], framework)})"
    if condition.kind == "profile":
        field = PROFILE_FIELD_BY_NAME[condition.subject]
        name = field.label.lower()
        label = field.vocabulary.label if field.vocabulary else str
        return _sentence(name, condition, label)
    question = framework.question(condition.subject)
    text = question.text if len(question.text) <= MAX_QUOTE \
        else question.text[:MAX_QUOTE].rstrip() + "…"
    return _sentence(f"the answer to “{text}”", condition, question.option_label)


def _sentence(subject: str, condition: Condition, label) -> str:
    test, value = condition.test, condition.value
    if test == "answered":
        return f"{subject} is {'given' if value else 'not given'}"
    if test == "includes":
        return f"{subject} includes {label(value)}"
    if test == "equals":
        return f"{subject} is {label(value)}"
    words = " or ".join(label(v) for v in value)
    return f"{subject} is {'not ' if test == 'not_in' else ''}{words}"
