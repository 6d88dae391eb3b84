"""The case form: open it, record each answer the moment it is given, check for errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from app.core.answers import AnswerInput, normalise_answer
from app.core.dto import CaseForm, SavedAnswer
from app.core.form import FormProblem, evaluate_form
from app.core.frameworks import Framework
from app.core.second_marking import check_can_read_answers
from app.core.workflow import (
    InspectionStatus,
    answers_by,
    case_editable,
    check_can_answer,
    status_after_answer,
)
from app.db import repositories as repo
from app.db.bookkeeping import utcnow
from app.db.engine import Database
from app.errors import NotFoundError
from app.services.cases import case_or_error, refuse_if_locked, store_progress
from app.services.frameworks import FrameworkCatalog
from app.services.moderation import second_marking


class CaseFormService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog

    def open(self, case_id: uuid.UUID) -> CaseForm:
        """The case form with its answers; refused to someone second marking the case while
        its second marking is open (the second judgements are made blind)."""
        with self._db.read() as session:
            case = case_or_error(session, case_id)
            inspection = repo.get_inspection(session, case.inspection_id)
            framework = self._catalog.from_row(inspection.framework)
            answers = repo.answer_records_for_case(session, case_id)
            role = repo.member_role(session, case.inspection_id, self._db.user)
            check_can_read_answers(self._db.user, role, second_marking(
                session, case, [a.answered_by for a in answers.values()]))
            state = evaluate_form(framework, repo.profile_of(case).as_dict(), answers)
            closed = inspection.status == InspectionStatus.CLOSED
            answering = answers_by(role)
            return CaseForm(
                case=repo.case_summary(case, repo.get_progress(session, case_id)),
                inspection_name=inspection.name, framework=framework, answers=answers,
                state=state,
                editable=answering and case_editable(case.status, inspection.status),
                inspection_closed=closed, reviewing=not answering,
            )

    def record_answer(self, *, case_id: uuid.UUID, question_key: str, value: object,
                      reasons: Sequence[str] = (), evidence: str = "") -> SavedAnswer:
        """Validate and commit one answer (with its outbox row) in one transaction.

        When this returns, the answer is on disk.
        """
        given = AnswerInput(value=value, reasons=tuple(reasons), evidence=evidence)
        return self.record_answers(case_id=case_id, answers={question_key: given})

    def record_answers(self, *, case_id: uuid.UUID,
                       answers: Mapping[str, AnswerInput]) -> SavedAnswer:
        """Several answers to one case in one transaction (all or none are saved).

        The result describes the last answer given.
        """
        if not answers:
            raise ValueError("record_answers needs at least one answer")
        with self._db.write() as session:
            case = case_or_error(session, case_id)
            refuse_if_locked(session, case)
            check_can_answer(repo.member_role(session, case.inspection_id, self._db.user))
            framework = self._framework_for(session, case)
            checked = {}
            for question_key, given in answers.items():
                question = _question_or_error(framework, question_key)
                checked[question_key] = (normalise_answer(question, given),
                                         question.respondent.value)
            repo.set_case_status(session, case_id, status_after_answer(case.status))
            records = repo.save_answers(session, case_id, checked)
            state = evaluate_form(framework, repo.profile_of(case).as_dict(), records)
            store_progress(session, case_id, state)
            return SavedAnswer(record=records[question_key], state=state, status=case.status,
                               saved_at=utcnow())

    def check_for_errors(self, case_id: uuid.UUID) -> list[FormProblem]:
        return self.open(case_id).state.problems()

    def _framework_for(self, session, case) -> Framework:
        inspection = repo.get_inspection(session, case.inspection_id)
        return self._catalog.from_row(inspection.framework)


def _question_or_error(framework: Framework, key: str):
    try:
        return framework.question(key)
    except KeyError:
        raise NotFoundError(
            f"The question '{key}' is not in the framework {framework.label}.",
            "Check the question key against the case form.",
        ) from None
