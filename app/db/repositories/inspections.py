"""Inspections, and how many cases each holds."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.dto import InspectionSummary, NewInspection, PoolingDetails, TeamMember
from app.db import models as m
from app.db.bookkeeping import set_changed


def inspection_summary(row: m.Inspection, case_count: int = 0) -> InspectionSummary:
    return InspectionSummary(
        id=row.id, name=row.name, programme=row.programme, organisation=row.organisation,
        area=row.area, start_date=row.start_date, end_date=row.end_date,
        framework_key=row.framework.framework_key, framework_version=row.framework.version,
        framework_title=row.framework.title, status=row.status, case_count=case_count,
        updated_at=row.updated_at, details=PoolingDetails(
            row.year, row.organisation_type or "", row.region or "",
            row.sample_design or "random", row.reinspects_id),
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


#: the longest text each of an inspection's text fields holds (the central store holds the
#: same: ``app.sync.store``)
INSPECTION_TEXT_LIMITS = {name: m.Inspection.__table__.c[name].type.length
                          for name in ("name", "organisation", "area")}


def add_inspection(session: Session, new: NewInspection, framework: m.Framework,
                   lead: TeamMember) -> InspectionSummary:
    """A new inspection (its fields checked already) on the framework pinned for it, with
    its first team member, the lead inspector."""
    row = m.Inspection(
        id=uuid.uuid4(), name=new.name.strip(), programme=new.programme,
        organisation=new.organisation.strip(), area=new.area.strip(),
        start_date=new.start_date, end_date=new.end_date, framework=framework,
    )
    _set_details(row, new.details)
    row.members.append(m.InspectionMember(person=lead.person, role=lead.role))
    session.add(row)
    session.flush()
    return inspection_summary(row)


def set_details(session: Session, inspection_id: uuid.UUID,
                details: PoolingDetails) -> InspectionSummary:
    """The inspection's pooling details set (checked already), as it then stands."""
    row = session.get(m.Inspection, inspection_id)
    _set_details(row, details)
    session.flush()
    return inspection_summary(row, count_cases(session, inspection_id))


def _set_details(row: m.Inspection, details: PoolingDetails) -> None:
    set_changed(row, {"year": details.year, "organisation_type": details.organisation_type,
                      "region": details.region, "sample_design": details.sample_design,
                      "reinspects_id": details.reinspects_id})


def team_of(session: Session, inspection_id: uuid.UUID) -> list[TeamMember]:
    inspection = session.get(m.Inspection, inspection_id)
    return [] if inspection is None else [TeamMember(p.person, p.role)
                                          for p in inspection.members]


def set_member(session: Session, inspection_id: uuid.UUID, person: str,
               role: str) -> list[TeamMember]:
    """``person`` on the inspection's team in ``role`` (added, or their role changed);
    the team afterwards."""
    inspection = session.get(m.Inspection, inspection_id)
    existing = next((p for p in inspection.members if p.person == person), None)
    if existing is None:
        inspection.members.append(m.InspectionMember(person=person, role=role))
    elif existing.role != role:
        existing.role = role
    session.flush()
    return team_of(session, inspection_id)


def remove_member(session: Session, inspection_id: uuid.UUID, person: str) -> bool:
    """``person`` taken off the inspection's team; whether they were on it."""
    inspection = session.get(m.Inspection, inspection_id)
    member = next((p for p in inspection.members if p.person == person), None)
    if member is None:
        return False
    inspection.members.remove(member)
    session.delete(member)
    session.flush()
    return True


def set_inspection_status(session: Session, inspection_id: uuid.UUID,
                          status: str) -> InspectionSummary:
    inspection = session.get(m.Inspection, inspection_id)
    if inspection.status != status:
        inspection.status = status
    session.flush()
    return inspection_summary(inspection, count_cases(session, inspection_id))


def inspection_by_id(session: Session, inspection_id: uuid.UUID) -> InspectionSummary | None:
    """The inspection, with how many cases it holds; None if there is none here."""
    row = session.get(m.Inspection, inspection_id)
    return None if row is None else inspection_summary(row, count_cases(session, inspection_id))


def rating_decisions(session: Session, inspection_id: uuid.UUID) -> dict:
    """The ratings the inspection's lead inspector recorded, as the inspection holds them
    (target -> decision)."""
    return dict(session.scalar(select(m.Inspection.rating_decisions).where(
        m.Inspection.id == inspection_id)) or {})


def set_rating_decisions(session: Session, inspection_id: uuid.UUID, record: dict) -> None:
    """The inspection's recorded ratings replaced by ``record`` (checked already)."""
    set_changed(session.get(m.Inspection, inspection_id), {"rating_decisions": dict(record)})
    session.flush()
