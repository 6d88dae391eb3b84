"""Inspections, and how many cases each holds."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.dto import InspectionSummary
from app.db import models as m


def inspection_summary(row: m.Inspection, case_count: int = 0) -> InspectionSummary:
    return InspectionSummary(
        id=row.id, name=row.name, programme=row.programme, organisation=row.organisation,
        area=row.area, start_date=row.start_date, end_date=row.end_date,
        framework_key=row.framework.framework_key, framework_version=row.framework.version,
        framework_title=row.framework.title, status=row.status, case_count=case_count,
        updated_at=row.updated_at,
    )


def list_inspections(session: Session) -> list[InspectionSummary]:
    counts = dict(session.execute(
        select(m.Case.inspection_id, func.count()).group_by(m.Case.inspection_id)
    ).all())
    rows = session.scalars(select(m.Inspection).order_by(m.Inspection.start_date.desc(),
                                                         m.Inspection.name))
    return [inspection_summary(r, counts.get(r.id, 0)) for r in rows]


def get_inspection(session: Session, inspection_id: uuid.UUID) -> m.Inspection | None:
    return session.get(m.Inspection, inspection_id)


def count_cases(session: Session, inspection_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count()).select_from(m.Case).where(m.Case.inspection_id == inspection_id)
    ) or 0
