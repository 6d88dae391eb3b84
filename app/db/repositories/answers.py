"""Answers, read as plain records (one case, many cases, a whole inspection)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from app.core.answers import AnswerInput, AnswerRecord
from app.db import models as m
from app.db.bookkeeping import set_changed


def _answer_record(row: m.Answer) -> AnswerRecord:
    return AnswerRecord(
        question_key=row.question_key, value=row.value, reasons=tuple(row.reasons or ()),
        evidence=row.evidence or "", rev=row.rev, answered_by=row.updated_by,
        answered_at=row.updated_at,
    )


def _answer_rows(session: Session, case_id: uuid.UUID) -> dict[str, m.Answer]:
    rows = session.scalars(select(m.Answer).where(m.Answer.case_id == case_id))
    return {row.question_key: row for row in rows}


def answer_records_for_case(session: Session, case_id: uuid.UUID) -> dict[str, AnswerRecord]:
    """The answers of one case, by question, as records."""
    return {key: _answer_record(row) for key, row in _answer_rows(session, case_id).items()}


def save_answers(session: Session, case_id: uuid.UUID,
                 answers: Mapping[str, tuple[AnswerInput, str]]) -> dict[str, AnswerRecord]:
    """Store answers to one case, each given by question as (the answer, checked already;
    who gives it, the question's respondent). Only what changed is written, so an answer
    given again unchanged makes no new revision. Every answer of the case afterwards, by
    question, as records. What the session holds unwritten (the case's status, moved by
    its first answer) is written in the same flush as the answers, not before them."""
    with session.no_autoflush:
        rows = _answer_rows(session, case_id)
    for key, (given, respondent) in answers.items():
        row = rows.get(key)
        if row is None:
            row = rows[key] = m.Answer(id=uuid.uuid4(), case_id=case_id, question_key=key,
                                       respondent=respondent)
            session.add(row)
        set_changed(row, {"value": given.value, "reasons": list(given.reasons),
                          "evidence": given.evidence})
    session.flush()
    return {key: _answer_record(row) for key, row in rows.items()}



_ANSWER_FIELDS = (m.Answer.case_id, m.Answer.question_key, m.Answer.value, m.Answer.reasons,
                  m.Answer.evidence, m.Answer.rev, m.Answer.updated_by, m.Answer.updated_at)


def answer_records_for_inspection(session: Session, inspection_id: uuid.UUID, *,
                                  statuses: Sequence[str] | None = None
                                  ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """Every answer in the inspection (of its cases with one of ``statuses``, when given),
    by case, read as the database holds them: ids as stored and matched to the inspection's
    cases, each different JSON text read once, and moments read from their text (an
    inspection holds hundreds of thousands of answers; the same as
    ``answer_records_for_cases`` gives, tested)."""
    cases = _stored_case_ids(session, inspection_id, statuses)
    if not cases:
        return {}
    read = _json_reader()
    reasons_read: dict[object, tuple] = {}
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for case, key, value, reasons, evidence, rev, by, at in session.execute(_of_cases(select(
            type_coerce(m.Answer.case_id, String), m.Answer.question_key,
            type_coerce(m.Answer.value, String), type_coerce(m.Answer.reasons, String),
            m.Answer.evidence, m.Answer.rev, m.Answer.updated_by,
            type_coerce(m.Answer.updated_at, String)), inspection_id, statuses)):
        try:
            held = reasons_read[reasons]
        except KeyError:
            held = reasons_read[reasons] = tuple(read(reasons) or ())
        result.setdefault(cases[case], {})[key] = AnswerRecord(  # in field order
            key, read(value), held, evidence or "", rev, by, _moment(at))
    return result


def _stored_case_ids(session: Session, inspection_id: uuid.UUID,
                     statuses: Sequence[str] | None) -> dict[str, uuid.UUID]:
    """The inspection's cases (with one of ``statuses``, when given): their ids as the
    answers' column holds them, to the ids."""
    chosen = select(m.Case.id, type_coerce(m.Case.id, String).label("stored")).where(
        m.Case.inspection_id == inspection_id)
    if statuses:
        chosen = chosen.where(m.Case.status.in_(list(statuses)))
    return {stored: case_id for case_id, stored in session.execute(chosen)}


def _of_cases(query, inspection_id: uuid.UUID, statuses: Sequence[str] | None):
    """``query`` of answers, narrowed to those of the inspection's cases (with one of
    ``statuses``, when given)."""
    query = query.join(m.Case, m.Case.id == m.Answer.case_id).where(
        m.Case.inspection_id == inspection_id)
    return query.where(m.Case.status.in_(list(statuses))) if statuses else query


def _moment(stored: str | None) -> dt.datetime | None:
    """A moment as SQLite holds it (UTC, as text), read as ``UtcDateTime`` reads it."""
    if stored is None:
        return None
    return dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)


