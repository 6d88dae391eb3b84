"""Review: case events, queries, the audit trail and second marks (all append-only)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.dto import QueryMessageRecord, QueryThread
from app.core.ids import time_ordered_id
from app.core.second_marking import SecondMark
from app.db import models as m


def member_role(session: Session, inspection_id: uuid.UUID, person: str) -> str | None:
    return session.scalar(select(m.InspectionMember.role).where(
        m.InspectionMember.inspection_id == inspection_id,
        m.InspectionMember.person == person))


def add_case_event(session: Session, case_id: uuid.UUID, *, action: str, from_status: str,
                   to_status: str, note: str = "") -> None:
    session.add(m.CaseEvent(id=time_ordered_id(), case_id=case_id, action=action,
                            from_status=from_status, to_status=to_status, note=note))


def case_events(session: Session, case_id: uuid.UUID) -> list[m.CaseEvent]:
    return list(session.scalars(select(m.CaseEvent).where(m.CaseEvent.case_id == case_id)
                                .order_by(m.CaseEvent.updated_at, m.CaseEvent.id)))


def cases_with_event(session: Session, inspection_id: uuid.UUID, action: str) -> set[uuid.UUID]:
    return set(session.scalars(select(m.CaseEvent.case_id).join(
        m.Case, m.Case.id == m.CaseEvent.case_id).where(
        m.Case.inspection_id == inspection_id, m.CaseEvent.action == action)))


def add_query_message(session: Session, *, case_id: uuid.UUID, query_id: uuid.UUID | None,
                      question_key: str, kind: str, text: str) -> uuid.UUID:
    message_id = time_ordered_id()
    session.add(m.QueryMessage(id=message_id, case_id=case_id,
                               query_id=query_id or message_id, question_key=question_key,
                               kind=kind, text=text))
    return query_id or message_id


def query_threads(session: Session, *, case_ids: list[uuid.UUID] | None = None,
                  query_id: uuid.UUID | None = None) -> list[QueryThread]:
    """The queries on these cases' answers (or the one query), each with everything said
    in it, oldest first."""
    query = select(m.QueryMessage).order_by(m.QueryMessage.updated_at, m.QueryMessage.id)
    if case_ids is not None:
        query = query.where(m.QueryMessage.case_id.in_(case_ids))
    if query_id is not None:
        query = query.where(m.QueryMessage.query_id == query_id)
    by_query: dict[uuid.UUID, list[m.QueryMessage]] = {}
    for message in session.scalars(query):
        by_query.setdefault(message.query_id, []).append(message)
    return [QueryThread(id=qid, case_id=rows[0].case_id, question_key=rows[0].question_key,
                        messages=tuple(QueryMessageRecord(r.kind, r.text, r.updated_by,
                                                          r.updated_at) for r in rows))
            for qid, rows in by_query.items()]


def audit_entries(session: Session, case_id: uuid.UUID,
                  question_key: str | None = None) -> list[m.AuditEntry]:
    query = select(m.AuditEntry).where(m.AuditEntry.case_id == case_id)
    if question_key is not None:
        query = query.where(m.AuditEntry.question_key == question_key)
    return list(session.scalars(query.order_by(m.AuditEntry.updated_at, m.AuditEntry.id)))


def second_marks(session: Session, case_ids: list[uuid.UUID],
                 kind: str | None = None) -> list[SecondMark]:
    """The judgements kept beside these cases' answers (of ``kind``, or all), oldest first."""
    query = select(m.SecondMark).where(m.SecondMark.case_id.in_(case_ids))
    if kind is not None:
        query = query.where(m.SecondMark.kind == kind)
    return [SecondMark(row.case_id, row.question_key, row.kind, row.value, row.note,
                       row.updated_by)
            for row in session.scalars(query.order_by(m.SecondMark.updated_at,
                                                      m.SecondMark.id))]


def add_second_mark(session: Session, *, case_id: uuid.UUID, question_key: str, kind: str,
                    value: object, note: str) -> None:
    """A judgement kept beside the case's answer (append-only, as the history is)."""
    session.add(m.SecondMark(id=time_ordered_id(), case_id=case_id, question_key=question_key,
                             kind=kind, value=value, note=note))
