"""Creating and listing inspections."""

from __future__ import annotations

import uuid

from app.core.dto import InspectionSummary, NewInspection
from app.core.profile import PROGRAMMES
from app.db import models as m
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError
from app.services.frameworks import FrameworkCatalog

LEAD_ROLE = "lead_inspector"


class InspectionService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog

    def create(self, new: NewInspection) -> InspectionSummary:
        """Create an inspection with its framework pinned and the creator as lead inspector."""
        _validate(new)
        version = new.framework_version or self._catalog.newest_version(new.framework_key)
        with self._db.write() as session:
            framework = self._catalog.pin(session, new.framework_key, version)
            fw = self._catalog.from_row(framework)
            if fw.programme != new.programme:
                raise ValidationError(
                    f"The framework '{fw.id}' is for {PROGRAMMES.label(fw.programme).lower()} "
                    f"inspections, not {PROGRAMMES.label(new.programme).lower()}.",
                    "Choose a framework for the inspection's programme.",
                )
            row = m.Inspection(
                id=uuid.uuid4(), name=new.name.strip(), programme=new.programme,
                organisation=new.organisation.strip(), area=new.area.strip(),
                start_date=new.start_date, end_date=new.end_date, framework=framework,
            )
            row.members.append(m.InspectionMember(person=self._db.user, role=LEAD_ROLE))
            session.add(row)
            session.flush()
            return repo.inspection_summary(row)

    def list(self) -> list[InspectionSummary]:
        with self._db.read() as session:
            return repo.list_inspections(session)

    def get(self, inspection_id: uuid.UUID) -> InspectionSummary:
        with self._db.read() as session:
            row = repo.get_inspection(session, inspection_id)
            if row is None:
                raise inspection_not_found(inspection_id)
            return repo.inspection_summary(row, repo.count_cases(session, inspection_id))


def inspection_not_found(inspection_id: object) -> NotFoundError:
    return NotFoundError(
        f"There is no inspection with id {inspection_id} in this database.",
        "Run 'aspire inspections list' to see the inspections and their ids.",
    )


def _validate(new: NewInspection) -> None:
    problems = []
    if not new.name.strip():
        problems.append("name: the inspection needs a name")
    if not new.organisation.strip():
        problems.append("organisation: say which organisation is inspected")
    if new.programme not in PROGRAMMES:
        problems.append(f"programme: '{new.programme}' is not one of "
                        f"{', '.join(PROGRAMMES.codes())}")
    if new.start_date and new.end_date and new.end_date < new.start_date:
        problems.append(f"dates: the end date {new.end_date:%d/%m/%Y} is before the start date "
                        f"{new.start_date:%d/%m/%Y}")
    if problems:
        raise ValidationError("The inspection cannot be created: " + "; ".join(problems) + ".",
                              "Correct the details and try again.", details=problems)
