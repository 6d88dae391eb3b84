"""What goes into an analysts' workbook: one row per case, one row per answer, the
practitioner interviews, practice examples, and a summary that can be recomputed from them.

An answer the inspector gave as "Not applicable" and a question that does not apply to the
case are different things and are written differently; an unanswered question is blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from app.core.answers import AnswerRecord
from app.core.dto import CaseSummary, PracticeExampleRecord
from app.core.form import FormState
from app.core.frameworks import (
    NO,
    STAGE_LABELS,
    YES,
    Framework,
    Question,
    QuestionType,
    Respondent,
)
from app.core.practice import EXAMPLE_KIND, SPEAKER_ROLE
from app.core.profile import ETHNICITY, PROFILE_FIELDS
from app.core.workflow import CASE_STATUS, SAMPLE_STATUS

DOES_NOT_APPLY = "Does not apply"
ALL_CASES = "All cases"
#: The profile attributes the Summary breaks every figure down by.
BREAKDOWNS = ("provider", "gender", "ethnicity_group", "rosh", "sentence_type", "phase",
              "assignee")
ANSWER_HEADERS = ("reference", "question_key", "question", "stage", "theme", "respondent",
                  "answer", "answer_code", "applies", "reasons", "evidence", "answered_by",
                  "answered_at")


@dataclass(frozen=True)
class AnswerColumn:
    """One column of the Cases sheet: a question, or one need area of a matrix."""

    key: str
    question: Question
    row: str = ""  # need-area code for a matrix column
    wording: str = ""


@dataclass(frozen=True)
class CaseData:
    case: CaseSummary
    answers: Mapping[str, AnswerRecord]
    state: FormState


def answer_columns(framework: Framework) -> list[AnswerColumn]:
    """The answers' columns, each worded with its question's number and text."""
    columns, numbers = [], framework.numbers
    for q in framework.questions():
        if q.type == QuestionType.NEED_MATRIX:
            columns += [AnswerColumn(f"{q.key}.{r.code}", q, r.code,
                                     f"{numbers[q.key]} {q.text} — {r.label}")
                        for r in q.rows]
        else:
            columns.append(AnswerColumn(q.key, q, wording=f"{numbers[q.key]} {q.text}"))
    return columns


def profile_headers(age_band: bool = False) -> list[str]:
    """The profile columns of the Cases sheet; with ``age_band`` (a pseudonymised
    workbook), the age band stands where the date of birth would."""
    return [("age_band" if age_band and f.name == "date_of_birth" else f.name)
            for f in PROFILE_FIELDS if f.name != "assignee"] + ["ethnicity_group"]


def profile_values(case: CaseSummary, age_band: str | None = None) -> list[object]:
    values = []
    for field in PROFILE_FIELDS:
        if field.name == "assignee":
            continue
        if field.name == "date_of_birth" and age_band is not None:
            values.append(age_band)
            continue
        value = getattr(case.profile, field.name)
        values.append(field.vocabulary.label(value) if field.vocabulary and value else value)
    values.append(ethnicity_group(case.profile.ethnicity))
    return values


def ethnicity_group(code: str | None) -> str:
    for choice in ETHNICITY.choices:
        if choice.code == code:
            return choice.group
    return ""


def case_rows(columns: Sequence[AnswerColumn], cases: Sequence[CaseData],
              age_bands: Mapping[object, str] | None = None) -> Iterator[list]:
    """One row per case; ``age_bands`` (by case id) in place of dates of birth."""
    for data in cases:
        c = data.case
        band = age_bands[c.id] if age_bands is not None else None
        row: list[object] = [c.reference, *profile_values(c, band), CASE_STATUS.label(c.status),
                             SAMPLE_STATUS.label(c.sample_status) if c.sample_status else "",
                             c.profile.assignee or "", c.percent / 100]
        row += [cell_text(col, data) for col in columns]
        yield row


def cell_text(column: AnswerColumn, data: CaseData) -> object:
    """The answer as the Cases sheet shows it: the answer, "Does not apply", or blank."""
    applies, value = _column_value(column, data)
    return display(column.question, value) if applies else DOES_NOT_APPLY


def _column_value(column: AnswerColumn, data: CaseData) -> tuple[bool, object]:
    """Whether the column's question (or need area) applies to the case, and its answer."""
    status = data.state.questions[column.question.key]
    if not status.applicable or (column.row and column.row not in status.applicable_rows):
        return False, None
    record = data.answers.get(column.question.key)
    value = record.value if record is not None else None
    if column.row:
        value = value.get(column.row) if isinstance(value, dict) else None
    return True, value


