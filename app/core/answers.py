"""What a valid answer looks like for each question type, and what an answer still lacks.

Stored values (JSON): yes_no ``"yes" | "no" | "na"``; single_choice a code; multi_choice a
list of codes; need_matrix ``{row code: "yes" | "no" | "na"}``; number an int; date an ISO
``YYYY-MM-DD`` string; text a string. ``None`` means not answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core.frameworks import (
    NO,
    NOT_APPLICABLE,
    YES,
    Evidence,
    Question,
    QuestionType,
)
from app.errors import ValidationError

MAX_TEXT = 20_000
MATRIX_VALUES = (YES, NO, NOT_APPLICABLE)


@dataclass(frozen=True)
class AnswerInput:
    """What the inspector gave for one question."""

    value: object = None
    reasons: tuple[str, ...] = ()
    evidence: str = ""


@dataclass(frozen=True)
class AnswerRecord:
    """One stored answer as the rest of the app sees it."""

    question_key: str
    value: object = None
    reasons: tuple[str, ...] = ()
    evidence: str = ""
    rev: int = 0
    answered_by: str = ""
    answered_at: dt.datetime | None = None

    @property
    def is_answered(self) -> bool:
        return is_given(self.value)

    @property
    def given(self) -> AnswerInput:
        """What was given for the question, as the inspector gives it."""
        return AnswerInput(self.value, tuple(self.reasons), self.evidence)


def is_given(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, (str, list, tuple, dict)):  # a tuple: quicker than a union
        return len(value) > 0
    return True


def normalise_answer(question: Question, given: AnswerInput) -> AnswerInput:
    """Return the canonical form of an answer or raise ``ValidationError`` saying why not."""
    value = _normalise_value(question, given.value)
    reasons = tuple(dict.fromkeys(given.reasons))
    allowed = {r.code for r in question.reasons} if reasons else set()
    unknown = [r for r in reasons if r not in allowed]
    if unknown:
        raise ValidationError(
            f"{question.key}: {', '.join(map(repr, unknown))} is not a reason offered for "
            "this question.",
            "Choose from the reasons listed under the question.",
        )
    if reasons and not has_no(question, value):
        reasons = ()  # reasons only explain a "No"; they go when the answer changes
    evidence = _without_nul(given.evidence or "").strip()
    if len(evidence) > MAX_TEXT:
        raise ValidationError(
            f"{question.key}: the evidence note is {len(evidence):,} characters long.",
            f"Keep it under {MAX_TEXT:,} characters; attach longer material as a practice "
            "example.",
        )
    return AnswerInput(value=value, reasons=reasons, evidence=evidence)


def _normalise_value(question: Question, value: object) -> object:
    if not is_given(value):
        return None
    qtype = question.type
    if qtype == QuestionType.YES_NO:
        allowed = [YES, NO, NOT_APPLICABLE] if question.allow_not_applicable else [YES, NO]
        return _one_of(question, value, allowed)
    if qtype == QuestionType.SINGLE_CHOICE:
        return _one_of(question, value, [o.code for o in question.options])
    if qtype == QuestionType.MULTI_CHOICE:
        if not isinstance(value, list | tuple):
            _invalid(question, value, "a list of options")
        codes = [o.code for o in question.options]
        for item in value:
            _one_of(question, item, codes)
        chosen = sorted(set(value), key=codes.index)
        alone = [o.label for o in question.options if o.exclusive and o.code in chosen]
        if alone and len(chosen) > 1:
            raise ValidationError(
                f"{question.key}: “{alone[0]}” cannot be chosen together with other options.",
                "Choose it on its own, or untick it.",
            )
        return chosen
    if qtype == QuestionType.NEED_MATRIX:
        return _matrix(question, value)
    if qtype == QuestionType.NUMBER:
        return _number(question, value)
    if qtype == QuestionType.DATE:
        return _date(question, value)
    if not isinstance(value, str):
        _invalid(question, value, "text")
    if len(value) > MAX_TEXT:
        _invalid(question, f"{len(value):,} characters", f"at most {MAX_TEXT:,} characters")
    return _without_nul(value).strip() or None


def _without_nul(text: str) -> str:
    """Text as it can be stored anywhere: a NUL character (pasted from another program) is
    no part of what was written, and the central store cannot hold one."""
    return text.replace("\x00", "") if "\x00" in text else text


def _one_of(question: Question, value: object, allowed: list[str]) -> str:
    if value not in allowed:
        _invalid(question, value, "one of " + ", ".join(allowed))
    return value  # type: ignore[return-value]


def _matrix(question: Question, value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        _invalid(question, value, "a value for each need area")
    rows = [r.code for r in question.rows]
    cleaned = {}
    for row, cell in value.items():
        _one_of(question, row, rows)
        if cell is None:
            continue
        _one_of(question, cell, list(MATRIX_VALUES))
        cleaned[row] = cell
    return {r: cleaned[r] for r in rows if r in cleaned} or None


def _number(question: Question, value: object) -> int:
    if isinstance(value, bool):
        _invalid(question, value, "a whole number")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            _invalid(question, value, "a whole number")
    if not isinstance(value, int):
        _invalid(question, value, "a whole number")
    if question.minimum is not None and value < question.minimum:
        _invalid(question, value, f"a number of at least {question.minimum}")
    if question.maximum is not None and value > question.maximum:
        _invalid(question, value, f"a number no more than {question.maximum}")
    return value


def _date(question: Question, value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        _invalid(question, value, "a date (YYYY-MM-DD)")
    raise AssertionError


def _invalid(question: Question, value: object, expected: str) -> None:
    raise ValidationError(
        f"{question.key}: {value!r} is not a valid answer; expected {expected}.",
        "Choose or type one of the allowed answers.",
    )


def has_no(question: Question, value: object) -> bool:
    """Whether the answer is, or for a need-area matrix contains, a "No"."""
    if question.type == QuestionType.YES_NO:
        return value == NO
    if question.type == QuestionType.NEED_MATRIX and isinstance(value, dict):
        return NO in value.values()
    return False


def needs_reasons(question: Question, value: object) -> bool:
    """A "No" judgement must say why (from the structured reasons)."""
    return bool(question.reasons) and question.judgement and has_no(question, value)


def needs_evidence(question: Question, value: object) -> bool:
    if question.evidence == Evidence.REQUIRED:
        return True
    return question.evidence == Evidence.REQUIRED_ON_NO and has_no(question, value)
