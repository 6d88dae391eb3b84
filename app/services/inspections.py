"""Creating and listing inspections."""

from __future__ import annotations

import uuid

from app.core.dto import InspectionSummary, NewInspection, PoolingDetails, TeamMember
from app.core.inspection_details import details_problems
from app.core.profile import PROGRAMMES
from app.core.workflow import TEAM_ROLE, check_can_close
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
            return repo.add_inspection(session, new, framework,
                                       TeamMember(self._db.user, LEAD_ROLE))

    def set_details(self, inspection_id: uuid.UUID,
                    details: PoolingDetails) -> InspectionSummary:
        """Change what the inspection says for pooling (its year, organisation type, region,
        sample and the inspection it re-inspects): the lead inspector's to change, as the
        central store holds it."""
        with self._db.write() as session:
            inspection = self._inspection(session, inspection_id)
            role = repo.member_role(session, inspection_id, self._db.user)
            if role != LEAD_ROLE:
                raise ValidationError(
                    f"Only the lead inspector can change the details of '{inspection.name}'.",
                    "Ask the inspection's lead inspector to change them.")
            problems = _detail_problems(inspection.programme, details, inspection_id)
            if problems:
                raise ValidationError("The inspection's details cannot be changed: "
                                      + "; ".join(problems) + ".",
                                      "Correct the details and try again.", details=problems)
            return repo.set_details(session, inspection_id, details)

    def team(self, inspection_id: uuid.UUID) -> list[TeamMember]:
        with self._db.read() as session:
            self._inspection(session, inspection_id)
            return repo.team_of(session, inspection_id)

    def add_member(self, *, inspection_id: uuid.UUID, person: str,
                   role: str) -> list[TeamMember]:
        """Add a person to the inspection's team, or change their role."""
        person = " ".join((person or "").split())
        if not person:
            raise ValidationError("Give the person's name or login.",
                                  "Type the name as it should appear on their cases.")
        if role not in TEAM_ROLE:
            raise ValidationError(f"'{role}' is not a team role.",
                                  f"Choose one of: {', '.join(TEAM_ROLE.codes())}.")
        with self._db.write() as session:
            self._inspection(session, inspection_id)
            return repo.set_member(session, inspection_id, person, role)

    def remove_member(self, *, inspection_id: uuid.UUID, person: str) -> list[TeamMember]:
        with self._db.write() as session:
            inspection = self._inspection(session, inspection_id)
            if person not in {p.person for p in repo.team_of(session, inspection_id)}:
                raise NotFoundError(f"{person} is not on the team of '{inspection.name}'.",
                                    "Check the name in the team list.")
            assigned = repo.count_assigned(session, inspection_id, person)
            if assigned:
                raise ValidationError(
                    f"{person} still has {assigned} case{'s' if assigned != 1 else ''} "
                    "assigned.", "Assign those cases to someone else first.")
            repo.remove_member(session, inspection_id, person)
            return repo.team_of(session, inspection_id)

    def close(self, inspection_id: uuid.UUID) -> InspectionSummary:
        """The inspection's supervisor or lead inspector closes it. Like any change it
        syncs; once everything on a laptop has reached the central store, that laptop's
        copies of the inspection's cases are removed (the inspection and its team stay)."""
        return self._set_status(inspection_id, closing=True)

    def reopen(self, inspection_id: uuid.UUID) -> InspectionSummary:
        """Reopen a closed inspection; each member's next sync brings its cases back."""
        return self._set_status(inspection_id, closing=False)

    def _set_status(self, inspection_id: uuid.UUID, *, closing: bool) -> InspectionSummary:
        with self._db.write() as session:
            inspection = self._inspection(session, inspection_id)
            role = repo.member_role(session, inspection_id, self._db.user)
            return repo.set_inspection_status(session, inspection_id, check_can_close(
                role, inspection.status, closing=closing))

    def _inspection(self, session, inspection_id: uuid.UUID) -> InspectionSummary:
        found = repo.inspection_by_id(session, inspection_id)
        if found is None:
            raise inspection_not_found(inspection_id)
        return found

    def list(self) -> list[InspectionSummary]:
        with self._db.read() as session:
            return repo.list_inspections(session)

    def get(self, inspection_id: uuid.UUID) -> InspectionSummary:
        with self._db.read() as session:
            return self._inspection(session, inspection_id)


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
    problems += _detail_problems(new.programme, new.details)
    for name, text in (("name", new.name), ("organisation", new.organisation),
                       ("area", new.area)):
        # held to its column, as the central store holds it (``app.sync.store``)
        most = repo.INSPECTION_TEXT_LIMITS[name]
        if len(text.strip()) > most:
            problems.append(f"{name}: at most {most} characters (this has "
                            f"{len(text.strip())})")
    if new.start_date and new.end_date and new.end_date < new.start_date:
        problems.append(f"the end date {new.end_date:%d/%m/%Y} is before the start date "
                        f"{new.start_date:%d/%m/%Y}")
    if problems:
        raise ValidationError("The inspection cannot be created: " + "; ".join(problems) + ".",
                              "Correct the details and try again.", details=problems)


def _detail_problems(programme: str, details: PoolingDetails,
                     own_id: uuid.UUID | None = None) -> list[str]:
    """The rules the central store holds an inspection's details to (``details_problems``)."""
    problems = details_problems({
        "programme": programme, "year": details.year,
        "organisation_type": details.organisation_type, "sample_design": details.sample_design,
        "region": details.region, "reinspects_id": details.reinspects_id}, own_id)
    return problems