def display(question: Question, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(question.option_label(v) for v in value)
    if question.type == QuestionType.DATE:
        return dt.date.fromisoformat(value)
    if isinstance(value, str):
        return question.option_label(value) if question.type != QuestionType.TEXT else value
    return value


def answer_rows(framework: Framework, cases: Sequence[CaseData],
                respondent: Respondent) -> Iterator[list]:
    """Tidy answers: one row per answer (per need area for a matrix), for one respondent."""
    questions = [q for q in framework.questions() if q.respondent == respondent]
    numbers = framework.numbers
    for data in cases:
        for q in questions:
            record = data.answers.get(q.key)
            if record is None or record.value is None:
                continue
            status = data.state.questions[q.key]
            reasons = "; ".join(q.option_label(r) for r in record.reasons)
            cells = (record.value.items() if q.type == QuestionType.NEED_MATRIX
                     else [("", record.value)])
            for row, value in cells:
                applies = status.applicable and (not row or row in status.applicable_rows)
                key = f"{q.key}.{row}" if row else q.key
                wording = f"{numbers[q.key]} {q.text}" + (
                    f" — {q.option_label(row)}" if row else "")
                code = "; ".join(value) if isinstance(value, list) else value
                yield [data.case.reference, key, wording, STAGE_LABELS[q.stage], q.theme,
                       q.respondent.value, display(q, value), code,
                       "Yes" if applies else "No", reasons, record.evidence,
                       record.answered_by, record.answered_at]


def example_rows(examples: Sequence[PracticeExampleRecord],
                 references: Mapping[object, str]) -> Iterator[list]:
    for e in examples:
        yield [references.get(e.case_id, ""), EXAMPLE_KIND.label(e.kind),
               STAGE_LABELS.get(e.stage, e.stage) if e.stage else "", e.theme, e.title,
               SPEAKER_ROLE.label(e.speaker_role) if e.speaker_role else "", e.narrative,
               "Yes" if e.cleared_for_publication else "No", e.updated_by, e.updated_at]


# -- the summary ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryRow:
    key: str
    question: str
    key_question: bool
    breakdown: str  # "All cases" or an attribute name
    group: str  # the attribute's value as written on the Cases sheet
    yes: int
    applicable: int

    @property
    def percent(self) -> float | None:
        return self.yes / self.applicable if self.applicable else None


def counted(value: object) -> bool | None:
    """True for a Yes, False for a No, None when the answer does not count (the question does
    not apply, the inspector answered Not applicable, or there is no answer)."""
    if value == YES:
        return True
    if value == NO:
        return False
    return None


def summarise(framework: Framework, cases: Sequence[CaseData]) -> list[SummaryRow]:
    """For every yes/no question (and need area): Yes among applicable Yes/No answers, for all
    cases and for each group of each breakdown. Key questions (those feeding a standard) come
    first in the All cases block, so a chart can take them in one range."""
    columns = [c for c in answer_columns(framework)
               if c.question.type in (QuestionType.YES_NO, QuestionType.NEED_MATRIX)]
    columns.sort(key=lambda c: not c.question.key_question)
    tallies: dict[tuple[str, str, str], list[int]] = {}
    groups: dict[str, list[str]] = {b: [] for b in BREAKDOWNS}
    for data in cases:
        labels = breakdown_labels(data.case)
        for breakdown, label in labels.items():
            if label not in groups[breakdown]:
                groups[breakdown].append(label)
        for column in columns:
            verdict = counted(answer_code(column, data))
            if verdict is None:
                continue
            for breakdown, label in [(ALL_CASES, ALL_CASES), *labels.items()]:
                tally = tallies.setdefault((column.key, breakdown, label), [0, 0])
                tally[0] += verdict
                tally[1] += 1
    rows = []
    for breakdown in (ALL_CASES, *BREAKDOWNS):
        for label in [ALL_CASES] if breakdown == ALL_CASES else sorted(groups[breakdown]):
            for column in columns:
                yes, n = tallies.get((column.key, breakdown, label), (0, 0))
                rows.append(SummaryRow(column.key, column.wording,
                                       column.question.key_question, breakdown, label, yes, n))
    return rows


def answer_code(column: AnswerColumn, data: CaseData) -> object:
    applies, value = _column_value(column, data)
    return value if applies else None


def breakdown_labels(case: CaseSummary) -> dict[str, str]:
    """Each breakdown's group for a case, as the Cases sheet writes it ("Not recorded" where
    the sheet's cell is blank)."""
    values = dict(zip(profile_headers(), profile_values(case), strict=True))
    values["assignee"] = case.profile.assignee or ""
    return {b: str(values[b] or "Not recorded") for b in BREAKDOWNS}

