"""Practice examples and quotations attached to cases."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.dto import PracticeExampleRecord
from app.db import models as m
from app.db.bookkeeping import set_changed


def practice_record(row: m.PracticeExample) -> PracticeExampleRecord:
    return PracticeExampleRecord(
        id=row.id, case_id=row.case_id, kind=row.kind, narrative=row.narrative,
        theme=row.theme, stage=row.stage, title=row.title, speaker_role=row.speaker_role,
        cleared_for_publication=row.cleared_for_publication, updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def practice_examples(session: Session, case_id: uuid.UUID) -> list[PracticeExampleRecord]:
    rows = session.scalars(
        select(m.PracticeExample)
        .where(m.PracticeExample.case_id == case_id, m.PracticeExample.deleted.is_(False))
        .order_by(m.PracticeExample.updated_at)
    )
    return [practice_record(r) for r in rows]


def get_practice_example(session: Session, example_id: uuid.UUID) -> m.PracticeExample | None:
    return session.get(m.PracticeExample, example_id)


def practice_examples_for_inspection(session: Session, inspection_id: uuid.UUID
                                     ) -> list[PracticeExampleRecord]:
    rows = session.scalars(
        select(m.PracticeExample).join(m.Case, m.Case.id == m.PracticeExample.case_id)
        .where(m.Case.inspection_id == inspection_id, m.PracticeExample.deleted.is_(False))
        .order_by(m.Case.reference, m.PracticeExample.updated_at))
    return [practice_record(r) for r in rows]


def add_practice_example(session: Session, case_id: uuid.UUID,
                         values: dict) -> PracticeExampleRecord:
    """A new practice example on a case (``values``: its fields, checked already)."""
    row = m.PracticeExample(id=uuid.uuid4(), case_id=case_id, **values)
    session.add(row)
    session.flush()
    return practice_record(row)


def change_practice_example(session: Session, example_id: uuid.UUID, case_id: uuid.UUID,
                            values: dict) -> PracticeExampleRecord | None:
    """The example ``example_id`` of the case, changed to ``values`` (only what differs is
    written); None if the case has no such example, or it was removed."""
    row = _live_example(session, example_id, case_id)
    if row is None:
        return None
    set_changed(row, values)
    session.flush()
    return practice_record(row)


def remove_practice_example(session: Session, example_id: uuid.UUID,
                            case_id: uuid.UUID) -> bool:
    """Mark the example removed (kept for sync and audit); whether the case had it."""
    row = _live_example(session, example_id, case_id)
    if row is not None:
        row.deleted = True
    return row is not None


def _live_example(session: Session, example_id: uuid.UUID,
                  case_id: uuid.UUID) -> m.PracticeExample | None:
    row = get_practice_example(session, example_id)
    return None if row is None or row.case_id != case_id or row.deleted else row
