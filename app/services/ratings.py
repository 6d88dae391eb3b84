"""Ratings of an inspection from its case forms: key questions, standards, breakdowns."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import Path

from app.core import export as x
from app.core.form import Applicability
from app.core.memory import collector_paused
from app.core.rating_decisions import (
    RATING_SCALE,
    RatingDecision,
    decision_problems,
    decisions_from,
    rated_targets,
)
from app.core.ratings import InspectionRatings, RatingRules, parse_rules, rate_inspection
from app.core.workflow import CASE_STATUS, CaseStatus
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import ValidationError
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import LEAD_ROLE, inspection_not_found

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
            # only what rates a case is read and worked out: the answers of the case forms
            # counted (by default the approved ones: while fieldwork goes on, few or none)
            # to the key questions and the questions their applicability turns on
            applies = Applicability(framework, [q.key for q in framework.questions()
                                                if q.key_question])
            answers = repo.answer_values_for_inspection(
                session, inspection_id, statuses=statuses,
                keys=[q.key for q in applies.questions]) if cases else {}
            data = [x.CaseData(c, answers.get(c.id, {}), applies.state(
                c.profile.as_dict(), answers.get(c.id, {}))) for c in cases]
            rated = rate_inspection(framework, data, self.rules(), reference_date=start,
                                    for_publication=for_publication,
                                    decisions=decisions_from(repo.rating_decisions(
                                        session, inspection_id)))
            # freed before the collector resumes, so its first sweep has little to look at
            del data, answers, cases
        return rated

    def decisions(self, inspection_id: uuid.UUID) -> dict[str, RatingDecision]:
        """The ratings the inspection's lead inspector recorded, by standard (or overall)."""
        with self._db.read() as session:
            if repo.get_inspection(session, inspection_id) is None:
                raise inspection_not_found(inspection_id)
            return decisions_from(repo.rating_decisions(session, inspection_id))

    def record(self, inspection_id: uuid.UUID, target: str, rating: str,
               reason: str) -> RatingDecision:
        """Record ``rating`` for a standard (by its key) or for the service overall
        (``OVERALL``), for ``reason``: the rating of a standard judged on the evidence, or
        an override of the arithmetic. The lead inspector's to record, as the central store
        holds it; a rating recorded before for the same target is replaced (the history of
        the inspection's record keeps it)."""
        reason = reason.strip()
        with self._db.write() as session:
            record = self._lead_inspectors_record(session, inspection_id, target)
            decision = RatingDecision(target, rating, reason, self._db.user, _now())
            record[target] = decision.as_record()
            if problems := decision_problems(record):
                raise ValidationError("The rating cannot be recorded: " + "; ".join(problems)
                                      + ".", f"Choose one of {', '.join(RATING_SCALE)} and "
                                      "say why.", details=problems)
            repo.set_rating_decisions(session, inspection_id, record)
        return decision

    def withdraw(self, inspection_id: uuid.UUID, target: str) -> bool:
        """Withdraw the rating recorded for ``target``, so the arithmetic's stands again (a
        standard judged on the evidence is then unrated); whether there was one."""
        with self._db.write() as session:
            # any rating recorded may be withdrawn, even for what the framework no longer
            # rates
            record = self._lead_inspectors_record(session, inspection_id, target,
                                                  recorded_only=True)
            if record.pop(target, None) is None:
                return False
            repo.set_rating_decisions(session, inspection_id, record)
        return True

    def _lead_inspectors_record(self, session, inspection_id: uuid.UUID, target: str, *,
                                recorded_only: bool = False) -> dict:
        inspection = repo.get_inspection(session, inspection_id)
        if inspection is None:
            raise inspection_not_found(inspection_id)
        if repo.member_role(session, inspection_id, self._db.user) != LEAD_ROLE:
            raise ValidationError(
                f"Only the lead inspector records the ratings of '{inspection.name}'.",
                "Ask the inspection's lead inspector, who chairs the ratings.")
        record = repo.rating_decisions(session, inspection_id)
        targets = rated_targets(self._catalog.from_row(inspection.framework))
        if target not in targets and not (recorded_only and target in record):
            raise ValidationError(f"'{target}' is not a standard '{inspection.name}' rates.",
                                  f"Choose one of {', '.join(targets)}.")
        return record


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


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
