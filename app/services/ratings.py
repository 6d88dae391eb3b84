"""Ratings of an inspection from its case forms: key questions, standards, breakdowns."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path

from app.core import export as x
from app.core.form import evaluate_form
from app.core.memory import collector_paused
from app.core.ratings import InspectionRatings, RatingRules, parse_rules, rate_inspection
from app.core.workflow import CASE_STATUS, CaseStatus
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import ValidationError
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import inspection_not_found

#: by default only approved case forms count towards ratings
RATED = (CaseStatus.APPROVED,)


class RatingService:
    def __init__(self, db: Database, catalog: FrameworkCatalog, rules_file: Path):
        self._db = db
        self._catalog = catalog
        self._rules_file = Path(rules_file)
        self._rules: RatingRules | None = None

    def rules(self) -> RatingRules:
        """The rating rules in use (read once)."""
        if self._rules is None:
            try:
                data = json.loads(self._rules_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValidationError(f"The rating rules in {self._rules_file} cannot be "
                                      f"read: {exc}.", "Check the file, or remove the "
                                      "setting that points to it to use the defaults.") from exc
            self._rules = parse_rules(data, f"rating rules in {self._rules_file}")
        return self._rules

    def rate(self, inspection_id: uuid.UUID, *, statuses: Sequence[str] | None = RATED,
             all_cases: bool = False, for_publication: bool = False) -> InspectionRatings:
        """The inspection's ratings over the cases in its sample (or every case, when no
        sample has been drawn or ``all_cases``) whose status is in ``statuses`` (approved,
        by default; None for any status)."""
        check_statuses(statuses)
        with collector_paused(), self._db.read() as session:
            inspection = repo.get_inspection(session, inspection_id)
            if inspection is None:
                raise inspection_not_found(inspection_id)
            framework = self._catalog.from_row(inspection.framework)
            start = inspection.start_date
            cases = chosen_cases(repo.list_cases(session, inspection_id), statuses, all_cases)
            answers = repo.answer_records_for_inspection(session, inspection_id)
            data = [x.CaseData(c, answers.get(c.id, {}), evaluate_form(
                framework, c.profile.as_dict(), answers.get(c.id, {}))) for c in cases]
            rated = rate_inspection(framework, data, self.rules(), reference_date=start,
                                    for_publication=for_publication)
            # freed before the collector resumes, so its first sweep has little to look at
            del data, answers, cases
        return rated


def check_statuses(statuses: Sequence[str] | None) -> None:
    for status in statuses or ():
        if status not in CASE_STATUS:
            raise ValidationError(f"'{status}' is not a case status.",
                                  f"Choose from {', '.join(CASE_STATUS.codes())}.")


def chosen_cases(cases, statuses, all_cases: bool):
    """The cases in the current sample (every case when none was drawn, or ``all_cases``),
    with one of ``statuses`` (any, when empty)."""
    sampled = any(c.sample_status for c in cases)
    return [c for c in cases
            if (all_cases or not sampled or c.sample_status == "in_sample")
            and (not statuses or c.status in statuses)]