def answer_records_for_cases(session: Session, case_ids: list[uuid.UUID]
                             ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """The answers of these cases, by case, read as plain rows."""
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for start in range(0, len(case_ids), 500):
        result.update(_answer_records(session.execute(select(*_ANSWER_FIELDS).where(
            m.Answer.case_id.in_(case_ids[start:start + 500])))))
    return result


def answer_values_for_cases(session: Session, case_ids: list[uuid.UUID]
                            ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """What the answers of these cases say (value, reasons, evidence), by case, without
    who gave them and when: enough to work out how far each form has got. Answers that
    say the same share their value: read them, never change them."""
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    by_hex = {case_id.hex: case_id for case_id in case_ids}  # as the column holds them
    read = _json_reader()
    reasons_read: dict[object, tuple] = {}

    def read_reasons(stored: object) -> tuple:
        try:
            return reasons_read[stored]
        except KeyError:
            reasons_read[stored] = done = tuple(read(stored) or ())
            return done

    for start in range(0, len(case_ids), 500):
        for case_id, key, value, reasons, evidence in session.execute(select(
                type_coerce(m.Answer.case_id, String), m.Answer.question_key,
                type_coerce(m.Answer.value, String), type_coerce(m.Answer.reasons, String),
                m.Answer.evidence).where(
                m.Answer.case_id.in_(case_ids[start:start + 500]))):
            result.setdefault(by_hex[case_id], {})[key] = AnswerRecord(  # in field order
                key, read(value), read_reasons(reasons), evidence or "")
    return result


def answer_values_for_inspection(session: Session, inspection_id: uuid.UUID, *,
                                 statuses: Sequence[str] | None = None,
                                 keys: Sequence[str] | None = None
                                 ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """What the answers of the inspection's cases say (their values alone), by case: of
    its cases with one of ``statuses`` and of the questions ``keys``, when given (what the
    ratings read; each different JSON text read once)."""
    cases = _stored_case_ids(session, inspection_id, statuses)
    if not cases:
        return {}
    query = _of_cases(select(type_coerce(m.Answer.case_id, String), m.Answer.question_key,
                             type_coerce(m.Answer.value, String)), inspection_id, statuses)
    if keys is not None:
        query = query.where(m.Answer.question_key.in_(list(keys)))
    read = _json_reader()
    # an answer is its question and value alone here: the same answer, made once, is
    # shared between the cases that gave it (read them, never change them)
    made: dict[tuple[str, object], AnswerRecord] = {}
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for case, key, value in session.execute(query):
        try:
            record = made[key, value]
        except KeyError:
            record = made[key, value] = AnswerRecord(key, read(value))
        result.setdefault(cases[case], {})[key] = record
    return result


def _json_reader():
    """Reads a JSON column's stored text as the column's own type does (a number SQLite
    holds as a number is that number), each different text once: the answers of a whole
    inspection hold a few dozen values and reasons, each thousands of times."""
    known: dict[object, object] = {}

    def read(stored: object) -> object:
        if not isinstance(stored, str):
            return stored  # nothing, or a number
        try:
            return known[stored]
        except KeyError:
            known[stored] = value = json.loads(stored)
            return value

    return read


def _answer_records(rows) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for case_id, key, value, reasons, evidence, rev, by, at in rows:
        result.setdefault(case_id, {})[key] = AnswerRecord(
            question_key=key, value=value, reasons=tuple(reasons or ()), evidence=evidence or "",
            rev=rev, answered_by=by, answered_at=at)
    return result
