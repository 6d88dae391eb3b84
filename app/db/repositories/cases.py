"""Cases: their profile, summary and progress."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, union
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.dto import CaseSummary
from app.core.profile import PROFILE_FIELDS, CaseProfile
from app.db import models as m
from app.db.bookkeeping import insert_many, set_changed
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


#: what a case's line in a list reads, as plain columns (an inspection's thousands of cases
#: are not loaded as records to be changed)
_LISTED = (m.Case.id, m.Case.inspection_id, m.Case.reference, m.Case.status, m.Case.notes,
           m.Case.updated_at, m.Case.updated_by, m.CaseProgress.percent,
           m.CaseProgress.answered, m.CaseProgress.applicable, m.CaseProgress.problems,
           *(getattr(m.Case, name) for name in PROFILE_NAMES))


def list_cases(session: Session, inspection_id: uuid.UUID) -> list[CaseSummary]:
    rows = session.execute(
        select(*_LISTED)
        .outerjoin(m.CaseProgress, m.CaseProgress.case_id == m.Case.id)
        .where(m.Case.inspection_id == inspection_id)
        .order_by(m.Case.reference)
    ).all()
    statuses = sample_statuses(session, inspection_id)
    listed = []
    for (case_id, inspection, reference, status, notes, updated_at, updated_by, percent,
         answered, applicable, problems, *profile) in rows:
        listed.append(CaseSummary(
            id=case_id, inspection_id=inspection, reference=reference,
            profile=CaseProfile(**dict(zip(PROFILE_NAMES, profile, strict=True))),
            status=status, percent=percent or 0,
            answered=answered or 0, applicable=applicable or 0, problems=problems or 0,
            notes=notes, updated_at=updated_at, updated_by=updated_by,
            sample_status=None if statuses is None else statuses.get(case_id,
                                                                     "not_selected")))
    return listed


def get_case(session: Session, case_id: uuid.UUID) -> m.Case | None:
    return session.get(m.Case, case_id)


def case_by_reference(session: Session, inspection_id: uuid.UUID, reference: str) -> m.Case | None:
    return session.scalar(select(m.Case).where(
        m.Case.inspection_id == inspection_id,
        func.lower(m.Case.reference) == reference.lower(),
    ))


def cases_with_reference(session: Session, reference: str,
                         inspection_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, str]]:
    """(case id, inspection name) of the cases with ``reference`` (compared ignoring case and
    surrounding spaces), in one inspection or in every one."""
    query = (select(m.Case.id, m.Inspection.name)
             .join(m.Inspection, m.Inspection.id == m.Case.inspection_id)
             .where(func.lower(m.Case.reference) == reference.strip().lower())
             .order_by(m.Inspection.name))
    if inspection_id is not None:
        query = query.where(m.Case.inspection_id == inspection_id)
    return [(case_id, name) for case_id, name in session.execute(query).all()]


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


def add_cases(session: Session, rows: list[dict[str, object]]) -> None:
    """Many new cases at once (an imported case list), each stamped and sent like any
    other change."""
    insert_many(session, m.Case, rows)


def add_case(session: Session, *, inspection_id: uuid.UUID, reference: str, notes: str,
             profile: CaseProfile) -> m.Case:
    """A new case, not started, in the inspection (its reference and profile checked)."""
    row = m.Case(id=uuid.uuid4(), inspection_id=inspection_id, reference=reference,
                 notes=notes, status="not_started")
    apply_profile(row, profile)
    session.add(row)
    session.flush()
    return row


def change_case(row: m.Case, *, profile: CaseProfile, reference: str | None = None,
                notes: str | None = None) -> None:
    """The case's profile, and its reference and notes where given (only what differs)."""
    changes = {name: value for name, value in (("reference", reference), ("notes", notes))
               if value is not None}
    set_changed(row, changes)
    apply_profile(row, profile)


def set_assignee(row: m.Case, assignee: str | None) -> bool:
    """The case given to ``assignee`` (or to no one); whether that changed it."""
    if row.assignee == assignee:
        return False
    row.assignee = assignee
    return True


def set_case_status(session: Session, case_id: uuid.UUID, status: str) -> None:
    """The case form's status (as ``core.workflow`` moves it)."""
    row = session.get(m.Case, case_id)
    if row.status != status:
        row.status = status


def apply_profile(row: m.Case, profile: CaseProfile) -> None:
    set_changed(row, {name: getattr(profile, name) for name in PROFILE_NAMES})


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


def people_named(session: Session, inspection_id: uuid.UUID) -> tuple[set[str], set[str]]:
    """Every person the inspection's records name: its cases' responsible officers, and
    everyone else (the team, assignees, and whoever recorded an answer, a practice example,
    a query or a move of a case), whether or not they are still on the team."""
    officers = set(session.scalars(
        select(m.Case.responsible_officer).distinct()
        .where(m.Case.inspection_id == inspection_id,
               m.Case.responsible_officer.is_not(None))))
    in_cases = select(m.Case.id).where(m.Case.inspection_id == inspection_id)
    queries = [select(m.InspectionMember.person)
               .where(m.InspectionMember.inspection_id == inspection_id),
               select(m.Case.assignee).where(m.Case.inspection_id == inspection_id),
               select(m.Case.updated_by).where(m.Case.inspection_id == inspection_id)]
    queries += [select(table.updated_by).where(table.case_id.in_(in_cases))
                for table in (m.Answer, m.PracticeExample, m.CaseEvent, m.QueryMessage)]
    others = set(session.scalars(union(*queries)))
    return ({o for o in officers if o.strip()},
            {p for p in others if p and p.strip()})
