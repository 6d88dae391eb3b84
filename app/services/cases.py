"""Adding cases to an inspection and keeping their profiles."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app.core.dto import CaseSummary
from app.core.form import evaluate_form
from app.core.profile import CaseProfile, validate_profile
from app.core.workflow import (
    ASSESSING_ROLES,
    CASE_STATUS,
    CaseStatus,
    InspectionStatus,
    case_locked,
)
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import DuplicateError, NotFoundError, ValidationError, WorkflowError
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import inspection_not_found

if TYPE_CHECKING:  # rows as the repositories still hand them back
    from app.db.models import Case, CaseProgress, Inspection

MAX_REFERENCE = 60


class CaseService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog

    def add(self, *, inspection_id: uuid.UUID, reference: str, profile: CaseProfile,
            notes: str = "") -> CaseSummary:
        reference = _check_reference(reference)
        _check_profile(profile)
        with self._db.write() as session:
            inspection = repo.get_inspection(session, inspection_id)
            if inspection is None:
                raise inspection_not_found(inspection_id)
            refuse_if_closed(inspection, "no case can be added to it")
            existing = repo.case_by_reference(session, inspection_id, reference)
            if existing is not None:
                raise DuplicateError(
                    f"Case {existing.reference} is already in the inspection "
                    f"'{inspection.name}'.",
                    "Open the existing case instead, or check the reference.",
                )
            row = repo.add_case(session, inspection_id=inspection_id, reference=reference,
                                notes=notes, profile=profile)
            progress = self._refresh_progress(session, row, inspection, {})
            return repo.case_summary(row, progress)

    def update_profile(self, *, case_id: uuid.UUID, profile: CaseProfile,
                       reference: str | None = None, notes: str | None = None) -> CaseSummary:
        _check_profile(profile)
        with self._db.write() as session:
            row = case_or_error(session, case_id)
            refuse_if_locked(session, row)  # the profile decides which questions apply
            # a case given away from this laptop's user leaves the laptop once synced
            _note_reassignments(session, self._db.user,
                               [{"id": row.id, "assignee": profile.assignee}])
            if reference is not None:
                reference = _check_reference(reference)
                other = repo.case_by_reference(session, row.inspection_id, reference)
                if other is not None and other.id != row.id:
                    raise DuplicateError(
                        f"Case {other.reference} is already in this inspection.",
                        "Use a different reference.",
                    )
            repo.change_case(row, profile=profile, reference=reference, notes=notes)
            answers = repo.answer_records_for_case(session, case_id)
            progress = self._refresh_progress(session, row, None, answers)
            return repo.case_summary(row, progress)

    def list(self, inspection_id: uuid.UUID, *, assignee: str | None = None,
             status: str | None = None, sample: str | None = None) -> list[CaseSummary]:
        """The inspection's cases, optionally only one inspector's, one status or one place
        in the sample (``sample`` is in_sample, reserve, withdrawn or not_selected)."""
        with self._db.read() as session:
            if repo.get_inspection(session, inspection_id) is None:
                raise inspection_not_found(inspection_id)
            cases = repo.list_cases(session, inspection_id)
        return [c for c in cases
                if (assignee is None or (c.profile.assignee or "") == assignee)
                and (status is None or c.status == status)
                and (sample is None or c.sample_status == sample)]

    def assign(self, *, case_ids: list[uuid.UUID], assignee: str | None) -> int:
        """Give cases to one inspector on the team (or to no one); returns how many changed."""
        with self._db.write() as session:
            rows = [case_or_error(session, cid) for cid in case_ids]
            if not rows:
                return 0
            inspection = repo.get_inspection(session, rows[0].inspection_id)
            if any(r.inspection_id != inspection.id for r in rows):
                raise ValidationError("Cases from different inspections cannot be assigned "
                                      "together.", "Assign each inspection's cases separately.")
            if assignee is not None:
                roles = {p.person: p.role for p in inspection.members}
                if roles.get(assignee) not in ASSESSING_ROLES:
                    raise ValidationError(
                        f"{assignee} is not an inspector on the team of '{inspection.name}'.",
                        "Add them to the team as an inspector first.")
            _note_reassignments(session, self._db.user,
                               [{"id": row.id, "assignee": assignee} for row in rows])
            changed = 0
            for row in rows:
                if row.assignee != assignee:
                    refuse_if_locked(session, row)
                    changed += repo.set_assignee(row, assignee)
            return changed

    def find(self, reference: str, inspection_id: uuid.UUID | None = None) -> CaseSummary:
        """The case with ``reference`` (or with that id), in ``inspection_id`` or, if only
        one inspection has such a case, in any; refused naming the inspections when several
        do."""
        text = (reference or "").strip()
        with self._db.read() as session:
            found = repo.cases_with_reference(session, text, inspection_id)
            if not found:
                try:
                    case_id = uuid.UUID(text)
                except ValueError:
                    case_id = None
                if case_id is not None and repo.get_case(session, case_id) is not None:
                    return self.get(case_id)
                where = " in that inspection" if inspection_id else ""
                raise NotFoundError(f"There is no case with reference '{text}'{where}.",
                                    "Run 'aspire cases list --inspection ID' to see the cases.")
            if len(found) > 1:
                names = ", ".join(f"'{name}'" for _id, name in found)
                raise ValidationError(
                    f"'{text}' is a case in {len(found)} inspections: {names}.",
                    "Say which with --inspection ID (see 'aspire inspections list').")
        return self.get(found[0][0])

    def get(self, case_id: uuid.UUID) -> CaseSummary:
        with self._db.read() as session:
            row = case_or_error(session, case_id)
            return repo.case_summary(row, repo.get_progress(session, case_id))

    def _refresh_progress(self, session, row: Case, inspection, answers) -> CaseProgress:
        inspection = inspection or repo.get_inspection(session, row.inspection_id)
        framework = self._catalog.from_row(inspection.framework)
        state = evaluate_form(framework, repo.profile_of(row).as_dict(), answers)
        return store_progress(session, row.id, state)


def store_progress(session, case_id: uuid.UUID, state) -> CaseProgress:
    repo.set_progress(session, case_id, applicable=state.applicable_count,
                      answered=state.answered_count, problems=len(state.problems()),
                      percent=state.percent)
    return repo.get_progress(session, case_id)


def case_or_error(session, case_id: uuid.UUID) -> Case:
    row = repo.get_case(session, case_id)
    if row is None:
        raise NotFoundError(f"There is no case with id {case_id} in this database.",
                            "Run 'aspire cases list --inspection ID' to see the cases.")
    return row


def _check_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("The case needs a reference (for example its CRN).",
                              "Type the case reference and try again.")
    if len(reference) > MAX_REFERENCE:
        raise ValidationError(
            f"The case reference '{reference[:20]}…' is {len(reference)} characters long.",
            f"Use a reference of at most {MAX_REFERENCE} characters.",
        )
    return reference


def _check_profile(profile: CaseProfile) -> None:
    problems = validate_profile(profile)
    if problems:
        raise ValidationError("The case profile has values that are not allowed: "
                              + "; ".join(problems) + ".",
                              "Choose values from the lists offered.", details=problems)


def refuse_if_closed(inspection: Inspection | None, change: str) -> None:
    """Nothing in a closed inspection changes until it is reopened; ``change`` says what
    cannot be done ("case X1 cannot be changed")."""
    if inspection is not None and inspection.status == InspectionStatus.CLOSED:
        raise WorkflowError(
            f"The inspection {inspection.name} is closed, so {change}.",
            "Ask its supervisor or lead inspector to reopen it if a change is needed.")


def refuse_if_case_closed(session, case: Case) -> None:
    """The case's inspection is closed: neither answers nor review may change."""
    refuse_if_closed(repo.get_inspection(session, case.inspection_id),
                     f"case {case.reference} cannot be changed")


def refuse_if_locked(session, case: Case) -> None:
    """Only a case not yet submitted, or returned, of an open inspection, can be changed (by
    anyone): ``workflow.case_locked``, as the central store applies it."""
    inspection = repo.get_inspection(session, case.inspection_id)
    if case_locked(case.status, inspection.status if inspection else None) is None:
        return
    refuse_if_closed(inspection, f"case {case.reference} cannot be changed")
    advice = ("Ask a supervisor to unlock it, giving a reason."
              if case.status == CaseStatus.APPROVED
              else "Ask a supervisor to return the case if an answer must change.")
    raise WorkflowError(
        f"Case {case.reference} is {CASE_STATUS.label(case.status).lower()}, so its "
        "answers cannot be changed.", advice)


def _note_reassignments(*args, **kwargs) -> None:
    """``sync.purge.note_reassignments``, loaded when a case is first given to someone else
    (not when the window starts)."""
    from app.sync.purge import note_reassignments

    note_reassignments(*args, **kwargs)
