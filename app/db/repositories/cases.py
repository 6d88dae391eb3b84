"""Cases: their profile, summary and progress."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.dto import CaseSummary
from app.core.profile import PROFILE_FIELDS, CaseProfile
from app.db import models as m
from app.db.repositories.samples import sample_statuses

PROFILE_NAMES = tuple(f.name for f in PROFILE_FIELDS)



def profile_of(row: m.Case) -> CaseProfile:
    return CaseProfile(**{name: getattr(row, name) for name in PROFILE_NAMES})


def case_summary(row: m.Case, progress: m.CaseProgress | None,
                 sample_status: str | None = None) -> CaseSummary:
    return CaseSummary(
        id=row.id, inspection_id=row.inspection_id, reference=row.reference,
        profile=profile_of(row), status=row.status,
        percent=progress.percent if progress else 0,
        answered=progress.answered if progress else 0,
        applicable=progress.applicable if progress else 0,
        problems=progress.problems if progress else 0,
        notes=row.notes, updated_at=row.updated_at, updated_by=row.updated_by,
        sample_status=sample_status,
    )


def list_cases(session: Session, inspection_id: uuid.UUID) -> list[CaseSummary]:
    rows = session.execute(
        select(m.Case, m.CaseProgress)
        .outerjoin(m.CaseProgress, m.CaseProgress.case_id == m.Case.id)
        .where(m.Case.inspection_id == inspection_id)
        .order_by(m.Case.reference)
    ).all()
    statuses = sample_statuses(session, inspection_id)
    return [case_summary(case, progress,
                         None if statuses is None else statuses.get(case.id, "not_selected"))
            for case, progress in rows]


def get_case(session: Session, case_id: uuid.UUID) -> m.Case | None:
    return session.get(m.Case, case_id)


def case_by_reference(session: Session, inspection_id: uuid.UUID, reference: str) -> m.Case | None:
    return session.scalar(select(m.Case).where(
        m.Case.inspection_id == inspection_id,
        func.lower(m.Case.reference) == reference.lower(),
    ))


def count_assigned(session: Session, inspection_id: uuid.UUID, person: str) -> int:
    return session.scalar(select(func.count()).select_from(m.Case).where(
        m.Case.inspection_id == inspection_id, m.Case.assignee == person)) or 0


def case_references(session: Session, inspection_id: uuid.UUID) -> set[str]:
    """Every case reference in the inspection, in lower case (references match regardless)."""
    return {r.lower() for r in session.scalars(
        select(m.Case.reference).where(m.Case.inspection_id == inspection_id))}


def add_progress_rows(session: Session, rows: list[dict]) -> None:
    if rows:
        session.connection().execute(m.CaseProgress.__table__.insert(), rows)


def case_reference_map(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return dict(session.execute(
        select(m.Case.id, m.Case.reference).where(m.Case.inspection_id == inspection_id)).all())


def case_profiles(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, dict]:
    """Every case's profile as a plain mapping, for sampling and proportions."""
    columns = [getattr(m.Case, name) for name in PROFILE_NAMES]
    rows = session.execute(select(m.Case.id, *columns)
                           .where(m.Case.inspection_id == inspection_id)
                           .order_by(m.Case.reference)).all()
    return {row[0]: dict(zip(PROFILE_NAMES, row[1:], strict=True)) for row in rows}


def apply_profile(row: m.Case, profile: CaseProfile) -> None:
    for name in PROFILE_NAMES:
        value = getattr(profile, name)
        if getattr(row, name) != value:
            setattr(row, name, value)


def cases_by_id(session: Session, case_ids: list[uuid.UUID]) -> list[m.Case]:
    return [row for start in range(0, len(case_ids), 500) for row in session.scalars(
        select(m.Case).where(m.Case.id.in_(case_ids[start:start + 500])))]


def get_progress(session: Session, case_id: uuid.UUID) -> m.CaseProgress | None:
    return session.get(m.CaseProgress, case_id)


def set_progress_of_cases(session: Session,
                          progress: dict[uuid.UUID, tuple[int, int, int, int]]) -> None:
    """Many cases' progress at once, each as (applicable, answered, problems, percent)."""
    if not progress:
        return
    table = m.CaseProgress.__table__
    statement = sqlite_insert(table)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.case_id], set_={
            name: statement.excluded[name]
            for name in ("applicable", "answered", "problems", "percent")}),
        [{"case_id": case_id, "applicable": applicable, "answered": answered,
          "problems": problems, "percent": percent}
         for case_id, (applicable, answered, problems, percent) in progress.items()])


def set_progress(session: Session, case_id: uuid.UUID, *, applicable: int, answered: int,
                 problems: int, percent: int) -> None:
    row = session.get(m.CaseProgress, case_id)
    if row is None:
        row = m.CaseProgress(case_id=case_id)
        session.add(row)
    row.applicable, row.answered, row.problems, row.percent = (
        applicable, answered, problems, percent)
