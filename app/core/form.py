"""The state of one case form: which questions apply, what is answered, what is missing.

This is the navigation table behind the case form. It holds no Qt: the window asks it for
section completion marks, "next unanswered" and "check for errors" and only draws the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.core.answers import AnswerRecord, is_given, needs_evidence, needs_reasons
from app.core.frameworks import Framework, Question, QuestionType, Stage


class ProblemKind(StrEnum):
    UNANSWERED = "unanswered"
    REASONS_MISSING = "reasons_missing"
    EVIDENCE_MISSING = "evidence_missing"


#: What each problem asks of the inspector, as the form and the errors list show it.
PROBLEM_TEXT = {
    ProblemKind.UNANSWERED: "Not answered",
    ProblemKind.REASONS_MISSING: "Choose at least one reason for the No",
    ProblemKind.EVIDENCE_MISSING: "Add an evidence note",
}


@dataclass(frozen=True)
class FormProblem:
    question_key: str
    section_key: str
    kind: ProblemKind
    text: str  # the question's wording


@dataclass(frozen=True)
class QuestionStatus:
    key: str
    section_key: str
    applicable: bool
    answered: bool
    counted: bool
    applicable_rows: tuple[str, ...] = ()
    problems: tuple[FormProblem, ...] = ()

    @property
    def answered_in_full(self) -> bool:
        """Counted, and answered wholly (every applicable row of a matrix, for one). A
        question not answered has that problem alone (``_question_status``)."""
        return self.counted and self.answered and not (
            self.problems and self.problems[0].kind == ProblemKind.UNANSWERED)


@dataclass(frozen=True)
class SectionStatus:
    key: str
    title: str
    stage: Stage
    applicable: int
    answered: int
    problems: int

    @property
    def complete(self) -> bool:
        return self.problems == 0

    @property
    def started(self) -> bool:
        return self.answered > 0


@dataclass(frozen=True)
class FormState:
    questions: Mapping[str, QuestionStatus]
    sections: tuple[SectionStatus, ...]

    @property
    def applicable_count(self) -> int:
        return sum(s.applicable for s in self.sections)  # every question is in a section

    @property
    def answered_count(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def percent(self) -> int:
        total = self.applicable_count
        return 100 if total == 0 else int(100 * self.answered_count / total)

    def problems(self) -> list[FormProblem]:
        return [p for q in self.questions.values() for p in q.problems]

    def unanswered(self) -> list[str]:
        return [q.key for q in self.questions.values()
                if any(p.kind == ProblemKind.UNANSWERED for p in q.problems)]

    def next_unanswered(self, after: str | None = None) -> str | None:
        """The first question after ``after`` (wrapping round) that still has a problem."""
        keys = [q.key for q in self.questions.values() if q.problems]
        if not keys:
            return None
        order = list(self.questions)
        start = order.index(after) + 1 if after in self.questions else 0
        for key in order[start:] + order[:start]:
            if key in keys:
                return key
        return None


def evaluate_form(framework: Framework, profile: Mapping[str, object],
                  answers: Mapping[str, AnswerRecord]) -> FormState:
    """Work out applicability and completeness of every question, in framework order.

    Answers to questions that do not apply are kept in storage but ignored here, so a
    condition never depends on a hidden answer.
    """
    visible: dict[str, object] = {}
    statuses: dict[str, QuestionStatus] = {}
    for question in framework.questions():
        record = answers.get(question.key)
        status = _question_status(question, profile, visible, record)
        statuses[question.key] = status
        if status.applicable and status.answered:  # the record's value is given
            visible[question.key] = record.value
    sections = tuple(_section_status(s.key, s.title, s.stage, statuses, s.questions)
                     for s in framework.sections)
    return FormState(questions=statuses, sections=sections)


def deciding_questions(framework: Framework, keys: Iterable[str]) -> tuple[Question, ...]:
    """The questions whose applicability decides that of ``keys``: they, the questions
    their rules read and the choices their rows follow (and so on back), in framework
    order."""
    by_key = {q.key: q for q in framework.questions()}
    wanted: set[str] = set()
    waiting = list(keys)
    while waiting:
        key = waiting.pop()
        if key in wanted or key not in by_key:
            continue
        wanted.add(key)
        question = by_key[key]
        if question.applies_if is not None:
            waiting += question.applies_if.references("answer")
        if question.rows_from:
            waiting.append(question.rows_from)
    return tuple(q for q in framework.questions() if q.key in wanted)


def applicability_of(questions: Sequence[Question], profile: Mapping[str, object],
                     answers: Mapping[str, AnswerRecord]) -> FormState:
    """Whether each of ``questions`` (``deciding_questions``) applies and which of its rows,
    exactly as ``evaluate_form`` works them out, without the rest of the form: what the
    ratings read of a case. Nothing else is worked out (whether a question is answered,
    problems, sections): the case's answers say what it answered."""
    return FormState(questions=_applicability(questions, profile, answers)[0], sections=())


def _applicability(questions: Sequence[Question], profile: Mapping[str, object],
                   answers: Mapping[str, AnswerRecord]
                   ) -> tuple[dict[str, QuestionStatus], dict[str, object]]:
    """The statuses, and the answers that count (for the rules that read them)."""
    visible: dict[str, object] = {}
    statuses: dict[str, QuestionStatus] = {}
    for question in questions:
        record = answers.get(question.key)
        applicable, rows = applicability(question, profile, visible)
        statuses[question.key] = _status(question, applicable, rows)
        if applicable and record is not None and is_given(record.value):
            visible[question.key] = record.value
    return statuses, visible


