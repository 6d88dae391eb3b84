"""A case form laid out for reading and filing: the profile, every section with each
question, its answer, reasons and evidence, the queries raised on it, and the workflow
history. Plain text only; how it is printed is for the writer (``app.io.case_pdf``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.core.answers import AnswerRecord
from app.core.case_events import CASE_EVENT
from app.core.dto import CaseEventRecord, CaseSummary, QueryThread
from app.core.export import DOES_NOT_APPLY, display
from app.core.form import FormState
from app.core.frameworks import STAGE_LABELS, Framework, QuestionType
from app.core.profile import PROFILE_FIELDS
from app.core.queries import QUERY_KIND
from app.core.workflow import CASE_STATUS

NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class DocumentQuestion:
    number: str
    text: str
    answer: str
    applies: bool
    reasons: str = ""
    evidence: str = ""
    queries: tuple[tuple[str, str, str], ...] = ()  # (heading, when and who, text)


@dataclass(frozen=True)
class DocumentSection:
    title: str
    stage: str
    questions: tuple[DocumentQuestion, ...]


@dataclass(frozen=True)
class CaseDocument:
    title: str
    subtitle: str
    profile: tuple[tuple[str, str], ...]
    sections: tuple[DocumentSection, ...]
    history: tuple[tuple[str, str, str, str], ...]  # (when, who, what, note)
    produced: str


def case_document(*, framework: Framework, case: CaseSummary, inspection_name: str,
                  answers: Mapping[str, AnswerRecord], state: FormState,
                  queries: Sequence[QueryThread], events: Sequence[CaseEventRecord],
                  produced_by: str, produced_at: dt.datetime,
                  age_band: str | None = None) -> CaseDocument:
    """The document; ``age_band`` is shown in the profile of a pseudonymised one (whose case
    comes with its pseudonym for a reference and no date of birth)."""
    threads: dict[str, list[QueryThread]] = {}
    for thread in queries:
        threads.setdefault(thread.question_key, []).append(thread)
    sections, numbers = [], framework.numbers
    for section in framework.sections:
        items = []
        for question in section.questions:
            status = state.questions[question.key]
            record = answers.get(question.key)
            items.append(DocumentQuestion(
                number=numbers[question.key], text=question.text,
                answer=_answer(question, record) if status.applicable else DOES_NOT_APPLY,
                applies=status.applicable,
                reasons="; ".join(question.option_label(r) for r in record.reasons)
                if record else "",
                evidence=record.evidence if record else "",
                queries=tuple((QUERY_KIND.label(m.kind), f"{_when(m.at)}, {m.by}", m.text)
                              for t in threads.get(question.key, []) for m in t.messages)))
        sections.append(DocumentSection(section.title, STAGE_LABELS.get(section.stage, ""),
                                        tuple(items)))
    profile = [("Reference", case.reference), ("Status", CASE_STATUS.label(case.status)),
               ("Progress", f"{case.answered} of {case.applicable} questions answered")]
    for field in PROFILE_FIELDS:
        value = getattr(case.profile, field.name)
        if value:
            text = (field.vocabulary.label(value) if field.vocabulary
                    else f"{value:%d/%m/%Y}" if isinstance(value, dt.date) else str(value))
            profile.append((field.label, text))
    if age_band is not None:
        profile.append(("Age band", age_band))
    history = tuple(
        (_when(e.at), e.by,
         CASE_EVENT.label(e.action)
         + (f" ({CASE_STATUS.label(e.from_status)} → {CASE_STATUS.label(e.to_status)})"
            if e.from_status != e.to_status else ""),
         e.note)
        for e in events)
    return CaseDocument(
        title=f"Case {case.reference}", subtitle=f"{inspection_name} · {framework.label}",
        profile=tuple(profile), sections=tuple(sections), history=history,
        produced=f"Produced {_when(produced_at)} by {produced_by}")


def _answer(question, record: AnswerRecord | None) -> str:
    if record is None or record.value is None:
        return NOT_ANSWERED
    if question.type == QuestionType.NEED_MATRIX and isinstance(record.value, dict):
        return "; ".join(f"{question.option_label(row)}: {display(question, value)}"
                         for row, value in record.value.items())
    shown = display(question, record.value)
    return shown.strftime("%d %B %Y") if isinstance(shown, dt.date) else str(shown)


def _when(at: dt.datetime) -> str:
    local = at.astimezone() if at.tzinfo else at
    return local.strftime("%d %b %Y %H:%M")