def _status(question: Question, applicable: bool, rows: tuple[str, ...]) -> QuestionStatus:
    if applicable:
        return QuestionStatus(question.key, question.section_key, True, False,
                              question.required, rows)
    return QuestionStatus(question.key, question.section_key, False, False, False)


class Applicability:
    """Whether ``keys`` (the key questions, say) apply to case after case, each different
    set of what decides it (the profile fields and answers their rules read) worked out
    once: an inspection's cases share a few dozen such sets between thousands of them. A
    need matrix whose rows follow a multiple choice no rule reads has its rows worked out
    for each case (the choices differ from case to case). ``state`` gives
    ``applicability_of``'s answer."""

    def __init__(self, framework: Framework, keys: Iterable[str]):
        self.questions = deciding_questions(framework, keys)
        rules = [q.applies_if for q in self.questions if q.applies_if is not None]
        read = {k for rule in rules for k in rule.references("answer")}
        #: matrices whose rows are the case's own: no rule reads them
        self._own_rows = tuple(q for q in self.questions if q.type == QuestionType.NEED_MATRIX
                               and q.rows_from and q.key not in read)
        own = {q.key for q in self._own_rows}
        self._fields = tuple(sorted({f for rule in rules for f in rule.references("profile")}))
        self._answers = tuple(sorted(read | {q.rows_from for q in self.questions
                                             if q.rows_from and q.key not in own}))
        self._known: dict[tuple, tuple[dict[str, QuestionStatus], dict[str, object]]] = {}

    def state(self, profile: Mapping[str, object],
              answers: Mapping[str, AnswerRecord]) -> FormState:
        found = (tuple(profile.get(f) for f in self._fields),
                 tuple(_frozen(answers[k].value) if k in answers else None
                       for k in self._answers))
        known = self._known.get(found)
        if known is None:
            known = self._known[found] = _applicability(self.questions, profile, answers)
        statuses, visible = known
        if self._own_rows:
            statuses = dict(statuses)
            for question in self._own_rows:
                holds = question.applies_if is None or question.applies_if.evaluate(
                    profile, visible)
                source = statuses.get(question.rows_from)
                record = answers.get(question.rows_from)
                chosen = record.value if (source is not None and source.applicable
                                          and record is not None
                                          and is_given(record.value)) else ()
                rows = tuple(r.code for r in question.rows if r.code in (chosen or ()))
                statuses[question.key] = _status(question, holds and bool(rows),
                                                 rows if holds else ())
        return FormState(questions=statuses, sections=())


def _frozen(value: object) -> object:
    """A value as a key: lists and mappings as tuples."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def applicability(question: Question, profile: Mapping[str, object],
                  visible: Mapping[str, object]) -> tuple[bool, tuple[str, ...]]:
    """Whether a question applies given the profile and the earlier answers that count,
    and for a need-area matrix which rows apply."""
    applicable = question.applies_if is None or question.applies_if.evaluate(profile, visible)
    rows: tuple[str, ...] = ()
    if applicable and question.type == QuestionType.NEED_MATRIX:
        rows = _applicable_rows(question, visible)
        applicable = bool(rows)
    return applicable, rows


def _question_status(question: Question, profile: Mapping[str, object],
                     visible: Mapping[str, object], record: AnswerRecord | None) -> QuestionStatus:
    applicable, rows = applicability(question, profile, visible)
    value = record.value if record is not None else None
    answered = is_given(value)
    if not applicable:
        return QuestionStatus(question.key, question.section_key, False, answered, False)
    if question.type == QuestionType.NEED_MATRIX and isinstance(value, dict):
        # rows kept from an earlier answer but no longer applicable do not count
        value = {row: cell for row, cell in value.items() if row in rows}
    problems = []
    if question.required and not _complete(question, value, rows):
        problems.append(ProblemKind.UNANSWERED)
    elif answered:
        if needs_reasons(question, value) and not record.reasons:
            problems.append(ProblemKind.REASONS_MISSING)
        if needs_evidence(question, value) and not record.evidence.strip():
            problems.append(ProblemKind.EVIDENCE_MISSING)
    return QuestionStatus(
        question.key, question.section_key, True, answered, question.required, rows,
        tuple(FormProblem(question.key, question.section_key, kind, question.text)
              for kind in problems) if problems else (),
    )


def _applicable_rows(question: Question, visible: Mapping[str, object]) -> tuple[str, ...]:
    codes = tuple(r.code for r in question.rows)
    if not question.rows_from:
        return codes
    selected = visible.get(question.rows_from) or ()
    return tuple(c for c in codes if c in selected)


def _complete(question: Question, value: object, rows: tuple[str, ...]) -> bool:
    if question.type == QuestionType.NEED_MATRIX:
        return isinstance(value, dict) and all(value.get(r) for r in rows)
    return is_given(value)


def _section_status(key: str, title: str, stage: Stage, statuses: Mapping[str, QuestionStatus],
                    questions) -> SectionStatus:
    applicable = answered = problems = 0
    for question in questions:
        status = statuses[question.key]
        applicable += status.counted
        answered += status.answered_in_full
        problems += len(status.problems)
    return SectionStatus(key=key, title=title, stage=stage, applicable=applicable,
                         answered=answered, problems=problems)
